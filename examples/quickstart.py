"""Place, query and cancel one order on every venue against the embedded simulator, and print where the
time went. Runs as is: `python examples/quickstart.py` (no account, no network: loopback only)."""

import asyncio

import fastorder
from fastorder.sim import Simulator, creds

ACCOUNTS = {
    "binance": dict(key=creds.BINANCE_HMAC_KEY, secret=creds.BINANCE_HMAC_SECRET),
    "okx": dict(key=creds.OKX_KEY, secret=creds.OKX_SECRET, passphrase=creds.OKX_PASSPHRASE),
    "htx": dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET),
}
SYMBOL = {"binance": "BTCUSDT", "okx": "BTC-USDT", "htx": "btcusdt"}


async def main() -> None:
    async with Simulator(tls=True) as sim:                        # a real HTTPS/WSS server on 127.0.0.1
        for venue, transport in [("binance", "ws"), ("binance", "rest"), ("okx", "ws"), ("okx", "rest"),
                                 ("htx", "rest")]:
            async with fastorder.connect(
                venue, transport, **ACCOUNTS[venue],
                url=sim.url(venue, "rest"), ws_url=sim.url(venue, "ws") if transport == "ws" else None,
                ssl_context=sim.client_ssl_context(),                # trust the simulator's test CA
            ) as session:
                ack = await session.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="GTC")
                state = await session.query_order(SYMBOL[venue], client_order_id=ack.client_order_id)
                done = await session.cancel_order(SYMBOL[venue], order_id=ack.order_id)
                lat = ack.latency
                print(f"{venue:8} {transport:4} order {ack.order_id:>18} {state.status:>8} -> {done.status:<16}"
                      f" client {lat.client_ns / 1000:6.1f} µs  round trip {lat.round_trip_ns / 1000:7.1f} µs"
                      f"  exchange {lat.exchange_us} µs")


if __name__ == "__main__":
    asyncio.run(main())
