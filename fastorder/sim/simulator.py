"""The public in-process API: :class:`Simulator` (asyncio), :class:`SimulatorThread` (its own loop in a
thread) and :class:`SimulatorProcess` (a separate ``fastorder sim`` process, e.g. pinned to another core)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from .binance import Binance, BinanceLimits
from .creds import Credentials
from .faults import FaultPlan
from .server import ALL_VENUES, EVENT_WS_PATHS, VENUES, WS_PATHS, VenueServer, is_loopback
from .tls import TestCA


class Simulator:
    """A simulated Binance / OKX / HTX on loopback sockets.

    Parameters
      venues       which venues to serve (each on its own port)
      host         bind address; only loopback unless ``allow_remote=True``
      port         0 = an ephemeral port per venue; N = venue i listens on N+i (in ``venues`` order)
      tls          serve HTTPS/WSS with a certificate from a throwaway test CA (``sim.ca_file``)
      faults       fault spec string or list (see :mod:`fastorder.sim.faults`); ``sim.faults.add(...)`` later
      seed         seeds fault decisions and generated ids
      credentials  accepted keys (:class:`fastorder.sim.creds.Credentials`; default: the documented test keys)
      binance_limits  :class:`BinanceLimits` (``BinanceLimits(enabled=False)`` for benchmarks)
      binance_env  "live" | "testnet" | "demo": the Binance environment served; keys of another environment
                   are unknown keys there (-2015), as on the venue's separate hosts
      ws_lifetime, ws_ping_interval, ws_pong_timeout   Binance WS-API keep-alive policy (s)
      okx_idle_timeout  OKX private WS idle close (s)
      okx_ws_env   "live" | "demo": the OKX environment of a WebSocket reached by a loopback host (one reached
                   by an OKX host name, e.g. through ``ws_address=``, is that host's environment)
      ws_timing_field  add ``"simProcessingUs": <µs>`` to every WS JSON reply (off by default: replies stay
                       byte-exact; the samples are always available from ``stats()``/``samples()``)
    """

    def __init__(self, venues=VENUES, host: str = "127.0.0.1", port: int = 0, tls: bool = False,
                 faults=None, seed: int = 0, credentials: Credentials | None = None,
                 binance_limits: BinanceLimits | None = None, allow_remote: bool = False,
                 ws_lifetime: float = 86400.0, ws_ping_interval: float = 20.0, ws_pong_timeout: float = 60.0,
                 okx_idle_timeout: float = 30.0, okx_limit_per_2s: int = 60, htx_limit_per_2s: int = 100,
                 ws_timing_field: bool = False, okx_ws_env: str = "live", binance_env: str = "live"):
        if isinstance(venues, str):
            venues = (venues,)
        for v in venues:
            if v not in ALL_VENUES:
                raise ValueError(f"unknown venue {v!r}; choose from {ALL_VENUES}")
        if not allow_remote and not is_loopback(host):
            raise ValueError(f"refusing to bind {host!r}: the simulator binds loopback only unless allow_remote=True")
        self.venues = tuple(venues)
        self.host = host
        self.base_port = port
        self.tls = tls
        self.seed = seed
        self.faults = faults if isinstance(faults, FaultPlan) else FaultPlan(faults, seed)
        self.credentials = credentials or Credentials.default()
        self.binance_limits = binance_limits
        self.binance_env = binance_env
        self.opts = dict(ws_lifetime=ws_lifetime, ws_ping_interval=ws_ping_interval, ws_pong_timeout=ws_pong_timeout,
                         okx_idle_timeout=okx_idle_timeout, okx_limit_per_2s=okx_limit_per_2s,
                         htx_limit_per_2s=htx_limit_per_2s, okx_ws_env=okx_ws_env)
        self.ws_timing_field = ws_timing_field
        self.ca: TestCA | None = None
        self.sites: dict[str, VenueServer] = {}
        self.apps: dict = {}

    # -- lifecycle -------------------------------------------------------------------------------------
    def _make_app(self, venue: str):
        o = self.opts
        if venue == "binance":
            return Binance(self.credentials.binance, self.binance_limits, seed=self.seed,
                           ws_lifetime=o["ws_lifetime"], ws_ping_interval=o["ws_ping_interval"],
                           ws_pong_timeout=o["ws_pong_timeout"], env=self.binance_env)
        if venue == "binance_futures":   # USDⓈ-M perpetuals: its own app and port
            from .binance_futures import BinanceFutures
            lim = self.binance_limits   # its own published limits; only "enabled" carries over
            return BinanceFutures(self.credentials.binance, None if lim is None else BinanceFutures.default_limits(
                enabled=lim.enabled), seed=self.seed, ws_lifetime=o["ws_lifetime"],
                ws_ping_interval=o["ws_ping_interval"], ws_pong_timeout=o["ws_pong_timeout"])
        if venue == "okx":
            from .okx import Okx
            return Okx(self.credentials.okx, seed=self.seed, idle_timeout=o["okx_idle_timeout"],
                       limit_per_2s=o["okx_limit_per_2s"], ws_env=o["okx_ws_env"])
        if venue == "htx_swap":   # USDT-margined swaps (the linear swap API): its own app and port
            from .htx_swap import HtxSwap
            return HtxSwap(self.credentials.htx, seed=self.seed)
        from .htx import Htx
        return Htx(self.credentials.htx, seed=self.seed, limit_per_2s=o["htx_limit_per_2s"])

    async def start(self) -> Simulator:
        loop = asyncio.get_running_loop()
        ctx = None
        if self.tls:
            self.ca = TestCA.create()
            ctx = self.ca.server_context()
        try:
            for i, v in enumerate(self.venues):
                app = self._make_app(v)
                self.apps[v] = app
                port = self.base_port + i if self.base_port else 0
                site = VenueServer(v, app, self.faults, self.host, port, ctx, loop)
                site.ws_timing_field = self.ws_timing_field
                site.ca = self.ca
                await site.start()
                self.sites[v] = site
        except BaseException:
            await self.stop()
            raise
        return self

    async def stop(self) -> None:
        for site in list(self.sites.values()):
            await site.close()
        if self.ca is not None:  # the throwaway CA and key go with the simulator
            shutil.rmtree(self.ca.directory, ignore_errors=True)

    async def __aenter__(self) -> Simulator:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    # -- addresses -------------------------------------------------------------------------------------
    def port(self, venue: str) -> int:
        return self.sites[venue].port

    def url(self, venue: str, kind: str = "rest") -> str:
        """``kind`` = "rest" (http[s]://host:port) or "ws" (ws[s]://host:port/<venue's WS path>)."""
        site = self.sites[venue]
        host = f"[{self.host}]" if ":" in self.host else self.host
        if kind == "rest":
            return f"{'https' if self.tls else 'http'}://{host}:{site.port}"
        if kind == "events":   # the private order stream's endpoint (HTX: /ws/v2, no order entry)
            path = EVENT_WS_PATHS.get(venue)
            if path is None:
                raise ValueError(f"{venue}: no private order stream in the simulator yet")
            return f"{'wss' if self.tls else 'ws'}://{host}:{site.port}{path}"
        if kind == "ws":
            path = WS_PATHS[venue]
            if path is None:
                raise ValueError(f"{venue} has no WebSocket order entry")
            return f"{'wss' if self.tls else 'ws'}://{host}:{site.port}{path}"
        raise ValueError("kind must be 'rest' or 'ws'")

    def urls(self) -> dict:
        out = {}
        for v in self.venues:
            out[v] = {"rest": self.url(v, "rest")}
            if v in EVENT_WS_PATHS:   # (the futures user data stream is not simulated yet)
                out[v]["events"] = self.url(v, "events")
            if WS_PATHS[v]:
                out[v]["ws"] = self.url(v, "ws")
        return out

    @property
    def ca_file(self) -> str | None:
        return self.ca.ca_file if self.ca else None

    def client_ssl_context(self):
        """An ``ssl.SSLContext`` that trusts the simulator's test CA (verification on)."""
        return self.ca.client_context() if self.ca else None

    # -- inspection ------------------------------------------------------------------------------------
    def exchange(self, venue: str):
        """The venue's :class:`fastorder.sim.book.Exchange` (books, accounts, orders)."""
        return self.apps[venue].ex

    def orders(self, venue: str) -> list[dict]:
        """The simulator's true order state: every order ever accepted. Venue-neutral dicts (``status`` is
        NEW/PARTIALLY_FILLED/FILLED/CANCELED/EXPIRED/EXPIRED_IN_MATCH) plus ``venue_status``, the status word
        the venue itself reports (e.g. OKX ``live``, HTX ``partial-canceled``)."""
        return self.apps[venue].snapshot()

    def order(self, venue: str, order_id=None, client_order_id: str | None = None, account: str = "main"):
        """One order by id or client id (None if unknown), as in :meth:`orders`."""
        app = self.apps[venue]
        o = app.ex.find(account, int(order_id) if order_id is not None else None, client_order_id)
        if o is None:
            return None
        d = o.snapshot()
        d["venue_status"] = app.venue_status(o)
        return d

    def balances(self, venue: str, account: str = "main") -> dict:
        return {a: (f, lk) for a, (f, lk) in self.apps[venue].ex.account(account).balances.items()}

    def stats(self, venue: str | None = None) -> dict:
        """Processing-time percentiles (µs) per venue and transport."""
        if venue is not None:
            return self.sites[venue].stats.summary()
        return {v: s.stats.summary() for v, s in self.sites.items()}

    def samples(self, venue: str, transport: str = "rest") -> list[float]:
        return list(self.sites[venue].stats.samples[transport])

    def reset_stats(self) -> None:
        for s in self.sites.values():
            s.stats.reset()

    async def restart(self, venue: str, down_s: float = 0.2) -> None:
        await self.sites[venue].restart(down_s)

    def ws_shutdown(self, venue: str = "binance") -> None:
        """Binance: send ``serverShutdown`` on every WS-API connection and close them."""
        self.apps[venue].shutdown_ws()

    def ws_upgrade_notice(self, close_after_s: float = 60.0, venue: str = "okx") -> int:
        """OKX: send the ``64008`` service-upgrade notice on every private WebSocket and close each one
        ``close_after_s`` later. Returns how many connections were told."""
        return self.apps[venue].upgrade_notice(close_after_s)


class SimulatorThread:
    """Run a :class:`Simulator` on its own event loop (uvloop if installed) in a daemon thread.

        with SimulatorThread(venues=("binance",)) as sim:
            sim.url("binance", "rest")
    """

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.sim: Simulator | None = None
        self.loop = None
        self._thread = None
        self._ready = threading.Event()
        self._error = None

    def start(self) -> Simulator:
        def run():
            try:
                import uvloop
                self.loop = uvloop.new_event_loop()
            except ImportError:  # pragma: no cover
                self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            try:
                self.sim = self.loop.run_until_complete(Simulator(**self.kwargs).start())
            except BaseException as e:  # noqa: BLE001 - reported to the caller
                self._error = e
                self._ready.set()
                return
            self._ready.set()
            self.loop.run_forever()
            self.loop.run_until_complete(self.sim.stop())
            self.loop.close()

        self._thread = threading.Thread(target=run, name="fastorder-sim", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self.sim

    def call(self, fn, *args):
        """Run ``fn(*args)`` on the simulator's loop and return its result (thread-safe)."""
        async def _c():
            r = fn(*args)
            if asyncio.iscoroutine(r):
                r = await r
            return r
        return asyncio.run_coroutine_threadsafe(_c(), self.loop).result(30)

    def stop(self) -> None:
        if self.loop is not None and self._thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(30)
            self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class SimulatorProcess:
    """``fastorder sim`` in a child process (``python -m fastorder.sim.cli``), optionally pinned to CPUs.

        with SimulatorProcess(venues=("binance",), cpus=[1], extra_args=["--no-rate-limits"]) as p:
            p.urls["binance"]["rest"];  p.orders("binance");  p.stats("binance")
    """

    def __init__(self, venues=VENUES, port: int = 0, tls: bool = False, faults: str | None = None, seed: int = 0,
                 cpus: list[int] | None = None, extra_args: list[str] | None = None, timeout: float = 30.0):
        self.args = [sys.executable, "-m", "fastorder.sim.cli", "--port", str(port), "--seed", str(seed),
                     "--ready-json"]
        for v in venues:
            self.args += ["--venue", v]
        if tls:
            self.args.append("--tls")
        if faults:
            self.args += ["--fault", faults]
        if cpus:
            self.args += ["--cpus", ",".join(map(str, cpus))]
        self.args += extra_args or []
        self.timeout = timeout
        self.proc = None
        self.info: dict = {}

    def start(self) -> SimulatorProcess:
        # `python -m` puts the working directory first on sys.path: from a source checkout that would import
        # the uncompiled tree instead of the installed package, so the child starts elsewhere
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     cwd=tempfile.gettempdir(),
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONSAFEPATH": "1"})
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                err = self.proc.stderr.read()
                raise RuntimeError(f"simulator process exited: {err[-2000:]}")
            if line.startswith("{"):
                self.info = json.loads(line)
                return self
        self.stop()
        raise TimeoutError("simulator process did not report readiness")

    @property
    def urls(self) -> dict:
        return self.info["urls"]

    @property
    def ca_file(self) -> str | None:
        return self.info.get("ca_file")

    def _admin(self, venue: str, path: str):
        base = self.urls[venue]["rest"]
        if base.startswith("https"):
            import ssl
            ctx = ssl.create_default_context(cafile=self.ca_file)
        else:
            ctx = None
        with urllib.request.urlopen(base + path, timeout=10, context=ctx) as r:  # loopback only
            return json.loads(r.read())

    def orders(self, venue: str) -> list[dict]:
        return self._admin(venue, "/_sim/orders")

    def stats(self, venue: str, samples: bool = False) -> dict:
        return self._admin(venue, "/_sim/stats" + ("?samples=1" if samples else ""))

    def add_faults(self, spec: str, venue: str | None = None) -> dict:
        """Add faults (spec syntax of :mod:`fastorder.sim.faults`) to the running process; the fault plan is
        shared by all venues of the process (use ``venue=`` inside the spec to target one)."""
        return self._admin_call(venue or next(iter(self.urls)), "/_sim/faults", "POST", spec.encode())

    def clear_faults(self) -> dict:
        return self._admin_call(next(iter(self.urls)), "/_sim/faults", "DELETE")

    def _admin_call(self, venue: str, path: str, method: str, body: bytes | None = None):
        base = self.urls[venue]["rest"]
        ctx = None
        if base.startswith("https"):
            import ssl
            ctx = ssl.create_default_context(cafile=self.ca_file)
        req = urllib.request.Request(base + path, data=body, method=method)
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:  # loopback only
            return json.loads(r.read())

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc is not None:
            for f in (self.proc.stdout, self.proc.stderr):
                if f:
                    f.close()

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
