"""A widely used third-party exchange client (ccxt), pointed at the simulator, trades unchanged.

Every ccxt API base URL is rewritten to the simulator's loopback address, so no request can leave the
machine; an endpoint the simulator does not serve would fail the test with a 404 instead.
"""

from __future__ import annotations

import urllib.parse

import pytest

from fastorder.sim import SimulatorThread, creds

ccxt = pytest.importorskip("ccxt")


def _point_at(ex, base: str, hostname: str = "") -> None:
    def fix(v):
        if isinstance(v, str) and v.startswith("http"):
            u = urllib.parse.urlsplit(v.replace("{hostname}", hostname or "x"))
            return base + u.path
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        return v
    ex.urls["api"] = fix(ex.urls["api"])
    for k in ("test", "demo"):
        ex.urls.pop(k, None)


def test_ccxt_binance_place_query_cancel():
    with SimulatorThread(venues=("binance",)) as sim:
        ex = ccxt.binance({"apiKey": creds.BINANCE_HMAC_KEY, "secret": creds.BINANCE_HMAC_SECRET,
                           "enableRateLimit": False, "timeout": 5000,
                           "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False,
                                       "fetchMargins": False}})
        _point_at(ex, sim.url("binance"))
        ex.load_markets()
        assert "BTC/USDT" in ex.markets and ex.markets["BTC/USDT"]["precision"]["price"] == 0.01
        o = ex.create_order("BTC/USDT", "limit", "buy", 0.01, 49000)
        assert o["status"] == "open" and o["id"]
        f = ex.fetch_order(o["id"], "BTC/USDT")
        assert f["status"] == "open" and f["price"] == 49000 and f["amount"] == 0.01
        c = ex.cancel_order(o["id"], "BTC/USDT")
        assert c["status"] == "canceled"
        assert ex.fetch_order(o["id"], "BTC/USDT")["status"] == "canceled"
        m = ex.create_order("BTC/USDT", "market", "sell", 0.02)
        assert m["status"] == "closed" and m["filled"] == 0.02
        bal = ex.fetch_balance()
        assert bal["BTC"]["free"] == pytest.approx(99.98)
        snap = {x["order_id"]: x["status"] for x in sim.orders("binance")}
        assert snap[int(o["id"])] == "CANCELED" and snap[int(m["id"])] == "FILLED"
        with pytest.raises(ccxt.InsufficientFunds):  # ccxt maps the simulator's -2010 like Binance's
            ex.create_order("BTC/USDT", "limit", "buy", 100, 49000)
        with pytest.raises(ccxt.OrderNotFound):
            ex.fetch_order("42", "BTC/USDT")


def test_ccxt_okx_place_query_cancel():
    with SimulatorThread(venues=("okx",)) as sim:
        ex = ccxt.okx({"apiKey": creds.OKX_KEY, "secret": creds.OKX_SECRET, "password": creds.OKX_PASSPHRASE,
                       "enableRateLimit": False, "timeout": 5000,
                       "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False}})
        ex.urls["api"] = {"rest": sim.url("okx")}
        ex.hostname = urllib.parse.urlsplit(sim.url("okx")).netloc
        ex.has["fetchCurrencies"] = False  # /api/v5/asset/currencies (funding) is not simulated
        ex.load_markets()
        assert "BTC/USDT" in ex.markets
        o = ex.create_order("BTC/USDT", "limit", "buy", 0.01, 49000)
        f = ex.fetch_order(o["id"], "BTC/USDT")
        assert f["status"] == "open" and f["price"] == 49000
        ex.cancel_order(o["id"], "BTC/USDT")
        assert ex.fetch_order(o["id"], "BTC/USDT")["status"] == "canceled"
        assert sim.order("okx", o["id"])["status"] == "CANCELED"


def test_ccxt_okx_trades_a_swap():
    """ccxt, unchanged, on the simulator's OKX perpetual swaps: its market (contractSize from ctVal), leverage, a
    limit order in contracts, a market order, the position, a reduce-only close and the 51169 that follows."""
    with SimulatorThread(venues=("okx",)) as sim:
        ex = ccxt.okx({"apiKey": creds.OKX_KEY, "secret": creds.OKX_SECRET, "password": creds.OKX_PASSPHRASE,
                       "enableRateLimit": False, "timeout": 5000,
                       "options": {"fetchMarkets": {"types": ["swap"]}, "fetchCurrencies": False}})
        ex.urls["api"] = {"rest": sim.url("okx")}
        ex.hostname = urllib.parse.urlsplit(sim.url("okx")).netloc
        ex.has["fetchCurrencies"] = False  # /api/v5/asset/currencies (funding) is not simulated
        ex.load_markets()
        sym = "BTC/USDT:USDT"
        m = ex.market(sym)
        assert (m["swap"], m["linear"], m["contractSize"], m["precision"]["amount"]) == (True, True, 0.01, 1.0)
        assert ex.set_leverage(5, sym, {"mgnMode": "cross"})["data"][0]["lever"] == "5"
        o = ex.create_order(sym, "limit", "buy", 2, 49000)
        f = ex.fetch_order(o["id"], sym)
        assert (f["status"], f["amount"], f["price"]) == ("open", 2.0, 49000.0)
        assert sim.order("okx", o["id"])["qty"] == "2"
        ex.cancel_order(o["id"], sym)
        assert ex.fetch_order(o["id"], sym)["status"] == "canceled"
        o = ex.create_order(sym, "market", "buy", 3)
        assert ex.fetch_order(o["id"], sym)["status"] == "closed"
        [p] = ex.fetch_positions([sym])
        assert (p["symbol"], p["contracts"], p["side"], p["contractSize"]) == (sym, 3.0, "long", 0.01)
        ex.create_order(sym, "market", "sell", 3, params={"reduceOnly": True})
        assert ex.fetch_positions() == []
        with pytest.raises(ccxt.ExchangeError, match="51169"):   # nothing left to reduce
            ex.create_order(sym, "market", "sell", 1, params={"reduceOnly": True})


def test_ccxt_pro_binance_ws_api_place_query_cancel(h):
    """ccxt.pro over Binance's WebSocket API (order.place / order.status / order.cancel, HMAC-signed)."""
    pro = pytest.importorskip("ccxt.pro")

    async def main():
        from fastorder.sim import Simulator
        async with Simulator(venues=("binance",)) as sim:
            ex = pro.binance({"apiKey": creds.BINANCE_HMAC_KEY, "secret": creds.BINANCE_HMAC_SECRET,
                              "enableRateLimit": False,
                              "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False,
                                          "fetchMargins": False}})
            _point_at(ex, sim.url("binance"))
            ex.urls["api"]["ws"] = {"ws-api": {"spot": sim.url("binance", "ws")}}
            try:
                await ex.load_markets()
                o = await ex.create_order_ws("BTC/USDT", "limit", "buy", 0.01, 49000)
                assert o["status"] == "open"
                assert (await ex.fetch_order_ws(o["id"], "BTC/USDT"))["status"] == "open"
                assert (await ex.cancel_order_ws(o["id"], "BTC/USDT"))["status"] == "canceled"
                assert sim.order("binance", o["id"])["status"] == "CANCELED"
            finally:
                await ex.close()
    h.run(main())


def test_ccxt_pro_okx_ws_place_cancel(h):
    """ccxt.pro over OKX's private WebSocket (login, batch-orders with instIdCode, cancel-order)."""
    pro = pytest.importorskip("ccxt.pro")

    async def main():
        from fastorder.sim import Simulator
        async with Simulator(venues=("okx",)) as sim:
            ex = pro.okx({"apiKey": creds.OKX_KEY, "secret": creds.OKX_SECRET, "password": creds.OKX_PASSPHRASE,
                          "enableRateLimit": False,
                          "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False}})
            ex.urls["api"] = {"rest": sim.url("okx"), "ws": sim.url("okx", "ws").rsplit("/", 1)[0]}
            ex.hostname = urllib.parse.urlsplit(sim.url("okx")).netloc
            ex.has["fetchCurrencies"] = False
            try:
                await ex.load_markets()
                o = await ex.create_order_ws("BTC/USDT", "limit", "buy", 0.01, 49000)
                assert sim.order("okx", o["id"])["venue_status"] == "live"
                await ex.cancel_order_ws(o["id"], "BTC/USDT")
                assert sim.order("okx", o["id"])["venue_status"] == "canceled"
            finally:
                await ex.close()
    h.run(main())


def test_ccxt_htx_place_query_cancel():
    with SimulatorThread(venues=("htx",)) as sim:
        ex = ccxt.htx({"apiKey": creds.HTX_KEY, "secret": creds.HTX_SECRET, "enableRateLimit": False,
                       "timeout": 5000, "options": {"fetchMarkets": {"types": {"spot": True, "linear": False,
                                                                                "inverse": False}},
                                                    "fetchCurrencies": False}})
        host = urllib.parse.urlsplit(sim.url("htx")).netloc
        _point_at(ex, sim.url("htx"), hostname=host)
        ex.has["fetchCurrencies"] = False  # /v2/reference/currencies is not simulated
        ex.load_markets()
        o = ex.create_order("BTC/USDT", "limit", "buy", 0.01, 49000)
        assert ex.fetch_order(o["id"], "BTC/USDT")["status"] == "open"
        assert ex.cancel_order(o["id"], "BTC/USDT")["status"] == "canceled"
        assert ex.fetch_order(o["id"], "BTC/USDT")["status"] == "canceled"
        assert sim.order("htx", o["id"])["venue_status"] == "canceled"


def test_ccxt_htx_batch_orders_open_orders_cancels_and_balance():
    """ccxt's createOrders (batch-orders), fetchOpenOrders, cancelOrders (batchcancel), cancelAllOrders
    (batchCancelOpenOrders) and fetchBalance (the account balance's trade/frozen rows)."""
    with SimulatorThread(venues=("htx",)) as sim:
        ex = ccxt.htx({"apiKey": creds.HTX_KEY, "secret": creds.HTX_SECRET, "enableRateLimit": False,
                       "timeout": 5000, "options": {"fetchMarkets": {"types": {"spot": True, "linear": False,
                                                                                "inverse": False}},
                                                    "fetchCurrencies": False}})
        _point_at(ex, sim.url("htx"), hostname=urllib.parse.urlsplit(sim.url("htx")).netloc)
        ex.has["fetchCurrencies"] = False
        ex.load_markets()
        placed = ex.create_orders([{"symbol": "BTC/USDT", "type": "limit", "side": "buy", "amount": 0.01,
                                    "price": 49000 - i} for i in range(4)])
        ids = [o["id"] for o in placed]
        assert all(ids) and len(set(ids)) == 4
        assert sorted(o["id"] for o in ex.fetch_open_orders("BTC/USDT")) == sorted(ids)
        bal = ex.fetch_balance()
        assert bal["USDT"]["used"] == pytest.approx(0.01 * (49000 * 4 - 6))
        ex.cancel_orders(ids[:2], "BTC/USDT")
        assert [sim.order("htx", i)["venue_status"] for i in ids] == ["canceled", "canceled", "submitted",
                                                                      "submitted"]
        ex.cancel_all_orders("BTC/USDT")
        assert ex.fetch_open_orders("BTC/USDT") == []
        assert ex.fetch_balance()["USDT"]["used"] == 0


def test_ccxt_htx_linear_swap_place_and_cancel():
    """ccxt loads the linear swaps from /linear-swap-api/v1/swap_contract_info and, for a USDT-margined swap,
    places and cancels over HTX's v5 order endpoints (/v5/trade/order, /v5/trade/cancel_order)."""
    with SimulatorThread(venues=("htx_swap",)) as sim:
        ex = ccxt.htx({"apiKey": creds.HTX_KEY, "secret": creds.HTX_SECRET, "enableRateLimit": False,
                       "timeout": 5000, "options": {"fetchMarkets": {"types": {"spot": False, "linear": True,
                                                                                "inverse": False}},
                                                    "fetchCurrencies": False, "defaultType": "swap"}})
        _point_at(ex, sim.url("htx_swap"), hostname=urllib.parse.urlsplit(sim.url("htx_swap")).netloc)
        ex.has["fetchCurrencies"] = False
        ex.load_markets()
        m = ex.markets["BTC/USDT:USDT"]
        assert (m["id"], m["linear"], m["contractSize"], m["precision"]["price"]) == ("BTC-USDT", True, 0.001, 0.1)
        o = ex.create_order("BTC/USDT:USDT", "limit", "buy", 10, 49000)   # 10 contracts
        truth = sim.order("htx_swap", o["id"])
        assert (truth["status"], truth["qty"], truth["price"]) == ("NEW", "10", "49000")
        assert ex.cancel_order(o["id"], "BTC/USDT:USDT")["status"] == "canceled"
        assert sim.order("htx_swap", o["id"])["status"] == "CANCELED"
        with pytest.raises(ccxt.InsufficientFunds):   # 1047: 50,000 contracts of 0.001 BTC at 5x > 10,000 USDT
            ex.create_order("BTC/USDT:USDT", "limit", "buy", 50_000, 49000)
        assert len(sim.orders("htx_swap")) == 1
