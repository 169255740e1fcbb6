"""Quote both sides of a perpetual swap on every venue against the embedded simulator: a dead-man's switch,
a batch of two post-only quotes, a re-price, the open orders and positions, then cancel-all. Runs as is:
`python examples/quote_perp.py` (no account, no network: loopback only)."""

import asyncio

import fastorder
from fastorder.errors import NotSupported
from fastorder.sim import Simulator, creds

ACCOUNTS = {
    "binance": dict(key=creds.BINANCE_HMAC_KEY, secret=creds.BINANCE_HMAC_SECRET),
    "okx": dict(key=creds.OKX_KEY, secret=creds.OKX_SECRET, passphrase=creds.OKX_PASSPHRASE),
    "htx": dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET),
}
# the venue cancels every open order if this process stops refreshing it
DEAD_MANS_SWITCH = dict(cancel_on_disconnect=60)
SIM_APP = {"binance": "binance_futures", "okx": "okx", "htx": "htx_swap"}   # the simulator's perp servers


async def main() -> None:
    async with Simulator(venues=("binance_futures", "okx", "htx_swap"), tls=True) as sim:
        for venue, transport in [("binance", "ws"), ("okx", "ws"), ("htx", "rest")]:
            app = SIM_APP[venue]
            async with fastorder.connect(
                venue, transport, market="perp", **ACCOUNTS[venue],
                url=sim.url(app, "rest"), ws_url=sim.url(app, "ws") if transport == "ws" else None,
                ssl_context=sim.client_ssl_context(),
                **DEAD_MANS_SWITCH,
            ) as session:   # a perp symbol in any spelling: BTC-USDT-SWAP, BTCUSDT, BTC-USDT, BTC/USDT:USDT
                await session.set_leverage("BTC-USDT-SWAP", 5)
                bid, ask = await session.place_orders([
                    dict(symbol="BTC-USDT-SWAP", side="buy", quantity="0.1", price="49000", post_only=True),
                    dict(symbol="BTC-USDT-SWAP", side="sell", quantity="0.1", price="51000", post_only=True),
                ])
                assert isinstance(bid, fastorder.Ack) and isinstance(ask, fastorder.Ack), (bid, ask)
                try:                              # one request where the venue can amend a price
                    bid = await session.amend_order("BTC-USDT-SWAP", order_id=bid.order_id, price="49500")
                    how = "amended"
                except NotSupported:              # HTX's swaps have no amend: cancel, then place
                    await session.cancel_order("BTC-USDT-SWAP", order_id=bid.order_id)
                    bid = await session.place_order("BTC-USDT-SWAP", "buy", "0.1", "49500",
                                                    post_only=True)
                    how = "replaced"
                resting = await session.open_orders("BTC-USDT-SWAP")
                positions = await session.positions()
                cancelled = await session.cancel_all("BTC-USDT-SWAP")
                print(f"{venue:8} {transport:4} bid {bid.price} {how:8} open {len(resting)}  positions "
                      f"{len(positions)}  cancelled {len(cancelled)}")


if __name__ == "__main__":
    asyncio.run(main())
