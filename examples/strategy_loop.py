"""A small quoting loop on order and fill events, against the embedded simulator (loopback only):
quote a ladder of bids and asks, react to each fill as its event arrives (no polling), then cancel what is
left and check that every order ended in a final state the stream reported.

    python examples/strategy_loop.py

Another account (its own API key, over the same real API) trades against the quotes, so fills happen.
"""

import asyncio
from decimal import Decimal

import fastorder
from fastorder.events import OrderEvent, StreamGap
from fastorder.sim import Simulator, creds
from fastorder.sim.creds import BinanceKey, Credentials

MAKER = dict(key=creds.BINANCE_HMAC_KEY, secret=creds.BINANCE_HMAC_SECRET)
TAKER = dict(key="takerKey0000000000000000000000000000000000000000000000000000001",
             secret="takerSecret00000000000000000000000000000000000000000000000000001")
SYMBOL, MID, TICK, QTY, LEVELS = "BTCUSDT", Decimal("50000"), Decimal("0.10"), "0.002", 3


async def main() -> None:
    keys = Credentials.default()
    keys.binance.append(BinanceKey(TAKER["key"], "HMAC", secret=TAKER["secret"], account="taker"))
    async with Simulator(venues=("binance",), credentials=keys) as sim:
        urls = dict(url=sim.url("binance", "rest"), ws_url=sim.url("binance", "ws"))
        async with fastorder.connect("binance", "ws", events=True, **MAKER, **urls) as maker, \
                fastorder.connect("binance", "ws", **TAKER, **urls) as taker:
            filled = Decimal(0)
            final: dict[str, str] = {}

            def on_event(ev):   # runs inside the stream's reader, as each frame is read
                nonlocal filled
                if isinstance(ev, StreamGap):
                    print(f"stream gap ({ev.reason}); closed: {ev.closed}")
                elif ev.is_fill:
                    filled += Decimal(ev.last_fill_qty)
                    print(f"fill  {ev.client_order_id} {ev.side:4} {ev.last_fill_qty} @ {ev.last_fill_price}"
                          f"  (order {ev.status}, filled {ev.filled_qty})")
                if isinstance(ev, OrderEvent) and ev.is_final:
                    final[ev.client_order_id] = ev.status

            maker.on_event(on_event)
            # 1. quote: LEVELS bids below and asks above the mid, inside the simulator's own book
            quotes = [dict(symbol=SYMBOL, side=side, quantity=QTY, price=str(MID + sign * TICK * (i + 1)),
                           client_order_id=f"q{side[0]}{i}")
                      for i in range(LEVELS) for side, sign in (("buy", -1), ("sell", 1))]
            acks = await maker.place_orders(quotes)
            print(f"quoted {len(acks)} orders")
            # 2. the market trades: another account buys through the two best asks and sells into the best bid
            await taker.place_order(SYMBOL, "buy", "0.004", str(MID + TICK * 2), tif="IOC")
            await taker.place_order(SYMBOL, "sell", "0.001", str(MID - TICK), tif="IOC")
            # 3. receive the fills (the events above), then cancel the rest
            async def until(cond):
                while not cond():
                    await asyncio.sleep(0.01)
            await asyncio.wait_for(until(lambda: filled >= Decimal("0.005")), 5)
            open_ids = [q["client_order_id"] for q in quotes if q["client_order_id"] not in final]
            await asyncio.gather(*(maker.cancel_order(SYMBOL, client_order_id=c) for c in open_ids))
            await asyncio.wait_for(until(lambda: len(final) == len(quotes)), 5)
            print(f"filled {filled}; final states: "
                  + ", ".join(f"{c}={s}" for c, s in sorted(final.items())))


if __name__ == "__main__":
    asyncio.run(main())
