"""Fault injection: each kind, its selectors, determinism; REST (aiohttp, raw sockets) and WS (websockets)."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
from websockets.asyncio.client import connect

from fastorder.sim import FaultPlan, Simulator
from fastorder.sim.faults import parse

LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01",
         "price": "49000"}


def test_parse_and_errors():
    fs = parse("latency:ms=2,jitter=1; drop_after:nth=5,venue=binance ;5xx:p=0.5,transport=ws;restart")
    assert [f.kind for f in fs] == ["latency", "drop", "5xx", "restart"]
    assert fs[0].ms == 2 and fs[0].jitter == 1 and fs[1].phase == "after" and fs[1].nth == 5
    assert fs[2].p == 0.5 and fs[2].transport == "ws" and fs[3].ms == 200
    assert parse("drop_before")[0].phase == "before" and parse("429")[0].phase == "before"
    for bad in ("explode", "latency:ms", "latency:foo=1", "drop:phase=during", "5xx:p=2", "drop:transport=udp"):
        with pytest.raises(ValueError):
            parse(bad)


def test_determinism_with_seed():
    def decisions(seed):
        plan = FaultPlan("5xx:p=0.3;latency:p=0.5,ms=1,jitter=3", seed=seed)
        out = []
        for _ in range(200):
            fs = plan.for_request("binance", "rest", 1)
            out.append(tuple(f.kind for f in fs or ()) + tuple(round(plan.delay_s(f), 9) for f in fs or ()
                                                                  if f.kind == "latency"))
        return out
    a, b, c = decisions(7), decisions(7), decisions(8)
    assert a == b and a != c
    assert 30 < sum(1 for d in a if "5xx" in d) < 90


def test_selectors_nth_count_after_conn_venue():
    plan = FaultPlan("5xx:nth=3,count=2;drop:conn=2,venue=okx;429:after=8", seed=1)
    fired = []
    for _ in range(12):
        fs = plan.for_request("binance", "rest", 1)
        fired.append(sorted(f.kind for f in fs or ()))
    assert fired[2] == ["5xx"] and fired[5] == ["5xx"] and fired[8] == ["429"]  # count=2 stops the 3rd 5xx
    assert fired[0] == [] and all(x == ["429"] for x in fired[9:])
    assert plan.for_request("okx", "rest", 1) is None
    assert [f.kind for f in plan.for_request("okx", "rest", 2)] == ["drop"]


async def _post(sim, params, h, session=None):
    q = h.bn_query(dict(params, timestamp=h.ms()))
    own = session is None
    s = session or aiohttp.ClientSession()
    try:
        async with s.post(sim.url("binance") + "/api/v3/order?" + q, headers={"X-MBX-APIKEY": h.BN_KEY}) as r:
            return r.status, await r.read(), r.headers
    finally:
        if own:
            await s.close()


def with_sim(h, fn, faults, **kw):
    async def main():
        async with Simulator(venues=("binance",), faults=faults, seed=3, **kw) as sim:
            await fn(sim)
    h.run(main())


def test_latency_is_added_but_not_counted_as_processing(h):
    async def t(sim):
        t0 = time.perf_counter()
        st, body, hdr = await _post(sim, LIMIT, h)
        took = time.perf_counter() - t0
        assert st == 200 and took >= 0.15
        assert float(hdr["X-Sim-Processing-Us"]) < 100_000
    with_sim(h, t, "latency:ms=150,jitter=20")


@pytest.mark.parametrize("spec,exists", [("drop:phase=before", False), ("drop:phase=after", True),
                                         ("reset:phase=before", False), ("reset:phase=after", True)])
def test_connection_killed_before_or_after_processing(h, spec, exists):
    async def t(sim):
        with pytest.raises((aiohttp.ClientError, ConnectionError)):
            await _post(sim, dict(LIMIT, newClientOrderId="lost1"), h)
        o = sim.order("binance", client_order_id="lost1")
        assert (o is not None) == exists
        if exists:
            assert o["status"] == "NEW"  # the order lives although its reply was lost
    with_sim(h, t, spec + ",count=1")


def test_reset_sends_rst(h):
    async def t(sim):
        r, w = await asyncio.open_connection("127.0.0.1", sim.port("binance"))
        w.write(b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            data = await asyncio.wait_for(r.read(100), 3)
            assert data == b""  # a FIN would end here; an RST raises
            raise AssertionError("expected a reset, got a clean close")
        w.close()
    with_sim(h, t, "reset:phase=before")


def test_5xx_unknown_status_after_execution(h):
    async def t(sim):
        st, body, hdr = await _post(sim, dict(LIMIT, newClientOrderId="u1"), h)
        assert st == 503 and json.loads(body)["code"] == -1006
        assert sim.order("binance", client_order_id="u1")["status"] == "NEW"
        st, body, hdr = await _post(sim, dict(LIMIT, newClientOrderId="u2"), h)
        assert st == 200
    with_sim(h, t, "5xx:count=1")


@pytest.mark.parametrize("kind,status", [("429", 429), ("418", 418)])
def test_rate_limit_faults(h, kind, status):
    async def t(sim):
        st, body, hdr = await _post(sim, dict(LIMIT, newClientOrderId="r1"), h)
        assert st == status and hdr["Retry-After"] == "7" and json.loads(body)["code"] == -1003
        assert sim.order("binance", client_order_id="r1") is None
    with_sim(h, t, f"{kind}:retry=7")


def test_malformed_and_truncated(h):
    async def t(sim):
        st, body, hdr = await _post(sim, dict(LIMIT, newClientOrderId="m1"), h)
        assert st == 200
        with pytest.raises(ValueError):
            json.loads(body)
        assert sim.order("binance", client_order_id="m1")["status"] == "NEW"
        with pytest.raises((aiohttp.ClientError, ConnectionError)):
            await _post(sim, dict(LIMIT, newClientOrderId="m2"), h)
        assert sim.order("binance", client_order_id="m2")["status"] == "NEW"
    with_sim(h, t, "malformed:nth=1,count=1;truncated:after=1,count=1")


def test_stall_then_drop(h):
    async def t(sim):
        t0 = time.perf_counter()
        with pytest.raises((aiohttp.ClientError, ConnectionError, asyncio.TimeoutError)):
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as s:
                await _post(sim, dict(LIMIT, newClientOrderId="s1"), h, s)
        assert 0.25 <= time.perf_counter() - t0 < 1.9
        assert sim.order("binance", client_order_id="s1")["status"] == "NEW"
    with_sim(h, t, "stall:ms=300")


def test_slow_read(h):
    async def t(sim):
        r, w = await asyncio.open_connection("127.0.0.1", sim.port("binance"))
        req = b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n\r\n"
        w.write(req)
        await r.readuntil(b"{}")
        t0 = time.perf_counter()
        w.write(req)  # the server paused reading after the first chunk
        await asyncio.wait_for(r.readuntil(b"{}"), 3)
        assert time.perf_counter() - t0 >= 0.1
        w.close()
    with_sim(h, t, "slow_read:ms=200")


def test_fault_on_one_connection_only(h):
    async def t(sim):
        async with aiohttp.ClientSession() as s1:
            st, _, _ = await _post(sim, LIMIT, h, s1)
            assert st == 200
            async with aiohttp.ClientSession() as s2:
                st, body, _ = await _post(sim, LIMIT, h, s2)
                assert st == 503
            st, _, _ = await _post(sim, LIMIT, h, s1)
            assert st == 200
    with_sim(h, t, "5xx:conn=2")


def test_restart_keeps_state_and_refuses_while_down(h):
    async def t(sim):
        st, body, _ = await _post(sim, dict(LIMIT, newClientOrderId="keep1"), h)
        assert st == 200
        await asyncio.sleep(0.05)
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", sim.port("binance"))
        await asyncio.sleep(0.6)
        q = h.bn_query({"symbol": "BTCUSDT", "origClientOrderId": "keep1", "timestamp": h.ms()})
        async with aiohttp.ClientSession() as s, s.get(sim.url("binance") + "/api/v3/order?" + q,
                                                        headers={"X-MBX-APIKEY": h.BN_KEY}) as r:
            assert r.status == 200 and (await r.json())["status"] == "NEW"
        assert sim.sites["binance"].restarts == 1
    with_sim(h, t, "restart:ms=400,count=1")


def test_ws_faults(h):
    async def main():
        faults = "latency:nth=1,count=1,ms=120;5xx:after=1,count=1;429:after=2,count=1,retry=3;drop:after=3,count=1"
        async with Simulator(venues=("binance",), faults=faults, seed=1) as sim:
            async with connect(sim.url("binance", "ws")) as ws:
                t0 = time.perf_counter()
                await ws.send(json.dumps({"id": 1, "method": "order.place",
                                          "params": h.bn_ws_params(dict(LIMIT, newClientOrderId="w1"))}))
                r = json.loads(await ws.recv())
                # (the loop's timers count from its cached time, in whole ms: a 120 ms delay can end ~1 ms early)
                assert r["status"] == 200 and time.perf_counter() - t0 >= 0.115
                await ws.send(json.dumps({"id": 2, "method": "order.place",
                                          "params": h.bn_ws_params(dict(LIMIT, newClientOrderId="w2"))}))
                r = json.loads(await ws.recv())
                assert r["id"] == 2 and r["status"] == 503
                assert sim.order("binance", client_order_id="w2")["status"] == "NEW"
                await ws.send(json.dumps({"id": 3, "method": "order.place",
                                          "params": h.bn_ws_params(dict(LIMIT, newClientOrderId="w3"))}))
                r = json.loads(await ws.recv())
                assert r["status"] == 429 and r["error"]["data"]["retryAfter"] > h.ms()
                assert sim.order("binance", client_order_id="w3") is None
                await ws.send(json.dumps({"id": 4, "method": "order.place",
                                          "params": h.bn_ws_params(dict(LIMIT, newClientOrderId="w4"))}))
                with pytest.raises(Exception) as ei:  # noqa: B017 - ConnectionClosed
                    await asyncio.wait_for(ws.recv(), 3)
                assert type(ei.value).__name__.startswith("ConnectionClosed")
                assert sim.order("binance", client_order_id="w4")["status"] == "NEW"
            assert sim.stats("binance")["ws"]["count"] >= 3
    h.run(main())


def test_okx_and_htx_fault_replies_use_their_shapes(h):
    async def main():
        async with Simulator(venues=("okx", "htx"), faults="5xx:nth=1,count=1,venue=okx;429:nth=2,count=1,retry=4,venue=okx;5xx:venue=htx") as sim:
            async with aiohttp.ClientSession() as s:
                body = json.dumps({"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit",
                                   "px": "49000", "sz": "0.01", "clOrdId": "f1"})
                async with s.post(sim.url("okx") + "/api/v5/trade/order", data=body,
                                  headers=h.okx_headers("POST", "/api/v5/trade/order", body)) as r:
                    assert r.status == 500 and (await r.json())["code"] == "50026"
                assert sim.order("okx", client_order_id="f1")["status"] == "NEW"  # executed, status unknown
                body = body.replace("f1", "f2")
                async with s.post(sim.url("okx") + "/api/v5/trade/order", data=body,
                                  headers=h.okx_headers("POST", "/api/v5/trade/order", body)) as r:
                    assert r.status == 429 and (await r.json())["code"] == "50011" and r.headers["Retry-After"] == "4"
                assert sim.order("okx", client_order_id="f2") is None
                async with s.get(h.htx_url(sim.url("htx"), "GET", "/v1/account/accounts")) as r:
                    b = await r.json()
                    assert r.status == 500 and b["status"] == "error" and b["err-code"] == "base-system-error"
    h.run(main())
