"""`fastorder bench`: the embedded simulator in its own pinned process, every venue x transport through
fastorder, and the baselines, measured in one run with the same orders.

Every order is an IOC limit buy far below the book (it expires at once, so nothing piles up on the book and
every row sends identical work); every reply is matched to its client order id and checked.
Latency is measured around each call (closed loop) or from each order's intended send time (open loop,
`--rate`, which corrects for coordinated omission). Every row's sender stays open for the whole run and the
rows take turns, in ROUNDS rounds, so a drift of this shared machine touches every row alike.

`--rtt 1ms` puts an emulated network round trip between client and simulator (fastorder.net.rtt: netem in a
namespace pair where the kernel has it, else the userspace delay relay), after a loopback pass of the same
fastorder rows, so the report can say what fastorder adds on top of the RTT. `--spin` makes the fastorder rows
wait for replies by polling the socket (Session spin_us) instead of sleeping in epoll.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import platform
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import fastorder
from fastorder._core.ids import ClientIdGenerator
from fastorder.sim import SimulatorProcess, creds
from fastorder.sim.server import ALL_VENUES
from fastorder.tune.gcmon import GcMonitor
from fastorder.venues.warm import DEFAULT_INTERVAL as DEFAULT_WARM_INTERVAL

PRICE, QTY = "46000", "0.001"
FASTORDER_ROWS = [("binance", "rest"), ("binance", "ws"), ("okx", "rest"), ("okx", "ws"), ("htx", "rest")]
# perpetual swaps beside the spot rows: the simulator's venue name -> connect(venue, market="perp")
PERP_ROWS = [("binance_futures", "rest"), ("binance_futures", "ws"), ("okx_swap", "rest"), ("okx_swap", "ws"),
             ("htx_swap", "rest")]
PERP_VENUE = {"binance_futures": "binance", "okx_swap": "okx", "htx_swap": "htx"}
# rows whose orders go to another simulator venue (OKX serves its swaps beside spot, on the same port)
SIM_VENUE = {"okx_swap": "okx"}
SYMBOL = {"binance": "BTCUSDT", "okx": "BTC-USDT", "htx": "btcusdt", "binance_futures": "BTCUSDT",
          "okx_swap": "BTC-USDT-SWAP", "htx_swap": "BTC-USDT"}
# the perp's MIN_NOTIONAL is 100 USDT: 0.003 BTC at PRICE (the spot rows' 0.001 is 46 USDT); an OKX
# BTC-USDT-SWAP contract is 0.01 BTC (its lot: one contract)
QTY_FOR = {"binance_futures": "0.003", "okx_swap": "0.01"}
ACCOUNTS = {
    "binance": dict(key=creds.BINANCE_HMAC_KEY, secret=creds.BINANCE_HMAC_SECRET),
    "okx": dict(key=creds.OKX_KEY, secret=creds.OKX_SECRET, passphrase=creds.OKX_PASSPHRASE),
    "htx": dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET, account_id=creds.HTX_ACCOUNT_ID),
}
ACCOUNTS["binance_futures"] = ACCOUNTS["binance"]
ACCOUNTS["okx_swap"] = ACCOUNTS["okx"]
ACCOUNTS["htx_swap"] = dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET)   # 0.001 BTC: one contract
# venues whose client order ids are integers (HTX swaps): the row sends the session's own id for each of the
# run's ids and checks the reply against it
INTEGER_IDS = frozenset(("htx_swap",))
# baseline -> (venue, transport, share of --orders it sends: the slow ones send fewer)
BASELINE_ROWS = {"aiohttp": ("binance", "rest", 1.0), "aiohttp-per-order": ("binance", "rest", 0.2),
                 "websockets": ("binance", "ws", 1.0), "ccxt": ("binance", "rest", 0.5)}


@dataclass
class Settings:
    orders: int = 2000
    warmup: int = 300
    rows: list[str] = field(default_factory=list)     # empty: all
    baselines: bool = True
    tls: bool = False
    tls_engine: str = "compiled"   # with tls: the fastorder rows' TLS engine (compiled | loop)
    rate: float = 0.0            # orders per second (open loop); 0 = closed loop
    inflight: int = 1
    pin: bool = True
    gc_freeze: bool = True
    seed: int = 0
    rtt_us: float = 0.0          # emulated round trip; 0 = plain loopback
    rtt_method: str = "auto"     # auto | netem | relay (resolved by resolve_rtt_method before the run)
    spin: bool = False           # fastorder rows: spin (busy-poll) receive instead of epoll
    halt_poll_ns: int | None = None   # set the haltpoll governor's guest_halt_poll_ns for the run (None: leave it)
    gap_us: float = 0.0          # closed loop with this idle time before each order (every row); 0 = back to back
    sporadic_us: float = 10_000.0   # the default run's sporadic rows: this idle time before each order; 0 = none
    keep_warm: float = 0.0       # fastorder rows: connect(keep_warm=this interval in s); 0 = off


@dataclass
class Row:
    name: str
    kind: str                    # "fastorder" | "baseline"
    venue: str
    transport: str
    lat_us: list[float] = field(default_factory=list)
    client_us: list[float] = field(default_factory=list)
    ok: int = 0
    failed: int = 0
    errors: Counter = field(default_factory=Counter)
    cpu_us_per_order: float = 0.0
    sim_us_mean: float | None = None
    sim_us_p50: float | None = None
    gc: dict[str, Any] = field(default_factory=dict)   # collector pauses during the measured orders
    note: str = ""
    base: str = ""               # the row's name without mode/path suffixes (ratios and the RTT check pair on it)
    path: str = "loopback"       # loopback | rtt | reference (the loopback pass of an --rtt run)
    mode: str = "epoll"          # epoll | spin
    gap_us: float = 0.0          # idle time before each order (sporadic rows); 0 = back to back
    keep_warm: float = 0.0       # the fastorder session's keep_warm interval (s); 0 = off
    kernel: bool = False         # keep_warm_kernel on
    lateness_us: list[float] = field(default_factory=list)   # --rate: actual send start minus its due time
    warm_stats: dict[str, Any] = field(default_factory=dict)  # keep_warm's own count of its passes

    @property
    def key(self) -> str:
        return self.base or self.name


@dataclass
class Lane:
    """One row's sender, open for the whole run, measured in rounds."""
    row: Row
    send: Any                    # async (client order id) -> reply; None when the row is skipped
    check: Any                   # (client order id, reply) -> "" or what was wrong
    close: Any                   # async () -> None
    total: int                   # measured orders for this row
    gap_us: float = 0.0          # idle time before each order
    session: Any = None          # the fastorder session (keep_warm stats)
    measured: int = 0
    cpu_ns: int = 0
    sim_samples: list[float] = field(default_factory=list)
    gcmon: GcMonitor = field(default_factory=GcMonitor)


#: with sporadic rows, the simulator replays its last order request (validation-only) this often while idle
SIM_WARM_US = 1000

# rows measured again in the default run with an idle gap before each order (Settings.sporadic_us), the
# fastorder ones also with keep_warm
SPORADIC_ROWS = {("fastorder", "binance", "rest"), ("fastorder", "binance", "ws"), ("baseline", "aiohttp", ""),
                 ("baseline", "websockets", "")}


def sporadic_orders(total: int) -> int:
    """Measured orders of a sporadic row in the default run: a tenth of its back-to-back row's (each waits)."""
    return max(20, total // 10)


def sporadic_suffix(gap_us: float, keep_warm: float, kernel: bool = False) -> str:
    """The name suffix of a sporadic row: ", after 10 ms idle" (", keep_warm 1 ms" [" +kernel"])."""
    if not gap_us:
        return ""   # a back-to-back row keeps its name (ratios pair on it); --json says keep_warm_s
    return f", after {_dur(gap_us)} idle" + (f", keep_warm {_dur(keep_warm * 1e6)}" if keep_warm else "") + \
        (" +kernel" if keep_warm and kernel else "")


def _dur(us: float) -> str:
    return f"{us / 1000:g} ms" if us >= 1000 else f"{us:g} µs"


ROUNDS = 4    # each row's orders are measured in this many interleaved rounds
PATH_PINGS = 800   # ping-pongs each way (direct and through the relay) per measurement of the path's RTT
REWARM = 150   # unmeasured orders when a lane resumes after others ran
RATE_EARLY_NS = 1_500_000   # --rate: wake this long before an order's due time, then poll the loop up to it


def percentile(sorted_us: list[float], q: float) -> float:
    if not sorted_us:
        return float("nan")
    k = min(len(sorted_us) - 1, max(0, int(round(q / 100 * len(sorted_us) + 0.5)) - 1))
    return sorted_us[k]


def summary(row: Row) -> dict[str, Any]:
    xs = sorted(row.lat_us)
    n = row.ok + row.failed
    out: dict[str, Any] = {"orders": n, "ok": row.ok, "failed": row.failed,
                           "success_rate": row.ok / n if n else 0.0}
    if xs:
        out.update(mean=sum(xs) / len(xs), p50=percentile(xs, 50), p90=percentile(xs, 90),
                   p95=percentile(xs, 95), p99=percentile(xs, 99), p99_9=percentile(xs, 99.9), max=xs[-1],
                   share_under_1ms=sum(1 for x in xs if x < 1000) / len(xs))
    return out


def lateness(xs: list[float]) -> dict[str, float] | None:
    """--rate: how late the orders started against their due times (p50, p99, max µs); None without --rate."""
    if not xs:
        return None
    s = sorted(xs)
    return {"p50": percentile(s, 50), "p99": percentile(s, 99), "max": s[-1]}


def criteria(s: dict[str, Any]) -> dict[str, bool]:
    """The latency targets each row is checked against: mean under 1 ms, at least 60 % of orders under 1 ms,
    p95 under 1.5 ms, more than 99.5 % of orders succeeding."""
    if "mean" not in s:
        return {"mean<1ms": False, ">=60%<1ms": False, "p95<1.5ms": False, "success>99.5%": False}
    return {"mean<1ms": s["mean"] < 1000, ">=60%<1ms": s["share_under_1ms"] >= 0.60,
            "p95<1.5ms": s["p95"] < 1500, "success>99.5%": s["success_rate"] > 0.995}


def resolve_rtt_method(s: Settings) -> tuple[str, str]:
    """Which way to emulate --rtt: ("netem" | "relay", why not netem). Raises ValueError when the method asked
    for cannot run (netem without root or without sch_netem)."""
    from fastorder.net.rtt import netem_status
    if s.rtt_method not in ("auto", "netem", "relay"):
        raise ValueError(f"--rtt-method must be auto, netem or relay, not {s.rtt_method!r}")
    if s.rtt_method == "relay":
        return "relay", "--rtt-method relay"
    st = netem_status()
    if s.rtt_method == "netem":
        if not st.available:
            raise ValueError(f"--rtt-method netem is not available: {st.reason}")
        if s.tls:
            raise ValueError("--tls with the netem path: the simulator's test certificate names 127.0.0.1 only; "
                             "use --rtt-method relay")
        return "netem", ""
    if st.available and not s.tls:
        return "netem", ""
    return "relay", st.reason if not st.available else "--tls (the test certificate names 127.0.0.1 only)"


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                            "cpus": os.cpu_count(), "fastorder": fastorder.__version__}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    for mod in ("uvloop", "aiohttp", "websockets", "ccxt"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:
            info[mod] = None
    return info


class Bench:
    def __init__(self, settings: Settings, progress: Any = None, no_netem: str = "") -> None:
        self.s = settings
        self.progress = progress or (lambda done, total, label: None)
        self.rows: list[Row] = []
        self.sim: SimulatorProcess | None = None
        self.placement: dict[str, Any] = {}
        self.ids = ClientIdGenerator("bench")
        self.netem: Any = None         # fastorder.net.rtt.NetemPair while the netem path is in use
        self.relay: Any = None         # fastorder.net.relay.RelayProcess while the relay path is in use
        self.echo: Any = None          # fastorder.net.pingpong.EchoProcess: the relay path's measured RTT
        self.cpuidle: dict[str, Any] = {}   # the cpuidle driver and haltpoll setting during the run (run_bench)
        self.network: dict[str, Any] = {"rtt_us": settings.rtt_us or None, "method": None, "description":
                                        "loopback (no emulated round trip)"}
        self._no_netem = no_netem     # why the relay stands in for netem (resolve_rtt_method)
        self._path_runs: list[dict[str, Any]] = []   # each measurement of the path's RTT (without samples)
        self._path_samples: tuple[list[float], list[float]] = ([], [])   # all of them: (direct, through)
        self._max_gap_us = 0.0        # the longest idle gap of a planned row (the simulator polls through it)

    # -- the simulator -------------------------------------------------------------------------------------
    def _start_sim(self) -> None:
        ncpu = os.cpu_count() or 1
        sim_cpus = [ncpu - 1] if self.s.pin and ncpu >= 2 else None
        self.sim_cpus = sim_cpus
        extra = ["--no-rate-limits"]
        # A simulator that sleeps between orders runs each on a cold CPU (slower, and by how much depends on
        # what else the machine does): on a CPU of its own it busy-polls a while after each request instead.
        # Not beside the --rtt relay, which shares that CPU.
        # With sporadic rows it polls through their whole idle gap and 2 ms beyond, so such a row measures a
        # client after a quiet spell against a simulator that never slept.
        self.sim_spin_us = int(max(2000, self._max_gap_us + 2000)) if sim_cpus is not None and not self.s.rtt_us \
            else 0
        if self.sim_spin_us:
            extra += ["--spin-us", str(self.sim_spin_us)]
        # Polling keeps its CPU awake, not its request path in cache: through the idle gaps of sporadic rows it
        # also replays the last order request in the venue's validation-only form (fastorder.sim.http.Spinner),
        # so such a row measures the client after a quiet spell, not a cold simulator
        self.sim_warm_us = SIM_WARM_US if self.sim_spin_us and self._max_gap_us else 0
        if self.sim_warm_us:
            extra += ["--warm-us", str(self.sim_warm_us)]
        if self.s.rtt_us and self.s.rtt_method == "netem":
            from fastorder.net.rtt import NetemPair
            self.netem = NetemPair(self.s.rtt_us).setup()
            extra += ["--host", self.netem.server_ip, "--allow-remote"]   # its namespace's veth address only
        self.sim = SimulatorProcess(venues=ALL_VENUES, tls=self.s.tls, cpus=sim_cpus, seed=self.s.seed,
                                    extra_args=extra)
        if self.netem is not None:
            self.sim.args = self.netem.wrap(self.sim.args)
        self.sim.start()
        if self.s.pin and ncpu >= 2 and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {0})
        self.placement = {"client_cpus": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                          else None, "simulator_cpus": sim_cpus, "simulator_pid": self.sim.proc.pid,
                          "simulator_spin_us": self.sim_spin_us, "simulator_warm_us": self.sim_warm_us}

    def _enable_delay(self) -> None:
        """From here on, traffic crosses the emulated round trip."""
        if self.netem is not None:
            self.netem.add_delay()
            self.network.update(method="netem", description=self.netem.describe())
            return
        from urllib.parse import urlsplit

        from fastorder.net.relay import RelayProcess
        targets = set()
        for urls in self.sim.urls.values():
            for u in urls.values():
                parts = urlsplit(u)
                targets.add((parts.hostname, parts.port))
        # a trivial echo server where the simulator is, behind the same relay: the path's measured round trip
        from fastorder.net.pingpong import EchoProcess
        self.echo = EchoProcess(self.sim_cpus).start()
        targets.add(("127.0.0.1", self.echo.port))
        self.relay = RelayProcess(sorted(targets), self.s.rtt_us / 2, cpus=self.sim_cpus).start()
        self.relay.reset()
        self.network.update(method="relay", relay_process={k: self.relay.info[k] for k in ("fifo", "cpus")})

    def _measure_path(self) -> None:
        """The relay path's actual round trip, as a ping-pong measures it (fastorder.net.pingpong): through the
        relay minus straight to the same echo server, interleaved, waiting for replies as the fastorder rows do.
        Called before and after the rows that cross the path; the samples of both go into one result."""
        if self.relay is None or self.echo is None:
            return
        from fastorder.net.pingpong import measure_path
        m = measure_path(self.echo.port, self.relay.ports[("127.0.0.1", self.echo.port)], n=PATH_PINGS,
                         spin=self.s.spin)
        direct, through = m.pop("direct_us"), m.pop("through_path_us")
        self._path_runs.append(m)
        self._path_samples[0].extend(direct)
        self._path_samples[1].extend(through)
        d50, t50 = (percentile(sorted(xs), 50) for xs in self._path_samples)
        self.network["measured_rtt"] = {
            "rtt_us": t50 - d50, "loopback_p50_us": d50, "through_path_p50_us": t50,
            "pings_each": len(self._path_samples[0]), "size_bytes": m["size_bytes"], "wait": m["wait"],
            "runs": self._path_runs}

    def _urls(self, venue: str) -> dict[str, str]:
        """The simulator's URLs for `venue`, through the relay when it is in use."""
        urls = self.sim.urls[SIM_VENUE.get(venue, venue)]
        if self.relay is None:
            return urls
        from urllib.parse import urlsplit
        out = {}
        for k, u in urls.items():
            parts = urlsplit(u)
            port = self.relay.ports[(parts.hostname, parts.port)]
            out[k] = parts._replace(netloc=f"{parts.hostname}:{port}").geturl()
        return out

    def _finish_relay(self) -> None:
        if self.relay is not None:
            try:
                st = self.relay.stats()
                self.network["relay"] = st
                us = {q: st.get(f"{q}_error_ns", 0) / 1000 for q in ("p50", "p99")}
                self.network["description"] = (
                    f"userspace relay: {self._no_netem or 'netem not used'}; relay adds {us['p50']:.1f} µs p50 "
                    f"({us['p99']:.1f} µs p99) beyond the nominal delay per direction to the hold of each chunk "
                    f"({st['chunks']} chunks held {self.s.rtt_us / 2:g} µs each way from their kernel arrival; "
                    f"not counted here: its extra loopback hop and its time on the simulator's CPU, see "
                    f"bench/relay_overhead.py)")
            finally:
                self.relay.stop()
                self.relay = None
                if self.echo is not None:
                    self.echo.stop()
                    self.echo = None

    def _ssl(self) -> Any:
        if not self.s.tls:
            return None
        import ssl
        return ssl.create_default_context(cafile=self.sim.ca_file)

    def _sim_stats(self, venue: str, reset: bool = False, samples: bool = False) -> dict[str, Any]:
        base = self.sim.urls[SIM_VENUE.get(venue, venue)]["rest"]
        ctx = self._ssl()
        if reset:
            req = urllib.request.Request(base + "/_sim/stats/reset", method="POST", data=b"")
            urllib.request.urlopen(req, timeout=10, context=ctx).read()   # loopback only
            return {}
        with urllib.request.urlopen(base + "/_sim/stats" + ("?samples=1" if samples else ""), timeout=10,
                                    context=ctx) as r:
            return json.loads(r.read())

    # -- one row: a lane (its sender stays open for the whole run) -----------------------------------------
    async def _warm(self, lane: Lane, n: int) -> None:
        for _ in range(n):
            try:
                await lane.send(self.ids.next())
            except Exception:
                pass
        lane.row.client_us.clear()   # the warm-up's split is not part of the result

    async def _measure(self, lane: Lane, n: int) -> None:
        """Time n more orders of one lane: closed loop (inflight workers) or open loop at --rate."""
        row, send, check = lane.row, lane.send, lane.check
        client_before = len(row.client_us)
        await self._warm(lane, min(self.s.warmup, REWARM))   # back on this lane after another one ran
        del row.client_us[client_before:]
        self._sim_stats(row.venue, reset=True)
        gc.collect()
        if self.s.gc_freeze:
            gc.freeze()
        perf = time.perf_counter_ns
        lane.gcmon.start()
        cpu0 = time.process_time_ns()

        async def one(clid: str, t_start: int) -> None:
            try:
                reply = await send(clid)
                err = check(clid, reply)
            except Exception as exc:
                err = type(exc).__name__
            row.lat_us.append((perf() - t_start) / 1000)
            if err:
                row.failed += 1
                row.errors[err] += 1
            else:
                row.ok += 1

        if self.s.rate > 0:
            interval = 1e9 / self.s.rate
            t0 = perf()
            tasks = []
            for i in range(n):
                due = t0 + int(i * interval)
                # The loop's timers have millisecond resolution: wake up to RATE_EARLY_NS early, then pass
                # through the loop (replies are still read) until the due time, so an order starts within
                # one loop pass of it; how late it still started is kept apart (lateness_us).
                early = (due - perf() - RATE_EARLY_NS) / 1e9
                if early > 0:
                    await asyncio.sleep(early)
                while perf() < due:
                    await asyncio.sleep(0)
                row.lateness_us.append((perf() - due) / 1000)
                tasks.append(asyncio.ensure_future(one(self.ids.next(), due)))   # from the intended time
            await asyncio.gather(*tasks)
        elif lane.gap_us:   # sporadic: one order at a time, each after an idle gap (the thread sleeps in epoll)
            gap = lane.gap_us / 1e6
            for _ in range(n):
                await asyncio.sleep(gap)
                await one(self.ids.next(), perf())
        else:
            per = [n // self.s.inflight + (1 if k < n % self.s.inflight else 0) for k in range(self.s.inflight)]

            async def worker(count: int) -> None:
                for _ in range(count):
                    await one(self.ids.next(), perf())

            await asyncio.gather(*(worker(c) for c in per))
        lane.cpu_ns += time.process_time_ns() - cpu0
        lane.measured += n
        row.cpu_us_per_order = lane.cpu_ns / 1000 / max(1, lane.measured)
        row.gc = lane.gcmon.stop().summary()
        if self.s.gc_freeze:
            gc.unfreeze()
        samples = self._sim_stats(row.venue, samples=True).get("samples", {}).get(row.transport, [])
        lane.sim_samples.extend(samples)
        warmer = getattr(lane.session, "_warmer", None)
        if warmer is not None:
            row.warm_stats = warmer.stats()

    async def _fastorder_lane(self, venue: str, transport: str, reference: bool = False, gap_us: float = 0.0,
                              keep_warm: float = 0.0, kernel: bool = False) -> Lane:
        base = f"fastorder {venue} {transport}" + sporadic_suffix(gap_us, keep_warm, kernel)
        name = base + (" spin" if self.s.spin else "")
        if reference:
            name += " [veth, no delay]" if self.netem is not None else " [loopback]"
        row = Row(name, "reference" if reference else "fastorder", venue, transport, base=base, kernel=kernel,
                  path="reference" if reference else ("rtt" if self.s.rtt_us else "loopback"),
                  mode="spin" if self.s.spin else "epoll", gap_us=gap_us, keep_warm=keep_warm)
        urls = self._urls(venue)
        kw: dict[str, Any] = dict(ACCOUNTS[venue], url=urls["rest"], rate_limit=False,
                                  timeout=2.0 + 4 * self.s.rtt_us / 1e6, connections=max(1, min(4, self.s.inflight)))
        if self.s.spin:   # poll for each reply up to 10 ms + two round trips, then let the event loop wait
            kw["spin_us"] = int(10_000 + 2 * self.s.rtt_us)
        if transport == "ws":
            kw["ws_url"] = urls["ws"]
        if self.s.tls:
            kw["ssl_context"] = self._ssl()
            kw["tls_engine"] = self.s.tls_engine
        if keep_warm:
            kw["keep_warm"] = keep_warm
            kw["keep_warm_kernel"] = kernel
        sym, qty = SYMBOL[venue], QTY_FOR.get(venue, QTY)
        if venue in PERP_VENUE:
            kw["market"] = "perp"
        session = fastorder.connect(PERP_VENUE.get(venue, venue), transport, **kw)
        await session.__aenter__()

        own: dict[str, str] = {}   # the run's id -> the id sent (INTEGER_IDS venues)
        integer_ids = venue in INTEGER_IDS

        async def send(clid: str) -> Any:
            if integer_ids:
                sent = own[clid] = session.ids.next()
                clid = sent
            ack = await session.place_order(sym, "buy", qty, PRICE, tif="IOC", client_order_id=clid)
            row.client_us.append(ack.latency.client_ns / 1000)
            return ack

        def check(clid: str, ack: Any) -> str:
            if ack.client_order_id != (own.pop(clid, "") if integer_ids else clid) or not ack.order_id:
                return "mismatched ack"
            return ""

        async def close() -> None:
            await session.__aexit__(None, None, None)

        return Lane(row, send, check, close, sporadic_orders(self.s.orders) if gap_us and not self.s.gap_us
                    else self.s.orders, gap_us=gap_us, session=session)

    async def _baseline_lane(self, name: str, gap_us: float = 0.0) -> Lane:
        from fastorder.bench.baselines import BASELINES
        venue, transport, share = BASELINE_ROWS[name]
        cls = BASELINES[name]
        row = Row(cls.name + sporadic_suffix(gap_us, 0.0), "baseline", venue, transport,
                  path="rtt" if self.s.rtt_us else "loopback", gap_us=gap_us)
        try:
            __import__(cls.needs)
        except ImportError:
            row.note = f"skipped: {cls.needs} is not installed (pip install 'fastorder[compare]')"
            return Lane(row, None, None, None, 0)
        url = self._urls(venue)["ws" if transport == "ws" else "rest"]
        b = cls(url, PRICE, QTY, self._ssl())
        try:
            await b.start()
        except Exception as exc:   # a baseline that cannot start is a row with a note, not a failed bench
            try:
                await b.close()
            except Exception:   # already reporting why it could not start
                pass
            row.note = f"skipped: could not start ({type(exc).__name__}: {str(exc)[:120]})"
            return Lane(row, None, None, None, 0)

        def check(clid: str, reply: Any) -> str:
            if not isinstance(reply, dict) or reply.get("clientOrderId") != clid:
                return "mismatched reply"
            return ""

        total = max(50, int(self.s.orders * share))
        return Lane(row, b.send, check, b.close, sporadic_orders(total) if gap_us and not self.s.gap_us else total,
                    gap_us=gap_us)

    # -- the whole run ------------------------------------------------------------------------------------
    def plan(self) -> list[tuple[str, str, str, float, float, bool]]:
        """The rows: (kind, venue or baseline name, transport, idle gap µs before each order, keep_warm s,
        keep_warm_kernel)."""
        rows = [("fastorder", v, t) for v, t in FASTORDER_ROWS + PERP_ROWS]
        if self.s.baselines:
            rows += [("baseline", name, "") for name in BASELINE_ROWS]
        if self.s.rows:
            wanted = {r.lower() for r in self.s.rows}
            rows = [r for r in rows if f"{r[1]}-{r[2]}".strip("-") in wanted or r[1] in wanted]
        kw = self.s.keep_warm
        gap = self.s.gap_us
        if gap:   # every row sporadic; the fastorder ones cold, with keep_warm, and with its kernel part too
            out = []
            for k, a, b in rows:
                out.append((k, a, b, gap, 0.0, False))
                if k == "fastorder":
                    out.append((k, a, b, gap, kw or DEFAULT_WARM_INTERVAL, False))
                    out.append((k, a, b, gap, kw or DEFAULT_WARM_INTERVAL, True))
            return out
        out = [(k, a, b, 0.0, kw if k == "fastorder" else 0.0, False) for k, a, b in rows]
        if self.sporadic_rows():   # beside the back-to-back rows: a few sporadic ones (their own senders)
            gap = self.s.sporadic_us
            for k, a, b in rows:
                if (k, a, b) in SPORADIC_ROWS:
                    out.append((k, a, b, gap, 0.0, False))
                    if k == "fastorder":
                        out.append((k, a, b, gap, kw or DEFAULT_WARM_INTERVAL, False))
                        out.append((k, a, b, gap, kw or DEFAULT_WARM_INTERVAL, True))
        return out

    def sporadic_rows(self) -> bool:
        """Does this run add the sporadic rows (closed loop, one in flight, loopback, no spin)?"""
        s = self.s
        return bool(s.sporadic_us and not s.gap_us and not s.rate and s.inflight == 1 and not s.rtt_us and not s.spin)

    async def _run_group(self, specs: list[tuple[str, str, str, float, float, bool]], reference: bool, done: int, total: int) -> int:
        """Open every lane of the group, warm each, then measure them in ROUNDS interleaved rounds (each
        round in another order), so a drift of the machine touches every row alike and the ratios hold."""
        lanes: list[Lane] = []
        try:
            for kind, a, b, gap, kw, kernel in specs:
                lane = await (self._fastorder_lane(a, b, reference, gap, kw, kernel) if kind == "fastorder"
                              else self._baseline_lane(a, gap))
                lanes.append(lane)
                self.rows.append(lane.row)
            live = [ln for ln in lanes if ln.send is not None]
            for lane in live:
                await self._warm(lane, self.s.warmup)
                w = getattr(lane.session, "_warmer", None)
                if w is not None:
                    w.pause()   # resumed while its own lane is measured
            for r in range(ROUNDS):
                order = live[r % len(live):] + live[:r % len(live)] if live else []
                for lane in order:
                    n = lane.total // ROUNDS + (1 if r < lane.total % ROUNDS else 0)
                    self.progress(done, total, f"{lane.row.name} ({r + 1}/{ROUNDS})")
                    for other in live:   # only the measured lane's keep_warm runs: the others would warm
                        w = getattr(other.session, "_warmer", None)   # the same code for it
                        if w is not None:
                            (w.resume if other is lane else w.pause)()
                    if n:
                        await self._measure(lane, n)
                    done += 1
            for lane in live:   # the simulator's time per row, over all its rounds
                if lane.sim_samples:
                    xs = sorted(lane.sim_samples)
                    lane.row.sim_us_mean, lane.row.sim_us_p50 = sum(xs) / len(xs), percentile(xs, 50)
            return done
        finally:
            for lane in lanes:
                if lane.close is not None:
                    try:
                        await lane.close()
                    except Exception:
                        pass

    async def run(self) -> list[Row]:
        plan = self.plan()
        # an --rtt run first measures its fastorder rows without the delay: the reference for the RTT check
        ref = [spec for spec in plan if spec[0] == "fastorder"] if self.s.rtt_us else []
        self._max_gap_us = max((spec[3] for spec in plan), default=0.0)
        total = (len(ref) + len(plan)) * ROUNDS
        self._start_sim()
        try:
            done = 0
            if ref:
                done = await self._run_group(ref, True, done, total)
            if self.s.rtt_us:
                self._enable_delay()
                self._measure_path()
            await self._run_group(plan, False, done, total)
            if self.s.rtt_us:
                self._measure_path()
            self.progress(total, total, "done")
        finally:
            try:
                self._finish_relay()
            finally:
                self.sim.stop()
                if self.netem is not None:   # after the simulator that lived in its namespace
                    self.netem.teardown()
                    self.netem = None
        return self.rows

    def rtt_check(self) -> list[dict[str, Any]]:
        """The RTT target per fastorder row: p50 with the RTT <= RTT + 1.2 x p50 without it (same run): the
        client may add at most a fifth to its loopback time when a real round trip is in the way."""
        if not self.s.rtt_us:
            return []
        refs = {r.key: r for r in self.rows if r.kind == "reference" and r.lat_us}
        out = []
        for r in self.rows:
            if r.kind != "fastorder" or not r.lat_us or r.key not in refs:
                continue
            rr = refs[r.key]
            p50, ref = summary(r)["p50"], summary(rr)["p50"]
            limit = self.s.rtt_us + 1.2 * ref
            # where a difference comes from: the simulator's own processing and the client's CPU per order,
            # each with the RTT minus without it
            sim_delta = r.sim_us_mean - rr.sim_us_mean if r.sim_us_mean is not None and rr.sim_us_mean is not None \
                else None
            measured = self.network.get("measured_rtt", {}).get("rtt_us")
            m_limit = measured + 1.2 * ref if measured is not None else None
            out.append({"row": r.name, "p50_us": p50, "loopback_p50_us": ref, "rtt_us": self.s.rtt_us,
                        "limit_us": limit, "pass": p50 <= limit, "added_beyond_rtt_us": p50 - self.s.rtt_us,
                        "added_beyond_loopback_us": p50 - self.s.rtt_us - ref, "simulator_us_delta": sim_delta,
                        "client_cpu_us_delta": r.cpu_us_per_order - rr.cpu_us_per_order,
                        # the same check against the path's round trip as a ping-pong measured it (relay only)
                        "measured_rtt_us": measured, "limit_measured_us": m_limit,
                        "pass_measured": p50 <= m_limit if m_limit is not None else None})
        return out

    # -- outputs -------------------------------------------------------------------------------------------
    def ratios(self) -> list[dict[str, Any]]:
        by = {r.key: summary(r) for r in self.rows if r.lat_us and r.kind != "reference"}
        pairs = [("fastorder binance rest", "aiohttp (shared session)"),
                 ("fastorder binance rest", "aiohttp (session per order)"),
                 ("fastorder binance ws", "websockets"),
                 ("fastorder binance ws", "aiohttp (shared session)"),
                 ("fastorder binance rest", "ccxt"),
                 ("fastorder binance ws", "ccxt")]
        out = []
        for a, b in pairs:
            if a in by and b in by:
                out.append({"fastorder": a, "baseline": b, "p50_ratio": by[a]["p50"] / by[b]["p50"],
                            "mean_ratio": by[a]["mean"] / by[b]["mean"]})
        return out

    def sporadic(self) -> list[dict[str, Any]]:
        """Each sporadic row against its back-to-back row of this run: p50 of the round trip and of the client
        part (call to bytes in the kernel), and their ratios."""
        b2b = {(r.kind, r.venue, r.transport, r.name.split(" [")[0]): r for r in self.rows
               if r.lat_us and not r.gap_us}
        out = []
        for r in self.rows:
            if not r.gap_us or not r.lat_us:
                continue
            base_name = r.name.split(", after ")[0]
            b = b2b.get((r.kind, r.venue, r.transport, base_name))
            x = {"row": r.name, "gap_us": r.gap_us, "keep_warm_s": r.keep_warm or None,
                 "p50_us": summary(r)["p50"],
                 "client_p50_us": percentile(sorted(r.client_us), 50) if r.client_us else None,
                 "back_to_back": b.name if b else None,
                 "p50_minus_sim_us": summary(r)["p50"] - r.sim_us_p50 if r.sim_us_p50 is not None else None,
                "sim_p50_us": r.sim_us_p50, "b2b_sim_p50_us": None}
            if b is not None:
                x["b2b_sim_p50_us"] = b.sim_us_p50   # with sim_p50_us: whether the simulator's side stayed warm
                x["b2b_p50_us"] = summary(b)["p50"]
                x["p50_ratio"] = x["p50_us"] / x["b2b_p50_us"]
                bc = percentile(sorted(b.client_us), 50) if b.client_us else None
                x["b2b_client_p50_us"] = bc
                x["client_p50_ratio"] = x["client_p50_us"] / bc if bc and x["client_p50_us"] else None
            out.append(x)
        return out

    def to_json(self, command: str) -> dict[str, Any]:
        rows = []
        for r in self.rows:
            s = summary(r)
            lat = {k: s[k] for k in ("mean", "p50", "p90", "p95", "p99", "p99_9", "max") if k in s}
            rows.append({"name": r.name, "kind": r.kind, "venue": r.venue, "transport": r.transport,
                         "path": r.path, "mode": r.mode,
                         "orders": s["orders"], "ok": s["ok"], "failed": s["failed"],
                         "success_rate": s["success_rate"], "latency_us": lat,
                         "share_under_1ms": s.get("share_under_1ms"),
                         "client_cpu_us_per_order": r.cpu_us_per_order,
                         "client_us_mean": sum(r.client_us) / len(r.client_us) if r.client_us else None,
                         "simulator_us_mean": r.sim_us_mean, "simulator_us_p50": r.sim_us_p50,
                         "criteria": criteria(s) if r.lat_us else None, "errors": dict(r.errors),
                         "gc": r.gc,
                         "gap_us": r.gap_us, "keep_warm_s": r.keep_warm or None,
                         "client_us_p50": percentile(sorted(r.client_us), 50) if r.client_us else None,
                         "lateness_us": lateness(r.lateness_us),
                         "keep_warm": r.warm_stats or None,
                         "note": r.note})
        note = ("loopback: these numbers measure the software path (client + simulator), "
                "not the network to a real exchange") if not self.s.rtt_us else (
                f"an emulated {self.s.rtt_us:g} µs round trip ({self.network['method']}) between client and "
                "simulator; rows marked [loopback] / [veth, no delay] are the same rows without it")
        return {"schema": "fastorder-bench/1", "command": command, "settings": vars(self.s),
                "machine": machine(), "placement": self.placement, "network": self.network,
                "cpuidle": self.cpuidle, "rows": rows,
                "ratios": self.ratios(), "rtt_check": self.rtt_check(), "sporadic": self.sporadic(), "note": note}


def run_bench(settings: Settings, progress: Any = None, no_netem: str = "") -> Bench:
    """Run the bench. With settings.halt_poll_ns the haltpoll governor's guest_halt_poll_ns is set for the run
    and put back afterwards, also on an error or SIGTERM (OSError before anything starts if it cannot be set)."""
    from fastorder.tune import haltpoll
    bench = Bench(settings, progress, no_netem)
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:   # pragma: no cover - uvloop is a dependency on Linux
        runner = asyncio.run
    before = haltpoll.status()
    bench.cpuidle = {"driver": before["driver"], "guest_halt_poll_ns": before["guest_halt_poll_ns"],
                     "changed_for_run": False}
    if settings.halt_poll_ns is None:
        runner(bench.run())
        return bench
    setting = haltpoll.HaltPollSetting(settings.halt_poll_ns).apply()
    try:
        bench.cpuidle.update(guest_halt_poll_ns=haltpoll.status()["guest_halt_poll_ns"], changed_for_run=True,
                             original_guest_halt_poll_ns=setting.original)
        runner(bench.run())
    finally:
        setting.restore()
        bench.cpuidle["restored_guest_halt_poll_ns"] = haltpoll.status()["guest_halt_poll_ns"]
    return bench

