"""The fault matrix: for each fault the simulator injects x each venue x transport, a burst of orders, then
every order's final state as the client knows it compared with the simulator's own record.

  lost        the simulator has an order the client believes is not live (or never heard of)
  duplicated  the simulator has more orders than the client sent (a blind resend), or two for one client id
  mismatched  the client's final state differs from the simulator's
  unsettled   orders still unknown after recovery (must be 0)

The client is the public API with an order journal: each order ends as an Ack, a typed rejection, or
ExecutionUnknown; at the end, with the faults switched off, `recover()` settles the unknown ones and
`query_order` gives the final state of those the venue acknowledged without one (OKX, HTX).

Each cell also reports the firings by fault kind (a per-connection fault such as a slow read or a TLS
failure is logged once per connection it hits) and the p50/p99 round trip of the orders answered directly;
the `none` row is the same burst without a fault, the reference for those latencies.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import fastorder
from fastorder.bench.runner import ACCOUNTS, FASTORDER_ROWS, SYMBOL
from fastorder.errors import ExecutionUnknown, FastorderError, VenueError
from fastorder.journal import OrderJournal
from fastorder.sim import BinanceLimits, Simulator
from fastorder.types import ACCEPTED, CANCEL_REQUESTED
from fastorder.venues import binance as binance_venue
from fastorder.venues import binance_futures as binance_futures_venue
from fastorder.venues import htx as htx_venue
from fastorder.venues import htx_swap as htx_swap_venue
from fastorder.venues import okx as okx_venue

# fault name -> simulator spec (the per-request probability and the cell's transport are filled in per run);
# "429/418": a rate-limit reply, then a ban
FAULTS = {
    "none": "",   # the control row: the same burst with no fault (its latencies are the reference)
    "drop before": "drop:phase=before",
    "drop after": "drop:phase=after",
    "5xx unknown": "5xx",
    "429 then 418": "429:retry=1;418:retry=1",   # Retry-After 1 s (see RATE)
    "malformed": "malformed",
    "truncated": "truncated",
    "stall": "stall:ms=300",
    "slow read": "slow_read:ms=2",
    "reset": "reset",
    "server restart": "restart:ms=100",
    # TLS failures are per new connection, over TLS. Connections only open again after a loss, so these cells
    # also drop connections after processing (p per request); the first connection opened after the burst
    # starts fails for certain (count=1), every later one with the probability given. Handshakes a network
    # breaks (transient: retried with backoff) ...
    "tls handshake": "tls_fail:mode=alert,count=1;tls_fail:mode=reset,p=0.1;tls_fail:mode=close,p=0.1;"
                     "tls_fail:mode=garbage,p=0.1;tls_fail:mode=alert,p=0.1;tls_fail:mode=stall,ms=3000,p=0.1;"
                     "drop:phase=after",
    # ... and certificates a verifying client must refuse (never used; reconnects keep verifying)
    "tls bad cert": "tls_fail:mode=badcert,count=1;tls_fail:mode=badcert,p=0.2;tls_fail:mode=expired,p=0.2;"
                    "tls_fail:mode=wrongname,p=0.2;drop:phase=after",
}
TLS_FAULTS = ("tls handshake", "tls bad cert")   # always run over TLS
# A matrix run's probability per row, as a share of the run's `p`. Each rate-limit reply blocks the whole
# session for its Retry-After (the simulator's `retry=`, whole seconds as HTTP writes them; 1 s is the least
# that is not "now"), so that row fires a tenth as often: at 0.05, a 10,000-order cell would wait out ~1,000
# blocks, about 15 minutes, and show nothing more than ~100 do.
RATE = {"429 then 418": 0.1}
# the fault kind a cell must see fire (the TLS cells' drops only open the way for it)
MAIN_KIND = {"slow read": "slow_read", "tls handshake": "tls_fail", "tls bad cert": "tls_fail"}
PATHS = FASTORDER_ROWS
# The simulator's record in the venue's own words (`venue_status`), read with the client's mapping for that
# venue: OKX says "canceled" for an IOC remainder where Binance says "EXPIRED", and a client sees the venue's word.
# HTX swaps report a status code (the simulator writes it as text).
_VENUE_STATE = {"binance": binance_venue._STATUS, "okx": okx_venue._STATE, "htx": htx_venue._STATE,
                "binance_futures": binance_futures_venue._STATUS, "okx_swap": okx_venue._STATE,
                "htx_swap": {str(k): v for k, v in htx_swap_venue._STATUS.items()}}
# The matrix runs against a simulator that drops an unprocessed request at once, so an order it has not seen
# after this long never arrives; the real venues' windows (5-60 s, HTX 5 min) would only make runs longer.
WINDOW_MS = 2000


@dataclass
class Cell:
    fault: str
    venue: str
    transport: str
    orders: int = 0
    acked: int = 0
    rejected: int = 0
    unknown_at_first: int = 0
    lost: int = 0
    duplicated: int = 0
    mismatched: int = 0
    unsettled: int = 0
    faults_fired: int = 0
    fired: dict[str, int] = field(default_factory=dict)   # firings by fault kind
    tls: bool = False
    p: float = 0.0   # the fault probability per request this cell ran with
    p50_ms: float = 0.0   # round trips of the orders answered directly (their latency distribution)
    p99_ms: float = 0.0
    seconds: float = 0.0
    examples: list[str] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)   # why orders were refused locally, by message

    @property
    def ok(self) -> bool:
        return self.lost == self.duplicated == self.mismatched == self.unsettled == 0


def cell_spec(fault: str, p: float, transport: str) -> str:
    """The simulator spec of a cell: per-request parts get `p` and the cell's transport; parts that carry
    their own `p` (per-connection TLS failures) keep it."""
    parts = []
    for part in filter(None, FAULTS[fault].split(";")):
        if not re.search(r"[:,](p|count)=", part):
            part += f"{',' if ':' in part else ':'}p={p}"
            if not part.startswith(("tls_fail", "slow_read")):
                part += f",transport={transport}"
        parts.append(part)
    return ";".join(parts)


async def run_cell(fault: str, venue: str, transport: str, *, orders: int, p: float, seed: int,
                   inflight: int = 4, tls: bool = False) -> Cell:
    tls = tls or fault in TLS_FAULTS
    cell = Cell(fault, venue, transport, tls=tls, p=p)
    t0 = time.monotonic()
    sim_kw: dict[str, Any] = dict(venues=(venue,), seed=seed, binance_limits=BinanceLimits(enabled=False),
                                  okx_limit_per_2s=0, htx_limit_per_2s=0, tls=tls)
    spec = cell_spec(fault, p, transport)
    if fault == "slow read":
        # the simulator decides slow reads per connection when it is accepted, so this one is set before
        # connecting and applies to every connection of the cell
        sim_kw["faults"] = FAULTS[fault]
        spec = ""
    round_trips: list[int] = []
    with tempfile.TemporaryDirectory() as tmp:
        journal = OrderJournal(f"{tmp}/journal.log", fsync="never")
        async with Simulator(**sim_kw) as sim:
            kw: dict[str, Any] = dict(ACCOUNTS[venue], url=sim.url(venue, "rest"), timeout=0.6, rate_limit=False,
                                      journal=journal, connections=2, recv_window=1000,
                                      acceptance_window_ms=WINDOW_MS, ssl_context=sim.client_ssl_context())
            if venue == "okx":
                kw["order_ttl_ms"] = 1000   # expTime: the venue drops the order after 1 s
            if transport == "ws":
                kw["ws_url"] = sim.url(venue, "ws")
            async with fastorder.connect(venue, transport, **kw) as s:
                if spec:
                    sim.faults.add(spec)
                outcome: dict[str, str] = {}   # client id -> what the client was told
                order_ids: dict[str, str] = {}
                sent = 0


                def settled(ack: Any) -> None:   # an undecided order settled in the background
                    outcome[ack.client_order_id] = ack.status
                    order_ids[ack.client_order_id] = ack.order_id

                s.on_settled.append(settled)

                async def worker(n: int) -> None:
                    nonlocal sent
                    for _ in range(n):
                        clid = s.ids.next()
                        sent += 1
                        try:
                            ack = await s.place_order(SYMBOL[venue], "buy", "0.001", "46000", tif="IOC",
                                                      client_order_id=clid)
                            outcome[clid] = ack.status
                            order_ids[clid] = ack.order_id
                            cell.acked += 1
                            if not ack.reconciled and ack.latency.round_trip_ns:
                                round_trips.append(ack.latency.round_trip_ns)
                        except ExecutionUnknown:
                            outcome.setdefault(clid, "UNKNOWN")   # unless settled in the background already
                            cell.unknown_at_first += 1
                        except VenueError:
                            outcome[clid] = "REJECTED"
                            cell.rejected += 1
                        except FastorderError as exc:
                            outcome[clid] = "NOT_SENT"
                            cell.rejected += 1
                            why = f"{type(exc).__name__}: {exc}"[:120]
                            cell.refusals[why] = cell.refusals.get(why, 0) + 1
                        if s.guard.blocked_until_ms:   # a 429/418 told us to wait: wait, as a client must
                            await asyncio.sleep(max(0.0, (s.guard.blocked_until_ms - s.now_ms()) / 1000))

                per = [orders // inflight + (1 if k < orders % inflight else 0) for k in range(inflight)]
                await asyncio.gather(*(worker(n) for n in per))
                cell.orders = sent
                cell.faults_fired = len(sim.faults.log)
                for _, _, kind in sim.faults.log:
                    cell.fired[kind] = cell.fired.get(kind, 0) + 1
                sim.faults.clear()
                if s.journal.pending():   # undecided orders: wait out the window, then ask
                    await asyncio.sleep(s.acceptance_window_ms / 1000)
                for rec in await s.recover():   # settle what stayed unknown
                    outcome[rec.client_order_id] = rec.status
                    order_ids[rec.client_order_id] = rec.order_id
                for clid, st in list(outcome.items()):   # acks without a state: ask, as a client would
                    if st in (ACCEPTED, CANCEL_REQUESTED):
                        q = await s.query_order(SYMBOL[venue], client_order_id=clid)
                        outcome[clid], order_ids[clid] = q.status, q.order_id
                cell.unsettled = len(s.journal.pending())
                truth = sim.orders(venue)
        journal.close()
    per_clid: dict[str, list[dict[str, Any]]] = {}
    for o in truth:
        per_clid.setdefault(str(o["client_order_id"]), []).append(o)
    for clid, os_ in per_clid.items():
        if len(os_) > 1 or clid not in outcome:
            cell.duplicated += len(os_) - (1 if clid in outcome else 0)
            cell.examples.append(f"duplicate/unsent {clid}")
            continue
        told = outcome[clid]
        vs = os_[0].get("venue_status", os_[0]["status"])
        real = _VENUE_STATE[venue].get(vs, vs)
        if told in ("REJECTED", "NOT_SENT", "NOT_PLACED", "UNKNOWN"):
            cell.lost += 1
            cell.examples.append(f"lost {clid}: told {told}, simulator {real}")
        elif told != real or (order_ids.get(clid) and order_ids[clid] != str(os_[0]["order_id"])):
            cell.mismatched += 1
            cell.examples.append(f"mismatch {clid}: told {told}, simulator {real}")
    for clid, told in outcome.items():
        # (orders still UNKNOWN are counted as unsettled from the journal above)
        if told not in ("UNKNOWN", "REJECTED", "NOT_SENT", "NOT_PLACED") and clid not in per_clid:
            cell.mismatched += 1
            cell.examples.append(f"phantom {clid}: told {told}, simulator has no such order")
    if round_trips:
        round_trips.sort()
        cell.p50_ms = round_trips[len(round_trips) // 2] / 1e6
        cell.p99_ms = round_trips[min(len(round_trips) - 1, len(round_trips) * 99 // 100)] / 1e6
    cell.seconds = time.monotonic() - t0
    return cell


async def run_matrix(*, orders: int = 1000, p: float = 0.05, seed: int = 1, faults: list[str] | None = None,
                     paths: list[tuple[str, str]] | None = None, progress: Any = None, tls: bool = False) -> list[Cell]:
    cells = []
    plan = [(f, v, t) for f in (faults or list(FAULTS)) for v, t in (paths or PATHS)]
    for i, (f, v, t) in enumerate(plan):
        if progress:
            progress(i, len(plan), f"{f} {v} {t}")
        cells.append(await run_cell(f, v, t, orders=orders, p=p * RATE.get(f, 1.0), seed=seed + i, tls=tls))
    if progress:
        progress(len(plan), len(plan), "done")
    return cells


def table(cells: list[Cell]) -> str:
    head = (f"{'fault':<16} {'venue':<8} {'tr':<8} {'orders':>6} {'fired':>6} {'acked':>6} {'rejected':>8} "
            f"{'unknown':>7} {'lost':>5} {'dup':>4} {'mismatch':>8} {'unsettled':>9} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'s':>6}")
    lines = [head, "-" * len(head)]
    for c in cells:
        tr = c.transport + ("+tls" if c.tls else "")
        lines.append(f"{c.fault:<16} {c.venue:<8} {tr:<8} {c.orders:>6} {c.faults_fired:>6} {c.acked:>6} "
                     f"{c.rejected:>8} {c.unknown_at_first:>7} {c.lost:>5} {c.duplicated:>4} {c.mismatched:>8} "
                     f"{c.unsettled:>9} {c.p50_ms:>7.2f} {c.p99_ms:>7.2f} {c.seconds:>6.1f}"
                     + ("" if c.ok else "   <-- " + "; ".join(c.examples[:3])))
    total = sum(c.orders for c in cells)
    bad = [c for c in cells if not c.ok]
    lines.append("")
    kinds: dict[str, int] = {}
    for c in cells:
        for k, n in c.fired.items():
            kinds[k] = kinds.get(k, 0) + n
    rows = {c.fault: c.p for c in cells if c.fault in RATE}
    if rows:
        lines.append("fault probability of these rows: " + ", ".join(f"{f} {p:g}" for f, p in rows.items()))
    if kinds:
        lines.append("fired by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    lines.append(f"{len(cells)} cells, {total} orders: lost {sum(c.lost for c in cells)}, duplicated "
                 f"{sum(c.duplicated for c in cells)}, mismatched {sum(c.mismatched for c in cells)}, unsettled "
                 f"{sum(c.unsettled for c in cells)} -> {'PASS' if not bad else 'FAIL'}")
    return "\n".join(lines)
