"""examples/strategy_loop.py runs as written: quotes, hears each fill from the order stream, cancels the rest,
and every quote ends in a final state the stream reported."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_strategy_loop_example_runs():
    res = subprocess.run([sys.executable, str(ROOT / "examples" / "strategy_loop.py")], capture_output=True,
                         text=True, timeout=120, cwd="/")
    assert res.returncode == 0, res.stderr[-3000:]
    lines = res.stdout.strip().splitlines()
    assert lines[0] == "quoted 6 orders"
    fills = [ln for ln in lines if ln.startswith("fill ")]
    assert [f.split()[1:3] for f in fills] == [["qs0", "SELL"], ["qs1", "SELL"], ["qb0", "BUY"]]
    assert lines[-1] == ("filled 0.00500000; final states: qb0=CANCELED, qb1=CANCELED, qb2=CANCELED, "
                         "qs0=FILLED, qs1=FILLED, qs2=CANCELED")
