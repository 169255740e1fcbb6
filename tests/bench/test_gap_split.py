"""bench/gap_split.py cuts each round trip after a gap at the kernel's events: a synthetic trace with known
times gives back exactly the parts it was built from, for a client that sleeps for the reply and one that
spins, and sends of another process or of another connection are not taken for the client's."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).parents[2]


@pytest.fixture(scope="module")
def gs():
    spec = importlib.util.spec_from_file_location("gap_split", ROOT / "bench" / "gap_split.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def send(comm, tid, t, fd, n=0x179):
    return (comm, tid, 1, t, "sys_enter_sendto", f"fd: 0x{fd:08x}, buff: 0x7f, len: 0x{n:08x}, flags: 0x00004000")


def trip(t0, comm="cl", tid=7, fd=3, spin=False, other_sends=()):
    """One round trip of client `tid` starting at t0 (seconds); the parts in µs: client 20, kernel send 5,
    server wake-up 10, server 40, idle exit 3 + switch 4 (or a spinning read 6), reply handling 12."""
    us = 1e-6
    ev = [(comm, tid, 1, t0, "sys_exit_epoll_wait", "0x0")]
    t = t0 + 20 * us
    ev += [send(comm, tid, t, fd)] + list(other_sends)
    ev.append((comm, tid, 1, t + 5 * us, "sys_exit_sendto", "0x179"))
    if not spin:
        ev.append(("swapper/1", 0, 1, t + 7 * us, "cpu_idle", "state=1 cpu_id=1"))
    ev.append(("nginx", 99, 0, t + 15 * us, "sys_exit_epoll_wait", "0x1"))
    ev.append(("nginx", 99, 0, t + 55 * us, "sys_enter_writev", "fd: 0x00000005"))
    if spin:
        ev.append((comm, tid, 1, t + 58 * us, "sys_exit_recvfrom", "0xfffffffffffffff5"))   # EAGAIN
        ev.append((comm, tid, 1, t + 61 * us, "sys_exit_recvfrom", "0x14c"))
        back = t + 61 * us
    else:
        ev.append(("swapper/1", 0, 1, t + 58 * us, "cpu_idle", "state=4294967295 cpu_id=1"))
        ev.append(("swapper/1", 0, 1, t + 62 * us, "sched_switch",
                   f"prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm={comm} next_pid={tid} "
                   "next_prio=89"))
        back = t + 62 * us
    ev.append((comm, tid, 1, back + 12 * us, "sys_enter_epoll_wait", "epfd: 0x4"))
    return ev


def check(row, spin):
    assert row["client part"] == pytest.approx(20, abs=0.01)
    assert row["kernel send"] == pytest.approx(5, abs=0.01)
    assert row["server wake-up"] == pytest.approx(10, abs=0.01)
    assert row["server"] == pytest.approx(40, abs=0.01)
    assert row["reply wake-up"] == pytest.approx(6 if spin else 7, abs=0.01)
    assert row["of which idle exit"] == pytest.approx(0 if spin else 3, abs=0.01)
    assert row["reply handling"] == pytest.approx(12, abs=0.01)
    assert row["halted"] == (0.0 if spin else 1.0)


@pytest.mark.parametrize("spin", [False, True])
def test_round_trips_are_cut_at_their_events(gs, spin):
    evs = []
    for k in range(4):
        evs += trip(1.0 + k * 0.01, spin=spin)
    rows = gs.split(sorted(evs, key=lambda e: e[3]), "cl", 1, 0x179)
    assert len(rows) == 3   # the last send has no next one to bound it
    for r in rows:
        check(r, spin)


def test_other_processes_and_connections_are_not_the_client(gs):
    evs = []
    for k in range(4):
        # another process of the same name sending the same size in the middle of the round trip, and the
        # client's own second connection (a keep_warm scratch connection, opened later: a higher descriptor)
        noise = [send("cl", 8, 1.0 + k * 0.01 + 21e-6, 3), send("cl", 7, 1.0 + k * 0.01 + 1e-3, 9)]
        evs += trip(1.0 + k * 0.01, other_sends=noise)
    rows = gs.split(sorted(evs, key=lambda e: e[3]), "cl", 1, 0x179)
    assert len(rows) == 3
    for r in rows:
        check(r, False)
