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
import time
from decimal import Decimal
from typing import Any

import orjson

from fastorder._core.binance_futures import BinanceFuturesRest, BinanceFuturesWs
from fastorder._core.numbers import SymbolRules
from fastorder.errors import (
    ConfigError,
    DuplicateOrder,
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
from fastorder.venues.operations import OrderOptions, TradingOps
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
