"""The operator's commands: `compass orders list|show`, `retry`, `refund`, `resend`,
`login-link`, `reconcile`. compass/cli.py registers them with `register(commands)`.

ORDER is an order number (ORD-2026-000123), a public id, or the numeric id.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from compass import insights, operations, store
from compass.settings import get_settings
from compass.templating import money


def _open():
    return store.open_database(get_settings().db_path)


def _order(db, reference: str) -> dict:
    order = store.insights.find_order(db, reference)
    if order is None:
        raise SystemExit(f"error: no order {reference!r}")
    return order


def _act(action: Callable[[], str]) -> int:
    try:
        print(action())
    except operations.ActionRefused as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 1
    return 0


def cmd_orders_list(args: argparse.Namespace) -> int:
    db = _open()
    rows = store.insights.search_orders(db, args.search or "", status=args.status,
                                        limit=args.limit)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['order_number']}  {row['status']:<15} {row['tier']:<8} "
              f"{money(row['amount_cents']):>8}  {row['created_at'][:16]}  "
              f"{row['email'] or '-'}  {row['company_name'] or ''}")
    print(f"{len(rows)} order(s)", file=sys.stderr)
    return 0


def cmd_orders_show(args: argparse.Namespace) -> int:
    db = _open()
    detail = insights.order_detail(db, _order(db, args.order))
    order = detail["order"]
    if args.json:
        order = {k: v for k, v in order.items() if k not in ("input_json", "result_json")}
        print(json.dumps(detail | {"order": order}, indent=2, default=str))
        return 0
    customer = detail["customer"] or {}
    totals = detail["ai_totals"]
    lines = [
        f"{order['order_number']}  {order['status']}  {order['tier']}  "
        f"{money(order['amount_cents'])}  public id {order['public_id']}",
        f"customer: {customer.get('email', '-')} ({customer.get('company_name', '')})",
        f"created {order['created_at']}  paid {order['paid_at'] or '-'}  "
        f"completed {order['completed_at'] or '-'}",
        f"progress {order['progress_percent']}%  phase {order['phase'] or '-'}  "
        f"lease {order['lease_owner'] or '-'} until {order['lease_expires_at'] or '-'}",
    ]
    if order.get("failure_reason"):
        lines.append(f"failure: {order['failure_reason']}")
    if detail["qa"]:
        lines.append(f"QA: {detail['qa'].get('score')}/10, attempts {detail['qa'].get('attempts')}")
    lines.append("timeline:")
    lines += [f"  {e['created_at']}  {e['from_status'] or '-'} → {e['to_status']}  {e['reason']}"
              for e in detail["events"]]
    lines.append(f"AI: {totals['calls']} calls, {totals['input_tokens']:,} in / "
                 f"{totals['output_tokens']:,} out / {totals['cache_read_tokens']:,} cache read "
                 f"tokens, ${totals['cost_usd']:.4f}, {totals['latency_seconds']:.1f} s")
    lines.append("payments:")
    lines += [f"  {p['provider']} {p['checkout_session_id']} {p['status']} "
              f"{money(p['amount_cents'])} {p['created_at']}" for p in detail["payments"]]
    lines.append("emails:")
    lines += [f"  {e['kind']:<22} {e['status']:<8} attempts {e['attempts']}"
              + (f"  last error: {e['last_error']}" if e["last_error"] else "")
              for e in detail["emails"]]
    if detail["refunds"]:
        lines.append("refunds:")
        lines += [f"  #{r['id']} {r['kind']} {r['status']} ${r['amount_cents'] / 100:.2f} "
                  f"{r['reason'][:80]}" for r in detail["refunds"]]
    print("\n".join(lines))
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    db = _open()
    order = _order(db, args.order)
    return _act(lambda: operations.retry_order(db, order))


def cmd_refund(args: argparse.Namespace) -> int:
    db = _open()
    order = _order(db, args.order)
    return _act(lambda: operations.refund_order(db, order, admin_email=args.by,
                                                reason=args.reason))


def cmd_resend(args: argparse.Namespace) -> int:
    db = _open()
    order = _order(db, args.order)
    return _act(lambda: operations.resend_email(db, get_settings(), order, args.kind))


def cmd_login_link(args: argparse.Namespace) -> int:
    from compass.accounts import InvalidEmail

    db = _open()
    try:
        return _act(lambda: operations.login_link(db, get_settings(), args.email))
    except InvalidEmail as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def cmd_reconcile(args: argparse.Namespace) -> int:
    from compass import reconciler

    db = _open()
    requeued = reconciler.requeue_orphans(db, grace_seconds=args.grace)
    expired = reconciler.expire_abandoned_checkouts(db)
    still = reconciler.send_still_processing(db)
    print(f"re-enqueued: {', '.join(requeued) or 'none'}\n"
          f"expired: {', '.join(expired) or 'none'}\n"
          f"still-processing emails: {', '.join(still) or 'none'}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add the operator's commands to `compass`."""
    orders = commands.add_parser("orders", help="list or show orders")
    which = orders.add_subparsers(dest="orders_command", required=True)
    listing = which.add_parser("list", help="newest first; search by number, email, company")
    listing.add_argument("search", nargs="?", help="part of a number, email or company name")
    listing.add_argument("--status", help="only orders in this status")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_orders_list)
    show = which.add_parser("show", help="timeline, AI calls, payments, emails, refunds")
    show.add_argument("order", help="order number, public id or id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_orders_show)

    retry = commands.add_parser("retry", help="queue a stuck paid order for the worker again")
    retry.add_argument("order")
    retry.set_defaults(handler=cmd_retry)

    refund = commands.add_parser("refund", help="approve, retry or create the order's refund")
    refund.add_argument("order")
    refund.add_argument("--reason", default="", help="recorded, and shown to the customer")
    refund.add_argument("--by", default="operator@cli", help="who decided (for the record)")
    refund.set_defaults(handler=cmd_refund)

    resend = commands.add_parser("resend", help="send one of the order's emails again")
    resend.add_argument("order")
    resend.add_argument("kind", choices=operations.RESENDABLE)
    resend.set_defaults(handler=cmd_resend)

    link = commands.add_parser("login-link", help="print a 15-minute sign-in link (support)")
    link.add_argument("email")
    link.set_defaults(handler=cmd_login_link)

    reconcile = commands.add_parser("reconcile", help="run the reconciler once, now")
    reconcile.add_argument("--grace", type=float, default=60,
                           help="seconds an order must be quiet before it counts as stuck")
    reconcile.set_defaults(handler=cmd_reconcile)
