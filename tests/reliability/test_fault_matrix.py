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
