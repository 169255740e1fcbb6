"""An independent HTX client besides ccxt, pointed at the simulator, trades unchanged: the official
huobi_Python SDK (HuobiRDCenter/huobi_Python) as packaged on PyPI by huobi-sdk-hash-7. The SDK's own
package, huobi-sdk 2.3.3, cannot run on Python >= 3.9 (it calls json.loads(..., encoding=...)); this fork
differs from it in that fix. It signs Signature V2 itself (stdlib hmac, the bare host name) and reads the
replies with its own parser, so it checks the simulator's wire format against a second reading of the docs.

The SDK takes its base URL as ``url=``: the simulator's loopback address, so nothing can leave the machine.
"""

from __future__ import annotations

import pytest

from fastorder.sim import SimulatorThread, creds

pytest.importorskip("huobi.client.trade")
from huobi.client.account import AccountClient  # noqa: E402
from huobi.client.trade import TradeClient  # noqa: E402
from huobi.constant import OrderSource, OrderType  # noqa: E402
from huobi.exception.huobi_api_exception import HuobiApiException  # noqa: E402

# the SDK stamps its requests with datetime.utcnow(), deprecated from Python 3.12: its warning, not ours
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


def test_official_sdk_place_query_cancel_and_rejects():
    with SimulatorThread(venues=("htx",)) as sim:
        kw = dict(api_key=creds.HTX_KEY, secret_key=creds.HTX_SECRET, url=sim.url("htx"))
        (acct,) = AccountClient(**kw).get_accounts()
        assert (acct.id, acct.type) == (creds.HTX_ACCOUNT_ID, "spot")
        tc = TradeClient(**kw)

        oid = tc.create_order("btcusdt", acct.id, OrderType.BUY_LIMIT, 0.01, 49000, OrderSource.API,
                              client_order_id="sdk1")
        o = tc.get_order(oid)
        assert (o.state, o.client_order_id, float(o.amount), float(o.price)) == ("submitted", "sdk1", 0.01, 49000)
        assert tc.get_order_by_client_order_id("sdk1").id == oid
        assert tc.cancel_order("btcusdt", oid) == oid
        assert tc.get_order(oid).state == "canceled"
        assert sim.order("htx", oid)["status"] == "CANCELED"

        # by client id the SDK returns HTX's status code: 10 cancelling, 7 canceled, 0 not found
        oid2 = tc.create_order("btcusdt", acct.id, OrderType.BUY_LIMIT, 0.01, 49000, OrderSource.API,
                               client_order_id="sdk2")
        assert tc.cancel_client_order("sdk2") == 10
        assert tc.cancel_client_order("sdk2") == 7
        assert tc.cancel_client_order("nobody") == 0
        assert tc.get_order(oid2).state == "canceled"

        # a taking order fills; the SDK reads the fill from the order detail
        oid3 = tc.create_order("btcusdt", acct.id, OrderType.BUY_LIMIT, 0.01, 50100, OrderSource.API)
        o3 = tc.get_order(oid3)
        assert o3.state == "filled" and float(o3.filled_amount) == pytest.approx(0.01)

        # rejected: off-precision price, and a query of an order that does not exist
        with pytest.raises(HuobiApiException) as ei:
            tc.create_order("btcusdt", acct.id, OrderType.BUY_LIMIT, 0.01, 49000.123, OrderSource.API)
        assert "order-orderprice-precision-error" in ei.value.error_message
        with pytest.raises(HuobiApiException) as ei:
            tc.get_order_by_client_order_id("nobody")
        assert "base-record-invalid" in ei.value.error_message
        assert len(sim.orders("htx")) == 3   # the rejected order never reached the book


def test_official_sdk_signature_is_checked():
    with SimulatorThread(venues=("htx",)) as sim:
        tc = TradeClient(api_key=creds.HTX_KEY, secret_key="not-the-secret", url=sim.url("htx"))
        with pytest.raises(HuobiApiException) as ei:
            tc.create_order("btcusdt", creds.HTX_ACCOUNT_ID, OrderType.BUY_LIMIT, 0.01, 49000, OrderSource.API)
        assert "api-signature-not-valid" in ei.value.error_message
        assert sim.orders("htx") == []


def test_official_sdk_batch_orders_open_orders_and_batch_cancels():
    with SimulatorThread(venues=("htx",)) as sim:
        kw = dict(api_key=creds.HTX_KEY, secret_key=creds.HTX_SECRET, url=sim.url("htx"))
        acct = creds.HTX_ACCOUNT_ID
        tc = TradeClient(**kw)
        order = dict(symbol="btcusdt", account_id=acct, order_type=OrderType.BUY_LIMIT, amount=0.01, price=49000,
                     source=OrderSource.API)
        res = tc.batch_create_order([dict(order, client_order_id=f"b{i}") for i in range(4)]
                                    + [dict(order, price=49000.123, client_order_id="bad")])
        assert [r.client_order_id for r in res] == ["b0", "b1", "b2", "b3", "bad"]
        assert all(r.order_id for r in res[:4])
        assert res[4].err_code == "order-orderprice-precision-error" and not res[4].order_id
        opened = tc.get_open_orders("btcusdt", acct)
        assert sorted(o.client_order_id for o in opened) == ["b0", "b1", "b2", "b3"]
        tc.cancel_orders("btcusdt", [res[0].order_id, res[1].order_id])
        assert [sim.order("htx", r.order_id)["status"] for r in res[:4]] == ["CANCELED", "CANCELED", "NEW", "NEW"]
        count = tc.cancel_open_orders(acct, "btcusdt")
        assert (count.success_count, count.failed_count, count.next_id) == (2, 0, -1)
        assert tc.get_open_orders("btcusdt", acct) == []
