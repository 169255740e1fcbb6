"""`fastorder bench --rtt`: the duration argument, the netem check, the userspace delay relay (it really delays,
keeps bytes and their order, propagates half-close and close) and a small end-to-end run.

Timing assertions are lower bounds (the relay never delivers early) and loose medians: this runs on noisy
shared machines."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
import time

import pytest

from fastorder.net.relay import RelayProcess
from fastorder.net.rtt import NetemPair, netem_status, parse_duration_us

LINUX = sys.platform.startswith("linux")
pytestmark = pytest.mark.skipif(not LINUX, reason="the relay and netem are Linux-only")


def bench(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastorder.cli", "bench", *args], capture_output=True, text=True,
                          timeout=timeout, cwd="/")


# -- the argument --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, us", [("0.5ms", 500.0), ("500us", 500.0), ("1ms", 1000.0), ("500µs", 500.0),
                                      ("250 us", 250.0), ("0.002s", 2000.0), (".5ms", 500.0)])
def test_durations(text, us):
    assert parse_duration_us(text) == pytest.approx(us)


@pytest.mark.parametrize("text", ["", "5", "ms", "1 ms ms", "-1ms", "0ms", "2s", "1msx", "1e3us", "fast"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration_us(text)


@pytest.mark.parametrize("value", ["garbage", "5", "0us"])
def test_cli_refuses_a_bad_rtt(value):
    res = bench("--rtt", value, "--orders", "5", "--no-baselines")
    assert res.returncode == 2
    assert "--rtt" in res.stderr and "Traceback" not in res.stderr


def test_cli_refuses_spin_where_it_cannot_work():
    for extra in (["--tls", "--tls-engine", "loop"], ["--inflight", "2"], ["--rate", "100"]):
        res = bench("--spin", "--orders", "5", "--no-baselines", *extra)
        assert res.returncode == 2 and "--spin" in res.stderr, extra


# -- netem -----------------------------------------------------------------------------------------------------

def test_netem_needs_root(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    st = netem_status()
    assert not st.available and "needs root" in st.reason


def test_netem_check_is_real_and_leaves_nothing_behind():
    before = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout if os.geteuid() == 0 \
        else ""
    st = netem_status()
    if st.available:
        assert st.reason == ""
    else:
        assert st.reason   # says why: no root, no sch_netem, no iproute2
    if os.geteuid() == 0:
        after = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert "fastorder-probe" not in after and before.count("\n") == after.count("\n")


def test_cli_netem_method_says_why_it_cannot_run():
    if netem_status().available:
        pytest.skip("netem works here")
    res = bench("--rtt", "1ms", "--rtt-method", "netem", "--orders", "5", "--no-baselines")
    assert res.returncode == 2
    assert "netem is not available" in res.stderr
    assert "sch_netem" in res.stderr or "root" in res.stderr or "iproute2" in res.stderr


@pytest.mark.skipif(not LINUX or os.geteuid() != 0, reason="namespaces need root")
def test_namespace_pair_carries_traffic_and_is_removed():
    """The netem path's plumbing (namespace, veth, addresses) without the qdisc, which this kernel may lack."""
    pair = NetemPair(1000).setup()
    try:
        srv = subprocess.Popen(pair.wrap([sys.executable, "-c", (
            "import socket,sys;s=socket.socket();s.bind((sys.argv[1],0));s.listen();print(s.getsockname()[1],"
            "flush=True);c,_=s.accept();c.sendall(c.recv(100)[::-1])"), pair.server_ip]),
            stdout=subprocess.PIPE, text=True)
        try:
            port = int(srv.stdout.readline())
            with socket.create_connection((pair.server_ip, port), timeout=5) as c:
                c.sendall(b"veth")
                assert c.recv(100) == b"htev"
        finally:
            srv.kill()
            srv.wait(5)
            srv.stdout.close()
    finally:
        pair.teardown()
    assert pair.ns not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert subprocess.run(["ip", "link", "show", pair.host_if], capture_output=True).returncode != 0


# -- the relay ------------------------------------------------------------------------------------------------

class EchoServer:
    """A threaded echo server; `mode='reverse-on-eof'` reads to EOF, then sends everything back reversed in
    chunks and closes (tests half-close and close through the relay)."""

    def __init__(self, mode: str = "echo") -> None:
        self.mode = mode
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(c,), daemon=True).start()

    def _one(self, c: socket.socket) -> None:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with c:
            if self.mode == "echo":
                while data := c.recv(65536):
                    c.sendall(data)
            else:
                got = bytearray()
                while data := c.recv(65536):
                    got += data
                out = bytes(got[::-1])
                for i in range(0, len(out), 7000):
                    c.sendall(out[i:i + 7000])

    def close(self) -> None:
        self.sock.close()


def _connect(port: int) -> socket.socket:
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def test_relay_holds_every_round_trip_for_the_rtt():
    echo = EchoServer()
    try:
        with RelayProcess([("127.0.0.1", echo.port)], delay_us=1000) as relay:   # a 2 ms round trip
            with _connect(relay.ports[("127.0.0.1", echo.port)]) as c:
                msg = b"o" * 200
                rtts = []
                for _ in range(200):
                    t0 = time.perf_counter_ns()
                    c.sendall(msg)
                    got = 0
                    while got < len(msg):
                        got += len(c.recv(4096))
                    rtts.append((time.perf_counter_ns() - t0) / 1000)
            st = relay.stats()
    finally:
        echo.close()
    rtts.sort()
    assert rtts[0] >= 2000, rtts[:5]                        # never early
    assert rtts[len(rtts) // 2] < 3000, rtts[len(rtts) // 2]   # and on a quiet machine within ~0.1 ms
    assert st["chunks"] >= 400 and st["delay_ns"] == 1_000_000
    assert st["p50_error_ns"] < 500_000                      # its own error, measured: small next to the hold
    assert st["no_stamp"] <= st["chunks"]


def test_relay_keeps_bytes_and_order_and_propagates_half_close_and_close():
    echo = EchoServer(mode="reverse-on-eof")
    rnd = random.Random(7)
    payload = bytes(rnd.getrandbits(8) for _ in range(600_000))
    try:
        with RelayProcess([("127.0.0.1", echo.port)], delay_us=200) as relay:
            port = relay.ports[("127.0.0.1", echo.port)]
            with _connect(port) as c:
                i = 0
                while i < len(payload):          # writes of random sizes, each one chunk or several
                    n = rnd.choice((1, 13, 200, 1500, 9000, 70_000))
                    c.sendall(payload[i:i + n])
                    i += n
                c.shutdown(socket.SHUT_WR)       # half-close: the server reads to EOF only if it is forwarded
                back = bytearray()
                while data := c.recv(65536):     # and the server's close must reach us as EOF
                    back += data
            assert bytes(back) == payload[::-1]
            # a connection the target refuses is closed, not left hanging
            dead = socket.socket()
            dead.bind(("127.0.0.1", 0))
            dead_port = dead.getsockname()[1]
            dead.close()
    finally:
        echo.close()
    with RelayProcess([("127.0.0.1", dead_port)], delay_us=100) as relay:
        with _connect(relay.ports[("127.0.0.1", dead_port)]) as c:
            try:
                assert c.recv(10) == b""
            except ConnectionResetError:
                pass
        assert relay.stats()["connections_closed"] == 1


def test_relay_is_loopback_only():
    with pytest.raises(ValueError):
        RelayProcess([("10.0.0.1", 80)], delay_us=100)


# -- end to end -------------------------------------------------------------------------------------------------

def test_bench_with_an_emulated_round_trip(tmp_path):
    out = tmp_path / "r.json"
    res = bench("--rtt", "1ms", "--orders", "50", "--warmup", "10", "--no-baselines", "--rows", "binance",
                "--json", str(out))
    assert res.returncode == 0, res.stderr[-3000:]
    data = json.loads(out.read_text())
    net = data["network"]
    assert net["rtt_us"] == 1000 and net["method"] in ("netem", "relay")
    if net["method"] == "relay":
        assert net["description"].startswith("userspace relay: ") and "relay adds" in net["description"]
        assert net["relay"]["chunks"] > 0
    else:
        assert net["description"].startswith("netem in a namespace pair")
    assert net["description"] in res.stdout
    rows = {r["name"]: r for r in data["rows"]}
    for name in ("fastorder binance rest", "fastorder binance ws"):
        assert rows[name]["path"] == "rtt" and rows[name]["ok"] == 50
        assert rows[name]["latency_us"]["p50"] >= 1000
        ref = [r for r in data["rows"] if r["kind"] == "reference" and r["name"].startswith(name + " [")]
        assert len(ref) == 1 and ref[0]["latency_us"]["p50"] < rows[name]["latency_us"]["p50"]
    check = {c["row"]: c for c in data["rtt_check"]}
    assert set(check) == {"fastorder binance rest", "fastorder binance ws"}
    for c in check.values():
        assert c["limit_us"] == pytest.approx(1000 + 1.2 * c["loopback_p50_us"]) and isinstance(c["pass"], bool)
    assert "RTT target" in res.stdout and "against the nominal RTT, 1000 µs" in res.stdout
    if net["method"] == "relay":   # the path's round trip measured with a ping-pong, and the check against it
        m = net["measured_rtt"]
        assert m["pings_each"] > 0 and m["rtt_us"] == pytest.approx(m["through_path_p50_us"] - m["loopback_p50_us"])
        assert len(m["runs"]) == 2 and m["wait"] == "blocking recv"
        for c in check.values():
            assert c["measured_rtt_us"] == m["rtt_us"] and isinstance(c["pass_measured"], bool)
            assert c["limit_measured_us"] == pytest.approx(m["rtt_us"] + 1.2 * c["loopback_p50_us"])
        assert "against the test bed's measured RTT" in res.stdout
    # the idle setting is read and printed, never changed without --halt-poll
    assert data["cpuidle"]["changed_for_run"] is False and "cpuidle: " in res.stdout


def test_bench_spin_mode(tmp_path):
    out = tmp_path / "r.json"
    res = bench("--rows", "okx-ws", "binance-rest", "--orders", "50", "--warmup", "10", "--no-baselines",
                "--spin", "--json", str(out))
    assert res.returncode == 0, res.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["settings"]["spin"] is True
    assert {r["name"] for r in data["rows"]} == {"fastorder okx ws spin", "fastorder binance rest spin"}
    for r in data["rows"]:
        assert r["mode"] == "spin" and r["ok"] == 50 and r["failed"] == 0
