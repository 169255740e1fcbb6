"""``fastorder.sim`` -- an embedded exchange simulator for Binance Spot, OKX v5 and HTX Spot.

A real server on real (loopback) sockets speaking each venue's documented REST / WebSocket protocol
(the public API docs cited in ``docs/venues/*.md``): signature verification, timestamp windows, filters, rate limits,
venue-exact replies and errors, a matching engine, fault injection and TLS. It shares no code with the
fastorder client (so it can catch the client's bugs) and imports nothing from ``fastorder._core``,
``fastorder._py`` or ``fastorder.transport``.

Quick start::

    import asyncio
    from fastorder.sim import Simulator

    async def main():
        async with Simulator(venues=("binance", "okx", "htx"), tls=False, faults=None, seed=1) as sim:
            print(sim.url("binance", "rest"), sim.url("binance", "ws"), sim.url("okx", "ws"))
            ...
            print(sim.orders("binance"))      # true order state
            print(sim.stats())                # own processing time, µs
    asyncio.run(main())

Command line: ``fastorder sim [--venue binance] [--port 8881] [--tls] [--fault SPEC] [--seed N]``.

Processing-time side channel: REST replies carry ``X-Sim-Processing-Us`` (µs, from the arrival of the
chunk completing the request to the hand-off of the reply to the transport). WebSocket replies are left
byte-exact; their times are kept per venue in arrival order and served by ``sim.stats()`` /
``sim.samples(venue, "ws")`` in process, or ``GET /_sim/stats[?samples=1]`` on the venue's port.
True order state: ``sim.orders(venue)`` or ``GET /_sim/orders``. Details: ``fastorder/sim/README.md``.
"""

from .binance import BinanceLimits
from .creds import Credentials
from .faults import Fault, FaultPlan
from .simulator import Simulator, SimulatorProcess, SimulatorThread

__all__ = ["Simulator", "SimulatorThread", "SimulatorProcess", "BinanceLimits", "Credentials", "Fault",
           "FaultPlan"]
