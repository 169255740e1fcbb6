"""Which OpenSSL API should sign? Today's HMAC (SHA256_* with the key's inner/outer states kept; deprecated in
OpenSSL 3) against the non-deprecated ones, on each venue's real signed text, beside encode+sign of the same
orders (bench/bench_encode.py's compiled entries), all in one run, interleaved.

    python bench/hmac_api.py                 # needs a C compiler and OpenSSL 3 headers (compiles bench/c/hmac_api.c)
    python bench/hmac_api.py --rounds 9 --iters 50000
    python bench/hmac_api.py --callgrind     # instructions per signature instead (deterministic; needs valgrind)

For each venue it prints the median ns per signature of each API and of today's whole encode+sign, then what
encode+sign would cost with each API: today's time - today's signature + that API's signature. The
replacement is worth making if that stays within 10 % of today's. On a busy machine the times scatter; then
--callgrind counts the instructions of each API per signature (the difference between 1,000 and 3,000
signatures of the Binance REST text, divided by 2,000). valgrind does not emulate the SHA extensions, so
the hashing itself counts for more there than it costs on the CPU: the counts show each API's overhead on top
of the same hashing, not the share of the whole.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import hmac
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_encode as be  # noqa: E402  (bench/ is not a package)

VARIANTS = ["SHA256_* states (today)", "EVP_MAC, ctx dup per message", "EVP_MAC, re-init same ctx",
            "EVP_MD_CTX_copy_ex states"]


def build() -> ctypes.CDLL:
    out = os.path.join(tempfile.mkdtemp(), "hmac_api.so")
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-Wall", "-o", out, os.path.join(HERE, "c", "hmac_api.c"),
                    "-lcrypto"], check=True)
    lib = ctypes.CDLL(out)
    lib.fo_hmac_run.restype = ctypes.c_double
    lib.fo_hmac_run.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t,
                                ctypes.c_long, ctypes.c_char_p]
    return lib


def callgrind(text: bytes, key: bytes) -> None:
    exe = os.path.join(tempfile.mkdtemp(), "hmac_api")
    with open(exe + ".c", "w") as f:
        f.write('#include <stdlib.h>\n#include <string.h>\n'
                'double fo_hmac_run(int, const unsigned char*, size_t, const unsigned char*, size_t, long, '
                'unsigned char*);\nint main(int c, char **v) { unsigned char out[32]; '
                'fo_hmac_run(atoi(v[1]), (const unsigned char*)v[3], strlen(v[3]), (const unsigned char*)v[4], '
                'strlen(v[4]), atol(v[2]), out); return 0; }\n')
    subprocess.run(["cc", "-O2", "-o", exe, exe + ".c", os.path.join(HERE, "c", "hmac_api.c"), "-lcrypto"],
                   check=True)
    counts = []
    for v, label in enumerate(VARIANTS):
        total = {}
        for n in (1000, 3000):
            out = f"{exe}.{v}.{n}.cg"
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", exe, str(v), str(n),
                            key.decode(), text.decode()], check=True, capture_output=True)
            total[n] = next(int(line.split()[1]) for line in open(out) if line.startswith("totals:"))
        counts.append((total[3000] - total[1000]) / 2000)
        print(f"  {label:<32} {counts[-1]:9,.0f} instructions per signature "
              f"({counts[-1] - counts[0]:+,.0f} against today's)")


def cases() -> dict[str, tuple[bytes, bytes, object]]:
    """venue -> (secret, the exact text that venue's order signs, the compiled encode+sign of that order)"""
    q = be.bn_rest_python().split("&signature=")[0]
    params = {"apiKey": be.KEY, "newClientOrderId": be.CLID, "newOrderRespType": "ACK", "price": "50000",
              "quantity": "0.001", "recvWindow": 5000, "side": "BUY", "symbol": "BTCUSDT", "timeInForce": "IOC",
              "timestamp": be.TS, "type": "LIMIT"}
    ws_text = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    ts, _sig, body = be.okx_rest_python()
    hq, _hbody = be.htx_python()
    htx_text = "POST\napi.huobi.pro\n/v1/order/orders/place\n" + hq.split("&Signature=")[0]
    return {"binance REST new order": (be.SECRET_B, q.encode(), be.bn_rest_compiled),
            "binance WS order.place": (be.SECRET_B, ws_text.encode(), be.bn_ws_compiled),
            "okx REST place order": (be.OKX_SECRET.encode(), (ts + "POST/api/v5/trade/order" + body).encode(),
                                     be.okx_rest_compiled),
            "htx REST place order": (be.HTX_SECRET.encode(), htx_text.encode(), be.htx_compiled)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--iters", type=int, default=20000)
    ap.add_argument("--callgrind", action="store_true", help="count instructions per signature under valgrind")
    a = ap.parse_args()
    if a.callgrind:
        key, text, _ = cases()["binance REST new order"]
        print(f"binance REST new order, signed text {len(text)} bytes, under callgrind:")
        callgrind(text, key)
        return
    lib = build()
    out = ctypes.create_string_buffer(32)
    cs = cases()
    for name, (key, text, _enc) in cs.items():   # every API gives the standard library's answer
        want = hmac.new(key, text, hashlib.sha256).digest()
        for v in range(len(VARIANTS)):
            assert lib.fo_hmac_run(v, key, len(key), text, len(text), 1, out) >= 0 and out.raw == want, (name, v)
    sig = {(n, v): [] for n in cs for v in range(len(VARIANTS))}
    enc = {n: [] for n in cs}
    for r in range(a.rounds):
        for n, (key, text, encode) in cs.items():
            order = list(range(len(VARIANTS)))
            order = order[r % len(order):] + order[:r % len(order)]
            for v in order:
                sig[(n, v)].append(lib.fo_hmac_run(v, key, len(key), text, len(text), a.iters, out))
            loops = max(1, a.iters // 4)
            enc[n].append(timeit.timeit(encode, number=loops) / loops * 1e9)
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; medians of {a.rounds} interleaved rounds, "
          f"ns per order; OpenSSL {ssl_version()}")
    for n in cs:
        today_sig = statistics.median(sig[(n, 0)])
        today = statistics.median(enc[n])
        print(f"\n{n}: signed text {len(cs[n][1])} bytes; encode+sign today {today:,.0f} ns")
        for v, label in enumerate(VARIANTS):
            s = statistics.median(sig[(n, v)])
            projected = today - today_sig + s
            print(f"  {label:<32} signature {s:7,.0f} ns   encode+sign {projected:7,.0f} ns "
                  f"({projected / today - 1:+6.1%})")


def ssl_version() -> str:
    import ssl
    return ssl.OPENSSL_VERSION


if __name__ == "__main__":
    main()
