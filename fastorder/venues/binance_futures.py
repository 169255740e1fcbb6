"""Binance USDⓈ-M futures (perpetuals): REST (`/fapi/v1/order`, `/fapi/v3/positionRisk`, …) and the futures
WebSocket API (`/ws-fapi/v1`). `fastorder.connect("binance", ..., market="perp")`. Behaviours and their public
sources: docs/venues/binance-futures.md.

The spot session's machinery (clock, rate-limit windows and usage headers, WebSocket logon and rotation,
reconciliation) with the futures encoder (fastorder._core.binance_futures), the futures replies and codes, and
the perp account calls (fastorder.venues.perp). A contract is one unit of the base asset on every USDⓈ-M
perpetual, so `contracts=` and `quantity=` name the same number.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from decimal import Decimal
from typing import Any

import orjson

from fastorder._core.binance_futures import BinanceFuturesRest, BinanceFuturesWs
from fastorder._core.buffer import WriteBuffer
from fastorder._core.numbers import SymbolRules
from fastorder.errors import (
    ConfigError,
    DuplicateOrder,
    FastorderError,
    FilterRejected,
    InsufficientBalance,
    InsufficientMargin,
    InvalidOrder,
    MaxPositionExceeded,
    PositionSideMismatch,
    ReduceOnlyRejected,
    UnknownOrder,
    VenueError,
)
from fastorder.log import logger
from fastorder.types import (
    ACCEPTED,
    CANCEL_REQUESTED,
    CANCELED,
    EXPIRED,
    FILLED,
    NEW,
    PARTIALLY_FILLED,
    REJECTED,
    Ack,
    Balance,
    Latency,
    Position,
)
from fastorder.venues.base import USER_AGENT, Session, SymbolInfo, _Unknown
from fastorder.venues.binance import _INTERVAL_MS, BinanceSession, _window_name
from fastorder.venues.binance import error_for as _spot_error_for
from fastorder.venues.inputs import _order_kind, _side, check_order, check_text
from fastorder.venues.operations import OrderOptions, TradingOps, order_options
from fastorder.venues.perp import PerpOps, contracts_to_quantity, perp_key, position_side_name

VENUE = "binance_futures"
HOSTS = {   # env -> (REST base, WebSocket API)
    "live": ("https://fapi.binance.com", "wss://ws-fapi.binance.com/ws-fapi/v1"),
    "testnet": ("https://demo-fapi.binance.com", "wss://testnet.binancefuture.com/ws-fapi/v1"),
}
_STATUS = {"NEW": NEW, "PARTIALLY_FILLED": PARTIALLY_FILLED, "FILLED": FILLED, "CANCELED": CANCELED,
           "REJECTED": REJECTED, "EXPIRED": EXPIRED, "EXPIRED_IN_MATCH": EXPIRED}
# the perp rejections (error-code page, 20xx and 40xx): typed, so a strategy can tell them apart
_PERP_ERRORS: dict[int, type[VenueError]] = {
    -2018: InsufficientBalance, -2019: InsufficientMargin, -2028: InsufficientMargin,
    -2022: ReduceOnlyRejected, -4061: PositionSideMismatch, -2027: MaxPositionExceeded,
    -4116: DuplicateOrder, -2011: UnknownOrder, -2013: UnknownOrder,
}
_PERP_FILTERS = frozenset((-1111, -4001, -4002, -4003, -4004, -4005, -4013, -4014, -4023, -4024, -4016, -4131,
                           -4164))
_PSIDE = {"net": "BOTH", "long": "LONG", "short": "SHORT"}
_PSIDE_NAME = {"BOTH": "net", "LONG": "long", "SHORT": "short"}
# request weight (each endpoint's "Request Weight"): a new order 0 on the IP limit, cancel 1, query 1,
# exchangeInfo 1, time and ping 1, positionRisk 5, leverage / marginType / positionSide/dual 1
_WEIGHTS = {"cancel": 1, "query": 1, "time": 1, "ping": 1, "info": 1, "positions": 5, "account": 1,
            "countdown": 10}   # countdownCancelAll: weight 10
_ONE = Decimal(1)
_PLACE_SIG = inspect.signature(Session.place_order)   # place_orders' dicts are place_order's arguments


def error_for(code: int | None, msg: str, status: int, clid: str | None, *, action: str,
              retry_after: float | None = None) -> BaseException:
    """A futures error reply as a typed exception; `_Unknown` when the outcome is unknown (5xx, -1006/-1007)."""
    cls = _PERP_ERRORS.get(code) if code is not None and status < 500 else None
    if cls is not None:
        return cls(VENUE, code, msg, http_status=status, client_order_id=clid)
    if code in _PERP_FILTERS and status < 500:
        return FilterRejected(VENUE, code, msg, http_status=status, client_order_id=clid)
    err = _spot_error_for(code, msg, status, clid, action=action, retry_after=retry_after)
    inner = err.cause if isinstance(err, _Unknown) else err
    if isinstance(inner, VenueError):   # the shared codes (auth, rate limits, timestamps, unknown outcome)
        inner.venue = VENUE
        inner.args = (f"{VENUE} {inner.code}: {inner.message}",)
    return err


def ack_from(info: SymbolInfo, d: dict[str, Any], clid: str, lat: Latency, raw: Any) -> Ack:
    """An order object (New Order / Query / Cancel reply, the WS API result) as an Ack."""
    get = d.get
    executed = get("executedQty", "")
    avg = get("avgPrice", "")
    if not executed or executed.strip("0.") == "":
        avg = ""   # no fill: the venue's "0.00" is not a price
    return Ack(VENUE, info.name, get("clientOrderId") or clid, str(get("orderId", "")),
               _STATUS.get(get("status", ""), ACCEPTED), get("side", ""), get("price", ""), get("origQty", ""),
               executed, avg, get("updateTime") or get("time"), False, lat, raw)


class BinanceFuturesSession(PerpOps, BinanceSession):
    """An open session to Binance USDⓈ-M futures. See `fastorder.connect(..., market="perp")`."""

    venue = VENUE
    market = "perp"
    default_rest_url, default_ws_url = HOSTS["live"]
    warm_path = "/fapi/v1/ping"
    envs = ("live", "testnet")
    _ack_from = staticmethod(ack_from)
    _error_for = staticmethod(error_for)
    # the spot session's operations that futures does not have here (they use the spot encoders): back to
    # TradingOps' NotSupported / ConfigError
    order_types = TradingOps.order_types
    # the futures encoders replace the spot ones
    _rest_enc: BinanceFuturesRest  # type: ignore[assignment]
    _ws_enc: BinanceFuturesWs  # type: ignore[assignment]

    def __init__(self, *, resp_type: str = "RESULT", **kw: Any) -> None:
        if resp_type not in ("ACK", "RESULT"):   # no FULL on futures (newOrderRespType: ACK, RESULT)
            raise ConfigError("resp_type must be ACK or RESULT on USDⓈ-M futures", field="resp_type")
        env = kw.get("env", "live")
        if env in HOSTS:   # before Session reads them (an unknown env is Session's ConfigError)
            self.default_rest_url, self.default_ws_url = HOSTS[env]
        super().__init__(resp_type=resp_type, **kw)
        self._rest_enc = BinanceFuturesRest(kw["key"], self._signer, host=self.rest.host_header,
                                            recv_window=self.recv_window, user_agent=USER_AGENT)
        self._ws_enc = BinanceFuturesWs(kw["key"], self._signer, recv_window=self.recv_window)
        #: contract size per symbol (base units per contract): 1 on every USDⓈ-M perpetual
        self.contract_sizes: dict[str, Decimal] = {}
        #: the symbols whose countdown (cancel_on_disconnect) this session keeps armed
        self.countdown_symbols: set[str] = set()

    # -- connection set-up ---------------------------------------------------------------------------------
    async def _server_time_ms(self) -> int:
        return int((await self.rest_get_json("/fapi/v1/time"))["serverTime"])

    async def load_symbols(self, names: list[str] | None = None) -> None:
        """The perpetuals' rules and the rate limits from ``GET /fapi/v1/exchangeInfo`` (one document, no
        symbol filter); `symbols=` given to connect keeps only those."""
        names = names if names is not None else self.load_only
        wanted = {perp_key(n) for n in names} if names else None
        info = await self.rest_get_json("/fapi/v1/exchangeInfo")
        self._costs = None
        for rl in info.get("rateLimits", []):
            name = _window_name(rl.get("rateLimitType", ""), rl.get("interval", ""), rl.get("intervalNum", 1))
            if name and rl.get("rateLimitType") in ("ORDERS", "REQUEST_WEIGHT"):
                self.guard.set_limit(name, int(rl["limit"]), _INTERVAL_MS[rl["interval"]] * int(rl["intervalNum"]))
        reply = getattr(self, "last_public_reply", None)
        if reply is not None:
            self._observe_headers(reply, Latency())
        for s in info.get("symbols", []):
            if s.get("contractType") != "PERPETUAL" or (wanted is not None and s.get("symbol") not in wanted):
                continue
            f = {x["filterType"]: x for x in s.get("filters", [])}
            pf, ls = f.get("PRICE_FILTER", {}), f.get("LOT_SIZE", {})
            try:
                rules = SymbolRules(s["symbol"], pf.get("tickSize", "0"), ls.get("stepSize", "0"),
                                    min_price=pf.get("minPrice", 0), max_price=pf.get("maxPrice", 0),
                                    min_qty=ls.get("minQty", 0), max_qty=ls.get("maxQty", 0),
                                    min_notional=f.get("MIN_NOTIONAL", {}).get("notional", "0"))
            except InvalidOrder as exc:
                logger.debug("%s: symbol %s not offered (%s)", VENUE, s.get("symbol"), exc)
                continue
            self.symbols[s["symbol"].upper()] = SymbolInfo(s["symbol"], s.get("baseAsset", ""),
                                                           s.get("quoteAsset", ""), rules)
            self.contract_sizes[s["symbol"]] = _ONE

    def _public_error(self, path: str, status: int, body: bytes) -> BaseException:
        return Session._public_error(self, path, status, body)

    async def resolve_symbol(self, symbol: str) -> SymbolInfo:
        try:
            return self.symbol(symbol)
        except InvalidOrder:
            if self.load_only is None or not isinstance(symbol, str) or not symbol:
                raise
        key = perp_key(symbol)
        if key in self.load_only:   # loaded already and not a perpetual: no second request for it
            raise InvalidOrder(f"{VENUE} has no perpetual {symbol!r}", field="symbol")
        self.load_only = [*self.load_only, key]
        await self.load_symbols()
        return self.symbol(symbol)

    def _request_costs(self, kind: str, info: SymbolInfo | None) -> dict[str, int]:
        w = _WEIGHTS.get(kind, 1)
        return {name: w for name in self.guard.windows if name.startswith("REQUEST_WEIGHT")}

    def _stream_part(self) -> Any:   # the listenKey user data stream (fastorder.venues.binance_futures_events)
        from fastorder.venues.binance_futures_events import BinanceFuturesStreamPart
        return BinanceFuturesStreamPart(self)

    def _not_supported(self, what: str, closest: str) -> Any:
        if what.split(" ", 1)[0] in ("stop_loss", "stop_loss_limit", "take_profit", "take_profit_limit"):
            # /fapi/v1/order refuses conditional types since 2025-12-09 (-4120): they are algo orders now
            closest = ("the venue's Algo Order API (POST /fapi/v1/algoOrder: its own ids, statuses and events), "
                       "which fastorder does not wire yet")
        return super()._not_supported(what, closest)

    # -- batches: POST / DELETE /fapi/v1/batchOrders (REST only) -----------------------------------------------
    batch_limit = 5            # Place Multiple Orders: "Max 5 orders"
    batch_cancel_limit = 10    # Cancel Multiple Orders: "max 10"

    def _batch_item(self, o: dict[str, Any], scratch: WriteBuffer, ts: int, info: SymbolInfo) -> tuple[Any, ...]:
        """One order of place_orders checked as place_order checks it, and encoded once alone (every symbol rule
        applied before the batch is sent): (side, quantity, price, clid, the order's parameters)."""
        try:
            a = _PLACE_SIG.bind(None, **o).arguments
        except TypeError as exc:
            raise InvalidOrder(f"not an order of place_order's arguments: {exc}", field="orders") from None
        get = a.get
        quantity, price, post_only = get("quantity"), get("price"), get("post_only", False)
        opts = None
        perp_kw = ("stp", "stop_price", "quote_quantity", "expire_ms", "reduce_only", "position_side", "contracts")
        if any(get(k) not in (None, False) for k in perp_kw):
            opts = order_options(get("stp"), get("stop_price"), get("quote_quantity"), get("expire_ms"),
                                 get("reduce_only", False), get("position_side"), get("contracts"))
        if get("contracts") is not None:
            if quantity is not None:
                raise InvalidOrder("give one of quantity and contracts, not both", field="contracts")
            check_order(a["symbol"], get("contracts"), price, get("client_order_id"), post_only)
        else:
            check_order(a["symbol"], quantity, price, get("client_order_id"), post_only)
        side = _side(a["side"])
        type, tif = _order_kind(get("type", "limit"), get("tif", "GTC"), price, post_only, opts)
        if type not in self.order_types:
            raise self._not_supported(f"{type} orders", "a limit or market order")
        pside, reduce_only = None, False
        if opts is not None:
            self._check_options(opts, type)
            reduce_only = opts.reduce_only
            if opts.position_side is not None:
                pside = _PSIDE[position_side_name(opts.position_side)]
            if opts.contracts is not None:
                quantity = contracts_to_quantity(opts.contracts, self.contract_sizes.get(info.name, _ONE))
        btype, btif = ("MARKET", None) if type == "market" else ("LIMIT", "GTX" if post_only else tif)
        clid = get("client_order_id") or self.ids.next()
        scratch.clear()
        self._rest_enc.new_order_request(scratch, info.name, side, btype, client_order_id=clid, timestamp=ts,
                                         quantity=quantity, price=price, time_in_force=btif, position_side=pside,
                                         reduce_only=reduce_only, resp_type=self.resp_type, rules=info.rules)
        # the order's parameters as they were just written (exact decimals), for the batch's JSON
        query = scratch.getvalue().split(b"?", 1)[1].split(b" ", 1)[0].decode("ascii")
        params = {k: v for k, v in (kv.split("=", 1) for kv in query.split("&"))
                  if k not in ("recvWindow", "timestamp", "signature")}
        return side, quantity, price, clid, params

    async def _place_batches(self, orders: list[dict[str, Any]]) -> list[Ack | BaseException]:
        """Each order checked alone first (a bad one is its own result, the rest still go), then batches of up
        to 5 in flight together, over REST. An order the venue refuses in its batch gets its own typed error; a
        batch whose reply never came has each of its orders settled by its client id, as place_order does."""
        ts = self.now_ms()

        async def check(o: dict[str, Any], scratch: WriteBuffer) -> tuple[str, tuple[Any, ...]]:
            sym = o.get("symbol")
            check_text(sym, "symbol")
            info = await self.resolve_symbol(str(sym))   # (a str: check_text said so)
            item = self._batch_item(o, scratch, ts, info)
            return item[3], (info, item)

        return await self._checked_batches(orders, check)

    async def _admit_to_batch(self, entry: tuple[Any, ...]) -> None:
        if self.cancel_on_disconnect is not None:   # the countdown armed for its symbol before it is sent
            await self._arm_symbol(entry[0])

    async def _send_batch(self, chunk: list[tuple[int, SymbolInfo, tuple[Any, ...]]],
                          results: list[Ack | BaseException | None]) -> None:
        t_call = time.perf_counter_ns()
        lat = Latency()
        sent = []
        for i, info, item in chunk:
            try:   # journalled, its client id live and counted on the order windows before the batch is sent
                self.ledger.begin(info, item[3], item[0], item[1], item[2])
            except FastorderError as exc:
                results[i] = exc
                continue
            sent.append((i, info, item))
        if not sent:
            return

        async def settle(i: int, info: SymbolInfo, clid: str, exc: BaseException) -> None:
            try:
                try:   # _place_failed re-raises with a bare `raise`: it runs inside this except
                    raise exc
                except BaseException:
                    ack = await self._place_failed(info, clid, exc, lat, t_call)
                self.ledger.settled(clid, ack)
                results[i] = ack
            except BaseException as e:   # place_order's outcome for one order: its exception is its result
                if isinstance(e, asyncio.CancelledError) and not isinstance(exc, asyncio.CancelledError):
                    raise
                results[i] = e

        buf = self._buf
        buf.clear()
        try:
            body = orjson.dumps([item[4] for _, _, item in sent])
            self._rest_enc.list_request(buf, "POST", "/fapi/v1/batchOrders", [], "batchOrders", body,
                                        timestamp=self.now_ms())
            resp = await self.rest_send(buf.getvalue(), lat, t_call)
            self._observe_headers(resp, lat)
            if resp.status != 200:   # the whole request refused: its typed error is every order's
                self._rest_result(sent[0][1], resp, sent[0][2][3], lat, "place")
            rows = orjson.loads(resp.body)
            if not isinstance(rows, list) or len(rows) != len(sent):   # sent, and no reading of it: ask
                raise _Unknown(VenueError(VENUE, "reply", "batchOrders: not one result per order"))
        except BaseException as exc:
            if isinstance(exc, orjson.JSONDecodeError):
                exc = _Unknown(VenueError(VENUE, "reply", "batchOrders: a reply that is not JSON"))
            await asyncio.gather(*(settle(i, info, item[3], exc) for i, info, item in sent))
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        self.recorder.record(VENUE, self.transport, lat)
        failed = []
        for (i, info, item), d in zip(sent, rows, strict=True):
            clid = item[3]
            if isinstance(d, dict) and d.get("orderId") is not None and "code" not in d:
                ack = ack_from(info, d, clid, lat, d)
                self.ledger.settled(clid, ack)
                results[i] = ack
                continue
            code = d.get("code") if isinstance(d, dict) else None
            msg = str(d.get("msg", "")) if isinstance(d, dict) else "batchOrders: an item that is not an order"
            failed.append((i, info, clid, error_for(code if isinstance(code, int) else None, msg, 200, clid,
                                                    action="place")))
        await asyncio.gather(*(settle(i, info, clid, e) for i, info, clid, e in failed))

    async def _cancel_batches(self, info: SymbolInfo, ids: list[Any], by_clid: bool) -> list[Ack | BaseException]:
        """DELETE /fapi/v1/batchOrders, 10 ids a request, in flight together, over REST: each id's order or its
        typed error (-2011 for an order that is not open, as a single cancel answers)."""
        results: list[Ack | BaseException | None] = [None] * len(ids)
        lim = self.batch_cancel_limit

        async def send(k: int) -> None:
            part = ids[k:k + lim]
            lat = Latency()
            try:
                await self.ledger.acquire("cancel", max(self.timeout, 1.0))
                buf = self._buf
                buf.clear()
                if by_clid:
                    name, body = "origClientOrderIdList", orjson.dumps([str(x) for x in part])
                else:
                    name, body = "orderIdList", orjson.dumps([int(x) for x in part])
                self._rest_enc.list_request(buf, "DELETE", "/fapi/v1/batchOrders", [("symbol", info.name)], name,
                                            body, timestamp=self.now_ms())
                resp = await self.rest_send(buf.getvalue(), lat, time.perf_counter_ns())
                self._observe_headers(resp, lat)
                if resp.status != 200:   # the whole request refused
                    self._rest_result(info, resp, None, lat, "cancel")
                rows = orjson.loads(resp.body)
                if not isinstance(rows, list) or len(rows) != len(part):
                    raise VenueError(VENUE, "reply", "batchOrders: not one result per order (query the orders)")
            except (FastorderError, ValueError, OSError) as exc:
                err = getattr(exc, "cause", exc) if isinstance(exc, _Unknown) else exc
                for j in range(len(part)):
                    results[k + j] = err
                return
            for j, d in enumerate(rows):
                if isinstance(d, dict) and d.get("orderId") is not None and "code" not in d:
                    results[k + j] = ack_from(info, d, str(part[j]) if by_clid else "", lat, d)
                else:
                    code = d.get("code") if isinstance(d, dict) else None
                    msg = str(d.get("msg", "")) if isinstance(d, dict) else "not an order"
                    e = error_for(code if isinstance(code, int) else None, msg, 200,
                                  str(part[j]) if by_clid else None, action="cancel")
                    results[k + j] = getattr(e, "cause", e) if isinstance(e, _Unknown) else e

        await asyncio.gather(*(send(k) for k in range(0, len(ids), lim)))
        return [r if r is not None else VenueError(VENUE, "unexpected", "no result") for r in results]

    # -- the dead-man's switch: POST /fapi/v1/countdownCancelAll, one countdown per symbol --------------------
    def _cancel_after_range(self) -> tuple[float, float]:
        # countdownTime in ms, 0 turns it off; the venue checks about every 10 ms and advises against a tight
        # one: 1 s at the least here, a day at the most
        return 1.0, 86400.0

    async def _arm_cancel_after(self, seconds: float) -> None:
        """(Re-)arm the countdown of every symbol this session trades. At connect: the symbols given to
        `symbols=` (none without it); then each symbol before its first order (`_arm_symbol`)."""
        if not self.countdown_symbols and self.load_only:
            self.countdown_symbols.update(self.symbols[k].name for k in self.symbols
                                          if perp_key(self.symbols[k].name) in set(self.load_only))
        await asyncio.gather(*(self._countdown(name, seconds) for name in sorted(self.countdown_symbols)))

    async def _countdown(self, name: str, seconds: float) -> None:
        d = await self._account_call("POST", "/fapi/v1/countdownCancelAll",
                                     [("symbol", name), ("countdownTime", str(int(seconds * 1000)))], "countdown")
        if not isinstance(d, dict) or d.get("symbol") != name:
            raise VenueError(VENUE, "reply", "countdownCancelAll: not the symbol asked for")

    async def _arm_symbol(self, info: SymbolInfo) -> None:
        """A symbol's first order with cancel_on_disconnect on: its countdown armed before the order is sent."""
        seconds = self.cancel_on_disconnect
        if seconds is not None and info.name not in self.countdown_symbols:
            await self._countdown(info.name, seconds)
            self.countdown_symbols.add(info.name)

    # -- orders ---------------------------------------------------------------------------------------------
    def _check_options(self, opts: OrderOptions, type: str) -> None:
        # stp, stop_price, quote_quantity, expire_ms: not encoded for futures yet (NotSupported, before sending)
        Session._check_options(self, self._perp_options(opts), type)

    # cancel and query: BinanceSession's, with the futures encoders (the same call shapes)

    async def _place(self, info, side, quantity, price, type, tif, post_only, clid, lat, t_call,
                     opts=None) -> Ack:
        if self.cancel_on_disconnect is not None and info.name not in self.countdown_symbols:
            await self._arm_symbol(info)
        pside = None
        reduce_only = False
        if opts is not None:
            reduce_only = opts.reduce_only
            if opts.position_side is not None:
                pside = _PSIDE[position_side_name(opts.position_side)]
            if opts.contracts is not None:
                quantity = contracts_to_quantity(opts.contracts, self.contract_sizes.get(info.name, _ONE))
        if type == "market":
            btype, btif = "MARKET", None
        else:   # post-only is timeInForce GTX on futures
            btype, btif = "LIMIT", "GTX" if post_only else tif
        ts = self.now_ms()
        buf = self._buf
        buf.clear()
        if self.transport == "rest":
            self._rest_enc.new_order_request(buf, info.name, side, btype, client_order_id=clid, timestamp=ts,
                                             quantity=quantity, price=price, time_in_force=btif,
                                             position_side=pside, reduce_only=reduce_only,
                                             resp_type=self.resp_type, rules=info.rules)
            return self._rest_result(info, await self.rest_send(buf.getvalue(), lat, t_call), clid, lat, "place")
        rid = self.next_request_id()
        self._ws_enc.order_place(buf, rid, info.name, side, btype, client_order_id=clid, timestamp=ts,
                                 quantity=quantity, price=price, time_in_force=btif, position_side=pside,
                                 reduce_only=reduce_only, resp_type=self.resp_type, rules=info.rules,
                                 logged_on=self.logged_on)
        return self._ws_result(info, await self.ws_send(str(rid).encode(), buf.getvalue(), lat, t_call), clid,
                               lat, "place")

    async def _amend(self, info: SymbolInfo, order_id: Any, clid: str | None, quantity: Any, price: Any,
                     new_clid: str | None) -> Ack:
        """PUT /fapi/v1/order / order.modify (LIMIT orders; the amended order goes to the back of the queue).
        The venue needs side, quantity and price every time: the order is queried first for what the call leaves
        out (one more request). An outcome left unknown is settled by querying the order, as for a new order."""
        if new_clid is not None:
            raise self._not_supported("a new client order id on amend", "amend_order without new_client_order_id")
        cur = await self.query_order(info.name, order_id=order_id, client_order_id=clid)
        qty = quantity if quantity is not None else cur.quantity
        px = price if price is not None else cur.price
        oid = int(order_id) if order_id is not None else None
        if self.ledger.rate_limit:   # the ORDERS windows count a modify like a new order (Modify Order, weight)
            self.guard.check(self._order_costs(info), clid)
        lat = Latency()
        t_call = time.perf_counter_ns()
        ts = self.now_ms()
        try:
            return await self._call(
                info,
                lambda b: self._rest_enc.modify_request(b, info.name, cur.side, timestamp=ts, quantity=qty, price=px,
                                                        order_id=oid, orig_client_order_id=clid, rules=info.rules),
                lambda b, rid: self._ws_enc.order_modify(b, rid, info.name, cur.side, timestamp=ts, quantity=qty,
                                                         price=px, order_id=oid, orig_client_order_id=clid,
                                                         rules=info.rules, logged_on=self.logged_on),
                clid, lat, t_call, "amend")
        except _Unknown as u:
            return await self.reconcile(info, clid or cur.client_order_id, u.cause, lat, order_id=oid)

    async def _open_orders(self, info: SymbolInfo | None) -> list[Ack]:
        rows = await self._account_call("GET", "/fapi/v1/openOrders",
                                        [("symbol", info.name)] if info is not None else [], "query")
        if not isinstance(rows, list):
            raise VenueError(VENUE, "reply", "openOrders: not a list")
        out = []
        for d in rows:
            if isinstance(d, dict):
                try:
                    sym = info or self.symbol(str(d.get("symbol", "")))
                except InvalidOrder:   # an order of a contract this session does not load (a delivery future)
                    continue
                out.append(ack_from(sym, d, "", Latency(), d))
        return out

    # -- the account (fastorder.venues.perp) ----------------------------------------------------------------
    async def _account_call(self, method: str, path: str, params: list[tuple[str, str]], kind: str) -> Any:
        """One signed request off the order path, always over REST; the reply's JSON, or its typed error."""
        await self.ledger.acquire(kind, max(self.timeout, 1.0))   # its weight, waiting out a short block
        buf = self._buf
        buf.clear()
        self._rest_enc.signed_request(buf, method, path, params, timestamp=self.now_ms())
        lat = Latency()
        resp = await self.rest_send(buf.getvalue(), lat, time.perf_counter_ns())
        self._observe_headers(resp, lat)
        try:
            d = orjson.loads(resp.body) if resp.body else None
        except orjson.JSONDecodeError:
            raise VenueError(VENUE, resp.status, f"{path}: a reply that is not JSON") from None
        if resp.status == 200 and not (isinstance(d, dict) and isinstance(d.get("code"), int) and d["code"] < 0):
            return d
        code = d.get("code") if isinstance(d, dict) else None
        err = error_for(code if isinstance(code, int) else None, str(d.get("msg", "") if isinstance(d, dict) else ""),
                        resp.status, None, action=kind)
        raise err.cause if isinstance(err, _Unknown) else err

    async def _balances(self) -> dict[str, Balance]:
        """GET /fapi/v3/balance (weight 5): free = availableBalance, locked = the rest of the wallet balance
        (margin in use), both exact."""
        rows = await self._account_call("GET", "/fapi/v3/balance", [], "positions")
        if not isinstance(rows, list):
            raise VenueError(VENUE, "reply", "balance: not a list")
        out = {}
        for d in rows:
            if isinstance(d, dict) and d.get("asset"):
                total, free = Decimal(str(d.get("balance", "0"))), Decimal(str(d.get("availableBalance", "0")))
                out[str(d["asset"])] = Balance(str(d["asset"]), str(d.get("availableBalance", "0")),
                                               format(max(total - free, Decimal(0)), "f"))
        return out

    async def _cancel_all(self, info: SymbolInfo | None) -> list[Ack]:
        """DELETE /fapi/v1/allOpenOrders per symbol (the venue takes no cancel-all without one): the open orders
        are listed first, since the reply only says "done"; they come back CANCEL_REQUESTED (one may have filled
        in between: query_order says which)."""
        listed = await self._open_orders(info)
        for name in dict.fromkeys(a.symbol for a in listed):
            await self._account_call("DELETE", "/fapi/v1/allOpenOrders", [("symbol", name)], "account")
        for a in listed:
            a.status = CANCEL_REQUESTED
        return listed

    async def _positions(self, info: SymbolInfo | None) -> list[Position]:
        rows = await self._account_call("GET", "/fapi/v3/positionRisk",
                                        [("symbol", info.name)] if info is not None else [], "positions")
        if not isinstance(rows, list):
            raise VenueError(VENUE, "reply", "positionRisk: not a list")
        out = []
        for d in rows:
            if not isinstance(d, dict) or str(d.get("positionAmt", "0")).strip("-0.") == "":
                continue   # the venue also lists symbols with open orders and no position
            amt = str(d["positionAmt"])
            lev = d.get("leverage")   # v3 leaves leverage and margin type out (v2 had them)
            iso = d.get("marginType")
            out.append(Position(VENUE, str(d.get("symbol", "")), _PSIDE_NAME.get(d.get("positionSide", ""), "net"),
                                amt, amt, str(d.get("entryPrice", "")), str(d.get("markPrice", "")),
                                str(d.get("unRealizedProfit", "")), int(lev) if isinstance(lev, (int, str)) and
                                str(lev).isdigit() else None,
                                {"isolated": "isolated", "cross": "cross"}.get(str(iso).lower(), "") if iso else "",
                                d))
        return out

    async def _set_leverage(self, info: SymbolInfo, leverage: int) -> int:
        if leverage > 125:   # "target initial leverage: int from 1 to 125"
            raise InvalidOrder(f"leverage must be 1 to 125 on USDⓈ-M futures, not {leverage}", field="leverage")
        d = await self._account_call("POST", "/fapi/v1/leverage", [("symbol", info.name), ("leverage", str(leverage))],
                                     "account")
        lev = d.get("leverage") if isinstance(d, dict) else None
        if not isinstance(lev, int):
            raise VenueError(VENUE, "reply", "leverage: no leverage in the reply")
        return lev

    async def _set_margin_mode(self, info: SymbolInfo, mode: str) -> None:
        try:
            await self._account_call("POST", "/fapi/v1/marginType",
                                     [("symbol", info.name), ("marginType", "ISOLATED" if mode == "isolated"
                                                              else "CROSSED")], "account")
        except VenueError as exc:
            if exc.code != -4046:   # "No need to change margin type.": it already is
                raise

    async def _set_position_mode(self, hedge: bool) -> None:
        try:
            await self._account_call("POST", "/fapi/v1/positionSide/dual",
                                     [("dualSidePosition", "true" if hedge else "false")], "account")
        except VenueError as exc:
            if exc.code != -4059:   # "No need to change position side."
                raise


__all__ = ["HOSTS", "BinanceFuturesSession", "ack_from", "error_for"]
