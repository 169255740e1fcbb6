"""HTX (Huobi) Spot: REST with Signature V2 (`/v1/order/…`). HTX has no WebSocket order entry
(REFERENCE.md §4.4), so only transport="rest" exists here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

import orjson

from fastorder._core.htx import HtxRest
from fastorder._core.numbers import SymbolRules
from fastorder._core.sign import Ed25519Signer, HmacSha256
from fastorder.errors import (
    AuthenticationError,
    DuplicateOrder,
    FilterRejected,
    InsufficientBalance,
    InvalidCredential,
    InvalidOrder,
    OrderRejected,
    RateLimited,
    TimestampRejected,
    UnknownOrder,
    VenueError,
)
from fastorder.types import ACCEPTED, CANCEL_REQUESTED, CANCELED, FILLED, NEW, PARTIALLY_FILLED, Ack, Latency
from fastorder.venues.base import Session, SymbolInfo, _Unknown

VENUE = "htx"
_STATE = {"created": NEW, "submitted": NEW, "partial-filled": PARTIALLY_FILLED, "filled": FILLED,
          "partial-canceled": CANCELED, "canceled": CANCELED, "canceling": CANCEL_REQUESTED}
_ORDER_TYPE = {(s, tif): f"{s}-{t}" for s in ("buy", "sell")
               for tif, t in (("GTC", "limit"), ("IOC", "ioc"), ("FOK", "limit-fok"))}
_PLACE_COST = {"place": 1}
_REQUEST_LIMITS = {"cancel": ("cancel", 100, 2000), "query": ("query", 50, 2000), "time": ("public", 10, 1000),
                   "ping": ("public", 10, 1000)}
_FILTER_PREFIXES = ("order-orderprice-precision", "order-orderamount-precision", "order-value-min",
                    "order-limitorder-", "order-marketorder-", "order-amount-invalid", "order-invalid-price")


def error_for(code: str, msg: str, clid: str | None, action: str) -> BaseException:
    if code in ("base-system-error", "internal-error", "timeout"):
        return _Unknown(VenueError(VENUE, code, msg, client_order_id=clid))
    if code == "api-signature-not-valid" and "timestamp" in msg.lower():
        return TimestampRejected(VENUE, code, msg, client_order_id=clid)
    if code in ("api-signature-not-valid", "login-required", "invalid-access-key", "api-not-support-temp-addr",
                "account-account-id-inexistent"):
        return AuthenticationError(VENUE, code, msg, client_order_id=clid)
    if code in ("api-request-too-frequent", "too-many-request"):
        return RateLimited(VENUE, code, msg, client_order_id=clid)
    if code in ("base-record-invalid", "order-orderstate-error", "base-not-found"):
        return UnknownOrder(VENUE, code, msg, client_order_id=clid)
    if code in ("account-frozen-balance-insufficient-error", "order-accountbalance-error"):
        return InsufficientBalance(VENUE, code, msg, client_order_id=clid)
    if code == "invalid-client-order-id":
        return DuplicateOrder(VENUE, code, msg, client_order_id=clid)
    if code.startswith(_FILTER_PREFIXES):
        return FilterRejected(VENUE, code, msg, client_order_id=clid)
    if action == "place":
        return OrderRejected(VENUE, code, msg, client_order_id=clid)
    return VenueError(VENUE, code, msg, client_order_id=clid)


class HtxSession(Session):
    venue = VENUE
    ws_capable = False
    default_rest_url = "https://api.huobi.pro"
    warm_path = "/v1/common/timestamp"
    _acceptance_window_ms = 301_000   # Signature V2 timestamps are valid 5 minutes

    def __init__(self, *, account_id: int | str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        key, secret, private_key = kw.get("key"), kw.get("secret"), kw.get("private_key")
        if private_key is not None:
            self._signer: Any = Ed25519Signer(private_key)
        elif secret is not None:
            self._signer = HmacSha256(secret)
        else:
            raise InvalidCredential("htx needs secret= (HMAC key) or private_key= (Ed25519 key)")
        self._key = key
        self.account_id = account_id
        self._enc: HtxRest | None = None

    def _encoder(self) -> HtxRest:
        if self._enc is None:
            raise InvalidOrder("session not started", field="session")
        return self._enc

    def _order_costs(self, info: SymbolInfo) -> dict[str, int]:
        return _PLACE_COST   # RateGuard.check only reads it

    def _request_costs(self, kind: str, info: SymbolInfo | None) -> dict[str, int]:
        """Cancel by client id: 100 / 2 s; order by client id: 50 / 2 s; the public timestamp (the clock and
        the keep-warm request): 10 / 1 s (docs/venues/htx.md, rate limits). Windows made on first use."""
        name, limit, window_ms = _REQUEST_LIMITS[kind]
        if name not in self.guard.windows:
            self.guard.set_limit(name, limit, window_ms)
        return {name: 1}

    async def _server_time_ms(self) -> int:
        return int((await self.rest_get_json("/v1/common/timestamp"))["data"])

    async def load_symbols(self) -> None:
        data = await self.rest_get_json("/v1/common/symbols")
        for s in data.get("data", []):
            try:
                tick = Decimal(1).scaleb(-int(s["price-precision"]))
                step = Decimal(1).scaleb(-int(s["amount-precision"]))
                rules = SymbolRules(s["symbol"], tick, step, min_qty=Decimal(str(s.get("min-order-amt") or 0)),
                                    max_qty=Decimal(str(s.get("max-order-amt") or 0)),
                                    min_notional=Decimal(str(s.get("min-order-value") or 0)))
            except (InvalidOrder, KeyError, ValueError):
                continue
            self.symbols[s["symbol"].upper()] = SymbolInfo(s["symbol"], s.get("base-currency", ""),
                                                           s.get("quote-currency", ""), rules)
        # place-order limit: 100 requests / 2 s per UID per endpoint (REFERENCE.md §4.3, 2021 docs)
        self.guard.set_limit("place", 100, 2000)
        if self.account_id is None:
            self.account_id = await self._spot_account_id()
        self._enc = HtxRest(self._key, self._signer, account_id=self.account_id, host=self.rest.host_header)

    async def _spot_account_id(self) -> int:
        """GET /v1/account/accounts (signed) -> the id of the `spot` account."""
        probe = HtxRest(self._key, self._signer, account_id=0, host=self.rest.host_header)
        path = "/v1/account/accounts"
        text = probe.pre_signed_text("GET", path, timestamp_s=self.now_ms() // 1000)
        query = text.split("\n", 3)[3]
        sig = (self._signer.b64sign if isinstance(self._signer, Ed25519Signer) else self._signer.b64digest)(
            text.encode())
        req = (f"GET {path}?{query}&Signature={quote(sig, safe='')} HTTP/1.1\r\n"
               f"Host: {self.rest.host_header}\r\n\r\n").encode("ascii")
        d = orjson.loads((await self._pool.request(req)).body)
        if d.get("status") != "ok":
            raise error_for(str(d.get("err-code")), str(d.get("err-msg", "")), None, "accounts")
        for acct in d.get("data", []):
            if acct.get("type") == "spot":
                return int(acct["id"])
        raise AuthenticationError(VENUE, "no-spot-account", "the key has no spot account")

    async def _send(self, encode, clid: str | None, lat: Latency, t_call: int, action: str) -> dict[str, Any]:
        buf = self._buf
        buf.clear()
        encode(buf)
        return self._result(await self.rest_send(buf.getvalue(), lat, t_call), clid, lat, action)

    def _result(self, resp: Any, clid: str | None, lat: Latency, action: str) -> dict[str, Any]:
        """A reply's parsed body, or the typed error."""
        self._reply_headers(resp, lat)
        if resp.status >= 500:
            raise _Unknown(VenueError(VENUE, resp.status, "server error", http_status=resp.status))
        if resp.status == 429:
            raise RateLimited(VENUE, 429, "too many requests", http_status=429, client_order_id=clid)
        try:
            d = orjson.loads(resp.body)
        except orjson.JSONDecodeError as exc:
            raise _Unknown(exc) from None
        if not isinstance(d, dict):
            raise _Unknown(VenueError(VENUE, resp.status, "unexpected reply"))
        if d.get("status") != "ok":
            raise error_for(str(d.get("err-code", "")), str(d.get("err-msg", "")), clid, action)
        return d

    async def _place(self, info, side, quantity, price, type, tif, post_only, clid, lat, t_call) -> Ack:
        # the order path, written out (no closure): it runs per order
        s = "buy" if side == "BUY" else "sell"
        if type == "market":   # type, tif and price were checked by Session.place_order
            if s == "buy":
                # HTX sizes buy-market orders in quote currency (REFERENCE.md §4.3): a base quantity
                # cannot be sent as is, and guessing a conversion would be a different order
                raise InvalidOrder("HTX buy-market orders are sized in quote currency; use a limit IOC order",
                                   field="type")
            htype = "sell-market"
        elif post_only:
            htype = f"{s}-limit-maker"
        else:
            htype = _ORDER_TYPE[s, tif]
        enc = self._encoder()
        buf = self._buf
        buf.clear()
        enc.place_order_request(buf, info.name, htype, amount=quantity, client_order_id=clid,
                                timestamp_s=self.now_ms() // 1000, price=price, rules=info.rules)
        d = self._result(await self.rest_send(buf.getvalue(), lat, t_call), clid, lat, "place")
        # positional: the order of fastorder.types.Ack (base.ACK_FIELDS)
        return Ack(VENUE, info.name, clid, str(d.get("data", "")), ACCEPTED, side, "", "", "", "", None, False, lat, d)

    async def _cancel(self, info, order_id, clid, lat, t_call) -> Ack:
        ts = self.now_ms() // 1000
        enc = self._encoder()
        if order_id is not None:
            d = await self._send(lambda b: enc.cancel_request(b, order_id, timestamp_s=ts), clid, lat, t_call,
                                 "cancel")
        else:
            d = await self._send(lambda b: enc.cancel_client_request(b, clid, timestamp_s=ts), clid, lat, t_call,
                                 "cancel")
        # HTX: "submitted for cancellation"; the final state comes from a query (REFERENCE.md §4.3)
        return Ack(venue=VENUE, symbol=info.name, client_order_id=clid or "",
                   order_id=str(order_id if order_id is not None else d.get("data", "")),
                   status=CANCEL_REQUESTED, latency=lat, raw=d)

    async def _query(self, info, order_id, clid, lat, t_call, *, rest=True) -> Ack:   # always REST
        ts = self.now_ms() // 1000
        enc = self._encoder()
        if order_id is not None:
            d = await self._send(lambda b: enc.query_request(b, order_id, timestamp_s=ts), clid, lat, t_call,
                                 "query")
        else:
            d = await self._send(lambda b: enc.query_client_request(b, clid, timestamp_s=ts), clid, lat, t_call,
                                 "query")
        o = d.get("data") or {}
        filled = str(o.get("field-amount", o.get("filled-amount", "")))
        cash = str(o.get("field-cash-amount", o.get("filled-cash-amount", "")))
        avg = ""
        try:
            if filled and Decimal(filled) > 0:
                avg = str(Decimal(cash) / Decimal(filled))
        except ArithmeticError:
            avg = ""
        return Ack(venue=VENUE, symbol=info.name, client_order_id=o.get("client-order-id") or clid or "",
                   order_id=str(o.get("id", order_id or "")), status=_STATE.get(o.get("state", ""), ACCEPTED),
                   side=str(o.get("type", "")).split("-")[0].upper(), price=str(o.get("price", "")),
                   quantity=str(o.get("amount", "")), filled_qty=filled, avg_price=avg,
                   exchange_ts_ms=o.get("finished-at") or o.get("created-at"), latency=lat, raw=d)
