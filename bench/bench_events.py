"""Decode of one private-stream order event per venue: fastorder's compiled decoder (frame bytes -> OrderEvent)
against orjson.loads of the same bytes into a dict (which does less: no mapping, no record), same run.

    taskset -c 1 python bench/bench_events.py [--rounds 41] [--batch 2000]

Each round times a batch of calls with perf_counter_ns and records the per-call mean; the percentiles are over
rounds, interleaved (decode batch, then orjson batch, alternately) so both see the same machine state. The
decoded event is checked against the documented values first, so a fast wrong decoder cannot win.
"""

from __future__ import annotations

import argparse
import statistics
import time

import orjson

from fastorder._core.events import decode_binance, decode_binance_futures, decode_htx, decode_okx

# one fill per venue, as the venues document them (see tests/core/test_events.py for the sources)
FRAMES = {
    "binance executionReport": (decode_binance, (
        b'{"subscriptionId":0,"event":{"e":"executionReport","E":1499405658658,"s":"ETHBTC",'
        b'"c":"mUvoqJxFIILMdfAW5iGSOW","S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10264410",'
        b'"P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"TRADE","X":"PARTIALLY_FILLED","r":"NONE",'
        b'"i":4293153,"l":"0.40000000","z":"0.40000000","L":"0.10264410","n":"0.00001","N":"BNB",'
        b'"T":1499405658657,"t":77,"I":8641984,"w":true,"m":false,"M":false,"O":1499405658657,'
        b'"Z":"0.04105764","Y":"0.04105764","Q":"0.00000000","W":1499405658657,"V":"NONE"}}'),
        ("PARTIALLY_FILLED", "0.40000000", "BNB")),
    # the example of Event: Order Update (USDⓈ-M futures user data streams), as a fill
    "binance_futures ORDER_TRADE_UPDATE": (decode_binance_futures, (
        b'{"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,"o":{"s":"BTCUSDT","c":"TEST","S":"SELL",'
        b'"o":"LIMIT","f":"GTC","q":"0.001","p":"7103.04","ap":"7103.04","sp":"0","x":"TRADE",'
        b'"X":"PARTIALLY_FILLED","i":8886774,"l":"0.0005","z":"0.0005","L":"7103.04","N":"USDT","n":"0.00142",'
        b'"T":1568879465650,"t":42,"b":"0","a":"9.91","m":false,"R":false,"wt":"CONTRACT_PRICE","ot":"LIMIT",'
        b'"ps":"BOTH","cp":false,"rp":"0","pP":false,"si":0,"ss":0,"V":"EXPIRE_TAKER","pm":"NONE","gtd":0,'
        b'"er":"0"}}'),
        ("PARTIALLY_FILLED", "0.0005", "USDT")),
    "okx orders": (decode_okx, (
        b'{"arg":{"channel":"orders","instType":"SPOT","uid":"614488474791936"},"data":[{"accFillSz":"0.007526",'
        b'"amendResult":"","avgPx":"60000","cTime":"1634548275191","category":"normal","ccy":"",'
        b'"clOrdId":"e847386590ce4dBC330547db94a08ba0","code":"0","execType":"T","fee":"-0.45156",'
        b'"feeCcy":"USDT","fillFee":"-0.45156","fillFeeCcy":"USDT","fillNotionalUsd":"451.56","fillPx":"60000",'
        b'"fillSz":"0.007526","fillTime":"1634548275999","instId":"ETH-USDT","instType":"SPOT","lever":"",'
        b'"msg":"","notionalUsd":"451.4516256","ordId":"370257534141235201","ordType":"limit","pnl":"0",'
        b'"posSide":"","px":"60000","rebate":"0","rebateCcy":"ETH","reqId":"","side":"sell","slOrdPx":"",'
        b'"slTriggerPx":"","state":"filled","sz":"0.007526","tag":"","tdMode":"cash","tgtCcy":"","tpOrdPx":"",'
        b'"tpTriggerPx":"","tradeId":"9001","uTime":"1634548275999"}]}'),
        ("FILLED", "0.007526", "USDT")),
    "htx orders#": (decode_htx, (
        b'{"action":"push","ch":"orders#btcusdt","data":{"tradePrice":"76.000000000000000000",'
        b'"tradeVolume":"1.013157894736842100","tradeId":301,"tradeTime":1583854188883,"aggressor":true,'
        b'"remainAmt":"0.000000000000000400000000000000000000","execAmt":"2","orderId":27163536,'
        b'"type":"sell-limit","clientOrderId":"abc123","orderSource":"spot-api","orderPrice":"15000",'
        b'"orderSize":"0.01","orderStatus":"filled","symbol":"btcusdt","eventType":"trade"}}'),
        ("FILLED", "1.013157894736842100", "")),
}


def per_call_ns(fn, arg, batch: int) -> float:
    t0 = time.perf_counter_ns()
    for _ in range(batch):
        fn(arg)
    return (time.perf_counter_ns() - t0) / batch


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=41)
    ap.add_argument("--batch", type=int, default=2000)
    a = ap.parse_args()
    print(f"per-call time, ns: percentiles over {a.rounds} rounds of {a.batch} calls (interleaved)")
    print(f"{'event':26} {'decoder p50':>11} {'p90':>7} {'p99':>7} {'orjson p50':>11} {'p90':>7} {'ratio p50':>10}")
    for name, (dec, frame, (status, qty, asset)) in FRAMES.items():
        [ev] = dec(frame)
        assert (ev.status, ev.last_fill_qty, ev.fee_asset) == (status, qty, asset), ev
        ours: list[float] = []
        theirs: list[float] = []
        per_call_ns(dec, frame, a.batch)               # warm both
        per_call_ns(orjson.loads, frame, a.batch)
        for _ in range(a.rounds):
            ours.append(per_call_ns(dec, frame, a.batch))
            theirs.append(per_call_ns(orjson.loads, frame, a.batch))
        ratios = [o / t for o, t in zip(ours, theirs, strict=True)]
        print(f"{name:26} {pct(ours, .5):11.0f} {pct(ours, .9):7.0f} {pct(ours, .99):7.0f} "
              f"{pct(theirs, .5):11.0f} {pct(theirs, .9):7.0f} {statistics.median(ratios):9.2f}x")
    print("ratio = decoder / orjson.loads in the same round (< 1: the decoder, which also builds the OrderEvent,"
          " is faster)")


if __name__ == "__main__":
    main()
