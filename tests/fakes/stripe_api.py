"""A small local server that speaks enough of Stripe's wire format for Checkout and refunds.

The official SDK talks to it over real HTTP (STRIPE_API_BASE points here): form-encoded
requests with Stripe's bracketed nesting, Bearer authentication, idempotency keys, JSON
answers and Stripe's error envelope. Tests can read what was requested, make the next
requests fail, lose the next answers, hang, and mark a session paid as if the customer had
completed checkout.

It behaves across calls the way Stripe documents, because that is where the bugs were:
- Idempotent requests (https://docs.stripe.com/api/idempotent_requests): the first
  answer to a key is saved once the endpoint runs and replayed for the same key; "the
  idempotency layer compares incoming parameters to those of the original request and
  errors if they're not the same" (an `idempotency_error`, HTTP 400). Failures injected
  with `fail_next` stand for requests that never reached the endpoint, so are not saved.
- Checkout Sessions have `status` open → complete | expired; only an open session can be
  paid, and `POST /v1/checkout/sessions/{id}/expire`
  (https://docs.stripe.com/api/checkout/sessions/expire) "can be expired when it is in one
  of these statuses: open" and "returns an error if the Checkout Session has already
  expired or isn't in an expireable state".
- Discounts (https://docs.stripe.com/payments/checkout/discounts): coupons (`percent_off`
  or `amount_off`, made with our own `id`; a second coupon with a taken id is refused as
  `resource_already_exists`, https://docs.stripe.com/api/coupons/create) and promotion
  codes over them (https://docs.stripe.com/api/promotion_codes/object: `active`,
  `max_redemptions`, `times_redeemed`; created with `promotion[coupon]` in this API
  version, listed by `code` and `active`). A session's `discounts` takes "up to one coupon
  or promotion code"; with `allow_promotion_codes` as well Stripe answers "You may only
  specify one of these parameters: allow_promotion_codes, discounts."
  (github.com/stripe/stripe-node/issues/2248); an inactive (used-up) promotion code is
  refused. The session's `amount_total` is lowered by `total_details.amount_discount`;
  paying it redeems the promotion code, which is inactive once it reaches max_redemptions.
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
    # key -> (method, path, params of the first request, saved answer)
    idempotent: dict[str, tuple[str, str, dict, tuple[int, dict]]] = field(default_factory=dict)
    # How many of the next requests are carried out but whose answer is lost (the
    # connection closes without a response), as when a network drops Stripe's reply.
    lose_answers: int = 0
    # When set, only answers to requests whose path starts with this are lost.
    lose_only: str | None = None
    # Cleared by `hang()`: requests are then held without an answer (a hanging Stripe)
    # until `release()` or `stop()`.
    answering: threading.Event = field(default_factory=threading.Event)
    # Refunds created (an idempotent replay returns the stored answer and creates none).
    refunds: dict[str, dict] = field(default_factory=dict)
    # The status new refunds start in: "succeeded" for cards, "pending" for methods whose
    # refunds take days (https://docs.stripe.com/refunds#refund-statuses).
    refund_status: str = "succeeded"
    coupons: dict[str, dict] = field(default_factory=dict)
    promotion_codes: dict[str, dict] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def hang(self) -> None:
        self.answering.clear()

    def release(self) -> None:
        self.answering.set()

    def fail_next(self, count: int = 1, status: int = 500, kind: str = "api_error",
                  message: str = "An unexpected error occurred.") -> None:
        self.failures.extend([(status, kind, message)] * count)

    def complete(self, session_id: str, *, amount_total: int | None = None,
                 currency: str | None = None, promotion_discount: int = 0) -> dict:
        """The customer paid: the session becomes complete/paid (optionally tampered).

        Only an open session can be paid (an expired one shows the customer Stripe's
        "expired" page); anything else raises AssertionError, like a test that tried it.
        """
        session = self.sessions[session_id]
        assert session["status"] == "open", f"session {session_id} is {session['status']}"
        for entry in session.get("discounts") or []:
            promo = self.promotion_codes.get(entry.get("promotion_code") or "")
            if promo is not None:
                # Redeemed when paid; a code used up meanwhile cannot be paid with.
                assert promo["active"], f"promotion code {promo['code']} is no longer active"
                promo["times_redeemed"] += 1
                if promo["max_redemptions"] and promo["times_redeemed"] >= promo["max_redemptions"]:
                    promo["active"] = False
            coupon = self.coupons.get(entry.get("coupon") or "")
            if coupon is not None:
                coupon["times_redeemed"] += 1
        session.update(status="complete", payment_status="paid",
                       payment_intent="pi_" + secrets.token_hex(12))
        if amount_total is not None:
            session["amount_total"] = amount_total
        if currency is not None:
            session["currency"] = currency
        if promotion_discount:
            # A code typed on Checkout's page (allowed by allow_promotion_codes): Stripe lowers
            # amount_total and reports total_details.amount_discount.
            assert session.get("allow_promotion_codes"), "this session takes no promotion codes"
            session["amount_total"] -= promotion_discount
            session["total_details"] = {"amount_discount": promotion_discount,
                                        "amount_shipping": 0, "amount_tax": 0}
        return dict(session)

    def event(self, event_type: str, session_id: str) -> dict:
        return build_event(event_type, dict(self.sessions[session_id]))

    def refunds_for(self, payment_intent: str) -> list[dict]:
        return [r for r in self.refunds.values() if r["payment_intent"] == payment_intent]

    def settle_refund(self, refund_id: str, status: str, failure_reason: str | None = None) -> dict:
        """A refund changes at Stripe (pending → succeeded, or → failed): the
        `charge.refund.updated` event, whose object is the refund
        (https://docs.stripe.com/api/events/types#event_types-charge.refund.updated)."""
        refund = self.refunds[refund_id]
        refund["status"] = status
        if failure_reason:
            refund["failure_reason"] = failure_reason
        return build_event("charge.refund.updated", dict(refund))

    def dispute_event(self, event_type: str, payment_intent: str, *, status: str,
                      dispute_id: str = "dp_test_1", reason: str = "fraudulent",
                      due_by: int | None = None) -> dict:
        """A `charge.dispute.*` event; its object is a Dispute
        (https://docs.stripe.com/api/disputes/object): amount, currency, charge,
        payment_intent, reason, status, evidence_details.due_by (Unix time)."""
        session = next(s for s in self.sessions.values()
                       if s.get("payment_intent") == payment_intent)
        dispute = {"id": dispute_id, "object": "dispute", "amount": session["amount_total"],
                   "currency": session["currency"], "charge": "ch_" + payment_intent[3:],
                   "payment_intent": payment_intent, "reason": reason, "status": status,
                   "created": int(time.time()), "livemode": False,
                   "evidence_details": {"due_by": due_by or int(time.time()) + 7 * 86400,
                                        "has_evidence": False, "past_due": False,
                                        "submission_count": 0}}
        return build_event(event_type, dispute)

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
                first_method, first_path, first_params, saved = self.idempotent[key]
                if (first_method, first_path, first_params) != (method, path, params):
                    return 400, _error(
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same "
                        f"parameters they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request.")
                return saved
            if self.failures:
                status, kind, message = self.failures.pop(0)
                return status, _error(kind, message)
            answer = self._route(method, path, params)
            if method == "POST" and key and answer[0] < 500:
                # Saved once the endpoint ran, errors included (Stripe saves 4xx answers of
                # requests that passed validation; 400s here are after our "validation").
                self.idempotent[key] = (method, path, params, answer)
            return answer

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(params)
        if method == "POST" and path == "/v1/coupons":
            return self._create_coupon(params)
        coupon = re.fullmatch(r"/v1/coupons/([\w-]+)", path)
        if method == "GET" and coupon:
            if coupon.group(1) not in self.coupons:
                return 404, _error("invalid_request_error", f"No such coupon: '{coupon.group(1)}'",
                                   code="resource_missing")
            return 200, dict(self.coupons[coupon.group(1)])
        if method == "POST" and path == "/v1/promotion_codes":
            return self._create_promotion_code(params)
        if method == "GET" and path == "/v1/promotion_codes":
            found = [dict(p) for p in self.promotion_codes.values()
                     if (not params.get("code") or p["code"].lower() == params["code"].lower())
                     and ("active" not in params or p["active"] == (params["active"] == "true"))]
            return 200, {"object": "list", "url": "/v1/promotion_codes", "has_more": False,
                         "data": found[:int(params.get("limit") or 10)]}
        if method == "POST" and path == "/v1/refunds":
            return self._create_refund(params)
        expire = re.fullmatch(r"/v1/checkout/sessions/([\w-]+)/expire", path)
        if method == "POST" and expire:
            return self._expire_session(expire.group(1))
        refund = re.fullmatch(r"/v1/refunds/(re_\w+)", path)
        if method == "GET" and refund:
            if refund.group(1) not in self.refunds:
                return 404, _error("invalid_request_error",
                                   f"No such refund: '{refund.group(1)}'", code="resource_missing")
            return 200, dict(self.refunds[refund.group(1)])
        match = re.fullmatch(r"/v1/checkout/sessions/([\w-]+)", path)
        if method == "GET" and match:
            session = self.sessions.get(match.group(1))
            if session is None:
                return 404, _error("invalid_request_error",
                                   f"No such checkout.session: '{match.group(1)}'",
                                   code="resource_missing")
            return 200, session
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({method} {path})")

    def _create_coupon(self, params: dict) -> tuple[int, dict]:
        coupon_id = params.get("id") or secrets.token_hex(4)
        if coupon_id in self.coupons:
            return 400, _error("invalid_request_error", "Coupon already exists.",
                               code="resource_already_exists")
        if not params.get("percent_off") and not params.get("amount_off"):
            return 400, _error("invalid_request_error",
                               "You must pass either `percent_off` or `amount_off`.")
        self.coupons[coupon_id] = {
            "id": coupon_id, "object": "coupon", "duration": params.get("duration", "once"),
            "percent_off": float(params["percent_off"]) if params.get("percent_off") else None,
            "amount_off": int(params["amount_off"]) if params.get("amount_off") else None,
            "currency": params.get("currency"), "name": params.get("name"),
            "metadata": params.get("metadata", {}), "times_redeemed": 0, "valid": True,
            "livemode": False, "created": int(time.time())}
        return 200, dict(self.coupons[coupon_id])

    def _create_promotion_code(self, params: dict) -> tuple[int, dict]:
        coupon_id = (params.get("promotion") or {}).get("coupon")
        if coupon_id not in self.coupons:
            return 400, _error("invalid_request_error", f"No such coupon: '{coupon_id}'",
                               code="resource_missing")
        code = params.get("code") or secrets.token_hex(4).upper()
        if any(p["code"].lower() == code.lower() and p["active"]
               for p in self.promotion_codes.values()):
            return 400, _error("invalid_request_error", "An active promotion code with "
                               f"`code: {code}` already exists.", code="resource_already_exists")
        promo = {"id": "promo_" + secrets.token_hex(12), "object": "promotion_code",
                 "active": params.get("active", "true") == "true", "code": code,
                 "promotion": {"type": "coupon", "coupon": coupon_id}, "customer": None,
                 "expires_at": None, "livemode": False, "created": int(time.time()),
                 "max_redemptions": int(params["max_redemptions"])
                 if params.get("max_redemptions") else None,
                 "metadata": params.get("metadata", {}), "times_redeemed": 0,
                 "restrictions": {"first_time_transaction": False, "minimum_amount": None,
                                  "minimum_amount_currency": None}}
        self.promotion_codes[promo["id"]] = promo
        return 200, dict(promo)

    def _session_discount(self, params: dict, amount: int,
                          currency: str) -> tuple[int, list[dict]] | tuple[int, dict]:
        """(amount off, the session's `discounts`), or an error answer."""
        entries = params.get("discounts") or []
        if entries and params.get("allow_promotion_codes") == "true":
            return 400, _error("invalid_request_error", "You may only specify one of these "
                               "parameters: allow_promotion_codes, discounts.")
        if len(entries) > 1:
            return 400, _error("invalid_request_error", "You may only specify one discount.")
        off, applied = 0, []
        for entry in entries:
            coupon_id = entry.get("coupon")
            if entry.get("promotion_code"):
                promo = self.promotion_codes.get(entry["promotion_code"])
                if promo is None or not promo["active"]:
                    return 400, _error("invalid_request_error", "This promotion code "
                                       f"({entry['promotion_code']}) is not active.")
                coupon_id = promo["promotion"]["coupon"]
            coupon = self.coupons.get(coupon_id or "")
            if coupon is None:
                return 400, _error("invalid_request_error", f"No such coupon: '{coupon_id}'",
                                   code="resource_missing")
            if coupon["percent_off"]:
                off = round(amount * coupon["percent_off"] / 100)
            elif (coupon["currency"] or "") == currency:
                off = min(amount, coupon["amount_off"])
            applied.append({"coupon": coupon_id,
                            "promotion_code": entry.get("promotion_code")})
        return off, applied

    def _create_session(self, params: dict) -> tuple[int, dict]:
        item = params["line_items"][0]
        price = item["price_data"]
        subtotal = int(price["unit_amount"]) * int(item["quantity"])
        off, discounts = self._session_discount(params, subtotal, price["currency"])
        if isinstance(discounts, dict):
            return off, discounts
        session_id = "cs_test_" + secrets.token_urlsafe(30).replace("-", "a").replace("_", "b")
        session = {
            "id": session_id, "object": "checkout.session", "livemode": False,
            "mode": params["mode"], "status": "open", "payment_status": "unpaid",
            "amount_subtotal": subtotal, "amount_total": subtotal - off,
            "discounts": discounts,
            "currency": price["currency"], "customer_email": params.get("customer_email"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}), "payment_intent": None,
            "success_url": params["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id),
            "cancel_url": params["cancel_url"], "created": int(time.time()),
            "expires_at": int(params.get("expires_at") or time.time() + 86400),
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "allow_promotion_codes": params.get("allow_promotion_codes") == "true",
            "total_details": {"amount_discount": off, "amount_shipping": 0, "amount_tax": 0},
        }
        self.sessions[session_id] = session
        return 200, dict(session)

    def _expire_session(self, session_id: str) -> tuple[int, dict]:
        session = self.sessions.get(session_id)
        if session is None:
            return 404, _error("invalid_request_error",
                               f"No such checkout.session: '{session_id}'",
                               code="resource_missing")
        if session["status"] != "open":
            return 400, _error("invalid_request_error",
                               f"This Checkout Session is {session['status']} and can no "
                               "longer be expired; only open sessions can be expired.")
        session["status"] = "expired"
        return 200, dict(session)

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
                  "charge": "ch_" + intent[3:], "status": self.refund_status,
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
                fake.answering.wait()
                status, payload = fake.handle(
                    self.command, path, {k.lower(): v for k, v in self.headers.items()},
                    body or query)
                with fake.lock:
                    lose = fake.lose_answers > 0 and path.startswith(fake.lose_only or "")
                    fake.lose_answers -= lose
                if lose:
                    # Carried out, answer lost: close the connection without a response.
                    self.close_connection = True
                    return
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

        self.release()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def _error(kind: str, message: str, code: str | None = None) -> dict:
    return {"error": {"type": kind, "message": message, "code": code}}
