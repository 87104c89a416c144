"""/readyz is red when the worker could not deliver: templates missing or broken (every
email would fail with TemplateNotFound while orders still complete), or a PDF renderer that
does not answer. Fly's checks use /readyz, so such a deploy never takes traffic."""

from __future__ import annotations

import shutil

import pytest

from compass import health, pdf
from compass.templating import TEMPLATES_DIR
from tests.factories import fresh_heartbeat
from tests.fakes.web_app import web_client


def readyz() -> tuple[int, dict]:
    with web_client() as (client, _):
        fresh_heartbeat()
        response = client.get("/readyz")
    return response.status_code, response.json()["checks"]


@pytest.fixture
def templates_copy(tmp_path, monkeypatch):
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, copy)
    monkeypatch.setattr(health, "TEMPLATES_DIR", copy)
    return copy


def test_green_with_the_real_templates_and_renderer():
    status, checks = readyz()
    assert status == 200, checks
    assert checks["templates"]["ok"] and checks["pdf"]["ok"], checks


def test_red_when_the_templates_are_not_where_the_code_looks(tmp_path, monkeypatch):
    monkeypatch.setattr(health, "TEMPLATES_DIR", tmp_path / "nowhere")
    status, checks = readyz()
    assert status == 503
    assert not checks["templates"]["ok"]
    assert checks["templates"]["detail"].startswith("missing: emails/")
    assert checks["pdf"]["ok"] and checks["database"]["ok"]


def test_red_when_one_email_template_is_missing(templates_copy):
    (templates_copy / "emails" / "refund_processed.txt").unlink()
    status, checks = readyz()
    assert status == 503
    assert checks["templates"]["detail"] == "missing: emails/refund_processed.txt"


@pytest.mark.parametrize(("name", "broken", "expected"), [
    ("emails/report_ready.html", "{% if %}", "emails/report_ready.html:1"),
    ("report/print.html", "{{ 3 | no_such_filter }}", "no_such_filter"),
    ("order_form.html", "{% for x in %}", "order_form.html:1"),
])
def test_red_when_a_template_cannot_render(templates_copy, name, broken, expected):
    (templates_copy / name).write_text(broken)
    status, checks = readyz()
    assert status == 503
    assert not checks["templates"]["ok"] and expected in checks["templates"]["detail"]


@pytest.mark.parametrize("command", [["sleep", "60"], ["true"]],
                         ids=["hangs", "exits at once"])
def test_red_when_the_pdf_renderer_does_not_answer(monkeypatch, command):
    renderer = pdf._Renderer(command)
    monkeypatch.setattr(pdf, "_renderer", renderer)
    monkeypatch.setattr(health, "RENDER_TIMEOUT_SECONDS", 0.2)
    monkeypatch.setattr(health, "RENDER_STARTUP_SECONDS", 0.3)
    try:
        status, checks = readyz()
    finally:
        renderer._stop_helper()
    assert status == 503
    assert not checks["pdf"]["ok"], checks
    assert "renderer" in checks["pdf"]["detail"]
    assert checks["templates"]["ok"]
