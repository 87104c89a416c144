"""A small local server that speaks enough of Stripe's wire format for Checkout and refunds.

The official SDK talks to it over real HTTP (STRIPE_API_BASE points here): form-encoded
requests with Stripe's bracketed nesting, Bearer authentication, idempotency keys, JSON
answers and Stripe's error envelope. Tests can read what was requested, make the next
requests fail, and mark a session paid as if the customer had completed checkout.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from compass.payments import build_event

API_KEY = "sk_test_fake_0123456789"


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's `a[b][0][c]=v` form encoding back into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node: dict = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node: object) -> object:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    params: dict


@dataclass
class FakeStripe:
    requests: list[Recorded] = field(default_factory=list)
    sessions: dict[str, dict] = field(default_factory=dict)
    # Each entry is (status, error type, message); one is used up per failed request.
    failures: list[tuple[int, str, str]] = field(default_factory=list)
    idempotent: dict[str, tuple[int, dict]] = field(default_factory=dict)
    # Refunds created (an idempotent replay returns the stored answer and creates none).
    refunds: dict[str, dict] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, count: int = 1, status: int = 500, kind: str = "api_error",
                  message: str = "An unexpected error occurred.") -> None:
        self.failures.extend([(status, kind, message)] * count)

    def complete(self, session_id: str, *, amount_total: int | None = None,
                 currency: str | None = None) -> dict:
        """The customer paid: the session becomes complete/paid (optionally tampered)."""
        session = self.sessions[session_id]
        session.update(status="complete", payment_status="paid",
                       payment_intent="pi_" + secrets.token_hex(12))
        if amount_total is not None:
            session["amount_total"] = amount_total
        if currency is not None:
            session["currency"] = currency
        return dict(session)

    def event(self, event_type: str, session_id: str) -> dict:
        return build_event(event_type, dict(self.sessions[session_id]))

    def refunds_for(self, payment_intent: str) -> list[dict]:
        return [r for r in self.refunds.values() if r["payment_intent"] == payment_intent]

    def charge_refunded_event(self, payment_intent: str) -> dict:
        """`charge.refunded` for a fully refunded payment, as Stripe sends it."""
        made = self.refunds_for(payment_intent)
        amount = sum(r["amount"] for r in made)
        charge = {"id": "ch_" + payment_intent[3:], "object": "charge",
                  "payment_intent": payment_intent, "amount": amount,
                  "amount_refunded": amount, "refunded": True, "currency": "usd",
                  "refunds": {"object": "list", "data": [dict(r) for r in made]}}
        return build_event("charge.refunded", charge)

    # -- HTTP ----------------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict[str, str],
               body: str) -> tuple[int, dict]:
        params = unflatten(parse_qsl(body, keep_blank_values=True)) if body else {}
        with self.lock:
            self.requests.append(Recorded(method, path, headers, params))
            if headers.get("authorization") != f"Bearer {API_KEY}":
                return 401, _error("invalid_request_error", "Invalid API Key provided.")
            key = headers.get("idempotency-key")
            if method == "POST" and key and key in self.idempotent:
                return self.idempotent[key]
            if self.failures:
                status, kind, message = self.failures.pop(0)
                return status, _error(kind, message)
            answer = self._route(method, path, params)
            if method == "POST" and key and answer[0] == 200:
                self.idempotent[key] = answer
            return answer

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return 200, self._create_session(params)
        if method == "POST" and path == "/v1/refunds":
            return self._create_refund(params)
        match = re.fullmatch(r"/v1/checkout/sessions/([\w-]+)", path)
        if method == "GET" and match:
            session = self.sessions.get(match.group(1))
            if session is None:
                return 404, _error("invalid_request_error",
                                   f"No such checkout.session: '{match.group(1)}'",
                                   code="resource_missing")
            return 200, session
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({method} {path})")

    def _create_session(self, params: dict) -> dict:
        item = params["line_items"][0]
        price = item["price_data"]
        session_id = "cs_test_" + secrets.token_urlsafe(30).replace("-", "a").replace("_", "b")
        session = {
            "id": session_id, "object": "checkout.session", "livemode": False,
            "mode": params["mode"], "status": "open", "payment_status": "unpaid",
            "amount_subtotal": int(price["unit_amount"]) * int(item["quantity"]),
            "amount_total": int(price["unit_amount"]) * int(item["quantity"]),
            "currency": price["currency"], "customer_email": params.get("customer_email"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}), "payment_intent": None,
            "success_url": params["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id),
            "cancel_url": params["cancel_url"], "created": int(time.time()),
            "expires_at": int(params.get("expires_at") or time.time() + 86400),
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return dict(session)

    def _create_refund(self, params: dict) -> tuple[int, dict]:
        intent = params.get("payment_intent")
        paid = next((x for x in self.sessions.values() if x.get("payment_intent") == intent
                     and x.get("payment_status") == "paid"), None)
        if paid is None:
            return 400, _error("invalid_request_error", f"No such payment_intent: '{intent}'",
                               code="resource_missing")
        already = sum(r["amount"] for r in self.refunds_for(intent))
        amount = int(params.get("amount") or paid["amount_total"] - already)
        if already >= paid["amount_total"]:
            return 400, _error("invalid_request_error",
                               f"Charge for {intent} has already been refunded.",
                               code="charge_already_refunded")
        if amount <= 0 or already + amount > paid["amount_total"]:
            return 400, _error("invalid_request_error", "Refund amount is greater than unrefunded "
                               "amount on charge", code="amount_too_large")
        refund = {"id": "re_" + secrets.token_hex(12), "object": "refund", "amount": amount,
                  "currency": paid["currency"], "payment_intent": intent,
                  "charge": "ch_" + intent[3:], "status": "succeeded",
                  "reason": params.get("reason"), "metadata": params.get("metadata", {}),
                  "created": int(time.time())}
        self.refunds[refund["id"]] = refund
        return 200, dict(refund)

    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                path, _, query = self.path.partition("?")
                status, payload = fake.handle(
                    self.command, path, {k.lower(): v for k, v in self.headers.items()},
                    body or query)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("request-id", "req_" + secrets.token_hex(8))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def _error(kind: str, message: str, code: str | None = None) -> dict:
    return {"error": {"type": kind, "message": message, "code": code}}
