"""The README's example is examples/quickstart.py, verbatim, and it runs as written."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_readme_shows_the_example_verbatim():
    example = (ROOT / "examples" / "quickstart.py").read_text()
    assert "```python\n" + example + "```" in (ROOT / "README.md").read_text()


def test_the_example_runs_and_every_venue_places_queries_and_cancels():
    res = subprocess.run([sys.executable, str(ROOT / "examples" / "quickstart.py")], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    lines = res.stdout.strip().splitlines()
    assert [ln.split()[:2] for ln in lines] == [["binance", "ws"], ["binance", "rest"], ["okx", "ws"],
                                                ["okx", "rest"], ["htx", "rest"]]
    for ln in lines:
        assert " NEW -> " in ln and ("CANCELED" in ln or "CANCEL_REQUESTED" in ln)
        assert "client" in ln and "round trip" in ln
