"""Binance's own Spot SDK (``binance-sdk-spot``, the official Python connector), pointed at the simulator's
loopback base URL, trades unchanged: place, query, cancel, and requests the venue rejects, decoded into the
SDK's own response models and error types. An independent check of the simulator's wire format besides ccxt."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fastorder.sim import SimulatorThread, creds

pytest.importorskip("binance_sdk_spot")

from binance_common.configuration import ConfigurationRestAPI  # noqa: E402
from binance_common.errors import BadRequestError, UnauthorizedError  # noqa: E402
from binance_sdk_spot.rest_api.models import (  # noqa: E402
    NewOrderSideEnum,
    NewOrderTimeInForceEnum,
    NewOrderTypeEnum,
    OrderCancelReplaceCancelReplaceModeEnum,
    OrderCancelReplaceSideEnum,
    OrderCancelReplaceTimeInForceEnum,
    OrderCancelReplaceTypeEnum,
)
from binance_sdk_spot.spot import Spot  # noqa: E402


def _client(base: str, key: str = creds.BINANCE_HMAC_KEY, secret: str = creds.BINANCE_HMAC_SECRET) -> Spot:
    # retries=0: a rejected request must surface, not be retried
    return Spot(config_rest_api=ConfigurationRestAPI(api_key=key, api_secret=secret, base_path=base, retries=0,
                                                     timeout=5000))


def _limit(api, qty: float, price: float, **kw):
    return api.new_order(symbol="BTCUSDT", side=NewOrderSideEnum["BUY"], type=NewOrderTypeEnum["LIMIT"],
                         time_in_force=NewOrderTimeInForceEnum["GTC"], quantity=qty, price=price, **kw)


def test_official_sdk_place_query_cancel_and_rejects():
    with SimulatorThread(venues=("binance",)) as sim:
        api = _client(sim.url("binance")).rest_api
        placed = _limit(api, 0.01, 49000.0, new_client_order_id="sdk-1").data()
        assert placed.status == "NEW" and placed.client_order_id == "sdk-1" and placed.order_id
        got = api.get_order(symbol="BTCUSDT", orig_client_order_id="sdk-1").data()
        assert (got.order_id, got.status, got.price, got.orig_qty) == (placed.order_id, "NEW", "49000.00000000",
                                                                       "0.01000000")
        canceled = api.delete_order(symbol="BTCUSDT", order_id=placed.order_id).data()
        assert canceled.status == "CANCELED" and canceled.orig_client_order_id == "sdk-1"
        assert sim.order("binance", client_order_id="sdk-1")["status"] == "CANCELED"

        with pytest.raises(BadRequestError) as ei:   # 2.3M USDT > the account's 1M
            _limit(api, 47.0, 49000.0)
        assert ei.value.status_code == -2010
        assert ei.value.error_message == "Account has insufficient balance for requested action."
        with pytest.raises(BadRequestError) as ei:   # off the 0.01 tick
            _limit(api, 0.01, 49000.005)
        assert (ei.value.status_code, ei.value.error_message) == (-1013, "Filter failure: PRICE_FILTER")
        with pytest.raises(BadRequestError) as ei:
            api.get_order(symbol="BTCUSDT", order_id=42)
        assert (ei.value.status_code, ei.value.error_message) == (-2013, "Order does not exist.")
        with pytest.raises(BadRequestError) as ei:
            api.delete_order(symbol="BTCUSDT", order_id=placed.order_id)   # already canceled
        assert (ei.value.status_code, ei.value.error_message) == (-2011, "Unknown order sent.")

        bad = _client(sim.url("binance"), secret="not-the-secret").rest_api
        with pytest.raises(BadRequestError) as ei:
            _limit(bad, 0.01, 49000.0)
        assert ei.value.status_code == -1022
        with pytest.raises(UnauthorizedError):
            _limit(_client(sim.url("binance"), key="no-such-key").rest_api, 0.01, 49000.0)
        # the simulator saw the SDK's own User-Agent
        assert any(ua.startswith("binance-sdk-spot/") for ua in sim.apps["binance"].user_agents), \
            sim.apps["binance"].user_agents


def test_official_sdk_open_orders_amend_cancel_replace_cancel_all_account():
    """The trading operations' endpoints through the SDK's own models: openOrders, amend keepPriority (the order
    keeps its place in the queue), cancelReplace (a new order at the back; a failed cancel is -2022 with the
    documented data), DELETE openOrders (-2011 once nothing is open), account."""
    with SimulatorThread(venues=("binance",)) as sim:
        api = _client(sim.url("binance")).rest_api
        a = _limit(api, 0.02, 49000.0, new_client_order_id="sdk-a").data()
        _limit(api, 0.01, 49000.0, new_client_order_id="sdk-b").data()
        listed = api.get_open_orders(symbol="BTCUSDT").data()
        assert sorted(o.client_order_id for o in listed) == ["sdk-a", "sdk-b"]

        amended = api.order_amend_keep_priority(symbol="BTCUSDT", new_qty=0.015, order_id=a.order_id,
                                                new_client_order_id="sdk-a").data()
        assert amended.amended_order.qty == "0.01500000" and amended.amended_order.order_id == a.order_id
        assert amended.amended_order.client_order_id == "sdk-a"
        book = sim.exchange("binance").books["BTCUSDT"]
        assert [o.cid for o in book.bids[Decimal("49000")]] == ["sdk-a", "sdk-b"]
        with pytest.raises(BadRequestError) as ei:
            api.order_amend_keep_priority(symbol="BTCUSDT", new_qty=0.03, order_id=a.order_id)
        assert (ei.value.status_code, ei.value.error_message) == (
            -2038, "Order amend (quantity increase) is not supported.")

        replaced = api.order_cancel_replace(
            symbol="BTCUSDT", side=OrderCancelReplaceSideEnum["BUY"], type=OrderCancelReplaceTypeEnum["LIMIT"],
            cancel_replace_mode=OrderCancelReplaceCancelReplaceModeEnum["STOP_ON_FAILURE"],
            time_in_force=OrderCancelReplaceTimeInForceEnum["GTC"], quantity=0.015, price=49000.0,
            cancel_orig_client_order_id="sdk-a", new_client_order_id="sdk-a2").data()
        assert replaced.cancel_result == "SUCCESS" and replaced.new_order_result == "SUCCESS"
        assert [o.cid for o in book.bids[Decimal("49000")]] == ["sdk-b", "sdk-a2"]   # the new one at the back
        with pytest.raises(BadRequestError) as ei:
            api.order_cancel_replace(
                symbol="BTCUSDT", side=OrderCancelReplaceSideEnum["BUY"], type=OrderCancelReplaceTypeEnum["LIMIT"],
                cancel_replace_mode=OrderCancelReplaceCancelReplaceModeEnum["STOP_ON_FAILURE"],
                time_in_force=OrderCancelReplaceTimeInForceEnum["GTC"], quantity=0.015, price=49000.0,
                cancel_orig_client_order_id="sdk-a")   # already cancelled
        assert (ei.value.status_code, ei.value.error_message) == (-2022, "Order cancel-replace failed.")

        cancelled = api.delete_open_orders(symbol="BTCUSDT").data()
        assert sorted(o.orig_client_order_id for o in cancelled) == ["sdk-a2", "sdk-b"]
        with pytest.raises(BadRequestError) as ei:
            api.delete_open_orders(symbol="BTCUSDT")
        assert (ei.value.status_code, ei.value.error_message) == (-2011, "Unknown order sent.")
        account = api.get_account(omit_zero_balances=True).data()
        assert {b.asset for b in account.balances} >= {"USDT", "BTC"}
        assert all(b.locked == "0.00000000" for b in account.balances)
