"""No secret (API key, secret, passphrase) in any traceback rendered with every frame's local variables
(`traceback.TracebackException(..., capture_locals=True)`, the exception chain included), for errors raised at
connect time and at order time, on every venue and transport."""

from __future__ import annotations

import asyncio
import traceback

import pytest

import fastorder
from fastorder.bench.faultmatrix import PATHS
from fastorder.bench.runner import ACCOUNTS, SYMBOL
from fastorder.sim import BinanceLimits, Simulator


def _secrets(venue):
    a = ACCOUNTS[venue]
    return [str(a[k]) for k in ("key", "secret", "passphrase") if k in a]


def _library_only(te: traceback.TracebackException) -> None:
    """Drop this file's own frames (their locals are the test's, which hold the credentials it passes)."""
    seen = set()
    while te is not None and id(te) not in seen:
        seen.add(id(te))
        te.stack = traceback.StackSummary.from_list([f for f in te.stack if f.filename != __file__])
        for nxt in (te.__cause__, te.__context__):
            if nxt is not None:
                _library_only(nxt)
        te = None


def _rendered(exc: BaseException) -> str:
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__, capture_locals=True)
    _library_only(te)
    return "".join(te.format())


def _assert_clean(exc, venue, what):
    text = _rendered(exc)
    assert "Traceback" in text or type(exc).__name__ in text
    for s in _secrets(venue):
        assert s not in text, f"{what}: a secret in the rendered traceback of {type(exc).__name__}"


async def _error(coro):
    try:
        await coro
    except Exception as exc:   # every error counts, typed or not
        return exc
    return None


@pytest.mark.parametrize("venue,transport", PATHS)
def test_connect_time_errors_carry_no_secret_in_their_locals(venue, transport):
    async def main():
        async with Simulator(venues=(venue,), binance_limits=BinanceLimits(enabled=False)) as sim:
            base = dict(ACCOUNTS[venue], url=sim.url(venue, "rest"))
            if transport == "ws":
                base["ws_url"] = sim.url(venue, "ws")
            cases = {
                "bad transport option": dict(base, connections="x", spin_us=-1, timeout=0.3, rate_limit_margin=7),
                "closed port": dict(base, url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:9/ws", timeout=0.2),
                "wrong secret": dict(base, secret="not-the-right-secret-at-all-0123456789ab"),
                "credential with a newline": dict(base, key=base["key"] + "\n"),
            }
            for what, kw in cases.items():
                try:
                    async with fastorder.connect(venue, transport, **kw) as s:
                        await s.place_order(SYMBOL[venue], "buy", "0.001", "46000")
                except Exception as exc:   # every error counts, typed or not
                    _assert_clean(exc, venue, what)
                else:
                    if what not in ("wrong secret",):
                        raise AssertionError(f"{what}: no error")
    asyncio.run(main())


@pytest.mark.parametrize("venue,transport", PATHS)
def test_order_time_errors_carry_no_secret_in_their_locals(venue, transport):
    async def main():
        async with Simulator(venues=(venue,), binance_limits=BinanceLimits(enabled=False), okx_limit_per_2s=0,
                             htx_limit_per_2s=0) as sim:
            kw = dict(ACCOUNTS[venue], url=sim.url(venue, "rest"), timeout=0.3)
            if transport == "ws":
                kw["ws_url"] = sim.url(venue, "ws")
            async with fastorder.connect(venue, transport, **kw) as s:
                sym = SYMBOL[venue]
                errors = [await _error(s.place_order(sym, "buy", "0.001", "-1")),
                          await _error(s.place_order(sym, "buy", "100000", "46000")),   # refused by the venue
                          await _error(s.cancel_order(sym, client_order_id="nosuchorder1"))]
                sim.faults.add(f"stall:count=5,transport={transport}")   # unknown outcome, reconcile fails
                errors.append(await _error(s.place_order(sym, "buy", "0.001", "46000")))
                sim.faults.clear()
                sim.faults.add("drop:phase=after,count=5")
                errors.append(await _error(s.place_order(sym, "buy", "0.001", "46000")))
                sim.faults.clear()
                sim.faults.add(f"429:retry=1,count=1,transport={transport}")
                errors.append(await _error(s.place_order(sym, "buy", "0.001", "46000")))
                assert sum(e is not None for e in errors) >= 4
                for e in errors:
                    if e is not None:
                        _assert_clean(e, venue, type(e).__name__)
    asyncio.run(main())


def test_the_htx_key_and_okx_passphrase_are_not_left_in_plain_sight():
    async def main():
        for venue in ("htx", "okx"):
            async with Simulator(venues=(venue,)) as sim, \
                    fastorder.connect(venue, "rest", **ACCOUNTS[venue], url=sim.url(venue, "rest")) as s:
                await s.place_order(SYMBOL[venue], "buy", "0.001", "46000")
                for name, v in vars(s).items():   # no attribute holds a credential as a plain value
                    for secret in _secrets(venue):
                        assert secret not in repr(v), f"{venue}: {name}"
                # the reused request buffer does not keep the last request (OKX: the passphrase in a header)
                assert all(secret.encode() not in bytes(s._buf.raw()) for secret in _secrets(venue))
    asyncio.run(main())
