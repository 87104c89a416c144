"""Our outage is not the customer's refund: a systemic API error holds the paid orders,
alerts the admins once, turns /readyz red, and a probe resumes every held order."""

from __future__ import annotations

import asyncio

import pytest

from compass import health, outage, processing, queue, store
from compass.engine.anthropic_provider import AnthropicProvider
from compass.settings import get_settings
from tests.factories import paid_order
from tests.fakes.messages_api import SPEND_LIMIT, running_server

GOOD_KEY = "sk-ant-good-0123456789"
FAST = {"backoff_base": 0.01, "backoff_max": 0.05, "max_retries": 1}


@pytest.fixture
def admins(monkeypatch):
    monkeypatch.setenv("ADMIN_EMAILS", "ops@example.com, owner@example.com")
    get_settings.cache_clear()


def run(db, order_id, server, key=GOOD_KEY):
    async def scenario():
        provider = AnthropicProvider(key, base_url=server.base_url, **FAST)
        try:
            return await processing.run_order(db, order_id, provider=provider, can_retry=True)
        finally:
            await provider.aclose()
    return asyncio.run(scenario())


def probe(db, server, key=GOOD_KEY):
    async def scenario():
        provider = AnthropicProvider(key, base_url=server.base_url, **FAST)
        try:
            return await outage.probe(db, provider)
        finally:
            await provider.aclose()
    return asyncio.run(scenario())


def failing_engine(error: Exception):
    async def engine(*args, **kwargs):
        raise error
    return engine


def outage_emails(db):
    return list(db["emails"].rows_where("kind = 'ai_outage'"))


@pytest.mark.parametrize("rejection", ["key", "spend_limit"])
def test_a_rejected_key_holds_paid_orders_and_a_probe_resumes_them(db, admins, rejection):
    queued: list[tuple] = []
    with running_server(api_key=GOOD_KEY) as server, \
            queue.replaced(process_order=lambda *a: queued.append(a),
                           send_email=lambda *a: None, probe_ai_service=lambda *a: None):
        first = paid_order(db, tier="starter", status="paid")
        second = paid_order(db, tier="premium", status="paid")
        key = "sk-ant-revoked-000000000"
        if rejection == "spend_limit":
            key = GOOD_KEY
            server.always(SPEND_LIMIT)

        assert run(db, first["id"], server, key) == "held"
        calls = server.request_count
        assert calls == 1  # not retried: no retry can help
        assert run(db, second["id"], server, key) == "held"
        assert server.request_count == calls  # the open incident stops calls at once

        for order in (first, second):
            row = store.orders.get(db, order["id"])
            assert row["status"] == "processing" if order is first else row["status"] == "paid"
            assert row["held_at"] and row["lease_owner"] is None
            assert "Waiting for our AI provider" in row["phase_label"]
        assert db["refunds"].count == 0
        assert not list(db["emails"].rows_where("kind = 'processing_failed'"))

        alerts = outage_emails(db)
        assert sorted(a["to_address"] for a in alerts) == ["ops@example.com", "owner@example.com"]
        expected = "invalid x-api-key" if rejection == "key" else "monthly usage limit"
        assert all(expected in a["context_json"] for a in alerts)
        ready = health.check_ai_service(db)
        assert not ready.ok and expected in ready.detail

        # Still refused: the probe says so, nothing is resumed, no second alert.
        assert probe(db, server, key) == "down"
        assert queued == [] and len(outage_emails(db)) == 2

        # Someone fixes the key or raises the limit: the next probe resumes everything.
        server.always(None)
        assert probe(db, server) == "resumed"
        assert sorted(order_id for order_id, _ in queued) == [first["id"], second["id"]]
        assert health.check_ai_service(db).ok
        assert not store.orders.held(db)

        # The queued runs complete them, through the same server.
        assert run(db, first["id"], server) == "completed"
        assert run(db, second["id"], server) == "completed"
    reasons = [e["reason"] for e in store.orders.events(db, first["id"])]
    assert any(r.startswith("held: ") for r in reasons)
    assert any(r.startswith("released: ") for r in reasons)


def test_a_second_incident_alerts_again_but_one_incident_alerts_once(db, admins):
    with queue.replaced(send_email=lambda *a: None, probe_ai_service=lambda *a: None):
        with store.transaction(db):
            one = outage.report_systemic(db, kind="authentication", status=401,
                                         message="invalid x-api-key", model="m")
            again = outage.report_systemic(db, kind="authentication", status=401,
                                           message="invalid x-api-key", model="m")
        assert one["id"] == again["id"] and len(outage_emails(db)) == 2
        with store.transaction(db):
            store.incidents.close(db, one["id"])
            outage.report_systemic(db, kind="spend_limit", status=429, message="limit",
                                   model="m")
        assert len(outage_emails(db)) == 4


def test_the_outage_email_renders_with_the_apis_message(db, admins):
    from compass import notifications

    with queue.replaced(send_email=lambda *a: None, probe_ai_service=lambda *a: None), \
            store.transaction(db):
        outage.report_systemic(db, kind="spend_limit", status=429,
                               message="Your organization has reached its limit", model="m")
    row = outage_emails(db)[0]
    message = notifications.build_message(db, row, get_settings())
    text = message.get_body(("plain",)).get_content()
    assert "spend limit is reached" in text and "Your organization has reached its limit" in text
    assert "none has been refunded" in text


@pytest.mark.parametrize(("reason", "says", "never"), [
    ("the report scored 5/10 in quality review after 3 attempts (7 is needed)",
     "did not pass our independent quality review", "AI provider"),
    ("the AI service is not available (Anthropic API answered 529 (overloaded_error: "
     "Overloaded) (gave up after 5 attempts))", "AI provider was unavailable", "quality review"),
    ("the sample step kept giving unusable answers (cut at max_tokens)",
     "kept producing answers that failed our checks", "quality review after three"),
])
def test_a_failed_order_tells_the_customer_the_true_reason(db, reason, says, never):
    from compass import notifications
    from compass.engine import EngineFailed

    order = paid_order(db, status="paid")
    with queue.replaced(send_email=lambda *a: None, process_refund=lambda *a: None):
        assert asyncio.run(processing.run_order(
            db, order["id"], engine=failing_engine(EngineFailed(reason)),
            provider=object())) == "failed"
    row = next(db["emails"].rows_where("kind = 'processing_failed'"))
    message = notifications.build_message(db, row, get_settings())
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert says in text and says in html
    assert never not in text
    status = store.orders.status_view(db, order["public_id"])
    from compass import progress
    assert says in progress.failure_words(status["failure_reason"])
    assert "Anthropic" not in progress.failure_words(status["failure_reason"])


def test_admin_shows_the_outage_banner_held_orders_and_a_pass_rate_over_qa_only(data_dir):
    from tests.factories import paid_order as customer_order
    from tests.fakes.customers import Dispatched, sign_in
    from tests.fakes.web_app import db_of, web_client

    admin = "ops@compass.example"
    with Dispatched(), web_client(ADMIN_EMAILS=admin) as (client, _):
        db = db_of(client)
        customer_order(db, email="a@example.com", status="completed")
        # Failed before QA (the API was down on the last try): not a QA verdict.
        broken = customer_order(db, email="b@example.com", status="failed")
        waiting = customer_order(db, email="c@example.com", tier="premium", status="paid")
        with store.transaction(db):
            incident = outage.report_systemic(db, kind="authentication", status=401,
                                              message="invalid x-api-key", model="m")
            outage.hold(db, waiting["id"], incident)
        sign_in(client, data_dir, admin)
        text = client.get("/admin?days=7").text
    banner = text.split('role="alert"')[1].split("</div>")[0]
    assert "the API key was rejected" in banner and "invalid x-api-key" in banner
    assert "1 paid order(s) are held" in " ".join(banner.split()), banner
    assert "100.0%" in text and "0 failed in QA (1 more failed before it)" in text
    attention = text.split("Needs attention")[1]
    assert waiting["order_number"] in attention and broken["order_number"] in attention
    assert ">held<" in attention and ">failed<" in attention


def test_a_revision_refused_by_the_api_waits_queued_and_is_asked_for_again(db, admins):
    from compass import revisions
    from compass.engine import EngineFailed
    from compass.engine.provider import ProviderError

    order = paid_order(db, tier="premium", status="completed")
    revision, _ = revisions.request_revision(db, order["id"], "More on the no-show plan.")

    async def refused(*args, **kwargs):
        cause = ProviderError("Anthropic API answered 401 (authentication_error: invalid "
                              "x-api-key)", status=401, systemic=True, kind="authentication")
        raise EngineFailed(f"the AI service is not available ({cause})", systemic=True,
                           kind="authentication") from cause

    revised: list[int] = []
    with queue.replaced(send_email=lambda *a: None, probe_ai_service=lambda *a: None,
                        revise_report=revised.append, process_order=lambda *a: None):
        outcome = asyncio.run(revisions.run_revision(db, revision["id"], provider=object(),
                                                     reviser=refused))
        assert outcome == "held"
        assert store.revisions.get(db, revision["id"])["status"] == "queued"
        assert outage.current(db)["kind"] == "authentication" and len(outage_emails(db)) == 2
        # While the incident is open, a run makes no call at all.
        assert asyncio.run(revisions.run_revision(db, revision["id"], provider=object(),
                                                  reviser=refused)) == "held"
        with store.transaction(db):
            store.incidents.close(db, outage.current(db)["id"])
        outage.resume_held(db, "test")
    assert revised == [revision["id"]]


def test_metrics_show_an_open_incident_and_the_held_orders(db, tmp_path):
    from prometheus_client.parser import text_string_to_metric_families

    from compass import metrics

    def scrape() -> dict[str, float]:
        empty = tmp_path / "no-process-metrics"
        empty.mkdir(exist_ok=True)
        body = metrics.render(tmp_path / "data" / "compass.db", multiproc_dir=empty)[0]
        return {s.name: s.value for f in text_string_to_metric_families(body.decode())
                for s in f.samples if s.name in ("compass_ai_incident_open",
                                                 "compass_orders_held")}

    assert scrape() == {"compass_ai_incident_open": 0, "compass_orders_held": 0}
    order = paid_order(db, status="paid")
    with queue.replaced(send_email=lambda *a: None, probe_ai_service=lambda *a: None), \
            store.transaction(db):
        incident = outage.report_systemic(db, kind="spend_limit", status=429,
                                          message="limit", model="m")
        outage.hold(db, order["id"], incident)
    assert scrape() == {"compass_ai_incident_open": 1, "compass_orders_held": 1}
