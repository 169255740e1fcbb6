"""Follow your orders as the venue reports them: place an order, cancel it, print each change from the
private stream. Runs as is: `python examples/stream_events.py` (the embedded simulator, loopback only)."""

import asyncio

import fastorder
from fastorder.sim import Simulator, creds


async def main() -> None:
    async with Simulator(tls=True) as sim:
        async with fastorder.connect(
            "binance", "ws", key=creds.BINANCE_HMAC_KEY, secret=creds.BINANCE_HMAC_SECRET,
            url=sim.url("binance", "rest"), ws_url=sim.url("binance", "ws"),
            ssl_context=sim.client_ssl_context(), events=True,     # the order stream opens with the session
        ) as session:
            async def follow() -> None:
                async for ev in session.events():
                    print(f"{ev.exec_type:<9} {ev.client_order_id}  status {ev.status:<9} filled {ev.filled_qty}")
                    if ev.is_final:
                        return

            watcher = asyncio.create_task(follow())
            await asyncio.sleep(0)                 # let it subscribe first: events() yields what comes after
            ack = await session.place_order("BTCUSDT", "buy", "0.001", "46000", tif="GTC")
            await session.cancel_order("BTCUSDT", order_id=ack.order_id)
            await asyncio.wait_for(watcher, timeout=5)


if __name__ == "__main__":
    asyncio.run(main())
