"""The bench's outputs: the table with each row's latency targets, the percentile plot, the HdrHistogram log."""

from __future__ import annotations

from typing import Any

from fastorder.bench.runner import Bench, criteria, summary

LOOPBACK_NOTE = ("On loopback these numbers measure the software path (client + simulator on this machine), "
                 "not the network to a real exchange: add the real round trip (see `fastorder probe`, "
                 "docs/deploy.md) before comparing with the latency targets.")


RTT_NOTE = ("With --rtt the rows measure fastorder plus the simulator plus the emulated round trip; rows marked "
            "[loopback] (or [veth, no delay]) are the same fastorder rows without it, measured first in this run.")


def table(bench: Bench) -> str:
    w = max([34] + [len(r.name) for r in bench.rows])
    head = (f"{'row':<{w}} {'orders':>6} {'ok%':>7} {'mean':>7} {'p50':>7} {'p90':>7} {'p95':>7} {'p99':>7} "
            f"{'p99.9':>7} {'max':>7} {'<1ms':>6} {'cpu/o':>6} {'client':>6} {'sim':>6}  criteria")
    lines = [head, "-" * len(head)]
    for r in bench.rows:
        if not r.lat_us:
            lines.append(f"{r.name:<{w}} {r.note}")
            continue
        s = summary(r)
        c = criteria(s)
        verdict = " ".join(("PASS" if ok else "FAIL") + f"({name})" for name, ok in c.items()) \
            if r.kind in ("fastorder", "reference") else ("all pass" if all(c.values()) else
                                           "fails: " + ", ".join(k for k, v in c.items() if not v))
        client = f"{sum(r.client_us) / len(r.client_us):6.1f}" if r.client_us else "     -"
        sim = f"{r.sim_us_mean:6.1f}" if r.sim_us_mean is not None else "     -"
        lines.append(
            f"{r.name:<{w}} {s['orders']:>6} {100 * s['success_rate']:>6.2f}% {s['mean']:>7.1f} {s['p50']:>7.1f} "
            f"{s['p90']:>7.1f} {s['p95']:>7.1f} {s['p99']:>7.1f} {s['p99_9']:>7.1f} {s['max']:>7.0f} "
            f"{100 * s['share_under_1ms']:>5.1f}% {r.cpu_us_per_order:>6.1f} {client} {sim}  {verdict}")
        if r.errors:
            lines.append(f"{'':<{w}} errors: {dict(r.errors)}")
    gcs = [(r.name, r.gc) for r in bench.rows if r.gc]
    if gcs:
        lines.append("")
        lines.append("garbage collector during the measured orders" +
                     (" (gc.freeze() after warm-up)" if bench.s.gc_freeze else " (no gc.freeze())") + ":")
        for name, g in gcs:
            lines.append(f"  {name:<{w}} {g['collections']:>4} collections (gen0/1/2 {g['by_generation']}), "
                         f"longest pause {g['max_pause_us']:.0f} µs, total {g['total_pause_us']:.0f} µs")
    lines.append("")
    lines.append("µs per order, measured around each call; cpu/o = client CPU µs per order; client = fastorder's own "
                 "time from the call to the bytes handed to the kernel; sim = the simulator's processing time.")
    ratios = bench.ratios()
    if ratios:
        lines.append("")
        for x in ratios:
            lines.append(f"{x['fastorder']} vs {x['baseline']}: p50 ratio {x['p50_ratio']:.3f} "
                         f"({1 / x['p50_ratio']:.1f}x faster), mean ratio {x['mean_ratio']:.3f}")
    spor = bench.sporadic()
    if spor:
        lines.append("")
        lines.append("sporadic rows: each order after an idle gap, one at a time (the client's thread sleeps in epoll "
                     "through the gap; the simulator busy-polls through it on its own CPU, so its CPU never halts"
                     + (", and replays its last order request in the venue's validation-only form every "
                        f"{bench.placement['simulator_warm_us']} µs of it (Binance REST: order/test and the order's reply "
                        "view; a WebSocket order.place's checks and reply frame; not its socket path nor the matching engine) to "
                        "keep its request path warm"
                        if bench.placement.get("simulator_warm_us") else "") + "; "
                     "its own processing can still run colder after a gap (sim p50 against back to back says whether it stayed warm), "
                     "so rt-sim = the round trip's p50 minus the simulator's own p50 "
                     "as it measures it: what client and kernel add); p50 against the same row back to back, "
                     "this run (client = the call to the bytes handed to the kernel):")
        for x in spor:
            rt = f"p50 {x['p50_us']:7.1f} µs" + (f" ({x['p50_ratio']:.2f}x back to back)" if "p50_ratio" in x else "")
            cl = (f"client p50 {x['client_p50_us']:6.1f} µs" + (f" ({x['client_p50_ratio']:.2f}x back to back "
                  f"{x['b2b_client_p50_us']:.1f})" if x.get("client_p50_ratio") else "")) \
                if x["client_p50_us"] is not None else ""
            sim = f"  rt-sim p50 {x['p50_minus_sim_us']:6.1f} µs" if x.get("p50_minus_sim_us") is not None else ""
            if x.get("sim_p50_us") is not None and x.get("b2b_sim_p50_us"):   # did the simulator's side stay warm?
                sim += f"  sim p50 {x['sim_p50_us']:.1f} µs ({x['sim_p50_us'] / x['b2b_sim_p50_us']:.2f}x back to back)"
            lines.append(f"  {x['row']:<{w}} {rt}  {cl}{sim}")
        for r in bench.rows:
            if r.warm_stats and r.warm_stats.get("passes"):
                w = r.warm_stats
                lines.append(f"  keep_warm in {r.name}: {w['passes']} passes, {w['us_per_pass']:.1f} µs each, "
                             f"{w['pass_us_per_idle_s']:.0f} µs per s of idle time ({w['pass_us_per_idle_s'] / 1e4:.1f} "
                             f"% of a core; the passes only, not the timer's wake-ups)")
    late = [(r.name, r.lateness_us) for r in bench.rows if r.lateness_us]
    if late:
        from fastorder.bench.runner import lateness
        lines.append("")
        lines.append("--rate: the harness wakes 1.5 ms early on the loop's timer and passes through the loop up to each "
                     "due time (replies are read meanwhile; cpu/o includes that polling); latency counts from the due "
                     "time, and how late each order still started is:")
        for name, xs in late:
            lt = lateness(xs)
            lines.append(f"  {name:<34} lateness p50 {lt['p50']:.1f} µs, p99 {lt['p99']:.1f} µs, max {lt['max']:.0f} µs")
    check = bench.rtt_check()
    if check:
        lines.append("")
        lines.append(f"RTT target: p50 <= RTT + 1.2 x the same row's loopback p50 (both passes in this run); first "
                     f"against the nominal RTT, {bench.s.rtt_us:g} µs (the delay the {bench.network['method']} "
                     f"holds each round trip):")
        for x in check:
            lines.append(f"  {x['row']:<30} p50 {x['p50_us']:7.1f} µs vs {x['rtt_us']:g} + 1.2 x "
                         f"{x['loopback_p50_us']:.1f} = {x['limit_us']:7.1f} µs  {'PASS' if x['pass'] else 'FAIL'}"
                         f"  (on top of the RTT: {x['added_beyond_rtt_us']:.1f} µs, "
                         f"{x['added_beyond_loopback_us']:+.1f} µs vs loopback; simulator "
                         + (f"{x['simulator_us_delta']:+.1f}" if x["simulator_us_delta"] is not None else "?")
                         + f" µs, client CPU {x['client_cpu_us_delta']:+.1f} µs/order)")
        m = bench.network.get("measured_rtt")
        if m:
            lines.append(f"then against the test bed's measured RTT, {m['rtt_us']:.1f} µs: the p50 of a "
                         f"{m['size_bytes']}-byte ping-pong through the same relay ({m['through_path_p50_us']:.1f} "
                         f"µs) minus the same ping-pong straight over loopback ({m['loopback_p50_us']:.1f} µs); "
                         f"{m['pings_each']} each, {m['wait']}, an echo server on the simulator's CPU, before and "
                         f"after the rows. It differs from the nominal RTT by what the emulation itself changes: "
                         f"the relay's extra hop each way and its time on the server's CPU add; the wake-ups differ "
                         f"(through the relay the server is woken by the relay on its own running CPU, straight "
                         f"over loopback across CPUs), so it can come out below the nominal:")
            for x in check:
                lines.append(f"  {x['row']:<30} p50 {x['p50_us']:7.1f} µs vs {x['measured_rtt_us']:.1f} + 1.2 x "
                             f"{x['loopback_p50_us']:.1f} = {x['limit_measured_us']:7.1f} µs  "
                             f"{'PASS' if x['pass_measured'] else 'FAIL'}")
        elif bench.network.get("method") == "netem":
            lines.append("(the measured-RTT check is made on the relay path only; netem delays in the kernel, "
                         "without the relay's extra hops)")
    lines.append("")
    lines.append(LOOPBACK_NOTE if not bench.s.rtt_us else RTT_NOTE)
    return "\n".join(lines)


def header(bench: Bench, command: str) -> str:
    from fastorder.bench.runner import machine
    m = machine()
    return (f"command: {command}\n"
            f"machine: {m.get('cpu', '?')}, {m['cpus']} CPUs, Python {m['python']}, {m['platform']}\n"
            f"placement: client CPUs {bench.placement.get('client_cpus')}, simulator CPUs "
            f"{bench.placement.get('simulator_cpus')} (separate process"
            + (f"; busy-polls {bench.placement['simulator_spin_us']} µs after each request"
               if bench.placement.get("simulator_spin_us") else "")
            + (f"; while idle replays its last order request every {bench.placement['simulator_warm_us']} µs in the "
               "venue's validation-only form (Binance order/test; a WebSocket order's checks), keeping its request path warm through the gaps"
               if bench.placement.get("simulator_warm_us") else "") + ")\n"
            f"settings: {vars(bench.s)}\n"
            f"network: {bench.network['description']}\n"
            f"cpuidle: {cpuidle_line(bench.cpuidle)}\n")


def cpuidle_line(c: dict[str, Any]) -> str:
    """The idle driver and the haltpoll setting the run had, and whether the bench changed it (--halt-poll)."""
    if not c or c.get("guest_halt_poll_ns") is None:
        return f"driver {c.get('driver') if c else None}; no haltpoll governor parameters"
    text = f"driver {c['driver']}, guest_halt_poll_ns {c['guest_halt_poll_ns']}"
    if c.get("changed_for_run"):
        text += (f" (set by --halt-poll for this run; it was {c['original_guest_halt_poll_ns']}"
                 + (f", restored to {c['restored_guest_halt_poll_ns']}" if "restored_guest_halt_poll_ns" in c
                    else "") + ")")
    else:
        text += " (as found; not changed by the bench)"
    return text


def plot(bench: Bench, path: str) -> None:
    """Latency by percentile, the percentile axis in 'nines' (50, 90, 99, 99.9 evenly spaced), one line per
    row; latency on a log axis so fast and slow senders both read clearly."""
    import math

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 6), dpi=110)
    for r in bench.rows:
        if not r.lat_us:
            continue
        xs = sorted(r.lat_us)
        n = len(xs)
        pts = [(i + 1) / n for i in range(n - 1)]
        ax.plot([-math.log10(1 - p) for p in pts], [xs[i] for i in range(n - 1)],
                label=r.name, lw=2.2 if r.kind == "fastorder" else 1.4,
                ls="-" if r.kind == "fastorder" else "--")
    ticks = [0.5, 0.9, 0.99, 0.999]
    ax.set_xticks([-math.log10(1 - p) for p in ticks], [f"p{p * 100:g}" for p in ticks])
    ax.set_yscale("log")
    ax.axhline(1000, color="grey", lw=0.8, ls=":")
    ax.text(0.02, 1050, "1 ms", color="grey")
    ax.set_xlabel("percentile")
    ax.set_ylabel("order round trip (µs, log scale)")
    ax.set_title("fastorder bench: order latency by percentile (loopback, same simulator, same run)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def hdr_log(bench: Bench, path: str) -> None:
    """One tagged interval per row in the HdrHistogram log format (version 1.3, which carries tags);
    values in microseconds. Readable by HdrHistogram's HistogramLogReader / HistogramLogAnalyzer."""
    from hdrh.histogram import HdrHistogram

    with open(path, "w") as f:
        f.write("#fastorder bench: per-order latency in microseconds, one tagged interval per row\n")
        f.write("#[Histogram log format version 1.3]\n")
        f.write("#[StartTime: 0.000 (seconds since epoch)]\n")
        f.write('"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n')
        for r in bench.rows:
            if not r.lat_us:
                continue
            h = HdrHistogram(1, 60_000_000, 3)
            for x in r.lat_us:
                h.record_value(max(1, int(x)))
            tag = r.name.replace(" ", "_").replace(":", "").replace(",", "")
            f.write(f"Tag={tag},0.000,1.000,{h.get_max_value() / 1e6:.6f},{h.encode().decode('ascii')}\n")


def as_dict(bench: Bench, command: str) -> dict[str, Any]:
    return bench.to_json(command)
