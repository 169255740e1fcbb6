"""Shared helpers for the simulator tests: independent signers (stdlib hmac/hashlib + cryptography) and a
runner. Exposed through the ``h`` fixture (tests run with --import-mode=importlib, so no helper imports)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
import types
import urllib.parse
from datetime import datetime, timezone

import pytest

from fastorder.sim import creds


def run(coro, timeout: float = 30.0):
    """Run one test coroutine on uvloop, bounded in time."""
    import uvloop

    async def bounded():
        return await asyncio.wait_for(coro, timeout)

    return uvloop.run(bounded())


def ms() -> int:
    return int(time.time() * 1000)


def bn_sign_hmac(payload: str, secret: str = creds.BINANCE_HMAC_SECRET) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def bn_sign_ed25519(payload: str) -> str:
    return base64.b64encode(creds.ed25519_private_key().sign(payload.encode())).decode()


def bn_query(params: dict, ed25519: bool = False) -> str:
    """A signed Binance REST query string (params in the given order)."""
    q = urllib.parse.urlencode(params)
    sig = bn_sign_ed25519(q) if ed25519 else bn_sign_hmac(q)
    return q + "&signature=" + urllib.parse.quote(sig, safe="")


def bn_ws_params(params: dict, ed25519: bool = False) -> dict:
    p = dict(params)
    p.setdefault("apiKey", creds.BINANCE_ED25519_KEY if ed25519 else creds.BINANCE_HMAC_KEY)
    p.setdefault("timestamp", ms())
    payload = "&".join(f"{k}={p[k]}" for k in sorted(p))
    p["signature"] = bn_sign_ed25519(payload) if ed25519 else bn_sign_hmac(payload)
    return p


def okx_ts() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{datetime.now(timezone.utc).microsecond // 1000:03d}Z"


def okx_headers(method: str, path: str, body: str = "", ts: str | None = None, secret: str = creds.OKX_SECRET,
                key: str = creds.OKX_KEY, passphrase: str = creds.OKX_PASSPHRASE) -> dict:
    ts = ts or okx_ts()
    sign = base64.b64encode(hmac.new(secret.encode(), (ts + method + path + body).encode(), hashlib.sha256).digest())
    return {"OK-ACCESS-KEY": key, "OK-ACCESS-SIGN": sign.decode(), "OK-ACCESS-TIMESTAMP": ts,
            "OK-ACCESS-PASSPHRASE": passphrase, "Content-Type": "application/json"}


def okx_login_args(ts: str | None = None, secret: str = creds.OKX_SECRET, key: str = creds.OKX_KEY,
                   passphrase: str = creds.OKX_PASSPHRASE) -> dict:
    ts = ts or str(int(time.time()))
    sign = base64.b64encode(hmac.new(secret.encode(), (ts + "GET/users/self/verify").encode(), hashlib.sha256).digest())
    return {"op": "login", "args": [{"apiKey": key, "passphrase": passphrase, "timestamp": ts, "sign": sign.decode()}]}


def htx_url(base: str, method: str, path: str, extra: dict | None = None, secret: str = creds.HTX_SECRET,
            key: str = creds.HTX_KEY, ts: str | None = None, host: str | None = None, ed25519: bool = False,
            sig_method: str | None = None) -> str:
    """A Signature-V2 signed URL (host signed without the port, as the official SDK does)."""
    u = urllib.parse.urlsplit(base)
    if ed25519 and key == creds.HTX_KEY:
        key = creds.HTX_ED25519_KEY
    params = {"AccessKeyId": key, "SignatureMethod": sig_method or ("Ed25519" if ed25519 else "HmacSHA256"),
              "SignatureVersion": "2",
              "Timestamp": ts or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")}
    params.update(extra or {})
    enc = "&".join(f"{k}={urllib.parse.quote(str(v), safe='')}" for k, v in sorted(params.items()))
    text = f"{method}\n{(host or u.hostname).lower()}\n{path}\n{enc}"
    if ed25519:
        sig = base64.b64encode(creds.ed25519_private_key().sign(text.encode())).decode()
    else:
        sig = base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode()
    return f"{base}{path}?{enc}&Signature={urllib.parse.quote(sig, safe='')}"


@pytest.fixture
def h():
    return types.SimpleNamespace(
        run=run, ms=ms, bn_sign_hmac=bn_sign_hmac, bn_sign_ed25519=bn_sign_ed25519, bn_query=bn_query,
        bn_ws_params=bn_ws_params, okx_ts=okx_ts, okx_headers=okx_headers, okx_login_args=okx_login_args,
        htx_url=htx_url, creds=creds, BN_KEY=creds.BINANCE_HMAC_KEY, BN_ED_KEY=creds.BINANCE_ED25519_KEY)
