"""The README's event example is examples/stream_events.py, verbatim, and it runs as written."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_readme_shows_the_example_verbatim():
    example = (ROOT / "examples" / "stream_events.py").read_text()
    assert "```python\n" + example + "```" in (ROOT / "README.md").read_text()


def test_the_example_prints_the_order_new_then_canceled():
    res = subprocess.run([sys.executable, str(ROOT / "examples" / "stream_events.py")], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    lines = res.stdout.strip().splitlines()
    assert [ln.split()[0] for ln in lines] == ["NEW", "CANCELED"], res.stdout
    assert lines[0].split()[1] == lines[1].split()[1]            # the same order, by its client order id
    assert "status CANCELED" in lines[1]
