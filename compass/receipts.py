"""Receipts: one PDF per payment, attached to the payment confirmation and downloadable
from the status page.

A receipt states who sold what to whom, for how much, when and under which reference, and
the refund policy in one line. The seller block is a constant until the business's legal
details live in configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from compass import templating
from compass.report import date_label
from compass.settings import Business
from compass.tiers import get_tier

SELLER_NAME = "AI Readiness Compass"
SELLER_ADDRESS = ("AI automation reports for small businesses", "Sold and delivered online")
REFUND_POLICY_LINE = ("Full refund on request within 7 days of payment if the report has not "
                      "been downloaded; automatic full refund if we cannot deliver it.")


class ReceiptError(ValueError):
    """There is no payment to issue a receipt for."""


@dataclass(frozen=True)
class Receipt:
    receipt_number: str
    order_number: str
    tier_label: str
    description: str
    amount: str
    currency: str
    paid_on: str
    payment_reference: str
    customer_name: str
    customer_email: str
    company_name: str
    seller_name: str
    seller_address: tuple[str, ...]
    refund_policy: str
    refund_policy_url: str


def build_receipt(order: dict, payment: dict | None, customer: dict | None, *,
                  base_url: str, support_email: str, seller: Business | None = None) -> Receipt:
    """The receipt of a paid order. Raises ReceiptError when the order was never paid."""
    if payment is None or not order.get("paid_at"):
        raise ReceiptError(f"order {order['order_number']} has no payment to issue a receipt for")
    tier = get_tier(order["tier"])
    customer = customer or {}
    reference = payment.get("payment_intent_id") or payment.get("checkout_session_id") or ""
    return Receipt(
        receipt_number=f"R-{order['order_number'].removeprefix('ORD-')}",
        order_number=order["order_number"],
        tier_label=tier.label,
        description=(f"AI Readiness Compass — {tier.label} report: {tier.workflow_count} AI "
                     f"automation workflows, delivered within {tier.delivery_hours} hours"),
        amount=templating.money(payment["amount_cents"], payment["currency"]),
        currency=payment["currency"].upper(),
        paid_on=date_label(order["paid_at"]),
        payment_reference=reference,
        customer_name=customer.get("name") or "",
        customer_email=customer.get("email") or "",
        company_name=customer.get("company_name") or "",
        seller_name=seller.name if seller else SELLER_NAME,
        seller_address=((*seller.address, seller.contact) if seller
                        else (*SELLER_ADDRESS, support_email)),
        refund_policy=REFUND_POLICY_LINE,
        refund_policy_url=f"{base_url.rstrip('/')}/refund-policy",
    )


def receipt_html(receipt: Receipt) -> str:
    return templating.render("receipts/receipt.html", receipt=receipt)
