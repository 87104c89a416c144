"""Referrals and discounts: "refer friends for a discount" (the returning-customer journey).

Each customer has a referral link (`/order/new?ref=CODE`, on the dashboard). A friend who
orders through it gets REFERRAL_DISCOUNT_PERCENT off that first order: a Stripe coupon
(made once, under a fixed id, so making it again is harmless) applied through the Checkout
Session's `discounts`. When that order is delivered and the refund window
(refunds.AUTO_APPROVE_DAYS after payment) has passed without a refund or a dispute, the
referrer gets a one-use promotion code (`max_redemptions: 1`) for REFERRAL_REWARD_PERCENT
off a next order, by email. Any promotion code (a reward, or one made in Stripe's
dashboard) may be typed into the order form's `promotion_code` field.

Abuse rules, checked when the order is placed: no self-referral (the referrer's own email,
plus-addressed variants included, or the referrer signed in); a friend who has paid for
an order before gets no referral discount; one discount per order (Stripe accepts one).
And when an order becomes paid: only the friend's first paid order counts, and each friend
earns their referrer one reward at most (a unique index says so too).

Making a reward is exactly-once the same way refunds are: the code is chosen and stored
(`rewarding`) before Stripe is called with an idempotency key made from the referral, so a
retry after a crash or a lost answer makes the same promotion code, never a second one.

`Promotions` talks to Stripe (the official SDK) or, in development without
STRIPE_SECRET_KEY, to local Stripe-shaped objects the dev checkout honours.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

import sqlite_utils
import stripe

from compass import clock, notifications, refunds, store
from compass.settings import Settings
from compass.stripe_client import describe_error, stripe_client

log = logging.getLogger(__name__)

# The refund window: a reward is made only once a refund can no longer be automatic.
REWARD_AFTER = dt.timedelta(days=refunds.AUTO_APPROVE_DAYS)
# Reward codes read aloud and typed: no 0/O or 1/I.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def referral_coupon_id(percent: int) -> str:
    return f"compass-referral-{percent}-off"


def reward_coupon_id(percent: int) -> str:
    return f"compass-referral-thanks-{percent}-off"


class DiscountRefused(Exception):
    """The order form's referral link or code cannot be used; `field` is the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class PromotionsUnavailable(Exception):
    """Stripe could not be reached, or refused to make a coupon or promotion code."""


@dataclass(frozen=True)
class Discount:
    """A discount applied when the order is placed."""
    cents: int
    entry: dict[str, str]  # the Checkout Session's `discounts` entry
    referrer_id: int | None = None


@dataclass(frozen=True)
class PromotionCode:
    id: str
    code: str
    active: bool
    percent_off: float | None
    amount_off: int | None
    currency: str | None

    def discount_on(self, amount: int, currency: str) -> int:
        return coupon_discount({"percent_off": self.percent_off, "amount_off": self.amount_off,
                                "currency": self.currency}, amount, currency)


def coupon_discount(coupon: dict, amount: int, currency: str) -> int:
    """What a coupon takes off `amount`: a percentage (rounded to the cent) or a fixed
    amount in the same currency, never more than the amount."""
    if coupon.get("percent_off"):
        return min(amount, round(amount * float(coupon["percent_off"]) / 100))
    if coupon.get("amount_off") and (coupon.get("currency") or "").lower() == currency.lower():
        return min(amount, int(coupon["amount_off"]))
    return 0


class Promotions(Protocol):
    provider: str

    async def ensure_coupon(self, coupon_id: str, *, percent_off: int, name: str) -> None: ...

    async def find_code(self, code: str) -> PromotionCode | None: ...

    async def create_code(self, *, coupon_id: str, code: str, idempotency_key: str,
                          metadata: dict[str, str]) -> str: ...


class StripePromotions:
    """Coupons and promotion codes through the official SDK."""

    provider = "stripe"

    def __init__(self, settings: Settings):
        self.client = stripe_client(settings)

    async def ensure_coupon(self, coupon_id: str, *, percent_off: int, name: str) -> None:
        """Make the coupon unless it exists. Its id is fixed, so two processes racing (or a
        retry after a lost answer) cannot make two: Stripe refuses an id already taken."""
        try:
            await self.client.v1.coupons.retrieve_async(coupon_id)
            return
        except stripe.InvalidRequestError as exc:
            if exc.http_status != 404:
                raise PromotionsUnavailable(describe_error(exc)) from exc
        except stripe.StripeError as exc:
            raise PromotionsUnavailable(describe_error(exc)) from exc
        try:
            await self.client.v1.coupons.create_async(
                {"id": coupon_id, "percent_off": float(percent_off), "duration": "once",
                 "name": name},
                {"idempotency_key": f"coupon-{coupon_id}"})
        except stripe.InvalidRequestError as exc:
            if exc.code != "resource_already_exists":
                raise PromotionsUnavailable(describe_error(exc)) from exc
        except stripe.StripeError as exc:
            raise PromotionsUnavailable(describe_error(exc)) from exc

    async def find_code(self, code: str) -> PromotionCode | None:
        try:
            found = await self.client.v1.promotion_codes.list_async(
                {"code": code, "active": True, "limit": 1})
            if not found.data:
                return None
            promo = found.data[0].to_dict()
            coupon_id = (promo.get("promotion") or {}).get("coupon") or promo.get("coupon")
            if isinstance(coupon_id, dict):
                coupon = coupon_id
            else:
                coupon = (await self.client.v1.coupons.retrieve_async(str(coupon_id))).to_dict()
        except stripe.StripeError as exc:
            raise PromotionsUnavailable(describe_error(exc)) from exc
        return _promotion_code(promo, coupon)

    async def create_code(self, *, coupon_id: str, code: str, idempotency_key: str,
                          metadata: dict[str, str]) -> str:
        try:
            promo = await self.client.v1.promotion_codes.create_async(
                {"promotion": {"type": "coupon", "coupon": coupon_id}, "code": code,
                 "max_redemptions": 1, "metadata": metadata},
                {"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise PromotionsUnavailable(describe_error(exc)) from exc
        return str(promo.id)


def _promotion_code(promo: dict, coupon: dict) -> PromotionCode:
    return PromotionCode(id=promo["id"], code=promo["code"], active=bool(promo.get("active"))
                         and bool(coupon.get("valid", True)),
                         percent_off=coupon.get("percent_off"), amount_off=coupon.get("amount_off"),
                         currency=coupon.get("currency"))


class DevPromotions:
    """Development only: Stripe-shaped coupons and promotion codes in the database, which
    the dev checkout applies and redeems (compass.payments.DevCheckout)."""

    provider = "dev"

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    async def ensure_coupon(self, coupon_id: str, *, percent_off: int, name: str) -> None:
        with store.transaction(self.db):
            if store.referrals.get_dev_promotion(self.db, coupon_id) is None:
                store.referrals.put_dev_promotion(
                    self.db, object_id=coupon_id, kind="coupon", code=None, body_json=json.dumps(
                        {"id": coupon_id, "object": "coupon", "percent_off": percent_off,
                         "amount_off": None, "currency": None, "duration": "once",
                         "name": name, "valid": True, "times_redeemed": 0}))

    async def find_code(self, code: str) -> PromotionCode | None:
        raw = store.referrals.dev_promotion_by_code(self.db, code)
        if raw is None:
            return None
        promo = json.loads(raw)
        coupon = json.loads(store.referrals.get_dev_promotion(
            self.db, promo["promotion"]["coupon"]) or "{}")
        found = _promotion_code(promo, coupon)
        return found if found.active else None

    async def create_code(self, *, coupon_id: str, code: str, idempotency_key: str,
                          metadata: dict[str, str]) -> str:
        promo_id = "promo_dev_" + idempotency_key.rsplit("-", 1)[-1] + "_" + code
        with store.transaction(self.db):
            if store.referrals.get_dev_promotion(self.db, promo_id) is None:
                store.referrals.put_dev_promotion(
                    self.db, object_id=promo_id, kind="promotion_code", code=code,
                    body_json=json.dumps({
                        "id": promo_id, "object": "promotion_code", "code": code,
                        "active": True, "max_redemptions": 1, "times_redeemed": 0,
                        "promotion": {"type": "coupon", "coupon": coupon_id},
                        "metadata": metadata}))
        return promo_id


def promotions_for(settings: Settings, db: sqlite_utils.Database) -> Promotions:
    if settings.STRIPE_SECRET_KEY is not None:
        return StripePromotions(settings)
    if settings.is_production:
        raise RuntimeError("production needs STRIPE_SECRET_KEY (dev promotions are dev only)")
    return DevPromotions(db)


# -- the dev checkout's side of discounts (compass.payments.DevCheckout) ----------------------

def dev_session_discount(db: sqlite_utils.Database, entries: list[dict], amount: int,
                         currency: str) -> int:
    """What the dev checkout takes off for a session's `discounts`, refusing what Stripe
    refuses: more than one, an unknown coupon, an inactive or used-up promotion code."""
    if len(entries) > 1:
        raise ValueError("Only one discount may be applied to a Checkout Session.")
    total = 0
    for entry in entries:
        if entry.get("promotion_code"):
            raw = store.referrals.get_dev_promotion(db, entry["promotion_code"])
            promo = json.loads(raw) if raw else None
            if promo is None or not promo.get("active"):
                raise ValueError(f"This promotion code is not active: {entry['promotion_code']}")
            coupon_id = promo["promotion"]["coupon"]
        else:
            coupon_id = entry.get("coupon") or ""
        coupon_raw = store.referrals.get_dev_promotion(db, coupon_id)
        if coupon_raw is None:
            raise ValueError(f"No such coupon: '{coupon_id}'")
        total += coupon_discount(json.loads(coupon_raw), amount, currency)
    return total


def dev_redeem(db: sqlite_utils.Database, session: dict) -> None:
    """A dev session was paid: its promotion code counts one redemption (caller's
    transaction); one that reached max_redemptions is no longer active, as at Stripe."""
    for entry in session.get("discounts") or []:
        promo_id = entry.get("promotion_code")
        raw = store.referrals.get_dev_promotion(db, promo_id) if promo_id else None
        if raw is None:
            continue
        promo = json.loads(raw)
        promo["times_redeemed"] = int(promo.get("times_redeemed") or 0) + 1
        if promo.get("max_redemptions") and promo["times_redeemed"] >= promo["max_redemptions"]:
            promo["active"] = False
        store.referrals.put_dev_promotion(db, object_id=promo["id"], kind="promotion_code",
                                          code=promo["code"], body_json=json.dumps(promo))


# -- placing an order --------------------------------------------------------------------------

def referral_code(db: sqlite_utils.Database, customer_id: int) -> str:
    """The customer's referral code (made the first time it is asked for)."""
    with store.transaction(db):
        return store.referrals.referral_code_of(db, customer_id, secrets.token_urlsafe(6))


def referrer_for_link(db: sqlite_utils.Database, code: str) -> dict | None:
    return store.referrals.referrer_by_code(db, code.strip()) if code.strip() else None


def _mailbox(email: str) -> str:
    """One mailbox, however it is written: lower case, `+tag` dropped from the local part."""
    local, _, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


async def discount_for_order(db: sqlite_utils.Database, promotions: Promotions,
                             settings: Settings, *, email: str, signed_in_id: int | None,
                             price_cents: int, currency: str, referral: str,
                             promotion_code: str) -> Discount | None:
    """The discount an order placed with this form gets, or DiscountRefused (which field,
    and why, in words for the customer). Raises PromotionsUnavailable when Stripe could
    not be asked."""
    referral, promotion_code = referral.strip(), promotion_code.strip()
    if referral and promotion_code:
        raise DiscountRefused("promotion_code", "One discount per order: your referral "
                              "discount already applies, so a code cannot be added.")
    if referral:
        referrer = store.referrals.referrer_by_code(db, referral)
        if referrer is None:
            raise DiscountRefused("referral_code", "This referral link is not valid any more. "
                                  "You can still order at the full price.")
        if referrer["id"] == signed_in_id or _mailbox(referrer["email"]) == _mailbox(email):
            raise DiscountRefused("referral_code", "This is your own referral link: its "
                                  "discount is for the friends you share it with.")
        friend = store.customers.by_email(db, email)
        if friend is not None and store.referrals.has_paid_order(db, friend["id"]):
            raise DiscountRefused("referral_code", "The referral discount is for a first "
                                  "order, and this email address has ordered before.")
        percent = settings.REFERRAL_DISCOUNT_PERCENT
        coupon_id = referral_coupon_id(percent)
        await promotions.ensure_coupon(coupon_id, percent_off=percent,
                                       name=f"Referral: {percent}% off a first report")
        cents = coupon_discount({"percent_off": percent}, price_cents, currency)
        return Discount(cents=cents, entry={"coupon": coupon_id}, referrer_id=referrer["id"])
    if promotion_code:
        found = await promotions.find_code(promotion_code)
        if found is None or not found.active:
            raise DiscountRefused("promotion_code", "This code is not valid or has already "
                                  "been used.")
        return Discount(cents=found.discount_on(price_cents, currency),
                        entry={"promotion_code": found.id})
    return None


def attach(db: sqlite_utils.Database, order: dict, discount: Discount | None) -> dict:
    """Record the order's discount (and its referral) before its Checkout Session exists."""
    if discount is None:
        return order
    with store.transaction(db):
        store.referrals.set_order_discount(db, order["id"], discount_cents=discount.cents,
                                           discount_json=json.dumps(discount.entry))
        if discount.referrer_id is not None:
            store.referrals.insert(db, referrer_id=discount.referrer_id,
                                   referred_id=order["customer_id"], order_id=order["id"])
        updated = store.orders.get(db, order["id"])
    assert updated is not None
    return updated


# -- the reward ---------------------------------------------------------------------------------

def on_order_transition(db: sqlite_utils.Database, order: dict, from_status: str,
                        to_status: str) -> None:
    """The lifecycle hook (in the transition's transaction): a referred order that becomes
    paid earns a reward if it is the friend's first paid order and the friend has earned
    none yet; one refunded, failed or expired earns nothing."""
    referral = store.referrals.for_order(db, order["id"])
    if referral is None:
        return
    if to_status == "paid" and referral["status"] == "pending":
        if store.referrals.has_paid_order(db, referral["referred_id"], besides=order["id"]):
            _void(db, referral, "not the friend's first paid order")
        elif store.referrals.rewarded_or_due_for(db, referral["referred_id"]) is not None:
            _void(db, referral, "this friend already earned a reward")
        else:
            paid = clock.parse_or_none(order.get("paid_at")) or clock.now()
            store.referrals.set_status(db, referral["id"], from_statuses=("pending",),
                                       to_status="due",
                                       reward_due_at=clock.iso(paid + REWARD_AFTER))
    elif to_status in ("refunded", "failed", "expired"):
        _void(db, referral, f"order {to_status}")


def _void(db: sqlite_utils.Database, referral: dict, reason: str) -> None:
    store.referrals.set_status(db, referral["id"], from_statuses=("pending", "due"),
                               to_status="void", void_reason=reason)


def _new_reward_code() -> str:
    return "THANKS-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


def _waiting_on(db: sqlite_utils.Database, order: dict) -> str | None:
    """Why a due reward must wait (or None): the report is not delivered yet, a refund is
    asked for or under way, or the payment is disputed."""
    if order["status"] != "completed":
        return f"order {order['status']}"
    if store.refunds.live_for_order(db, order["id"]) is not None:
        return "a refund is requested"
    if order.get("dispute_status") and order["dispute_status"] != "won":
        return f"payment disputed ({order['dispute_status']})"
    return None


async def make_due_rewards(db: sqlite_utils.Database, settings: Settings,
                           promotions: Promotions | None = None, *,
                           now: dt.datetime | None = None) -> list[int]:
    """Make every reward that is due, once; returns the referral ids rewarded now. Run by
    the worker's periodic task; safe to run twice at once (compare-and-set claims)."""
    promotions = promotions or promotions_for(settings, db)
    rewarded = []
    for row in store.referrals.rewards_to_make(db, now=clock.iso(now or clock.now())):
        order = store.orders.get(db, row["order_id"])
        referrer = store.customers.get(db, row["referrer_id"])
        if row["status"] == "due":
            if order is None or referrer is None or referrer.get("deleted_at"):
                with store.transaction(db):
                    _void(db, row, "order or referrer gone")
                continue
            if _waiting_on(db, order):
                continue
            with store.transaction(db):
                if not store.referrals.set_status(db, row["id"], from_statuses=("due",),
                                                  to_status="rewarding",
                                                  reward_code=_new_reward_code()):
                    continue
            row = store.referrals.get(db, row["id"]) or row
        if await _make_reward(db, settings, promotions, row, referrer):
            rewarded.append(row["id"])
    return rewarded


async def _make_reward(db: sqlite_utils.Database, settings: Settings, promotions: Promotions,
                       row: dict, referrer: dict | None) -> bool:
    percent = settings.REFERRAL_REWARD_PERCENT
    try:
        coupon_id = reward_coupon_id(percent)
        await promotions.ensure_coupon(coupon_id, percent_off=percent,
                                       name=f"Thank you for a referral: {percent}% off")
        # Same key, same parameters on every retry (the code was stored before): a lost
        # answer replays to the same promotion code.
        promo_id = await promotions.create_code(
            coupon_id=coupon_id, code=row["reward_code"],
            idempotency_key=f"referral-reward-{row['id']}",
            metadata={"referral_id": str(row["id"]), "kind": "referral_reward"})
    except PromotionsUnavailable as exc:
        with store.transaction(db):
            store.referrals.record_error(db, row["id"], str(exc))
        log.warning("referral %s: reward not made yet: %s", row["id"], exc)
        return False
    with store.transaction(db):
        if not store.referrals.set_status(db, row["id"], from_statuses=("rewarding",),
                                          to_status="rewarded", rewarded_at=clock.now_iso(),
                                          reward_promotion_code_id=promo_id, last_error=None):
            return False
        if referrer is not None and not referrer.get("deleted_at"):
            notifications.queue_account_email(
                db, kind="referral_reward", to=referrer["email"], key=str(row["id"]),
                context=_reward_context(settings, referrer, row["reward_code"], percent))
    log.info("referral %s: reward code made and emailed", row["id"])
    return True


def _reward_context(settings: Settings, referrer: dict, code: str, percent: int) -> dict[str, Any]:
    base = settings.BASE_URL.rstrip("/")
    return {"contact_name": referrer.get("name") or "there", "code": code, "percent": percent,
            "order_url": f"{base}/order/new?again=1", "dashboard_url": f"{base}/dashboard"}


def figures(db: sqlite_utils.Database, *, since: str, until: str) -> dict:
    """Referral revenue and discounts given, for /admin (stored times, [since, until))."""
    return store.referrals.figures(db, {"since": since, "until": until})
