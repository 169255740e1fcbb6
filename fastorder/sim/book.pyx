# cython: wraparound=True
"""Matching: per-symbol price-time-priority books, accounts with free/locked balances, order records.

Venue-neutral: sides are ``BUY``/``SELL``; statuses are Binance-like canonical names (NEW, PARTIALLY_FILLED,
FILLED, CANCELED, EXPIRED, EXPIRED_IN_MATCH) that each venue module maps to its own vocabulary.

Every book is seeded with resting liquidity of a market-maker account (``"_mm"``) around a mid price:
``levels`` price levels each side, ``gap`` apart, ``level_qty`` each. A market-maker order that is fully
filled is put back (same price, same quantity, back of the queue) once the taker order is done, so the
book never runs dry during a benchmark, while one large order still walks several levels (partial fills,
IOC/FOK/MARKET expiry work as on a real book).

Self-trade prevention is the taker's mode (``place(..., stp=...)``, Binance's names; default EXPIRE_MAKER, which
is also OKX's default ``cancel_maker``): when a taker meets a resting order of the same account, NONE lets them
trade; EXPIRE_MAKER expires the resting order; EXPIRE_TAKER expires the taker's rest (status EXPIRED_IN_MATCH);
EXPIRE_BOTH both; DECREMENT (and TRANSFER, which within one account behaves as DECREMENT) takes the smaller of the
two open quantities off both as "prevented" and expires the order(s) left with none (binance-spot-api-docs,
faqs/stp_faq.md). Fees are zero.

``amend`` changes a resting order: a smaller quantity at the same price keeps the order's place in its price
level; any other change takes it off the book and brings it back like a new order (matched, then at the back of
its level).

Compiled (Cython): orders, books and the exchange are extension types with typed attributes, so the per-order
matching path is C attribute access and C calls around ``Decimal`` arithmetic; prices and quantities stay
``Decimal`` (the venues' exact decimal semantics). Written apart from fastorder's client code.
"""

from __future__ import annotations

import bisect
import itertools
from collections import deque
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

ZERO = Decimal(0)
MM = "_mm"
OPEN = ("NEW", "PARTIALLY_FILLED")
#: self-trade prevention modes the engine applies (the taker's); TRANSFER acts as DECREMENT within one account
STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER")


class Reject(Exception):
    """Engine-level rejection; ``reason`` is one of INSUFFICIENT, WOULD_TAKE, DUPLICATE, NO_LIQUIDITY."""

    def __init__(self, reason: str, asset: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.asset = asset


@dataclass
class SymbolSpec:
    symbol: str          # canonical, e.g. BTCUSDT
    base: str
    quote: str
    mid: Decimal
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_price: Decimal
    max_price: Decimal
    min_notional: Decimal
    max_notional: Decimal = Decimal("9000000")
    market_max_qty: Decimal = Decimal("100")
    gap_ticks: int = 50
    levels: int = 10
    level_qty: Decimal = Decimal("1")
    code: int = 0        # OKX instIdCode


cdef class Order:
    cdef public object oid, cid, symbol, side, otype, tif, price, qty, quote_qty, executed, cum_quote, status
    cdef public object ctime, utime, account, extra, locked, seq, cancel_source
    cdef public object prevented   # quantity expired by self-trade prevention (DECREMENT), never traded
    cdef public str stp            # self-trade prevention mode when this order takes (module docstring)
    cdef public list fills
    cdef public bint is_mm

    def __init__(self, oid, cid, symbol, side, otype, tif, price, qty, quote_qty, account, now, extra=None):
        self.oid = oid
        self.cid = cid
        self.symbol = symbol
        self.side = side
        self.otype = otype
        self.tif = tif
        self.price = price
        self.qty = qty
        self.quote_qty = quote_qty
        self.executed = ZERO
        self.cum_quote = ZERO
        self.status = "NEW"
        self.ctime = now
        self.utime = now
        self.account = account
        self.fills = []
        self.extra = extra if extra is not None else {}
        self.is_mm = account == MM
        self.locked = ZERO
        self.seq = 0
        self.cancel_source = ""
        self.prevented = ZERO
        self.stp = "EXPIRE_MAKER"

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.executed - self.prevented

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def avg_price(self) -> Decimal:
        return self.cum_quote / self.executed if self.executed else ZERO

    def snapshot(self) -> dict:
        """Venue-neutral view (for tests: 'the simulator's true state')."""
        return {
            "order_id": self.oid, "client_order_id": self.cid, "symbol": self.symbol, "side": self.side,
            "type": self.otype, "time_in_force": self.tif,
            "price": None if self.price is None else str(self.price), "qty": str(self.qty),
            "executed_qty": str(self.executed), "cum_quote": str(self.cum_quote), "status": self.status,
            "account": self.account, "created_ms": self.ctime, "updated_ms": self.utime,
        }


cdef class Book:
    cdef public object spec
    cdef public object last_px   # the price of the last trade (the mid until the first): the market price
    cdef public dict bids, asks
    cdef public list bid_px, ask_px

    def __init__(self, spec: SymbolSpec):
        self.spec = spec
        self.last_px = spec.mid
        self.bids = {}
        self.asks = {}
        self.bid_px = []   # ascending; best bid = last
        self.ask_px = []   # ascending; best ask = first

    cpdef add(self, Order o):
        if o.side == "BUY":
            lv = self.bids.get(o.price)
            if lv is None:
                lv = self.bids[o.price] = deque()
                bisect.insort(self.bid_px, o.price)
        else:
            lv = self.asks.get(o.price)
            if lv is None:
                lv = self.asks[o.price] = deque()
                bisect.insort(self.ask_px, o.price)
        lv.append(o)

    cpdef remove(self, Order o):
        side, pxs = (self.bids, self.bid_px) if o.side == "BUY" else (self.asks, self.ask_px)
        lv = side.get(o.price)
        if lv is None:
            return
        try:
            lv.remove(o)
        except ValueError:
            return
        if not lv:
            del side[o.price]
            pxs.remove(o.price)

    def best_bid(self, exclude: str | None = None) -> Decimal | None:
        for px in reversed(self.bid_px):
            if exclude is None or any(o.account != exclude for o in self.bids[px]):
                return px
        return None

    def best_ask(self, exclude: str | None = None) -> Decimal | None:
        for px in self.ask_px:
            if exclude is None or any(o.account != exclude for o in self.asks[px]):
                return px
        return None

    def depth(self, n: int = 5) -> dict:
        return {"bids": [(str(p), str(sum(o.remaining for o in self.bids[p]))) for p in reversed(self.bid_px[-n:])],
                "asks": [(str(p), str(sum(o.remaining for o in self.asks[p]))) for p in self.ask_px[:n]]}


cdef class Account:
    cdef public str name
    cdef public dict balances   # asset -> [free, locked]

    def __init__(self, name: str, balances: dict | None = None):
        self.name = name
        self.balances = {} if balances is None else balances

    def __repr__(self) -> str:
        return f"Account(name={self.name!r}, balances={self.balances!r})"

    cpdef list bal(self, str asset):
        cdef list b = self.balances.get(asset)
        if b is None:
            b = self.balances[asset] = [ZERO, ZERO]
        return b


DEFAULT_BALANCES = {"USDT": "1000000", "BTC": "100", "ETH": "1000", "BNB": "10000", "LTC": "10000",
                    "SOL": "10000", "DOGE": "10000000"}


cdef class Exchange:
    """All state of one simulated venue: books, accounts, orders. Single-threaded (event loop)."""

    cdef public dict specs, books, accounts, orders, by_cid, default_balances
    cdef public object _oid, _tid, _seq
    cdef public list _refill
    cdef public list touched   # (maker, price, qty, trade id, executed after) per user maker fill; None px = STP expiry
    cdef public Py_ssize_t MAX_ORDERS   # beyond this many remembered orders, the oldest final ones are forgotten

    def __init__(self, specs: list[SymbolSpec], first_order_id: int = 1, balances: dict | None = None):
        self.MAX_ORDERS = 500_000
        self.specs = {s.symbol: s for s in specs}
        self.books = {s.symbol: Book(s) for s in specs}
        self.accounts = {}
        self.orders = {}
        self.by_cid = {}
        self._oid = itertools.count(first_order_id)
        self._tid = itertools.count(1)
        self._seq = itertools.count(1)
        self._refill = []
        self.touched = []
        self.default_balances = {k: Decimal(v) for k, v in (balances or DEFAULT_BALANCES).items()}
        for s in specs:
            self._seed(s)

    # -- setup -------------------------------------------------------------------------------------------
    cpdef Account account(self, str name):
        cdef Account a = self.accounts.get(name)
        if a is None:
            a = self.accounts[name] = Account(name)
            for asset, v in self.default_balances.items():
                a.balances[asset] = [v, ZERO]
        return a

    def _seed(self, s: SymbolSpec) -> None:
        gap = s.tick * s.gap_ticks
        for k in range(1, s.levels + 1):
            for side, px in (("BUY", s.mid - gap * k), ("SELL", s.mid + gap * k)):
                o = Order(next(self._oid), "", s.symbol, side, "LIMIT", "GTC", px, s.level_qty, None, MM, 0)
                o.seq = next(self._seq)
                self.books[s.symbol].add(o)

    def next_order_id(self) -> int:
        return next(self._oid)

    # -- queries -----------------------------------------------------------------------------------------
    def find(self, account: str, oid: int | None = None, cid: str | None = None) -> Order | None:
        if oid is not None:
            o = self.orders.get(oid)
            if o is None or o.account != account:
                return None
            if cid is not None and o.cid != cid:
                return None
            return o
        if cid is not None:
            return self.by_cid.get((account, cid))
        return None

    def open_orders(self, account: str, symbol: str | None = None) -> list[Order]:
        return [o for o in self.orders.values()
                if o.account == account and o.status in OPEN and (symbol is None or o.symbol == symbol)]

    def snapshot(self, venue_status=None) -> list[dict]:
        """Every remembered order's venue-neutral view; with ``venue_status`` (order -> the venue's own
        word for its state) each also carries ``venue_status``."""
        out = []
        for o in self.orders.values():
            d = o.snapshot()
            if venue_status is not None:
                d["venue_status"] = venue_status(o)
            out.append(d)
        return out

    # -- placing -----------------------------------------------------------------------------------------
    def place(self, account: str, symbol: str, side: str, otype: str, *, price: Decimal | None = None,
              qty: Decimal | None = None, quote_qty: Decimal | None = None, tif: str = "GTC",
              post_only: bool = False, cid: str = "", now: int = 0, extra: dict | None = None,
              oid: int | None = None, stp: str = "EXPIRE_MAKER") -> Order:
        """Place and match one order. ``otype`` is LIMIT or MARKET; ``tif`` GTC, IOC or FOK;
        ``post_only`` rejects (Reject WOULD_TAKE) a limit order that would take liquidity.
        MARKET orders give ``qty`` or ``quote_qty``; ``stp`` the self-trade prevention mode (module docstring).
        Raises Reject; returns the order (already matched)."""
        if stp not in STP_MODES:
            raise ValueError(f"stp must be one of {STP_MODES}, not {stp!r}")
        cdef Book book = self.books[symbol]
        cdef object spec = book.spec
        cdef Account acct = self.account(account)
        cdef bint buy = side == "BUY"
        cdef Order o, prev
        cdef list b
        self.touched.clear()   # holds the makers of this placement only (read right after it)
        if cid:
            prev = self.by_cid.get((account, cid))
            if prev is not None and prev.status in OPEN:
                raise Reject("DUPLICATE")
        if post_only:
            best = book.best_ask(account) if buy else book.best_bid(account)
            if best is not None and (price >= best if buy else price <= best):
                raise Reject("WOULD_TAKE")
        # balance check and lock
        if otype == "LIMIT":
            if buy:
                need, asset = price * qty, spec.quote
            else:
                need, asset = qty, spec.base
        elif buy:
            asset = spec.quote
            need = quote_qty if quote_qty is not None else self._cost(book, qty, buy, account)
        else:
            asset = spec.base
            need = qty if qty is not None else self._qty_for_quote(book, quote_qty, buy, account)
        b = acct.bal(asset)
        if need is None or need > b[0]:
            raise Reject("INSUFFICIENT", asset)
        o = Order(oid if oid is not None else next(self._oid), cid, symbol, side, otype, tif, price,
                  qty if qty is not None else ZERO, quote_qty, account, now, extra)
        o.seq = next(self._seq)
        o.stp = stp
        if otype == "LIMIT":
            b[0] -= need
            b[1] += need
            o.locked = need
        self.orders[o.oid] = o
        if cid:
            self.by_cid[(account, cid)] = o
        if len(self.orders) > self.MAX_ORDERS:
            self._forget_old()
        if tif == "FOK" and not self._fok_ok(book, o):
            o.status = "EXPIRED"
            self._unlock(o)
            return o
        if otype == "LIMIT" and not (book.ask_px and book.ask_px[0] <= price if buy
                                     else book.bid_px and book.bid_px[-1] >= price):
            return self._finish(book, o, spec, tif)  # passive: nothing to match
        self._match(book, o, now)
        try:
            return self._finish(book, o, spec, tif)
        finally:
            if self._refill:
                self._replenish(book, now)

    cdef Order _finish(self, Book book, Order o, object spec, object tif):
        if o.status == "EXPIRED_IN_MATCH":   # self-trade prevention expired the taker's rest
            if o.otype == "MARKET" and o.quote_qty is not None and o.qty == ZERO:
                o.qty = o.executed
            self._unlock(o)
            return o
        if o.otype == "MARKET":
            if o.quote_qty is not None and o.qty == ZERO:
                o.qty = o.executed
            o.status = "FILLED" if o.executed and (o.quote_qty is not None or o.remaining == 0) else "EXPIRED"
            if o.quote_qty is not None and o.executed and o.quote_qty - o.cum_quote >= spec.mid * spec.step:
                o.status = "EXPIRED"  # book could not absorb the whole quote amount
        elif o.qty == o.executed:
            o.status = "FILLED"
        elif o.qty == o.executed + o.prevented:   # nothing left open after DECREMENT
            o.status = "EXPIRED_IN_MATCH"
            self._unlock(o)
        elif tif in ("IOC", "FOK"):
            o.status = "EXPIRED"
            self._unlock(o)
        else:
            o.status = "PARTIALLY_FILLED" if o.executed else "NEW"
            book.add(o)
        return o

    def cancel(self, Order o, now: int, status: str = "CANCELED") -> None:
        if o.status not in OPEN:
            raise Reject("NOT_OPEN")
        self.books[o.symbol].remove(o)
        o.status = status
        o.utime = now
        self._unlock(o)

    def amend(self, Order o, now: int, qty: Decimal | None = None, price: Decimal | None = None, *,
              post_only: bool = False) -> Order:
        """Change a resting LIMIT order's total quantity (executed part included) and/or price, in place
        (same order id and client id). Only a smaller quantity at the same price keeps the order's place in
        its price level (its balance lock shrinks with it); any other change takes it off the book and brings
        it back as if new: its balance locked again for the new price and quantity, matched against the book
        (it may trade), then at the back of its price level. A quantity at or below what has already executed
        leaves nothing open: the order is taken off the book with status EXPIRED (venues that refuse such an
        amend check before calling). ``post_only``: a new price that would take is refused (WOULD_TAKE).

        Raises Reject NOT_OPEN, NO_CHANGE (same quantity and price), WOULD_TAKE, INSUFFICIENT (the new lock);
        the order is unchanged after any Reject. Returns the order."""
        cdef Book book
        cdef Account acct
        cdef list b
        cdef bint buy = o.side == "BUY"
        self.touched.clear()
        if o.status not in OPEN:
            raise Reject("NOT_OPEN")
        new_px = o.price if price is None else price
        new_qty = o.qty if qty is None else qty
        if new_px == o.price and new_qty == o.qty:
            raise Reject("NO_CHANGE")
        book = self.books[o.symbol]
        done = o.executed + o.prevented
        if new_qty <= done:   # nothing left to trade: the order ends
            book.remove(o)
            o.qty = new_qty if new_qty > done else done
            o.status = "EXPIRED"
            o.utime = now
            self._unlock(o)
            return o
        if new_px == o.price and new_qty < o.qty:   # keeps its place in the queue
            self._release(o, o.qty - new_qty)
            o.qty = new_qty
            o.utime = now
            return o
        spec = book.spec
        if post_only:
            best = book.best_ask(o.account) if buy else book.best_bid(o.account)
            if best is not None and (new_px >= best if buy else new_px <= best):
                raise Reject("WOULD_TAKE")
        acct = self.account(o.account)
        asset = spec.quote if buy else spec.base
        need = new_px * (new_qty - done) if buy else new_qty - done
        b = acct.bal(asset)
        if not o.is_mm and need > b[0] + o.locked:
            raise Reject("INSUFFICIENT", asset)
        book.remove(o)
        self._unlock(o)
        if not o.is_mm:
            b[0] -= need
            b[1] += need
            o.locked = need
        o.price = new_px
        o.qty = new_qty
        o.utime = now
        o.seq = next(self._seq)
        if not (book.ask_px and book.ask_px[0] <= new_px if buy else book.bid_px and book.bid_px[-1] >= new_px):
            return self._finish(book, o, spec, "GTC")   # rests at the back of its level
        self._match(book, o, now)
        try:
            return self._finish(book, o, spec, "GTC")
        finally:
            if self._refill:
                self._replenish(book, now)

    def _forget_old(self) -> None:
        """Drop the oldest final orders (like an exchange archiving them) so a long benchmark keeps a bounded
        memory; open orders are always kept."""
        target = int(self.MAX_ORDERS * 0.9)
        drop = []
        excess = len(self.orders) - target
        for oid, o in self.orders.items():  # insertion order = age
            if excess <= 0:
                break
            if o.status not in OPEN:
                drop.append(oid)
                excess -= 1
        for oid in drop:
            o = self.orders.pop(oid)
            if o.cid and self.by_cid.get((o.account, o.cid)) is o:
                del self.by_cid[(o.account, o.cid)]

    # -- internals ---------------------------------------------------------------------------------------
    cdef _unlock(self, Order o):
        cdef list b
        if o.locked and not o.is_mm:
            spec = self.specs[o.symbol]
            b = self.account(o.account).bal(spec.quote if o.side == "BUY" else spec.base)
            b[1] -= o.locked
            b[0] += o.locked
            o.locked = ZERO

    cdef _release(self, Order o, object d):
        """Unlock the balance held for quantity ``d`` of a resting (or taking) LIMIT order."""
        cdef list b
        if o.is_mm or not o.locked or o.otype != "LIMIT":
            return
        spec = self.specs[o.symbol]
        amt = o.price * d if o.side == "BUY" else d
        if amt > o.locked:
            amt = o.locked
        b = self.account(o.account).bal(spec.quote if o.side == "BUY" else spec.base)
        b[1] -= amt
        b[0] += amt
        o.locked -= amt

    def _levels(self, book: Book, buy: bool):
        if buy:
            for px in list(book.ask_px):
                yield px, book.asks[px]
        else:
            for px in reversed(list(book.bid_px)):
                yield px, book.bids[px]

    def _cost(self, book: Book, qty: Decimal, buy: bool, account: str) -> Decimal | None:
        rem, cost = qty, ZERO
        for px, lv in self._levels(book, buy):
            for m in lv:
                if m.account == account:
                    continue
                q = min(rem, m.remaining)
                cost += q * px
                rem -= q
                if not rem:
                    return cost
        return cost  # book too thin: the unfilled rest will expire

    def _qty_for_quote(self, book: Book, quote: Decimal, buy: bool, account: str) -> Decimal:
        rem, qty = quote, ZERO
        for px, lv in self._levels(book, buy):
            for m in lv:
                if m.account == account:
                    continue
                q = min(m.remaining, rem / px)
                qty += q
                rem -= q * px
                if rem <= 0:
                    return qty
        return qty

    def _fok_ok(self, Book book, Order o) -> bool:
        """The FOK order would fill entirely: liquidity up to its price, in matching order. Its own resting
        orders count as liquidity under STP NONE and are passed over under EXPIRE_MAKER; any other mode would
        stop (or shrink) the taker at the first one, so the fill must be complete before it."""
        buy = o.side == "BUY"
        avail = ZERO
        for px, lv in self._levels(book, buy):
            if buy and px > o.price or not buy and px < o.price:
                break
            for m in lv:
                if m.account == o.account and o.stp != "NONE":
                    if o.stp == "EXPIRE_MAKER":
                        continue
                    return avail >= o.qty
                avail += m.remaining
                if avail >= o.qty:
                    return True
        return False

    cdef _match(self, Book book, Order o, object now):
        cdef bint buy = o.side == "BUY"
        cdef bint by_quote, done
        cdef object spec = book.spec
        cdef object step, limit, quote_left, px, m_left, q, notional, tid, mode
        cdef list refill, base_b, quote_b, levels
        cdef dict sides
        cdef Account taker_acct, ma
        cdef Order m
        step = spec.step
        limit = o.price if o.otype == "LIMIT" else None
        by_quote = o.otype == "MARKET" and o.quote_qty is not None
        quote_left = o.quote_qty if by_quote else None
        refill = []
        taker_acct = self.account(o.account)
        base_b = taker_acct.bal(spec.base)
        quote_b = taker_acct.bal(spec.quote)
        levels = book.ask_px if buy else book.bid_px
        sides = book.asks if buy else book.bids
        while levels:
            px = levels[0] if buy else levels[-1]
            if limit is not None and (px > limit if buy else px < limit):
                break
            lv = sides[px]
            done = False
            for m in list(lv):
                if m.account == o.account and o.stp != "NONE":   # self-trade prevention, the taker's mode
                    mode = o.stp
                    if mode == "DECREMENT" or mode == "TRANSFER":
                        m_left = m.qty - m.executed - m.prevented
                        if by_quote:
                            q = min(m_left, (quote_left / px).quantize(step, ROUND_DOWN))
                        else:
                            q = min(m_left, o.qty - o.executed - o.prevented)
                        m.prevented += q
                        o.prevented += q
                        self._release(m, q)
                        self._release(o, q)
                        if by_quote:
                            quote_left -= q * px
                        m.utime = now
                        if q == m_left:
                            lv.remove(m)
                            m.status = "EXPIRED_IN_MATCH"
                            self._unlock(m)
                        self.touched.append((m, None, None, None, m.executed))
                        if (by_quote and quote_left < px * step) or (not by_quote and
                                                                     o.qty == o.executed + o.prevented):
                            o.status = "EXPIRED_IN_MATCH"
                            done = True
                            break
                        continue
                    if mode != "EXPIRE_TAKER":   # EXPIRE_MAKER, EXPIRE_BOTH: the resting order expires
                        lv.remove(m)
                        m.status = "EXPIRED_IN_MATCH"
                        m.utime = now
                        self._unlock(m)
                        self.touched.append((m, None, None, None, m.executed))
                    if mode == "EXPIRE_MAKER":
                        continue
                    o.status = "EXPIRED_IN_MATCH"   # EXPIRE_TAKER, EXPIRE_BOTH: the taker's rest expires
                    o.utime = now
                    done = True
                    break
                m_left = m.qty - m.executed - m.prevented
                if by_quote:
                    q = min(m_left, (quote_left / px).quantize(step, ROUND_DOWN))
                else:
                    q = min(m_left, o.qty - o.executed - o.prevented)
                if q <= 0:
                    done = True
                    break
                tid = next(self._tid)
                book.last_px = px
                notional = q * px
                # taker
                o.executed += q
                o.cum_quote += notional
                o.fills.append((px, q, tid))
                o.utime = now
                if buy:
                    if limit is not None:
                        quote_b[1] -= limit * q
                        quote_b[0] += (limit - px) * q
                        o.locked -= limit * q
                    else:
                        quote_b[0] -= notional
                    base_b[0] += q
                else:
                    if limit is not None:
                        base_b[1] -= q
                        o.locked -= q
                    else:
                        base_b[0] -= q
                    quote_b[0] += notional
                if by_quote:
                    quote_left -= notional
                # maker
                m.executed += q
                m.cum_quote += notional
                m.fills.append((px, q, tid))
                m.utime = now
                if not m.is_mm:
                    ma = self.account(m.account)
                    if m.side == "BUY":
                        ma.bal(spec.quote)[1] -= notional
                        m.locked -= notional
                        ma.bal(spec.base)[0] += q
                    else:
                        ma.bal(spec.base)[1] -= q
                        m.locked -= q
                        ma.bal(spec.quote)[0] += notional
                if q == m_left:   # m.remaining is now 0
                    lv.remove(m)
                    m.status = "FILLED"
                    if m.is_mm:
                        refill.append(m)
                else:
                    m.status = "PARTIALLY_FILLED"
                if not m.is_mm:   # the venue's private stream reports the maker's fill
                    self.touched.append((m, px, q, tid, m.executed))
                if (not by_quote and o.qty == o.executed + o.prevented) or (by_quote and quote_left < px * step):
                    done = True
                    break
            if not lv:
                del sides[px]
                if buy:
                    levels.pop(0)
                else:
                    levels.pop()
            if done:
                break
        self._refill = refill

    cdef _replenish(self, Book book, object now):
        # filled market-maker orders go back, moved away by the level gap while they would cross
        cdef Order m, n
        refill, self._refill = self._refill, []
        gap = book.spec.tick * book.spec.gap_ticks
        for m in refill:
            px = m.price
            if m.side == "SELL":
                while book.bid_px and px <= book.bid_px[-1]:
                    px += gap
            else:
                while book.ask_px and px >= book.ask_px[0]:
                    px -= gap
                if px <= 0:
                    continue
            n = Order(next(self._oid), "", m.symbol, m.side, "LIMIT", "GTC", px, m.qty, None, MM, now)
            n.seq = next(self._seq)
            book.add(n)
