"""HTX linear swaps' dead-man's switch (`connect("htx", "rest", market="perp", cancel_on_disconnect=s)` ->
POST /linear-swap-api/v1/linear-cancel-after) against the simulator: armed at connect and kept armed, its
replies and refusals typed, a time_out under 5,000 ms refused by the venue, and every swap order of the account
(cross and isolated) canceled when the client is killed."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time

import orjson
import pytest

import fastorder
from fastorder.errors import AuthenticationError, ConfigError, RateLimited, VenueError
from fastorder.sim import Simulator, creds
from fastorder.sim.common import HmacSha256
from fastorder.types import Latency
from fastorder.venues.base import perf_ns

V = "htx_swap"
KEYS = dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET)


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def perp(**kw):
    async with Simulator(venues=(V,), seed=7) as sim:
        async with fastorder.connect("htx", "rest", market="perp", url=sim.url(V, "rest"), timeout=2.0,
                                     **KEYS, **kw) as s:
            yield sim, s


async def _raw(s, body: dict):
    """One signed linear-cancel-after request with `body` as given (what another client might send)."""
    s._buf.clear()
    s._enc.signed_post(s._buf, "/linear-swap-api/v1/linear-cancel-after", orjson.dumps(body),
                       timestamp_s=s.now_ms() // 1000)
    lat = Latency()
    resp = await s.rest_send(s._buf.getvalue(), lat, perf_ns())
    return resp, lat


def test_range_is_checked_before_anything_is_sent():
    for bad in (4.999, 0, -5, True, "30"):
        with pytest.raises(ConfigError) as ei:
            fastorder.connect("htx", "rest", market="perp", cancel_on_disconnect=bad, **KEYS)
        assert ei.value.field == "cancel_on_disconnect"
    s = fastorder.connect("htx", "rest", market="perp", cancel_on_disconnect=5, **KEYS)
    assert s.cancel_on_disconnect == 5.0


def test_armed_at_connect_and_refreshed_not_disarmed_on_close():
    async def main():
        async with perp(cancel_on_disconnect=5) as (sim, s):
            app = sim.apps[V]
            assert len(app._dms) == 1   # armed at connect, for the key's account
            first = next(iter(app._dms.values()))
            await s.place_order("BTCUSDT", "buy", "0.010", "49000")
            await asyncio.sleep(2.0)   # re-armed at a third of the timeout (5/3 s)
            again = next(iter(app._dms.values()))
            assert again is not first and again.when() >= first.when() + 1.5
        # closed without disarming: the switch still runs (it exists for a client that stops refreshing)
        assert len(app._dms) == 1 and app.dms_fired == 0
    run(main())


def test_replies_and_refusals():
    """Success is code 200 with data{current_time, trigger_time}; the venue refuses a time_out under 5,000 ms
    and an on_off other than 0/1; integer fields may come as decimal text; on_off 0 stops the countdown; a
    wrong signature is an AuthenticationError, a 5xx a VenueError, a 429 RateLimited with its Retry-After."""
    async def main():
        async with perp() as (sim, s):
            app = sim.apps[V]
            resp, lat = await _raw(s, {"on_off": 1, "time_out": 6000})
            d = orjson.loads(resp.body)
            assert d["code"] == 200 and d["data"]["trigger_time"] - d["data"]["current_time"] == 6000
            assert s._cancel_after_reply(resp, lat)["trigger_time"] == d["data"]["trigger_time"]
            for bad in ({"on_off": 1, "time_out": 4999}, {"on_off": 2}, {"on_off": 1, "time_out": 5000.5},
                        {"time_out": 6000}):
                resp, lat = await _raw(s, bad)
                with pytest.raises(VenueError) as ei:
                    s._cancel_after_reply(resp, lat)
                assert ei.value.code == 1030 and not isinstance(ei.value, AuthenticationError)
            resp, lat = await _raw(s, {"on_off": "1", "time_out": "7000"})   # as HTX's Go SDK writes them
            assert s._cancel_after_reply(resp, lat)["trigger_time"] > 0
            assert len(app._dms) == 1
            await _raw(s, {"on_off": 0})
            assert app._dms == {}

            await s._arm_cancel_after(10)
            assert len(app._dms) == 1

            sim.faults.add(f"5xx:venue={V},count=1")
            with pytest.raises(VenueError) as ei:
                await s._arm_cancel_after(10)
            assert ei.value.http_status == 500

            mac = app._mac[creds.HTX_KEY]
            app._mac[creds.HTX_KEY] = HmacSha256(b"a regenerated secret")
            with pytest.raises(AuthenticationError) as ei:
                await s._arm_cancel_after(10)
            assert ei.value.code == 1253
            app._mac[creds.HTX_KEY] = mac

            sim.faults.add(f"429:venue={V},count=1,retry=3")
            with pytest.raises(RateLimited) as ei:
                await s._arm_cancel_after(10)
            assert ei.value.retry_after == 3
    run(main())


def test_unreadable_replies_are_errors_not_successes():
    """Only code 200 arms: a reply in no known envelope, or with a code that is not 200, is an error."""
    async def main():
        async with perp() as (sim, s):
            class R:
                status = 200

                def __init__(self, body: bytes):
                    self.body = body
            for body in (b"", b"[]", b'{"status":"ok"}', b'{"code":1001,"msg":"System error."}',
                         b'{"status":"error","err_code":1010,"err_msg":"Account doesn\'t exist."}'):
                with pytest.raises(VenueError):
                    s._cancel_after_reply(R(body), Latency())
    run(main())


_CLIENT = """
import asyncio, sys
import fastorder
from fastorder.sim import creds

async def main():
    s = await fastorder.connect("htx", "rest", market="perp", url=sys.argv[1], key=creds.HTX_KEY,
                                secret=creds.HTX_SECRET, timeout=2.0, cancel_on_disconnect=5)
    for _ in range(3):
        await s.place_order("BTCUSDT", "buy", "0.010", "49000")
    print("ready", flush=True)
    await asyncio.sleep(3600)   # killed long before

asyncio.run(main())
"""


def test_switch_cancels_every_swap_order_of_the_account_after_the_client_is_killed():
    """A client armed for 5 s (re-armed every 5/3 s) places three cross orders and is killed with SIGKILL; an
    isolated order of the same account, placed by another session, goes too when the countdown runs out."""
    async def main():
        async with Simulator(venues=(V,), seed=5) as sim:
            app = sim.apps[V]
            proc = await asyncio.create_subprocess_exec(sys.executable, "-c", _CLIENT, sim.url(V, "rest"),
                                                        stdout=asyncio.subprocess.PIPE)
            try:
                assert (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() == b"ready"
                async with fastorder.connect("htx", "rest", market="perp", url=sim.url(V, "rest"),
                                             margin_mode="isolated", timeout=2.0, **KEYS) as iso:
                    await iso.place_order("ETHUSDT", "sell", "0.10", "3100")
                mine = [o for o in sim.orders(V) if o["client_order_id"]]
                assert len(mine) == 4 and {o["status"] for o in mine} == {"NEW"}
                await asyncio.sleep(2)   # refreshed while the client lives
                assert app.dms_fired == 0
                proc.send_signal(signal.SIGKILL)
                killed = time.monotonic()
                await proc.wait()
                while app.dms_fired == 0 and time.monotonic() - killed < 10:
                    await asyncio.sleep(0.05)
                lapsed = time.monotonic() - killed
                assert app.dms_fired == 1
                assert 3 <= lapsed <= 6.5   # armed for 5 s at most 5/3 s before the kill
                assert {o["status"] for o in sim.orders(V) if o["client_order_id"]} == {"CANCELED"}
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
    run(main(), timeout=60)
