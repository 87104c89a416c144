"""Premium's revision, end to end: ask, run the engine's proposal again, deliver, list."""

from __future__ import annotations

import asyncio
import json

import pytest

from compass import revisions, store
from compass.engine import EngineFailed, run_engine
from compass.engine.offline import OfflineProvider
from compass.intake import OrderInput
from compass.tiers import get_tier
from tests.factories import paid_order
from tests.fakes.customers import Dispatched, sign_in
from tests.fakes.web_app import VALID_ORDER, csrf_from, db_of, web_client

DANA = "dana@brightsmile.example"
NOTES = "Please focus on the hygiene recall list and explain the no-show plan in more detail."


@pytest.fixture(autouse=True)
def queue():
    with Dispatched() as dispatched:
        yield dispatched


@pytest.fixture(scope="module")
def premium_result(tmp_path_factory):
    """A real premium report from the offline model (made once for the module)."""
    from compass import store

    db = store.open_database(tmp_path_factory.mktemp("engine") / "compass.db")
    order_input = OrderInput.model_validate(VALID_ORDER | {"email": DANA})
    result = asyncio.run(run_engine(order_input, get_tier("premium"),
                                    provider=OfflineProvider(), db=db, run_id="fixture"))
    db.conn.close()
    return result


def _run(db, revision_id: int, **kwargs) -> str:
    return asyncio.run(revisions.run_revision(db, revision_id, provider=OfflineProvider(),
                                              **kwargs))


def test_a_premium_customer_revises_the_report_end_to_end(premium_result, tmp_path, queue):
    data_dir = tmp_path / "data"
    with web_client() as (client, _):
        db = db_of(client)
        order = paid_order(db, email=DANA, tier="premium", result=premium_result)
        sign_in(client, data_dir, DANA)
        assert f"/orders/{order['public_id']}/revision" in client.get("/dashboard").text
        page = client.get(f"/orders/{order['public_id']}/revision")
        assert "What should change?" in page.text and "1 revision (0 used)" in page.text
        token = csrf_from(page.text)
        short = client.post(f"/orders/{order['public_id']}/revision",
                            data={"csrf_token": token, "notes": "shorter"})
        assert short.status_code == 422 and 'shorter</textarea>' in short.text
        asked = client.post(f"/orders/{order['public_id']}/revision",
                            data={"csrf_token": token, "notes": NOTES}, follow_redirects=False)
        again = client.post(f"/orders/{order['public_id']}/revision",
                            data={"csrf_token": token, "notes": NOTES}, follow_redirects=False)
        assert asked.status_code == again.status_code == 303
        [revision_id] = queue.revisions  # one job, though the form was sent twice
        waiting = client.get(f"/orders/{order['public_id']}/revision").text
        assert "Your revision is being prepared" in waiting and "What should change?" not in waiting

        # The worker's job: the proposal again, with the notes, reviewed again.
        from jobs.revisions import revise_report

        assert revise_report.call_local(revision_id) == "completed"
        revision = store.revisions.get(db, revision_id)
        assert revision["status"] == "completed"
        revised = json.loads(store.orders.get(db, order["id"])["result_json"])
        assert revised["revision"]["number"] == 1 and revised["revision"]["notes"] == NOTES
        assert NOTES in revised["proposal"]["executive_summary"]
        assert revised["proposal"]["executive_summary"] != \
            premium_result["proposal"]["executive_summary"]
        assert [w["name"] for w in revised["workflows"]] == \
            [w["name"] for w in premium_result["workflows"]]
        assert revised["qa"]["passed"] and revised["qa"]["score"] >= 7
        calls = store.ai_calls.for_run(db, f"revision-{order['public_id']}-1")
        assert {c["phase"] for c in calls} == {"proposal", "review"}
        assert all(c["order_id"] == order["id"] for c in calls)
        # The notes reached the model as data inside the proposal request.
        assert revision["base_result_json"] == json.dumps(premium_result)

        # The customer is told, with the new version attached.
        [email] = db.query("SELECT * FROM emails WHERE kind = 'revision_ready'")
        from compass import notifications

        assert notifications.deliver(db, email["id"]) == "sent"
        [sent] = (data_dir / "outbox").glob("*revision_ready*.eml")
        from email import message_from_bytes, policy

        message = message_from_bytes(sent.read_bytes(), policy=policy.default)
        assert message["To"] == DANA
        assert NOTES in message.get_body(("plain",)).get_content()
        assert [a.get_content_type() for a in message.iter_attachments()] == ["application/pdf"]
        # Its PDF is rendered as the order's newest report version.
        assert store.orders.get(db, order["id"])["report_pdf_path"]
        assert client.get(f"/orders/{order['public_id']}/download").status_code == 200
        # The current report is the new one; the original is still listed and readable.
        report = client.get(f"/orders/{order['public_id']}/report").text
        assert "This revised edition answers your request" in report
        done = client.get(f"/orders/{order['public_id']}/revision").text
        assert "Your revised report is ready" in done
        assert "You have used the revision this report includes." in done
        assert "Original report" in done and "Revision 1" in done and "(current)" in done
        original = client.get(f"/orders/{order['public_id']}/versions/1")
        assert original.status_code == 200
        assert "This revised edition" not in original.text
        assert premium_result["workflows"][0]["name"] in original.text
        latest = client.get(f"/orders/{order['public_id']}/versions/2").text
        assert "This revised edition answers your request" in latest
        assert client.get(f"/orders/{order['public_id']}/versions/3").status_code == 404
        # One revision is included: no second one.
        used = client.post(f"/orders/{order['public_id']}/revision",
                           data={"csrf_token": token, "notes": NOTES + " Again."})
        assert used.status_code == 422 and len(queue.revisions) == 1


def test_a_revision_that_fails_review_keeps_the_report_and_the_allowance(premium_result, db):
    order = paid_order(db, email=DANA, tier="premium", result=premium_result)
    revision, _ = revisions.request_revision(db, order["id"], NOTES)

    async def failing(*args, **kwargs):
        raise EngineFailed("the revised report scored 5/10 in quality review after 2 attempts")

    assert _run(db, revision["id"], reviser=failing) == "failed"
    assert store.orders.get(db, order["id"])["result_json"] == json.dumps(premium_result)
    assert "5/10" in store.revisions.get(db, revision["id"])["failure_reason"]
    assert revisions.allowance(db, store.orders.get(db, order["id"])).can_request


def test_a_revision_killed_mid_run_is_taken_over_and_resumes_from_the_ledger(
        premium_result, db):
    import datetime as dt

    order = paid_order(db, email=DANA, tier="premium", result=premium_result)
    revision, _ = revisions.request_revision(db, order["id"], NOTES)

    async def killed(*args, **kwargs):
        from compass.engine.revision import revise_proposal

        await revise_proposal(*args, **kwargs)  # pays for the calls...
        raise SystemExit("worker killed")  # ...and dies before storing the result

    with pytest.raises(SystemExit):
        _run(db, revision["id"], reviser=killed)
    assert store.revisions.get(db, revision["id"])["status"] == "running"
    assert _run(db, revision["id"]) == "not_runnable:running"  # still someone else's
    later = dt.datetime.now(dt.UTC) + revisions.STALE_AFTER + dt.timedelta(seconds=1)
    def good_calls() -> list[dict]:
        return [c for c in store.ai_calls.for_run(db, f"revision-{order['public_id']}-1")
                if c["status"] == "ok"]

    paid = good_calls()
    assert paid
    assert _run(db, revision["id"], now=later) == "completed"
    # The second run read every good answer back from the ledger instead of paying again.
    assert good_calls() == paid
    assert store.revisions.get(db, revision["id"])["status"] == "completed"


@pytest.mark.parametrize("tier", ["starter", "standard"])
def test_only_premium_includes_a_revision(db, tier):
    order = paid_order(db, email=DANA, tier=tier)
    verdict = revisions.allowance(db, order)
    assert not verdict.can_request and "Premium" in verdict.why_not
    with pytest.raises(revisions.RevisionNotAllowed):
        revisions.request_revision(db, order["id"], NOTES)


def test_a_refunded_or_unfinished_order_is_not_revised(premium_result, db):
    processing = paid_order(db, email=DANA, tier="premium", status="processing")
    assert "once the report is ready" in revisions.allowance(db, processing).why_not
    order = paid_order(db, email=DANA, tier="premium", result=premium_result)
    revision, _ = revisions.request_revision(db, order["id"], NOTES)
    db.execute("UPDATE orders SET status = 'refunded' WHERE id = ?", [order["id"]])
    assert _run(db, revision["id"]) == "failed"
