"""HTX USDT-margined swaps (`connect("htx", "rest", market="perp")`) against the simulator's linear swap app:
orders over REST, positions, close offsets beyond the position refused, the perp rejections as typed errors,
contracts against quantity, integer client order ids, bad input refused before anything is sent, faults
reconciled, and the encoder's signature."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import urllib.parse
from decimal import Decimal

import pytest

import fastorder
from fastorder.errors import (
    ConfigError,
    ExecutionUnknown,
    InsufficientMargin,
    InvalidField,
    InvalidOrder,
    MaxPositionExceeded,
    NotSupported,
    OffGrid,
    PositionSideMismatch,
    ReduceOnlyRejected,
    UnknownOrder,
    VenueError,
)
from fastorder.sim import Simulator, creds
from fastorder.types import CANCEL_REQUESTED, CANCELED, FILLED, NEW, NOT_PLACED, Position

V = "htx_swap"
KEYS = dict(key=creds.HTX_KEY, secret=creds.HTX_SECRET)
REST_PX = "49000"   # below the simulator's 50000 mid: rests on the book


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def perp(*, tls: bool = False, faults=None, **kw):
    async with Simulator(venues=(V,), tls=tls, faults=faults, seed=3) as sim:
        args = dict(KEYS, url=sim.url(V, "rest"), timeout=2.0, **kw)
        if tls:
            args["ssl_context"] = sim.client_ssl_context()
        async with fastorder.connect("htx", "rest", market="perp", **args) as s:
            yield sim, s


@pytest.mark.parametrize("margin_mode", ["cross", "isolated"])
def test_place_query_cancel_in_every_spelling(margin_mode):
    async def main():
        async with perp(tls=margin_mode == "cross", margin_mode=margin_mode) as (sim, s):
            assert s.venue == V and s.contract_sizes["BTC-USDT"] == Decimal("0.001")
            ack = await s.place_order("BTC-USDT-SWAP", "buy", "0.010", REST_PX)
            assert (ack.symbol, ack.quantity, ack.price, ack.venue) == ("BTC-USDT", "0.010", REST_PX, V)
            assert ack.client_order_id.isdigit() and 1 <= int(ack.client_order_id) < 2**63
            truth = sim.order(V, client_order_id=ack.client_order_id)
            assert (truth["status"], Decimal(truth["qty"])) == ("NEW", 10)   # 10 contracts of 0.001 BTC
            assert str(truth["order_id"]) == ack.order_id
            for spelling in ("BTCUSDT", "BTC-USDT", "btc/usdt:usdt"):
                q = await s.query_order(spelling, client_order_id=ack.client_order_id)
                assert (q.status, q.order_id, Decimal(q.quantity)) == (NEW, ack.order_id, Decimal("0.010"))
            c = await s.cancel_order("BTCUSDT", order_id=ack.order_id)
            assert c.status == CANCEL_REQUESTED and sim.order(V, order_id=ack.order_id)["status"] == "CANCELED"
            assert (await s.query_order("BTCUSDT", order_id=ack.order_id)).status == CANCELED
            again = await s.cancel_order("BTCUSDT", client_order_id=ack.client_order_id)   # 1071: canceled already
            assert again.status == CANCELED
            with pytest.raises(UnknownOrder):
                await s.cancel_order("BTCUSDT", order_id="42")
            with pytest.raises(UnknownOrder):
                await s.query_order("BTCUSDT", client_order_id="4242")
            opened = await s.place_order("BTCUSDT", "sell", "0.010", "51000", post_only=True)
            assert [a.order_id for a in await s.open_orders("BTCUSDT")] == [opened.order_id]
    run(main())


def test_positions_follow_fills_and_close_offsets_are_bounded():
    async def main():
        async with perp() as (sim, s):
            assert await s.positions() == []
            buy = await s.place_order("BTCUSDT", "buy", None, type="market", contracts=20)
            assert (await s.query_order("BTCUSDT", order_id=buy.order_id)).status == FILLED
            await s.place_order("BTCUSDT", "sell", "0.005", type="market")
            [p] = await s.positions("BTC-USDT-SWAP")
            assert isinstance(p, Position) and (p.symbol, p.position_side, p.margin_mode) == ("BTC-USDT", "net",
                                                                                              "cross")
            assert Decimal(p.quantity) == Decimal("0.015") and Decimal(p.contracts) == 15 and p.leverage == 5
            n = len(sim.orders(V))
            with pytest.raises(ReduceOnlyRejected) as ei:   # closes more than the 15 contracts held
                await s.place_order("BTCUSDT", "sell", None, type="market", contracts=16, reduce_only=True)
            assert (ei.value.code, ei.value.venue) == (1048, V) and len(sim.orders(V)) == n
            await s.place_order("BTCUSDT", "sell", None, type="market", contracts=15, reduce_only=True)
            assert await s.positions() == []
    run(main())


def test_hedge_mode_offsets():
    async def main():
        async with perp() as (sim, s):
            with pytest.raises(PositionSideMismatch) as ei:   # one-way mode takes no open/close offset
                await s.place_order("BTCUSDT", "buy", "0.010", REST_PX, position_side="long")
            assert ei.value.code == 1036
            await s.set_position_mode(True)
            with pytest.raises(PositionSideMismatch):   # hedge mode needs one
                await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            await s.place_order("BTCUSDT", "buy", None, type="market", contracts=10, position_side="long")
            await s.place_order("BTCUSDT", "sell", None, type="market", contracts=3, position_side="SHORT")
            got = {p.position_side: Decimal(p.contracts) for p in await s.positions()}
            assert got == {"long": 10, "short": -3}
            with pytest.raises(ReduceOnlyRejected):   # sell-close of more of the long than there is
                await s.place_order("BTCUSDT", "sell", None, type="market", contracts=11, position_side="long")
            rest = await s.place_order("BTCUSDT", "sell", None, "50500", contracts=8, position_side="long")
            with pytest.raises(ReduceOnlyRejected):   # the resting close order holds 8 of the 10
                await s.place_order("BTCUSDT", "sell", None, type="market", contracts=3, position_side="long")
            await s.cancel_order("BTCUSDT", order_id=rest.order_id)
            await s.place_order("BTCUSDT", "buy", None, type="market", contracts=3, position_side="short")
            assert {p.position_side for p in await s.positions()} == {"long"}
            with pytest.raises(InvalidOrder):   # reduce_only is for one-way mode: refused locally
                await s.place_order("BTCUSDT", "sell", "0.001", type="market", position_side="long",
                                    reduce_only=True)
    run(main())


def test_margin_leverage_and_max_position():
    async def main():
        async with perp() as (sim, s):
            assert await s.set_leverage("BTCUSDT", 2) == 2
            n = len(sim.orders(V))
            with pytest.raises(InsufficientMargin) as ei:   # 1 BTC ≈ 50,000 / 2 > the 10,000 wallet
                await s.place_order("BTCUSDT", "buy", "1", type="market")
            assert ei.value.code == 1047 and len(sim.orders(V)) == n
            ok = await s.place_order("BTCUSDT", "buy", "0.3", REST_PX)   # 14,700 / 2 fits
            with pytest.raises(InsufficientMargin):   # the open order's margin counts
                await s.place_order("BTCUSDT", "buy", "0.2", REST_PX)
            with pytest.raises(VenueError) as ei:   # no leverage switch with an open order (1045)
                await s.set_leverage("BTCUSDT", 3)
            assert ei.value.code == 1045
            await s.cancel_order("BTCUSDT", order_id=ok.order_id)
            assert await s.set_leverage("BTCUSDT", 200) == 200
            with pytest.raises(MaxPositionExceeded) as ei:   # past the position limit (contracts)
                await s.place_order("BTCUSDT", "buy", None, REST_PX, contracts=100_001)
            assert ei.value.code == 1044
            with pytest.raises(NotSupported):   # cross and isolated are separate accounts: chosen at connect
                await s.set_margin_mode("BTCUSDT", "isolated")
    run(main())


def test_contracts_and_quantity_convert_exactly():
    async def main():
        async with perp() as (sim, s):
            a = await s.place_order("BTCUSDT", "buy", None, REST_PX, contracts=25)
            b = await s.place_order("BTCUSDT", "buy", "0.025", REST_PX)
            c = await s.place_order("BTCUSDT", "buy", Decimal("0.0250"), REST_PX)
            d = await s.place_order("BTCUSDT", "buy", 0.025, REST_PX)   # a float by its shortest repr
            assert {Decimal(x.quantity) for x in (a, b, c, d)} == {Decimal("0.025")}
            assert {sim.order(V, x.order_id)["qty"] for x in (a, b, c, d)} == {"25"}
            before = len(sim.orders(V))
            with pytest.raises(InvalidOrder):   # 0.0255 BTC is 25.5 contracts: refused, never rounded
                await s.place_order("BTCUSDT", "buy", "0.0255", REST_PX)
            with pytest.raises(OffGrid):        # half a contract
                await s.place_order("BTCUSDT", "buy", None, REST_PX, contracts="0.5")
            with pytest.raises(OffGrid):        # off the 0.1 price tick
                await s.place_order("BTCUSDT", "buy", "0.025", "49000.05")
            with pytest.raises(InvalidOrder):
                await s.place_order("BTCUSDT", "buy", "0.025", REST_PX, contracts=25)
            assert len(sim.orders(V)) == before
    run(main())


def test_bad_input_is_typed_and_nothing_is_sent():
    async def main():
        async with perp() as (sim, s):
            before = len(sim.orders(V))
            for kw, err in ((dict(position_side="up"), InvalidField), (dict(reduce_only="yes"), InvalidOrder),
                            (dict(client_order_id="fo123"), InvalidField),
                            (dict(client_order_id="0"), InvalidField),
                            (dict(client_order_id=str(2**63)), InvalidField),
                            (dict(stp="cancel_taker"), NotSupported)):
                with pytest.raises(err):
                    await s.place_order("BTCUSDT", "buy", "0.010", REST_PX, **kw)
            with pytest.raises(InvalidOrder):
                await s.place_order("DOGE-USDT", "buy", "1", "0.1")
            with pytest.raises(InvalidField):
                await s.cancel_order("BTCUSDT", client_order_id="not-a-number")
            for lev in (0, True, "5"):
                with pytest.raises(InvalidOrder):
                    await s.set_leverage("BTCUSDT", lev)
            with pytest.raises(NotSupported):
                await s.place_order("BTCUSDT", "sell", "0.010", type="stop_loss", stop_price="45000")
            assert len(sim.orders(V)) == before
            ack = await s.place_order("BTCUSDT", "buy", "0.010", REST_PX, client_order_id="9223372036854775807")
            assert sim.order(V, client_order_id="9223372036854775807")["order_id"] == int(ack.order_id)
    run(main())


def test_connect_refuses_what_it_cannot_do():
    with pytest.raises(ConfigError) as ei:   # orders over REST only in this library
        fastorder.connect("htx", "ws", market="perp", **KEYS)
    assert "rest" in str(ei.value)
    with pytest.raises(ConfigError):
        fastorder.connect("htx", "rest", market="perp", margin_mode="portfolio", **KEYS)
    with pytest.raises(ConfigError):
        fastorder.connect("htx", "rest", market="perp", account_id=1, **KEYS)   # a spot keyword
    with pytest.raises(ConfigError):
        fastorder.connect("huobi", "rest", market="perp", env="testnet", **KEYS)
    with pytest.raises(ConfigError, match="between 5") as ei:   # linear-cancel-after: time_out >= 5,000 ms
        fastorder.connect("htx", "rest", market="perp", cancel_on_disconnect=4.9, **KEYS)
    assert ei.value.field == "cancel_on_disconnect"
    s = fastorder.connect("huobi", market="perp", **KEYS)
    assert (s.rest.host, s.transport, s.market, s.venue) == ("api.hbdm.com", "rest", "perp", V)


@pytest.mark.parametrize("fault", ["5xx", "drop:phase=after"])
def test_unknown_outcome_is_reconciled_by_integer_client_id(fault, tmp_path):
    async def main():
        spec = fault + ("," if ":" in fault else ":") + f"count=1,venue={V}"
        async with perp(journal=str(tmp_path / "j")) as (sim, s):
            sim.faults.add(spec)
            ack = await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            assert ack.reconciled, f"{fault} did not reach the order path"
            assert ack.status == NEW and sim.order(V, client_order_id=ack.client_order_id)["status"] == "NEW"
            assert await s.recover() == []   # settled: nothing left pending in the journal
    run(main())


def test_recover_after_a_lost_order_finds_it_or_writes_it_off(tmp_path):
    async def main():
        async with perp(journal=str(tmp_path / "j"), acceptance_window_ms=1) as (sim, s):
            sim.faults.add(f"drop:phase=before,count=6,venue={V}")   # the order and every query lost
            with pytest.raises(ExecutionUnknown) as ei:
                await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            clid = ei.value.client_order_id
            assert clid and clid.isdigit()
            sim.faults.clear()
            await asyncio.sleep(0.05)
            [r] = await s.recover()   # never reached the venue: not found past its window
            assert (r.client_order_id, r.status) == (clid, NOT_PLACED)
    run(main())


def test_encoder_signs_with_the_swap_host_and_both_margin_paths():
    from fastorder._core.buffer import WriteBuffer
    from fastorder._core.htx import HtxSwapRest
    from fastorder._core.sign import HmacSha256
    for mode, path in (("cross", "/linear-swap-api/v1/swap_cross_order"), ("isolated", "/linear-swap-api/v1/swap_order")):
        for call_mode in (None, "cross", "isolated"):
            enc = HtxSwapRest("ak", HmacSha256("sk"), host="api.hbdm.com", margin_mode=mode)
            buf = WriteBuffer()
            enc.place_order_request(buf, "BTC-USDT", "sell", volume=2, client_order_id=7, timestamp_s=1_700_000_000,
                                    lever_rate=10, price="50000.5", offset="close", margin_mode=call_mode)
            head, _, body = buf.getvalue().partition(b"\r\n\r\n")
            target = head.split(b" ")[1].decode()
            want = path if call_mode in (None, mode) else ("/linear-swap-api/v1/swap_order" if call_mode == "isolated"
                                                           else "/linear-swap-api/v1/swap_cross_order")
            p, _, q = target.partition("?")
            qs, _, sig = q.partition("&Signature=")
            text = f"POST\napi.hbdm.com\n{p}\n{qs}".encode()
            assert p == want and urllib.parse.unquote(sig) == base64.b64encode(
                hmac.new(b"sk", text, hashlib.sha256).digest()).decode()
            assert body == (b'{"contract_code":"BTC-USDT","client_order_id":7,"price":"50000.5","volume":2,'
                            b'"direction":"sell","offset":"close","lever_rate":10,"order_price_type":"limit"}')


@pytest.mark.parametrize("bad,err", [
    (dict(volume="1.5"), InvalidOrder), (dict(client_order_id=0), InvalidField),
    (dict(client_order_id="007"), InvalidField), (dict(client_order_id=2**63), InvalidField),
    (dict(order_price_type="market"), InvalidOrder), (dict(price=None), InvalidOrder),
    (dict(offset="half"), InvalidField), (dict(lever_rate=0), InvalidField),
    (dict(reduce_only=True, offset="open"), InvalidOrder), (dict(direction="BUY"), InvalidField),
    (dict(margin_mode="portfolio"), InvalidField), (dict(reduce_only=1), TypeError),
])
def test_encoder_refuses_bad_orders_before_writing(bad, err):
    from fastorder._core.buffer import WriteBuffer
    from fastorder._core.htx import HtxSwapRest
    from fastorder._core.sign import HmacSha256
    kw = dict(direction="buy", volume=1, client_order_id=1, timestamp_s=1_700_000_000, lever_rate=5, price="1")
    kw.update(bad)
    buf = WriteBuffer()
    with pytest.raises(err):
        HtxSwapRest("ak", HmacSha256("sk")).place_order_request(buf, "BTC-USDT", kw.pop("direction"), **kw)
    assert buf.getvalue() == b""


def test_unwired_operations_are_said_before_sending():
    async def main():
        async with perp() as (sim, s):
            for call in (s.amend_order("BTCUSDT", order_id="1", price="1"),):
                with pytest.raises(NotSupported):
                    await call
            [a] = await s.place_orders([dict(symbol="BTCUSDT", side="buy", quantity="0.002", price=REST_PX)])
            assert sim.order(V, client_order_id=a.client_order_id)["qty"] == "2"
            [c] = await s.cancel_orders("BTCUSDT", order_ids=[a.order_id])
            assert c.status == CANCEL_REQUESTED
            await s.set_position_mode(True)
            await s.set_position_mode(False)
            assert sim.apps[V].pos_mode[("main", "USDT")] == "single_side"
    run(main())


SWAP_ORDERS = [
    dict(direction="buy", volume=3, client_order_id="123456789", price="50000.1", offset="open", rules=True),
    dict(direction="sell", volume="2", client_order_id=9223372036854775807, order_price_type="market",
         reduce_only=True, margin_mode="isolated"),
    dict(direction="buy", volume=Decimal("7"), client_order_id=5, price=Decimal("49999.90"),
         order_price_type="post_only", offset="both", rules=True),
    dict(direction="sell", volume=1, client_order_id=1, order_price_type="optimal_5_fok", margin_mode="cross",
         offset="close"),
]
SWAP_BAD = [
    dict(volume="1.5"), dict(volume="1.5", rules=True), dict(client_order_id=0), dict(client_order_id="007"),
    dict(client_order_id=2**63), dict(order_price_type="market", price="1"), dict(price=None), dict(offset="half"),
    dict(lever_rate=0), dict(reduce_only=True, offset="open"), dict(direction="BUY"),
    dict(margin_mode="portfolio"), dict(reduce_only=1), dict(contract_code="BTC USDT"), dict(price="50000.15",
                                                                                              rules=True),
]


def _swap_encode(kind: str, case: dict):
    import importlib
    mod = importlib.import_module(f"fastorder._{kind}.htx")
    buf = importlib.import_module(f"fastorder._{kind}.buffer").WriteBuffer()
    signer = importlib.import_module(f"fastorder._{kind}.sign").HmacSha256("sk")
    rules_mod = importlib.import_module(f"fastorder._{kind}.numbers")
    kw = dict(direction="buy", volume=1, client_order_id=1, timestamp_s=1_700_000_000, lever_rate=5, price="1")
    kw.update(case)
    code = kw.pop("contract_code", "BTC-USDT")
    if kw.pop("rules", False):
        kw["rules"] = rules_mod.SymbolRules("BTC-USDT", "0.1", "1", min_qty=1)
    if kw.get("order_price_type", "limit") not in ("limit", "post_only", "ioc", "fok") and "price" not in case:
        kw.pop("price")
    enc = mod.HtxSwapRest("ak", signer, host="api.hbdm.com")
    try:
        enc.place_order_request(buf, code, kw.pop("direction"), **kw)
        enc.cancel_request(buf, code, timestamp_s=5, client_order_id=kw["client_order_id"])
        enc.order_info_request(buf, code, timestamp_s=5, order_id=77, margin_mode="isolated")
        enc.signed_post(buf, "/linear-swap-api/v1/swap_cross_position_info", b'{"contract_code":"BTC-USDT"}',
                        timestamp_s=5)
    except (InvalidOrder, TypeError) as exc:   # (the twin's SymbolRules names every size "quantity")
        return type(exc), buf.getvalue()
    return buf.getvalue()


@pytest.mark.parametrize("case", SWAP_ORDERS + SWAP_BAD)
def test_swap_encoder_twins_agree(case):
    core, py = _swap_encode("core", case), _swap_encode("py", case)
    assert core == py
    if case in SWAP_BAD:
        assert isinstance(core, tuple) and core[1] == b""   # refused before anything was written


def test_order_push_channel_events():
    """events=True: auth and orders_cross.* on /linear-swap-notification (gzip frames), each order change an
    event in base units, the server's pings answered."""
    async def main():
        async with Simulator(venues=(V,), seed=3) as sim:
            sim.apps[V].notify_ping_interval = 0.05
            async with fastorder.connect("htx", "rest", market="perp", url=sim.url(V), ws_url=sim.url(V, "events"),
                                         events=True, timeout=2.0, **KEYS) as s:
                got = []
                s.on_event(got.append)
                rest = await s.place_order("BTCUSDT", "sell", "0.010", "50500")
                take = await s.place_order("BTCUSDT", "buy", None, "50600", contracts=4)
                await s.cancel_order("BTCUSDT", order_id=rest.order_id)
                for _ in range(300):   # the three come in order: the cancel's is the last
                    if any(e.client_order_id == rest.client_order_id and e.exec_type == "CANCELED" for e in got):
                        break
                    await asyncio.sleep(0.01)
                by = {(e.client_order_id, e.exec_type): e for e in got}
                assert by[(rest.client_order_id, "NEW")].quantity == "0.010"
                fill = by[(take.client_order_id, "TRADE")]
                assert (fill.status, fill.last_fill_qty, fill.filled_qty) == (FILLED, "0.004", "0.004")
                assert Decimal(fill.last_fill_price) > 0 and fill.trade_id
                assert by[(rest.client_order_id, "CANCELED")].status == CANCELED
                assert s.stream.malformed == 0
                for _ in range(200):   # its pings (every 50 ms here) are answered
                    if sum(x.pongs for x in sim.apps[V].notify_sessions) >= 1:
                        break
                    await asyncio.sleep(0.01)
                assert sum(x.pongs for x in sim.apps[V].notify_sessions) >= 1
    run(main())


def test_order_push_channel_refuses_a_bad_signature():
    async def main():
        async with Simulator(venues=(V,), seed=3) as sim:
            with pytest.raises(VenueError) as ei:
                async with fastorder.connect("htx", "rest", market="perp", url=sim.url(V), key=creds.HTX_KEY,
                                             secret="not-the-secret", ws_url=sim.url(V, "events"), events=True,
                                             timeout=2.0, startup_timeout=2.0):
                    pass
            assert ei.value.venue == V
    run(main())


def test_a_rate_limit_reply_blocks_locally():
    from fastorder.errors import RateLimited

    async def main():
        async with perp() as (sim, s):
            w = s.guard.windows
            assert {w[n].window_ms for n in ("trade", "read", "public")} == {3000}   # less the guard's margin:
            assert 0 < w["trade"].limit == w["read"].limit <= 72 < w["public"].limit <= 120

            sim.faults.add(f"429:retry=2,count=1,venue={V}")
            with pytest.raises(RateLimited) as ei:
                await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            assert ei.value.code != "local" and ei.value.retry_after == 2
            n = len(sim.orders(V))
            with pytest.raises(RateLimited) as ei:   # Retry-After: blocked locally, nothing sent
                await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            assert ei.value.code == "local" and len(sim.orders(V)) == n
    run(main())


def test_a_wrong_secret_is_an_authentication_error_and_nothing_is_placed():
    from fastorder.errors import AuthenticationError

    async def main():
        async with Simulator(venues=(V,), seed=3) as sim:
            async with fastorder.connect("htx", "rest", market="perp", url=sim.url(V), key=creds.HTX_KEY,
                                         secret="not-the-secret", timeout=2.0) as s:
                with pytest.raises(AuthenticationError) as ei:
                    await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
                assert ei.value.code == 1253 and "not-the-secret" not in str(ei.value)
                assert sim.orders(V) == []
    run(main())


def test_cancel_all_per_contract():
    async def main():
        async with perp() as (sim, s):
            assert await s.cancel_all() == []   # nothing open: no request at all
            a = await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            b = await s.place_order("ETH-USDT", "sell", "0.10", "3100")
            c = await s.place_order("BTCUSDT", "buy", "0.002", "48000")
            done = await s.cancel_all("BTCUSDT")
            assert {(x.order_id, x.status) for x in done} == {(a.order_id, CANCEL_REQUESTED),
                                                               (c.order_id, CANCEL_REQUESTED)}
            assert sim.order(V, b.order_id)["status"] == "NEW"
            [x] = await s.cancel_all()
            assert (x.order_id, x.status) == (b.order_id, CANCEL_REQUESTED)
            assert [sim.order(V, o.order_id)["status"] for o in (a, b, c)] == ["CANCELED"] * 3
            assert await s.open_orders() == [] and await s.cancel_all("ETHUSDT") == []
    run(main())


def test_isolated_account_is_its_own():
    """Isolated margin: its own endpoints, positions and position mode (per contract), apart from cross."""
    async def main():
        async with perp(margin_mode="isolated") as (sim, s):
            await s.set_position_mode(True)   # swap_switch_position_mode for each contract
            assert {k[1] for k in sim.apps[V].pos_mode} == {"BTC-USDT", "ETH-USDT"}
            await s.place_order("BTCUSDT", "buy", None, type="market", contracts=5, position_side="long")
            [p] = await s.positions()
            assert (p.position_side, p.contracts, p.margin_mode) == ("long", "5", "isolated")
            truth = sim.apps[V].positions
            assert [k for k, v in truth.items() if v[0]] == [("main", "isolated", "BTC-USDT", "buy")]
    run(main())


def test_balances_are_the_margin_accounts():
    async def main():
        async with perp() as (sim, s):
            [(acct, b)] = (await s.balances()).items()
            assert (acct, b.asset, Decimal(b.free), Decimal(b.locked)) == ("USDT", "USDT", 10000, 0)
            await s.set_leverage("BTCUSDT", 10)
            await s.place_order("BTCUSDT", "buy", "0.100", REST_PX)   # 4,900 USDT at 10x: 490 held by the order
            bal = (await s.balances())["USDT"]
            assert (Decimal(bal.free), Decimal(bal.locked)) == (Decimal(9510), Decimal(490))
        async with perp(margin_mode="isolated") as (sim, s):
            assert set(await s.balances()) == {"BTC-USDT", "ETH-USDT"}   # one margin account per contract
    run(main())


def test_the_venue_forgets_final_orders_and_recover_stays_undecided_past_that(tmp_path):
    """A canceled order is gone 2 h after its cancel (order info notes): the simulator forgets it, and a
    journalled order "not found" that late is left pending rather than called never placed."""
    async def main():
        async with perp(journal=str(tmp_path / "j"), acceptance_window_ms=1) as (sim, s):
            a = await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            await s.cancel_order("BTCUSDT", order_id=a.order_id)
            assert (await s.query_order("BTCUSDT", order_id=a.order_id)).status == CANCELED
            sim.faults.add(f"drop:phase=before,count=6,venue={V}")   # the order and every query lost
            with pytest.raises(ExecutionUnknown) as ei:
                await s.place_order("BTCUSDT", "buy", "0.010", REST_PX)
            clid = ei.value.client_order_id
            sim.faults.clear()
            sim.apps[V].advance_clock(2 * 3_600_000 + 1000)
            await s.sync_clock()
            with pytest.raises(UnknownOrder):
                await s.query_order("BTCUSDT", order_id=a.order_id)
            assert await s.recover() == []   # too late to tell: still pending
            assert [r["c"] for r in s.ledger.pending()] == [clid]
    run(main())
