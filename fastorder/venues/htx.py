"""HTX (Huobi) Spot: REST with Signature V2 (`/v1/order/…`). HTX has no WebSocket order entry (its v2
WebSocket only pushes order and account updates), so only transport="rest" exists here. Sources for each
behaviour: docs/venues/htx.md."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import orjson

from fastorder._core.buffer import WriteBuffer
from fastorder._core.htx import HtxRest
from fastorder._core.numbers import SymbolRules
from fastorder._core.sign import Ed25519Signer, HmacSha256
from fastorder.errors import (
    AuthenticationError,
    ConfigError,
    ConnectionLost,
    DuplicateOrder,
    ExecutionUnknown,
    FastorderError,
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
from fastorder.log import logger
from fastorder.types import (
    ACCEPTED,
    CANCEL_REQUESTED,
    CANCELED,
    FILLED,
    NEW,
    NOT_SENT,
    PARTIALLY_FILLED,
    REJECTED,
    Ack,
    Balance,
    Latency,
)
from fastorder.venues.base import (
    TRANSPORT_ERRORS,
    USER_AGENT,
    Session,
    SymbolInfo,
    _order_kind,
    _side,
    _Unknown,
    perf_ns,
)
from fastorder.venues.inputs import check_order
from fastorder.venues.limits import parse_retry_after
from fastorder.venues.operations import OrderOptions, order_options

VENUE = "htx"
_STATE = {"created": NEW, "submitted": NEW, "partial-filled": PARTIALLY_FILLED, "filled": FILLED,
          "partial-canceled": CANCELED, "canceled": CANCELED, "canceling": CANCEL_REQUESTED}
_ORDER_TYPE = {(s, tif): f"{s}-{t}" for s in ("buy", "sell")
               for tif, t in (("GTC", "limit"), ("IOC", "ioc"), ("FOK", "limit-fok"))}
_PLACE_COST = {"place": 1}
_PLACE_LIMIT, _PLACE_WINDOW_MS = 100, 2000   # place: 100 requests / 2 s per UID ("NEW" rate limit rule)
# submitCancelClientOrder's `data`, and the `order-state` of an order-orderstate-error: what each code says
# about the order. 1/3/4 (created, submitted, partial-filled): it was live, the cancel was taken; 10:
# cancelling; 5/7 (partial-canceled, canceled) and 6 (filled): final already. 0 and -1 are handled apart.
_CANCEL_CODE = {1: CANCEL_REQUESTED, 3: CANCEL_REQUESTED, 4: CANCEL_REQUESTED, 10: CANCEL_REQUESTED,
                5: CANCELED, 7: CANCELED, 6: FILLED}
_CLOSED_LONG_AGO = -1
# how long a client id finds an order, counted from the order's creation: 2 h once it is final (8 h while it
# is open). Within the shorter one "not found" means the venue never took the order.
CLIENT_ID_FINAL_MS = 2 * 3_600_000
_CLOCK_MARGIN_MS = 60_000                 # slack for the difference between our clock and the venue's
_HISTORY_BACK_MS = 179 * 24 * 3_600_000   # GET /v1/order/orders reaches back 180 days
_RATE_CODES = ("base-request-exceed-frequency-limit", "rate-too-many-requests")
_TS_MSG = "invalid submission time or incorrect time format"
_REQUEST_LIMITS = {"cancel": ("cancel", 100, 2000), "query": ("query", 50, 2000), "time": ("public", 10, 1000),
                   "ping": ("public", 10, 1000),
                   # per endpoint and UID (docs/venues/htx.md, rate limits)
                   "batch": ("batch-orders", 50, 2000), "batch_cancel": ("batchcancel", 50, 2000),
                   "cancel_open": ("batchCancelOpenOrders", 50, 2000), "open_orders": ("openOrders", 50, 2000),
                   "balance": ("balance", 100, 2000)}
_OPEN_PAGE = 500          # GET /v1/order/openOrders: most orders per page
_OPEN_PAGES_MAX = 200     # 100,000 open orders: far past any account's real count; bounds a looping reply
_CANCEL_OPEN_SIZE = 100   # batchCancelOpenOrders: most orders per request
_CANCEL_OPEN_ROUNDS = 1000
_BATCH_CANCEL_MAX = 50   # POST /v1/order/orders/batchcancel: at most 50 ids a request
_BALANCE_TYPES = {"trade": 0, "frozen": 1}   # available / locked rows; loan, interest, ... are not balances here
# place_order(stp=...): HTX's self-match-prevent has one mode, 1 = cancel the taker, keep the maker
_STP = {"none": 0, "cancel_taker": 1, "0": 0, "1": 1}
#: HTX's documented host for clients in AWS (connect(..., url=AWS_REST_URL)); no testnet or demo exists
AWS_REST_URL = "https://api-aws.huobi.pro"
_FILTER_PREFIXES = ("order-orderprice-precision", "order-orderamount-precision", "order-value-min",
                    "order-limitorder-", "order-marketorder-", "order-amount-invalid", "order-invalid-price")


def error_for(code: str, msg: str, clid: str | None, action: str) -> BaseException:
    if code in ("base-system-error", "internal-error", "timeout"):
        return _Unknown(VenueError(VENUE, code, msg, client_order_id=clid))
    if code == "api-signature-not-valid" and _TS_MSG in msg.lower():
        return TimestampRejected(VENUE, code, msg, client_order_id=clid)
    if code in ("api-signature-not-valid", "login-required", "invalid-access-key", "api-not-support-temp-addr",
                "account-account-id-inexistent"):
        return AuthenticationError(VENUE, code, msg, client_order_id=clid)
    if code in _RATE_CODES or (code == "invalid-parameter" and msg == "request limit"):
        return RateLimited(VENUE, code, msg, client_order_id=clid)
    if code in ("base-record-invalid", "order-orderstate-error", "base-not-found"):
        return UnknownOrder(VENUE, code, msg, client_order_id=clid)
    if code in ("account-frozen-balance-insufficient-error", "order-accountbalance-error"):
        return InsufficientBalance(VENUE, code, msg, client_order_id=clid)
    if code == "invalid-client-order-id":
        return DuplicateOrder(VENUE, code, msg, client_order_id=clid)
    if code.startswith(_FILTER_PREFIXES):
        return FilterRejected(VENUE, code, msg, client_order_id=clid)
    if action in ("place", "batch"):
        return OrderRejected(VENUE, code, msg, client_order_id=clid)
    return VenueError(VENUE, code, msg, client_order_id=clid)


def signer_for(secret: Any, private_key: Any) -> Any:
    """The Signature V2 signer of an HTX key: Ed25519 for private_key=, else HMAC-SHA256 for secret=."""
    if private_key is not None:
        return Ed25519Signer(private_key)
    if secret is not None:
        return HmacSha256(secret)
    raise InvalidCredential("htx needs secret= (HMAC key) or private_key= (Ed25519 key)")


class HtxSession(Session):
    venue = VENUE
    ws_capable = False
    default_rest_url = "https://api.huobi.pro"
    default_events_url = "wss://api.huobi.pro/ws/v2"   # order and account updates (no order entry)
    warm_path = "/v1/common/timestamp"
    _acceptance_window_ms = 301_000   # Signature V2 timestamps are valid 5 minutes
    _reply_header_names = (b"x-sim-processing-us", b"x-hb-ratelimit-requests-remain",
                           b"x-hb-ratelimit-requests-expire", b"retry-after")

    #: POST /v1/order/batch-orders takes at most 10 orders
    batch_limit = 10

    def __init__(self, *, account_id: int | str | None = None, **kw: Any) -> None:
        env = kw.get("env", "live")
        if env in ("testnet", "demo"):   # said before Session's generic refusal, with HTX's reason
            raise ConfigError(f"htx has no {env} environment: HTX shut its testnet down and has no demo trading; "
                              f"use env='live' (url={AWS_REST_URL!r} for its AWS host)", field="env")
        super().__init__(**kw)
        if self.rest.host == "api-aws.huobi.pro":   # its order/account pushes from the same AWS host [D]
            self.default_events_url = "wss://api-aws.huobi.pro/ws/v2"
        key = kw["key"]
        self._signer: Any = signer_for(kw.get("secret"), kw.get("private_key"))
        self._key = _Hidden(key)   # not a plain attribute: vars()/repr never show it
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
        spec = _REQUEST_LIMITS.get(kind)
        if spec is None:   # no published limit (the dead man's switch): counted nowhere
            return {}
        name, limit, window_ms = spec
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
            except (InvalidOrder, KeyError, ValueError) as exc:   # rules we cannot read: not offered
                logger.debug("htx: symbol %s not offered (%s: %s)", s.get("symbol"), type(exc).__name__, exc)
                continue
            self.symbols[s["symbol"].upper()] = SymbolInfo(s["symbol"], s.get("base-currency", ""),
                                                           s.get("quote-currency", ""), rules)
        self.guard.set_limit("place", _PLACE_LIMIT, _PLACE_WINDOW_MS)
        if self.account_id is None:
            self.account_id = await self._spot_account_id()
        self._enc = HtxRest(self._key.value, self._signer, account_id=self.account_id, host=self.rest.host_header,
                            user_agent=USER_AGENT)

    async def _spot_account_id(self) -> int:
        """GET /v1/account/accounts (signed) -> the id of the `spot` account."""
        for acct in await self._signed_get("/v1/account/accounts", {}, "accounts"):
            if acct.get("type") == "spot":
                return int(acct["id"])
        raise AuthenticationError(VENUE, "no-spot-account", "the key has no spot account")

    async def _signed_get(self, path: str, params: dict[str, Any], action: str) -> Any:
        """A signed GET off the order path (accounts, order searches): its `data`, or the typed error."""
        probe = HtxRest(self._key.value, self._signer, account_id=0, host=self.rest.host_header, user_agent=USER_AGENT)
        text = probe.pre_signed_text("GET", path, timestamp_s=self.now_ms() // 1000)
        # the auth names start with capitals: they sort before every lowercase name appended here
        extra = "".join(f"&{quote(k, safe='')}={quote(str(v), safe='')}" for k, v in sorted(params.items()))
        text += extra
        query = text.split("\n", 3)[3]
        sig = (self._signer.b64sign if isinstance(self._signer, Ed25519Signer) else self._signer.b64digest)(
            text.encode())
        req = (f"GET {path}?{query}&Signature={quote(sig, safe='')} HTTP/1.1\r\n"
               f"Host: {self.rest.host_header}\r\nUser-Agent: {USER_AGENT}\r\n\r\n").encode("ascii")
        resp = await self._pool.request(req)
        try:
            d = orjson.loads(resp.body)
        except orjson.JSONDecodeError:
            raise VenueError(VENUE, resp.status, f"unreadable reply to GET {path}") from None
        if not isinstance(d, dict) or d.get("status") != "ok":
            d = d if isinstance(d, dict) else {}
            raise error_for(str(d.get("err-code", resp.status)), str(d.get("err-msg", "")), None, action)
        return d.get("data") or []

    async def _not_found_after_window(self, info: SymbolInfo, rec: dict[str, Any]) -> Ack | None:
        """HTX forgets a client id 2 h after the order's creation once the order is final (8 h while open), so
        "not found" says the order was never placed only within 2 h of sending it. Later, the open orders and
        the order history (`GET /v1/order/openOrders`, `GET /v1/order/orders`) are searched for the client id;
        if neither lists it the order stays pending, undecided: an order canceled without fills is gone from
        the history 2 h after its cancel, so nothing the venue still says tells it from one never placed."""
        ts = int(rec.get("ts") or 0)
        now = self.now_ms()
        if now - ts < CLIENT_ID_FINAL_MS - _CLOCK_MARGIN_MS:
            return await super()._not_found_after_window(info, rec)
        clid = rec["c"]
        exp = int(rec.get("exp") or ts + self.acceptance_window_ms)
        try:
            for o in await self._signed_get("/v1/order/openOrders", {"account-id": self.account_id,
                                                                      "symbol": info.name, "size": 500}, "query"):
                if o.get("client-order-id") == clid:
                    return self._order_ack(info, o, clid, Latency(), o, reconciled=True)
            if now - ts < _HISTORY_BACK_MS:
                past = await self._signed_get("/v1/order/orders", {
                    "symbol": info.name, "states": "filled,partial-canceled,canceled",
                    "start-time": ts - _CLOCK_MARGIN_MS, "end-time": min(now, exp + _CLOCK_MARGIN_MS),
                    "size": 100}, "query")
                for o in past:
                    if o.get("client-order-id") == clid:
                        return self._order_ack(info, o, clid, Latency(), o, reconciled=True)
        except (FastorderError, OSError, asyncio.TimeoutError) as exc:   # asked again by the next recover()
            logger.info("htx: looking up order %s in the order history failed (%s: %s); still undecided", clid,
                        type(exc).__name__, exc)
        return None

    async def _send(self, encode, clid: str | None, lat: Latency, t_call: int, action: str) -> dict[str, Any]:
        buf = self._buf
        buf.clear()
        encode(buf)
        return self._result(await self.rest_send(buf.getvalue(), lat, t_call), clid, lat, action)

    def _result(self, resp: Any, clid: str | None, lat: Latency, action: str,
                order_state: bool = False) -> dict[str, Any]:
        """A reply's parsed body, or the typed error. `order_state`: an order-orderstate-error that names the
        order's state is returned (the caller maps it) instead of raised."""
        vals = self._reply_headers(resp, lat)
        if action == "place":
            self._observe_limit(vals[1], vals[2])
        if resp.status >= 500:
            raise _Unknown(VenueError(VENUE, resp.status, "server error", http_status=resp.status))
        if resp.status == 429:   # HTTP's own Retry-After (seconds) first, else the venue's window end
            try:
                wait = float(vals[3])
            except (TypeError, ValueError):
                wait = self._retry_after(vals[2])
            self.guard.block(wait)
            raise RateLimited(VENUE, 429, "too many requests", http_status=429, client_order_id=clid,
                              retry_after=wait)
        try:
            d = orjson.loads(resp.body)
        except orjson.JSONDecodeError as exc:
            raise _Unknown(exc) from None
        if not isinstance(d, dict):
            raise _Unknown(VenueError(VENUE, resp.status, "unexpected reply"))
        if d.get("status") != "ok":
            code = str(d.get("err-code", ""))
            if order_state and code == "order-orderstate-error" and "order-state" in d:
                return d
            err = error_for(code, str(d.get("err-msg", "")), clid, action)
            if isinstance(err, VenueError):   # HTX answers errors with HTTP 200 and the code in the body
                err.http_status = resp.status
            if isinstance(err, RateLimited):
                err.retry_after = self._retry_after(vals[2])
                self.guard.block(err.retry_after)   # nothing more is sent until the venue's window ends
            raise err
        return d

    def _retry_after(self, expire: Any) -> float:
        """Seconds until the venue's rate-limit window ends, from X-HB-RateLimit-Requests-Expire. The docs do
        not show a value: a Unix time in ms and a duration in ms are both read; without one, the window
        length (2 s)."""
        try:
            v = int(expire)
        except (TypeError, ValueError):
            return _PLACE_WINDOW_MS / 1000
        ms = v - self.now_ms() if v > 10**12 else v
        return min(max(ms, 0), 60_000) / 1000

    def _observe_limit(self, remain: Any, expire: Any) -> None:
        """X-HB-RateLimit-Requests-Remain of a place reply: the venue's own count for the place window."""
        if remain is None:
            return
        try:
            left = int(remain)
        except ValueError:
            return
        self.guard.observe("place", _PLACE_LIMIT - left)
        if left <= 0:
            self.guard.block(self._retry_after(expire))

    def _check_options(self, opts: OrderOptions, type: str) -> None:
        """What HTX spot encodes: self-match-prevent (0 / 1 = cancel the taker), a buy-market order's quote
        amount. No trigger orders here (HTX replaced stop-limit with conditional orders, /v2/algo-orders) and
        no request expiry."""
        if opts.stp is not None and opts.stp not in _STP:
            if opts.stp in ("cancel_maker", "cancel_both"):
                raise self._not_supported(f"self-trade prevention {opts.stp!r}",
                                          "stp='cancel_taker' (self-match-prevent 1: the taker is canceled)")
            raise InvalidOrder(f"stp must be 'none' or 'cancel_taker' on htx (or HTX's own '0' / '1'), not "
                               f"{opts.stp!r}", field="stp")
        if opts.stop_price is not None:
            raise self._not_supported("stop orders in this library", "HTX conditional orders (POST /v2/algo-orders)")
        if opts.expire_ms is not None:
            raise self._not_supported("request expiry (expire_ms)", "place_order without it")

    @staticmethod
    def _htx_type(side: str, quantity: Any, type: str, tif: str, post_only: bool,
                  opts: OrderOptions | None) -> tuple[str, Any, int | None]:
        """(HTX order type, its amount, self-match-prevent or None) of a checked order."""
        s = "buy" if side == "BUY" else "sell"
        smp = None
        if opts is not None:
            if opts.stp is not None:
                smp = _STP[opts.stp]
            if opts.quote_quantity is not None:   # only on market orders (checked by _order_kind)
                if s == "sell":
                    raise InvalidOrder("HTX sizes sell-market orders in the base asset: give quantity, not "
                                       "quote_quantity", field="quote_quantity")
                return "buy-market", opts.quote_quantity, smp
        if type == "market":   # type, tif and price were checked by Session.place_order
            if s == "buy":
                # HTX sizes buy-market orders in quote currency (the order value): a base quantity
                # cannot be sent as is, and guessing a conversion would be a different order
                raise InvalidOrder("HTX buy-market orders are sized in quote currency: give quote_quantity "
                                   "(or use a limit IOC order)", field="quantity")
            return "sell-market", quantity, smp
        if post_only:
            return f"{s}-limit-maker", quantity, smp
        return _ORDER_TYPE[s, tif], quantity, smp

    async def _place(self, info, side, quantity, price, type, tif, post_only, clid, lat, t_call,
                     opts=None) -> Ack:
        # the order path, written out (no closure): it runs per order
        if opts is None and type == "limit" and not post_only:
            htype, amount, smp = _ORDER_TYPE["buy" if side == "BUY" else "sell", tif], quantity, None
        else:
            htype, amount, smp = self._htx_type(side, quantity, type, tif, post_only, opts)
        enc = self._encoder()
        buf = self._buf
        buf.clear()
        enc.place_order_request(buf, info.name, htype, amount=amount, client_order_id=clid,
                                timestamp_s=self.now_ms() // 1000, price=price, rules=info.rules,
                                self_match_prevent=smp)
        d = self._result(await self.rest_send(buf.getvalue(), lat, t_call), clid, lat, "place")
        # positional: the order of fastorder.types.Ack (base.ACK_FIELDS)
        return Ack(VENUE, info.name, clid, str(d.get("data", "")), ACCEPTED, side, "", "", "", "", None, False, lat, d)

    async def _cancel(self, info, order_id, clid, lat, t_call) -> Ack:
        ts = self.now_ms() // 1000
        enc = self._encoder()
        buf = self._buf
        buf.clear()
        code: Any   # the reply's status code: read as the venue wrote it, then an int
        if order_id is not None:
            enc.cancel_request(buf, order_id, timestamp_s=ts)
            resp = await self.rest_send(buf.getvalue(), lat, t_call)
            d = self._result(resp, clid, lat, "cancel", order_state=True)
            # ok: "submitted for cancellation"; an order-orderstate-error names the order's state instead
            code = d.get("order-state") if d.get("status") != "ok" else 10
        else:
            enc.cancel_client_request(buf, clid, timestamp_s=ts)
            resp = await self.rest_send(buf.getvalue(), lat, t_call)
            d = self._result(resp, clid, lat, "cancel")
            code = d.get("data")   # a status code (an int), not an order id
        try:
            code = int(code)
        except (TypeError, ValueError):
            raise _Unknown(VenueError(VENUE, "unexpected", f"cancel reply without a status code: {d}")) from None
        if code == 0 and order_id is None:
            raise UnknownOrder(VENUE, 0, "client-order-id not found", http_status=resp.status, client_order_id=clid)
        status = _CANCEL_CODE.get(code)
        if status is None:
            if code != _CLOSED_LONG_AGO:
                raise _Unknown(VenueError(VENUE, code, f"unexpected cancel status code {code}"))
            # final long ago; which final state only a query can tell (by order id it may still answer)
            try:
                ack = await self._query(info, order_id, clid, Latency(), perf_ns())
            except VenueError:
                raise VenueError(VENUE, code, "the order was closed long ago (canceled, filled or partially "
                                 "filled) and its final state can no longer be queried",
                                 http_status=resp.status, client_order_id=clid) from None
            ack.latency, ack.raw = lat, d
            return ack
        return Ack(venue=VENUE, symbol=info.name, client_order_id=clid or "",
                   order_id="" if order_id is None else str(order_id), status=status, latency=lat, raw=d)

    async def _query(self, info, order_id, clid, lat, t_call, *, rest=True) -> Ack:   # always REST
        ts = self.now_ms() // 1000
        enc = self._encoder()
        if order_id is not None:
            d = await self._send(lambda b: enc.query_request(b, order_id, timestamp_s=ts), clid, lat, t_call,
                                 "query")
        else:
            d = await self._send(lambda b: enc.query_client_request(b, clid, timestamp_s=ts), clid, lat, t_call,
                                 "query")
        o = d.get("data")
        if not isinstance(o, dict):   # an ok reply without the order: nothing to read a state from
            raise _Unknown(VenueError(VENUE, "unexpected", "order query reply without the order"))
        return self._order_ack(info, o, clid, lat, d, order_id=order_id)

    @staticmethod
    def _order_ack(info: SymbolInfo, o: dict[str, Any], clid: str | None, lat: Latency, raw: Any, *,
                   order_id: Any = None, reconciled: bool = False) -> Ack:
        """An order as HTX shows it (detail, open-order list and history spellings) as the Ack."""
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
                   exchange_ts_ms=o.get("finished-at") or o.get("created-at"), reconciled=reconciled, latency=lat,
                   raw=raw)

    # -- dead man's switch: POST /v2/algo-orders/cancel-all-after ---------------------------------------------
    def _cancel_after_range(self) -> tuple[float, float]:
        """HTX takes 0 (off) or at least 5 whole seconds; it names no maximum (an int: up to 2**31-1)."""
        return 5.0, float(2**31 - 1)

    async def _arm_cancel_after(self, seconds: float) -> None:
        """(Re-)arm the switch for `seconds` (whole seconds, rounded down: never later than asked). The reply
        is in the v2 envelope, with the codes of HTX's conditional-order endpoints: 200 success; 1002 (the
        signature is missing or the account does not exist) and 1003 (the signature is wrong)
        AuthenticationError; 1006 (the rate limit) RateLimited, with the reply's Retry-After if it has one;
        any other code (2002: a parameter missing or invalid) VenueError."""
        timeout_s = max(5, int(seconds))
        enc = self._encoder()
        buf = self._buf
        buf.clear()
        enc.cancel_all_after_request(buf, timeout_s, timestamp_s=self.now_ms() // 1000)
        try:
            resp = await self.rest_send(buf.getvalue(), Latency(), perf_ns())
        except _Unknown as u:
            raise ConnectionLost(f"htx: the dead man's switch got no reply ({u.cause})") from None
        if resp.status >= 500:
            raise VenueError(VENUE, resp.status, "server error arming the dead man's switch",
                             http_status=resp.status)
        try:
            d = orjson.loads(resp.body)
            code = int(d["code"])
        except (orjson.JSONDecodeError, TypeError, KeyError, ValueError):
            raise VenueError(VENUE, resp.status, "unreadable reply arming the dead man's switch") from None
        if code == 200:
            return
        msg = str(d.get("message", ""))
        if code in (1002, 1003):
            raise AuthenticationError(VENUE, code, msg)
        err = RateLimited(VENUE, code, msg, http_status=resp.status,
                          retry_after=parse_retry_after(resp.header(b"retry-after"))) if code == 1006 \
            else VenueError(VENUE, code, msg, http_status=resp.status)
        self.ledger.refused(err)
        raise err

    # -- batches: POST /v1/order/batch-orders and /v1/order/orders/batchcancel --------------------------------
    async def _batch_item(self, o: dict[str, Any], scratch: WriteBuffer, ts: int) -> tuple[Any, ...]:
        """One order of place_orders, checked as place_order checks it (and encoded once alone, so every
        symbol rule is applied to it before the batch is sent): (info, side, quantity, price, clid, item)."""
        try:
            a = _bind_order(**o)
        except TypeError as exc:
            raise InvalidOrder(f"not an order of place_order's arguments: {exc}", field="orders") from None
        symbol, quantity, price, post_only = a["symbol"], a["quantity"], a["price"], a["post_only"]
        opts = None
        if any(a[k] is not None for k in ("stp", "stop_price", "quote_quantity", "expire_ms")):
            opts = order_options(a["stp"], a["stop_price"], a["quote_quantity"], a["expire_ms"])
        if opts is not None and opts.quote_quantity is not None:
            if quantity is not None:
                raise InvalidOrder("give quantity or quote_quantity, not both", field="quote_quantity")
            check_order(symbol, opts.quote_quantity, price, a["client_order_id"], post_only)
        else:
            check_order(symbol, quantity, price, a["client_order_id"], post_only)
        info = await self.resolve_symbol(symbol)
        side = _side(a["side"])
        type, tif = _order_kind(a["type"], a["tif"], price, post_only, opts)
        if type not in self.order_types:
            raise self._not_supported(f"{type} orders", "a limit or market order")
        if opts is not None:
            self._check_options(opts, type)
        htype, amount, smp = self._htx_type(side, quantity, type, tif, post_only, opts)
        clid = a["client_order_id"] or self.ids.next()
        enc = self._encoder()
        scratch.clear()
        enc.place_order_request(scratch, info.name, htype, amount=amount, client_order_id=clid, timestamp_s=ts,
                                price=price, rules=info.rules, self_match_prevent=smp)
        item = {"symbol": info.name, "type": htype, "amount": amount, "client_order_id": clid, "price": price,
                "rules": info.rules}
        if smp is not None:
            item["self_match_prevent"] = smp
        return info, side, quantity if quantity is not None else amount, price, clid, item

    async def _place_batches(self, orders: list[dict[str, Any]]) -> list[Ack | BaseException]:
        """Each order checked alone first (a bad one is its own result, the rest still go), then batches of up
        to 10 in flight together. Each order is journalled and its client id live before its batch is sent;
        a batch whose reply never came (or came unreadable) has each of its orders settled by its client id,
        as place_order settles one."""
        ts = self.now_ms() // 1000

        async def check(o: dict[str, Any], scratch: WriteBuffer) -> tuple[str, tuple[Any, ...]]:
            p = await self._batch_item(o, scratch, ts)
            return p[4], (p,)

        return await self._checked_batches(orders, check)

    async def _send_batch(self, chunk: list[tuple[int, tuple[Any, ...]]],
                          results: list[Ack | BaseException | None]) -> None:
        t_call = perf_ns()
        lat = Latency()
        try:
            self.ledger.check("batch", None)
        except FastorderError as exc:   # refused locally: nothing sent
            for i, _ in chunk:
                results[i] = exc
            return
        sent: list[tuple[int, tuple[Any, ...]]] = []
        for i, p in chunk:
            info, side, qty, price, clid, _item = p
            try:
                self.ledger.begin(info, clid, side, qty, price, costs={})   # the batch request is counted
            except FastorderError as exc:
                results[i] = exc
                continue
            sent.append((i, p))
        if not sent:
            return
        enc = self._encoder()
        buf = self._buf
        buf.clear()
        try:
            enc.batch_orders_request(buf, [p[5] for _, p in sent], timestamp_s=self.now_ms() // 1000)
            # "batch": its own rate-limit window (the place window's headers are not read from it)
            d = self._result(await self.rest_send(buf.getvalue(), lat, t_call), None, lat, "batch")
            self.recorder.record(VENUE, self.transport, lat)
        except _Unknown as u:
            await self._settle_batch(sent, u.cause, lat, t_call, results)
            return
        except asyncio.CancelledError:
            if lat.client_ns:   # sent: each order settled in the background
                for _, p in sent:
                    self.settler.watch(p[0], p[4], ExecutionUnknown(VENUE, "cancelled", "caller stopped waiting"),
                                       self._sent_ms(t_call))
            else:
                for _, p in sent:
                    self.ledger.unsent(p[4], NOT_SENT)
            raise
        except (VenueError, InvalidOrder, ConnectionLost) as exc:   # the whole request refused, or never sent
            self.ledger.refused(exc)
            if isinstance(exc, TimestampRejected):   # re-measured at once; the orders are not resent
                await self._on_timestamp_rejected()
            for i, p in sent:
                self.ledger.unsent(p[4], REJECTED if isinstance(exc, VenueError) else NOT_SENT)
                results[i] = exc
            return
        except TRANSPORT_ERRORS + (TypeError, ValueError) as exc:
            if not lat.client_ns:
                for i, p in sent:
                    self.ledger.unsent(p[4], NOT_SENT)
                    results[i] = exc
                return
            await self._settle_batch(sent, exc, lat, t_call, results)
            return
        data = d.get("data")
        if not isinstance(data, list):
            await self._settle_batch(sent, VenueError(VENUE, "unexpected", "batch reply without a list"), lat,
                                     t_call, results)
            return
        by_clid = {str(x.get("client-order-id")): x for x in data if isinstance(x, dict) and x.get("client-order-id")}
        unknown: list[tuple[int, tuple[Any, ...]]] = []
        for k, (i, p) in enumerate(sent):
            info, side, clid = p[0], p[1], p[4]
            x = by_clid.get(clid)
            if x is None and len(data) == len(sent) and isinstance(data[k], dict):
                x = data[k]   # the docs give one item per order, in order
            if x is None:
                unknown.append((i, p))
                continue
            if x.get("order-id") is not None and not x.get("err-code"):
                ack = Ack(VENUE, info.name, clid, str(x["order-id"]), ACCEPTED, side, "", "", "", "", None, False,
                          lat, x)
                self.ledger.settled(clid, ack)
                results[i] = ack
                continue
            err = error_for(str(x.get("err-code", "")), str(x.get("err-msg", "")), clid, "place")
            if isinstance(err, _Unknown):   # the venue says this order's outcome is unknown: ask
                unknown.append((i, p))
                continue
            self.ledger.refused(err)
            self.ledger.unsent(clid, REJECTED)
            results[i] = err
        if unknown:
            await self._settle_batch(unknown, VenueError(VENUE, "unexpected", "batch reply without this order"),
                                     lat, t_call, results)

    async def _settle_batch(self, sent: list[tuple[int, tuple[Any, ...]]], cause: BaseException, lat: Latency,
                            t_call: int, results: list[Ack | BaseException | None]) -> None:
        """Orders of a batch whose outcome is unknown: each queried by its client id (reconcile, paced by the
        guard), as place_order does for one; one still undecided is ExecutionUnknown and settled later."""
        async def one(i: int, p: tuple[Any, ...]) -> None:
            info, clid = p[0], p[4]
            try:
                ack = await self._reconcile_order(info, clid, cause, lat, t_call)
            except ExecutionUnknown as exc:
                results[i] = exc
                return
            self.ledger.settled(clid, ack)
            results[i] = ack
        await asyncio.gather(*(one(i, p) for i, p in sent))

    async def _cancel_batches(self, info: SymbolInfo, ids: list[Any], by_clid: bool) -> list[Ack | BaseException]:
        """batchcancel, 50 ids a request, in flight together: each id's result from the reply's success and
        failed lists; a failed order-orderstate-error is the order's final state (as submitcancel answers);
        a request without a reply has each of its orders queried."""
        results: list[Ack | BaseException | None] = [None] * len(ids)
        chunks = [list(range(k, min(k + _BATCH_CANCEL_MAX, len(ids)))) for k in range(0, len(ids), _BATCH_CANCEL_MAX)]

        async def send(idx: list[int]) -> None:
            lat = Latency()
            t_call = perf_ns()
            part = [ids[i] for i in idx]
            try:
                self.ledger.check("batch_cancel", info)
                enc = self._encoder()
                buf = self._buf
                buf.clear()
                if by_clid:
                    enc.batch_cancel_request(buf, timestamp_s=self.now_ms() // 1000, client_order_ids=part)
                else:
                    enc.batch_cancel_request(buf, timestamp_s=self.now_ms() // 1000, order_ids=part)
                d = self._result(await self.rest_send(buf.getvalue(), lat, t_call), None, lat, "cancel")
                data = d.get("data")
                if not isinstance(data, dict) or not isinstance(data.get("success", []), list):
                    raise _Unknown(VenueError(VENUE, "unexpected", "batchcancel reply without success/failed"))
            except _Unknown as u:
                await asyncio.gather(*(self._cancel_unknown(info, ids[i], by_clid, u.cause, lat, results, i)
                                       for i in idx))
                return
            except FastorderError as exc:
                self.ledger.refused(exc)
                if isinstance(exc, TimestampRejected):
                    await self._on_timestamp_rejected()
                for i in idx:
                    results[i] = exc
                return
            except TRANSPORT_ERRORS + (TypeError, ValueError) as exc:
                if not lat.client_ns:
                    for i in idx:
                        results[i] = exc
                    return
                await asyncio.gather(*(self._cancel_unknown(info, ids[i], by_clid, exc, lat, results, i)
                                       for i in idx))
                return
            ok = {str(x) for x in data.get("success") or []}
            failed: dict[str, dict[str, Any]] = {}
            for x in data.get("failed") or []:
                if isinstance(x, dict):
                    key = x.get("client-order-id") if by_clid else x.get("order-id")
                    if key is not None:
                        failed[str(key)] = x
            for i in idx:
                ident = str(ids[i])
                clid = ident if by_clid else None
                oid = "" if by_clid else ident
                if ident in ok:
                    results[i] = Ack(venue=VENUE, symbol=info.name, client_order_id=clid or "", order_id=oid,
                                     status=CANCEL_REQUESTED, latency=lat, raw=data)
                    continue
                x = failed.get(ident)
                if x is None:
                    results[i] = VenueError(VENUE, "unexpected", f"batchcancel reply names neither success nor "
                                            f"failure for {ident}", client_order_id=clid)
                    continue
                code = str(x.get("err-code", ""))
                status = None
                if code == "order-orderstate-error":
                    try:
                        status = _CANCEL_CODE.get(int(x["order-state"]))
                    except (KeyError, TypeError, ValueError):
                        status = None
                if status is not None:
                    ack = Ack(venue=VENUE, symbol=info.name, client_order_id=str(x.get("client-order-id") or clid
                                                                                 or ""),
                              order_id=str(x.get("order-id") or oid), status=status, latency=lat, raw=x)
                    self._settled(ack)
                    results[i] = ack
                    continue
                err = error_for(code, str(x.get("err-msg", "")), clid, "cancel")
                results[i] = err.cause if isinstance(err, _Unknown) else err

        await asyncio.gather(*(send(c) for c in chunks))
        return [r if r is not None else VenueError(VENUE, "unexpected", "no result") for r in results]

    async def _cancel_unknown(self, info: SymbolInfo, ident: Any, by_clid: bool, cause: BaseException,
                              lat: Latency, results: list[Ack | BaseException | None], i: int) -> None:
        """A cancel of a batch without a reply: the order's state, asked by its id (as cancel_order does)."""
        try:
            ack = await self.reconcile(info, ident if by_clid else None, cause, lat,
                                       order_id=None if by_clid else ident)
        except FastorderError as exc:
            results[i] = exc
            return
        self._settled(ack)
        results[i] = ack

    # -- trading operations (fastorder.venues.operations) ---------------------------------------------------
    async def _read(self, encode: Any, kind: str, info: SymbolInfo | None = None) -> dict[str, Any]:
        """A request off the order path (listings, cancel-all): its cost taken, the reply's parsed body or the
        typed error. A request whose reply never came is ConnectionLost (nothing to reconcile: the caller
        asks again)."""
        self.ledger.check(kind, info)
        try:
            return await self._send(encode, None, Latency(), perf_ns(), "query")
        except _Unknown as u:
            cause = u.cause
            if isinstance(cause, FastorderError):
                raise cause from None
            raise ConnectionLost(f"htx: no reply ({type(cause).__name__}: {cause})") from None
        except FastorderError as exc:
            self.ledger.refused(exc)
            if isinstance(exc, TimestampRejected):
                await self._on_timestamp_rejected()
            raise

    def _info_for(self, name: str) -> SymbolInfo:
        """The SymbolInfo of a symbol named in a reply (a symbol the session has not loaded: its name only)."""
        info = self.symbols.get(str(name).upper())
        return info if info is not None else SymbolInfo(str(name), "", "", None)  # type: ignore[arg-type]

    async def _amend(self, info: SymbolInfo, order_id: Any, clid: str | None, quantity: Any, price: Any,
                     new_clid: str | None) -> Ack:
        raise self._not_supported("order amend on spot", "cancel_order then place_order (the new order joins the "
                                  "back of its price level)")

    async def _amend_batches(self, amends: list[dict[str, Any]]) -> list[Ack | BaseException]:
        raise self._not_supported("order amend on spot", "cancel_orders (POST /v1/order/orders/batchcancel) then "
                                  "place_orders (POST /v1/order/batch-orders)")

    async def _open_orders(self, info: SymbolInfo | None) -> list[Ack]:
        """GET /v1/order/openOrders, 500 a page, newest first; the next page starts below the oldest id seen
        (from=<id>&direct=next)."""
        enc = self._encoder()
        sym = info.name if info is not None else None
        out: list[Ack] = []
        seen: set[str] = set()
        from_id: str | None = None
        for _ in range(_OPEN_PAGES_MAX):
            ts = self.now_ms() // 1000
            f = from_id
            d = await self._read(lambda b, ts=ts, f=f: enc.open_orders_request(
                b, timestamp_s=ts, symbol=sym, from_id=f, direct=None if f is None else "next", size=_OPEN_PAGE),
                "open_orders", info)
            page = d.get("data")
            if not isinstance(page, list) or not all(isinstance(o, dict) and "id" in o for o in page):
                raise VenueError(VENUE, "unexpected", "open orders reply without a list of orders")
            fresh = [o for o in page if str(o["id"]) not in seen]
            for o in fresh:
                seen.add(str(o["id"]))
                out.append(self._order_ack(info or self._info_for(o.get("symbol", "")), o, None, Latency(), o))
            if len(page) < _OPEN_PAGE or not fresh:
                return out
            from_id = str(min(int(o["id"]) for o in page))
        raise VenueError(VENUE, "unexpected", f"open orders still paging after {_OPEN_PAGES_MAX} pages")

    async def _balances(self) -> dict[str, Balance]:
        """GET /v1/account/accounts/{account-id}/balance: per currency a "trade" row (free) and a "frozen" row
        (locked); other row types (loan, interest, ...) are not balances and are left out."""
        enc = self._encoder()
        ts = self.now_ms() // 1000
        d = await self._read(lambda b: enc.balance_request(b, timestamp_s=ts), "balance")
        data = d.get("data")
        rows = data.get("list") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise VenueError(VENUE, "unexpected", "balance reply without a list")
        acc: dict[str, list[str]] = {}
        for r in rows:
            if not isinstance(r, dict) or r.get("type") not in _BALANCE_TYPES:
                continue
            cur = str(r.get("currency", ""))
            acc.setdefault(cur, ["0", "0"])[_BALANCE_TYPES[r["type"]]] = str(r.get("balance", "0"))
        return {cur: Balance(cur, free, locked) for cur, (free, locked) in acc.items()}

    async def _cancel_all(self, info: SymbolInfo | None) -> list[Ack]:
        """POST /v1/order/orders/batchCancelOpenOrders (100 a request) until next-id is -1. Its reply only
        counts (success-count, failed-count), so the open orders are listed first: each listed order is
        returned as CANCEL_REQUESTED (HTX only submits the cancels) when the counts cover them all; otherwise
        (an order filled or was placed meanwhile) each listed order is queried for its state."""
        listed = await self._open_orders(info)
        enc = self._encoder()
        sym = info.name if info is not None else None
        done = failed = 0
        last: dict[str, Any] = {}
        for _ in range(_CANCEL_OPEN_ROUNDS):
            ts = self.now_ms() // 1000
            last = await self._read(lambda b, ts=ts: enc.cancel_open_orders_request(b, timestamp_s=ts, symbol=sym,
                                                                                 size=_CANCEL_OPEN_SIZE),
                                    "cancel_open", info)
            data: Any = last.get("data")
            try:
                done += int(data["success-count"])
                failed += int(data["failed-count"])
                more = int(data["next-id"]) != -1
            except (TypeError, KeyError, ValueError):
                raise VenueError(VENUE, "unexpected", f"batchCancelOpenOrders reply without counts: {last}") from None
            if not more:
                break
        if done == len(listed) and not failed:
            return [Ack(venue=VENUE, symbol=a.symbol, client_order_id=a.client_order_id, order_id=a.order_id,
                        status=CANCEL_REQUESTED, side=a.side, price=a.price, quantity=a.quantity,
                        filled_qty=a.filled_qty, avg_price=a.avg_price, raw=last) for a in listed]
        logger.info("htx: cancel-all canceled %d and failed %d of %d listed orders; querying each", done, failed,
                    len(listed))
        out = []
        for a in listed:
            try:
                out.append(await self.query_order(a.symbol, order_id=a.order_id))
            except FastorderError as exc:   # no answer for this one: as listed, before the cancel
                logger.warning("htx: order %s after cancel-all: query failed (%s)", a.order_id, exc)
                out.append(a)
        return out

    def _stream_part(self) -> Any:
        from fastorder.venues.htx_events import HtxStreamPart
        return HtxStreamPart(self)


def _bind_order(symbol: Any, side: Any, quantity: Any = None, price: Any = None, *, type: Any = "limit",
                tif: Any = "GTC", post_only: Any = False, client_order_id: Any = None, stp: Any = None,
                stop_price: Any = None, quote_quantity: Any = None, expire_ms: Any = None) -> dict[str, Any]:
    """place_order's arguments of one order of place_orders, by name (TypeError for any other)."""
    return {"symbol": symbol, "side": side, "quantity": quantity, "price": price, "type": type, "tif": tif,
            "post_only": post_only, "client_order_id": client_order_id, "stp": stp, "stop_price": stop_price,
            "quote_quantity": quote_quantity, "expire_ms": expire_ms}


class _Hidden:
    """A credential kept for later use (HTX re-creates its encoder once the account id is known), shown as
    nothing by repr()."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<hidden>"
