"""An emulated network round trip between a client and a local server, so a benchmark can show what software
adds on top of a real RTT (`fastorder bench --rtt 1ms`).

Two ways, best first:
  netem   a network namespace for the server, joined to this one by a veth pair with `tc qdisc … netem
          delay RTT/2` on each end: the kernel delays every packet. Needs root and a kernel with sch_netem;
          availability is checked for real (the qdisc is added in a scratch namespace, which is always removed).
  relay   fastorder.net.relay: a userspace relay on loopback that holds every chunk for RTT/2 in each direction,
          for kernels without sch_netem (or without root). It measures and reports its own error.

Only loopback and namespaces created here are ever used; the veth addresses come from 198.18.0.0/15, the
range reserved for benchmarking (RFC 2544), and the pair exists only for the run.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ns|us|µs|μs|ms|s)\s*$")
_UNIT_US = {"ns": 1e-3, "us": 1.0, "µs": 1.0, "μs": 1.0, "ms": 1e3, "s": 1e6}
MAX_RTT_US = 1_000_000.0


def parse_duration_us(text: str) -> float:
    """'0.5ms', '500us', '1ms', '0.001s' -> microseconds. A unit is required; 0 < value <= 1 s."""
    m = _DURATION.match(text or "")
    if not m:
        raise ValueError(f"{text!r} is not a duration: write a number and a unit, e.g. 0.5ms, 500us, 1ms")
    us = float(m.group(1)) * _UNIT_US[m.group(2)]
    if not 0 < us <= MAX_RTT_US:
        raise ValueError(f"{text!r}: the round trip must be more than 0 and at most 1s")
    return us


@dataclass
class NetemStatus:
    available: bool
    reason: str          # why not (empty when available)


def _run(args: list[str], timeout: float = 10.0) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def netem_status() -> NetemStatus:
    """Can the netem path run here? Tries it: a scratch namespace, `tc qdisc add dev lo root netem delay 1ms`
    inside it, then the namespace is deleted whatever happened."""
    if not os.path.exists("/proc/net"):
        return NetemStatus(False, "netem needs Linux")
    if os.geteuid() != 0:
        return NetemStatus(False, "netem in a namespace pair needs root (CAP_NET_ADMIN to create namespaces, "
                                  "veth links and qdiscs); run as root, or use the userspace relay")
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            return NetemStatus(False, f"netem needs the '{tool}' command (iproute2)")
    ns = f"fastorder-probe-{os.getpid()}"
    try:
        r = _run(["ip", "netns", "add", ns])
        if r.returncode != 0:
            return NetemStatus(False, f"cannot create a network namespace: {r.stderr.strip()}")
        _run(["ip", "-n", ns, "link", "set", "lo", "up"])
        r = _run(["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"])
        if r.returncode != 0:
            msg = r.stderr.strip()
            if "unknown" in msg.lower():
                return NetemStatus(False, f"kernel has no sch_netem (tc: {msg!r})")
            return NetemStatus(False, f"netem qdisc refused: {msg}")
        return NetemStatus(True, "")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return NetemStatus(False, f"netem check failed: {exc}")
    finally:
        try:
            _run(["ip", "netns", "del", ns])
        except (OSError, subprocess.TimeoutExpired):
            pass


class NetemPair:
    """A namespace for the server and a veth pair to it; `add_delay()` puts netem delay RTT/2 on both ends.

        pair = NetemPair(rtt_us=1000).setup()
        try:
            cmd = pair.wrap([...server command...])        # runs inside the namespace
            ... connect to pair.server_ip ...
            pair.add_delay()
        finally:
            pair.teardown()
    """

    def __init__(self, rtt_us: float, tag: int | None = None) -> None:
        k = (os.getpid() if tag is None else tag) % 16384
        self.rtt_us = rtt_us
        self.ns = f"fastorder-bench-{k}"
        self.host_if, self.ns_if = f"fob{k}h", f"fob{k}n"       # interface names: at most 15 characters
        block = ipaddress.IPv4Address("198.18.0.0") + 4 * k      # 198.18.0.0/15, one /30 per pair
        self.host_ip, self.server_ip = str(block + 1), str(block + 2)
        self.delayed = False
        self._made: list[str] = []

    def _must(self, args: list[str]) -> None:
        r = _run(args)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()}")

    def setup(self) -> NetemPair:
        try:
            self._must(["ip", "netns", "add", self.ns])
            self._made.append("ns")
            self._must(["ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if])
            self._made.append("link")
            self._must(["ip", "link", "set", self.ns_if, "netns", self.ns])
            self._must(["ip", "addr", "add", f"{self.host_ip}/30", "dev", self.host_if])
            self._must(["ip", "link", "set", self.host_if, "up"])
            self._must(["ip", "-n", self.ns, "addr", "add", f"{self.server_ip}/30", "dev", self.ns_if])
            self._must(["ip", "-n", self.ns, "link", "set", self.ns_if, "up"])
            self._must(["ip", "-n", self.ns, "link", "set", "lo", "up"])
        except BaseException:
            self.teardown()
            raise
        return self

    def wrap(self, command: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.ns, *command]

    def add_delay(self) -> None:
        half = f"{self.rtt_us / 2:.3f}us"
        self._must(["tc", "qdisc", "add", "dev", self.host_if, "root", "netem", "delay", half])
        self._must(["tc", "-n", self.ns, "qdisc", "add", "dev", self.ns_if, "root", "netem", "delay", half])
        self.delayed = True

    def describe(self) -> str:
        return (f"netem in a namespace pair (veth {self.host_if} {self.host_ip} <-> {self.ns}:{self.ns_if} "
                f"{self.server_ip}, netem delay {self.rtt_us / 2:g} µs on each end)")

    def teardown(self) -> None:
        if "link" in self._made:
            _run(["ip", "link", "del", self.host_if])   # deletes both ends (and their qdiscs)
        if "ns" in self._made:
            _run(["ip", "netns", "del", self.ns])
        self._made.clear()
        self.delayed = False
