"""Binance Spot: REST (`/api/v3/order`) and the WebSocket API (`/ws-api/v3`). Behaviours and their public
sources: docs/venues/binance.md."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote

import orjson

from fastorder._core.binance import BinanceRest, BinanceWs
from fastorder._core.numbers import SymbolRules
from fastorder._core.sign import Ed25519Signer, HmacSha256
from fastorder.errors import (
    AuthenticationError,
    Banned,
    ClientIdInUse,
    ConfigError,
    DuplicateOrder,
    ExecutionUnknown,
    FastorderError,
    FilterRejected,
    InsufficientBalance,
    InvalidCredential,
    InvalidOrder,
    NotSupported,
    OrderRejected,
    RateLimited,
    TimestampRejected,
    UnknownOrder,
    VenueError,
)
from fastorder.log import logger
from fastorder.types import (
    ACCEPTED,
    CANCELED,
    EXPIRED,
    FILLED,
    FINAL_STATES,
    NEW,
    PARTIALLY_FILLED,
    REJECTED,
    Ack,
    Balance,
    Latency,
)
from fastorder.venues.base import USER_AGENT, Session, SymbolInfo, _Unknown, normalize_symbol, perf_ns
from fastorder.venues.limits import parse_retry_after
from fastorder.venues.operations import OrderOptions

VENUE = "binance"
_STATUS = {"NEW": NEW, "PENDING_NEW": NEW, "PARTIALLY_FILLED": PARTIALLY_FILLED, "FILLED": FILLED,
           "CANCELED": CANCELED, "PENDING_CANCEL": CANCELED, "REJECTED": REJECTED, "EXPIRED": EXPIRED,
           "EXPIRED_IN_MATCH": EXPIRED}
_UNKNOWN_CODES = (-1000, -1006, -1007)   # "execution status unknown" (errors.md: -1006, -1007)
_AUTH_CODES = (-1022, -2014, -2015, -1002)
_FILTER_CODES = (-1013, -1111, -1100, -1102, -1104, -1106, -1115, -1116, -1117, -1121)


def error_for(code: int | None, msg: str, status: int, clid: str | None, *, action: str,
              retry_after: float | None = None) -> BaseException:
    """A Binance error reply as a typed exception; `_Unknown` when the outcome is unknown (5xx etc.)."""
    code_v: Any = code if code is not None else status
    if status >= 500 or code in _UNKNOWN_CODES:
        return _Unknown(VenueError(VENUE, code_v, msg, http_status=status, client_order_id=clid))
    if status == 418:
        return Banned(VENUE, code_v, msg, retry_after=retry_after, http_status=status, client_order_id=clid)
    if status == 429 or code in (-1003, -1015):
        return RateLimited(VENUE, code_v, msg, retry_after=retry_after, http_status=status, client_order_id=clid)
    if code == -1021:
        return TimestampRejected(VENUE, code_v, msg, http_status=status, client_order_id=clid)
    if code in _AUTH_CODES or status in (401, 403):
        return AuthenticationError(VENUE, code_v, msg, http_status=status, client_order_id=clid)
    if code == -2013 or (code in (-2011, -2038) and "Unknown order" in msg):
        return UnknownOrder(VENUE, code_v, msg, http_status=status, client_order_id=clid)
    low = msg.lower()
    if code == -2010 and "insufficient balance" in low:
        return InsufficientBalance(VENUE, code_v, msg, http_status=status, client_order_id=clid)
    if code == -2010 and "duplicate" in low:
        return DuplicateOrder(VENUE, code_v, msg, http_status=status, client_order_id=clid)
    if code in _FILTER_CODES:
        return FilterRejected(VENUE, code_v, msg, http_status=status, client_order_id=clid)
    if action == "place" or code in (-2010, -2011, -2038, -2021, -2022):
        return OrderRejected(VENUE, code_v, msg, http_status=status, client_order_id=clid)
    return VenueError(VENUE, code_v, msg, http_status=status, client_order_id=clid)


def exchange_info_error(status: int, body: bytes, params: dict[str, Any]) -> BaseException:
    """A refused ``exchangeInfo`` request (at start-up): an unknown name in ``symbol``/``symbols`` is the
    caller's mistake (InvalidOrder naming the symbols asked for); anything else is the venue's typed error."""
    try:
        d = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        d = {}
    if not isinstance(d, dict):
        d = {}
    code, msg = d.get("code"), str(d.get("msg", ""))
    if code == -1121:
        asked = params.get("symbols") or params.get("symbol") or ""
        return InvalidOrder(f"binance has no symbol among {asked} ({msg})", field="symbols")
    err = error_for(code, msg or f"HTTP {status}", status, None, action="exchangeInfo")
    return err.cause if isinstance(err, _Unknown) else err


def ack_from(info: SymbolInfo, d: dict[str, Any], clid: str, lat: Latency, raw: Any) -> Ack:
    get = d.get
    executed = get("executedQty", "")
    avg = ""
    if executed and executed.strip("0.") != "" and get("cummulativeQuoteQty"):   # a fill (no Decimal if none)
        avg = str(Decimal(d["cummulativeQuoteQty"]) / Decimal(executed))
    # positional: the order of fastorder.types.Ack (base.ACK_FIELDS)
    return Ack(VENUE, info.name, get("origClientOrderId") or get("clientOrderId") or clid, str(get("orderId", "")),
               _STATUS.get(get("status", ""), ACCEPTED), get("side", ""), get("price", ""), get("origQty", ""),
               executed, avg, get("transactTime") or get("updateTime") or get("time"), False, lat, raw)


# request weight charged locally before sending: a cancel that succeeds weighs 0 since 2026-04-02 (CHANGELOG
# 2026-03-27; a failed one weighs 1, which the usage header then reports), a query 4, time and ping 1
# (binance-spot-api-docs rest-api.md, each endpoint's "Weight"; exchangeInfo 20); every request is 1 of the
# RAW_REQUESTS windows
_WEIGHTS = {"cancel": 0, "query": 4, "time": 1, "ping": 1, "info": 20, "open_orders": 6, "open_orders_all": 80,
            "account": 20, "cancel_all": 0, "amend": 4, "replace": 0}
# the hosts of each environment: live (rest-api.md / web-socket-api.md "General API Information"), the Spot Test
# Network (testnet/rest-api.md, testnet/web-socket-api.md) and Demo Mode (demo-mode/general-info.md)
HOSTS = {"live": ("https://api.binance.com", "wss://ws-api.binance.com:443/ws-api/v3"),
         "testnet": ("https://testnet.binance.vision", "wss://ws-api.testnet.binance.vision/ws-api/v3"),
         "demo": ("https://demo-api.binance.com", "wss://demo-ws-api.binance.com/ws-api/v3")}
# place_order(stp=...): the venue-neutral modes, and the venue's own (enums.md "STP Modes")
_STP = {"none": "NONE", "cancel_taker": "EXPIRE_TAKER", "cancel_maker": "EXPIRE_MAKER", "cancel_both": "EXPIRE_BOTH",
        **{m: m for m in ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER")}}
_BTYPES = {"market": "MARKET", "limit": "LIMIT", "stop_loss": "STOP_LOSS", "stop_loss_limit": "STOP_LOSS_LIMIT",
           "take_profit": "TAKE_PROFIT", "take_profit_limit": "TAKE_PROFIT_LIMIT"}
_WITH_TIF = frozenset(("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"))


def listed_ack(d: dict[str, Any], lat: Latency) -> Ack:
    """An order as openOrders / a cancel report lists it (any symbol)."""
    return ack_from(SymbolInfo(str(d.get("symbol", "")), "", "", None), d, "", lat, d)   # type: ignore[arg-type]


def amended_ack(info: SymbolInfo, d: dict[str, Any], lat: Latency, raw: Any) -> Ack:
    """order.amend.keepPriority's result: its amendedOrder says qty / cumulativeQuoteQty, and clientOrderId is
    the order's id from now on (origClientOrderId the one it had)."""
    od = d.get("amendedOrder")
    if not isinstance(od, dict):
        raise _Unknown(VenueError(VENUE, 200, "an amend reply without amendedOrder"))
    conv = {k: v for k, v in od.items() if k != "origClientOrderId"}
    conv["origQty"] = od.get("qty", "")
    conv["cummulativeQuoteQty"] = od.get("cumulativeQuoteQty", "")
    conv["transactTime"] = d.get("transactTime")
    return ack_from(info, conv, str(od.get("clientOrderId", "")), lat, raw)
_INTERVAL_MS = {"SECOND": 1000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000}


_UNSEEN = object()
_D0 = Decimal(0)


def _none_executed(filled: str) -> bool:
    """An Ack's filled_qty says nothing has traded ("", "0", "0.00000000"): the same answer as
    `not Decimal(filled or "0")` for the decimal text the venue writes, without making a Decimal (per
    re-price)."""
    return not filled.strip("0.") if filled.__class__ is str else not Decimal(filled or "0")


def _usage_header(window: str) -> bytes:
    """'REQUEST_WEIGHT:1M' -> b'x-mbx-used-weight-1m', 'ORDERS:10S' -> b'x-mbx-order-count-10s' (the
    headers Binance reports each window's usage in); b'' for a window no header reports."""
    kind, _, interval = window.partition(":")
    prefix = {"REQUEST_WEIGHT": "x-mbx-used-weight-", "ORDERS": "x-mbx-order-count-"}.get(kind)
    return (prefix + interval.lower()).encode() if prefix and interval else b""


def _window_name(kind: str, interval: str, num: int) -> str:
    """ORDERS + SECOND + 10 -> 'ORDERS:10S', the suffix Binance's usage headers use."""
    return f"{kind}:{num}{interval[:1]}" if interval in _INTERVAL_MS else ""


class BinanceSession(Session):
    venue = VENUE
    default_rest_url = HOSTS["live"][0]
    default_ws_url = HOSTS["live"][1]
    warm_path = "/api/v3/ping"
    envs: ClassVar[tuple[str, ...]] = ("live", "testnet", "demo")
    order_types = frozenset(("limit", "market", "stop_loss", "stop_loss_limit", "take_profit", "take_profit_limit"))
    #: Binance Spot has no batch order entry: place_orders / cancel_orders / amend_orders pipeline single requests
    batch_limit = 0
    # a reply as an Ack, an error reply as its typed error: hooks, so the USDⓈ-M futures session
    # (fastorder.venues.binance_futures) reads its own replies through the same request code
    _ack_from = staticmethod(ack_from)
    _error_for = staticmethod(error_for)

    @property
    def acceptance_window_ms(self) -> int:
        """recvWindow (default 5 s) is checked again just before the matching engine (rest-api.md "Timing security"),
        so an order not seen by then never will be; 1 s of margin for the clock."""
        if "_acceptance_window_ms" in self.__dict__:
            return self.__dict__["_acceptance_window_ms"]
        return (self.recv_window or 5000) + 1000

    def __init__(self, *, resp_type: str = "RESULT", symbols: list[str] | tuple[str, ...] | None = None,
                 **kw: Any) -> None:
        env = kw.get("env", "live")
        # Session refuses any other env; url= / ws_url= still name other hosts (a simulator). A subclass that set
        # its own hosts (USDⓈ-M futures) keeps them.
        if env in HOSTS and "default_rest_url" not in self.__dict__:
            self.default_rest_url, self.default_ws_url = HOSTS[env]
        super().__init__(**kw)
        if symbols is not None:
            if isinstance(symbols, str) or not all(isinstance(x, str) and x for x in symbols) or not symbols:
                raise InvalidOrder("symbols must be a non-empty list of symbol names", field="symbols")
            symbols = list(dict.fromkeys(normalize_symbol(x) for x in symbols))
        #: the symbols whose rules start-up loads (None: every symbol, the whole exchangeInfo document)
        self.load_only = symbols
        self._loading: dict[str, asyncio.Future[Any]] = {}   # one on-demand exchangeInfo request per symbol
        key, secret, private_key = kw["key"], kw.get("secret"), kw.get("private_key")
        if private_key is not None:
            signer: Any = Ed25519Signer(private_key)
        elif secret is not None:
            signer = HmacSha256(secret)
        else:
            raise InvalidCredential("binance needs secret= (HMAC key) or private_key= (Ed25519 key)")
        self.ed25519 = isinstance(signer, Ed25519Signer)
        if resp_type not in ("ACK", "RESULT", "FULL"):
            raise ConfigError("resp_type must be ACK, RESULT or FULL", field="resp_type")
        self.resp_type = resp_type
        self._rest_enc = BinanceRest(key, signer, host=self.rest.host_header, recv_window=self.recv_window,
                                     user_agent=USER_AGENT)
        self._ws_enc = BinanceWs(key, signer, recv_window=self.recv_window)
        self._signer = signer   # the user data stream signs its subscription (binance_events)
        self.logged_on = False
        self._costs: dict[str, int] | None = None
        self._rl_windows: dict[tuple[Any, Any, Any], Any] = {}   # (type, interval, number) -> guard window
        self._rl_known = -1   # how many windows the guard had when _rl_windows was filled
        self._usage_windows: tuple[Any, ...] | None = None   # the guard windows a usage header reports
        self._usage_known = -1   # how many windows the guard had when _usage_windows was made
        self.unsolicited: list[Any] = []   # unsolicited messages (serverShutdown, …) for the reliability layer
        # what amend_order last saw of orders it may cancel-replace without reading them first (_remember)
        self._amend_state: dict[str, tuple[str, str, str, str, str, str, str]] = {}

    # -- connection set-up ---------------------------------------------------------------------------------
    async def _server_time_ms(self) -> int:
        return int((await self.rest_get_json("/api/v3/time"))["serverTime"])

    async def load_symbols(self, names: list[str] | None = None) -> None:
        """The rules of `names` (default: the `symbols=` given to connect, else every symbol) and the rate
        limits, from one ``GET /api/v3/exchangeInfo`` (``symbol=`` / ``symbols=[…]`` narrow it: the whole
        document is megabytes)."""
        names = names if names is not None else self.load_only
        path = "/api/v3/exchangeInfo"
        if names:
            path += ("?symbol=" + quote(names[0], safe="") if len(names) == 1 else
                     "?symbols=" + quote(orjson.dumps(names).decode(), safe=""))
        self._asked = names
        info = await self.rest_get_json(path)
        self._costs = None   # the windows may change: order costs are worked out again
        for rl in info.get("rateLimits", []):
            name = _window_name(rl.get("rateLimitType", ""), rl.get("interval", ""), rl.get("intervalNum", 1))
            if name and rl.get("rateLimitType") in ("ORDERS", "REQUEST_WEIGHT", "RAW_REQUESTS"):
                self.guard.set_limit(name, int(rl["limit"]), _INTERVAL_MS[rl["interval"]] * int(rl["intervalNum"]))
        # the weight start-up used (clock samples, this request's 20) is spent before the windows were known:
        # the reply's X-MBX-USED-WEIGHT-1M puts it in the guard
        reply = getattr(self, "last_public_reply", None)
        if reply is not None:
            self._observe_headers(reply, Latency())
        for s in info["symbols"]:
            f = {x["filterType"]: x for x in s.get("filters", [])}
            pf, ls = f.get("PRICE_FILTER", {}), f.get("LOT_SIZE", {})
            notional = f.get("NOTIONAL", f.get("MIN_NOTIONAL", {})).get("minNotional", "0")
            try:
                rules = SymbolRules(s["symbol"], pf.get("tickSize", "0.00000001"), ls.get("stepSize", "0.00000001"),
                                    min_price=pf.get("minPrice", 0), max_price=pf.get("maxPrice", 0),
                                    min_qty=ls.get("minQty", 0), max_qty=ls.get("maxQty", 0),
                                    min_notional=notional)
            except InvalidOrder as exc:   # a symbol whose rules we cannot read is not offered
                logger.debug("binance: symbol %s not offered (%s)", s.get("symbol"), exc)
                continue
            self.symbols[s["symbol"].upper()] = SymbolInfo(s["symbol"], s.get("baseAsset", ""),
                                                           s.get("quoteAsset", ""), rules)

    def _public_error(self, path: str, status: int, body: bytes) -> BaseException:
        if path.startswith("/api/v3/exchangeInfo"):
            return exchange_info_error(status, body, {"symbols": getattr(self, "_asked", None)})
        return super()._public_error(path, status, body)

    async def resolve_symbol(self, symbol: str) -> SymbolInfo:
        """A symbol not loaded at start (connect's `symbols=` did not name it) is loaded on first use: one
        ``exchangeInfo?symbol=`` request before the order is sent; concurrent first uses share it."""
        try:
            return self.symbol(symbol)
        except InvalidOrder:
            if self.load_only is None or not isinstance(symbol, str) or not symbol:
                raise   # everything was loaded at start: the venue has no such symbol
        name = normalize_symbol(symbol)
        fut = self._loading.get(name)
        if fut is None:
            fut = self._loading[name] = asyncio.ensure_future(self.load_symbols([name]))
            fut.add_done_callback(lambda _f: self._loading.pop(name, None))
        await asyncio.shield(fut)
        return self.symbol(symbol)

    async def _ws_logon(self, conn: Any) -> None:
        """Ed25519 keys log the connection on once, so orders carry no per-order signature; HMAC keys
        sign every request (the docs allow session.logon for Ed25519 only)."""
        if not self.ed25519:
            return
        buf = self._buf
        buf.clear()
        rid = self.next_request_id()
        self._ws_enc.session_logon(buf, rid, timestamp=self.now_ms())
        reply = orjson.loads(await conn.request(str(rid).encode(), buf.getvalue(), timeout=self.timeout))
        if reply.get("status") != 200:
            err = reply.get("error", {})
            raise self._error_for(err.get("code"), err.get("msg", ""), reply.get("status", 0), None, action="logon")
        self.logged_on = True

    def _on_ws_message(self, payload: bytes, binary: bool, conn: Any = None) -> None:
        try:
            msg = orjson.loads(payload)
        except orjson.JSONDecodeError:
            logger.debug("binance: a WebSocket message that is not JSON was ignored (%d bytes)", len(payload))
            return
        self.unsolicited.append(msg)
        del self.unsolicited[:-100]   # keep the latest few
        event = msg.get("event") if isinstance(msg, dict) else None
        if isinstance(event, dict) and event.get("e") == "serverShutdown" and conn is not None:
            # a planned disconnect follows: move to a fresh connection first (web-socket-api.md "Server Shutdown")
            self._tasks.append(asyncio.get_running_loop().create_task(self.ws_pool.rotate(conn)))

    # -- one request, either transport ---------------------------------------------------------------------
    async def _call(self, info: SymbolInfo, encode_rest, encode_ws, clid: str | None, lat: Latency,
                    t_call: int, action: str, rest: bool = False) -> Ack:
        buf = self._buf
        buf.clear()
        if self.transport == "rest" or rest:
            encode_rest(buf)
            return self._rest_result(info, await self.rest_send(buf.getvalue(), lat, t_call), clid, lat, action)
        rid = self.next_request_id()
        encode_ws(buf, rid)
        return self._ws_result(info, await self.ws_send(str(rid).encode(), buf.getvalue(), lat, t_call), clid,
                               lat, action)

    def _rest_result(self, info: SymbolInfo, resp: Any, clid: str | None, lat: Latency, action: str) -> Ack:
        """A REST reply as the Ack, or the typed error (usage headers observed either way)."""
        self._observe_headers(resp, lat)
        try:
            d = orjson.loads(resp.body) if resp.body else {}
        except orjson.JSONDecodeError as exc:
            raise _Unknown(exc) from None
        if resp.status == 200 and isinstance(d, dict):
            return self._ack_from(info, d, clid or "", lat, d)
        if not isinstance(d, dict):
            raise _Unknown(VenueError(VENUE, resp.status, "unexpected reply"))
        # seconds, or an HTTP date; absent or unreadable: None (the guard's default block applies)
        retry_after = parse_retry_after(resp.header(b"retry-after"))
        if retry_after and resp.status in (418, 429):
            self.guard.block(retry_after, banned=resp.status == 418)
        raise self._error_for(d.get("code"), str(d.get("msg", "")), resp.status, clid, action=action,
                        retry_after=retry_after)

    def _ws_result(self, info: SymbolInfo, reply: bytes, clid: str | None, lat: Latency, action: str) -> Ack:
        """A WebSocket reply as the Ack, or the typed error (its rateLimits observed either way)."""
        try:
            d = orjson.loads(reply)
        except orjson.JSONDecodeError as exc:
            raise _Unknown(exc) from None
        status = d.get("status", 0) if isinstance(d, dict) else 0
        if isinstance(d, dict):
            self._observe_ws(d)
        if status == 200 and isinstance(d.get("result"), dict):
            return self._ack_from(info, d["result"], clid or "", lat, d)
        # past here the reply is an error, or a shape no venue documents: read it defensively
        err = d.get("error") if isinstance(d, dict) else None
        if not isinstance(err, dict):
            err = {}
        if status.__class__ is not int:
            status = 0   # no usable status: treated as 5xx below (outcome unknown, the order is queried)
        elif status == 200:   # a success without its result: nothing says the order was refused
            raise _Unknown(VenueError(VENUE, 200, "a success reply without a result"))
        data = err.get("data")
        retry = data.get("retryAfter") if isinstance(data, dict) else None
        retry_after = max(0.0, (retry - self.now_ms()) / 1000) if isinstance(retry, (int, float)) and retry else None
        if retry_after and status in (418, 429):
            self.guard.block(retry_after, banned=status == 418)
        code = err.get("code")
        raise self._error_for(code if isinstance(code, int) else None, str(err.get("msg", "")), status or 500, clid,
                        action=action, retry_after=retry_after)

    def _order_costs(self, info: SymbolInfo) -> dict[str, int]:
        """Every ORDERS and RAW_REQUESTS window takes 1. REQUEST_WEIGHT takes 0: since 2026-04-02 a new order
        or cancel that succeeds weighs nothing (a failed one still weighs 1, which the venue reports back in
        X-MBX-USED-WEIGHT-1M / rateLimits, and the guard takes that count); a weight window the venue reports
        over its limit still refuses the order. Source: the Binance Spot API CHANGELOG, 2026-03-27."""
        costs = self._costs
        if costs is None:
            costs = self._costs = {name: 0 if name.startswith("REQUEST_WEIGHT") else 1 for name in self.guard.windows}
        return costs

    def _request_costs(self, kind: str, info: SymbolInfo | None) -> dict[str, int]:
        """Request weight of a cancel (0), a query (4), /api/v3/time (1) and /api/v3/ping (1), from every
        REQUEST_WEIGHT window (docs/venues/binance.md, rate limits)."""
        w = _WEIGHTS.get(kind, 1)
        return {name: (w if name.startswith("REQUEST_WEIGHT") else 1) for name in self.guard.windows
                if name.startswith(("REQUEST_WEIGHT", "RAW_REQUESTS"))}

    def _observe_headers(self, resp: Any, lat: Latency) -> None:
        """X-MBX-USED-WEIGHT-1M / X-MBX-ORDER-COUNT-10S …: the venue's own count wins over ours. Only the
        windows the guard knows can be updated, so only their headers are read — with the simulator's time,
        in one pass over the reply head (this runs per order)."""
        guard = self.guard
        windows = self._usage_windows
        if windows is None or self._usage_known != len(guard.windows):
            usage = [(_usage_header(name), w) for name, w in guard.windows.items() if _usage_header(name)]
            windows = self._usage_windows = tuple(w for _, w in usage)
            self._usage_known = len(guard.windows)
            self._reply_header_names = (b"x-sim-processing-us",) + tuple(h for h, _ in usage)
        vals = self._reply_headers(resp, lat)
        if windows:
            guard.observe_counts(windows, vals, 1)

    def _observe_ws(self, d: dict[str, Any]) -> None:
        """A WS reply's rateLimits: the venue's own counts win over ours. Each (type, interval, number) is
        resolved to the guard's window once (this runs per order)."""
        rls = d.get("rateLimits")
        if not rls or rls.__class__ is not list:   # absent, or not the documented array: nothing to learn
            return
        guard = self.guard
        wins = self._rl_windows
        if len(wins) > 256 or self._rl_known != len(guard.windows):   # windows came or went: resolve again
            wins.clear()
            self._rl_known = len(guard.windows)
        seen = []
        counts: list = []
        for rl in rls:
            if rl.__class__ is not dict:
                continue
            key = (rl.get("rateLimitType"), rl.get("interval"), rl.get("intervalNum"))
            try:
                w = wins.get(key, _UNSEEN)
            except TypeError:   # a field that is a list or an object: not a window
                continue
            if w is _UNSEEN:
                name = _window_name(str(key[0]), str(key[1]), key[2] or 1)
                w = wins[key] = guard.windows.get(name) if name else None
            if w is not None:
                seen.append(w)
                counts.append(rl.get("count"))
        if seen:
            guard.observe_counts(seen, counts, 0)

    def _check_options(self, opts: OrderOptions, type: str) -> None:
        """stp (the neutral modes or the venue's own), stop_price (the stop / take-profit types) and
        quote_quantity (market orders) are encoded; expire_ms has no Binance field."""
        if opts.expire_ms is not None:
            raise self._not_supported(
                "order expiry time (expire_ms)",
                "connect(recv_window=...): the venue rejects a request that reaches its matching engine later than "
                "recvWindow after its timestamp")
        if opts.stp is not None and opts.stp not in _STP:
            raise InvalidOrder(f"stp must be one of none, cancel_taker, cancel_maker, cancel_both or Binance's "
                               f"{', '.join(sorted(m for m in _STP if m.isupper()))}, not {opts.stp!r}", field="stp")

    async def _place(self, info, side, quantity, price, type, tif, post_only, clid, lat, t_call,
                     opts=None) -> Ack:
        if opts is not None:
            return await self._place_with(info, side, quantity, price, type, tif, post_only, clid, lat, t_call, opts)
        # the order path, written out (no closures, no _call): it runs per order
        if type == "market":   # type, tif and price were checked by Session.place_order
            btype, btif = "MARKET", None
        elif post_only:
            btype, btif = "LIMIT_MAKER", None
        else:
            btype, btif = "LIMIT", tif
        ts = self.now_ms()
        buf = self._buf
        buf.clear()
        if self.transport == "rest":
            self._rest_enc.new_order_request(buf, info.name, side, btype, client_order_id=clid, timestamp=ts,
                                             quantity=quantity, price=price, time_in_force=btif,
                                             resp_type=self.resp_type, rules=info.rules)
            return self._rest_result(info, await self.rest_send(buf.getvalue(), lat, t_call), clid, lat, "place")
        rid = self.next_request_id()
        self._ws_enc.order_place(buf, rid, info.name, side, btype, client_order_id=clid, timestamp=ts,
                                 quantity=quantity, price=price, time_in_force=btif, resp_type=self.resp_type,
                                 rules=info.rules, logged_on=self.logged_on)
        return self._ws_result(info, await self.ws_send(str(rid).encode(), buf.getvalue(), lat, t_call), clid,
                               lat, "place")

    async def _place_with(self, info, side, quantity, price, type, tif, post_only, clid, lat, t_call,
                          opts: OrderOptions) -> Ack:
        """An order with place_order's less common options (stp, stop_price, quote_quantity)."""
        btype = _BTYPES[type]
        if post_only:
            if btype != "LIMIT":
                raise InvalidOrder(f"binance has no post-only {type} order (post_only: limit orders only)",
                                   field="post_only")
            btype = "LIMIT_MAKER"
        btif = tif if btype in _WITH_TIF else None
        qqty = opts.quote_quantity
        stp = _STP[opts.stp] if opts.stp is not None else None
        ts = self.now_ms()
        return await self._call(
            info,
            lambda b: self._rest_enc.new_order_request(
                b, info.name, side, btype, client_order_id=clid, timestamp=ts, quantity=quantity, price=price,
                time_in_force=btif, quote_order_qty=qqty, stop_price=opts.stop_price, resp_type=self.resp_type,
                rules=info.rules, stp=stp),
            lambda b, rid: self._ws_enc.order_place(
                b, rid, info.name, side, btype, client_order_id=clid, timestamp=ts, quantity=quantity, price=price,
                time_in_force=btif, quote_order_qty=qqty, stop_price=opts.stop_price, resp_type=self.resp_type,
                rules=info.rules, logged_on=self.logged_on, stp=stp),
            clid, lat, t_call, "place")

    async def _cancel(self, info, order_id, clid, lat, t_call) -> Ack:
        ts = self.now_ms()
        oid = int(order_id) if order_id is not None else None
        return await self._call(
            info,
            lambda b: self._rest_enc.cancel_request(b, info.name, timestamp=ts, order_id=oid,
                                                    orig_client_order_id=clid),
            lambda b, rid: self._ws_enc.order_cancel(b, rid, info.name, timestamp=ts, order_id=oid,
                                                     orig_client_order_id=clid, logged_on=self.logged_on),
            clid, lat, t_call, "cancel")

    async def _query(self, info, order_id, clid, lat, t_call, *, rest=False) -> Ack:
        ts = self.now_ms()
        oid = int(order_id) if order_id is not None else None
        return await self._call(
            info,
            lambda b: self._rest_enc.query_request(b, info.name, timestamp=ts, order_id=oid,
                                                   orig_client_order_id=clid),
            lambda b, rid: self._ws_enc.order_status(b, rid, info.name, timestamp=ts, order_id=oid,
                                                     orig_client_order_id=clid, logged_on=self.logged_on),
            clid, lat, t_call, "query", rest)

    # -- trading operations (fastorder.venues.operations) ------------------------------------------------------
    async def _request(self, kind: str, info: SymbolInfo | None, encode_rest: Any, encode_ws: Any,
                       action: str) -> Any:
        """One signed request that is not an order: its result (the JSON value), or the typed error. Counted by
        the rate-limit guard like any request; a reply that never comes is ExecutionUnknown (nothing is
        resent)."""
        self.ledger.check(kind, info)
        lat = Latency()
        t_call = perf_ns()
        buf = self._buf
        buf.clear()
        try:
            if self.transport == "rest":
                encode_rest(buf)
                resp = await self.rest_send(buf.getvalue(), lat, t_call)
                self._observe_headers(resp, lat)
                try:
                    d = orjson.loads(resp.body) if resp.body else None
                except orjson.JSONDecodeError as exc:
                    raise _Unknown(exc) from None
                if resp.status == 200 and d is not None:
                    return d
                if not isinstance(d, dict):
                    raise _Unknown(VenueError(VENUE, resp.status, "unexpected reply"))
                retry_after = parse_retry_after(resp.header(b"retry-after"))
                if retry_after and resp.status in (418, 429):
                    self.guard.block(retry_after, banned=resp.status == 418)
                self._raise_reply_error(d.get("code"), str(d.get("msg", "")), resp.status, d.get("data"), action,
                                        retry_after)
            rid = self.next_request_id()
            encode_ws(buf, rid)
            reply = await self.ws_send(str(rid).encode(), buf.getvalue(), lat, t_call)
            try:
                d = orjson.loads(reply)
            except orjson.JSONDecodeError as exc:
                raise _Unknown(exc) from None
            if not isinstance(d, dict):
                raise _Unknown(VenueError(VENUE, 0, "unexpected reply"))
            self._observe_ws(d)
            status = d.get("status", 0)
            if status == 200 and "result" in d:
                return d["result"]
            e = d.get("error")
            err: dict[str, Any] = e if isinstance(e, dict) else {}
            if status.__class__ is not int or status == 200:
                raise _Unknown(VenueError(VENUE, status, "a reply without a result or an error"))
            data = err.get("data")
            retry = data.get("retryAfter") if isinstance(data, dict) else None
            retry_after = max(0.0, (retry - self.now_ms()) / 1000) if isinstance(retry, (int, float)) and retry else None
            if retry_after and status in (418, 429):
                self.guard.block(retry_after, banned=status == 418)
            code = err.get("code")
            self._raise_reply_error(code if isinstance(code, int) else None, str(err.get("msg", "")), status, data,
                                    action, retry_after)
        except _Unknown as u:
            raise ExecutionUnknown(VENUE, getattr(u.cause, "code", "unknown"),
                                   f"{action}: no usable reply ({u.cause})") from None
        except FastorderError as exc:
            self.ledger.refused(exc)
            raise

    def _raise_reply_error(self, code: Any, msg: str, status: int, data: Any, action: str,
                           retry_after: float | None) -> None:
        """The typed error of a refused request. A cancel-replace says which half failed (data.cancelResult,
        newOrderResult; rest-api.md "Cancel an Existing Order and Send a New Order"): a failed cancel is that
        cancel's error (e.g. UnknownOrder); a refused replacement is the new order's error, its message saying
        the old order was cancelled."""
        if code in (-2021, -2022) and isinstance(data, dict):
            cancel, new = data.get("cancelResponse"), data.get("newOrderResponse")
            if data.get("cancelResult") == "FAILURE" and isinstance(cancel, dict):
                err = error_for(cancel.get("code"), str(cancel.get("msg", "")), status, None, action="cancel")
            elif isinstance(new, dict) and "code" in new:
                err = error_for(new.get("code"), "the order was cancelled; its replacement was refused: "
                                f"{new.get('msg', '')}", status, None, action="place")
            else:
                err = error_for(code, msg, status, None, action=action, retry_after=retry_after)
        else:
            err = error_for(code, msg, status, None, action=action, retry_after=retry_after)
        raise err   # _Unknown too: the caller decides what an unknown outcome means

    async def _open_orders(self, info: SymbolInfo | None) -> list[Ack]:
        """GET /api/v3/openOrders / openOrders.status (weight 6 for one symbol, 80 for all)."""
        name = info.name if info is not None else None
        lat = Latency()
        res = await self._request(
            "open_orders" if info is not None else "open_orders_all", info,
            lambda b: self._rest_enc.open_orders_request(b, name, timestamp=self.now_ms()),
            lambda b, rid: self._ws_enc.open_orders_status(b, rid, name, timestamp=self.now_ms(),
                                                           logged_on=self.logged_on),
            "open orders")
        if not isinstance(res, list):
            raise VenueError(VENUE, 200, f"open orders: a {type(res).__name__} where a list was expected")
        return [listed_ack(d, lat) for d in res if isinstance(d, dict) and "orderId" in d]

    async def _balances(self) -> dict[str, Balance]:
        """GET /api/v3/account / account.status with omitZeroBalances=true: the assets held."""
        res = await self._request(
            "account", None,
            lambda b: self._rest_enc.account_request(b, timestamp=self.now_ms(), omit_zero_balances=True),
            lambda b, rid: self._ws_enc.account_status(b, rid, timestamp=self.now_ms(), omit_zero_balances=True,
                                                       logged_on=self.logged_on),
            "balances")
        bals = res.get("balances") if isinstance(res, dict) else None
        if not isinstance(bals, list):
            raise VenueError(VENUE, 200, "balances: an account reply without a balances list")
        return {str(b["asset"]): Balance(str(b["asset"]), str(b.get("free", "0")), str(b.get("locked", "0")))
                for b in bals if isinstance(b, dict) and "asset" in b}

    async def _cancel_all(self, info: SymbolInfo | None) -> list[Ack]:
        """DELETE /api/v3/openOrders / openOrders.cancelAll take one symbol: without one, the open orders are
        listed and each symbol that has some is cancelled (concurrently). Nothing open (-2011 "Unknown order
        sent.") is an empty list."""
        if info is None:
            names = sorted({a.symbol for a in await self._open_orders(None)})
            infos = [await self.resolve_symbol(n) for n in names]
            out: list[Ack] = []
            for acks in await asyncio.gather(*(self._cancel_all(i) for i in infos)):
                out.extend(acks)
            return out
        lat = Latency()
        try:
            res = await self._request(
                "cancel_all", info,
                lambda b: self._rest_enc.cancel_open_orders_request(b, info.name, timestamp=self.now_ms()),
                lambda b, rid: self._ws_enc.open_orders_cancel_all(b, rid, info.name, timestamp=self.now_ms(),
                                                                   logged_on=self.logged_on),
                "cancel all")
        except UnknownOrder:
            return []
        if not isinstance(res, list):
            raise VenueError(VENUE, 200, f"cancel all: a {type(res).__name__} where a list was expected")
        out = []
        for d in res:
            if not isinstance(d, dict):
                continue
            if isinstance(d.get("orderReports"), list):   # an order list: its orders' reports
                out.extend(listed_ack(r, lat) for r in d["orderReports"] if isinstance(r, dict))
            elif "orderId" in d:
                out.append(listed_ack(d, lat))
        return out

    async def _amend(self, info: SymbolInfo, order_id: Any, clid: str | None, quantity: Any, price: Any,
                     new_clid: str | None) -> Ack:
        """A smaller quantity at the same price: order.amend.keepPriority (the order keeps its place in the
        queue, its id, and its client id unless new_client_order_id names another). Anything else: a
        cancel-replace (STOP_ON_FAILURE: no new order if the cancel fails), which loses priority and gives a
        new order with a new client id. `quantity` is the order's new total (executed part included), as the
        venue counts it. Without a price, keepPriority is tried first (one request); a larger quantity, which it
        refuses, then goes the cancel-replace way.

        A cancel-replace needs the order's side, type, price and what has executed. For an order this session
        has amended before (or looked up for an amend) and last saw with nothing executed, they are taken from
        that and the request carries cancelRestrictions=ONLY_NEW: should the order have traded since, the venue
        cancels nothing and places nothing, and the order is then read (order.status) and the cancel-replace
        sent again with the executed part taken off. Otherwise the order is read first (one more request)."""
        oid = int(order_id) if order_id is not None else None
        if price is None:
            try:
                return await self._keep_priority(info, oid, clid, quantity, new_clid)
            except OrderRejected as exc:
                if "quantity increase" not in exc.message:
                    raise
        st = self._amend_state.get(f"o{oid}" if oid is not None else f"c{clid}")
        # (a re-price, quantity None, never keeps priority: no call to find that out)
        if st is not None and (quantity is None or not self._keeps_priority(st[3], st[4], quantity, price)):
            try:
                return await self._cancel_replace(info, st, _D0, quantity, price, new_clid, only_new=True)
            except UnknownOrder:   # what was remembered is stale (cancelled, filled, its client id reused): read
                self._forget(st)
            except OrderRejected as exc:
                if "cancel restrictions" not in exc.message:
                    raise
        cur = await self.query_order(info.name, order_id=oid, client_order_id=None if oid is not None else clid)
        if cur.status in FINAL_STATES:
            raise UnknownOrder(VENUE, -2011, f"the order is {cur.status}: nothing to amend",
                               client_order_id=cur.client_order_id)
        raw = cur.raw if isinstance(cur.raw, dict) else {}
        raw = raw["result"] if isinstance(raw.get("result"), dict) else raw
        st = (cur.side, str(raw.get("type", "LIMIT")), str(raw.get("timeInForce", "GTC")), cur.price, cur.quantity,
              cur.client_order_id, cur.order_id)
        executed = Decimal(cur.filled_qty or "0")
        if not executed:
            self._remember(st)
        if self._keeps_priority(cur.price, cur.quantity, quantity, price):
            return await self._keep_priority(info, int(cur.order_id), cur.client_order_id, quantity, new_clid)
        return await self._cancel_replace(info, st, executed, quantity, price, new_clid)

    @staticmethod
    def _keeps_priority(cur_px: str, cur_qty: str, quantity: Any, price: Any) -> bool:
        """The change is a smaller quantity at the same price (order.amend.keepPriority's case)."""
        return (quantity is not None and (price is None or Decimal(str(price)) == Decimal(cur_px))
                and Decimal(str(quantity)) < Decimal(cur_qty))

    def _remember(self, st: tuple[str, str, str, str, str, str, str]) -> None:
        """(side, type, timeInForce, price, quantity, client id, order id) of an order seen with nothing
        executed, by order id and client id (the latest 10,000 orders)."""
        d = self._amend_state
        d[f"o{st[6]}"] = st
        if st[5]:
            d[f"c{st[5]}"] = st
        while len(d) > 20_000:
            d.pop(next(iter(d)))

    def _forget(self, st: tuple[str, ...]) -> None:
        self._amend_state.pop(f"o{st[6]}", None)
        self._amend_state.pop(f"c{st[5]}", None)

    async def _keep_priority(self, info: SymbolInfo, oid: int | None, clid: str | None, quantity: Any,
                             new_clid: str | None) -> Ack:
        # keep the order's client id unless told otherwise (the venue would make up a new one)
        keep = new_clid if new_clid is not None else clid
        live = self.ledger.live_ids
        if new_clid is not None and new_clid != clid and new_clid in live:
            raise ClientIdInUse(f"client_order_id {new_clid!r} belongs to an order of this session that is still "
                                "live; use a new id", field="new_client_order_id")
        lat = Latency()
        res = await self._request(
            "amend", info,
            lambda b: self._rest_enc.amend_keep_priority_request(
                b, info.name, timestamp=self.now_ms(), new_qty=quantity, order_id=oid, orig_client_order_id=clid,
                new_client_order_id=keep, rules=info.rules),
            lambda b, rid: self._ws_enc.order_amend_keep_priority(
                b, rid, info.name, timestamp=self.now_ms(), new_qty=quantity, order_id=oid,
                orig_client_order_id=clid, new_client_order_id=keep, rules=info.rules, logged_on=self.logged_on),
            "amend")
        ack = amended_ack(info, res if isinstance(res, dict) else {}, lat, res)
        old = (res.get("amendedOrder") or {}).get("origClientOrderId") if isinstance(res, dict) else None
        st = self._amend_state.get(f"o{ack.order_id}")
        if st is not None:   # what an amend remembers of the order: its new quantity and client id
            self._forget(st)
            if ack.status == NEW and _none_executed(ack.filled_qty):
                self._remember(st[:4] + (ack.quantity, ack.client_order_id, ack.order_id))
        if old and old != ack.client_order_id:   # the order goes by its new client id from now on
            live.discard(old)
        if ack.status in FINAL_STATES:
            live.discard(ack.client_order_id)
        elif ack.client_order_id:
            live.add(ack.client_order_id)
        return ack

    async def _cancel_replace(self, info: SymbolInfo, st: tuple[str, str, str, str, str, str, str],
                              executed: Decimal, quantity: Any, price: Any, new_clid: str | None, *,
                              only_new: bool = False) -> Ack:
        """order.cancelReplace of a resting limit order `st` (side, type, timeInForce, price, quantity, client
        id, order id) of which `executed` has traded: the new order is book-kept like any new order (the
        ledger's begin / settled: its client id live, journalled before it is sent, settled by a query if the
        reply is lost). `only_new`: cancelRestrictions=ONLY_NEW (nothing happens if the order has traded)."""
        t_call = perf_ns()
        side, btype, btif_s, cur_px, cur_qty, cur_clid, _ = st
        new_qty: Any = cur_qty   # a re-price of an untraded order: its quantity as the venue wrote it (no Decimal)
        if quantity is not None or executed:
            new_qty = (Decimal(str(quantity)) if quantity is not None else Decimal(cur_qty)) - executed
            if new_qty <= 0:
                raise InvalidOrder(f"quantity {quantity} is not above the {executed} already executed",
                                   field="quantity")
        if btype not in ("LIMIT", "LIMIT_MAKER"):
            raise NotSupported(f"binance: amend_order re-prices limit orders only, not {btype}", venue=VENUE,
                               closest="cancel_order then place_order")
        btif = btif_s if btype == "LIMIT" else None
        px = price if price is not None else cur_px
        clid = new_clid or self.ids.next()
        ledger = self.ledger
        ledger.begin(info, clid, side, new_qty, px)   # ClientIdInUse, RateLimited: nothing is sent
        lat = Latency()
        try:
            ack = await self._send_cancel_replace(info, st, btype, btif, new_qty, px, clid, lat, t_call, only_new)
        except BaseException as exc:
            if isinstance(exc, OrderRejected) and exc.message.startswith("the order was cancelled"):
                ledger.live_ids.discard(cur_clid)
                self._forget(st)
            ack = await self._place_failed(info, clid, exc, lat, t_call)   # re-raises unless a query settles it
        ledger.settled(clid, ack)
        ledger.live_ids.discard(cur_clid)   # the old order was cancelled
        self._forget(st)
        if ack.status == NEW and _none_executed(ack.filled_qty):
            self._remember((side, btype, btif_s, ack.price or str(px), ack.quantity or str(new_qty),
                            ack.client_order_id, ack.order_id))
        return ack

    async def _send_cancel_replace(self, info: SymbolInfo, st: tuple[str, ...], btype: str, btif: str | None,
                                   new_qty: Any, px: Any, clid: str, lat: Latency, t_call: int,
                                   only_new: bool) -> Ack:
        """The request and its reply: the new order's Ack, its typed error, or _Unknown."""
        side = st[0]
        oid = int(st[6])
        restrict = "ONLY_NEW" if only_new else None
        ts = self.now_ms()
        buf = self._buf
        buf.clear()
        if self.transport == "rest":
            self._rest_enc.cancel_replace_request(
                buf, info.name, side, btype, client_order_id=clid, timestamp=ts, cancel_order_id=oid,
                quantity=new_qty, price=px, time_in_force=btif, resp_type=self.resp_type, rules=info.rules,
                cancel_restrictions=restrict)
            resp = await self.rest_send(buf.getvalue(), lat, t_call)
            self._observe_headers(resp, lat)
            try:
                d = orjson.loads(resp.body) if resp.body else {}
            except orjson.JSONDecodeError as exc:
                raise _Unknown(exc) from None
            if not isinstance(d, dict):
                raise _Unknown(VenueError(VENUE, resp.status, "unexpected reply"))
            if resp.status != 200:
                self._raise_reply_error(d.get("code"), str(d.get("msg", "")), resp.status, d.get("data"), "place",
                                        parse_retry_after(resp.header(b"retry-after")))
            result: Any = d
        else:
            rid = self.next_request_id()
            self._ws_enc.order_cancel_replace(
                buf, rid, info.name, side, btype, client_order_id=clid, timestamp=ts, cancel_order_id=oid,
                quantity=new_qty, price=px, time_in_force=btif, resp_type=self.resp_type, rules=info.rules,
                logged_on=self.logged_on, cancel_restrictions=restrict)
            reply = await self.ws_send(str(rid).encode(), buf.getvalue(), lat, t_call)
            try:
                d = orjson.loads(reply)
            except orjson.JSONDecodeError as exc:
                raise _Unknown(exc) from None
            if not isinstance(d, dict):
                raise _Unknown(VenueError(VENUE, 0, "unexpected reply"))
            self._observe_ws(d)
            if d.get("status") != 200:
                e = d.get("error")
                err: dict[str, Any] = e if isinstance(e, dict) else {}
                status = d.get("status")
                if status.__class__ is not int or status == 200:
                    raise _Unknown(VenueError(VENUE, 0, "a reply without a result or an error"))
                code = err.get("code")
                self._raise_reply_error(code if isinstance(code, int) else None, str(err.get("msg", "")), status,
                                        err.get("data"), "place", None)
            result = d.get("result")
        new = result.get("newOrderResponse") if isinstance(result, dict) else None
        if not isinstance(new, dict):
            raise _Unknown(VenueError(VENUE, 200, "a cancel-replace reply without newOrderResponse"))
        return ack_from(info, new, clid, lat, result)

    def _cancel_after_range(self) -> tuple[float, float]:
        raise ConfigError("binance Spot has no dead-man's switch (no cancel-all-after in its REST, WebSocket or "
                          "FIX APIs); closest: cancel_all() (DELETE /api/v3/openOrders, openOrders.cancelAll) when "
                          "the strategy notices a problem", field="cancel_on_disconnect")

    def _stream_part(self) -> Any:
        from fastorder.venues.binance_events import BinanceStreamPart
        return BinanceStreamPart(self)
