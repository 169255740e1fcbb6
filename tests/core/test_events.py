"""The compiled order-event decoders (fastorder._core.events) against the venues' documented frames, against
their pure-Python twin (fastorder._py.events) on generated frames, and on broken input."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastorder._core import events as core
from fastorder._py import events as twin
from fastorder.errors import MalformedEvent
from fastorder.events import OrderEvent

VENUES = ("binance", "okx", "htx")

# -- documented frames -----------------------------------------------------------------------------------------
# Binance user-data-stream executionReport as the WebSocket API sends it (binance-spot-api-docs user-data-stream.md)
BN_NEW = (b'{"subscriptionId":0,"event":{"e":"executionReport","E":1499405658658,"s":"ETHBTC",'
          b'"c":"mUvoqJxFIILMdfAW5iGSOW","S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10264410",'
          b'"P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"NEW","X":"NEW","r":"NONE","i":4293153,'
          b'"l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,"T":1499405658657,"t":-1,'
          b'"v":3,"I":8641984,"w":true,"m":false,"M":false,"O":1499405658657,"Z":"0.00000000",'
          b'"Y":"0.00000000","Q":"0.00000000","W":1499405658657,"V":"NONE"}}')
BN_TRADE = (BN_NEW.replace(b'"x":"NEW","X":"NEW"', b'"x":"TRADE","X":"PARTIALLY_FILLED"')
            .replace(b'"l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null',
                     b'"l":"0.40000000","z":"0.40000000","L":"0.10264410","n":"0.00001","N":"BNB"')
            .replace(b'"t":-1', b'"t":77'))
BN_CANCEL = (BN_NEW.replace(b'"x":"NEW","X":"NEW"', b'"x":"CANCELED","X":"CANCELED"')
             .replace(b'"c":"mUvoqJxFIILMdfAW5iGSOW"', b'"c":"cancelReq1"')
             .replace(b'"C":""', b'"C":"mUvoqJxFIILMdfAW5iGSOW"'))
# OKX orders push (shape as in ccxt python/ccxt/pro/okx.py handle_orders; fields per OKX v5 docs)
OK_LIVE = (b'{"arg":{"channel":"orders","instType":"SPOT","uid":"614488474791936"},"data":[{"accFillSz":"0",'
           b'"amendResult":"","avgPx":"","cTime":"1634548275191","category":"normal","ccy":"",'
           b'"clOrdId":"e847386590ce4dBC330547db94a08ba0","code":"0","execType":"","fee":"0","feeCcy":"USDT",'
           b'"fillFee":"0","fillFeeCcy":"","fillNotionalUsd":"","fillPx":"","fillSz":"0","fillTime":"",'
           b'"instId":"ETH-USDT","instType":"SPOT","lever":"","msg":"","notionalUsd":"451.4516256",'
           b'"ordId":"370257534141235201","ordType":"limit","pnl":"0","posSide":"","px":"60000","rebate":"0",'
           b'"rebateCcy":"ETH","reqId":"","side":"sell","slOrdPx":"","slTriggerPx":"","state":"live",'
           b'"sz":"0.007526","tag":"","tdMode":"cash","tgtCcy":"","tpOrdPx":"","tpTriggerPx":"","tradeId":"",'
           b'"uTime":"1634548275191"}]}')
OK_FILL = (OK_LIVE.replace(b'"state":"live"', b'"state":"filled"').replace(b'"accFillSz":"0"', b'"accFillSz":"0.007526"')
           .replace(b'"fillPx":"","fillSz":"0"', b'"fillPx":"60000","fillSz":"0.007526"')
           .replace(b'"fillFee":"0","fillFeeCcy":""', b'"fillFee":"-0.45156","fillFeeCcy":"USDT"')
           .replace(b'"tradeId":""', b'"tradeId":"9001"').replace(b'"uTime":"1634548275191"', b'"uTime":"1634548275999"'))
# HTX /ws/v2 pushes (huobiapi docs, "Subscribe Order Updates" and "Subscribe Trade Details post Clearing")
HX_CREATE = (b'{"action":"push","ch":"orders#btcusdt","data":{"orderSize":"2.000000000000000000",'
             b'"orderCreateTime":1583853365586,"accountId":992701,"orderPrice":"77.000000000000000000",'
             b'"type":"sell-limit","orderId":27163533,"clientOrderId":"abc123","orderSource":"spot-api",'
             b'"orderStatus":"submitted","symbol":"btcusdt","eventType":"creation"}}')
HX_TRADE = (b'{"action":"push","ch":"orders#btcusdt","data":{"tradePrice":"76.000000000000000000",'
            b'"tradeVolume":"1.013157894736842100","tradeId":301,"tradeTime":1583854188883,"aggressor":true,'
            b'"remainAmt":"0.000000000000000400000000000000000000","execAmt":"2","orderId":27163536,'
            b'"type":"sell-limit","clientOrderId":"abc123","orderSource":"spot-api","orderPrice":"15000",'
            b'"orderSize":"0.01","orderStatus":"filled","symbol":"btcusdt","eventType":"trade"}}')
HX_CANCEL = (b'{"action":"push","ch":"orders#btcusdt","data":{"lastActTime":1583853475406,'
             b'"remainAmt":"2.000000000000000000","execAmt":"0","orderId":27163533,"type":"sell-limit",'
             b'"clientOrderId":"abc123","orderSource":"spot-api","orderPrice":"77.000000000000000000",'
             b'"orderSize":"2.000000000000000000","orderStatus":"canceled","symbol":"btcusdt",'
             b'"eventType":"cancellation"}}')
HX_CLEARING = (b'{"ch":"trade.clearing#btcusdt#0","data":{"eventType":"trade","symbol":"btcusdt",'
               b'"orderId":99998888,"tradePrice":"9999.99","tradeVolume":"0.96","orderSide":"buy",'
               b'"aggressor":true,"tradeId":919219323232,"tradeTime":998787897878,"transactFee":"19.88",'
               b'"feeDeduct ":"0","feeDeductType":"","feeCurrency":"btc","accountId":9912791,"source":"spot-api",'
               b'"orderPrice":"10000","orderSize":"1","clientOrderId":"a001","orderCreateTime":998787897878,'
               b'"orderStatus":"partial-filled"}}')
HX_TRIGGER = (b'{"action":"push","ch":"orders#btcusdt","data":{"orderSide":"buy","lastActTime":1583853365586,'
              b'"clientOrderId":"abc123","orderStatus":"rejected","symbol":"btcusdt","eventType":"trigger",'
              b'"errCode":2002,"errMessage":"invalid.client.order.id (NT)"}}')

SAMPLES = {"binance": [BN_NEW, BN_TRADE, BN_CANCEL], "okx": [OK_LIVE, OK_FILL],
           "htx": [HX_CREATE, HX_TRADE, HX_CANCEL, HX_CLEARING, HX_TRIGGER]}


def fields(ev: OrderEvent) -> dict[str, object]:
    d = ev.to_dict()
    del d["recv_ns"], d["snapshot"]
    return d


def both(venue: str, data: bytes):
    """(compiled, twin) results as comparable values: a list of field dicts, None, or the exception type."""
    out = []
    for fn in (lambda: [fields(e) for e in core.DECODERS[venue](data, 1)] if core.DECODERS[venue](data, 1)
               is not None else None, lambda: twin.DECODERS[venue](data)):
        try:
            out.append(fn())
        except MalformedEvent:
            out.append(MalformedEvent)
    return out


def test_binance_documented_frames():
    [new] = core.decode_binance(BN_NEW, 5)
    assert fields(new) == {
        "venue": "binance", "symbol": "ETHBTC", "client_order_id": "mUvoqJxFIILMdfAW5iGSOW", "order_id": "4293153",
        "status": "NEW", "side": "BUY", "price": "0.10264410", "quantity": "1.00000000", "last_fill_price": "",
        "last_fill_qty": "", "filled_qty": "0.00000000", "fee": "", "fee_asset": "", "trade_id": "",
        "exec_type": "NEW", "exchange_ts_ms": 1499405658658}
    assert new.recv_ns == 5 and not new.snapshot and not new.is_final and not new.is_fill
    [fill] = core.decode_binance(BN_TRADE)
    assert (fill.status, fill.exec_type, fill.last_fill_qty, fill.last_fill_price, fill.filled_qty, fill.fee,
            fill.fee_asset, fill.trade_id) == ("PARTIALLY_FILLED", "TRADE", "0.40000000", "0.10264410",
                                               "0.40000000", "0.00001", "BNB", "77")
    assert fill.is_fill and fill.recv_ns > 0
    [cancel] = core.decode_binance(BN_CANCEL)
    # a cancel's event names the cancel request in c and the order in C: the order's id is reported
    assert (cancel.status, cancel.client_order_id, cancel.is_final) == ("CANCELED", "mUvoqJxFIILMdfAW5iGSOW", True)
    # the older bare form (no subscriptionId wrapper) reads the same
    bare = orjson.dumps(orjson.loads(BN_TRADE)["event"])
    assert fields(core.decode_binance(bare)[0]) == fields(fill)


def test_okx_documented_frames():
    [live] = core.decode_okx(OK_LIVE)
    assert (live.symbol, live.client_order_id, live.order_id, live.status, live.side, live.price, live.quantity,
            live.filled_qty, live.exec_type, live.exchange_ts_ms) == (
        "ETH-USDT", "e847386590ce4dBC330547db94a08ba0", "370257534141235201", "NEW", "SELL", "60000", "0.007526",
        "0", "NEW", 1634548275191)
    assert live.fee == live.last_fill_qty == live.trade_id == ""
    [fill] = core.decode_okx(OK_FILL)
    # OKX writes the fee charged as a negative number; OrderEvent.fee is the amount paid
    assert (fill.status, fill.exec_type, fill.last_fill_price, fill.last_fill_qty, fill.fee, fill.fee_asset,
            fill.trade_id, fill.exchange_ts_ms) == ("FILLED", "TRADE", "60000", "0.007526", "0.45156", "USDT",
                                                    "9001", 1634548275999)
    rebate = OK_FILL.replace(b'"fillFee":"-0.45156"', b'"fillFee":"0.01"')
    assert core.decode_okx(rebate)[0].fee == "-0.01"
    two = OK_FILL.replace(b'"data":[', b'"data":[' + OK_LIVE[OK_LIVE.index(b'[') + 1:-2] + b',')
    assert [e.status for e in core.decode_okx(two)] == ["NEW", "FILLED"]
    assert core.decode_okx(b'{"arg":{"channel":"orders","instType":"SPOT"},"data":[]}') == []


def test_htx_documented_frames():
    [c] = core.decode_htx(HX_CREATE)
    assert (c.symbol, c.order_id, c.client_order_id, c.status, c.exec_type, c.side, c.price, c.quantity,
            c.exchange_ts_ms) == ("btcusdt", "27163533", "abc123", "NEW", "NEW", "SELL", "77.000000000000000000",
                                  "2.000000000000000000", 1583853365586)
    [t] = core.decode_htx(HX_TRADE)
    assert (t.status, t.exec_type, t.last_fill_price, t.last_fill_qty, t.filled_qty, t.trade_id, t.exchange_ts_ms,
            t.fee) == ("FILLED", "TRADE", "76.000000000000000000", "1.013157894736842100", "2", "301",
                       1583854188883, "")
    [x] = core.decode_htx(HX_CANCEL)
    assert (x.status, x.exec_type, x.exchange_ts_ms, x.filled_qty) == ("CANCELED", "CANCELED", 1583853475406, "0")
    [k] = core.decode_htx(HX_CLEARING)
    assert (k.status, k.side, k.fee, k.fee_asset, k.trade_id) == ("PARTIALLY_FILLED", "BUY", "19.88", "btc",
                                                                  "919219323232")
    [r] = core.decode_htx(HX_TRIGGER)
    assert (r.status, r.exec_type, r.order_id, r.client_order_id) == ("REJECTED", "REJECTED", "", "abc123")


OTHER = {
    "binance": [
        b'{"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":1564034571105,"u":1564034571073,'
        b'"B":[{"a":"ETH","f":"10000.000000","l":"0.000000"}]}}',
        b'{"subscriptionId":0,"event":{"e":"balanceUpdate","E":1573200697110,"a":"BTC","d":"100.00000000",'
        b'"T":1573200697068}}',
        b'{"subscriptionId":0,"event":{"e":"eventStreamTerminated","E":1728973001334}}',
        b'{"subscriptionId":0,"event":{"e":"listStatus","E":1564035303637,"s":"ETHBTC","g":2,"c":"OCO",'
        b'"l":"EXEC_STARTED","L":"EXECUTING","r":"NONE","C":"F4QN4G8DlFATFlIUQ0cjdD","T":1564035303625,'
        b'"O":[{"s":"ETHBTC","i":17,"c":"AJYsMjErWJesZvqlJCTUgL"}]}}',
        b'{"id":"d3df8a21","status":200,"result":{"subscriptionId":0}}',
        b'{"event":{"e":"serverShutdown","E":1}}',
    ],
    "okx": [
        b'{"event":"login","code":"0","msg":"","connId":"a4d3ae55"}',
        b'{"event":"subscribe","arg":{"channel":"orders","instType":"SPOT"},"connId":"a4d3ae55"}',
        b'{"event":"error","code":"60012","msg":"Invalid request","connId":"a4d3ae55"}',
        b'{"arg":{"channel":"account"},"data":[{"details":[]}]}',
        b'{"id":"1","op":"order","code":"0","msg":"","data":[{"clOrdId":"a","ordId":"1","sCode":"0"}]}',
    ],
    "htx": [
        b'{"action":"ping","data":{"ts":1575537778295}}',
        b'{"action":"req","code":200,"ch":"auth","data":{}}',
        b'{"action":"sub","code":200,"ch":"orders#btcusdt","data":{}}',
        b'{"action":"push","ch":"accounts.update#1","data":{"currency":"btc","accountId":1,"balance":"1"}}',
    ],
}


@pytest.mark.parametrize("venue", VENUES)
def test_frames_that_are_not_order_events_give_none(venue):
    for frame in OTHER[venue]:
        assert core.DECODERS[venue](frame) is None, frame
        assert twin.DECODERS[venue](frame) is None, frame


@pytest.mark.parametrize("venue", VENUES)
def test_broken_frames_raise_malformed_event_never_anything_else(venue):
    dec = core.DECODERS[venue]
    for frame in SAMPLES[venue]:
        for cut in range(len(frame)):   # every truncation of every documented frame
            with pytest.raises(MalformedEvent):
                dec(frame[:cut])
        with pytest.raises(MalformedEvent):
            dec(frame + b"x")
        with pytest.raises(MalformedEvent):
            dec(frame.replace(b'":', b'":,', 1))
    with pytest.raises(MalformedEvent):
        dec(b"[" * 100 + b"]" * 100)
    with pytest.raises(MalformedEvent):
        dec(b'{"a":' * 100 + b'1' + b'}' * 100)   # deeper than 64
    with pytest.raises(TypeError):
        dec("{}")   # a str is not a frame


def test_unknown_status_and_missing_fields_are_malformed():
    for frame in (BN_NEW.replace(b'"X":"NEW"', b'"X":"WEIRD"'), BN_NEW.replace(b'"s":"ETHBTC",', b''),
                  BN_NEW.replace(b'"s":"ETHBTC"', b'"s":7'), BN_NEW.replace(b'"E":1499405658658', b'"E":"soon"')):
        with pytest.raises(MalformedEvent):
            core.decode_binance(frame)
    for frame in (OK_LIVE.replace(b'"state":"live"', b'"state":"gone"'), OK_LIVE.replace(b'"ordId":', b'"xordId":'),
                  OK_LIVE.replace(b'"data":[{', b'"data":[1,{')):
        with pytest.raises(MalformedEvent):
            core.decode_okx(frame)
    for frame in (HX_TRADE.replace(b'"orderStatus":"filled"', b'"orderStatus":"x"'),
                  HX_TRADE.replace(b'"eventType":"trade"', b'"eventType":"other"'),
                  HX_TRADE.replace(b'"symbol":"btcusdt",', b'')):
        with pytest.raises(MalformedEvent):
            core.decode_htx(frame)


def test_escapes_and_non_ascii_text():
    frame = BN_TRADE.replace(b'"s":"ETHBTC"', b'"s":"\\u5e01\\u5b89\\"q"').replace(
        b'"N":"BNB"', '"N":"币安"'.encode())
    [ev] = core.decode_binance(frame)
    assert (ev.symbol, ev.fee_asset) == ('币安"q', "币安")
    with pytest.raises(MalformedEvent):
        core.decode_binance(BN_TRADE.replace(b'"s":"ETHBTC"', b'"s":"\\x"'))
    with pytest.raises(MalformedEvent):
        core.decode_binance(BN_TRADE.replace(b'"N":"BNB"', b'"N":"\xff"'))



@pytest.mark.parametrize("venue", VENUES)
def test_every_position_of_a_stop_byte_in_mapped_and_skipped_strings(venue):
    """The string scan tests 16 bytes at a time: a quote, an escape or a control byte at any position of a
    string (mapped or skipped, across a 16-byte boundary, at the frame's end) reads as the twin reads it."""
    frame = SAMPLES[venue][0]
    for key in (b'"s":"', b'"clOrdId":"', b'"symbol":"', b'"o":"', b'"category":"', b'"orderSource":"'):
        at = frame.find(key)
        if at < 0:
            continue
        at += len(key)
        for i in range(40):
            for ins in (b"\x01", b"\x1f", b" ", b"~", b'\\"', b"\\\\", b"\\u0041", b"\\q", b'"'):
                data = frame[:at] + b"A" * i + ins + b"B" * 3 + frame[at:]
                got, want = both(venue, data)
                assert got == want, (key, i, ins)
    for cut in range(1, 40):   # a frame that ends inside a long string, an escape at its very end
        data = frame[: frame.find(b'":"') + 3] + b"A" * cut
        for tail in (b"", b"\\"):
            with pytest.raises(MalformedEvent):
                core.DECODERS[venue](data + tail)

def test_order_event_record():
    ev = OrderEvent("binance", "BTCUSDT", "c1", "9", "FILLED", exec_type="TRADE", recv_ns=3, snapshot=True)
    assert ev.is_final and ev.is_fill and ev.snapshot and ev.exchange_ts_ms is None
    assert ev == OrderEvent(**ev.to_dict()) and ev != OrderEvent("binance", "BTCUSDT", "c2")
    import pickle
    assert pickle.loads(pickle.dumps(ev)) == ev
    assert "c1" in repr(ev)


# -- generated frames: compiled == twin ------------------------------------------------------------------------
text = st.one_of(st.sampled_from(["", "0", "0.001", "BTCUSDT", "1.50000000", "abc_-1"]),
                 st.text(max_size=12))
value = st.one_of(text, st.integers(-(2**40), 2**62), st.none(), st.booleans(),
                  st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.sampled_from(["a", "s"]), text, max_size=2))


def maybe(strategy, p_keys):
    return st.fixed_dictionaries({}, optional={k: strategy(k) for k in p_keys})


BN_KEYS = {"e": st.sampled_from(["executionReport", "executionReport", "balanceUpdate"]),
           "X": st.sampled_from(["NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "PENDING_CANCEL", "REJECTED",
                                 "EXPIRED", "EXPIRED_IN_MATCH", "PENDING_NEW", "BOGUS"]),
           "x": st.sampled_from(["NEW", "TRADE", "CANCELED", "EXPIRED", "REJECTED", "TRADE_PREVENTION", "X"]),
           "S": st.sampled_from(["BUY", "SELL", "HOLD"]), "s": text, "c": text, "C": text,
           "i": st.integers(0, 2**62), "E": st.one_of(st.integers(0, 2**50), st.none()),
           "p": text, "q": text, "l": text, "z": text, "L": text, "n": text, "N": st.one_of(text, st.none()),
           "t": st.integers(-1, 2**40), "junk": value}
OK_KEYS = {"state": st.sampled_from(["live", "partially_filled", "filled", "canceled", "mmp_canceled", "x"]),
           "instId": text, "ordId": text, "clOrdId": text, "side": st.sampled_from(["buy", "sell"]),
           "px": text, "sz": text, "fillPx": text, "fillSz": st.sampled_from(["", "0", "0.5", "1"]),
           "accFillSz": text, "fillFee": st.sampled_from(["", "0", "-0.1", "0.2", "-0"]), "fillFeeCcy": text,
           "tradeId": st.sampled_from(["", "7", "123456"]), "uTime": st.one_of(st.sampled_from(["", "1700000000000"]),
                                                                                 st.integers(0, 2**50)),
           "junk": value}
HX_KEYS = {"eventType": st.sampled_from(["creation", "trade", "cancellation", "trigger", "deletion", "x"]),
           "orderStatus": st.sampled_from(["submitted", "created", "partial-filled", "filled", "partial-canceled",
                                           "canceled", "rejected", "y"]),
           "symbol": text, "orderId": st.integers(0, 2**62), "clientOrderId": text,
           "type": st.sampled_from(["buy-limit", "sell-ioc", "buy-", "weird"]), "orderSide": st.sampled_from(["buy", "sell"]),
           "orderPrice": text, "orderSize": text, "tradePrice": text, "tradeVolume": text,
           "tradeId": st.integers(0, 2**50), "tradeTime": st.integers(0, 2**50), "execAmt": text,
           "transactFee": text, "feeCurrency": text, "orderCreateTime": st.integers(0, 2**50),
           "lastActTime": st.integers(0, 2**50), "junk": value}


def event_dict(keys):
    return st.fixed_dictionaries({}, optional=keys)


frames = st.one_of(
    st.tuples(st.just("binance"), event_dict(BN_KEYS).map(lambda e: {"subscriptionId": 0, "event": e})),
    st.tuples(st.just("binance"), event_dict(BN_KEYS)),
    st.tuples(st.just("okx"), st.lists(event_dict(OK_KEYS), max_size=3).map(
        lambda items: {"arg": {"channel": "orders", "instType": "SPOT"}, "data": items})),
    st.tuples(st.just("htx"), st.tuples(st.sampled_from(["orders#btcusdt", "trade.clearing#btcusdt#0", "auth"]),
                                        event_dict(HX_KEYS)).map(lambda t: {"action": "push", "ch": t[0], "data": t[1]})),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames, st.booleans())
def test_compiled_matches_twin_on_generated_frames(vf, pretty):
    venue, obj = vf
    data = orjson.dumps(obj, option=orjson.OPT_INDENT_2 if pretty else 0)
    got, want = both(venue, data)
    assert got == want


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([(v, f) for v in VENUES for f in SAMPLES[v]]), st.data())
def test_mutated_frames_never_break_the_decoder(sample, data):
    venue, frame = sample
    b = bytearray(frame)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(b) - 1))
        b[i] = data.draw(st.sampled_from(b'"{}[]:,\\0-9aeE.\x00 \xff'))
    try:
        core.DECODERS[venue](bytes(b))
    except MalformedEvent:
        pass
