"""Probe every address of an endpoint and find the fastest — measured the way an order travels.

For each resolved address, N samples of: the TCP connect time, the TLS handshake time (with the hostname's SNI
and certificate check), and an application round trip over that warm connection (a cheap public endpoint,
e.g. Binance `/api/v3/ping`). A SYN to port 80 of a CDN name only measures the CDN edge, and one sample is
noise (docs/deploy.md §4); the recommendation is by the application round trip's median.

Every loop is bounded (samples, per-step timeouts); an unreachable host gives a clear error row, no hang.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from fastorder.transport.http import HttpResponseParser

# Each venue's documented REST hostnames and a cheap public endpoint. Sources: Binance
# https://developers.binance.com/docs/binance-spot-api-docs/rest-api/general-api-information (base endpoints),
# OKX https://www.okx.com/docs-v5/en/#overview-production-trading-services,
# HTX https://huobiapi.github.io/docs/spot/v1/en/#access-urls.
VENUE_HOSTS: dict[str, list[tuple[str, int, str]]] = {
    "binance": [(h, 443, "/api/v3/ping") for h in ("api.binance.com", "api-gcp.binance.com", "api1.binance.com",
                                                    "api2.binance.com", "api3.binance.com", "api4.binance.com")],
    "okx": [(h, 443, "/api/v5/public/time") for h in ("www.okx.com", "aws.okx.com")],
    "htx": [(h, 443, "/v1/common/timestamp") for h in ("api.huobi.pro", "api-aws.huobi.pro")],
}
MAX_SAMPLES = 100


@dataclass
class AddressResult:
    address: str
    connect_us: list[float] = field(default_factory=list)
    tls_us: list[float] = field(default_factory=list)
    app_us: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @staticmethod
    def _p(xs: list[float], q: float) -> float | None:
        if not xs:
            return None
        if q == 0.5:
            return statistics.median(xs)
        s = sorted(xs)
        return s[min(len(s) - 1, int(q * len(s)))]

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {"address": self.address, "samples": len(self.app_us or self.connect_us),
                               "errors": self.errors[:3]}
        for name, xs in (("connect", self.connect_us), ("tls", self.tls_us), ("app", self.app_us)):
            out[f"{name}_p50_us"] = self._p(xs, 0.5)
            out[f"{name}_p90_us"] = self._p(xs, 0.9)
        return out

    @property
    def score(self) -> float:
        """What 'fastest' means: the median application round trip, else TLS, else connect time."""
        for xs in (self.app_us, self.tls_us, self.connect_us):
            if xs:
                return statistics.median(xs)
        return float("inf")


@dataclass
class HostResult:
    host: str
    port: int
    path: str
    tls: bool
    addresses: list[AddressResult] = field(default_factory=list)
    error: str = ""

    @property
    def best(self) -> AddressResult | None:
        ok = [a for a in self.addresses if a.score != float("inf")]
        return min(ok, key=lambda a: a.score) if ok else None


class _Sink(asyncio.Protocol):
    """Collects one HTTP response (the probe's own tiny client; not the order path)."""

    def __init__(self) -> None:
        self.parser = HttpResponseParser()
        self.waiter: asyncio.Future | None = None
        self.lost: asyncio.Future = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        try:
            done = self.parser.feed(data)
        except Exception as exc:
            if self.waiter and not self.waiter.done():
                self.waiter.set_exception(exc)
            return
        if done and self.waiter and not self.waiter.done():
            self.waiter.set_result(done[0])

    def connection_lost(self, exc: BaseException | None) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)
        if self.waiter and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed before the reply"))


async def resolve(host: str, port: int, timeout: float = 2.0) -> list[str]:
    """Every A/AAAA address of host (IPv4 first, then IPv6, each deduplicated)."""
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
    seen: list[str] = []
    for fam in (socket.AF_INET, socket.AF_INET6):
        for f, _t, _p, _c, sa in infos:
            if f == fam and str(sa[0]) not in seen:
                seen.append(str(sa[0]))
    return seen


async def _one_sample(host: str, address: str, port: int, path: str, tls: bool, ctx: ssl.SSLContext | None,
                      timeout: float, res: AddressResult) -> None:
    loop = asyncio.get_running_loop()
    perf = time.perf_counter_ns
    t0 = perf()
    tr, proto = await asyncio.wait_for(loop.create_connection(_Sink, address, port), timeout)
    try:
        res.connect_us.append((perf() - t0) / 1000)
        if tls:
            t1 = perf()
            tls_tr = await asyncio.wait_for(
                loop.start_tls(tr, proto, ctx or ssl.create_default_context(), server_hostname=host), timeout)
            assert tls_tr is not None   # start_tls returns None only for a transport that is closing
            tr = tls_tr
            res.tls_us.append((perf() - t1) / 1000)
        hosthdr = host if port in (80, 443) else f"{host}:{port}"
        req = f"GET {path} HTTP/1.1\r\nHost: {hosthdr}\r\nUser-Agent: fastorder-probe\r\n\r\n".encode()
        for _ in range(2):   # the first request warms the connection; the second is the sample
            proto.waiter = loop.create_future()
            t2 = perf()
            tr.write(req)
            resp = await asyncio.wait_for(proto.waiter, timeout)
            dt = (perf() - t2) / 1000
        res.app_us.append(dt)
        if resp.status >= 500:
            res.errors.append(f"HTTP {resp.status} from {path}")
    finally:
        tr.close()


async def probe_host(host: str, port: int = 443, path: str = "/", *, tls: bool = True,
                     ssl_context: ssl.SSLContext | None = None, samples: int = 5, timeout: float = 1.0,
                     addresses: list[str] | None = None) -> HostResult:
    """Probe every address of host. `addresses` skips DNS (tests, or addresses known from elsewhere)."""
    samples = max(1, min(samples, MAX_SAMPLES))
    out = HostResult(host, port, path, tls)
    try:
        addrs = addresses if addresses is not None else await resolve(host, port, timeout=max(timeout, 2.0))
    except (OSError, asyncio.TimeoutError) as exc:
        out.error = f"cannot resolve {host}: {exc or type(exc).__name__}"
        return out
    for addr in addrs:
        res = AddressResult(addr)
        out.addresses.append(res)
        for _ in range(samples):
            try:
                await _one_sample(host, addr, port, path, tls, ssl_context, timeout, res)
            except (OSError, asyncio.TimeoutError, ssl.SSLError, ConnectionError) as exc:
                res.errors.append(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
                if len(res.errors) >= 2 and not res.app_us:
                    break   # unreachable: don't spend every sample's timeout on it
    return out


def parse_target(text: str) -> tuple[str, int]:
    """'host', 'host:port', '[::1]:443' -> (host, port)."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest.lstrip(":") or 443)
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, int(port)
    return text, 443
