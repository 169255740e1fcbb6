"""HTX USDT-margined perpetual swaps: the linear swap REST API (``/linear-swap-api/v1/...`` on ``api.hbdm.com``),
as documented in https://huobiapi.github.io/docs/usdt_swap/v1/en/ and the HTX API pages cited in
docs/venues/htx-swap.md. Built on the spot simulator's Signature V2 check (the swap host signs, e.g.
``api.hbdm.com``); everything else is here.

Replies: ``{"status":"ok","data":…,"ts":…}``; errors ``{"status":"error","err_code":n,"err_msg":…,"ts":…}`` with
HTTP 200. Orders are sized in whole contracts (``volume``); a contract is ``contract_size`` base units. Cross and
isolated margin are separate accounts with separate endpoints (``swap_cross_*`` / ``swap_*``); each keeps its own
positions, leverage per contract (default 5) and position mode (``single_side``, one-way, by default here;
``dual_side``, hedge, after a switch). Margin check (simple): an order that opens or adds needs (notional of the
positions and of the open orders that add to them, and of this order) / leverage <= the USDT wallet (default
10,000), else 1047; past the position limit of a contract (MAX_POSITION contracts) 1044; a close larger than the
position (less the volume its open close orders hold) 1048. Fills move positions at the fill price (average
entry; realised PnL to the wallet). Funding, fees, mark price and liquidation are not simulated. The matching
engine is the spot one (fastorder/sim/book.pyx), run in contracts.

The order push channel ``/linear-swap-notification`` (HtxSwapNotifySession, below) pushes every order change
of a subscribed margin mode. Besides the v1 endpoints, ``POST /v5/trade/order`` and ``POST /v5/trade/cancel_order`` (HTX's newer USDT-M order
API, which ccxt uses for linear swaps) are served over the same books and positions, and the dead-man's switch
``POST /linear-swap-api/v1/linear-cancel-after`` (its own ``{code, msg, ts, data}`` envelope; see _cancel_after).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import orjson

from .binance_futures import BinanceFutures
from .book import OPEN, Exchange, Reject, SymbolSpec
from .htx import Htx, HtxError

D = Decimal
_ZERO = D(0)
WALLET = D("10000")
DEFAULT_LEVER = 5
MAX_LEVER = 200
MAX_POSITION = 100_000           # contracts per contract code and side (the simulator's position limit)
CLIENT_ID_MAX = 9223372036854775807
HOUR_MS = 3_600_000
CID_WINDOW_MS = 8 * HOUR_MS          # "order status query is available for orders placed within 8 hours"
CANCELED_VISIBLE_MS = 2 * HOUR_MS    # canceled orders: "can only query last 2-hour data"
SETTLE_EVERY_MS = 8 * HOUR_MS        # funding settlements at 00:00, 08:00, 16:00 GMT+8 (= 16:00, 00:00, 08:00 UTC)
SETTLE_OFFSET_MS = 0
P = "/linear-swap-api/v1/"
# contract code, pair, mid, price tick, contract size, level volume (contracts)
CONTRACTS = [
    ("BTC-USDT", D("50000"), D("0.1"), D("0.001"), D("500")),
    ("ETH-USDT", D("3000"), D("0.01"), D("0.01"), D("500")),
]
PRICED = ("limit", "post_only", "ioc", "fok")
UNPRICED_TAKE = ("market", "opponent", "optimal_5", "optimal_10", "optimal_20", "opponent_ioc", "optimal_5_ioc",
                 "optimal_10_ioc", "optimal_20_ioc", "opponent_fok", "optimal_5_fok", "optimal_10_fok",
                 "optimal_20_fok")
_NUM_RE = re.compile(r"^[0-9]+(\.[0-9]+)?$")
# order status codes (order info): 3 submitted, 4 partially filled, 5 partially filled then canceled, 6 filled,
# 7 canceled
_STATUS = {"NEW": 3, "PARTIALLY_FILLED": 4, "FILLED": 6}


class SwapError(Exception):
    def __init__(self, code: int, msg: str):
        super().__init__(msg)
        self.code = code
        self.msg = msg


def _num(v) -> str:
    return format(v, "f")


class HtxSwap(Htx):
    venue = "htx_swap"
    SIGN_HOSTS = ("api.hbdm.com", "api.hbdm.vn")

    def __init__(self, keys, seed: int = 0, limit_per_3s: int = 0, wallet: Decimal = WALLET,
                 sign_hosts: tuple[str, ...] = SIGN_HOSTS):
        super().__init__(keys, seed=seed, limit_per_2s=0, sign_hosts=sign_hosts)
        specs = [SymbolSpec(code, code.split("-")[0], "USDT", mid, tick, D(1), D(1), D(1_000_000), tick,
                            D("100000000"), _ZERO, max_notional=D("1e15"), market_max_qty=D(1_000_000), gap_ticks=20,
                            level_qty=lq) for code, mid, tick, _size, lq in CONTRACTS]
        self.ex = Exchange(specs, first_order_id=1_000_000_000_000_000_000 + seed * 1000,
                           balances={a: "1000000000000" for a in ("USDT", "BTC", "ETH")})
        self.sizes = {code: size for code, _m, _t, size, _l in CONTRACTS}
        self.wallet_default = D(wallet)
        self.wallets: dict[tuple[str, str], Decimal] = {}
        # (account, mode, code, side) -> [volume (signed in one-way mode), entry]; side "net", "buy" or "sell"
        self.positions: dict[tuple[str, str, str, str], list[Decimal]] = {}
        self.lever: dict[tuple[str, str, str], int] = {}
        self.pos_mode: dict[tuple[str, str], str] = {}   # (account, margin account) -> single_side | dual_side
        self.stream.subs = {}   # no spot order stream on this host
        self.notify_sessions: set = set()
        self.notify_ping_interval = 5.0
        self.ws_paths = {"/linear-swap-notification": lambda req: HtxSwapNotifySession(self, req)}
        self._cid_index: dict[tuple[str, int], object] = {}
        cross = {"order": self._order, "cancel": self._cancel, "cancelall": self._cancel_all,
                 "account_info": self._account_info,
                 "order_info": self._order_info,
                 "openorders": self._open, "position_info": self._positions,
                 "switch_lever_rate": self._switch_lever, "switch_position_mode": self._switch_mode}
        self.routes = {}
        for name, fn in cross.items():
            self.routes[P + "swap_cross_" + name] = (fn, "cross")
            self.routes[P + "swap_" + name] = (fn, "isolated")

    # ================================================================ HTTP
    def handle_http(self, req):
        m, path = req.method, req.path
        now = self.now()
        if m == "GET" and path == "/api/v1/timestamp":
            return 200, b"", orjson.dumps({"status": "ok", "ts": now})
        if m == "GET" and path == P + "swap_contract_info":
            return 200, b"", orjson.dumps({"status": "ok", "data": self._contract_info(req), "ts": now})
        v5 = {"/v5/trade/order": self._v5_order, "/v5/trade/cancel_order": self._v5_cancel,
              P + "linear-cancel-after": self._cancel_after}.get(path)   # each in the {code, …} envelope
        route = self.routes.get(path)
        if m != "POST" or (route is None and v5 is None):
            return 404, b"", orjson.dumps({"status": "error", "err_code": 404, "err_msg": "not found", "ts": now})
        try:
            try:
                key, _params = self._auth(req)
            except HtxError as e:   # the spot check's reason, under the swap API's codes
                raise SwapError(403 if "Access key" in e.msg else 1253, e.msg) from None
            try:
                body = orjson.loads(req.body) if req.body else {}
            except orjson.JSONDecodeError:
                raise SwapError(1030, "Input error.") from None
            if not isinstance(body, dict):
                raise SwapError(1030, "Input error.")
            if v5 is not None:
                if path.startswith(P):   # linear-cancel-after: code / msg / ts / data
                    return 200, b"", orjson.dumps({"code": 200, "data": v5(key.account, body, now), "ts": now})
                return 200, b"", orjson.dumps({"code": 200, "data": v5(key.account, body, now),
                                               "message": "Success", "ts": now})
            fn, mode = route
            data = fn(key.account, mode, body, now)
            return 200, b"", orjson.dumps({"status": "ok", "data": data, "ts": now})
        except SwapError as e:
            if v5 is not None:
                return 200, b"", orjson.dumps({"code": e.code, "msg" if path.startswith(P) else "message": e.msg,
                                               "ts": now})
            return 200, b"", orjson.dumps({"status": "error", "err_code": e.code, "err_msg": e.msg, "ts": now})

    def _contract_info(self, req) -> list:
        out = []
        for code, _mid, tick, size, _lq in CONTRACTS:
            out.append({"symbol": code.split("-")[0], "contract_code": code, "contract_size": float(size),
                        "price_tick": float(tick), "delivery_date": "", "delivery_time": "", "create_date": "20201021",
                        "contract_status": 1, "settlement_date": "1700006400000", "support_margin_mode": "all",
                        "business_type": "swap", "pair": code, "contract_type": "swap", "trade_partition": "USDT"})
        return out

    # ================================================================ helpers
    def _code(self, body: dict) -> str:
        code = body.get("contract_code")
        if code in (None, ""):
            raise SwapError(1066, "The contract_code field cannot be empty. Please re-enter.")
        code = str(code).upper()   # "Case-Insenstive.Both uppercase and lowercase are supported"
        if code not in self.ex.specs:
            raise SwapError(1014, "This contract doesn't exist.")
        return code

    @staticmethod
    def _margin_account(mode: str, code: str) -> str:
        return "USDT" if mode == "cross" else code

    def _mode_of(self, account: str, mode: str, code: str) -> str:
        return self.pos_mode.get((account, self._margin_account(mode, code)), "single_side")

    def _wallet(self, account: str, mode: str, code: str) -> Decimal:
        k = (account, self._margin_account(mode, code))
        w = self.wallets.get(k)
        if w is None:
            w = self.wallets[k] = self.wallet_default
        return w

    def _pos(self, account: str, mode: str, code: str, side: str) -> list[Decimal]:
        return self.positions.setdefault((account, mode, code, side), [_ZERO, _ZERO])

    _resting = BinanceFutures._resting   # the account's orders resting on the books (the same walk)

    def _used_margin(self, account: str, mode: str, code: str) -> Decimal:
        """Initial margin of the margin account's positions (at entry) and of its resting orders that add."""
        macct = self._margin_account(mode, code)
        used = _ZERO
        for (a, md, c, _s), (vol, entry) in self.positions.items():
            if a == account and md == mode and self._margin_account(md, c) == macct and vol:
                used += abs(vol) * self.sizes[c] * entry / self.lever.get((a, md, c), DEFAULT_LEVER)
        for o in self._resting(account):
            e = o.extra
            if e.get("mode") == mode and self._margin_account(mode, o.symbol) == macct and e.get("adds"):
                used += o.remaining * self.sizes[o.symbol] * (o.price or _ZERO) / e["lever"]
        return used

    def _closing_held(self, account: str, mode: str, code: str, pside: str) -> Decimal:
        """Volume of the resting close orders of a position (they hold what they close)."""
        return sum((o.remaining for o in self._resting(account)
                    if o.symbol == code and o.extra.get("mode") == mode and o.extra.get("closes") == pside), _ZERO)

    # ================================================================ orders
    def _volume(self, raw) -> Decimal:
        if isinstance(raw, bool) or raw in (None, ""):
            raise SwapError(1066, "The volume field cannot be empty. Please re-enter.")
        s = str(raw)
        if not _NUM_RE.match(s) or D(s) != D(s).to_integral_value() or D(s) <= 0:
            raise SwapError(1040, "Invalid amount, please modify and order again.")
        return D(s)

    def _price(self, raw, code: str) -> Decimal:
        s = str(raw)
        try:
            px = D(s)
        except InvalidOperation:
            raise SwapError(1030, "Input error.") from None
        if not px.is_finite() or px <= 0:
            raise SwapError(1030, "Input error.")
        tick = self.ex.specs[code].tick
        if px % tick:
            raise SwapError(1038, "The order price exceeds the precision limit, please modify and order again.")
        mid = self.ex.specs[code].mid
        hi, lo = mid * D("1.05"), mid * D("0.95")
        return px, hi, lo

    def _clid(self, raw) -> int | None:
        if raw in (None, ""):
            return None
        if isinstance(raw, bool) or not str(raw).isdigit():
            raise SwapError(1067, "The client_order_id field is invalid. Please re-enter.")
        v = int(str(raw))
        if not 1 <= v <= CLIENT_ID_MAX:
            raise SwapError(1067, "The client_order_id field is invalid. Please re-enter.")
        return v

    def _order(self, account: str, mode: str, b: dict, now: int) -> dict:
        code = self._code(b)
        direction = b.get("direction")
        if direction not in ("buy", "sell"):
            raise SwapError(1035, "Incorrect field of form direction.")
        vol = self._volume(b.get("volume"))
        opt = b.get("order_price_type")
        if opt not in PRICED and opt not in UNPRICED_TAKE:
            raise SwapError(1034, "Incorrect field of order price type.")
        lev = b.get("lever_rate")
        offset = b.get("offset")
        reduce_only = b.get("reduce_only", 0)
        if reduce_only not in (0, 1, "0", "1"):
            raise SwapError(1030, "Input error.")
        o = self._place(account, mode, code, direction, vol, opt, b.get("price"), offset, int(reduce_only) == 1,
                        lev, self._clid(b.get("client_order_id")), now)
        out = {"order_id": o.oid, "order_id_str": str(o.oid)}
        if o.extra.get("clid") is not None:
            out["client_order_id"] = o.extra["clid"]
        return out

    def _place(self, account, mode, code, direction, vol, opt, price_raw, offset, reduce_only, lev, clid, now):
        pm = self._mode_of(account, mode, code)
        cur_lev = self.lever.get((account, mode, code), DEFAULT_LEVER)
        if lev is None or lev == "":
            lev = cur_lev
        if isinstance(lev, bool) or not str(lev).isdigit() or not 1 <= int(lev) <= MAX_LEVER:
            raise SwapError(1037, "The leverage is invalid. Please contact the customer service.")
        lev = int(lev)
        # one-way: offset absent or "both"; hedge: open or close (the docs' rule for offset)
        if pm == "single_side":
            if offset not in (None, "", "both"):
                raise SwapError(1036, "Incorrect field of open long form.")
            net = self._pos(account, mode, code, "net")[0]
            adds = net == 0 or (net > 0) == (direction == "buy")
            pside = "net"
        else:
            if offset not in ("open", "close"):
                raise SwapError(1036, "Incorrect field of open long form.")
            if reduce_only:
                raise SwapError(1030, "Input error.")   # reduce_only is for one-way mode only
            adds = offset == "open"
            pside = ("buy" if direction == "buy" else "sell") if adds else ("sell" if direction == "buy" else "buy")
        if lev != cur_lev and any(self.positions.get((account, mode, code, s), [_ZERO])[0]
                                  for s in ("net", "buy", "sell")):
            raise SwapError(1349, "The leverage of the order does not match the leverage of the current position, "
                                  "please switch the leverage first.")
        spec = self.ex.specs[code]
        priced = opt in PRICED
        if priced:
            if price_raw in (None, ""):
                raise SwapError(1066, "The price field cannot be empty. Please re-enter.")
            px, hi, lo = self._price(price_raw, code)
            if direction == "buy" and px > hi or direction == "sell" and px < lo:
                raise SwapError(1039, f"Buy price must be lower than {_num(hi)}USDT. Sell price must exceed "
                                      f"{_num(lo)}USDT.")
        else:
            px = None
        if reduce_only or not adds:   # closing: at most what the position has free
            have = abs(self._pos(account, mode, code, pside)[0]) - self._closing_held(account, mode, code, pside)
            if adds or vol > have:
                raise SwapError(1048, "Insufficient close amount available.")
        if adds:
            held = abs(self._pos(account, mode, code, pside)[0])
            if held + vol > MAX_POSITION:
                raise SwapError(1044, "Current positions have triggered position limits of our platform. Please "
                                      "order after changing the amount.")
            notional = vol * self.sizes[code] * (px or spec.mid)
            if self._used_margin(account, mode, code) + notional / lev > self._wallet(account, mode, code):
                raise SwapError(1047, "Insufficient margin available.")
        if clid is not None and self._cid_index.get((account, clid)) is not None:
            raise SwapError(1050, "Customer's order number is repeated. Please try again later.")
        tif = {"ioc": "IOC", "fok": "FOK"}.get(opt.rsplit("_", 1)[-1] if not priced else opt, "GTC")
        extra = {"mode": mode, "opt": opt, "offset": offset if offset else ("both" if pm == "single_side" else ""),
                 "lever": lev, "adds": adds, "closes": None if adds else pside, "pside": pside, "clid": clid,
                 "reduce_only": int(reduce_only)}
        side = "BUY" if direction == "buy" else "SELL"
        try:
            if priced:
                o = self.ex.place(account, code, side, "LIMIT", price=px, qty=vol, tif=tif,
                                  post_only=opt == "post_only", now=now, extra=extra, stp="NONE")
            else:   # market and the BBO kinds take liquidity now; the rest of a market order is canceled
                o = self.ex.place(account, code, side, "MARKET", qty=vol, tif="IOC" if tif == "GTC" else tif,
                                  now=now, extra=extra, stp="NONE")
        except Reject as r:
            if r.reason == "WOULD_TAKE":   # a post_only order that would take (the docs: it is not placed)
                raise SwapError(1069, "The price is not reasonable.") from None
            raise SwapError(1030, "Input error.") from None
        if clid is not None:
            self._cid_index[(account, clid)] = o
            o.cid = str(clid)   # (sim.orders / sim.order(client_order_id=) show it)
            self.ex.by_cid[(account, o.cid)] = o
        self._apply(o)
        if adds and not any(self.positions.get((account, mode, code, s), [_ZERO])[0] for s in ("net", "buy", "sell")
                            if s != pside):
            self.lever[(account, mode, code)] = lev
        return o

    def _apply(self, o) -> None:
        """Move positions by the fills of `o` and of the resting user orders it traded against."""
        for px, q, _tid in o.fills[len(o.extra.setdefault("applied", [])):]:
            self._fill(o, q, px)
        o.extra["applied"] = list(o.fills)
        for m, px, q, tid, _executed in list(self.ex.touched):
            if px is not None and not m.is_mm and m is not o:
                self._fill(m, q, px)
                m.extra.setdefault("applied", []).append((px, q, tid))
        makers = [m for m, px, _q, _t, _e in self.ex.touched if px is not None and not m.is_mm and m is not o]
        self.ex.touched.clear()
        if self.notify_sessions:
            new = o.fills[len(o.extra.get("pushed", [])):]
            self.push(o, new, "taker")
            for m in dict.fromkeys(makers):
                self.push(m, m.fills[len(m.extra.get("pushed", [])):], "maker")

    def push(self, o, trades, role: str = "") -> None:
        """One `notify` of the order's state, with the trades of this update, to every session subscribed."""
        if not self.notify_sessions:
            return
        o.extra["pushed"] = list(o.fills)
        size = self.sizes[o.symbol]
        base = None
        for s in list(self.notify_sessions):
            topic = s.account == o.account and s.wants(o)
            if not topic:
                continue
            if base is None:
                base = self.order_view(o)
                base["trade"] = [{"trade_id": int(tid), "id": f"{tid}-{o.oid}-1", "trade_volume": int(q),
                                  "trade_price": float(px), "trade_fee": 0, "fee_asset": "USDT", "price": "",
                                  "trade_turnover": float(q * size * px), "created_at": o.utime,
                                  "role": role, "profit": 0, "real_profit": 0}
                                 for px, q, tid in trades]
            s.send(dict({"op": "notify", "topic": topic, "ts": self.now(), "uid": "1"}, **base))

    def _fill(self, o, q: Decimal, px: Decimal) -> None:
        e = o.extra
        mode, code, pside = e["mode"], o.symbol, e["pside"]
        pos = self._pos(o.account, mode, code, pside)
        vol, entry = pos
        size = self.sizes[code]
        if pside == "net":
            delta = q if o.side == "BUY" else -q
        else:
            delta = q if e["adds"] else -q
        new = vol + delta
        if vol == 0 or (vol > 0) == (delta > 0):
            pos[1] = (abs(vol) * entry + q * px) / abs(new)
        else:
            closed = min(abs(vol), q)
            pnl = (px - entry) * closed * size * (1 if vol > 0 else -1)
            if pside == "sell":   # a short (hedge mode) is kept as a positive volume
                pnl = -pnl
            k = (o.account, self._margin_account(mode, code))
            self.wallets[k] = self._wallet(o.account, mode, code) + pnl
            if new == 0:
                pos[1] = _ZERO
            elif (new > 0) != (vol > 0):
                pos[1] = px
        pos[0] = new

    def _find(self, account: str, b: dict):
        """The order by order_id or client_order_id, as far as the venue still shows it (order info notes): a
        client id finds orders placed within 8 hours; a canceled order only within 2 hours of its cancel; a
        final order is deleted at the next funding settlement (00:00, 08:00, 16:00 GMT+8)."""
        oid, cid = b.get("order_id"), b.get("client_order_id")
        if oid in (None, "") and cid in (None, ""):
            raise SwapError(1066, "The order_id field cannot be empty. Please re-enter.")
        now = self.now()
        if oid not in (None, ""):
            s = str(oid)
            o = self.ex.find(account, int(s)) if s.isdigit() else None
        else:
            s = str(cid)
            o = self._cid_index.get((account, int(s))) if s.isdigit() else None
            if o is not None and now - o.ctime >= CID_WINDOW_MS:
                o = None
        if o is not None and o.status not in OPEN:
            if o.status != "FILLED" and now - o.utime >= CANCELED_VISIBLE_MS:
                o = None
            elif (o.utime - SETTLE_OFFSET_MS) // SETTLE_EVERY_MS != (now - SETTLE_OFFSET_MS) // SETTLE_EVERY_MS:
                o = None   # a funding settlement came in between
        return s, o

    def _cancel(self, account: str, mode: str, b: dict, now: int) -> dict:
        """One id here (the docs allow a comma-separated list): successes lists it, or errors says why not:
        1061 not found, 1071 canceled already, 1063 filled already."""
        code = self._code(b)
        ident, o = self._find(account, b)
        if o is None or o.symbol != code or o.extra.get("mode") != mode:
            return {"errors": [{"order_id": ident, "err_code": 1061, "err_msg": "This order doesn't exist."}],
                    "successes": ""}
        if o.status not in OPEN:
            if o.status == "FILLED":
                return {"errors": [{"order_id": ident, "err_code": 1063, "err_msg": "The order has been executed."}],
                        "successes": ""}
            return {"errors": [{"order_id": ident, "err_code": 1071,
                                "err_msg": "Repeated cancellation. Your order has been canceled."}], "successes": ""}
        self.ex.cancel(o, now)
        self.push(o, [])
        return {"errors": [], "successes": ident}

    def _cancel_all(self, account: str, mode: str, b: dict, now: int) -> dict:
        """Every open order of the contract in this margin mode (of `direction` / `offset` when given):
        successes lists them; none open: 1051 "No orders to cancel." (as ccxt recorded the venue's reply)."""
        code = self._code(b)
        d, off = b.get("direction"), b.get("offset")
        hit = [o for o in self.ex.open_orders(account, code) if o.extra.get("mode") == mode
               and (d is None or o.side.lower() == d) and (off is None or o.extra.get("offset") == off)]
        if not hit:
            raise SwapError(1051, "No orders to cancel.")
        for o in hit:
            self.ex.cancel(o, now)
            self.push(o, [])
        return {"errors": [], "successes": ",".join(str(o.oid) for o in hit)}

    def _account_info(self, account: str, mode: str, b: dict, now: int) -> list:
        """The margin account(s): cross `margin_account` "USDT" (the only one), isolated one per contract
        (`contract_code` picks one). margin_static the wallet, margin_position / margin_frozen the initial margin
        of the positions / of the resting orders that add, withdraw_available what is left."""
        if mode == "cross":
            if b.get("margin_account") not in (None, "USDT"):
                raise SwapError(1030, "Input error.")
            codes = [CONTRACTS[0][0]]   # any contract of the cross account names it
        else:
            codes = [self._code(b)] if b.get("contract_code") else [c for c, *_ in CONTRACTS]
        out = []
        for code in codes:
            macct = self._margin_account(mode, code)
            wallet = self._wallet(account, mode, code)
            pos_m = frozen = unreal = _ZERO
            for (a, md, c, s_), (vol, entry) in self.positions.items():
                if a == account and md == mode and self._margin_account(md, c) == macct and vol:
                    size, mid = self.sizes[c], self.ex.specs[c].mid
                    pos_m += abs(vol) * size * entry / self.lever.get((a, md, c), DEFAULT_LEVER)
                    sign = -1 if s_ == "sell" or (s_ == "net" and vol < 0) else 1
                    unreal += (mid - entry) * abs(vol) * size * sign
            frozen = self._used_margin(account, mode, code) - pos_m
            out.append({"symbol": "USDT" if mode == "cross" else code.split("-")[0], "margin_mode": mode,
                        "margin_account": macct, "margin_asset": "USDT", "margin_balance": float(wallet + unreal),
                        "margin_static": float(wallet), "margin_position": float(pos_m),
                        "margin_frozen": float(frozen), "profit_real": 0, "profit_unreal": float(unreal),
                        "withdraw_available": float(max(_ZERO, wallet - pos_m - frozen + min(unreal, _ZERO))),
                        "risk_rate": None})
        return out

    def order_view(self, o) -> dict:
        e = o.extra
        size = self.sizes[o.symbol]
        st = _STATUS.get(o.status) or (5 if o.executed else 7)
        return {"symbol": o.symbol.split("-")[0], "contract_code": o.symbol, "volume": int(o.qty),
                "price": float(o.price) if o.price is not None else None, "order_price_type": e["opt"],
                "order_type": 1, "direction": o.side.lower(), "offset": e["offset"], "lever_rate": e["lever"],
                "order_id": o.oid, "client_order_id": e["clid"], "created_at": o.ctime, "trade_volume": int(o.executed),
                "trade_turnover": float(o.cum_quote * size), "fee": 0, "trade_avg_price":
                float(o.cum_quote / o.executed) if o.executed else None, "margin_frozen": 0, "profit": 0,
                "status": st, "order_source": "api", "order_id_str": str(o.oid), "fee_asset": "USDT",
                "liquidation_type": "0", "canceled_at": o.utime if st in (5, 7) else 0, "margin_asset": "USDT",
                "margin_mode": e["mode"], "margin_account": self._margin_account(e["mode"], o.symbol),
                "is_tpsl": 0, "real_profit": 0, "reduce_only": e["reduce_only"], "update_time": o.utime}

    @staticmethod
    def venue_status(o) -> str:
        return {"NEW": "3", "PARTIALLY_FILLED": "4", "FILLED": "6"}.get(o.status) or ("5" if o.executed else "7")

    def _order_info(self, account: str, mode: str, b: dict, now: int) -> list:
        code = self._code(b)
        _ident, o = self._find(account, b)
        if o is None or o.symbol != code or o.extra.get("mode") != mode:
            raise SwapError(1017, "Order doesn't exist.")
        return [self.order_view(o)]

    def _open(self, account: str, mode: str, b: dict, now: int) -> dict:
        code = self._code(b)
        try:
            page = int(b.get("page_index") or 1)
            size = int(b.get("page_size") or 20)
        except (TypeError, ValueError):
            raise SwapError(1030, "Input error.") from None
        if not 1 <= size <= 50 or page < 1:
            raise SwapError(1030, "Input error.")
        rows = [o for o in self.ex.open_orders(account, code) if o.extra.get("mode") == mode]
        rows.sort(key=lambda o: o.ctime, reverse=True)
        total = max(1, -(-len(rows) // size))
        part = rows[(page - 1) * size: page * size]
        return {"orders": [self.order_view(o) for o in part], "total_page": total, "current_page": page,
                "total_size": len(rows)}

    def _positions(self, account: str, mode: str, b: dict, now: int) -> list:
        code = self._code(b) if b.get("contract_code") else None
        out = []
        for (a, md, c, s), (vol, entry) in sorted(self.positions.items()):
            if a != account or md != mode or (code is not None and c != code) or not vol:
                continue
            direction = ("buy" if vol > 0 else "sell") if s == "net" else s
            held = self._closing_held(account, mode, c, s)
            mid = self.ex.specs[c].mid
            size = self.sizes[c]
            unreal = (mid - entry) * abs(vol) * size * (1 if direction == "buy" else -1)
            lev = self.lever.get((a, md, c), DEFAULT_LEVER)
            out.append({"symbol": c.split("-")[0], "contract_code": c, "volume": int(abs(vol)),
                        "available": int(abs(vol) - held), "frozen": int(held), "cost_open": float(entry),
                        "cost_hold": float(entry), "profit_unreal": float(unreal), "profit_rate": 0, "profit": 0,
                        "margin_asset": "USDT", "position_margin": float(abs(vol) * size * entry / lev),
                        "lever_rate": lev, "direction": direction, "last_price": float(mid), "margin_mode": md,
                        "margin_account": self._margin_account(md, c), "contract_type": "swap", "pair": c,
                        "business_type": "swap", "position_mode": self._mode_of(a, md, c), "adl_risk_percent": 1})
        return out

    def _switch_lever(self, account: str, mode: str, b: dict, now: int) -> dict:
        code = self._code(b)
        lev = b.get("lever_rate")
        if isinstance(lev, bool) or not str(lev).isdigit() or not 1 <= int(lev) <= MAX_LEVER:
            raise SwapError(1037, "The leverage is invalid. Please contact the customer service.")
        if any(o.symbol == code and o.extra.get("mode") == mode for o in self._resting(account)):
            raise SwapError(1045, "Unable to switch leverage due to open orders.")
        self.lever[(account, mode, code)] = int(lev)
        out = {"contract_code": code, "lever_rate": int(lev), "margin_mode": mode}
        if mode == "cross":
            out.update({"business_type": "swap", "contract_type": "swap", "pair": code})
        return out

    def _switch_mode(self, account: str, mode: str, b: dict, now: int) -> dict:
        macct = b.get("margin_account")
        pm = b.get("position_mode")
        if pm not in ("single_side", "dual_side"):
            raise SwapError(1030, "Input error.")
        if mode == "cross" and macct != "USDT" or mode == "isolated" and str(macct).upper() not in self.ex.specs:
            raise SwapError(1030, "Input error.")
        macct = "USDT" if mode == "cross" else str(macct).upper()
        if self._mode_of(account, mode, macct if mode == "isolated" else "BTC-USDT") != pm:
            for (a, md, c, _s), (vol, _e) in self.positions.items():
                if a == account and md == mode and self._margin_account(md, c) == macct and vol:
                    raise SwapError(1030, "Input error.")   # (the docs name no code for a switch with positions)
        self.pos_mode[(account, macct)] = pm
        # an object, as HTX's own API schema tests read the reply (docs/venues/htx-swap.md)
        return {"margin_account": macct, "position_mode": pm}

    # ================================================================ v5 (what ccxt sends for linear swaps)
    def _v5_order(self, account: str, b: dict, now: int) -> dict:
        code = self._code(b)
        mode = b.get("margin_mode", "cross")
        if mode not in ("cross", "isolated"):
            raise SwapError(1030, "Input error.")
        side = b.get("side")
        if side not in ("buy", "sell"):
            raise SwapError(1035, "Incorrect field of form direction.")
        typ = b.get("type")
        tif = str(b.get("time_in_force") or "gtc").lower()
        if typ == "limit":
            opt = {"gtc": "limit", "ioc": "ioc", "fok": "fok"}.get(tif)
        elif typ in ("market", "post_only"):
            opt = typ
        else:
            opt = None
        if opt is None:
            raise SwapError(1034, "Incorrect field of order price type.")
        ps = b.get("position_side") or "both"
        if ps not in ("both", "long", "short"):
            raise SwapError(1030, "Input error.")
        offset = "both" if ps == "both" else ("open" if (ps == "long") == (side == "buy") else "close")
        reduce_only = b.get("reduce_only", 0) in (1, "1", True)
        if ps != "both" and self._mode_of(account, mode, code) == "single_side":
            raise SwapError(1036, "Incorrect field of open long form.")
        o = self._place(account, mode, code, side, self._volume(b.get("volume")), opt, b.get("price"),
                        offset if ps != "both" else None, reduce_only, None, self._clid(b.get("client_order_id")),
                        now)
        return {"order_id": str(o.oid), "client_order_id": str(o.extra["clid"] or o.oid)}

    def _v5_cancel(self, account: str, b: dict, now: int) -> dict:
        code = self._code(b)
        ident, o = self._find(account, b)
        if o is None or o.symbol != code:
            raise SwapError(1061, "This order doesn't exist.")
        if o.status not in OPEN:
            raise SwapError(1063 if o.status == "FILLED" else 1071, "The order has been executed."
                            if o.status == "FILLED" else "Repeated cancellation. Your order has been canceled.")
        self.ex.cancel(o, now)
        self.push(o, [])
        return {"order_id": str(o.oid), "client_order_id": str(o.extra["clid"] or o.oid)}

    # ================================================================ the dead-man's switch
    def _cancel_after(self, account: str, b: dict, now: int) -> dict:
        """POST linear-cancel-after {"on_off": 1|0, "time_out": ms}: on (re)arms the account's countdown (time_out
        at least 5,000 ms, 5,000 when left out); off stops it. When it runs out every pending order of the
        account is canceled, cross and isolated. A bad on_off or a time_out under 5,000: 1030 "Input error."
        (the docs name no code for it)."""
        on_off = self._int_field(b.get("on_off"))
        t = self._int_field(b.get("time_out", 5000))
        if on_off not in (0, 1) or t is None or t < 5000:
            raise SwapError(1030, "Input error.")
        import asyncio

        old = self._dms.pop(account, None)
        if old is not None:
            old.cancel()
        if on_off == 0:
            return {"current_time": now, "trigger_time": 0}
        self._dms[account] = asyncio.get_running_loop().call_later(t / 1000, self._dms_fire, account)
        return {"current_time": now, "trigger_time": now + t}

    @staticmethod
    def _int_field(v) -> int | None:
        """An integer field as the SDKs send it: a JSON number or its decimal text (HTX's Go SDK quotes it)."""
        if isinstance(v, bool):
            return None
        if isinstance(v, int):
            return v
        if isinstance(v, str) and v.isascii() and v.isdigit():
            return int(v)
        return None

    def _dms_fire(self, account: str) -> None:
        """The countdown ran out: every open swap order of the account is canceled (both margin modes) and pushed
        to its order channel; the switch is off until armed again."""
        self._dms.pop(account, None)
        now = self.now()
        for o in self.ex.open_orders(account):
            self.ex.cancel(o, now)
            self.push(o, [])
        self.dms_fired += 1

    # ================================================================ faults
    def unknown_reply(self, req):
        return 500, b"", orjson.dumps({"status": "error", "err_code": 1000, "err_msg": "System error.",
                                       "ts": self.now()})

    def limited_reply(self, req, kind: str, retry: int):
        return 429, b"Retry-After: %d\r\n" % retry, orjson.dumps(
            {"status": "error", "err_code": 1032, "err_msg": "The number of access exceeded the limit.",
             "ts": self.now()})


# ==================================================================== the order push channel
class HtxSwapNotifySession:
    """One `/linear-swap-notification` connection: every frame the server sends is gzip-compressed JSON in a
    binary frame (the SDK gunzips each); the client's frames are plain JSON text. `op: auth` (Signature V2 over
    `GET\\n{host}\\n/linear-swap-notification\\n{sorted AccessKeyId, SignatureMethod, SignatureVersion,
    Timestamp}`) -> `{"op":"auth","type":"api","err-code":0,"ts":…,"data":{"user-id":…}}`; `op: sub` of
    `orders_cross.{code|*}` / `orders.{code|*}` -> `{"op":"sub","cid":…,"topic":…,"ts":…,"err-code":0}`; every
    order change of the account's orders in that margin mode is pushed as `{"op":"notify","topic":…,…}` (the
    order-info fields and `trade`, the trades of this update). The server's `{"op":"ping","ts":…}` is answered
    `{"op":"pong","ts":…}`."""

    ping_interval = 0   # the venue's pings are application frames, not WebSocket pings

    def __init__(self, venue: HtxSwap, req) -> None:
        self.v = venue
        self.host = (req.header(b"host") or "").lower()
        self.account: str | None = None
        self.topics: set[tuple[str, str]] = set()   # (mode, code or "*")
        self.conn = None
        self._ping = None
        self.pongs = 0

    def on_open(self, conn) -> None:
        self.conn = conn
        self.v.notify_sessions.add(self)
        self._ping = conn.loop.call_later(self.v.notify_ping_interval, self._send_ping)

    def on_close(self, conn) -> None:
        self.v.notify_sessions.discard(self)
        if self._ping is not None:
            self._ping.cancel()

    def _send_ping(self) -> None:
        if self.conn is None or self.conn.closed:
            return
        self.send({"op": "ping", "ts": str(self.v.now())})
        self._ping = self.conn.loop.call_later(self.v.notify_ping_interval, self._send_ping)

    def send(self, msg: dict) -> None:
        import gzip
        if self.conn is not None and not self.conn.closed:
            self.conn.send_frame(0x2, gzip.compress(orjson.dumps(msg), compresslevel=1))

    def control(self, payload: bytes):
        return None

    def fault_reply(self, kind: str, payload: bytes, retry: int):
        return None

    def handle(self, payload: bytes):
        try:
            msg = orjson.loads(payload)
        except orjson.JSONDecodeError:
            msg = None
        if not isinstance(msg, dict):
            self.send({"op": "error", "ts": self.v.now(), "err-code": 2040, "err-msg": "Missing required parameter."})
            return None
        op = msg.get("op")
        if op == "pong":
            self.pongs += 1
        elif op == "auth":
            self._auth(msg)
        elif op in ("sub", "unsub"):
            self._sub(op, msg)
        else:
            self.send({"op": str(op), "ts": self.v.now(), "err-code": 2040, "err-msg": "Missing required parameter."})
        return None

    def _auth(self, m: dict) -> None:
        import base64
        import hmac as _hmac
        from urllib.parse import quote
        now = self.v.now()
        fail = {"op": "auth", "type": "api", "ts": now, "err-code": 2003, "err-msg": "auth fail."}
        ak, ts, sig = m.get("AccessKeyId"), m.get("Timestamp"), m.get("Signature")
        if m.get("type") != "api" or m.get("SignatureVersion") != "2" or not all(
                isinstance(x, str) and x for x in (ak, ts, sig)) or ak not in self.v._mac \
                or m.get("SignatureMethod") != "HmacSHA256":
            self.send(fail)
            return
        try:
            from .htx import _ts_epoch
            t = _ts_epoch(ts)
        except (ValueError, IndexError):
            self.send(fail)
            return
        if abs(now / 1000 - t) > 300:
            self.send(fail)
            return
        params = {"AccessKeyId": ak, "SignatureMethod": "HmacSHA256", "SignatureVersion": "2", "Timestamp": ts}
        canon = "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(params.items()))
        hosts = [self.host] + ([self.host.rsplit(":", 1)[0]] if ":" in self.host else []) + list(self.v.sign_hosts)
        for h in hosts:
            text = f"GET\n{h}\n/linear-swap-notification\n{canon}".encode()
            if _hmac.compare_digest(base64.b64encode(self.v._mac[ak].digest(text)).decode(), sig):
                self.account = self.v.keys[ak].account
                self.send({"op": "auth", "type": "api", "ts": now, "err-code": 0,
                           "data": {"user-id": str(self.v.keys[ak].account_id)}})
                return
        self.send(fail)

    def _sub(self, op: str, m: dict) -> None:
        topic = m.get("topic")
        now = self.v.now()
        reply = {"op": op, "cid": m.get("cid"), "topic": topic, "ts": now}
        if self.account is None:
            self.send(dict(reply, **{"err-code": 2011, "err-msg": "Not authenticated."}))
            return
        kind, _, code = str(topic).partition(".")
        mode = {"orders_cross": "cross", "orders": "isolated"}.get(kind)
        code = code.upper()
        if mode is None or not (code == "*" or code in self.v.ex.specs):
            self.send(dict(reply, **{"err-code": 2011, "err-msg": "Invalid topic."}))
            return
        (self.topics.add if op == "sub" else self.topics.discard)((mode, code))
        self.send(dict(reply, **{"err-code": 0}))

    def wants(self, o) -> str | None:
        mode = o.extra.get("mode")
        for m, c in ((mode, o.symbol), (mode, "*")):
            if (m, c) in self.topics:
                prefix = "orders_cross." if m == "cross" else "orders."
                return prefix + (o.symbol.lower() if c != "*" else o.symbol.lower())
        return None
