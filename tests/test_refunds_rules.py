"""The automatic-approval rules, one by one, and what a review needs recorded."""

from __future__ import annotations

import json

import pytest

from compass import refunds, store
from tests.factories import paid_order
from tests.fakes.customers import Dispatched

DANA = "dana@brightsmile.example"


@pytest.fixture(autouse=True)
def queue():
    with Dispatched() as dispatched:
        yield dispatched


def _ask(db, order, reason="The report did not fit our clinic."):
    return refunds.request_refund(db, order["id"], customer_id=order["customer_id"],
                                  reason=reason)


def test_all_three_rules_hold_so_it_is_approved_automatically(db):
    order = paid_order(db, email=DANA, paid_days_ago=6.9)
    refund = _ask(db, order)
    assert refund["status"] == "processing" and refund["auto_approved"] == 1
    assert refund["decided_by"] == "automatic" and refund["review_reason"] == ""
    assert refund["amount_cents"] == order["amount_cents"] == 14900
    assert refund["idempotency_key"] == f"refund-{order['public_id']}-{refund['id']}-1"
    rules = {r["rule"]: r["passed"] for r in json.loads(refund["rules_json"])}
    assert rules == {"within_7_days": True, "never_downloaded": True, "first_refund": True}


def test_seven_days_or_more_since_payment_needs_review(db):
    order = paid_order(db, email=DANA, paid_days_ago=7.01)
    refund = _ask(db, order)
    assert refund["status"] == "pending_review" and refund["auto_approved"] == 0
    assert refund["review_reason"] == "you paid 7 days ago, after the first 7 days"
    assert refund["days_since_payment"] == pytest.approx(7.01, abs=0.01)
    assert refund["decided_by"] is None


def test_a_downloaded_report_needs_review(db):
    order = paid_order(db, email=DANA)
    store.orders.record_download(db, order["id"])
    store.orders.record_download(db, order["id"])
    refund = _ask(db, store.orders.get(db, order["id"]))
    assert refund["status"] == "pending_review"
    assert refund["review_reason"] == "the report's PDF was downloaded twice"
    assert refund["downloads_at_request"] == 2


def test_a_second_refund_needs_review(db):
    first = paid_order(db, email=DANA)
    second = paid_order(db, email=DANA)
    assert _ask(db, first)["status"] == "processing"
    refund = _ask(db, second)
    assert refund["status"] == "pending_review"
    assert refund["review_reason"] == "you have asked for a refund once before"
    rules = {r["rule"]: r for r in json.loads(refund["rules_json"])}
    assert rules["within_7_days"]["passed"] and rules["never_downloaded"]["passed"]


def test_an_automatic_refund_for_a_failed_order_does_not_count_against_the_customer(db):
    failed = paid_order(db, email=DANA, status="failed")
    assert store.refunds.live_for_order(db, failed["id"])["kind"] == "processing_failed"
    assert _ask(db, paid_order(db, email=DANA))["status"] == "processing"


def test_a_denied_request_does_not_count_either(db):
    first = paid_order(db, email=DANA, paid_days_ago=30)
    waiting = _ask(db, first)
    refunds.deny(db, waiting["id"], admin_email="ops@compass.example",
                 note="The report was used for a month.")
    assert _ask(db, paid_order(db, email=DANA))["status"] == "processing"


def test_a_denial_is_emailed_with_its_reason_and_needs_one(db):
    waiting = _ask(db, paid_order(db, email=DANA, paid_days_ago=30))
    with pytest.raises(refunds.RefundNotAllowed, match="reason"):
        refunds.deny(db, waiting["id"], admin_email="ops@compass.example", note="  ")
    refunds.deny(db, waiting["id"], admin_email="ops@compass.example",
                 note="The report was used for a month.")
    [email] = [e for e in db.query("SELECT * FROM emails WHERE kind = 'refund_denied'")]
    assert email["to_address"] == DANA and email["order_id"] == waiting["order_id"]
    assert "used for a month" in email["context_json"]


def test_the_review_records_who_when_why_and_every_failed_rule(db):
    order = paid_order(db, email=DANA, paid_days_ago=10)
    store.orders.record_download(db, order["id"])
    _ask(db, paid_order(db, email=DANA))
    refund = _ask(db, store.orders.get(db, order["id"]), reason="  Not what we needed.  ")
    assert refund["reason"] == "Not what we needed."
    assert refund["requested_by"] == f"customer:{order['customer_id']}"
    assert refund["requested_at"] and refund["kind"] == "customer_request"
    assert refund["review_reason"] == ("you paid 10 days ago, after the first 7 days; the "
                                       "report's PDF was downloaded once; you have asked for "
                                       "a refund once before")
    assert " not " not in refund["review_reason"] and "_" not in refund["review_reason"]
    [queued] = store.refunds.awaiting_review(db)
    assert queued["order_number"] == order["order_number"]
    assert queued["customer_email"] == DANA and queued["review_reason"]
    [view] = db.query("SELECT * FROM refund_queue")
    assert view["order_number"] == order["order_number"]


def test_asking_twice_gives_the_same_refund(db):
    order = paid_order(db, email=DANA)
    assert _ask(db, order)["id"] == _ask(db, order)["id"]
    assert db["refunds"].count == 1


@pytest.mark.parametrize("status", ["paid", "processing"])
def test_an_order_still_being_prepared_cannot_be_refunded_by_request(db, status):
    order = paid_order(db, email=DANA, status=status)
    with pytest.raises(refunds.RefundNotAllowed, match="still being prepared"):
        _ask(db, order)


def test_a_failed_order_needs_no_request(db):
    order = paid_order(db, email=DANA, status="failed")
    assert _ask(db, order)["kind"] == "processing_failed"  # the automatic one, not another
    assert db["refunds"].count == 1
    verdict = refunds.eligibility(db, order)
    assert not verdict.can_request


def test_someone_elses_order_is_refused(db):
    order = paid_order(db, email=DANA)
    other = paid_order(db, email="eve@intruder.example")
    with pytest.raises(refunds.RefundNotAllowed):
        refunds.request_refund(db, order["id"], customer_id=other["customer_id"], reason="x")


def test_an_admin_approves_a_waiting_refund(db):
    order = paid_order(db, email=DANA, paid_days_ago=9)
    waiting = _ask(db, order)
    approved = refunds.approve(db, waiting["id"], admin_email="ops@compass.example",
                               note="Fair enough.")
    assert approved["status"] == "processing"
    assert approved["decided_by"] == "admin:ops@compass.example"
    with pytest.raises(refunds.RefundNotAllowed):
        refunds.deny(db, waiting["id"], admin_email="ops@compass.example", note="too late")


def test_an_admin_refunds_an_order_outright_once(db, queue):
    order = paid_order(db, email=DANA, paid_days_ago=40)
    refund = refunds.admin_refund(db, order["id"], admin_email="ops@compass.example",
                                  reason="Goodwill")
    assert refund["kind"] == "admin" and refund["status"] == "processing"
    assert queue.refunds == [refund["id"]]
    again = refunds.admin_refund(db, order["id"], admin_email="ops@compass.example")
    assert again["id"] == refund["id"] and queue.refunds == [refund["id"]]
