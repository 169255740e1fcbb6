"""The fault matrix, small (CI): every fault x venue x transport, 0 lost / 0 duplicated / 0 mismatched /
0 unsettled. The full run (1,000 orders per cell) is `python bench/fault_matrix.py`."""

import asyncio

import pytest

from fastorder.bench.faultmatrix import FAULTS, MAIN_KIND, PATHS, TLS_FAULTS, run_cell


@pytest.mark.parametrize("venue,transport", PATHS)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_cell(fault, venue, transport):
    cell = asyncio.run(asyncio.wait_for(run_cell(fault, venue, transport, orders=24, p=0.15, seed=7), 120))
    assert cell.orders == 24
    assert cell.ok, f"{cell}"
    assert cell.tls == (fault in TLS_FAULTS)
    if fault == "none":
        assert cell.faults_fired == 0 and cell.acked == 24
    else:   # the cell's own fault fired (for the TLS cells: a handshake failed, not only a connection dropped)
        kind = MAIN_KIND.get(fault)
        fired = cell.fired.get(kind, 0) if kind else cell.faults_fired
        assert fired > 0, f"the fault never fired: the cell tested nothing ({cell.fired})"


@pytest.mark.parametrize("venue,transport", PATHS)
def test_a_tls_link_that_ended_is_not_handed_out(venue, transport):
    """Connections dropped after processing, over compiled TLS: the link ends at once (close_notify, EOF),
    the transport's connection_lost a loop iteration later. The pool must not hand out a connection meanwhile:
    it did, and half to three quarters of these orders were refused locally (ConnectionLost, "TLS: the
    connection is not open") instead of going out on a healthy or reopened connection. REST: the HTTP pool
    looked only at the protocol's own flag. WebSocket: with one of the two connections lost, the pool's
    one-connection shortcut handed out the other without asking its TLS link."""
    cell = asyncio.run(asyncio.wait_for(run_cell("tls handshake", venue, transport, orders=800, p=0.05, seed=1),
                                        240))
    assert cell.ok, f"{cell}"
    ended = {why: n for why, n in cell.refusals.items() if "connection is not open" in why}
    assert not ended, f"orders refused on a connection whose link had ended: {ended}"
    # what is left: orders that waited their timeout while every connection was being reopened (a WebSocket
    # reopens with a log-on, and a tenth of the handshakes stall for 3 s), before the fix 70-75 %
    limit = 0.05 if transport == "rest" else 0.15
    assert cell.rejected <= limit * cell.orders, f"{cell.rejected} of {cell.orders} refused: {cell.refusals}"
