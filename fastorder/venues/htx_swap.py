"""HTX USDT-margined perpetual swaps: the linear swap REST API on its own host (`api.hbdm.com`,
`/linear-swap-api/v1/...`), Signature V2 signed with that host. `fastorder.connect("htx", "rest", market="perp")`.
Behaviours and their public sources: docs/venues/htx-swap.md.

Orders go over REST only here: HTX's linear-swap WebSocket order entry (`/linear-swap-trade`) is not implemented
in this library. Sizes are whole contracts (`volume`); `quantity=` (base units) is converted exactly with the
contract's `contract_size` and refused when it is not a whole number of contracts. Client order ids are integers on
this API ([1, 2**63-1]): the session's own ids are decimal text of such an integer.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import orjson

from fastorder._core.htx import SWAP_CLIENT_ID_MAX, HtxSwapRest
from fastorder._core.numbers import SymbolRules
from fastorder._core.sign import HmacSha256
from fastorder.errors import (
    AuthenticationError,
    ConfigError,
    ConnectionLost,
    DuplicateOrder,
    FilterRejected,
    InsufficientMargin,
    InvalidField,
    InvalidOrder,
    MaxPositionExceeded,
    OrderRejected,
    PositionSideMismatch,
    RateLimited,
    ReduceOnlyRejected,
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
    PARTIALLY_FILLED,
    REJECTED,
    Ack,
    Balance,
    Latency,
    Position,
)
from fastorder.venues.base import USER_AGENT, Session, SymbolInfo, _Unknown, perf_ns
from fastorder.venues.htx import _Hidden, signer_for
from fastorder.venues.operations import OrderOptions
from fastorder.venues.perp import PerpOps, exact, perp_key, position_side_name, quantity_to_contracts

VENUE = "htx_swap"
REST_URL = "https://api.hbdm.com"
AWS_REST_URL = "https://api.hbdm.vn"   # the docs' address "preferred by aws customers"
_P = "/linear-swap-api/v1/"
# order status codes (order info): 1/2 ready to submit, 3 submitted, 4 partially filled, 5 partially filled then
# canceled, 6 filled, 7 canceled, 10 failed, 11 canceling
_STATUS = {1: ACCEPTED, 2: ACCEPTED, 3: NEW, 4: PARTIALLY_FILLED, 5: CANCELED, 6: FILLED, 7: CANCELED,
           10: REJECTED, 11: CANCEL_REQUESTED}
# err_code -> typed error (the linear swap API's error code list)
_ERRORS: dict[int, type[VenueError]] = {
    1047: InsufficientMargin,        # Insufficient margin available.
    1048: ReduceOnlyRejected,        # Insufficient close amount available. (closes more than the position)
    1042: MaxPositionExceeded, 1043: MaxPositionExceeded, 1044: MaxPositionExceeded,   # position limits
    1036: PositionSideMismatch,      # Incorrect field of open long form. (an offset the position mode refuses)
    1050: DuplicateOrder,            # Customer's order number is repeated.
    1017: UnknownOrder, 1061: UnknownOrder,   # Order doesn't exist. / This order doesn't exist.
    1032: RateLimited,               # The number of access exceeded the limit.
    403: AuthenticationError, 1253: AuthenticationError, 1010: AuthenticationError, 1012: AuthenticationError,
}
_FILTERS = frozenset((1038, 1039, 1040, 1041, 1069, 1072))   # precision, price band, amount, price not reasonable
_UNKNOWN = frozenset((1000, 1001, 1002, 1003, 1004, 1046, 1108))   # system errors: the outcome is not known
_DIRECTION = {"BUY": "buy", "SELL": "sell"}
_TIF_TYPE = {"GTC": "limit", "IOC": "ioc", "FOK": "fok"}
# the private API's frequency limits per UID, each over 3 s: trade 72, read 72 (144 in all); public endpoints
# 120 per IP (the endpoints' "Rate Limit" notes, docs/venues/htx-swap.md)
_WINDOW_MS = 3000
_LIMITS = {"trade": 72, "read": 72, "public": 120}
_TRADE = {"trade": 1}
_KIND = {"cancel": "trade", "account": "trade", "query": "read", "read": "read", "time": "public", "ping": "public"}
_CACHED = (str, int, Decimal)
# how long "not found" by client id still means "never placed" (order info notes, docs/venues/htx-swap.md): under
# 2 hours (canceled orders vanish 2 h after the cancel) and with no funding settlement (a 4-hour UTC boundary)
# in between; the clock margin keeps the decision on the safe side
_SEEN_MS = 2 * 3_600_000 - 60_000
_SETTLE_STEP_MS = 4 * 3_600_000   # size types remembered by _volume (exact classes: a float goes by its repr)
_ONE = Decimal(1)


def error_for(code: Any, msg: str, clid: str | None, action: str) -> BaseException:
    """A linear swap error reply as a typed exception; `_Unknown` when the outcome is unknown."""
    try:
        c = int(code)
    except (TypeError, ValueError):
        c = -1
    if c in _UNKNOWN:
        return _Unknown(VenueError(VENUE, c, msg, client_order_id=clid))
    cls = _ERRORS.get(c)
    if cls is not None:
        return cls(VENUE, c, msg, client_order_id=clid)
    if c in _FILTERS:
        return FilterRejected(VENUE, c, msg, client_order_id=clid)
    if action == "place":
        return OrderRejected(VENUE, c, msg, client_order_id=clid)
    return VenueError(VENUE, c, msg, client_order_id=clid)


class SwapClientIds:
    """Client order ids for the linear swap API: decimal text of an integer in [1, 2**63-1], unique across
    processes and restarts: 31 random bits (os.urandom, drawn again in a forked child) above a 32-bit counter
    that starts at a random value."""

    def __init__(self) -> None:
        self._seed()

    def _seed(self) -> None:
        r = int.from_bytes(os.urandom(8), "big")
        self._pid = os.getpid()
        self._salt = ((r >> 32) & 0x7FFFFFFF) or 1
        self._n = r & 0xFFFFFFFF

    def next(self) -> str:
        if os.getpid() != self._pid:
            self._seed()
        self._n = (self._n + 1) & 0xFFFFFFFF
        return str((self._salt << 32) | self._n)

    __next__ = next


def _clid_text(value: Any) -> str:
    """A caller's client_order_id (decimal text) checked before anything is sent."""
    if not (value.isascii() and value.isdigit()) or value[0] == "0" or int(value) > SWAP_CLIENT_ID_MAX:
        raise InvalidField(f"client_order_id must be the decimal text of an integer from 1 to {SWAP_CLIENT_ID_MAX} "
                           f"on HTX swaps, not {value!r}", field="client_order_id")
    return value


class HtxSwapSession(PerpOps, Session):
    """An open session to HTX USDT-margined swaps. See `fastorder.connect(..., market="perp")`.

    `margin_mode` ("cross", the default, or "isolated"): which endpoints orders, cancels and queries use;
    `lever_rate` (default 5): the leverage sent with each order (the venue refuses one that differs from an open
    position's: set_leverage first); `position_mode` is read from positions, orders send `offset` only when
    `position_side` says long/short (hedge mode)."""

    venue = VENUE
    market = "perp"
    ws_capable = False
    default_rest_url = REST_URL
    default_events_url = "wss://api.hbdm.com/linear-swap-notification"   # the order push channel
    warm_path = "/api/v1/timestamp"
    envs = ("live",)
    _acceptance_window_ms = 301_000   # Signature V2 timestamps are valid 5 minutes
    _reply_header_names = (b"x-sim-processing-us", b"retry-after")

    def __init__(self, *, margin_mode: str = "cross", lever_rate: int = 5, **kw: Any) -> None:
        if kw.get("transport") == "ws":
            raise ConfigError("htx swaps take orders over REST in this library (HTX's linear-swap-trade WebSocket "
                              "order entry is not implemented); use transport='rest'", field="transport")
        if margin_mode not in ("cross", "isolated"):
            raise ConfigError(f"margin_mode must be 'cross' or 'isolated', not {margin_mode!r}", field="margin_mode")
        if isinstance(lever_rate, bool) or not isinstance(lever_rate, int) or not 1 <= lever_rate <= 200:
            raise ConfigError(f"lever_rate must be an int from 1 to 200, not {lever_rate!r}", field="lever_rate")
        super().__init__(**kw)
        if self.rest.host == "api.hbdm.vn":   # the AWS host: its order pushes from the same host
            self.default_events_url = "wss://api.hbdm.vn/linear-swap-notification"
        key = kw["key"]
        signer = signer_for(kw.get("secret"), kw.get("private_key"))
        self.signer_kind = "hmac" if isinstance(signer, HmacSha256) else "ed25519"
        self._key = _Hidden(key)
        self._signer = signer
        self.margin_mode = margin_mode
        self.lever_rate = lever_rate
        self._enc = HtxSwapRest(key, signer, host=self.rest.host_header, user_agent=USER_AGENT,
                                margin_mode=margin_mode)
        self.ids = SwapClientIds()   # type: ignore[assignment]
        #: base units per contract, per contract code (swap_contract_info's contract_size)
        self.contract_sizes: dict[str, Decimal] = {}
        self._leverage: dict[str, int] = {}   # per contract code, once set or read from a position
        self._sizes: dict[tuple[Any, bool, str], tuple[Any, str]] = {}   # _volume's results

    # -- connection set-up ---------------------------------------------------------------------------------
    async def _server_time_ms(self) -> int:
        return int((await self.rest_get_json("/api/v1/timestamp"))["ts"])

    async def load_symbols(self) -> None:
        """GET /linear-swap-api/v1/swap_contract_info: every perpetual (business_type swap) that is listed
        (contract_status 1): its tick (price_tick) and contract size; a volume is whole contracts (step 1)."""
        d = await self.rest_get_json(_P + "swap_contract_info")   # business_type's default: the swaps
        for c in d.get("data") or []:
            code = c.get("contract_code")
            if not code or c.get("contract_status") != 1 or c.get("business_type", "swap") != "swap":
                continue
            try:
                rules = SymbolRules(code, str(c["price_tick"]), "1", min_qty=1)
                size = Decimal(str(c["contract_size"]))
            except (InvalidOrder, KeyError, ArithmeticError) as exc:
                logger.debug("%s: contract %s not offered (%s)", VENUE, code, exc)
                continue
            base, _, quote = str(c.get("pair") or code).partition("-")
            self.symbols[perp_key(code)] = SymbolInfo(code, base, quote, rules)
            self.contract_sizes[code] = size
        for name, limit in _LIMITS.items():
            if name not in self.guard.windows:
                self.guard.set_limit(name, limit, _WINDOW_MS)

    # -- replies ----------------------------------------------------------------------------------------------
    def _result(self, resp: Any, clid: str | None, lat: Latency, action: str) -> dict[str, Any]:
        """A reply's parsed body, or the typed error (errors come with HTTP 200 and status "error")."""
        vals = self._reply_headers(resp, lat)
        if resp.status >= 500:
            raise _Unknown(VenueError(VENUE, resp.status, "server error", http_status=resp.status))
        if resp.status == 429:
            try:
                wait = float(vals[1])
            except (TypeError, ValueError):
                wait = 3.0   # no Retry-After: the venue's limits are counted over 3 s windows (docs, access guide)
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
            err = error_for(d.get("err_code"), str(d.get("err_msg", "")), clid, action)
            inner = err.cause if isinstance(err, _Unknown) else err
            if isinstance(inner, VenueError):
                inner.http_status = resp.status
            raise err
        return d

    async def _post(self, encode: Any, clid: str | None, lat: Latency, t_call: int, action: str) -> dict[str, Any]:
        buf = self._buf
        buf.clear()
        encode(buf)
        return self._result(await self.rest_send(buf.getvalue(), lat, t_call), clid, lat, action)

    def _order_ack(self, info: SymbolInfo, o: dict[str, Any], clid: str | None, lat: Latency, raw: Any) -> Ack:
        """An order as order info / open orders show it; sizes in base units (volume x contract_size)."""
        size = self.contract_sizes.get(info.name, Decimal(1))
        vol, done = o.get("volume"), o.get("trade_volume")
        qty = format(Decimal(str(vol)) * size, "f") if vol is not None else ""
        filled = format(Decimal(str(done)) * size, "f") if done is not None else ""
        avg = o.get("trade_avg_price")
        try:
            st = _STATUS.get(int(o.get("status", 0)), ACCEPTED)
        except (TypeError, ValueError):
            st = ACCEPTED
        c = o.get("client_order_id")
        return Ack(VENUE, info.name, str(c) if c else (clid or ""), str(o.get("order_id_str") or o.get("order_id", "")),
                   st, str(o.get("direction", "")).upper(), "" if o.get("price") is None else str(o["price"]), qty,
                   filled, "" if not done or avg is None else str(avg), o.get("created_at"), False, lat, raw)

    # -- orders ---------------------------------------------------------------------------------------------
    def _check_options(self, opts: OrderOptions, type: str) -> None:
        if opts.stp is not None or opts.stop_price is not None or opts.quote_quantity is not None \
                or opts.expire_ms is not None:
            Session._check_options(self, OrderOptions(opts.stp, opts.stop_price, opts.quote_quantity,
                                                      opts.expire_ms), type)
        if opts.position_side is not None:
            side = position_side_name(opts.position_side)
            if opts.reduce_only and side != "net":
                raise InvalidOrder("reduce_only applies in one-way mode only: in hedge mode the position side and "
                                   "the offset say which position the order closes", field="reduce_only")

    def _volume(self, info: SymbolInfo, quantity: Any, opts: OrderOptions | None) -> tuple[Any, str]:
        """(volume in contracts, the order's size in base units as text), exact. Remembered per (size, contract)
        for str / int / Decimal sizes: a strategy sends the same few sizes again and again."""
        contracts = opts.contracts if opts is not None else None
        key = (quantity if contracts is None else contracts, contracts is None, info.name)
        hit = self._sizes.get(key) if key[0].__class__ in _CACHED else None
        if hit is not None:
            return hit
        size = self.contract_sizes.get(info.name, _ONE)
        if contracts is not None:
            vol = contracts
            text = format(exact(contracts, "contracts") * size, "f")
        else:
            vol = quantity_to_contracts(quantity, size)
            text = format(vol * size, "f")
        if key[0].__class__ in _CACHED:
            if len(self._sizes) >= 1024:
                self._sizes.clear()
            self._sizes[key] = (vol, text)
        return vol, text

    async def place_order(self, symbol: str, side: str, quantity: Any, price: Any = None, *,
                          client_order_id: str | None = None, **kw: Any) -> Ack:
        if client_order_id.__class__ is str:
            _clid_text(client_order_id)   # an integer's text on this API: refused before anything is sent
        return await super().place_order(symbol, side, quantity, price, client_order_id=client_order_id, **kw)

    async def _place(self, info, side, quantity, price, type, tif, post_only, clid, lat, t_call,
                     opts=None) -> Ack:
        volume, size_text = self._volume(info, quantity, opts)
        offset = None
        reduce_only = False
        if opts is not None:
            reduce_only = opts.reduce_only
            if opts.position_side is not None:
                ps = position_side_name(opts.position_side)
                if ps != "net":   # hedge mode: opening the long is a buy, closing it a sell (and so for the short)
                    offset = "open" if (ps == "long") == (side == "BUY") else "close"
        if type == "market":
            opt = "market"
        elif post_only:
            opt = "post_only"
        else:
            opt = _TIF_TYPE[tif]
        lev = self._leverage.get(info.name, self.lever_rate)
        enc = self._enc
        buf = self._buf
        buf.clear()
        enc.place_order_request(buf, info.name, _DIRECTION[side], volume=volume, client_order_id=clid,
                                timestamp_s=self.now_ms() // 1000, lever_rate=lev, order_price_type=opt,
                                price=price if type != "market" else None, offset=offset, reduce_only=reduce_only,
                                rules=info.rules)
        d = self._result(await self.rest_send(buf.getvalue(), lat, t_call), clid, lat, "place")
        data = d.get("data")
        if not isinstance(data, dict) or ("order_id_str" not in data and "order_id" not in data):
            raise _Unknown(VenueError(VENUE, "unexpected", "order reply without an order id"))
        return Ack(VENUE, info.name, clid, str(data.get("order_id_str") or data["order_id"]), ACCEPTED, side,
                   "" if price is None or type == "market" else str(price), size_text, "", "", d.get("ts"), False,
                   lat, d)

    async def _cancel(self, info, order_id, clid, lat, t_call) -> Ack:
        """swap_(cross_)cancel: data.successes lists the ids whose cancel was taken (CANCEL_REQUESTED), data.errors
        the others: 1061 not found (UnknownOrder), 1071 canceled already, 1063 filled already."""
        ts = self.now_ms() // 1000
        if clid is not None:
            _clid_text(clid)
        d = await self._post(lambda b: self._enc.cancel_request(b, info.name, timestamp_s=ts, order_id=order_id,
                                                                 client_order_id=None if order_id is not None
                                                                 else clid), clid, lat, t_call, "cancel")
        data = d.get("data")
        if not isinstance(data, dict):
            raise _Unknown(VenueError(VENUE, "unexpected", "cancel reply without data"))
        ident = str(order_id if order_id is not None else clid)
        ok = [x for x in str(data.get("successes") or "").split(",") if x]
        if ident in ok or (len(ok) == 1 and not data.get("errors")):
            return Ack(venue=VENUE, symbol=info.name, client_order_id=clid or "",
                       order_id="" if order_id is None else str(order_id), status=CANCEL_REQUESTED, latency=lat,
                       raw=d)
        for e in data.get("errors") or []:
            if not isinstance(e, dict):
                continue
            code = e.get("err_code")
            status = {1071: CANCELED, 1063: FILLED}.get(code if isinstance(code, int) else -1)
            if status is not None:
                return Ack(venue=VENUE, symbol=info.name, client_order_id=clid or "",
                           order_id="" if order_id is None else str(order_id), status=status, latency=lat, raw=d)
            err = error_for(code, str(e.get("err_msg", "")), clid, "cancel")
            raise err
        raise _Unknown(VenueError(VENUE, "unexpected", f"cancel reply names neither success nor error: {data}"))

    async def _query(self, info, order_id, clid, lat, t_call, *, rest=True) -> Ack:
        ts = self.now_ms() // 1000
        if clid is not None and order_id is None:
            _clid_text(clid)
        d = await self._post(lambda b: self._enc.order_info_request(b, info.name, timestamp_s=ts, order_id=order_id,
                                                                     client_order_id=None if order_id is not None
                                                                     else clid), clid, lat, t_call, "query")
        rows = d.get("data")
        if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
            raise _Unknown(VenueError(VENUE, "unexpected", "order info reply without the order"))
        return self._order_ack(info, rows[0], clid, lat, d)

    async def _not_found_after_window(self, info: SymbolInfo, rec: dict[str, Any]) -> Ack | None:
        """"Not found" says "never placed" only while the venue would still show the order: a client id finds
        orders placed within 8 hours, a canceled order only within 2 hours of its cancel, and a final order is
        deleted at a funding settlement (the docs give 00:00, 08:00, 16:00 GMT+8 on one page and 04:00, 12:00,
        20:00 on another: every 4-hour boundary counts). Past any of these the order stays pending, undecided."""
        ts = int(rec.get("ts") or 0)
        now = self.now_ms()
        if now - ts < _SEEN_MS and ts // _SETTLE_STEP_MS == now // _SETTLE_STEP_MS:
            return await super()._not_found_after_window(info, rec)
        return None

    async def _open_orders(self, info: SymbolInfo | None) -> list[Ack]:
        """swap_(cross_)openorders, 50 a page (page_index from 1)."""
        infos = [info] if info is not None else list(self.symbols.values())
        mode = "cross_" if self.margin_mode == "cross" else ""
        out: list[Ack] = []
        for inf in infos:
            for page in range(1, 201):
                data = await self._account_call(f"swap_{mode}openorders", {"contract_code": inf.name,
                                                                            "page_index": page, "page_size": 50})
                rows = data.get("orders") if isinstance(data, dict) else None
                if not isinstance(rows, list):
                    raise VenueError(VENUE, "unexpected", "open orders reply without a list")
                out.extend(self._order_ack(inf, o, None, Latency(), o) for o in rows if isinstance(o, dict))
                if page >= int(data.get("total_page") or 1):
                    break
        return out

    # -- dead-man's switch: POST /linear-swap-api/v1/linear-cancel-after -----------------------------------
    def _cancel_after_range(self) -> tuple[float, float]:
        """time_out is whole milliseconds, at least 5,000; the docs give no maximum (an int: 2**31-1 ms)."""
        return 5.0, (2**31 - 1) / 1000

    async def _arm_cancel_after(self, seconds: float) -> None:
        """(Re-)arm the switch: {"on_off": 1, "time_out": ms} (rounded down: never later than asked). When it is
        not re-armed in time HTX cancels every pending order of the account, cross and isolated alike. Costs
        one request of the trade window."""
        ms = max(5000, int(seconds * 1000))
        try:
            resp, lat = await self._account_post("linear-cancel-after", {"on_off": 1, "time_out": ms}, "account")
        except _Unknown as u:
            raise ConnectionLost(f"htx_swap: the dead-man's switch got no reply ({u.cause})") from None
        data = self._cancel_after_reply(resp, lat)
        logger.debug("%s: dead-man's switch armed for %d ms (trigger_time %s)", VENUE, ms, data.get("trigger_time"))

    def _cancel_after_reply(self, resp: Any, lat: Latency) -> dict[str, Any]:
        """linear-cancel-after's `data`, or the typed error. The endpoint has its own envelope, {code, msg, ts,
        data{current_time, trigger_time}}; the docs publish no success example, and HTX's own Java SDK and
        HTX.Net take code 200 as success and any other code as an error (docs/venues/htx-swap.md). A refusal in
        the order endpoints' envelope (`status` "error", `err_code`), a 429 and a 5xx are read as there."""
        if resp.status == 429 or resp.status >= 500:
            try:
                self._result(resp, None, lat, "account")
            except _Unknown:
                pass
            raise VenueError(VENUE, resp.status, "server error arming the dead-man's switch",
                             http_status=resp.status)
        try:
            d = orjson.loads(resp.body)
        except orjson.JSONDecodeError:
            d = None
        if isinstance(d, dict) and "code" in d:
            if d["code"] in (200, "200"):
                data = d.get("data")
                return data if isinstance(data, dict) else {}
            err = error_for(d["code"], str(d.get("msg") or ""), None, "account")
        elif isinstance(d, dict) and d.get("status") == "error":
            err = error_for(d.get("err_code"), str(d.get("err_msg") or ""), None, "account")
        else:
            raise VenueError(VENUE, resp.status, "unreadable reply arming the dead-man's switch",
                             http_status=resp.status)
        inner = err.cause if isinstance(err, _Unknown) else err
        if not isinstance(inner, VenueError):
            inner = VenueError(VENUE, "unknown", str(inner))
        inner.http_status = resp.status
        raise inner

    # -- the account (fastorder.venues.perp) ----------------------------------------------------------------
    async def _account_post(self, endpoint: str, body: dict[str, Any], kind: str) -> tuple[Any, Latency]:
        """One signed POST of `body` to the linear swap API's `endpoint`, off the order path: its cost taken from
        the guard's `kind` window first (waiting out a short block). The reply and its Latency; _Unknown when
        none came."""
        await self.ledger.acquire(kind, max(self.timeout, 1.0))
        buf = self._buf
        buf.clear()
        self._enc.signed_post(buf, _P + endpoint, orjson.dumps(body), timestamp_s=self.now_ms() // 1000)
        lat = Latency()
        return await self.rest_send(buf.getvalue(), lat, perf_ns()), lat

    async def _account_call(self, endpoint: str, body: dict[str, Any], kind: str = "read") -> Any:
        """One signed POST off the order path (_account_post); its `data`, or the typed error."""
        try:
            resp, lat = await self._account_post(endpoint, body, kind)
            d = self._result(resp, None, lat, "account")
        except _Unknown as u:
            cause = u.cause
            raise cause if isinstance(cause, VenueError) else VenueError(VENUE, "unknown", str(cause)) from None
        return d.get("data")

    async def _positions(self, info: SymbolInfo | None) -> list[Position]:
        mode = "cross_" if self.margin_mode == "cross" else ""
        rows = await self._account_call(f"swap_{mode}position_info",
                                        {"contract_code": info.name} if info is not None else {})
        if not isinstance(rows, list):
            raise VenueError(VENUE, "unexpected", "position info reply without a list")
        out = []
        for p in rows:
            if not isinstance(p, dict) or not p.get("volume"):
                continue
            code = str(p.get("contract_code", ""))
            vol = Decimal(str(p["volume"]))
            sign = -1 if p.get("direction") == "sell" else 1
            size = self.contract_sizes.get(code, Decimal(1))
            hedge = p.get("position_mode") == "dual_side"
            lev = p.get("lever_rate")
            if isinstance(lev, int):
                self._leverage[code] = lev
            out.append(Position(VENUE, code, ("long" if sign > 0 else "short") if hedge else "net",
                                format(sign * vol * size, "f"), format(sign * vol, "f"),
                                str(p.get("cost_hold", "")), str(p.get("last_price", "")),
                                str(p.get("profit_unreal", "")), lev if isinstance(lev, int) else None,
                                str(p.get("margin_mode", "")), p))
        return out

    async def _set_leverage(self, info: SymbolInfo, leverage: int) -> int:
        mode = "cross_" if self.margin_mode == "cross" else ""
        d = await self._account_call(f"swap_{mode}switch_lever_rate", {"contract_code": info.name,
                                                                       "lever_rate": leverage}, "account")
        lev = d.get("lever_rate") if isinstance(d, dict) else None
        if not isinstance(lev, int):
            raise VenueError(VENUE, "unexpected", "switch lever rate reply without lever_rate")
        self._leverage[info.name] = lev
        return lev

    async def _cancel_all(self, info: SymbolInfo | None) -> list[Ack]:
        """swap_(cross_)cancelall per contract with open orders (the venue takes one contract_code a request):
        the open orders are listed first; each comes back CANCEL_REQUESTED when the reply's successes name it,
        else as the reply's errors say (1071 canceled, 1063 filled) or as listed. 1051 ("No orders to cancel.")
        is an empty result."""
        listed = await self._open_orders(info)
        mode = "cross_" if self.margin_mode == "cross" else ""
        done: set[str] = set()
        errs: dict[str, int] = {}
        for code in dict.fromkeys(a.symbol for a in listed):
            try:
                data = await self._account_call(f"swap_{mode}cancelall", {"contract_code": code}, "account")
            except VenueError as exc:
                if exc.code == 1051:
                    continue
                raise
            if isinstance(data, dict):
                done.update(x for x in str(data.get("successes") or "").split(",") if x)
                for e in data.get("errors") or []:
                    if isinstance(e, dict) and isinstance(e.get("err_code"), int):
                        errs[str(e.get("order_id"))] = e["err_code"]
        for a in listed:
            if a.order_id in done:
                a.status = CANCEL_REQUESTED
            else:
                a.status = {1071: CANCELED, 1063: FILLED}.get(errs.get(a.order_id, 0), a.status)
        return listed

    async def _balances(self) -> dict[str, Balance]:
        """swap_cross_account_info (margin account "USDT") or swap_account_info (one isolated margin account per
        contract): per margin account, free = withdraw_available, locked = margin_position + margin_frozen (the
        margin of the positions and of the open orders). Keyed by margin account ("USDT", "BTC-USDT", ...)."""
        if self.margin_mode == "cross":
            rows = await self._account_call("swap_cross_account_info", {"margin_account": "USDT"})
        else:
            rows = await self._account_call("swap_account_info", {})
        if not isinstance(rows, list):
            raise VenueError(VENUE, "unexpected", "account info reply without a list")
        out = {}
        for r in rows:
            if not isinstance(r, dict) or not r.get("margin_account"):
                continue
            try:
                locked = Decimal(str(r.get("margin_position") or 0)) + Decimal(str(r.get("margin_frozen") or 0))
                free = Decimal(str(r.get("withdraw_available") or 0))
            except ArithmeticError:
                raise VenueError(VENUE, "unexpected", "account info with a value that is not a number") from None
            out[str(r["margin_account"])] = Balance(str(r.get("margin_asset") or "USDT"), format(free, "f"),
                                                    format(locked, "f"))
        return out

    async def _set_margin_mode(self, info: SymbolInfo, mode: str) -> None:
        raise self._not_supported("a margin-mode switch (HTX keeps cross and isolated as separate accounts, each with "
                                  "its own endpoints)", "connect(..., market='perp', margin_mode='cross' or "
                                  "'isolated')")

    async def _set_position_mode(self, hedge: bool) -> None:
        """swap_cross_switch_position_mode (margin_account "USDT") or swap_switch_position_mode (the contract's
        isolated margin account, e.g. "BTC-USDT", for every loaded contract): single_side / dual_side."""
        pm = "dual_side" if hedge else "single_side"
        if self.margin_mode == "cross":
            await self._account_call("swap_cross_switch_position_mode", {"margin_account": "USDT",
                                                                         "position_mode": pm}, "account")
            return
        for info in list(self.symbols.values()):
            await self._account_call("swap_switch_position_mode", {"margin_account": info.name, "position_mode": pm},
                                     "account")

    def _order_costs(self, info: SymbolInfo) -> dict[str, int]:
        return _TRADE

    def _request_costs(self, kind: str, info: SymbolInfo | None) -> dict[str, int]:
        name = _KIND.get(kind)
        if name is None:
            return {}
        if name not in self.guard.windows:
            self.guard.set_limit(name, _LIMITS[name], _WINDOW_MS)
        return {name: 1}

    def _stream_part(self) -> Any:
        from fastorder.venues.htx_swap_events import HtxSwapStreamPart
        return HtxSwapStreamPart(self)


__all__ = ["AWS_REST_URL", "REST_URL", "HtxSwapSession", "SwapClientIds", "error_for"]
