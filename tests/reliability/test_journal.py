"""The order journal: written before sending, settled after, recovered after a real kill -9."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import fastorder
from fastorder.bench.faultmatrix import _VENUE_STATE, PATHS
from fastorder.bench.runner import ACCOUNTS, PERP_ROWS, PERP_VENUE, QTY_FOR, SIM_VENUE, SYMBOL
from fastorder.errors import JournalError, JournalLocked
from fastorder.journal import OrderJournal, decode_records, encode_record, read_records
from fastorder.sim import BinanceLimits, Simulator, SimulatorProcess, creds


def test_records_reload_and_a_torn_last_record_is_dropped(tmp_path):
    path = tmp_path / "j.log"
    with OrderJournal(path, fsync="always") as j:
        j.sent("binance", "BTCUSDT", "a1", "BUY", "0.1", "100", 1, 10)
        j.sent("binance", "BTCUSDT", "a2", "BUY", "0.1", "100", 2, 10)
        j.final("a1", "NEW", "77")
    torn = encode_record({"t": "P", "v": "binance", "s": "BTCUSDT", "c": "a3"})
    with open(path, "ab") as f:
        f.write(torn[:len(torn) // 2])   # a crash in the middle of a write
    with OrderJournal(path) as j:
        assert [r["c"] for r in j.pending()] == ["a2"] and j.outcome("a1")["o"] == "77" and j.torn == 1
        j.sent("binance", "BTCUSDT", "a4", "BUY", "0.1", "100", 3, 10)   # after the torn tail: not hidden by it
    with OrderJournal(path) as j:
        assert [r["c"] for r in j.pending()] == ["a2", "a4"] and j.torn == 0
        j.compact()
    assert [r["c"] for r in read_records(path)] == ["a2", "a4"]


SHORT_WRITE = textwrap.dedent("""
    import os, resource, signal, sys
    from fastorder.journal import OrderJournal
    from fastorder.errors import JournalError
    path = sys.argv[1]
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # past the limit: a short write, then EFBIG (no signal)
    j = OrderJournal(path, fsync="never")
    j.sent("binance", "BTCUSDT", "a1", "BUY", "0.1", "100", 1, 10)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(path) + 40, hard))   # the disk fills up
    try:
        j.sent("binance", "BTCUSDT", "a2", "BUY", "0.1", "100", 2, 10)
        print("a2 written")
    except JournalError as exc:
        print("a2 refused:", exc)
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))   # space again
    j.sent("binance", "BTCUSDT", "a3", "BUY", "0.1", "100", 3, 10)
    j.close()
""")


def test_a_short_write_is_refused_and_hides_no_later_record(tmp_path):
    """A record cut short by a full disk (a real short write: RLIMIT_FSIZE) is reported, so its order is not
    sent, and the next record, written after the torn bytes, is read back."""
    path = tmp_path / "j.log"
    out = subprocess.run([sys.executable, "-c", SHORT_WRITE, str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("a2 refused:") and "was not sent" in out.stdout
    assert 40 < path.stat().st_size   # the torn bytes of a2 are in the file, between a1 and a3
    with OrderJournal(path) as j:
        assert [r["c"] for r in j.pending()] == ["a1", "a3"] and j.torn == 1


def _orders(j, n, first=0):
    for i in range(first, first + n):
        j.sent("binance", "BTCUSDT", f"o{i}", "BUY", "0.1", "100", i, i + 10)
        if i % 3 == 0:
            j.final(f"o{i}", "NEW", str(1000 + i))


def test_power_loss_at_every_byte_of_the_last_records(tmp_path):
    """Truncate the journal at every byte offset of its last 6 records (what a power loss can leave with
    fsync="always", where each record is on disk before its order is sent): every record wholly before the
    cut is recovered, the torn one is dropped, and a record written after recovery is read back."""
    path = tmp_path / "j.log"
    with OrderJournal(path, fsync="always") as j:
        _orders(j, 12)
    data = path.read_bytes()
    spans = [(a, b, r) for a, b, r in decode_records(data)[0]]
    assert len(spans) == 16 and spans[-1][1] == len(data)
    first = spans[-6][0]
    tried = 0
    for cut in range(first, len(data) + 1):
        path.write_bytes(data[:cut])
        whole = [r for a, b, r in spans if b <= cut]
        pend = {r["c"] for r in whole if r["t"] == "P"} - {r["c"] for r in whole if r["t"] == "F"}
        with OrderJournal(path, fsync="never") as j:
            assert {r["c"] for r in j.pending()} == pend, cut
            assert all(j.outcome(r["c"])["o"] == r["o"] for r in whole if r["t"] == "F")
            j.sent("binance", "BTCUSDT", "after", "BUY", "0.1", "100", 99, 109)
        with OrderJournal(path, fsync="never") as j:
            assert {r["c"] for r in j.pending()} == pend | {"after"}, cut
        tried += 1
    assert tried == len(data) - first + 1 > 300


def test_one_writer_per_journal(tmp_path):
    path = tmp_path / "j.log"
    j = OrderJournal(path)
    with pytest.raises(JournalLocked, match="one writer"):
        OrderJournal(path)
    probe = subprocess.run([sys.executable, "-c", "import sys; from fastorder.journal import OrderJournal; "
                            "OrderJournal(sys.argv[1])", str(path)], capture_output=True, text=True, timeout=60)
    assert "JournalLocked" in probe.stderr and str(os.getpid()) in probe.stderr   # names the holder
    j.close()
    OrderJournal(path).close()   # free again once closed


def test_compact_keeps_every_pending_order(tmp_path):
    path = tmp_path / "j.log"
    with OrderJournal(path, fsync="never") as j:
        _orders(j, 9)
    with open(path, "ab") as f:
        f.write(b"\x1fJ00000010garbage")   # a torn record in the middle of the file
    with OrderJournal(path, fsync="never") as j:
        _orders(j, 3, first=9)
        pend = {r["c"] for r in j.pending()}
        j.compact()
        j.sent("binance", "BTCUSDT", "late", "BUY", "0.1", "100", 1, 2)
    assert {r["c"] for r in read_records(path)} == pend | {"late"}
    with OrderJournal(path) as j:
        assert {r["c"] for r in j.pending()} == pend | {"late"}


SYNCS = textwrap.dedent("""
    import sys, time
    from fastorder.journal import OrderJournal
    j = OrderJournal(sys.argv[1], fsync="batch", batch_ms=50)
    j.sent("binance", "BTCUSDT", "a1", "BUY", "0.1", "100", 1, 10)
    time.sleep(0.05)
    print("WROTE", flush=True)
    j.sent("binance", "BTCUSDT", "a2", "BUY", "0.1", "100", 2, 10)   # then idle: no further record
    time.sleep(0.5)
    print("IDLE", flush=True)
    time.sleep(0.5)
    j.close()
""")


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace to see the process's sync calls")
def test_batch_syncs_when_idle_and_a_new_file_syncs_its_directory(tmp_path):
    """fsync="batch": the last record is synced within batch_ms although no record follows it (a timer),
    and a newly created journal syncs its directory (the file's name). Seen in the system calls made."""
    path = tmp_path / "j.log"
    trace = tmp_path / "trace"
    out = subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat,fsync,fdatasync,write", "-o", str(trace),
                          sys.executable, "-c", SYNCS, str(path)], capture_output=True, text=True, timeout=60)
    if out.returncode != 0 and "ptrace" in out.stderr:
        pytest.skip("ptrace is not permitted here")
    assert out.returncode == 0, out.stderr
    lines = trace.read_text().splitlines()
    dir_fd = next(ln.rsplit("= ", 1)[1] for ln in lines if f'"{tmp_path}"' in ln and "O_DIRECTORY" in ln)
    assert any(f"fsync({dir_fd})" in ln for ln in lines), "the directory was not synced"
    wrote = next(i for i, ln in enumerate(lines) if 'write(1, "WROTE' in ln)
    idle = next(i for i, ln in enumerate(lines) if 'write(1, "IDLE' in ln)
    assert any("fdatasync(" in ln for ln in lines[wrote:idle]), "the last record was not synced while idle"


def test_sessions_journal_every_order_and_keep_no_secret(tmp_path):
    path = tmp_path / "j.log"

    async def main():
        async with Simulator(venues=("binance",), binance_limits=BinanceLimits(enabled=False)) as sim:
            async with fastorder.connect("binance", "ws", key=creds.BINANCE_HMAC_KEY,
                                         secret=creds.BINANCE_HMAC_SECRET, url=sim.url("binance", "rest"),
                                         ws_url=sim.url("binance", "ws"), journal=str(path)) as s:
                ok = await s.place_order("BTCUSDT", "buy", "0.001", "46000")
                try:
                    await s.place_order("BTCUSDT", "buy", "0.001", "nan")
                except ValueError:
                    pass
                assert s.journal.pending() == [] and s.journal.outcome(ok.client_order_id)["st"] == "NEW"
    asyncio.run(main())
    text = path.read_text()
    assert creds.BINANCE_HMAC_SECRET not in text and creds.BINANCE_HMAC_KEY not in text
    assert text.count('"t":"P"') == 2 and '"st":"NOT_SENT"' in text


def _disk_full(fd: int) -> int:
    """From now on every write to `fd` fails with ENOSPC, as on a full disk (the descriptor now refers to
    /dev/full); returns a duplicate of the original to put back."""
    saved = os.dup(fd)
    full = os.open("/dev/full", os.O_WRONLY)
    os.dup2(full, fd)
    os.close(full)
    return saved


# the spot paths and every perpetual swap path (PERP_ROWS: Binance USDⓈ-M, OKX SWAP over REST and WS, HTX
# linear swaps over REST), each a connect(market="perp") session; OKX serves its swaps on its spot simulator
JOURNAL_PATHS = PATHS + PERP_ROWS


def _session_kw(venue: str, urls: dict[str, str], transport: str, **kw) -> tuple[str, dict]:
    """connect()'s venue name and keywords for one of JOURNAL_PATHS against simulator `urls`."""
    kw = dict(ACCOUNTS[venue], url=urls["rest"], **kw)
    if transport == "ws":
        kw["ws_url"] = urls["ws"]
    if venue in PERP_VENUE:
        kw["market"] = "perp"
    return PERP_VENUE.get(venue, venue), kw


@pytest.mark.parametrize("venue,transport", JOURNAL_PATHS)
def test_an_order_whose_record_did_not_land_is_not_sent(tmp_path, venue, transport):
    app = SIM_VENUE.get(venue, venue)
    qty = QTY_FOR.get(venue, "0.001")

    async def main():
        async with Simulator(venues=(app,), binance_limits=BinanceLimits(enabled=False)) as sim:
            urls = {"rest": sim.url(app, "rest"), "ws": sim.url(app, "ws") if transport == "ws" else ""}
            name, kw = _session_kw(venue, urls, transport, journal=str(tmp_path / "j.log"))
            async with fastorder.connect(name, transport, **kw) as s:
                saved = _disk_full(s.journal._fd)
                with pytest.raises(JournalError, match="not sent"):
                    await s.place_order(SYMBOL[venue], "buy", qty, "46000")
                os.dup2(saved, s.journal._fd)
                os.close(saved)
                assert sim.orders(app) == []   # nothing reached the venue
                assert not s.ledger.live_ids      # and its client id may be used again
                ack = await s.place_order(SYMBOL[venue], "buy", qty, "46000")   # the disk has room again
                assert [o["client_order_id"] for o in sim.orders(app)] == [ack.client_order_id]
                assert s.journal.pending() == [] and not s.journal.degraded
    asyncio.run(main())


@pytest.mark.parametrize("venue,transport", JOURNAL_PATHS)
def test_a_final_record_that_fails_still_returns_the_ack(tmp_path, venue, transport, caplog):
    """The venue accepted the order, then the disk filled up before its outcome was written: the caller gets
    the Ack (not an OSError), the journal says it is degraded and logs why; on restart the order is pending
    and recover() settles it."""
    path = tmp_path / "j.log"
    app = SIM_VENUE.get(venue, venue)

    async def main():
        async with Simulator(venues=(app,), binance_limits=BinanceLimits(enabled=False)) as sim:
            urls = {"rest": sim.url(app, "rest"), "ws": sim.url(app, "ws") if transport == "ws" else ""}
            name, kw = _session_kw(venue, urls, transport, journal=str(path))
            async with fastorder.connect(name, transport, **kw) as s:
                sim.faults.add(f"latency:ms=300,transport={transport}")   # the reply is held: time to fill the disk
                task = asyncio.ensure_future(s.place_order(SYMBOL[venue], "buy", QTY_FOR.get(venue, "0.001"),
                                                           "46000"))
                for _ in range(200):
                    if sim.orders(app):
                        break
                    await asyncio.sleep(0.005)
                assert sim.orders(app), "the order never reached the simulator"
                saved = _disk_full(s.journal._fd)
                ack = await task
                assert ack.client_order_id == sim.orders(app)[0]["client_order_id"]
                assert s.journal.degraded and s.journal.outcome(ack.client_order_id)["st"] == ack.status
                os.dup2(saved, s.journal._fd)
                os.close(saved)
                sim.faults.clear()
            assert any("degraded" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
            assert [r["c"] for r in OrderJournal(path).pending()] == [ack.client_order_id]
            kw["journal"] = str(path)
            async with fastorder.connect(name, transport, **kw) as s:
                acks = await s.recover()
                assert [a.client_order_id for a in acks] == [ack.client_order_id] and s.journal.pending() == []
    asyncio.run(main())


CHILD = textwrap.dedent("""
    import asyncio, sys
    import fastorder
    from fastorder.bench.runner import ACCOUNTS, PERP_VENUE, QTY_FOR, SYMBOL
    venue, transport, rest, ws, path = sys.argv[1:6]

    async def main():
        kw = dict(ACCOUNTS[venue], url=rest, journal=fastorder.journal.OrderJournal(path, fsync="never"),
                  rate_limit=False, connections=2, recv_window=500, acceptance_window_ms=1000)
        if transport == "ws":
            kw["ws_url"] = ws
        if venue in ("okx", "okx_swap"):
            kw["order_ttl_ms"] = 500   # expTime: the venue drops an order it reads later than this
        if venue in PERP_VENUE:
            kw["market"] = "perp"
        async with fastorder.connect(PERP_VENUE.get(venue, venue), transport, **kw) as s:
            print("ready", flush=True)

            async def worker():
                for _ in range(20000):   # bounded; the test kills it long before
                    await s.place_order(SYMBOL[venue], "buy", QTY_FOR.get(venue, "0.001"), "46000", tif="IOC")

            await asyncio.gather(*(worker() for _ in range(8)))   # always ~8 orders in flight
    asyncio.run(main())
""")


@pytest.mark.parametrize("venue,transport", JOURNAL_PATHS)
def test_kill_9_mid_burst_then_every_order_is_reconciled(tmp_path, venue, transport):
    path = tmp_path / "j.log"
    # every reply held 20 ms: orders are in flight almost all the time, so the kill always catches some
    app = SIM_VENUE.get(venue, venue)   # the simulator venue that serves the path
    with SimulatorProcess(venues=(app,), faults=f"latency:ms=20,transport={transport}",
                          extra_args=["--no-rate-limits"]) as sim:
        urls = sim.urls[app]
        child = subprocess.Popen([sys.executable, "-c", "import fastorder.journal\n" + CHILD, venue, transport,
                                  urls["rest"], urls.get("ws", ""), str(path)], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (not path.exists() or path.stat().st_size < 30_000):
                time.sleep(0.02)
            os.kill(child.pid, signal.SIGKILL)      # in the middle of a burst, orders in flight
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
            child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        before = OrderJournal(path)
        in_flight = {r["c"] for r in before.pending()}
        before.close()
        assert in_flight, "the kill should leave orders without a recorded outcome"
        time.sleep(1.6)   # past the acceptance window (1 s) + margin: an order the venue never saw cannot appear

        async def recover():
            name, kw = _session_kw(venue, urls, "rest", journal=str(path), rate_limit=False, recv_window=500,
                                   acceptance_window_ms=1000)
            async with fastorder.connect(name, "rest", **kw) as s:
                acks = await s.recover()
                return acks, s.journal.pending(), {c: s.journal.outcome(c) for c in in_flight}

        acks, still, outcomes = asyncio.run(recover())
        assert still == [] and len(acks) == len(in_flight)
        truth = {o["client_order_id"]: o for o in sim.orders(app)}
        assert len(truth) == len(sim.orders(app)), "two orders for one client id (a resend)"
        journal_ids = {r["c"] for r in read_records(path) if r["t"] == "P"}
        assert set(truth) <= journal_ids, "an order reached the venue without being journalled (lost)"
        for clid, out in outcomes.items():
            if out["st"] == "NOT_PLACED":
                assert clid not in truth
            else:
                vs = truth[clid].get("venue_status", truth[clid]["status"])
                assert _VENUE_STATE[venue].get(vs, vs) == out["st"] and str(truth[clid]["order_id"]) == out["o"]


@pytest.mark.parametrize("venue,transport", JOURNAL_PATHS)
def test_power_loss_in_a_sessions_journal_then_recover_settles_every_whole_order(tmp_path, venue, transport):
    """A real session's journal (fsync="always": each record on disk before its order is sent) of resting
    and immediate-or-cancel orders, cut at every byte offset of its last 6 records, as a power loss can leave
    it. At every cut, recover() against the venue settles each order whose sent record is whole but whose
    outcome record is not to the venue's own state and order id; nothing stays pending; the torn record is
    dropped."""
    path = tmp_path / "j.log"
    qty = QTY_FOR.get(venue, "0.001")
    # rests, then IOC (HTX swaps refuse a buy 5 % or more above the mid, 1039: the IOC crosses nearer)
    prices = ["30000", "46000"] if venue not in PERP_VENUE else ["48000", "52000"] if venue == "htx_swap" \
        else ["45000", "55000"]

    app = SIM_VENUE.get(venue, venue)

    async def main():
        async with Simulator(venues=(app,), binance_limits=BinanceLimits(enabled=False), okx_limit_per_2s=0,
                             htx_limit_per_2s=0) as sim:
            urls = {"rest": sim.url(app, "rest"), "ws": sim.url(app, "ws") if transport == "ws" else ""}
            journal = OrderJournal(path, fsync="always")
            name, kw = _session_kw(venue, urls, transport, journal=journal, rate_limit=False)
            async with fastorder.connect(name, transport, **kw) as s:
                for i in range(6):   # resting (NEW), then IOC (filled or expired), in turn
                    await s.place_order(SYMBOL[venue], "buy", qty, prices[i % 2], tif="IOC" if i % 2 else "GTC")
            journal.close()
            data = path.read_bytes()
            spans = decode_records(data)[0]
            assert len(spans) == 12 and spans[-1][1] == len(data)
            truth = {o["client_order_id"]: o for o in sim.orders(app)}
            assert len(truth) == 6
            name, kw = _session_kw(venue, urls, transport, rate_limit=False)
            tried = 0
            async with fastorder.connect(name, transport, **kw) as s:   # after the restart: no journal yet
                for cut in range(spans[-6][0], len(data) + 1):
                    path.write_bytes(data[:cut])
                    whole = [r for a, b, r in spans if b <= cut]
                    pend = {r["c"] for r in whole if r["t"] == "P"} - {r["c"] for r in whole if r["t"] == "F"}
                    with OrderJournal(path, fsync="never") as j:
                        assert {r["c"] for r in j.pending()} == pend, cut
                        s.ledger.journal = j   # this session recovers the cut journal
                        acks = await s.recover()
                        assert sorted(a.client_order_id for a in acks) == sorted(pend) and j.pending() == [], cut
                        for a in acks:
                            o = truth[a.client_order_id]
                            vs = o.get("venue_status", o["status"])
                            assert (a.status, a.order_id) == (_VENUE_STATE[venue].get(vs, vs), str(o["order_id"]))
                            assert j.outcome(a.client_order_id)["st"] == a.status
                        s.ledger.journal = None
                    tried += 1
            assert tried == len(data) - spans[-6][0] + 1 > 300
            assert len(sim.orders(app)) == 6   # recovery only asked: nothing was sent again
    asyncio.run(asyncio.wait_for(main(), 120))
