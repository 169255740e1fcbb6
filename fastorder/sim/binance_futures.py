"""Binance USDⓈ-M futures: REST ``/fapi/*`` and the WebSocket API ``/ws-fapi/v1``, as documented in
https://developers.binance.com/docs/derivatives/usds-margined-futures (New Order, Cancel Order, Query Order,
Current All Open Orders, Position Information V3, Change Initial Leverage, Change Margin Type, Change Position
Mode, WebSocket API general info, error codes; see docs/venues/binance-futures.md).

Built on the spot simulator (signing, timestamps, the IP weight, faults, the WebSocket session): what differs is
here. Positions per (account, symbol, positionSide), one-way (BOTH) or hedge (LONG/SHORT) mode per account, a
leverage (default 20) and margin type per (account, symbol), and a USDT wallet (default 10,000). The margin check
is the simple one: an order that adds to a position needs (notional of the positions, of the open orders that add
to them, and of this order) / leverage <= the wallet, else -2019; past the leverage's notional cap -2027. Fills
move positions at the fill price (average entry; the realised PnL goes to the wallet). Funding, fees, mark price
and liquidation are not simulated. The matching engine is the spot one (fastorder/sim/book.pyx) with balances
large enough never to bind: margin is checked here instead.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import orjson

from .binance import (
    KEYED,
    Binance,
    BinanceError,
    BinanceLimits,
    BinanceWsSession,
    _check_known,
    _cid_ok,
    _dec_ok,
    _is_int20,
    _wsval,
    mandatory,
    not_required,
)
from .binance_futures_stream import BinanceFuturesUserStream
from .book import OPEN, Exchange, Reject, SymbolSpec
from .common import now_ms

D = Decimal
_ZERO = D(0)
_HUGE = "1000000000000000"
WALLET = D("10000")
DEFAULT_LEVERAGE = 20

SYMBOLS = [   # tick, step, min/max qty and MIN_NOTIONAL as the venue lists them for these perpetuals
    SymbolSpec("BTCUSDT", "BTC", "USDT", D("50000"), D("0.1"), D("0.001"), D("0.001"), D("1000"),
               D("556.8"), D("4529764"), D("100"), gap_ticks=50, level_qty=D("0.5")),
    SymbolSpec("ETHUSDT", "ETH", "USDT", D("3000"), D("0.01"), D("0.001"), D("0.001"), D("10000"),
               D("39.86"), D("306177"), D("20"), gap_ticks=10, level_qty=D("5")),
    SymbolSpec("BNBUSDT", "BNB", "USDT", D("600"), D("0.01"), D("0.01"), D("0.01"), D("100000"),
               D("6.6"), D("100000"), D("5"), gap_ticks=5, level_qty=D("20")),
]
#: the notional cap at a leverage (a simplified leverage bracket: the higher the leverage, the lower the cap)
BRACKETS = ((20, D("5000000")), (50, D("1000000")), (100, D("250000")), (125, D("50000")))

ORDER_TYPES = ("LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")
ORDER_PARAMS = frozenset((
    "symbol", "side", "positionSide", "type", "timeInForce", "quantity", "reduceOnly", "price", "newClientOrderId",
    "stopPrice", "closePosition", "activationPrice", "callbackRate", "workingType", "priceProtect",
    "newOrderRespType", "priceMatch", "selfTradePreventionMode", "goodTillDate", "recvWindow", "timestamp",
    "signature"))
REF_PARAMS = frozenset(("symbol", "orderId", "origClientOrderId", "recvWindow", "timestamp", "signature"))
MODIFY_PARAMS = REF_PARAMS | {"side", "quantity", "price", "priceMatch"}
_WS_EXTRA = frozenset(("apiKey", "returnRateLimits"))
STP = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH")


def fmt(d: Decimal, places: int) -> str:
    return f"{d:.{places}f}"


def _places(x: Decimal) -> int:
    return max(0, -x.normalize().as_tuple().exponent)


def _bool_param(p: dict, name: str) -> bool:
    v = p.get(name)
    if v is None:
        return False
    if v not in ("true", "false", "TRUE", "FALSE"):
        raise BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")
    return v.lower() == "true"


class BinanceFutures(Binance):
    venue = "binance_futures"

    def __init__(self, keys, limits: BinanceLimits | None = None, seed: int = 0, wallet: Decimal = WALLET,
                 **ws_opts) -> None:
        super().__init__(keys, limits or self.default_limits(), seed=seed, **ws_opts)
        # the spot engine's balances never bind: the margin check below decides
        self.ex = Exchange([SymbolSpec(**vars(s)) for s in SYMBOLS], first_order_id=8_000_000_000 + seed,
                           balances={a: _HUGE for s in SYMBOLS for a in (s.base, s.quote)})
        self.wallet_default = D(wallet)
        self.wallets: dict[str, Decimal] = {}
        self.positions: dict[tuple[str, str, str], list[Decimal]] = {}   # (acct, symbol, side) -> [amt, entry]
        self.leverage: dict[tuple[str, str], int] = {}
        self.margin_type: dict[tuple[str, str], str] = {}
        self.dual: dict[str, bool] = {}
        self.ws_paths = {"/ws-fapi/v1": self._ws_session}
        self.stream = BinanceFuturesUserStream(self)
        self.countdowns: dict[tuple[str, str], tuple[int, Any]] = {}   # (account, symbol) -> (fires at ms, timer)
        self.dms_fired = 0   # countdowns that ran out (each cancelled its symbol's open orders)   # the listenKey user data stream (fastorder/sim/...stream)
        self._routes = {
            ("GET", "/fapi/v1/ping"): (1, False, self._ping),
            ("GET", "/fapi/v1/time"): (1, False, self._time),
            ("GET", "/fapi/v1/exchangeInfo"): (1, False, self._exchange_info),
            ("POST", "/fapi/v1/order"): (0, True, self._rest_new_order),   # "0 on IP rate limit"
            ("POST", "/fapi/v1/order/test"): (0, True, self._rest_test_order),
            ("PUT", "/fapi/v1/order"): (0, True, self._rest_modify),   # like a new order: "0 on IP rate limit"
            ("DELETE", "/fapi/v1/order"): (1, True, self._rest_cancel),
            ("GET", "/fapi/v1/order"): (1, True, self._rest_query),
            ("GET", "/fapi/v1/openOrders"): (1, True, self._rest_open_orders),
            ("DELETE", "/fapi/v1/allOpenOrders"): (1, True, self._rest_cancel_all),
            ("GET", "/fapi/v3/balance"): (5, True, self._rest_balance),
            ("GET", "/fapi/v3/positionRisk"): (5, True, self._rest_positions),
            ("GET", "/fapi/v2/positionRisk"): (5, True, self._rest_positions),
            ("POST", "/fapi/v1/leverage"): (1, True, self._rest_leverage),
            ("POST", "/fapi/v1/marginType"): (1, True, self._rest_margin_type),
            ("POST", "/fapi/v1/positionSide/dual"): (1, True, self._rest_dual),
            ("GET", "/fapi/v1/positionSide/dual"): (30, True, self._rest_get_dual),
            ("POST", "/fapi/v1/countdownCancelAll"): (10, True, self._rest_countdown),
            ("POST", "/fapi/v1/batchOrders"): (5, True, self._rest_batch_orders),
            ("DELETE", "/fapi/v1/batchOrders"): (1, True, self._rest_batch_cancel),
            # USER_STREAM: the API key header, no signature (weight 1 each)
            ("POST", "/fapi/v1/listenKey"): (1, KEYED, self._rest_listen_key),
            ("PUT", "/fapi/v1/listenKey"): (1, KEYED, self._rest_listen_key_keepalive),
            ("DELETE", "/fapi/v1/listenKey"): (1, KEYED, self._rest_listen_key_delete),
        }
        self._paths = {p for _, p in self._routes}
        self._free_on_success = set()
        self._open_orders_route = None

    # ================================================================ rate limits: ORDERS per 10 s and per minute
    @staticmethod
    def default_limits(enabled: bool = True) -> BinanceLimits:
        """The published windows: REQUEST_WEIGHT 2400 / min, ORDERS 300 / 10 s and 1200 / min (orders_per_day
        holds the per-minute count here)."""
        return BinanceLimits(weight_per_minute=2400, orders_per_10s=300, orders_per_day=1200, enabled=enabled)

    long_window_ms, long_window_name = 60000, "MINUTE"

    def handle_http(self, req):
        status, hdr, body = super().handle_http(req)
        # the spot headers name the day window; the futures order windows are 10 s and 1 min
        return status, hdr.replace(b"X-MBX-ORDER-COUNT-1D", b"X-MBX-ORDER-COUNT-1M"), body

    # ================================================================ public
    def exchange_info(self, now: int) -> dict:
        lim = self.limits
        syms = []
        for s in self.ex.specs.values():
            pp, qp = _places(s.tick), _places(s.step)
            syms.append({
                "symbol": s.symbol, "pair": s.symbol, "contractType": "PERPETUAL", "deliveryDate": 4133404800000,
                "onboardDate": 1569398400000, "status": "TRADING", "maintMarginPercent": "2.5000",
                "requiredMarginPercent": "5.0000", "baseAsset": s.base, "quoteAsset": s.quote,
                "marginAsset": s.quote, "pricePrecision": pp, "quantityPrecision": qp, "baseAssetPrecision": 8,
                "quotePrecision": 8, "underlyingType": "COIN", "underlyingSubType": [], "triggerProtect": "0.0500",
                "liquidationFee": "0.012500", "marketTakeBound": "0.05",
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": fmt(s.min_price, pp), "maxPrice": fmt(s.max_price, pp),
                     "tickSize": fmt(s.tick, pp)},
                    {"filterType": "LOT_SIZE", "minQty": fmt(s.min_qty, qp), "maxQty": fmt(s.max_qty, qp),
                     "stepSize": fmt(s.step, qp)},
                    {"filterType": "MARKET_LOT_SIZE", "minQty": fmt(s.min_qty, qp), "maxQty": fmt(s.max_qty, qp),
                     "stepSize": fmt(s.step, qp)},
                    {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                    {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
                    {"filterType": "MIN_NOTIONAL", "notional": str(s.min_notional)},
                    {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500",
                     "multiplierDecimal": "4"},
                ],
                "orderTypes": list(ORDER_TYPES[:-1]) + ["TRAILING_STOP_MARKET"],
                "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
            })
        return {"timezone": "UTC", "serverTime": now, "futuresType": "U_MARGINED",
                "rateLimits": [
                    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                     "limit": lim.weight_per_minute},
                    {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": lim.orders_per_day},
                    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": lim.orders_per_10s}],
                "exchangeFilters": [], "assets": [{"asset": "USDT", "marginAvailable": True}], "symbols": syms}

    def _exchange_info(self, p, key, now):
        return 200, orjson.dumps(self.exchange_info(now)), False   # the futures endpoint takes no symbol filter

    # ================================================================ REST handlers
    rest_new_params = rest_test_params = ORDER_PARAMS
    rest_cancel_params = rest_query_params = REF_PARAMS

    def _rest_modify(self, p, key, now):
        _check_known(p, MODIFY_PARAMS)
        return 200, orjson.dumps(self.modify_order(p, key.account, now)), True

    def _json_list(self, p: dict, name: str, most: int) -> list:
        raw = p.get(name)
        try:
            items = orjson.loads(raw)
        except orjson.JSONDecodeError:
            items = None
        if not isinstance(items, list) or not items or len(items) > most:
            raise BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")
        return items

    def _rest_batch_orders(self, p, key, now):
        """Place Multiple Orders: batchOrders, a JSON list of up to 5 orders (New Order's parameters, values as
        strings). Each is placed alone, in order; the reply lists each one's order or its {code, msg}."""
        _check_known(p, frozenset(("batchOrders", "recvWindow", "timestamp", "signature")))
        if not p.get("batchOrders"):
            raise mandatory("batchOrders")
        out: list = []
        for item in self._json_list(p, "batchOrders", 5):
            try:
                if not isinstance(item, dict):
                    raise BinanceError(-1130, "Data sent for parameter 'batchOrders' is not valid.")
                q = {k: v if type(v) is str else _wsval(v) for k, v in item.items() if v is not None}
                _check_known(q, ORDER_PARAMS - {"recvWindow", "timestamp", "signature"})
                out.append(self.new_order(q, key.account, now))
            except BinanceError as e:
                out.append({"code": e.code, "msg": e.msg})
        return 200, orjson.dumps(out), True

    def _rest_batch_cancel(self, p, key, now):
        """Cancel Multiple Orders: symbol and one of orderIdList / origClientOrderIdList (up to 10); the reply
        lists each one's order or its {code, msg} (-2011 "Unknown order sent.")."""
        _check_known(p, frozenset(("symbol", "orderIdList", "origClientOrderIdList", "recvWindow", "timestamp",
                                   "signature")))
        sym = self._symbol(p)
        by_oid, by_cid = p.get("orderIdList"), p.get("origClientOrderIdList")
        if not by_oid and not by_cid:
            raise BinanceError(-1102, "Param 'orderIdList' or 'origClientOrderIdList' must be sent, but both were "
                               "empty/null!")
        if by_oid and by_cid:
            raise BinanceError(-1130, "Data sent for parameter 'orderIdList' is not valid.")
        name = "orderIdList" if by_oid else "origClientOrderIdList"
        out: list = []
        for x in self._json_list(p, name, 10):
            try:
                if by_oid and (isinstance(x, bool) or not isinstance(x, int)):
                    raise BinanceError(-1130, "Data sent for parameter 'orderIdList' is not valid.")
                if by_cid and not isinstance(x, str):
                    raise BinanceError(-1130, "Data sent for parameter 'origClientOrderIdList' is not valid.")
                ref = {"symbol": sym, "orderId": str(x)} if by_oid else {"symbol": sym, "origClientOrderId": x}
                out.append(self.cancel_order(ref, key.account, now))
            except BinanceError as e:
                out.append({"code": e.code, "msg": e.msg})
        return 200, orjson.dumps(out), False

    def _rest_countdown(self, p, key, now):
        """Auto-Cancel All Open Orders: symbol, countdownTime (ms; 0 stops it). Each call replaces the symbol's
        countdown; when one runs out, every open order of the account on that symbol is cancelled."""
        _check_known(p, frozenset(("symbol", "countdownTime", "recvWindow", "timestamp", "signature")))
        sym = self._symbol(p)
        ct = p.get("countdownTime")
        if not ct:
            raise mandatory("countdownTime")
        if not _is_int20(ct):
            raise BinanceError(-1100, "Illegal characters found in parameter 'countdownTime'; legal range is "
                               "'^[0-9]{1,20}$'.")
        ms = int(ct)
        prev = self.countdowns.pop((key.account, sym), None)
        if prev is not None:
            prev[1].cancel()
        if ms:
            timer = asyncio.get_running_loop().call_later(ms / 1000, self._countdown_fired, key.account, sym)
            self.countdowns[(key.account, sym)] = (now + ms, timer)
        return 200, orjson.dumps({"symbol": sym, "countdownTime": str(ms)}), False

    def _countdown_fired(self, account: str, symbol: str) -> None:
        self.countdowns.pop((account, symbol), None)
        self.dms_fired += 1
        now = now_ms()
        for o in list(self._resting(account)):
            if o.symbol == symbol:
                self.ex.cancel(o, now)
                self.stream.order(o, "CANCELED", "CANCELED", now)

    def _rest_listen_key(self, p, key, now):
        """POST /fapi/v1/listenKey (no parameters): the account's active key, extended, or a new one."""
        _check_known(p, frozenset())
        return 200, orjson.dumps({"listenKey": self.stream.create(key.account, now)}), False

    def _rest_listen_key_keepalive(self, p, key, now):
        _check_known(p, frozenset())
        lk = self.stream.keepalive(key.account, now)
        if lk is None:
            raise BinanceError(-1125, "This listenKey does not exist.")
        return 200, orjson.dumps({"listenKey": lk}), False

    def _rest_listen_key_delete(self, p, key, now):
        _check_known(p, frozenset())
        self.stream.delete(key.account, now)
        return 200, b"{}", False

    def ws_factory(self, req):
        """A WebSocket path not in ws_paths: the user data stream at /private/ws/<listenKey>."""
        return self.stream.session_for(req.path)

    def _rest_cancel_all(self, p, key, now):
        """Cancel All Open Orders: `symbol` mandatory; the reply says only that it is done."""
        _check_known(p, frozenset(("symbol", "recvWindow", "timestamp", "signature")))
        sym = self._symbol(p)
        for o in list(self._resting(key.account)):
            if o.symbol == sym:
                self.ex.cancel(o, now)
                self.stream.order(o, "CANCELED", "CANCELED", now)
        return 200, b'{"code":200,"msg":"The operation of cancel all open order is done."}', False

    def _rest_balance(self, p, key, now):
        """Futures Account Balance V3: the USDT wallet; available = wallet - the initial margin in use."""
        _check_known(p, frozenset(("recvWindow", "timestamp", "signature")))
        wallet = self.wallet(key.account)
        upnl = sum(((self.ex.specs[s].mid - v[1]) * v[0] for (a, s, _ps), v in self.positions.items()
                    if a == key.account and v[0]), _ZERO)
        avail = max(_ZERO, wallet - self._used_margin(key.account))
        return 200, orjson.dumps([{"accountAlias": "SgsR", "asset": "USDT", "balance": fmt(wallet, 8),
                                   "crossWalletBalance": fmt(wallet, 8), "crossUnPnl": fmt(upnl, 8),
                                   "availableBalance": fmt(avail, 8), "maxWithdrawAmount": fmt(avail, 8),
                                   "marginAvailable": True, "updateTime": now}]), False

    def _rest_positions(self, p, key, now):
        _check_known(p, frozenset(("symbol", "recvWindow", "timestamp", "signature")))
        sym = p.get("symbol")
        if sym is not None and sym not in self.ex.specs:
            raise BinanceError(-1121, "Invalid symbol.")
        return 200, orjson.dumps(self.position_view(key.account, sym, now)), False

    def _rest_leverage(self, p, key, now):
        _check_known(p, frozenset(("symbol", "leverage", "recvWindow", "timestamp", "signature")))
        sym = self._symbol(p)
        lev = p.get("leverage")
        if not lev:
            raise mandatory("leverage")
        if not _is_int20(lev) or not 1 <= int(lev) <= 125:
            raise BinanceError(-4028, f"Leverage {lev} is not valid")
        self.leverage[(key.account, sym)] = int(lev)
        return 200, orjson.dumps({"leverage": int(lev), "maxNotionalValue": str(self._cap(int(lev))),
                                  "symbol": sym}), False

    def _rest_margin_type(self, p, key, now):
        _check_known(p, frozenset(("symbol", "marginType", "recvWindow", "timestamp", "signature")))
        sym = self._symbol(p)
        mt = p.get("marginType")
        if not mt:
            raise mandatory("marginType")
        if mt not in ("ISOLATED", "CROSSED"):
            raise BinanceError(-1116, "Invalid marginType.")
        if self.margin_type.get((key.account, sym), "CROSSED") == mt:
            raise BinanceError(-4046, "No need to change margin type.")
        if self.ex.open_orders(key.account, sym):
            raise BinanceError(-4047, "Margin type cannot be changed if there exists open orders.")
        if any(self._pos(key.account, sym, s)[0] for s in ("BOTH", "LONG", "SHORT")):
            raise BinanceError(-4048, "Margin type cannot be changed if there exists position.")
        self.margin_type[(key.account, sym)] = mt
        return 200, b'{"code":200,"msg":"success"}', False

    def _rest_dual(self, p, key, now):
        _check_known(p, frozenset(("dualSidePosition", "recvWindow", "timestamp", "signature")))
        if p.get("dualSidePosition") is None:
            raise mandatory("dualSidePosition")
        want = _bool_param(p, "dualSidePosition")
        if self.dual.get(key.account, False) == want:
            raise BinanceError(-4059, "No need to change position side.")
        if self.ex.open_orders(key.account, None):
            raise BinanceError(-4067, "Position side cannot be changed if there exists open orders.")
        if any(v[0] for (a, _s, _ps), v in self.positions.items() if a == key.account):
            raise BinanceError(-4068, "Position side cannot be changed if there exists position.")
        self.dual[key.account] = want
        return 200, b'{"code":200,"msg":"success"}', False

    def _rest_get_dual(self, p, key, now):
        _check_known(p, frozenset(("recvWindow", "timestamp", "signature")))
        return 200, orjson.dumps({"dualSidePosition": self.dual.get(key.account, False)}), False

    # ================================================================ positions and margin
    def _pos(self, account: str, symbol: str, side: str) -> list[Decimal]:
        return self.positions.get((account, symbol, side)) or [_ZERO, _ZERO]

    def wallet(self, account: str) -> Decimal:
        w = self.wallets.get(account)
        if w is None:
            w = self.wallets[account] = self.wallet_default
        return w

    @staticmethod
    def _cap(leverage: int) -> Decimal:
        for lev, cap in BRACKETS:
            if leverage <= lev:
                return cap
        return BRACKETS[-1][1]

    def _increases(self, account: str, symbol: str, pside: str, side: str) -> bool:
        """Whether an order of `side` on `pside` adds to (or opens) a position."""
        if pside == "LONG":
            return side == "BUY"
        if pside == "SHORT":
            return side == "SELL"
        amt = self._pos(account, symbol, "BOTH")[0]
        return amt == 0 or (amt > 0) == (side == "BUY")

    def _check_margin(self, account: str, symbol: str, notional: Decimal) -> None:
        lev = self.leverage.get((account, symbol), DEFAULT_LEVERAGE)
        sym_pos = sum((abs(v[0]) * v[1] for (a, s, _ps), v in self.positions.items() if a == account and s == symbol),
                      _ZERO)
        if sym_pos + notional > self._cap(lev):
            raise BinanceError(-2027, "Exceeded the maximum allowable position at current leverage.")
        if self._used_margin(account) + notional / lev > self.wallet(account):
            raise BinanceError(-2019, "Margin is insufficient.")

    def _used_margin(self, account: str) -> Decimal:
        """The initial margin of the account's positions (at entry) and of its resting orders that add to them."""
        used = _ZERO
        for (a, s, _ps), v in self.positions.items():
            if a == account and v[0]:
                used += abs(v[0]) * v[1] / self.leverage.get((a, s), DEFAULT_LEVERAGE)
        for o in self._resting(account):   # (from the books: the engine's order list holds every order ever)
            if not o.extra.get("reduce_only"):
                used += o.remaining * (o.price or _ZERO) / self.leverage.get((account, o.symbol), DEFAULT_LEVERAGE)
        return used

    def _resting(self, account: str):
        """The account's orders resting on the books."""
        for book in self.ex.books.values():
            for levels in (book.bids, book.asks):
                for queue in levels.values():
                    for o in queue:
                        if o.account == account:
                            yield o

    def _fill(self, account: str, symbol: str, pside: str, side: str, qty: Decimal, px: Decimal) -> Decimal:
        """Move the position by one fill: average entry when it grows, realised PnL to the wallet when it
        shrinks, a new entry at the fill price for what crosses through zero (one-way mode)."""
        pos = self.positions.setdefault((account, symbol, pside), [_ZERO, _ZERO])
        amt, entry = pos
        delta = qty if side == "BUY" else -qty
        new = amt + delta
        pnl = _ZERO
        if amt == 0 or (amt > 0) == (delta > 0):   # opens or adds
            pos[1] = (abs(amt) * entry + qty * px) / abs(new)
        else:
            closed = min(abs(amt), qty)
            pnl = (px - entry) * closed * (1 if amt > 0 else -1)
            self.wallets[account] = self.wallet(account) + pnl
            if new == 0:
                pos[1] = _ZERO
            elif (new > 0) != (amt > 0):   # through zero: the rest opens at the fill price
                pos[1] = px
        pos[0] = new
        return pnl

    def position_view(self, account: str, symbol: str | None, now: int) -> list[dict]:
        out = []
        for (a, s, ps), (amt, entry) in sorted(self.positions.items()):
            if a != account or (symbol is not None and s != symbol) or (amt == 0 and not self.ex.open_orders(a, s)):
                continue
            spec = self.ex.specs[s]
            pp, qp = _places(spec.tick), _places(spec.step)
            lev = self.leverage.get((a, s), DEFAULT_LEVERAGE)
            mark = spec.mid
            notional = amt * mark
            im = abs(notional) / lev
            out.append({"symbol": s, "positionSide": ps, "positionAmt": fmt(amt, qp),
                        "entryPrice": fmt(entry, pp + 1), "breakEvenPrice": fmt(entry, pp + 1),
                        "markPrice": fmt(mark, pp + 1), "unRealizedProfit": fmt((mark - entry) * amt, 8),
                        "liquidationPrice": "0", "isolatedMargin": "0", "notional": fmt(notional, 8),
                        "marginAsset": "USDT", "isolatedWallet": "0", "initialMargin": fmt(im, 8),
                        "maintMargin": fmt(abs(notional) * D("0.004"), 8), "positionInitialMargin": fmt(im, 8),
                        "openOrderInitialMargin": "0", "adl": 0, "bidNotional": "0", "askNotional": "0",
                        "updateTime": now})
        return out

    # ================================================================ orders
    def validate_order(self, p: dict) -> dict:
        if "" in p.values():
            p = {k: v for k, v in p.items() if v != ""}
        symbol, side, typ = self._symbol_side_type(p, ORDER_TYPES)
        spec = self.ex.specs[symbol]
        pside = p.get("positionSide", "BOTH")
        if pside not in ("BOTH", "LONG", "SHORT"):
            raise BinanceError(-4060, "Invalid position side.")
        for name in ("quantity", "price", "stopPrice"):
            v = p.get(name)
            if v is not None and not _dec_ok(v):
                raise BinanceError(-1100, f"Illegal characters found in parameter '{name}'; legal range is "
                                   "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.")
        cid = p.get("newClientOrderId")
        if cid is not None and not _cid_ok(cid):
            raise BinanceError(-4015, "Client order id is not valid.")
        tif = p.get("timeInForce")
        if tif is not None and tif not in ("GTC", "IOC", "FOK", "GTX", "GTD"):
            raise BinanceError(-1115, "Invalid timeInForce.")
        resp = p.get("newOrderRespType")
        if resp is not None and resp not in ("ACK", "RESULT"):
            raise BinanceError(-1136, "Invalid newOrderRespType.")
        stp = p.get("selfTradePreventionMode")
        if stp is not None and stp not in STP:
            raise BinanceError(-1130, "Data sent for parameter 'selfTradePreventionMode' is not valid.")
        reduce_only = _bool_param(p, "reduceOnly")
        close_position = _bool_param(p, "closePosition")
        qty, price = p.get("quantity"), p.get("price")
        if typ == "LIMIT":
            for name in ("timeInForce", "quantity", "price"):
                if not p.get(name):
                    raise mandatory(name)
        elif typ == "MARKET":
            if not qty:
                raise mandatory("quantity")
            if price is not None:
                raise not_required("price")
        if close_position and typ not in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
            raise BinanceError(-1106, "Parameter 'closePosition' sent when not required.")
        if close_position and reduce_only:
            raise BinanceError(-1106, "Parameter 'reduceOnly' sent when not required.")
        if typ not in ("LIMIT", "MARKET"):   # conditional (algo) orders: not simulated
            raise BinanceError(-4120, "Order type not supported for this endpoint. Please use the Algo Order API "
                               "endpoints instead.")
        for v, places in ((qty, _places(spec.step)), (price, _places(spec.tick))):
            if v is not None and "." in v and len(v.rstrip("0").split(".")[1]) > places:
                raise BinanceError(-1111, "Precision is over the maximum defined for this asset.")
        dp = None
        if price is not None:
            dp = D(price)
            if dp <= 0:
                raise BinanceError(-4001, "Price less than 0.")
            if dp < spec.min_price:
                raise BinanceError(-4013, "Price less than min price.")
            if dp > spec.max_price:
                raise BinanceError(-4002, "Price greater than max price.")
            if (dp - spec.min_price) % spec.tick:
                raise BinanceError(-4014, "Price not increased by tick size.")
        dq = D(qty)
        if dq <= 0:
            raise BinanceError(-4003, "Quantity less than or equal to zero.")
        if dq < spec.min_qty:
            raise BinanceError(-4004, "Quantity less than min quantity.")
        if dq > spec.max_qty:
            raise BinanceError(-4005, "Quantity greater than max quantity.")
        if (dq - spec.min_qty) % spec.step:
            raise BinanceError(-4023, "Quantity not increased by step size.")
        if not reduce_only and dq * (dp if dp is not None else spec.mid) < spec.min_notional:
            raise BinanceError(-4164, f"Order's notional must be no smaller than {spec.min_notional} (unless you "
                               "choose reduce only).")
        return {"symbol": symbol, "side": side, "type": typ, "tif": tif, "qty": dq, "price": dp, "cid": cid,
                "resp": resp or "ACK", "stp": stp or "EXPIRE_MAKER", "pside": pside, "reduce_only": reduce_only}

    def new_order(self, p: dict, account: str, now: int) -> dict:
        v = self.validate_order(p)
        symbol, side, pside, qty = v["symbol"], v["side"], v["pside"], v["qty"]
        dual = self.dual.get(account, False)
        if dual != (pside != "BOTH"):
            raise BinanceError(-4061, "Order's position side does not match user's setting.")
        if dual and p.get("reduceOnly") is not None:
            raise BinanceError(-1106, "Parameter 'reduceOnly' sent when not required.")
        self._count_order(account, now)
        increases = self._increases(account, symbol, pside, side)
        if v["reduce_only"] or (dual and not increases):
            amt = self._pos(account, symbol, pside)[0]
            if increases or abs(amt) < qty:
                raise BinanceError(-2022, "ReduceOnly Order is rejected.")
        if increases:
            self._check_margin(account, symbol, qty * (v["price"] or self.ex.specs[symbol].mid))
        cid = v["cid"] or self.ids.alnum(22)
        typ, tif = v["type"], v["tif"]
        try:
            o = self.ex.place(account, symbol, side, typ, price=v["price"], qty=qty,
                              tif="GTC" if tif in (None, "GTX", "GTD") else tif, post_only=tif == "GTX", cid=cid,
                              now=now, extra={"type": typ, "stp": v["stp"], "tif_shown": tif or "GTC", "pside": pside,
                                              "reduce_only": v["reduce_only"]})
        except Reject as r:
            if r.reason == "WOULD_TAKE":
                raise BinanceError(-5022, "Due to the order could not be executed as maker, the Post Only order "
                                   "will be rejected.") from None
            raise BinanceError(-4116, "ClientOrderId is duplicated.") from None
        st = self.stream
        events = bool(st.subs.get(account))
        if events:
            st.order(o, "NEW", "NEW", now, cum=_ZERO, cum_quote=_ZERO)
        cum = cum_q = _ZERO
        for i, (px, q, tid) in enumerate(o.fills):
            pnl = self._fill(account, symbol, pside, side, q, px)
            if events:
                cum += q
                cum_q += px * q
                last = i == len(o.fills) - 1 and o.status == "FILLED"
                st.order(o, "TRADE", "FILLED" if last else "PARTIALLY_FILLED", now, cum=cum, cum_quote=cum_q,
                         fill=(px, q, tid), realized=pnl)
                st.account(account, symbol, pside, now)
        if events and o.status in ("EXPIRED", "EXPIRED_IN_MATCH"):
            st.order(o, "EXPIRED", o.status, now)
        o.extra["applied"] = list(o.fills)   # fills already moved the position (an amend adds later ones)
        self._maker_fills(now)
        if v["resp"] == "ACK":
            return self.order_view(o, now, acked=True)
        return self.order_view(o, now)

    def order_view(self, o, now: int | None = None, acked: bool = False) -> dict:
        spec = self.ex.specs[o.symbol]
        pp, qp = _places(spec.tick), _places(spec.step)
        executed = _ZERO if acked else o.executed
        cum = _ZERO if acked else o.cum_quote
        ex = o.extra
        out = {"orderId": o.oid, "symbol": o.symbol, "status": "NEW" if acked else o.status, "clientOrderId": o.cid,
               "price": fmt(o.price or _ZERO, pp), "avgPrice": fmt(cum / executed if executed else _ZERO, pp),
               "origQty": fmt(o.qty, qp), "executedQty": fmt(executed, qp), "cumQty": fmt(executed, qp),
               "cumQuote": fmt(cum, 5), "timeInForce": ex["tif_shown"], "type": ex["type"],
               "reduceOnly": ex["reduce_only"], "closePosition": False, "side": o.side, "positionSide": ex["pside"],
               "stopPrice": fmt(_ZERO, pp), "workingType": "CONTRACT_PRICE", "priceProtect": False,
               "origType": ex["type"], "priceMatch": "NONE", "selfTradePreventionMode": ex["stp"],
               "goodTillDate": 0, "updateTime": o.utime if now is None else now}
        if now is None:   # a query or a listing also says when the order was made
            out["time"] = o.ctime
        return out

    def query_order(self, p: dict, account: str) -> dict:
        return self.order_view(self._lookup(p, account, False))

    def cancel_order(self, p: dict, account: str, now: int) -> dict:
        o = self._lookup(p, account, True)
        if o.status not in OPEN:
            raise BinanceError(-2011, "Unknown order sent.")
        self.ex.cancel(o, now)
        self.stream.order(o, "CANCELED", "CANCELED", now)
        return self.order_view(o, now)

    def modify_order(self, p: dict, account: str, now: int) -> dict:
        """Modify Order: LIMIT orders only; side, quantity and price always; filters as for a new order; the
        order leaves the book and comes back (it may trade); at or below its executed quantity, or a GTX order
        whose new price would take, it ends (Modify Order notes)."""
        for name in ("side", "quantity", "price"):
            if not p.get(name):
                raise mandatory(name)
        o = self._lookup(p, account, False)
        if o.status not in OPEN:
            raise BinanceError(-2013, "Order does not exist.")
        if p["side"] != o.side:
            raise BinanceError(-4000, "Invalid order status.")   # the side must be the order's own
        if o.extra["type"] != "LIMIT":
            raise BinanceError(-4000, "Invalid order status.")
        v = self.validate_order({"symbol": o.symbol, "side": o.side, "type": "LIMIT", "timeInForce": "GTC",
                                 "quantity": p["quantity"], "price": p["price"],
                                 "reduceOnly": "true" if o.extra.get("reduce_only") else "false"})
        qty, price = v["qty"], v["price"]
        if qty == o.qty and price == o.price:
            raise BinanceError(-5027, "No need to modify the order.")
        self._count_order(account, now)
        if qty > o.qty and self._increases(account, o.symbol, o.extra["pside"], o.side):
            self._check_margin(account, o.symbol, (qty - o.qty) * price)
        try:
            self.ex.amend(o, now, qty=qty, price=price, post_only=o.extra["tif_shown"] == "GTX")
        except Reject as r:
            if r.reason != "WOULD_TAKE":
                raise BinanceError(-5027, "No need to modify the order.") from None
            self.ex.cancel(o, now, "EXPIRED")   # a GTX order the new price would fill ends
        st = self.stream
        done = o.extra.setdefault("applied", [])
        st.order(o, "AMENDMENT" if o.status != "EXPIRED" else "EXPIRED", o.status, now,
                 cum=sum((q for _px, q, _t in done), _ZERO), cum_quote=sum((px * q for px, q, _t in done), _ZERO))
        for px, q, tid in o.fills[len(done):]:
            pnl = self._fill(account, o.symbol, o.extra["pside"], o.side, q, px)
            st.order(o, "TRADE", "FILLED" if o.status == "FILLED" else "PARTIALLY_FILLED", now, fill=(px, q, tid),
                     realized=pnl)
            st.account(account, o.symbol, o.extra["pside"], now)
        o.extra["applied"] = list(o.fills)
        self._maker_fills(now)
        return self.order_view(o, now)

    def _maker_fills(self, now: int) -> None:
        """Move the positions of resting user orders the last placement or amend traded against (and say so
        on their stream: TRADE, then ACCOUNT_UPDATE)."""
        for m, px, q, tid, executed in list(self.ex.touched):
            if px is not None and not m.is_mm:
                pside = m.extra.get("pside", "BOTH")
                pnl = self._fill(m.account, m.symbol, pside, m.side, q, px)
                m.extra.setdefault("applied", []).append((px, q, tid))
                if self.stream.subs.get(m.account):
                    self.stream.order(m, "TRADE", "FILLED" if executed == m.qty else "PARTIALLY_FILLED", now,
                                      cum=executed, fill=(px, q, tid), maker=True, realized=pnl)
                    self.stream.account(m.account, m.symbol, pside, now)
        self.ex.touched.clear()

    def _ws_session(self, req):
        return BinanceFuturesWsSession(self, req)


_WS_WEIGHT = {"order.place": 0, "order.modify": 0, "order.cancel": 1, "order.status": 1, "session.logon": 2, "session.status": 2,
              "session.logout": 2, "v2/account.position": 5, "account.position": 5}


_ORDER_METHODS = frozenset(("order.place", "order.modify"))   # the ones counted on the ORDERS windows


class BinanceFuturesWsSession(BinanceWsSession):
    """One ``/ws-fapi/v1`` connection: the spot session's framing, logon and signing; the futures methods."""

    def handle(self, payload: bytes) -> bytes | None:
        parsed = self.parse_request(payload)
        if type(parsed) is bytes:
            return parsed
        rid, method, params = parsed
        now = now_ms()
        account = self.key.account if self.key else None
        try:
            w = _WS_WEIGHT.get(method)
            if w is None:
                raise BinanceError(-1020, "This operation is not supported.")
            self.v._weight(self.ip, w, now)
            if method == "session.logon":
                result = self._logon(params, now)
                account = self.key.account
            elif method == "session.status":
                result = self._status(now)
            elif method == "session.logout":
                self.key = None
                self.authorized_since = None
                result = self._status(now)
            else:
                key = self._auth(params, now)
                account = key.account
                if method == "order.place":
                    _check_known(params, ORDER_PARAMS | _WS_EXTRA)
                    result = self.v.new_order(params, account, now)
                elif method == "order.modify":
                    _check_known(params, MODIFY_PARAMS | _WS_EXTRA)
                    result = self.v.modify_order(params, account, now)
                elif method == "order.cancel":
                    _check_known(params, REF_PARAMS | _WS_EXTRA)
                    result = self.v.cancel_order(params, account, now)
                elif method == "order.status":
                    _check_known(params, REF_PARAMS | _WS_EXTRA)
                    result = self.v.query_order(params, account)
                else:   # (v2/)account.position
                    result = self.v.position_view(account, params.get("symbol"), now)
        except BinanceError as e:
            return self.error_reply(rid, e, now, account, method in _ORDER_METHODS)
        return self._reply(rid, 200, result=result, account=account, orders=method in _ORDER_METHODS)

    def _status(self, now: int) -> dict:
        return {"apiKey": self.key.api_key if self.key else None, "authorizedSince": self.authorized_since,
                "connectedSince": self.connected_since, "returnRateLimits": self.return_rl, "serverTime": now}
