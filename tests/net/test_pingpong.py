"""The measured round trip of an emulated path (fastorder.net.pingpong): the echo server echoes every byte, a
ping-pong returns one sample per round trip in both ways of waiting, and through the delay relay it can never
be shorter than the relay's hold. No assertion on how fast anything is beyond that guaranteed lower bound."""

from __future__ import annotations

import sys

import pytest

from fastorder.net.pingpong import SIZE, EchoProcess, connect, measure_path, ping
from fastorder.net.relay import RelayProcess

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the relay is Linux-only")


def test_echo_and_ping_in_both_waiting_modes():
    with EchoProcess() as echo:
        with connect(echo.port) as c:
            c.sendall(b"hello")
            assert c.recv(100) == b"hello"
            for spin in (False, True):
                xs = ping(c, 25, spin=spin)
                assert len(xs) == 25 and all(x > 0 for x in xs)
    assert echo.proc is None


def test_measure_path_through_the_relay_is_never_shorter_than_its_hold():
    with EchoProcess() as echo, RelayProcess([("127.0.0.1", echo.port)], delay_us=300) as relay:
        m = measure_path(echo.port, relay.ports[("127.0.0.1", echo.port)], n=40, rounds=4, warmup=3)
    assert m["pings_each"] == 40 and len(m["direct_us"]) == 40 and len(m["through_path_us"]) == 40
    assert m["size_bytes"] == SIZE and m["wait"] == "blocking recv"
    assert min(m["through_path_us"]) >= 600 and m["path_min_us"] >= 600     # two 300 µs holds per round trip
    assert m["rtt_us"] == pytest.approx(m["through_path_p50_us"] - m["loopback_p50_us"])


def test_echo_process_exits_with_its_parent_pipe():
    echo = EchoProcess().start()
    proc = echo.proc
    echo.stop()
    assert proc.returncode is not None
