"""The simulated OKX perpetual swaps (instType SWAP) beside spot on the same v5 endpoints: instruments with a
contract value (ctVal, base units per contract), sizes in contracts (sz, lotSz, minSz), positions per account,
instrument and position side, the net / long-short position modes, leverage, reduce-only and a simple margin
check. Sources: docs/venues/okx-swap.md.

Margin (the simulator's simple model): the account's margin is its USDT balance; an order that opens or grows a
position needs (the initial margin of the positions, of the open orders that would grow them, and of this
order) <= that balance, else 51008 "Order failed. Insufficient USDT margin in account". Initial margin is
contracts x ctVal x price / leverage (the order's price, the position's average open price). A position past the
leverage's notional cap: 51004. Realised PnL moves the USDT balance; funding, fees, mark price and liquidation
are not simulated. The matching engine is the spot one: a swap order rests on its own book, its engine balances
are accounting entries that never bind (margin is checked here instead).

Rejections (the error-code table, "Trade Class", and "Account" for 59xxx): posSide against the account's mode
-> 51000 "Parameter posSide error"; tdMode cash on a swap -> 51000 "Parameter tdMode error"; a reduce-only order
(net mode) with no position to reduce -> 51169, in the position's own direction -> 51170, larger than the
position -> 51112; a close in long/short mode (sell long, buy short) the same way (reduceOnly is not applicable
there and is ignored); set-position-mode with positions or open orders -> 59000; set-leverage above the
instrument's maximum -> 59102, below 1 -> 59105.
"""

from __future__ import annotations

import zlib
from decimal import Decimal, InvalidOperation
from typing import Any

from .book import OPEN, SymbolSpec

D = Decimal
_ZERO = D(0)
#: engine assets of the swap books (accounting entries only: every account has plenty; never listed)
PSEUDO = "#swap"
SWAPS = [
    # instId, instIdCode, ctValCcy, mid, tickSz, lotSz (contracts), minSz (contracts), ctVal, max lever, gap, level
    ("BTC-USDT-SWAP", 20001, "BTC", D("50000"), D("0.1"), D("1"), D("1"), D("0.01"), 100, 5, D("50")),
    ("ETH-USDT-SWAP", 20002, "ETH", D("3000"), D("0.01"), D("1"), D("1"), D("0.1"), 100, 10, D("50")),
    ("SOL-USDT-SWAP", 20003, "SOL", D("150"), D("0.001"), D("0.01"), D("0.01"), D("1"), 50, 5, D("500")),
]
DEFAULT_LEVER = 10
#: the notional cap (USDT) of one position at a leverage: the higher the leverage, the lower the cap
TIERS = ((10, D("10000000")), (20, D("5000000")), (50, D("1000000")), (100, D("250000")))


class SwapError(Exception):
    """A per-order refusal (sCode / sMsg)."""

    def __init__(self, scode: str, smsg: str) -> None:
        super().__init__(smsg)
        self.scode, self.smsg = scode, smsg


def specs() -> list[SymbolSpec]:
    return [SymbolSpec(inst, f"{inst}{PSEUDO}", f"USDT{PSEUDO}", mid, tick, lot, minsz, D("100000000"), tick,
                       D("10000000"), D(0), gap_ticks=gap, level_qty=lq, code=code)
            for inst, code, _c, mid, tick, lot, minsz, _v, _l, gap, lq in SWAPS]


def balances() -> dict[str, str]:
    """The engine balances of the swap books' accounting assets (large enough never to bind)."""
    out = {}
    for inst, *_ in SWAPS:
        out[f"{inst}{PSEUDO}"] = "1000000000000"
    out[f"USDT{PSEUDO}"] = "1000000000000000"
    return out


def _s(d: Decimal) -> str:
    if not d:
        return "0"
    t = format(d, "f")
    return t.rstrip("0").rstrip(".") if "." in t else t


class Swaps:
    """Swap state of one simulated OKX: per-account position mode, leverage, positions."""

    def __init__(self, venue: Any) -> None:
        self.v = venue
        self.ct_val = {inst: v for inst, _c, _b, _m, _t, _lot, _min, v, _l, _g, _q in SWAPS}
        self.ct_ccy = {inst: c for inst, _code, c, *_ in SWAPS}
        self.max_lever = {inst: lev for inst, *_x, lev, _g, _q in SWAPS}
        self.long_short: dict[str, bool] = {}
        self.lever: dict[tuple[str, str, str], int] = {}             # (account, instId, mgnMode) -> leverage
        self.pos: dict[tuple[str, str, str], list[Any]] = {}        # (account, instId, posSide) -> [contracts, avgPx, mgnMode, cTime]

    def is_swap(self, inst: str) -> bool:
        return inst in self.ct_val

    def leverage(self, account: str, inst: str, mode: str) -> int:
        return self.lever.get((account, inst, mode), DEFAULT_LEVER)

    # -- orders --------------------------------------------------------------------------------------------
    def check(self, a: dict, sp: SymbolSpec, account: str, td: str, side: str, sz: Decimal,
              px: Decimal | None) -> dict:
        """A swap order's own rules, before it is placed; the order's extra fields."""
        inst = sp.symbol
        if td not in ("cross", "isolated"):
            raise SwapError("51000", "Parameter tdMode error")
        ls = self.long_short.get(account, False)
        ps = a.get("posSide") or ""
        if ps not in ("", "net", "long", "short") or (ls and ps not in ("long", "short")) or (not ls and ps not in
                                                                                             ("", "net")):
            raise SwapError("51000", "Parameter posSide error")
        ps = ps or "net"
        ro = a.get("reduceOnly", False)
        if ro not in (True, False, "true", "false", ""):
            raise SwapError("51000", "Parameter reduceOnly error")
        ro = ro in (True, "true") and not ls   # only applicable in net mode (ignored in long/short mode)
        buy = side == "buy"
        cur = self.pos.get((account, inst, ps), [_ZERO])[0]
        # the place-order docs ("reduceOnly"): this order's size and the reduce-only orders already pending on the
        # same side of the instrument may not exceed the position; in long/short mode every close is reduce-only
        pending = sum((o.remaining for o in self._resting(account) if o.symbol == inst and o.extra.get("closing")
                       and o.side == side.upper() and o.extra["posSide"] == ps), _ZERO)
        if ls:
            closing = (ps == "long") != buy
            if closing:
                self._reducible(cur, sz + pending)
        else:
            closing = cur != 0 and (cur > 0) != buy
            if ro:
                if cur == 0:
                    raise SwapError("51169", "Order failed because you don't have any positions in this direction "
                                    "for this contract to reduce or close.")
                if not closing:
                    raise SwapError("51170", "Failed to place order. A reduce-only order can’t be the same trading "
                                    "direction as your existing positions.")
                self._reducible(cur, sz + pending)
        grows = not (ro or (ls and closing)) and (not closing or sz > abs(cur))
        if grows:
            self._margin(account, inst, td, sz, px if px is not None else sp.mid)
        return {"posSide": ps, "reduceOnly": ro, "closing": ro or (ls and closing)}

    @staticmethod
    def _reducible(cur: Decimal, sz: Decimal) -> None:
        if cur == 0:
            raise SwapError("51169", "Order failed because you don't have any positions in this direction for this "
                            "contract to reduce or close.")
        if sz > abs(cur):
            raise SwapError("51112", "Close order size exceeds available size for this position.")

    def _cap(self, lever: int) -> Decimal:
        for lev, cap in TIERS:
            if lever <= lev:
                return cap
        return TIERS[-1][1]

    def _margin(self, account: str, inst: str, td: str, sz: Decimal, px: Decimal) -> None:
        lever = self.leverage(account, inst, td)
        ct = self.ct_val[inst]
        held = sum((abs(p[0]) * ct * p[1] for (a, i, _s2), p in self.pos.items() if a == account and i == inst),
                   _ZERO)
        if held + sz * ct * px > self._cap(lever):
            raise SwapError("51004", f"Order failed. The sum of current order size, position quantity and pending "
                            f"orders of {inst} can’t be more than the maximum position amount under current leverage "
                            f"(current leverage: {lever}×).")
        need = self.used_margin(account) + sz * ct * px / lever
        if need > self.v.ex.account(account).bal("USDT")[0]:
            raise SwapError("51008", "Order failed. Insufficient USDT margin in account")

    def used_margin(self, account: str) -> Decimal:
        used = _ZERO
        for (a, inst, _ps), p in self.pos.items():
            if a == account and p[0]:
                used += abs(p[0]) * self.ct_val[inst] * p[1] / self.leverage(a, inst, p[2])
        for o in self._resting(account):
            e = o.extra
            if not e.get("closing"):
                used += (o.remaining * self.ct_val[o.symbol] * (o.price or _ZERO)
                         / self.leverage(account, o.symbol, e["tdMode"]))
        return used

    def _resting(self, account: str):
        """The account's orders resting on the swap books (from the books: the engine's order list holds every
        order it remembers, final ones too)."""
        books = self.v.ex.books
        for inst in self.ct_val:
            book = books[inst]
            for levels in (book.bids, book.asks):
                for queue in levels.values():
                    for o in queue:
                        if o.account == account:
                            yield o

    def fills(self, o: Any, now: int) -> None:
        """Move the positions by the fills an order made since last time, and by those of the resting user swap
        orders it traded against (read from the engine's `touched`, left in place for the stream)."""
        applied = o.extra.setdefault("applied", 0)
        for px, q, _tid in o.fills[applied:]:
            self._fill(o, q, px, now)
        o.extra["applied"] = len(o.fills)
        for m, px, q, _tid, _ex in self.v.ex.touched:
            if px is not None and not m.is_mm and m.symbol in self.ct_val:
                self._fill(m, q, px, now)
                m.extra["applied"] = m.extra.get("applied", 0) + 1

    def _fill(self, o: Any, qty: Decimal, px: Decimal, now: int) -> None:
        account, inst, e = o.account, o.symbol, o.extra
        ps = e["posSide"]
        pos = self.pos.setdefault((account, inst, ps), [_ZERO, _ZERO, e["tdMode"], now])
        amt, entry = pos[0], pos[1]
        buy = o.side == "BUY"
        # net: pos signed; long / short: pos positive, the side that opens it adds (a sell opens a short)
        delta = qty if buy != (ps == "short") else -qty
        new = amt + delta
        if amt == 0 or (amt > 0) == (delta > 0):   # opens or adds
            pos[1] = (abs(amt) * entry + qty * px) / abs(new)
            pos[2] = e["tdMode"]
        else:
            closed = min(abs(amt), qty)
            sign = -1 if ps == "short" or amt < 0 else 1
            pnl = (px - entry) * closed * self.ct_val[inst] * sign
            self.v.ex.account(account).bal("USDT")[0] += pnl
            if new == 0:
                pos[1] = _ZERO
            elif (new > 0) != (amt > 0):   # through zero (net mode): the rest opens at the fill price
                pos[1] = px
        pos[0] = new
        pos[3] = now

    # -- account endpoints ---------------------------------------------------------------------------------
    def set_position_mode(self, account: str, mode: str) -> dict:
        if any(p[0] for (a, _i, _p), p in self.pos.items() if a == account) or any(
                o.symbol in self.ct_val for o in self.v.ex.open_orders(account)):
            raise SwapError("59000", "Settings failed. Close any open positions or orders before modifying "
                            "settings.")
        self.long_short[account] = mode == "long_short_mode"
        return {"posMode": mode}

    def set_leverage(self, account: str, body: dict) -> dict:
        inst, lever, mode = body.get("instId"), str(body.get("lever", "")), body.get("mgnMode")
        try:
            n = D(lever)
        except InvalidOperation:
            raise SwapError("51000", "Parameter lever error") from None
        if mode not in ("cross", "isolated"):
            raise SwapError("51000", "Parameter mgnMode error")
        if inst not in self.ct_val:
            raise SwapError("51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist.")
        ps = body.get("posSide") or ""
        if mode == "isolated" and self.long_short.get(account, False) and ps not in ("long", "short"):
            raise SwapError("51000", "Parameter posSide error")
        if n < 1:
            raise SwapError("59105", "Leverage can't be less than 1. Please increase the leverage.")
        if n > self.max_lever[inst] or n != n.to_integral_value():
            raise SwapError("59102", "Leverage exceeds the maximum limit. Please lower the leverage.")
        self.lever[(account, inst, mode)] = int(n)
        return {"lever": _s(n), "mgnMode": mode, "instId": inst, "posSide": ps}

    def positions(self, account: str, inst_ids: list[str] | None, uid: str) -> list[dict]:
        out = []
        for (a, inst, ps), (amt, entry, mode, t) in sorted(self.pos.items(), key=lambda kv: -kv[1][3]):
            if a != account or not amt or (inst_ids and inst not in inst_ids):
                continue
            mark = self.v.ex.specs[inst].mid
            ct = self.ct_val[inst]
            sign = -1 if ps == "short" else 1
            upl = (mark - entry) * amt * ct * sign
            lever = self.leverage(a, inst, mode)
            notional = abs(amt) * ct * mark
            out.append({
                "adl": "1", "availPos": "", "avgPx": _s(entry), "bePx": _s(entry), "cTime": str(t), "ccy": "USDT",
                "closeOrderAlgo": [], "deltaBS": "", "deltaPA": "", "fee": "0", "fundingFee": "0", "gammaBS": "",
                "gammaPA": "", "idxPx": _s(mark), "imr": _s(notional / lever) if mode == "cross" else "",
                "instId": inst, "instType": "SWAP", "interest": "", "last": _s(mark), "lever": str(lever),
                "liab": "", "liabCcy": "", "liqPenalty": "0", "liqPx": "", "margin": _s(notional / lever)
                if mode == "isolated" else "", "markPx": _s(mark), "mgnMode": mode, "mgnRatio": "",
                "mmr": _s(notional * D("0.004")), "notionalUsd": _s(notional), "optVal": "",
                "pendingCloseOrdLiabVal": "", "pnl": "0", "pos": _s(amt), "posCcy": "",
                "posId": str(zlib.crc32(f"{a}|{inst}|{ps}".encode())), "posSide": ps, "quoteBal": "",
                "realizedPnl": "0", "thetaBS": "", "thetaPA": "", "tradeId": "", "uTime": str(t), "upl": _s(upl),
                "uplLastPx": _s(upl), "uplRatio": "", "uplRatioLastPx": "", "usdPx": "1", "vegaBS": "",
                "vegaPA": "", "uid": uid})
        return out

    def instruments(self, inst_id: str | None) -> list[dict]:
        out = []
        for inst, code, ccy, _mid, tick, lot, minsz, ct, lev, _g, _q in SWAPS:
            if inst_id and inst_id != inst:
                continue
            out.append({
                "alias": "", "auctionEndTime": "", "baseCcy": "", "category": "1", "ctMult": "1", "ctType": "linear",
                "ctVal": _s(ct), "ctValCcy": ccy, "expTime": "", "instFamily": inst[:-5], "instId": inst,
                "instIdCode": code, "instType": "SWAP", "lever": str(lev), "listTime": "1611916800000",
                "lotSz": _s(lot), "maxIcebergSz": "100000000", "maxLmtAmt": "20000000", "maxLmtSz": "100000000",
                "maxMktAmt": "", "maxMktSz": "10000", "maxStopSz": "10000", "maxTriggerSz": "100000000",
                "maxTwapSz": "100000000", "minSz": _s(minsz), "optType": "", "quoteCcy": "", "ruleType": "normal",
                "settleCcy": "USDT", "state": "live", "stk": "", "tickSz": _s(tick), "uly": inst[:-5]})
        return out

    def is_open_swap(self, o: Any) -> bool:
        return o.symbol in self.ct_val and o.status in OPEN
