"""Matching engine invariants under random order flow (hypothesis): balances conserved and never negative,
locks equal to open orders' reservations, the book never crossed, statuses consistent."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastorder.sim.book import OPEN, STP_MODES, Exchange, Reject, SymbolSpec


def spec():
    return SymbolSpec("BTCUSDT", "BTC", "USDT", D("100"), D("0.5"), D("0.1"), D("0.1"), D("1000"), D("0.5"),
                      D("100000"), D("0"), gap_ticks=2, levels=5, level_qty=D("1"))


order = st.tuples(
    st.sampled_from(["main", "other"]),
    st.sampled_from(["BUY", "SELL"]),
    st.sampled_from(["LIMIT", "IOC", "FOK", "MAKER", "MARKET", "MARKETQ", "CANCEL", "AMENDQ", "AMENDP"]),
    st.integers(min_value=180, max_value=220),   # price in ticks of 0.5
    st.integers(min_value=1, max_value=40),      # qty in steps of 0.1
    st.sampled_from(STP_MODES),                  # the taker's self-trade prevention mode
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(order, min_size=1, max_size=40))
def test_invariants(ops):
    ex = Exchange([spec()], balances={"USDT": "5000", "BTC": "20"})
    init = {"USDT": D("5000"), "BTC": D("20")}
    for acct, side, kind, pt, qs, stp in ops:
        px, qty = D(pt) / 2, D(qs) / 10
        try:
            if kind == "CANCEL":
                open_ = ex.open_orders(acct)
                if open_:
                    ex.cancel(open_[0], 1)
                continue
            if kind in ("AMENDQ", "AMENDP"):
                open_ = ex.open_orders(acct)
                if open_:
                    ex.amend(open_[-1], 1, qty=qty, price=px if kind == "AMENDP" else None)
                continue
            if kind in ("MARKET", "MARKETQ"):
                ex.place(acct, "BTCUSDT", side, "MARKET", qty=None if kind == "MARKETQ" else qty,
                         quote_qty=qty * 10 if kind == "MARKETQ" else None, tif="IOC", now=1, stp=stp)
            else:
                ex.place(acct, "BTCUSDT", side, "LIMIT", price=px, qty=qty,
                         tif={"IOC": "IOC", "FOK": "FOK"}.get(kind, "GTC"), post_only=kind == "MAKER", now=1,
                         stp=stp)
        except Reject as r:
            assert r.reason in ("INSUFFICIENT", "WOULD_TAKE", "NO_CHANGE")
    book = ex.books["BTCUSDT"]
    bb, ba = book.best_bid(), book.best_ask()
    assert bb is None or ba is None or bb < ba
    users = [o for o in ex.orders.values()]
    for name, acct in ex.accounts.items():
        mine = [o for o in users if o.account == name]
        for asset in ("USDT", "BTC"):
            free, locked = acct.bal(asset)
            assert free >= 0 and locked >= 0, (name, asset, free, locked)
        lock_q = sum((o.locked for o in mine if o.status in OPEN and o.side == "BUY"), D(0))
        lock_b = sum((o.locked for o in mine if o.status in OPEN and o.side == "SELL"), D(0))
        assert acct.bal("USDT")[1] == lock_q and acct.bal("BTC")[1] == lock_b
        base = init["BTC"] + sum((o.executed if o.side == "BUY" else -o.executed) for o in mine)
        quote = init["USDT"] + sum((-o.cum_quote if o.side == "BUY" else o.cum_quote) for o in mine)
        assert sum(acct.bal("BTC")) == base and sum(acct.bal("USDT")) == quote
    for o in users:
        assert o.executed + o.prevented <= o.qty or o.otype == "MARKET"
        if o.status in OPEN:
            assert o.remaining > 0 and o in book.bids.get(o.price, ()) or o in book.asks.get(o.price, ())
        if o.status == "FILLED":
            assert o.remaining == 0 or o.quote_qty is not None
        if o.tif == "FOK":
            assert o.executed in (0, o.qty)


def test_old_final_orders_are_forgotten_open_ones_kept():
    ex = Exchange([spec()], balances={"USDT": "1000000", "BTC": "1000"})
    ex.MAX_ORDERS = 50
    keep = ex.place("main", "BTCUSDT", "BUY", "LIMIT", price=D("90"), qty=D("1"), cid="keep", now=1)
    for i in range(120):
        ex.place("main", "BTCUSDT", "BUY", "LIMIT", price=D("101"), qty=D("0.1"), tif="IOC", cid=f"c{i}", now=1)
    assert len(ex.orders) <= 50
    assert ex.find("main", keep.oid) is keep and ex.find("main", None, "keep") is keep
    assert ex.find("main", None, "c0") is None and ex.find("main", None, "c119") is not None


def _two_bids(ex):
    """Two resting bids at one price: main's first, then other's."""
    a = ex.place("main", "BTCUSDT", "BUY", "LIMIT", price=D("99.5"), qty=D("2"), cid="a", now=1)
    b = ex.place("other", "BTCUSDT", "BUY", "LIMIT", price=D("99.5"), qty=D("1"), cid="b", now=1)
    return a, b


def test_amend_smaller_quantity_keeps_priority_and_shrinks_the_lock():
    ex = Exchange([spec()], balances={"USDT": "5000", "BTC": "20"})
    a, b = _two_bids(ex)
    ex.amend(a, 2, qty=D("1.5"))
    assert list(ex.books["BTCUSDT"].bids[D("99.5")]) == [a, b]
    assert a.locked == D("149.25") and ex.accounts["main"].bal("USDT") == [D("5000") - D("149.25"), D("149.25")]
    taker = ex.place("x", "BTCUSDT", "SELL", "LIMIT", price=D("99.5"), qty=D("1"), tif="IOC", now=3)
    assert taker.fills[0][1] == D("1") and a.executed == D("1") and b.executed == 0   # a first: it kept its place


def test_amend_price_or_larger_quantity_goes_to_the_back():
    for change in ({"qty": D("3")}, {"price": D("100")}):
        ex = Exchange([spec()], balances={"USDT": "5000", "BTC": "20"})
        a, b = _two_bids(ex)
        if "price" in change:   # the other order moves to the same new level first
            ex.amend(b, 2, price=D("100"))
        ex.amend(a, 2, **change)
        level = ex.books["BTCUSDT"].bids[a.price]
        assert list(level) == [b, a] and a.oid < b.oid
        assert a.locked == a.price * (a.qty - a.executed)


def test_amend_errors_leave_the_order_unchanged():
    ex = Exchange([spec()], balances={"USDT": "300", "BTC": "20"})
    a = ex.place("main", "BTCUSDT", "BUY", "LIMIT", price=D("99"), qty=D("2"), now=1)
    for kw, reason in (({"qty": D("2")}, "NO_CHANGE"), ({"qty": D("4")}, "INSUFFICIENT")):
        try:
            ex.amend(a, 2, **kw)
        except Reject as r:
            assert r.reason == reason
        else:
            raise AssertionError(kw)
        assert a.qty == D("2") and a.locked == D("198") and a.status == "NEW"
    try:
        ex.amend(a, 2, price=D("101"), post_only=True)   # the best ask is 101
    except Reject as r:
        assert r.reason == "WOULD_TAKE"
    ex.cancel(a, 3)
    try:
        ex.amend(a, 4, qty=D("1"))
    except Reject as r:
        assert r.reason == "NOT_OPEN"


def test_amend_to_a_crossing_price_trades_and_to_the_executed_quantity_ends():
    ex = Exchange([spec()], balances={"USDT": "5000", "BTC": "20"})
    a = ex.place("main", "BTCUSDT", "BUY", "LIMIT", price=D("99"), qty=D("2"), now=1)
    ex.amend(a, 2, price=D("101"))   # the seeded ask at 101 holds 1
    assert a.executed == D("1") and a.status == "PARTIALLY_FILLED"
    ex.amend(a, 3, qty=D("1"))
    assert a.status == "EXPIRED" and a.locked == 0 and ex.accounts["main"].bal("USDT")[1] == 0
    assert a not in ex.books["BTCUSDT"].bids.get(D("101"), ())


def _stp(mode):
    ex = Exchange([spec()], balances={"USDT": "5000", "BTC": "20"})
    maker = ex.place("main", "BTCUSDT", "SELL", "LIMIT", price=D("100"), qty=D("1"), now=1)
    taker = ex.place("main", "BTCUSDT", "BUY", "LIMIT", price=D("100"), qty=D("3"), now=2, stp=mode)
    return ex, maker, taker


def test_self_trade_prevention_modes():
    ex, maker, taker = _stp("NONE")
    assert maker.status == "FILLED" and taker.executed == D("1") and taker.status == "PARTIALLY_FILLED"
    ex, maker, taker = _stp("EXPIRE_MAKER")
    assert maker.status == "EXPIRED_IN_MATCH" and taker.status == "NEW" and taker.executed == 0
    ex, maker, taker = _stp("EXPIRE_TAKER")
    assert maker.status == "NEW" and taker.status == "EXPIRED_IN_MATCH" and taker.locked == 0
    ex, maker, taker = _stp("EXPIRE_BOTH")
    assert maker.status == "EXPIRED_IN_MATCH" and taker.status == "EXPIRED_IN_MATCH"
    ex, maker, taker = _stp("DECREMENT")   # 1 prevented off both: the maker (smaller) expires, the taker rests 2
    assert maker.status == "EXPIRED_IN_MATCH" and maker.prevented == D("1")
    assert taker.status == "NEW" and taker.prevented == D("1") and taker.remaining == D("2")
    assert taker.locked == D("200") and ex.accounts["main"].bal("USDT")[1] == D("200")
    for m, *_ in ex.touched:
        assert m is maker
