"""The landing page's sample report: real, labelled, as HTML and PDF, built at set-up."""

from __future__ import annotations

import subprocess
import sys

from compass import sample
from compass.settings import get_settings
from tests.fakes.web_app import web_client


def test_the_landing_page_links_the_sample_and_says_what_each_tier_holds():
    with web_client() as (client, _):
        html = client.get("/").text
    assert 'href="/sample-report"' in html and 'href="/sample-report.pdf"' in html
    assert "Readiness scorecard" in html and "every idea considered" in html


def test_the_sample_is_a_real_offline_report_labelled_as_fictional(data_dir):
    done = subprocess.run([sys.executable, "-m", "compass.cli", "sample-report"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    settings = get_settings()
    assert sample.pdf_path(settings).read_bytes().startswith(b"%PDF-")
    with web_client() as (client, _):
        page = client.get("/sample-report")
        pdf = client.get("/sample-report.pdf")
    assert page.status_code == 200
    html = page.text
    assert "Sample report." in html and "is a fictional business" in html
    assert "Demonstration copy" in html  # the offline model made it, and says so
    for anchor in ("readiness", "money", "workflows", "roadmap", "risks", "considered"):
        assert f'id="{anchor}"' in html
    assert "From your numbers: 14 hours a week" in html
    assert pdf.status_code == 200 and pdf.content == sample.pdf_path(settings).read_bytes()
