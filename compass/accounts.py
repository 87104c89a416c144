"""Customer accounts: magic links, sessions, who may see what, and the account itself.

Sign-in is by email only. A link is a random token; the database keeps its SHA-256, so a
copy of the database cannot sign anyone in. A link works once and for 15 minutes. A
session is a row behind a signed cookie that carries another random token (also stored
only as a hash); it expires after 7 days without activity and can be revoked.

Admins are the addresses in ADMIN_EMAILS and sign in the same way; an admin who never
ordered has a session without a customer. Nothing here knows about HTTP: the web layer
(compass.web.accounts) reads the cookie and calls these functions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

import sqlite_utils
from pydantic import ValidationError

from compass import clock, intake, notifications, ratelimit, store
from compass.intake import COMPANY_SIZES, BusinessProfile
from compass.settings import Settings

log = logging.getLogger(__name__)

LINK_LIFETIME = dt.timedelta(minutes=15)
SESSION_IDLE_LIFETIME = dt.timedelta(days=7)
# Sliding expiry rewrites the session row at most this often (not on every request).
SESSION_TOUCH_INTERVAL = dt.timedelta(minutes=1)

LINKS_PER_EMAIL = ratelimit.Limit("login_links_per_email", 5, dt.timedelta(hours=1))
LINKS_PER_IP = ratelimit.Limit("login_links_per_ip", 20, dt.timedelta(hours=1))

LinkPurpose = Literal["login", "email_change"]
MailKind = Literal["magic_link", "login_invitation", "email_change"]


class InvalidEmail(ValueError):
    """Not an email address we can send to."""


class LinkRejected(Exception):
    """A link that cannot be used; `problem` is used, expired or invalid (unknown/tampered)."""

    def __init__(self, problem: Literal["used", "expired", "invalid", "taken"]):
        super().__init__(problem)
        self.problem = problem


class AccountError(ValueError):
    """The account cannot do this now; the message is for the customer."""


# -- small pieces ---------------------------------------------------------------------------






def new_token() -> str:
    """256 random bits, URL-safe: a link or session token."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(value: str) -> str:
    """The normalised address, or InvalidEmail (the same rule as the order form)."""
    try:
        return intake.normalise_email(value)
    except ValueError as exc:
        raise InvalidEmail(intake.EMAIL_HINT) from exc


def is_admin_email(settings: Settings, email: str) -> bool:
    return email.lower() in settings.admin_emails


# -- magic links ----------------------------------------------------------------------------

@dataclass(frozen=True)
class AccountEmail:
    """A message this module wants sent. `url` carries a token: never log it."""

    kind: MailKind
    to: str
    url: str
    name: str = ""


def links_allowed(db: sqlite_utils.Database, email: str, ip: str,
                  now: dt.datetime | None = None) -> bool:
    """Count a link request against both limits; False when either is used up.

    The answer depends only on the address and the IP, never on whether the address is a
    customer's, so it reveals nothing.
    """
    if not ratelimit.hit(db, LINKS_PER_IP, ip, now):
        return False
    return ratelimit.hit(db, LINKS_PER_EMAIL, email, now)


def _issue_link(db: sqlite_utils.Database, *, purpose: LinkPurpose, email: str,
                customer_id: int | None, now: dt.datetime) -> str:
    token = new_token()
    store.customers.insert_login_token(
        db, token_hash=token_hash(token), purpose=purpose, email=email,
        customer_id=customer_id, created_at=clock.iso(now),
        expires_at=clock.iso(now + LINK_LIFETIME))
    return token


def _login_message(db: sqlite_utils.Database, settings: Settings, email: str,
                   next_path: str | None, now: dt.datetime) -> tuple[AccountEmail, str | None]:
    """(what `email` should receive, the new token or None). In the caller's transaction."""
    base = settings.BASE_URL.rstrip("/")
    customer = store.customers.by_email(db, email)
    if customer is None and not is_admin_email(settings, email):
        return AccountEmail(kind="login_invitation", to=email, url=f"{base}/order/new"), None
    token = _issue_link(db, purpose="login", email=email,
                        customer_id=customer["id"] if customer else None, now=now)
    store.customers.prune_login_tokens(db, clock.iso(now - dt.timedelta(days=1)))
    url = f"{base}/login/{token}"
    if next_path and safe_next(next_path):
        url += "?next=" + quote(next_path, safe="/")
    return AccountEmail(kind="magic_link", to=email, url=url,
                        name=customer["name"] if customer else ""), token


def prepare_login_email(db: sqlite_utils.Database, settings: Settings, email: str, *,
                        next_path: str | None = None,
                        now: dt.datetime | None = None) -> AccountEmail:
    """A sign-in link for a customer or an admin, sending nothing (support passes it on);
    for anyone else the invitation they would be sent, with no link."""
    with store.transaction(db):
        message, _ = _login_message(db, settings, email, next_path, now or clock.now())
    return message


def send_login_email(db: sqlite_utils.Database, settings: Settings, email: str, *,
                     next_path: str | None = None,
                     now: dt.datetime | None = None) -> AccountEmail:
    """Queue what someone who asked to sign in as `email` receives, and return it.

    A customer or an admin gets a sign-in link; anyone else gets an invitation to order
    (so the page they saw could not tell them which it was). The link's token and its
    email are written in one transaction; the email is queued once that commits.
    """
    base = settings.BASE_URL.rstrip("/")
    with store.transaction(db):
        message, token = _login_message(db, settings, email, next_path, now or clock.now())
        if token is None:
            notifications.queue_account_email(
                db, kind="login_invitation", to=email, key=secrets.token_hex(12),
                context={"order_url": f"{base}/order/new?tier=standard",
                         "login_url": f"{base}/login"})
        else:
            notifications.queue_magic_link(
                db, to=email, link=message.url,
                minutes_valid=int(LINK_LIFETIME.total_seconds() // 60),
                token_key=token_hash(token)[:32])
    return message


def safe_next(path: str | None) -> str | None:
    """A local path to return to after sign-in, or None (never another site)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path \
            or len(path) > 500 or any(ord(c) < 32 for c in path):
        return None
    return path


def check_link(db: sqlite_utils.Database, token: str, purpose: LinkPurpose, *,
               now: dt.datetime | None = None) -> dict:
    """The link's token row if it could be used now, or LinkRejected. Writes nothing.

    Opening a link only looks it up: mail scanners fetch every link in a message, so the
    link is used (and a session opened) only by the button on the page it opens.
    """
    now = now or clock.now()
    if not token or len(token) > 100:
        raise LinkRejected("invalid")
    row = store.customers.get_login_token(db, token_hash(token))
    if row is None or row["purpose"] != purpose:
        raise LinkRejected("invalid")
    if row["used_at"] is not None:
        raise LinkRejected("used")
    if clock.parse(row["expires_at"]) <= now:
        raise LinkRejected("expired")
    return row


def _redeem(db: sqlite_utils.Database, token: str, purpose: LinkPurpose,
            now: dt.datetime) -> dict:
    """Use the link once (inside the caller's transaction); the token row, or LinkRejected."""
    row = check_link(db, token, purpose, now=now)
    if not store.customers.use_login_token(db, row["id"], clock.iso(now)):
        raise LinkRejected("used")
    return row


def _link_account(db: sqlite_utils.Database, settings: Settings,
                  row: dict) -> tuple[dict | None, str]:
    """(the live customer or None for an admin, the address) a sign-in link is for."""
    customer = (store.customers.get(db, row["customer_id"]) if row["customer_id"]
                else store.customers.by_email(db, row["email"]))
    if customer is not None and customer["deleted_at"] is not None:
        customer = None
    email = customer["email"] if customer else row["email"]
    if customer is None and not is_admin_email(settings, email):
        raise LinkRejected("invalid")
    return customer, email


def login_link_email(db: sqlite_utils.Database, settings: Settings, token: str, *,
                     now: dt.datetime | None = None) -> str:
    """The address a sign-in link would sign in as, or LinkRejected. Uses nothing up."""
    return _link_account(db, settings, check_link(db, token, "login", now=now))[1]


def email_change_target(db: sqlite_utils.Database, token: str, *,
                        now: dt.datetime | None = None) -> str:
    """The new address a confirmation link would move the account to, or LinkRejected."""
    return check_link(db, token, "email_change", now=now)["email"]


@dataclass(frozen=True)
class NewSession:
    token: str  # goes in the signed cookie; only its hash is stored
    customer_id: int | None
    email: str


def sign_in_with_link(db: sqlite_utils.Database, settings: Settings, token: str, *,
                      now: dt.datetime | None = None) -> NewSession:
    """Use a sign-in link and open a session, or raise LinkRejected."""
    now = now or clock.now()
    with store.transaction(db):
        customer, email = _link_account(db, settings, _redeem(db, token, "login", now))
        session = _open_session(db, customer["id"] if customer else None, email, now)
    log.info("signed in: customer %s%s", customer["id"] if customer else "-",
             " (admin)" if is_admin_email(settings, email) else "")
    return session


# -- sessions -------------------------------------------------------------------------------

def _open_session(db: sqlite_utils.Database, customer_id: int | None, email: str,
                  now: dt.datetime) -> NewSession:
    token = new_token()
    store.customers.insert_session(
        db, token_hash=token_hash(token), customer_id=customer_id, email=email,
        now=clock.iso(now), expires_at=clock.iso(now + SESSION_IDLE_LIFETIME))
    store.customers.prune_sessions(db, clock.iso(now - dt.timedelta(days=30)))
    return NewSession(token=token, customer_id=customer_id, email=email)


@dataclass(frozen=True)
class Principal:
    """Who a live session belongs to."""

    session_id: int
    customer: dict | None
    email: str
    is_admin: bool

    @property
    def customer_id(self) -> int | None:
        return self.customer["id"] if self.customer else None


def session_principal(db: sqlite_utils.Database, settings: Settings, token: str, *,
                      now: dt.datetime | None = None) -> Principal | None:
    """The signed-in person for a session token, sliding its expiry; None when not live."""
    now = now or clock.now()
    row = store.customers.get_session(db, token_hash(token))
    if row is None or row["revoked_at"] is not None or clock.parse(row["expires_at"]) <= now:
        return None
    if now - clock.parse(row["last_seen_at"]) >= SESSION_TOUCH_INTERVAL:
        with store.transaction(db):
            store.customers.touch_session(db, row["id"], now=clock.iso(now),
                                          expires_at=clock.iso(now + SESSION_IDLE_LIFETIME))
    customer = store.customers.get(db, row["customer_id"]) if row["customer_id"] else \
        store.customers.by_email(db, row["email"])  # an admin who has since ordered
    if customer is not None and customer["deleted_at"] is not None:
        return None
    email = customer["email"] if customer else row["email"]
    admin = is_admin_email(settings, email)
    if customer is None and not admin:
        return None
    return Principal(session_id=row["id"], customer=customer, email=email, is_admin=admin)


def sign_out(db: sqlite_utils.Database, token: str) -> None:
    with store.transaction(db):
        store.customers.revoke_session(db, token_hash(token), clock.now_iso())


# -- authorization --------------------------------------------------------------------------

def owns_order(principal: Principal | None, order: dict | None) -> bool:
    """True when the order belongs to the signed-in customer (admins are not owners)."""
    return bool(principal and principal.customer and order
                and order.get("customer_id") == principal.customer["id"])


# -- the account page -----------------------------------------------------------------------

def validate_profile(values: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(clean profile, errors by field): the order form's rules for the same fields."""
    try:
        clean = BusinessProfile.model_validate(values | {"contact_name": values.get("name", "")})
    except ValidationError as exc:
        errors = intake.field_errors(exc)
        if "contact_name" in errors:
            errors["name"] = errors.pop("contact_name")
        return {}, errors
    return {"name": clean.contact_name, "company_name": clean.company_name,
            "company_website": clean.company_website, "industry": clean.industry,
            "company_size": clean.company_size}, {}


def update_profile(db: sqlite_utils.Database, customer_id: int, profile: dict[str, str]) -> None:
    with store.transaction(db):
        store.customers.update_profile(db, customer_id, **profile)


def request_email_change(db: sqlite_utils.Database, settings: Settings, customer: dict,
                         new_email: str, *, now: dt.datetime | None = None) -> AccountEmail:
    """Queue a confirmation link to the new address; nothing changes until it is followed."""
    now = now or clock.now()
    if new_email == customer["email"]:
        raise AccountError("That is already your email address.")
    with store.transaction(db):
        token = _issue_link(db, purpose="email_change", email=new_email,
                            customer_id=customer["id"], now=now)
        message = AccountEmail(kind="email_change", to=new_email, name=customer["name"],
                               url=f"{settings.BASE_URL.rstrip('/')}/account/email/{token}")
        notifications.queue_account_email(
            db, kind="email_change", to=new_email, key=token_hash(token)[:32],
            context={"link": message.url, "contact_name": customer["name"],
                     "minutes_valid": int(LINK_LIFETIME.total_seconds() // 60)})
    return message


def confirm_email_change(db: sqlite_utils.Database, token: str, *,
                         now: dt.datetime | None = None) -> str:
    """Follow the new address's confirmation link; the new email, or LinkRejected."""
    now = now or clock.now()
    with store.transaction(db):
        row = _redeem(db, token, "email_change", now)
        customer = store.customers.get(db, row["customer_id"]) if row["customer_id"] else None
        if customer is None or customer["deleted_at"] is not None:
            raise LinkRejected("invalid")
        if not store.customers.change_email(db, customer["id"], row["email"]):
            raise LinkRejected("taken")
    log.info("customer %s changed their email address", customer["id"])
    return row["email"]


def export_data(db: sqlite_utils.Database, customer: dict) -> dict:
    """Everything we hold about the customer, as one JSON-ready document."""
    tables = store.customers.export(db, customer["id"])
    for order in tables["orders"]:
        # Stored as JSON text; exported as the objects they are.
        for column in ("input_json", "result_json"):
            raw = order.pop(column)
            order[column.removesuffix("_json")] = json.loads(raw) if raw else None
    profile = {key: customer[key] for key in ("email", "name", "company_name", "company_website",
                                              "industry", "company_size", "created_at",
                                              "updated_at")}
    return {"exported_at": clock.now_iso(), "customer": profile} | tables


# Orders in these states would lose work or money if their customer vanished mid-way.
_BLOCKING_STATUSES = frozenset({"paid", "processing"})


def delete_account(db: sqlite_utils.Database, settings: Settings, customer: dict, *,
                   now: dt.datetime | None = None) -> None:
    """Erase the customer's personal data; keep orders, payments and refunds as records.

    Refuses (AccountError) while an order is being produced or a refund is under way, so
    nothing paid for is lost half-way.
    """
    now = now or clock.now()
    with store.transaction(db):
        orders = store.orders.for_customer(db, customer["id"])
        if any(o["status"] in _BLOCKING_STATUSES for o in orders):
            raise AccountError("One of your reports is still being prepared. Please delete "
                               "your account once it is ready (or refunded).")
        if any(o["refund_status"] in ("pending_review", "processing") for o in orders):
            raise AccountError("A refund of yours is still being processed. Please delete "
                               "your account once it has gone through.")
        if any(o["revision_status"] in ("queued", "running") for o in orders):
            raise AccountError("A revision of your report is under way. Please delete your "
                               "account once it is ready.")
        placeholder = f"deleted-customer-{customer['id']}@deleted.invalid"
        erased_input = json.dumps({"company_name": "Deleted customer", "contact_name": "",
                                   "email": placeholder, "company_website": "", "industry": "",
                                   "company_size": "", "prompt": "", "pain_point": "",
                                   "erased_at": clock.iso(now)})
        pdfs = store.customers.anonymise(db, customer["id"], placeholder_email=placeholder,
                                         order_input_json=erased_input, now=clock.iso(now))
    reports = (settings.COMPASS_DATA_DIR / "reports").resolve()
    for relative in pdfs:
        path = (settings.COMPASS_DATA_DIR / relative).resolve()
        if path.is_relative_to(reports):
            path.unlink(missing_ok=True)
    log.info("customer %s deleted their account (personal data erased)", customer["id"])


def order_again_values(db: sqlite_utils.Database, customer: dict) -> dict[str, str]:
    """The order form prefilled from the latest order, with the account's current details."""
    values: dict[str, str] = {}
    latest = store.orders.latest_for_customer(db, customer["id"])
    if latest is not None:
        try:
            # Numbers too: the readiness volumes are prefilled like the text answers.
            values = {k: v if isinstance(v, str) else f"{v:g}"
                      for k, v in json.loads(latest["input_json"]).items()
                      if isinstance(v, str) or (isinstance(v, int | float)
                                                and not isinstance(v, bool))}
        except ValueError:
            values = {}
        values["tier"] = latest["tier"]
    details = {"contact_name": customer["name"], "company_name": customer["company_name"],
               "company_website": customer["company_website"], "industry": customer["industry"],
               "company_size": customer["company_size"], "email": customer["email"]}
    values |= {k: v for k, v in details.items() if v}
    if values.get("company_size") not in COMPANY_SIZES:
        values.pop("company_size", None)
    values.pop("erased_at", None)
    return values

