"""Which email goes out when, and delivering each one exactly once.

Order emails follow the lifecycle: `on_order_transition` is registered with
compass.lifecycle, so every transition to paid, completed, failed or refunded writes its
email row in the very transaction that made the transition (no transition without its
email, no email for a transition that rolled back), and the send job is queued only after
that transaction commits. Nothing else needs to remember to send mail.

Delivery (`deliver`, run by the jobs.emails task) and its crash windows:

1. Claim, in a short transaction: `pending → sending`, attempts + 1. A sent or failed row,
   one another worker claimed a moment ago, or one whose retry is not yet due, is not
   claimed: a retried, duplicated or early job does nothing.
2. Build the message and hand it to SMTP, outside any transaction.
3. Record the outcome in a second transaction: `sent`; or back to `pending` with the error
   and the time of the next attempt; or `failed` after the last attempt or a permanent
   refusal.

Retries follow the spec, three attempts over 24 hours: EMAIL_RETRY_DELAYS_SECONDS (1 h,
then 23 h) sets `next_attempt_at`, and the worker's sweep (`sweep`, every few seconds)
queues each email when it falls due. huey's own retry schedule is not used: the row is the
schedule, so a worker restart or a lost queue loses no retry. An attempt that found no
server at all (connection refused, timed out, dropped) is marked UNREACHABLE, and while
such mail waits the sweep asks the server every EMAIL_PROBE_SECONDS whether it answers
again; when it does, that mail goes at once instead of an hour later.

A worker that dies during step 2 or before step 3 leaves the row in `sending`. The sweep
re-claims such a row only after SENDING_LEASE_SECONDS, and sends it again: we prefer a
rare duplicate to a lost receipt or report. The duplicate carries the same Message-ID,
which lets mail systems that deduplicate (Gmail does) drop it. Ordinary failures (server
down, timeouts, 4xx) are recorded before the retry, so they can never cause a second copy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
from collections.abc import Iterable

import sqlite_utils

from compass import charts, clock, documents, mail, queue, store, templating
from compass.mail import Attachment, MailError
from compass.progress import failure_words, phase_words
from compass.report import pdf_filename
from compass.settings import Settings, get_settings
from compass.tiers import get_tier

log = logging.getLogger(__name__)

# The email each arrival sends.
ORDER_EMAILS: dict[str, str] = {
    "paid": "payment_confirmation",
    "completed": "report_ready",
    "failed": "processing_failed",
    "refunded": "refund_processed",
}
# A `sending` row older than this was claimed by a worker that died (SMTP times out in 30 s).
SENDING_LEASE_SECONDS = 600
# A first attempt not made this long after the row was written lost its wake-up call
# (enqueue failed, queue lost). The sweep skips emails that have a job waiting in the queue.
PENDING_GRACE_SECONDS = 60
# The start of last_error for an attempt that found no server to talk to.
UNREACHABLE = "unreachable: "
# Mail not sent this long after it was written is late (shown on /readyz and /admin).
LATE_AFTER_SECONDS = 900
# Kinds whose context is a credential: cleared from the row once sent.
CREDENTIAL_KINDS = frozenset({"magic_link", "email_change"})
MAX_ATTACHMENT_BYTES = 15 * 1024 * 1024

REFUND_REASONS = {
    "refunded at Stripe": "Refund issued",
}


class RetryLater(Exception):
    """This attempt failed; the next is due at `due` (the sweep queues it then)."""

    def __init__(self, error: str, due: str):
        super().__init__(error)
        self.due = due


def max_attempts(settings: Settings) -> int:
    return len(settings.email_retry_delays) + 1


def _queued(db: sqlite_utils.Database, email_id: int | None) -> int | None:
    if email_id is not None:
        queue.after_commit(db, "send_email", email_id)
    return email_id


def on_order_transition(db: sqlite_utils.Database, order: dict, from_status: str,
                        to_status: str) -> None:
    """The lifecycle hook: runs inside the transition's transaction."""
    kind = ORDER_EMAILS.get(to_status)
    if kind is None:
        return
    context: dict = {}
    if kind == "payment_confirmation" and from_status == "expired":
        context["after_expiry"] = True
    if kind == "refund_processed":
        event = store.orders.latest_event(db, order["id"])
        reason = (event or {}).get("reason") or ""
        context["reason"] = REFUND_REASONS.get(reason, reason) or "Refund issued"
    queue_order_email(db, order, kind, context)


def queue_order_email(db: sqlite_utils.Database, order: dict, kind: str,
                      context: dict | None = None) -> int | None:
    """Add the order's email of this kind (once per order and kind) and queue it after commit.

    Returns the new email's id, or None when the order already had one of this kind.
    """
    customer = store.customers.get(db, order["customer_id"]) if order.get("customer_id") else None
    if customer is None:
        log.error("order %s has no customer; no %s email", order["order_number"], kind)
        return None
    context = context or {}
    email_id = store.emails.insert(
        db, order_id=order["id"], kind=kind, dedupe_key=None, to_address=customer["email"],
        subject=mail.subject_for(kind, context), context_json=json.dumps(context),
        message_id=mail.message_id_for(f"{order['public_id']}.{kind}", get_settings()))
    return _queued(db, email_id)


def queue_still_processing(db: sqlite_utils.Database, order: dict) -> int | None:
    """The "still being prepared" email (once per order), for the reconciler to call."""
    return queue_order_email(db, order, "still_processing")


def queue_magic_link(db: sqlite_utils.Database, *, to: str, link: str, minutes_valid: int,
                     token_key: str) -> int | None:
    """A sign-in link; `token_key` identifies the login token (one email per token)."""
    context = {"link": link, "minutes_valid": minutes_valid}
    email_id = store.emails.insert(
        db, order_id=None, kind="magic_link", dedupe_key=f"magic_link:{token_key}",
        to_address=to, subject=mail.subject_for("magic_link", context),
        context_json=json.dumps(context),
        message_id=mail.message_id_for(f"login.{token_key}", get_settings()))
    return _queued(db, email_id)


def queue_account_email(db: sqlite_utils.Database, *, kind: str, to: str, context: dict,
                        key: str) -> int | None:
    """An account email not tied to an order (compass.accounts: sign-in links, invitations
    to order, new-address confirmations); `key` makes it unique (one email per token)."""
    email_id = store.emails.insert(
        db, order_id=None, kind=kind, dedupe_key=f"{kind}:{key}", to_address=to,
        subject=mail.subject_for(kind, context), context_json=json.dumps(context),
        message_id=mail.message_id_for(f"{kind}.{key}", get_settings()))
    return _queued(db, email_id)


def queue_daily_summary(db: sqlite_utils.Database, *, to: str, day: str,
                        figures: dict[str, object] | Iterable[tuple[str, object]],
                        attention: Iterable[str] = ()) -> int | None:
    """The operator's summary of `day` (once per day and recipient)."""
    pairs = list(figures.items()) if isinstance(figures, dict) else list(figures)
    context = {"day": day, "figures": [[str(k), str(v)] for k, v in pairs],
               "attention": [str(line) for line in attention]}
    email_id = store.emails.insert(
        db, order_id=None, kind="daily_summary", dedupe_key=f"daily_summary:{day}:{to.lower()}",
        to_address=to, subject=mail.subject_for("daily_summary", context),
        context_json=json.dumps(context),
        message_id=mail.message_id_for(f"summary.{day}.{to.lower()}", get_settings()))
    return _queued(db, email_id)


# -- building the message ---------------------------------------------------------------------

def _order_context(db: sqlite_utils.Database, order: dict, customer: dict,
                   settings: Settings) -> dict:
    tier = get_tier(order["tier"])
    base = settings.BASE_URL.rstrip("/")
    company, contact = customer.get("company_name") or "", customer.get("name") or ""
    # The names as given on this order (its own contact snapshot): the customer row holds
    # the account's details, which a signed-out order never changes.
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        answers = json.loads(order["input_json"])
        company = answers.get("company_name") or company
        contact = answers.get("contact_name") or contact
    return {
        "order_number": order["order_number"],
        "company_name": company or "your business",
        "contact_name": contact or "there",
        "tier_label": tier.label,
        "workflow_count": tier.workflow_count,
        "delivery_hours": tier.delivery_hours,
        # What was charged: the price less any discount (a referral, a promotion code).
        "amount": templating.money(order["amount_cents"] - (order.get("discount_cents") or 0),
                                   order["currency"]),
        "status_url": f"{base}/status/{order['public_id']}",
        "report_url": f"{base}/orders/{order['public_id']}/report",
    }


def _money_summary(report) -> str:
    money = report.money
    if money is None:
        return ""
    from compass.money import dollars, months, span

    return (f"First-year investment {span(money.investment_low, money.investment_high)}, "
            f"expected return {span(money.return_low, money.return_high)} a year, payback "
            f"{months(money.payback_low_months)}"
            + (f" to {months(money.payback_high_months)}"
               if money.payback_high_months != money.payback_low_months else "")
            + ("" if money.from_volumes else " (a typical range: add your volumes for exact "
               f"figures at {dollars(money.rate)} an hour)") + ".")


def _report_ready(db: sqlite_utils.Database, order: dict, settings: Settings,
                  context: dict) -> list[Attachment]:
    report = documents.report_for_order(order, settings)
    context.update(
        workflow_count=report.workflow_count, domains_count=len(report.domains),
        quality_score=report.quality.score,
        confidence_percent=report.consensus.confidence_percent, offline=report.offline,
        top_workflows=[{"name": w.name, "description": w.description,
                        "exploratory": w.exploratory} for w in report.workflows[:3]],
        consensus_line=report.consensus.summary_line,
        pdf_filename=report.pdf_filename, pdf_attached=False,
        readiness=(f"{report.scorecard.overall:.1f} of 5 ({report.scorecard.level})"
                   if report.scorecard else ""),
        money_summary=_money_summary(report),
        # Inline SVG: Apple Mail, Thunderbird and most phones draw it; others show the text.
        chart=charts.fluid(report.chart_value_effort) if report.chart_value_effort else "",
    )
    try:
        path = documents.ensure_report_pdf(db, order, settings)
    except Exception:
        # The link is what matters; the PDF stays downloadable once a later render succeeds.
        log.exception("order %s: no PDF to attach to the report email", order["order_number"])
        return []
    data = path.read_bytes()
    if len(data) > MAX_ATTACHMENT_BYTES:
        return []
    context["pdf_attached"] = True
    return [Attachment(pdf_filename(order["order_number"]), data)]


def build_message(db: sqlite_utils.Database, row: dict, settings: Settings):
    """The EmailMessage for an email row, with its attachments (rendered if missing)."""
    kind = row["kind"]
    context = json.loads(row["context_json"] or "{}")
    attachments: list[Attachment] = []
    if row["order_id"] is not None:
        order = store.orders.get(db, row["order_id"])
        if order is None:
            raise MailError(f"order {row['order_id']} no longer exists", permanent=True)
        customer = store.customers.get(db, order["customer_id"]) or {}
        context = _order_context(db, order, customer, settings) | context
        if kind == "payment_confirmation":
            receipt = documents.ensure_receipt_pdf(db, order, settings)
            context["receipt_filename"] = documents.receipt_filename(order)
            attachments.append(Attachment(context["receipt_filename"], receipt.read_bytes()))
        elif kind in ("report_ready", "revision_ready"):
            # A revision is delivered like the report: the new version, attached.
            attachments += _report_ready(db, order, settings, context)
        elif kind == "still_processing":
            context |= {"progress_percent": order["progress_percent"],
                        "phase_label": phase_words(order), "due_label": _due_label(order)}
        elif kind == "processing_failed":
            context.setdefault("reason", order.get("failure_reason") or "")
            context["failure_words"] = failure_words(order.get("failure_reason"))
    elif kind in ("daily_summary", "ai_outage"):
        context["admin_url"] = f"{settings.BASE_URL.rstrip('/')}/admin"
    return mail.compose(kind, to=row["to_address"], context=context, settings=settings,
                        message_id=row["message_id"], subject=row["subject"],
                        attachments=attachments)


def _due_label(order: dict) -> str:
    moment = clock.parse_or_none(order.get("paid_at"))
    if moment is None:
        return ""
    due = moment + dt.timedelta(hours=get_tier(order["tier"]).delivery_hours)
    return due.strftime("%d %b %Y, %H:%M UTC")


# -- delivering -------------------------------------------------------------------------------

def _iso_ago(seconds: float) -> str:
    return clock.iso(clock.now() - dt.timedelta(seconds=seconds))


# Kinds whose message may have to render a PDF first (the receipt, the report).
RENDERING_KINDS = frozenset({"payment_confirmation", "report_ready", "revision_ready"})


def may_render(db: sqlite_utils.Database, email_id: int) -> bool:
    """Whether sending this email may render a PDF (seconds of the worker's one renderer)."""
    row = store.emails.get(db, email_id)
    return bool(row and row["kind"] in RENDERING_KINDS and row["status"] != "sent")


def deliver(db: sqlite_utils.Database, email_id: int, settings: Settings | None = None) -> str:
    """Send one email if it is ours to send. Returns what happened; raises RetryLater when
    the attempt failed and another is due later (recorded on the row: the sweep queues it)."""
    settings = settings or get_settings()
    attempts_allowed = max_attempts(settings)
    with store.transaction(db):
        row = store.emails.claim(db, email_id, now=clock.now_iso(),
                                 stale_before=_iso_ago(SENDING_LEASE_SECONDS),
                                 max_attempts=attempts_allowed)
    if row is None:
        current = store.emails.get(db, email_id)
        return f"skipped:{current['status'] if current else 'missing'}"
    reference = row["dedupe_key"] or str(row["order_id"])
    try:
        message = build_message(db, row, settings)
        if row["order_id"] is not None:
            reference = _order_number(db, row["order_id"]) or reference
        where = mail.send(message, settings, kind=row["kind"], reference=reference)
    except Exception as exc:
        from compass import metrics  # sets the multiprocess directory before prometheus loads

        metrics.email_failed(row["kind"])
        permanent = isinstance(exc, MailError) and exc.permanent
        final = permanent or row["attempts"] >= attempts_allowed
        error = str(exc) if isinstance(exc, MailError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, MailError) and exc.unreachable:
            error = UNREACHABLE + error
        due = None if final else clock.iso_in(settings.email_retry_delays[row["attempts"] - 1])
        with store.transaction(db):
            store.emails.mark_failed(db, email_id, error, final=final, next_attempt_at=due)
        log.warning("email %s (%s) attempt %d of %d failed%s: %s", email_id, row["kind"],
                    row["attempts"], attempts_allowed,
                    " for good" if final else f"; next attempt at {due}", error)
        if due is None:
            return "failed"
        raise RetryLater(error, due) from exc
    with store.transaction(db):
        store.emails.mark_sent(db, email_id, clear_context=row["kind"] in CREDENTIAL_KINDS)
    log.info("email %s (%s) sent to %s via %s", email_id, row["kind"],
             _mask(row["to_address"]), where.split("/")[-1])
    return "sent"


def _order_number(db: sqlite_utils.Database, order_id: int) -> str | None:
    order = store.orders.get(db, order_id)
    return order["order_number"] if order else None


def _mask(address: str) -> str:
    # Logs carry no full customer addresses.
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def resume_stalled(db: sqlite_utils.Database, *, already_queued: Iterable[int] = (),
                   settings: Settings | None = None) -> list[int]:
    """Queue every email that is due and has no job waiting: a retry whose time came, a
    first attempt whose wake-up call was lost, one whose worker died mid-send."""
    settings = settings or get_settings()
    waiting = set(already_queued)
    ids = [email_id for email_id in store.emails.to_resume(
        db, now=clock.now_iso(), pending_before=_iso_ago(PENDING_GRACE_SECONDS),
        sending_before=_iso_ago(SENDING_LEASE_SECONDS), max_attempts=max_attempts(settings))
        if email_id not in waiting]
    for email_id in ids:
        queue.send_email(email_id)
    return ids


_last_probe = 0.0


def resume_when_reachable(db: sqlite_utils.Database, settings: Settings | None = None,
                          *, force: bool = False) -> list[int]:
    """Mail waiting because no SMTP server answered goes now if one answers again.

    Asks the server (at most every EMAIL_PROBE_SECONDS, unless `force`) only while such
    mail waits. Returns the emails made due."""
    global _last_probe
    settings = settings or get_settings()
    now = clock.now_iso()
    waiting = store.emails.waiting_for_server(db, now=now, marker=UNREACHABLE)
    if not waiting:
        return []
    if not force and time.monotonic() - _last_probe < settings.EMAIL_PROBE_SECONDS:
        return []
    _last_probe = time.monotonic()
    if not mail.probe(settings):
        return []
    with store.transaction(db):
        store.emails.retry_now(db, waiting, now=now)
    log.warning("the SMTP server answers again: %d waiting email(s) go now", len(waiting))
    return waiting


def sweep(db: sqlite_utils.Database, *, already_queued: Iterable[int] = (),
          settings: Settings | None = None) -> list[int]:
    """The worker's quick sweep: resume mail when SMTP is back, then queue what is due."""
    resume_when_reachable(db, settings)
    return resume_stalled(db, already_queued=already_queued, settings=settings)


def late_mail(db: sqlite_utils.Database) -> dict:
    """How much mail is late (a failed attempt behind it, or unsent for LATE_AFTER_SECONDS),
    since when, and how many emails gave up in the last day."""
    return store.emails.late(db, created_before=_iso_ago(LATE_AFTER_SECONDS),
                             failed_since=_iso_ago(86400))
