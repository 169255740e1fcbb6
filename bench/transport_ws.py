"""WebSocket round-trip benchmark: fastorder vs websockets, aiohttp and picows, with a C client as the floor.

An order-sized (default 200-byte) JSON text message with an id goes to an echo server and the reply is
awaited; one message in flight.  The server is the C echo server in bench/c/fo_bench_peer.c (the same server
for every client), pinned to --server-cpu; each client runs in its own process pinned to --client-cpu.
Spin rows use a spinning server and spinning clients.  The TLS table runs two picows echo servers
(C-accelerated, one plaintext, one TLS 1.3) and interleaves every client's plaintext and TLS rows in the
same rounds, so their difference is the cost of TLS: fastorder's compiled TLS (OpenSSL in its transport, the
default), the event loop's TLS transport ("loop TLS"), picows, websockets, aiohttp.  Each row also gives the
server process's CPU per round trip over that client's run (bench/transport_common.py with_server_cpu; the
spinning server of the spin table runs all the time), and the TLS table splits each TLS row's p50 difference
into the server's extra CPU and the rest (the client's share).

    python bench/transport_ws.py --n 5000 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import transport_common as tc  # noqa: E402


def payload(i: int, size: int) -> bytes:
    head = b'{"id":"%d","method":"order.place","params":{"symbol":"BTCUSDT","side":"BUY","pad":"' % i
    tail = b'"}}'
    return head + b"x" * max(0, size - len(head) - len(tail)) + tail


# ---- clients (each runs in its own pinned process) --------------------------------------------------------


async def c_fastorder(url, n, size, mode, ssl_ctx, engine="compiled"):
    from fastorder.transport import open_ws

    ssl_ctx, engine = tc.tls_for_engine(ssl_ctx, engine)
    ws = await open_ws(url, tls=ssl_ctx, id_pattern=b'"id":', tls_engine=engine)
    warm = n // 10 + 100
    msgs = [payload(i, size) for i in range(n + warm)]
    ids = [b"%d" % i for i in range(n + warm)]
    res = await tc.measure_mode(mode, n, lambda i: ws.request(ids[i], msgs[i]),
                                lambda i, cb: ws.request_cb(ids[i], msgs[i], cb), ws.spin)
    await ws.close()
    return res


async def c_websockets(url, n, size, mode, ssl_ctx):
    from websockets.asyncio.client import connect

    async with connect(url, compression=None, ssl=ssl_ctx, max_size=None) as ws:
        return await _simple_loop(n, size, lambda m: ws.send(m.decode()), ws.recv)


async def c_aiohttp(url, n, size, mode, ssl_ctx):
    import aiohttp

    async with aiohttp.ClientSession() as s, s.ws_connect(url, ssl=ssl_ctx if ssl_ctx else None) as ws:
        return await _simple_loop(n, size, lambda m: ws.send_str(m.decode()), ws.receive)


async def c_picows(url, n, size, mode, ssl_ctx):
    from picows import WSListener, WSMsgType, ws_connect

    loop = asyncio.get_running_loop()
    msgs = [payload(i, size) for i in range(n + n // 10 + 100)]
    state = {"fut": None, "chain": None}

    class L(WSListener):
        def on_ws_frame(self, transport, frame):
            if frame.msg_type != WSMsgType.TEXT:
                return
            reply = frame.get_payload_as_bytes()
            if mode == "future":
                state["fut"].set_result(reply)
            else:  # callback style, as in picows's own benchmark
                state["chain"].on_reply(reply)

    transport, _client = await ws_connect(L, url, ssl_context=ssl_ctx)

    def send(i, _cb=None):
        transport.send(WSMsgType.TEXT, msgs[i])

    if mode == "future":
        def one(i):
            state["fut"] = loop.create_future()
            send(i)
            return state["fut"]

        res = await tc.measure_await(n, one)
    else:
        state["chain"] = tc.CallbackChain(n, send)
        res = await state["chain"].run()
    transport.disconnect()
    return res


async def _simple_loop(n, size, send, recv):
    msgs = [payload(i, size) for i in range(n + n // 10 + 100)]

    async def one(i):
        await send(msgs[i])
        await recv()

    return await tc.measure_await(n, one)


CLIENTS = {"fastorder": c_fastorder, "websockets": c_websockets, "aiohttp": c_aiohttp, "picows": c_picows}


def client_main(a) -> None:
    import ssl

    import uvloop

    ctx = None
    if a.cafile:
        ctx = ssl.create_default_context(cafile=a.cafile)
    fn = CLIENTS[a.run_client]
    tc.set_gap(a.gap / 1000)
    if a.run_client == "fastorder":
        lat, cpu = uvloop.run(fn(a.url, a.n, a.size, a.mode, ctx, a.tls_engine))
    else:
        lat, cpu = uvloop.run(fn(a.url, a.n, a.size, a.mode, ctx))
    print(json.dumps(tc.percentiles(lat, cpu)))


# ---- picows echo server for the TLS comparison --------------------------------------------------------------


def picows_server_main(a) -> None:
    import ssl

    import uvloop
    from picows import WSListener, WSMsgType, ws_create_server

    class Echo(WSListener):
        def on_ws_frame(self, transport, frame):
            if frame.msg_type == WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()
            elif frame.msg_type == WSMsgType.PING:
                transport.send_pong(frame.get_payload_as_bytes())
            else:
                transport.send(frame.msg_type, frame.get_payload_as_memoryview())

    async def main():
        ctx = None
        if a.certfile:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(a.certfile, a.keyfile)
        server = await ws_create_server(lambda _req: Echo(), "127.0.0.1", a.port, ssl=ctx)
        print("ready", flush=True)
        await server.serve_forever()

    uvloop.run(main())


# ---- orchestration --------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5000, help="measured round trips per client per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", type=int, default=200, help="message size in bytes")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    ap.add_argument("--skip-tls", action="store_true")
    ap.add_argument("--skip-spin", action="store_true")
    ap.add_argument("--markdown", type=Path, help="also write the tables here")
    ap.add_argument("--gap", type=float, default=0.0, metavar="MS",
                    help="sporadic: an idle gap of MS milliseconds before each measured round trip (every client, "
                         "the C one too; the clients' threads sleep meanwhile); the servers do not sleep between "
                         "requests only if they poll (the C peer with spin)")
    # internal: run one client / the picows server
    ap.add_argument("--run-client")
    ap.add_argument("--picows-server", action="store_true")
    ap.add_argument("--url")
    ap.add_argument("--mode", default="future")
    ap.add_argument("--cafile")
    ap.add_argument("--tls-engine", default="compiled")
    ap.add_argument("--port", type=int)
    ap.add_argument("--certfile")
    ap.add_argument("--keyfile")
    a = ap.parse_args()
    if a.run_client:
        return client_main(a)
    if a.picows_server:
        return picows_server_main(a)

    import subprocess

    work = tc.tmpdir()
    peer = tc.build_peer(work)
    out = [f"Machine: {tc.machine()}", f"Command: `python bench/transport_ws.py --n {a.n} --rounds {a.rounds} "
           f"--size {a.size}{f' --gap {a.gap:g}' if a.gap else ''}`; server on CPU {a.server_cpu}, clients on CPU {a.client_cpu}; "
           f"{a.rounds} interleaved rounds × {a.n} round trips, median over rounds.", ""]

    def py(name, url, mode="future", cafile=None, engine="compiled"):
        cmd = tc.self_cmd("transport_ws.py", "--run-client", name, "--url", url, "--n", str(a.n),
                          "--size", str(a.size), "--mode", mode, "--tls-engine", engine, "--gap", str(a.gap))
        if cafile:
            cmd += ["--cafile", cafile]
        return cmd

    def run_suite(title, server_cmd, port, clients, baselines, more_servers=()):
        rounds = {name: [] for name in clients}
        servers = [(subprocess.Popen(["taskset", "-c", str(a.server_cpu)] + cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL), p)
                   for cmd, p in [(server_cmd, port), *more_servers]]
        try:
            for srv, p in servers:
                tc.wait_port(p, srv)
            for r in range(a.rounds):
                for name, cmd in clients.items():
                    # the server's CPU per round trip over this run: the TLS rows' server is the second one
                    srv_pid = servers[1 if "TLS" in name and len(servers) > 1 else 0][0].pid
                    rounds[name].append(tc.with_server_cpu(
                        [srv_pid], lambda cmd=cmd: tc.run_client(cmd, a.client_cpu, gap_s=a.gap / 1000),
                        lambda res: res["n"] + tc.warm_up(res["n"])))
                    print(f"  [{title}] round {r + 1} {name}: p50 {rounds[name][-1]['p50'] / 1000:.1f} µs",
                          file=sys.stderr)
        finally:
            for srv, _p in servers:
                tc.stop(srv)
        summary = tc.summarize(rounds)
        t = tc.table(summary, baselines, title)
        print(t + "\n")
        out.extend([t, ""])
        return summary

    # 1. plaintext, blocking server: every client against the same C echo server
    port = tc.free_port()
    url = f"ws://127.0.0.1:{port}/"
    c_cmd = [str(peer), "ws-client", str(port), str(a.n), str(a.size)]
    run_suite("WebSocket round trip, plaintext, C echo server", [str(peer), "ws-server", str(port)], port, {
        "C client (floor)": c_cmd,
        "fastorder (await Future)": py("fastorder", url),
        "fastorder (callback)": py("fastorder", url, "cb"),
        "picows (await Future)": py("picows", url),
        "picows (callback)": py("picows", url, "cb"),
        "websockets": py("websockets", url),
        "aiohttp": py("aiohttp", url),
    }, {"C client (floor)": "C", "picows (await Future)": "picows fut", "picows (callback)": "picows cb"})

    # 2. spin: spinning C server, spinning clients
    if not a.skip_spin:
        port = tc.free_port()
        url = f"ws://127.0.0.1:{port}/"
        run_suite("WebSocket round trip, spin mode (server and client poll)",
                  [str(peer), "ws-server", str(port), "spin"], port, {
                      "C client, spinning (floor)": [str(peer), "ws-client", str(port), str(a.n), str(a.size), "spin"],
                      "fastorder spin()": py("fastorder", url, "spin"),
                  }, {"C client, spinning (floor)": "C spin"})

    # 3. TLS vs plaintext: two picows echo servers (plaintext and TLS) on the server CPU, every client's
    #    plaintext and TLS rows interleaved in the same rounds
    if not a.skip_tls:
        cert, key = tc.self_signed_cert(work)
        port, tls_port = tc.free_port(), tc.free_port()
        url, tls_url = f"ws://127.0.0.1:{port}/", f"wss://127.0.0.1:{tls_port}/"
        ca = str(cert)
        srv = tc.self_cmd("transport_ws.py", "--picows-server", "--port", str(port))
        tls_srv = tc.self_cmd("transport_ws.py", "--picows-server", "--port", str(tls_port),
                              "--certfile", str(cert), "--keyfile", str(key))
        clients = {
            "fastorder (await Future)": py("fastorder", url),
            "fastorder (await Future), TLS": py("fastorder", tls_url, cafile=ca),
            "fastorder (await Future), loop TLS": py("fastorder", tls_url, cafile=ca, engine="loop"),
            "fastorder (callback)": py("fastorder", url, "cb"),
            "fastorder (callback), TLS": py("fastorder", tls_url, "cb", cafile=ca),
            "fastorder (callback), loop TLS": py("fastorder", tls_url, "cb", cafile=ca, engine="loop"),
            "fastorder spin()": py("fastorder", url, "spin"),
            "fastorder spin(), TLS": py("fastorder", tls_url, "spin", cafile=ca),
            "fastorder (await Future), TLS, OpenSSL records": py("fastorder", tls_url, cafile=ca,
                                                                  engine="openssl-records"),
            "fastorder (callback), TLS, OpenSSL records": py("fastorder", tls_url, "cb", cafile=ca,
                                                             engine="openssl-records"),
            "picows (await Future)": py("picows", url),
            "picows (await Future), TLS": py("picows", tls_url, cafile=ca),
            "websockets": py("websockets", url),
            "websockets, TLS": py("websockets", tls_url, cafile=ca),
            "aiohttp": py("aiohttp", url),
            "aiohttp, TLS": py("aiohttp", tls_url, cafile=ca),
        }
        summary = run_suite("WebSocket round trip, picows echo servers, plaintext and TLS 1.3 rows interleaved",
                            srv, port, clients, {"picows (await Future)": "picows fut"},
                            more_servers=[(tls_srv, tls_port)])
        cost = tc.tls_cost(summary, [
            ("fastorder (await Future), TLS", "fastorder (await Future)"),
            ("fastorder (callback), TLS", "fastorder (callback)"),
            ("fastorder spin(), TLS", "fastorder spin()"),
            ("fastorder (await Future), TLS, OpenSSL records", "fastorder (await Future)"),
            ("fastorder (callback), TLS, OpenSSL records", "fastorder (callback)"),
            ("fastorder (await Future), loop TLS", "fastorder (await Future)"),
            ("fastorder (callback), loop TLS", "fastorder (callback)"),
            ("picows (await Future), TLS", "picows (await Future)"), ("websockets, TLS", "websockets"),
            ("aiohttp, TLS", "aiohttp")])
        print(cost + "\n")
        out.extend(["**What TLS costs, same run** (TLS rows: compiled TLS unless named loop TLS)", "", cost, ""])
    if a.markdown:
        a.markdown.write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
