"""Matching engine invariants under random order flow (hypothesis): balances conserved and never negative,
locks equal to open orders' reservations, the book never crossed, statuses consistent."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastorder.sim.book import OPEN, Exchange, Reject, SymbolSpec


def spec():
    return SymbolSpec("BTCUSDT", "BTC", "USDT", D("100"), D("0.5"), D("0.1"), D("0.1"), D("1000"), D("0.5"),
                      D("100000"), D("0"), gap_ticks=2, levels=5, level_qty=D("1"))


order = st.tuples(
    st.sampled_from(["main", "other"]),
    st.sampled_from(["BUY", "SELL"]),
    st.sampled_from(["LIMIT", "IOC", "FOK", "MAKER", "MARKET", "MARKETQ", "CANCEL", "MODIFY"]),
    st.integers(min_value=180, max_value=220),   # price in ticks of 0.5
    st.integers(min_value=1, max_value=40),      # qty in steps of 0.1
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(order, min_size=1, max_size=40))
def test_invariants(ops):
    ex = Exchange([spec()], balances={"USDT": "5000", "BTC": "20"})
    init = {"USDT": D("5000"), "BTC": D("20")}
    for acct, side, kind, pt, qs in ops:
        px, qty = D(pt) / 2, D(qs) / 10
        try:
            if kind == "CANCEL":
                open_ = ex.open_orders(acct)
                if open_:
                    ex.cancel(open_[0], 1)
                continue
            if kind == "MODIFY":   # a new price and total (OKX amend-order): may re-queue or trade
                open_ = ex.open_orders(acct)
                if open_:
                    ex.modify(open_[-1], 1, qty=qty, price=px)
                continue
            if kind in ("MARKET", "MARKETQ"):
                ex.place(acct, "BTCUSDT", side, "MARKET", qty=None if kind == "MARKETQ" else qty,
                         quote_qty=qty * 10 if kind == "MARKETQ" else None, tif="IOC", now=1)
            else:
                ex.place(acct, "BTCUSDT", side, "LIMIT", price=px, qty=qty,
                         tif={"IOC": "IOC", "FOK": "FOK"}.get(kind, "GTC"), post_only=kind == "MAKER", now=1)
        except Reject as r:
            assert r.reason in ("INSUFFICIENT", "WOULD_TAKE")
            if kind == "MODIFY":
                assert r.reason == "INSUFFICIENT"
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
        assert o.executed <= o.qty or o.otype == "MARKET"
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


def test_modify_keeps_priority_only_for_a_smaller_total_at_the_same_price():
    """Price-time priority (Exchange.modify, OKX amend-order): a smaller total at the same price keeps the order's
    place; a larger total or a new price sends it behind the orders already at its level."""
    def first_filled(change) -> str:
        ex = Exchange([spec()], balances={"USDT": "100000", "BTC": "100"})
        px = ex.books["BTCUSDT"].best_bid() + D("0.5")   # the best bid, ahead of the market maker's
        assert px < ex.books["BTCUSDT"].best_ask()
        a = ex.place("a", "BTCUSDT", "BUY", "LIMIT", price=px, qty=D("2"), cid="a", now=1)
        ex.place("b", "BTCUSDT", "BUY", "LIMIT", price=px, qty=D("2"), cid="b", now=1)
        change(ex, a, px)
        ex.place("t", "BTCUSDT", "SELL", "LIMIT", price=px, qty=D("0.1"), tif="IOC", now=2)
        return next(o.cid for o in ex.orders.values() if o.cid in ("a", "b") and o.executed)

    assert first_filled(lambda ex, a, px: None) == "a"
    assert first_filled(lambda ex, a, px: ex.modify(a, 2, qty=D("1"))) == "a"
    assert first_filled(lambda ex, a, px: ex.modify(a, 2, qty=D("3"))) == "b"
    assert first_filled(lambda ex, a, px: (ex.modify(a, 2, price=px - 1), ex.modify(a, 2, price=px))) == "b"


def test_modify_a_crossing_price_trades_and_a_total_at_the_filled_amount_ends_the_order():
    ex = Exchange([spec()], balances={"USDT": "100000", "BTC": "100"})
    a = ex.place("a", "BTCUSDT", "BUY", "LIMIT", price=D("90"), qty=D("1"), cid="a", now=1)
    best_ask = ex.books["BTCUSDT"].best_ask()
    ex.modify(a, 2, price=best_ask)
    assert a.executed > 0 and a.fills[-1][0] == best_ask
    b = ex.place("a", "BTCUSDT", "SELL", "LIMIT", price=D("200"), qty=D("1"), cid="b", now=1)
    with __import__("pytest").raises(Reject) as ei:   # post-only: the new price would take
        ex.modify(b, 2, price=D("50"), post_only=True)
    assert ei.value.reason == "WOULD_TAKE" and b.price == D("200")
    ex.modify(b, 2, qty=D("0"))
    assert b.status == "FILLED" and b.locked == 0 and ex.account("a").bal("BTC")[1] == 0
