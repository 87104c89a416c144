"""Customers and how they sign in: customers, login_tokens, sessions.

Also the account page's data export and erasure, which reach into every table that
holds a customer's data (so those two statements live here, with the customer).
"""

from __future__ import annotations

import sqlite_utils

from compass.clock import now_iso
from compass.store.sqlite import fetch_all, fetch_one, inserted_id


def upsert(db: sqlite_utils.Database, *, email: str, name: str, company_name: str,
           company_website: str, industry: str, company_size: str,
           refresh: bool = True) -> int:
    """The customer with this (lower-cased) email, created with these details, or refreshed
    with them when `refresh` (never from a signed-out order: anyone can type an address)."""
    now = now_iso()
    on_conflict = (" ON CONFLICT(email) DO UPDATE SET name = excluded.name,"
                   " company_name = excluded.company_name,"
                   " company_website = excluded.company_website, industry = excluded.industry,"
                   " company_size = excluded.company_size, updated_at = excluded.updated_at"
                   if refresh else " ON CONFLICT(email) DO NOTHING")
    insert = ("INSERT INTO customers (email, name, company_name, company_website, industry,"
              " company_size, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    db.conn.execute(
        insert + on_conflict,
        (email.lower(), name, company_name, company_website, industry, company_size, now, now),
    )
    row = fetch_one(db, "SELECT id FROM customers WHERE email = ?", [email.lower()])
    assert row is not None
    return int(row["id"])


def get(db: sqlite_utils.Database, customer_id: int) -> dict | None:
    return fetch_one(db, "SELECT * FROM customers WHERE id = ?", [customer_id])


def by_email(db: sqlite_utils.Database, email: str) -> dict | None:
    """A live (not deleted) customer with this lower-cased email."""
    return fetch_one(db, "SELECT * FROM customers WHERE email = ? AND deleted_at IS NULL",
                     [email.lower()])


def insert_login_token(db: sqlite_utils.Database, *, token_hash: str, purpose: str, email: str,
                       customer_id: int | None, created_at: str, expires_at: str) -> int:
    cursor = db.conn.execute(
        "INSERT INTO login_tokens (token_hash, purpose, email, customer_id, created_at,"
        " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        (token_hash, purpose, email, customer_id, created_at, expires_at),
    )
    return inserted_id(cursor)


def get_login_token(db: sqlite_utils.Database, token_hash: str) -> dict | None:
    return fetch_one(db, "SELECT * FROM login_tokens WHERE token_hash = ?", [token_hash])


def use_login_token(db: sqlite_utils.Database, token_id: int, used_at: str) -> bool:
    """Mark the link used; False when it already was (it works once)."""
    cursor = db.conn.execute("UPDATE login_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL",
                             (used_at, token_id))
    return cursor.rowcount == 1


def prune_login_tokens(db: sqlite_utils.Database, expired_before: str) -> None:
    db.conn.execute("DELETE FROM login_tokens WHERE expires_at < ?", (expired_before,))


def insert_session(db: sqlite_utils.Database, *, token_hash: str, customer_id: int | None,
                   email: str, now: str, expires_at: str) -> int:
    cursor = db.conn.execute(
        "INSERT INTO sessions (token_hash, customer_id, email, created_at, last_seen_at,"
        " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        (token_hash, customer_id, email, now, now, expires_at),
    )
    return inserted_id(cursor)


def get_session(db: sqlite_utils.Database, token_hash: str) -> dict | None:
    return fetch_one(db, "SELECT * FROM sessions WHERE token_hash = ?", [token_hash])


def touch_session(db: sqlite_utils.Database, session_id: int, *, now: str,
                  expires_at: str) -> None:
    db.conn.execute("UPDATE sessions SET last_seen_at = ?, expires_at = ?"
                    " WHERE id = ? AND revoked_at IS NULL", (now, expires_at, session_id))


def revoke_session(db: sqlite_utils.Database, token_hash: str, now: str) -> None:
    db.conn.execute("UPDATE sessions SET revoked_at = ? WHERE token_hash = ?"
                    " AND revoked_at IS NULL", (now, token_hash))


def prune_sessions(db: sqlite_utils.Database, before: str) -> None:
    db.conn.execute("DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?",
                    (before, before))


_PROFILE_COLUMNS = frozenset({"name", "company_name", "company_website", "industry",
                              "company_size"})


def update_profile(db: sqlite_utils.Database, customer_id: int, **fields: str) -> None:
    unknown = set(fields) - _PROFILE_COLUMNS
    if unknown:
        raise ValueError(f"not profile columns: {sorted(unknown)}")
    fields_ = dict(fields) | {"updated_at": now_iso()}
    assignments = ", ".join(f"{name} = :{name}" for name in fields_)
    db.conn.execute(f"UPDATE customers SET {assignments} WHERE id = :_id",  # noqa: S608 - column names are ours
                    fields_ | {"_id": customer_id})


def change_email(db: sqlite_utils.Database, customer_id: int, email: str) -> bool:
    """Give the customer a new (lower-cased) email; False when another customer has it."""
    email = email.lower()
    taken = fetch_one(db, "SELECT id FROM customers WHERE email = ? AND id != ?",
                      [email, customer_id])
    if taken is not None:
        return False
    db.conn.execute("UPDATE customers SET email = ?, updated_at = ? WHERE id = ?",
                    (email, now_iso(), customer_id))
    db.conn.execute("UPDATE sessions SET email = ? WHERE customer_id = ?", (email, customer_id))
    return True


def export(db: sqlite_utils.Database, customer_id: int) -> dict[str, list[dict]]:
    """Every row we hold about the customer, table by table (the data export)."""
    return {
        "orders": fetch_all(db, "SELECT public_id, order_number, tier, status, amount_cents,"
                           " discount_cents, currency, input_json, result_json, created_at,"
                           " paid_at, completed_at, failure_reason, downloads_count,"
                           " last_downloaded_at"
                           " FROM orders WHERE customer_id = ? ORDER BY id", [customer_id]),
        "payments": fetch_all(db, "SELECT o.order_number, p.provider, p.payment_intent_id,"
                             " p.amount_cents, p.currency, p.status, p.created_at"
                             " FROM payments p JOIN orders o ON o.id = p.order_id"
                             " WHERE o.customer_id = ? ORDER BY p.id", [customer_id]),
        "refunds": fetch_all(db, "SELECT o.order_number, r.kind, r.status, r.amount_cents,"
                            " r.currency, r.reason, r.requested_at, r.completed_at"
                            " FROM refunds r JOIN orders o ON o.id = r.order_id"
                            " WHERE o.customer_id = ? ORDER BY r.id", [customer_id]),
        "revisions": fetch_all(db, "SELECT o.order_number, v.number, v.notes, v.status,"
                              " v.requested_at, v.completed_at FROM revisions v"
                              " JOIN orders o ON o.id = v.order_id WHERE o.customer_id = ?"
                              " ORDER BY v.id", [customer_id]),
        "emails": fetch_all(db, "SELECT o.order_number, e.kind, e.to_address, e.subject, e.status,"
                           " e.created_at, e.sent_at FROM emails e"
                           " LEFT JOIN orders o ON o.id = e.order_id"
                           " WHERE o.customer_id = ? ORDER BY e.id", [customer_id]),
        "sessions": fetch_all(db, "SELECT created_at, last_seen_at, expires_at, revoked_at"
                             " FROM sessions WHERE customer_id = ? ORDER BY id", [customer_id]),
        # Both sides of a referral: friends' orders are named only by number, and a reward
        # code only to the referrer it was made for.
        "referrals": fetch_all(db, "SELECT CASE WHEN f.referrer_id = ? THEN 'you referred'"
                              " ELSE 'you were referred' END AS role, o.order_number,"
                              " f.status, CASE WHEN f.referrer_id = ? THEN f.reward_code END"
                              " AS reward_code, f.created_at, f.rewarded_at FROM referrals f"
                              " JOIN orders o ON o.id = f.order_id"
                              " WHERE f.referrer_id = ? OR f.referred_id = ? ORDER BY f.id",
                              [customer_id] * 4),
    }


def anonymise(db: sqlite_utils.Database, customer_id: int, *, placeholder_email: str,
                       order_input_json: str, now: str) -> list[str]:
    """Erase the customer's personal data, keeping orders, payments and refunds as records.

    Returns the stored report PDF paths of the customer's orders (the caller deletes the
    files). Call inside a write transaction.
    """
    old = fetch_one(db, "SELECT email FROM customers WHERE id = ?", [customer_id])
    pdfs = [row["pdf_path"] for row in db.query(
        "SELECT pdf_path FROM report_versions WHERE order_id IN"
        " (SELECT id FROM orders WHERE customer_id = ?)",
        [customer_id])]
    db.conn.execute(
        "UPDATE customers SET email = ?, name = '', company_name = '', company_website = '',"
        " industry = '', company_size = '', referral_code = NULL, deleted_at = ?,"
        " updated_at = ? WHERE id = ?",
        (placeholder_email, now, now, customer_id))
    db.conn.execute(
        "UPDATE orders SET input_json = ?, result_json = NULL, failure_reason = NULL,"
        " report_pdf_path = NULL, updated_at = ? WHERE customer_id = ?",
        (order_input_json, now, customer_id))
    db.conn.execute("UPDATE ai_calls SET response_text = NULL WHERE order_id IN"
                    " (SELECT id FROM orders WHERE customer_id = ?)",
                    (customer_id,))
    db.conn.execute("UPDATE refunds SET reason = '' WHERE order_id IN"
                    " (SELECT id FROM orders WHERE customer_id = ?)",
                    (customer_id,))
    db.conn.execute("UPDATE revisions SET notes = '', base_result_json = '{}',"
                    " result_json = NULL WHERE order_id IN"
                    " (SELECT id FROM orders WHERE customer_id = ?)", (customer_id,))
    db.conn.execute("UPDATE emails SET to_address = ?, context_json = '{}' WHERE order_id IN"
                    " (SELECT id FROM orders WHERE customer_id = ?)",
                    (placeholder_email, customer_id))
    db.conn.execute("DELETE FROM sessions WHERE customer_id = ?", (customer_id,))
    if old is not None:
        db.conn.execute("DELETE FROM login_tokens WHERE customer_id = ? OR email = ?",
                        (customer_id, old["email"]))
        db.conn.execute("DELETE FROM rate_limit_hits WHERE key = ?", (old["email"],))
        db.conn.execute("UPDATE emails SET to_address = ?, context_json = '{}'"
                        " WHERE to_address = ?", (placeholder_email, old["email"]))
    return pdfs
