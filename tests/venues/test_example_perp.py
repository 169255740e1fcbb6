"""The README's perpetual-swap example is examples/quote_perp.py, verbatim, and it runs as written."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_readme_shows_the_perp_example_verbatim():
    example = (ROOT / "examples" / "quote_perp.py").read_text()
    assert "```python\n" + example + "```" in (ROOT / "README.md").read_text()


def test_the_perp_example_quotes_reprices_and_cancels_on_every_venue():
    res = subprocess.run([sys.executable, str(ROOT / "examples" / "quote_perp.py")], capture_output=True,
                         text=True, timeout=180)
    assert res.returncode == 0, res.stderr[-3000:]
    rows = [ln.split() for ln in res.stdout.strip().splitlines()]
    assert [r[:2] for r in rows] == [["binance", "ws"], ["okx", "ws"], ["htx", "rest"]]
    for r in rows:
        assert float(r[3]) == 49500   # the bid moved
        assert r[4] == ("replaced" if r[0] == "htx" else "amended")
        assert r[5:7] == ["open", "2"] and r[-2:] == ["cancelled", "2"]
