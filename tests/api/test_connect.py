"""fastorder.connect: typed per venue, awaitable or a context manager, ConfigError for set-up mistakes."""

from __future__ import annotations

import asyncio
import inspect
import sys
import typing

import pytest

import fastorder
from fastorder.sim import BinanceLimits, Simulator
from fastorder.venues import keywords

CREDS = {
    "binance": dict(key="vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
                    secret="NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"),
    "okx": dict(key="985d5b66-57ce-40fb-b714-afc0b9787083", secret="22582BD0CFF14C41EDBF1AB98506286D",
                passphrase="Sim-Passphrase-1"),
    "htx": dict(key="e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx", secret="b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx"),
}


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def sim(venue: str) -> Simulator:
    return Simulator(venues=(venue,), tls=False, seed=1, binance_limits=BinanceLimits(enabled=False),
                     okx_limit_per_2s=0, htx_limit_per_2s=0)


@pytest.mark.parametrize("venue,default", [("binance", "ws"), ("okx", "ws"), ("htx", "rest"), ("huobi", "rest")])
def test_default_transport_per_venue(venue, default):
    kw = dict(CREDS["htx" if venue == "huobi" else venue])
    assert fastorder.connect(venue, **kw).transport == default


def test_await_form_starts_the_session_and_async_with_does_not_start_it_twice():
    async def main():
        async with sim("htx") as sm:
            s = await fastorder.connect("htx", **CREDS["htx"], url=sm.url("htx", "rest"))
            try:
                assert s.symbols and s.account_id is not None
                ack = await s.place_order("btcusdt", "buy", "0.001", "46000")
                assert ack.order_id
                with pytest.raises(fastorder.ConfigError):
                    await s.start()   # already started: refused, not a second set of connections
                async with s as same:   # entering a started session uses it as it is
                    assert same is s
            finally:
                await s.close()
            async with await fastorder.connect("htx", **CREDS["htx"], url=sm.url("htx", "rest")) as s2:
                assert s2.symbols
    run(main())


@pytest.mark.parametrize("venue,kw,field", [
    ("binance", dict(passphrase="p"), "passphrase"),
    ("okx", dict(private_key=b"k" * 32), "private_key"),
    ("htx", dict(passphrase="p"), "passphrase"),
    ("binance", dict(timout=1.0), "timout"),
    ("okx", dict(resp_type="ACK"), "resp_type"),
    ("htx", dict(td_mode="cash"), "td_mode"),
])
def test_a_keyword_the_venue_does_not_take_is_a_config_error(venue, kw, field):
    with pytest.raises(fastorder.ConfigError) as ei:
        fastorder.connect(venue, **CREDS[venue], **kw)
    assert ei.value.field == field and field in str(ei.value)
    for secret in ("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j", "Sim-Passphrase-1"):
        assert secret not in str(ei.value)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="typing.get_overloads is 3.11+")
def test_the_overloads_name_exactly_the_keywords_each_venue_takes():
    from fastorder import venues

    overloads = typing.get_overloads(venues.connect)
    assert len(overloads) == 6   # binance, okx, htx spot; binance, okx, htx perp
    by_venue = {}
    for ov in overloads:
        sig = inspect.signature(ov)
        names = {p.name for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY} - {"market"}
        venue_ann = str(sig.parameters["venue"].annotation)
        market = "perp" if "'perp'" in str(sig.parameters["market"].annotation) else "spot"
        for v in ("binance", "okx", "htx"):
            if f"'{v}'" in venue_ann or f'"{v}"' in venue_ann:
                by_venue[(v, market)] = names
    assert set(by_venue) == {("binance", "spot"), ("okx", "spot"), ("htx", "spot"), ("binance", "perp"),
                             ("okx", "perp"), ("htx", "perp")}
    for (v, market), names in by_venue.items():
        assert names == set(keywords(v, market)), (v, market, names ^ set(keywords(v, market)))


def test_static_checks_pass():
    """.ci/typecheck: ruff, mypy over the typed API (with tests/api/typing_connect.py pinning what a checker
    makes of connect()), stubtest of the compiled modules' .pyi."""
    pytest.importorskip("mypy")
    import pathlib
    import subprocess

    root = pathlib.Path(__file__).resolve().parents[2]
    if not any((root / "fastorder" / "_core").glob("buffer*.so")):
        pytest.skip("stubtest needs the compiled modules built in this tree")
    r = subprocess.run([str(root / ".ci" / "typecheck")], cwd=root, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]

