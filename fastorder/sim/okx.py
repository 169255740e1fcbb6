"""OKX v5: REST ``/api/v5/trade/*``, ``/api/v5/public/{time,instruments}`` and the private WebSocket
``/ws/v5/private`` (``login``, ``order``, ``cancel-order``, text ``ping``/``pong``, 30 s idle close 4004, the
``64008`` service-upgrade notice). Spot ``cash`` mode only. Sources: docs/venues/okx.md.

Environments: every key is a live or a demo-trading key. REST picks the environment by the
``x-simulated-trading: 1`` header, the WebSocket by its host (``wspap.okx.com`` and the regional ``*pap`` hosts
are demo; a loopback host is the simulator's ``ws_env``); a key used in the other environment gets 50101.

REST auth: ``OK-ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath(+?query) + body))``
with an ISO-8601 ms timestamp within 30 s. WS login: epoch-seconds timestamp, prehash
``timestamp + "GET" + "/users/self/verify"``. WS order ops identify the instrument by ``instIdCode``
(``instId`` alone is ignored -> 50014), per the 2026 docs.

Rate limit: place orders, ``limit_per_2s`` per account and instrument, shared by REST and WS (0 disables).
"""

from __future__ import annotations

import base64
import hmac
import re
import time
import zlib
from datetime import datetime
from decimal import Decimal, InvalidOperation

import orjson

from . import okx_swap
from .book import DEFAULT_BALANCES, OPEN, Exchange, Reject, SymbolSpec
from .common import HmacSha256, IdGen, now_ms, now_us
from .creds import OkxKey

D = Decimal
_TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$")
_TS_SEC: dict[str, int] = {}


def _ts_seconds(ts: str) -> float:
    """``datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()`` for a ``ts`` matched by _TS_RE, with
    the whole seconds memoised per second of text (every request of that second shares them)."""
    if not ts.isascii():
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    head = ts[:19]
    sec = _TS_SEC.get(head)
    if sec is None:
        sec = int(datetime.fromisoformat(head + "+00:00").timestamp())
        if len(_TS_SEC) >= 4096:
            _TS_SEC.clear()
        _TS_SEC[head] = sec
    frac = ts[20:-1]
    us = int(frac) * (1000, 100000, 10000, 1000)[len(frac)] if frac else 0
    return (sec * 10**6 + us) / 10**6   # as timedelta.total_seconds() computes it
_CL_RE = re.compile(r"^[a-zA-Z0-9]{1,32}$")
_TAG_RE = re.compile(r"^[a-zA-Z0-9]{0,16}$")
_NUM_RE = re.compile(r"^[0-9]+(\.[0-9]+)?$")

INSTRUMENTS = [
    # instId, code, base, quote, mid, tickSz, lotSz, minSz, gap_ticks, level_qty
    ("BTC-USDT", 10001, "BTC", "USDT", D("50000"), D("0.1"), D("0.00000001"), D("0.00001"), 5, D("0.5")),
    ("ETH-USDT", 10002, "ETH", "USDT", D("3000"), D("0.01"), D("0.000001"), D("0.0001"), 10, D("5")),
    ("SOL-USDT", 10003, "SOL", "USDT", D("150"), D("0.01"), D("0.000001"), D("0.001"), 5, D("50")),
]
STATE = {"NEW": "live", "PARTIALLY_FILLED": "partially_filled", "FILLED": "filled", "CANCELED": "canceled",
         "EXPIRED": "canceled", "EXPIRED_IN_MATCH": "canceled"}
ORD_TYPES = ("market", "limit", "post_only", "fok", "ioc")
# stpMode -> the engine's self-trade prevention mode (the taker's mode decides)
_STP = {"cancel_maker": "EXPIRE_MAKER", "cancel_taker": "EXPIRE_TAKER", "cancel_both": "EXPIRE_BOTH"}
_UNSUPPORTED_TYPES = ("optimal_limit_ioc", "mmp", "mmp_and_post_only", "elp")


def s(d: Decimal) -> str:
    if not d:
        return "0"
    return format(d.normalize(), "f")


class OkxError(Exception):
    """A whole-request error: ``{"code": code, "msg": msg, "data": []}`` with HTTP ``status``."""

    def __init__(self, code: str, msg: str, status: int = 400):
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


class OkxItemError(Exception):
    """A per-order error: ``sCode``/``sMsg`` inside ``data`` with top-level code "1"."""

    def __init__(self, scode: str, smsg: str):
        super().__init__(smsg)
        self.scode = scode
        self.smsg = smsg


def _check_exp_time(exp) -> None:
    """Optional ``expTime`` (unix ms; REST header or WS field) of place-order requests: a request arriving
    after it is not processed (section "Transaction Timeouts" of https://www.okx.com/docs-v5/en/)."""
    if exp is None:
        return
    try:
        e = int(str(exp))
    except ValueError:
        raise OkxError("51000", "Parameter expTime error") from None
    if now_ms() > e:
        raise OkxError("50036", "The expTime can't be earlier than the current system time. Please adjust the "
                       "expTime and try again.", 200)


def empty(name: str) -> OkxError:
    return OkxError("50014", f"Parameter {name} can not be empty.")


class Okx:
    venue = "okx"

    def __init__(self, keys: list[OkxKey], seed: int = 0, idle_timeout: float = 30.0, limit_per_2s: int = 60,
                 ws_env: str = "live"):
        if ws_env not in ("live", "demo"):
            raise ValueError("ws_env must be 'live' or 'demo'")
        self.keys = {k.api_key: k for k in keys}
        self.ws_env = ws_env          # the environment of a WebSocket reached by a host OKX does not name
        self.ws_sessions: set = set()
        self._mac = {k.api_key: HmacSha256(k.secret.encode()) for k in keys}
        specs = []
        self.inst = {}
        self.by_code = {}
        for inst_id, code, base, quote, mid, tick, lot, minsz, gap, lq in INSTRUMENTS:
            sp = SymbolSpec(inst_id, base, quote, mid, tick, lot, minsz, D("9999999999"), tick, D("10000000"),
                            D(0), gap_ticks=gap, level_qty=lq, code=code)
            specs.append(sp)
        specs += okx_swap.specs()   # the perpetual swaps (instType SWAP) on the same endpoints
        for sp in specs:
            self.inst[sp.symbol] = sp
            self.by_code[sp.code] = sp
        self.ex = Exchange(specs, first_order_id=2_510_789_768_709_120 + seed * 1000,
                           balances={**DEFAULT_BALANCES, **okx_swap.balances()})
        self.swaps = okx_swap.Swaps(self)
        self.ids = IdGen(seed)
        self.idle_timeout = idle_timeout
        self.limit_per_2s = limit_per_2s
        self._rl: dict[tuple[str, str, str], list[int]] = {}
        self.ws_paths = {"/ws/v5/private": self._ws_session}
        self._routes = {("POST", "/api/v5/trade/order"): self._rest_place,
                        ("POST", "/api/v5/trade/batch-orders"): self._rest_batch_place,
                        ("POST", "/api/v5/trade/cancel-order"): self._rest_cancel,
                        ("POST", "/api/v5/trade/cancel-batch-orders"): self._rest_batch_cancel,
                        ("POST", "/api/v5/trade/amend-order"): self._rest_amend,
                        ("POST", "/api/v5/trade/amend-batch-orders"): self._rest_batch_amend,
                        ("POST", "/api/v5/trade/cancel-all-after"): self._rest_cancel_all_after,
                        ("GET", "/api/v5/trade/order"): self._rest_query,
                        ("GET", "/api/v5/trade/orders-pending"): self._rest_pending,
                        ("GET", "/api/v5/account/balance"): self._rest_balance,
                        ("GET", "/api/v5/account/positions"): self._rest_positions,
                        ("GET", "/api/v5/account/config"): self._rest_config,
                        ("POST", "/api/v5/account/set-position-mode"): self._rest_position_mode,
                        ("POST", "/api/v5/account/set-leverage"): self._rest_leverage}
        self._paths = {p for _, p in self._routes} | {"/api/v5/public/time", "/api/v5/public/instruments"}
        self._caa: dict[str, tuple[int, object]] = {}   # account -> (trigger time ms, its timer): cancel-all-after
        self._caa_last: dict[str, int] = {}             # account -> last cancel-all-after request (1 per second)
        from .okx_stream import OkxOrdersStream
        self.stream = OkxOrdersStream(self)   # the `orders` channel
        self.site = None

    # ================================================================ REST
    def handle_http(self, req):
        in_us = now_us()
        m, path = req.method, req.path
        try:
            if path == "/api/v5/public/time" and m == "GET":
                return self._ok([{"ts": str(now_ms())}], in_us)
            if path == "/api/v5/public/instruments" and m == "GET":
                return self._instruments(req, in_us)
            route = self._routes.get((m, path))
            if route is None:
                if path in self._paths:
                    return 405, b"", b'{"code":"405","msg":"Method Not Allowed","data":[]}'
                return 404, b"", b'{"code":"404","msg":"Not Found","data":[]}'
            key = self._auth(req)
            return route(req, key, in_us)
        except OkxError as e:
            return e.status, b"", orjson.dumps({"code": e.code, "msg": e.msg, "data": []})

    def _ok(self, data, in_us, code="0", msg="", status=200):
        return status, b"", orjson.dumps({"code": code, "msg": msg, "data": data, "inTime": str(in_us),
                                          "outTime": str(now_us())})

    def _auth(self, req) -> OkxKey:
        h = req.headers
        api_key = h.get(b"ok-access-key", b"").decode("latin-1")
        sign = h.get(b"ok-access-sign", b"").decode("latin-1")
        ts = h.get(b"ok-access-timestamp", b"").decode("latin-1")
        pp = h.get(b"ok-access-passphrase", b"").decode("utf-8", "replace")
        if not api_key:
            raise OkxError("50103", 'Request header "OK-ACCESS-KEY" cannot be empty.', 401)
        if not pp:
            raise OkxError("50104", 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.', 401)
        if not sign:
            raise OkxError("50106", 'Request header "OK-ACCESS-SIGN" cannot be empty.', 401)
        if not ts:
            raise OkxError("50107", 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.', 401)
        key = self.keys.get(api_key)
        if key is None:
            raise OkxError("50111", "Invalid OK-ACCESS-KEY.", 401)
        env = "demo" if h.get(b"x-simulated-trading", b"").strip() == b"1" else "live"
        if key.env != env:
            raise OkxError("50101", "APIKey does not match current environment.", 401)
        if not hmac.compare_digest(pp, key.passphrase):
            raise OkxError("50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.', 401)
        if not _TS_RE.match(ts):
            raise OkxError("50112", "Invalid OK-ACCESS-TIMESTAMP.", 401)
        t = _ts_seconds(ts)
        if abs(time.time() - t) > 30:
            raise OkxError("50102", "Timestamp request expired.", 401)
        path = req.path + ("?" + req.query if req.query else "")
        mac = self._mac[api_key].digest(ts.encode() + req.method.encode() + path.encode("latin-1") + req.body)
        if not hmac.compare_digest(base64.b64encode(mac).decode(), sign):
            raise OkxError("50113", "Invalid signature.", 401)
        return key

    def _instruments(self, req, in_us):
        q = dict(p.split("=", 1) for p in req.query.split("&") if "=" in p)
        it = q.get("instType")
        if not it:
            raise empty("instType")
        if it not in ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"):
            raise OkxError("51000", "Parameter instType error")
        data = []
        if it == "SWAP":
            data = self.swaps.instruments(q.get("instId"))
        if it == "SPOT":
            for sp in self.inst.values():
                if q.get("instId") and q["instId"] != sp.symbol or self.swaps.is_swap(sp.symbol):
                    continue
                data.append({
                    "alias": "", "auctionEndTime": "", "baseCcy": sp.base, "category": "1", "ctMult": "",
                    "ctType": "", "ctVal": "", "ctValCcy": "", "expTime": "", "instFamily": "", "instId": sp.symbol,
                    "instIdCode": sp.code, "instType": "SPOT", "lever": "", "listTime": "1606468572000",
                    "lotSz": s(sp.step), "maxIcebergSz": "9999999999", "maxLmtAmt": "20000000",
                    "maxLmtSz": "9999999999", "maxMktAmt": "1000000", "maxMktSz": "1000000",
                    "maxStopSz": "1000000", "maxTriggerSz": "9999999999", "maxTwapSz": "9999999999",
                    "minSz": s(sp.min_qty), "optType": "", "quoteCcy": sp.quote, "ruleType": "normal",
                    "settleCcy": "", "state": "live", "stk": "", "tickSz": s(sp.tick), "tradeQuoteCcyList": [sp.quote],
                    "uly": ""})
        return self._ok(data, in_us)

    def _json_body(self, req) -> dict:
        try:
            body = orjson.loads(req.body) if req.body else None
        except orjson.JSONDecodeError:
            raise OkxError("50002", "JSON syntax error") from None
        if not isinstance(body, dict):
            raise OkxError("50002", "JSON syntax error")
        return body

    def _rest_place(self, req, key, in_us):
        _check_exp_time(req.header(b"exptime"))
        body = self._json_body(req)
        return self._item_reply(self._place_item, body, key, in_us, via_ws=False)

    def _rest_batch_place(self, req, key, in_us):
        """``POST /api/v5/trade/batch-orders``: up to 20 orders; code 0 all placed, 1 none, 2 some."""
        _check_exp_time(req.header(b"exptime"))
        return self._rest_batch(req, key, in_us, self._place_item, "orders")

    def _rest_batch_cancel(self, req, key, in_us):
        """``POST /api/v5/trade/cancel-batch-orders``: up to 20 cancels, per-item sCode."""
        return self._rest_batch(req, key, in_us, self._cancel_item, "orders")

    def _rest_batch_amend(self, req, key, in_us):
        """``POST /api/v5/trade/amend-batch-orders``: up to 20 amends, per-item sCode (expTime as for orders)."""
        _check_exp_time(req.header(b"exptime"))
        return self._rest_batch(req, key, in_us, self._amend_item, "orders")

    def _rest_batch(self, req, key, in_us, fn, what):
        try:
            args = orjson.loads(req.body) if req.body else None
        except orjson.JSONDecodeError:
            raise OkxError("50002", "JSON syntax error") from None
        if not isinstance(args, list) or not args or not all(isinstance(a, dict) for a in args):
            raise OkxError("50002", "JSON syntax error")
        if len(args) > 20:
            raise OkxError("51000", f"Parameter {what} error")  # at most 20 per batch
        items = self._batch_items(fn, args, key.account, False)
        ok = sum(1 for i in items if i["sCode"] == "0")
        if ok == len(items):
            return self._ok(items, in_us)
        if ok == 0:
            return self._ok(items, in_us, code="1", msg="Operation failed.")
        return self._ok(items, in_us, code="2", msg="Bulk operation partially succeeded.")

    def _batch_items(self, fn, args: list, account: str, via_ws: bool) -> list[dict]:
        """Each item in turn, as OKX places a batch; an item's error is its own sCode/sMsg."""
        items = []
        for a in args:
            try:
                items.append(fn(a, account, via_ws))
            except (OkxItemError, OkxError) as e:
                code, msg = (e.scode, e.smsg) if isinstance(e, OkxItemError) else (e.code, e.msg)
                item = {"clOrdId": str(a.get("clOrdId", "")), "ordId": str(a.get("ordId", "")),
                        "ts": str(now_ms()), "sCode": code, "sMsg": msg, "subCode": ""}
                if fn == self._place_item:
                    item["ordId"] = ""
                    item["tag"] = str(a.get("tag", ""))
                elif fn == self._amend_item:
                    item["reqId"] = str(a.get("reqId", ""))
                items.append(item)
        return items

    def _rest_amend(self, req, key, in_us):
        _check_exp_time(req.header(b"exptime"))
        body = self._json_body(req)
        return self._item_reply(self._amend_item, body, key, in_us, via_ws=False)

    def _query(self, req) -> dict:
        return dict(p.split("=", 1) for p in req.query.split("&") if "=" in p)

    def _rest_pending(self, req, key, in_us):
        """``GET /api/v5/trade/orders-pending``: the account's open orders, newest first, up to ``limit`` (100)
        a page; ``after`` / ``before`` page by ordId. Spot only here: another instType lists nothing."""
        q = self._query(req)
        it = q.get("instType")
        if it is not None and it not in ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"):
            raise OkxError("51000", "Parameter instType error")
        try:
            limit = int(q.get("limit") or 100)
            after = int(q["after"]) if q.get("after") else None
            before = int(q["before"]) if q.get("before") else None
        except ValueError:
            raise OkxError("51000", "Parameter limit error") from None
        if not 1 <= limit <= 100:
            raise OkxError("51000", "Parameter limit error")
        state = q.get("state")
        if state not in (None, "", "live", "partially_filled"):
            raise OkxError("51000", "Parameter state error")
        inst = q.get("instId")
        orders = [o for o in self.ex.open_orders(key.account, inst or None)
                  if it is None or it == ("SWAP" if self.swaps.is_swap(o.symbol) else "SPOT")]
        out = []
        for o in sorted(orders, key=lambda o: o.oid, reverse=True):
            if after is not None and o.oid >= after or before is not None and o.oid <= before:
                continue
            if state and STATE[o.status] != state:
                continue
            out.append(self.order_view(o))
            if len(out) == limit:
                break
        return self._ok(out, in_us)

    def _rest_balance(self, req, key, in_us):
        """``GET /api/v5/account/balance[?ccy=A,B]``: the trading account; per currency availBal (free),
        frozenBal (in open orders), cashBal (both)."""
        q = self._query(req)
        want = [c for c in q.get("ccy", "").split(",") if c] if q.get("ccy") else None
        if want is not None and len(want) > 20:
            raise OkxError("51000", "Parameter ccy error")
        acct = self.ex.account(key.account)
        now = str(now_ms())
        details = []
        for ccy, (free, locked) in sorted(acct.balances.items()):
            if okx_swap.PSEUDO in ccy:   # the swap books' accounting entries: not balances
                continue
            if want is not None and ccy not in want or (want is None and not free and not locked):
                continue
            details.append({"ccy": ccy, "availBal": s(free), "frozenBal": s(locked), "cashBal": s(free + locked),
                            "eq": s(free + locked), "availEq": s(free + locked), "ordFrozen": s(locked),
                            "uTime": now})
        return self._ok([{"adjEq": "", "details": details, "totalEq": "", "uTime": now}], in_us)

    def _rest_positions(self, req, key, in_us):
        """``GET /api/v5/account/positions[?instType=SWAP][&instId=a,b]``: open swap positions, newest first."""
        q = self._query(req)
        it = q.get("instType") or None   # empty: every type (an SDK sends every parameter, empty or not)
        if it is not None and it not in ("MARGIN", "SWAP", "FUTURES", "OPTION"):
            raise OkxError("51000", "Parameter instType error")
        ids = [i for i in q.get("instId", "").split(",") if i] or None
        if ids is not None and len(ids) > 10:
            raise OkxError("51000", "Parameter instId error")
        data = [] if it not in (None, "SWAP") else self.swaps.positions(key.account, ids, "")
        for d in data:
            d.pop("uid", None)
        return self._ok(data, in_us)

    def _rest_config(self, req, key, in_us):
        """``GET /api/v5/account/config``: the account's settings this simulator has (posMode, acctLv 2:
        spot and futures mode)."""
        return self._ok([{"acctLv": "2", "autoLoan": False, "ctIsoMode": "automatic", "greeksType": "PA",
                          "level": "Lv1", "levelTmp": "", "mgnIsoMode": "automatic",
                          "posMode": "long_short_mode" if self.swaps.long_short.get(key.account) else "net_mode",
                          "spotOffsetType": "", "uid": str(600000000000000 + zlib.crc32(key.account.encode())),
                          "label": "", "roleType": "0", "traderInsts": [], "spotRoleType": "0",
                          "spotTraderInsts": [], "opAuth": "0", "kycLv": "2", "ip": "", "perm": "read_only,trade",
                          "mainUid": ""}], in_us)

    def _rest_position_mode(self, req, key, in_us):
        """``POST /api/v5/account/set-position-mode {"posMode": "long_short_mode" | "net_mode"}``."""
        mode = self._json_body(req).get("posMode")
        if mode in (None, ""):
            raise empty("posMode")
        if mode not in ("long_short_mode", "net_mode"):
            raise OkxError("51000", "Parameter posMode error")
        try:
            return self._ok([self.swaps.set_position_mode(key.account, mode)], in_us)
        except okx_swap.SwapError as e:
            raise OkxError(e.scode, e.smsg, 200) from None

    def _rest_leverage(self, req, key, in_us):
        """``POST /api/v5/account/set-leverage {"instId", "lever", "mgnMode"[, "posSide"]}`` (SWAP instruments)."""
        body = self._json_body(req)
        for name in ("lever", "mgnMode"):
            if body.get(name) in (None, ""):
                raise empty(name)
        try:
            return self._ok([self.swaps.set_leverage(key.account, body)], in_us)
        except okx_swap.SwapError as e:
            raise OkxError(e.scode, e.smsg, 400 if e.scode == "59105" else 200) from None

    def _rest_cancel_all_after(self, req, key, in_us):
        """``POST /api/v5/trade/cancel-all-after``: ``timeOut`` "0" (off) or 10-120 s; every open order of the
        account is cancelled when it lapses unless re-armed. 1 request per second per account."""
        body = self._json_body(req)
        t = body.get("timeOut")
        if t in (None, ""):
            raise empty("timeOut")
        try:
            secs = int(str(t))
        except ValueError:
            raise OkxError("51000", "Parameter timeOut error") from None
        if secs != 0 and not 10 <= secs <= 120:
            raise OkxError("51000", "Parameter timeOut error")
        tag = str(body.get("tag", "") or "")
        if not _TAG_RE.match(tag):
            raise OkxError("51000", "Parameter tag error")
        account, now = key.account, now_ms()
        last = self._caa_last.get(account)
        if last is not None and now - last < 1000:
            raise OkxError("50011", "Rate limit reached. Please refer to API documentation and throttle requests "
                           "accordingly.", 429)
        self._caa_last[account] = now
        prev = self._caa.pop(account, None)
        if prev is not None:
            prev[1].cancel()
        trigger = 0
        if secs:
            import asyncio
            trigger = now + secs * 1000
            timer = asyncio.get_running_loop().call_later(secs, self._cancel_all_now, account)
            self._caa[account] = (trigger, timer)
        return self._ok([{"triggerTime": str(trigger), "tag": tag, "ts": str(now)}], in_us)

    def _cancel_all_now(self, account: str) -> None:
        """The dead-man's switch fired: every open order of the account is cancelled."""
        self._caa.pop(account, None)
        now = now_ms()
        for o in list(self.ex.open_orders(account)):
            self.ex.cancel(o, now)
            o.cancel_source = "20"   # "Cancel all after triggered"
            if self.stream.subs:
                self.stream.canceled(o, now)

    def _rest_cancel(self, req, key, in_us):
        body = self._json_body(req)
        return self._item_reply(self._cancel_item, body, key, in_us, via_ws=False)

    def _item_reply(self, fn, args, key, in_us, via_ws):
        try:
            item = fn(args, key.account, via_ws)
            return self._ok([item], in_us)
        except OkxItemError as e:
            item = {"clOrdId": str(args.get("clOrdId", "")), "ordId": str(args.get("ordId", "")),
                    "tag": str(args.get("tag", "")), "ts": str(now_ms()), "sCode": e.scode, "sMsg": e.smsg,
                    "subCode": ""}
            return self._ok([item], in_us, code="1", msg="Operation failed.")

    def _rest_query(self, req, key, in_us):
        q = dict(p.split("=", 1) for p in req.query.split("&") if "=" in p)
        inst = q.get("instId")
        if not inst:
            raise empty("instId")
        if inst not in self.inst:
            raise OkxError("51001", "Instrument ID or Spread ID doesn't exist.", 200)
        if not q.get("ordId") and not q.get("clOrdId"):
            raise OkxError("51000", "Parameter ordId error", 200)
        o = self._find(key.account, q.get("ordId"), q.get("clOrdId"))
        if o is None or o.symbol != inst:
            raise OkxError("51603", "Order does not exist.", 200)
        return self._ok([self.order_view(o)], in_us)

    # ================================================================ order logic (REST and WS)
    def _rate(self, account: str, inst: str, kind: str = "place") -> None:
        """Place and amend each have their own limit per account and instrument (shared by REST and WS)."""
        if not self.limit_per_2s:
            return
        now = now_ms()
        w = self._rl.get((account, inst, kind))
        if w is None or now - w[0] >= 2000:
            self._rl[(account, inst, kind)] = [now, 1]
            return
        w[1] += 1
        if w[1] > self.limit_per_2s:
            raise OkxError("50011", "Rate limit reached. Please refer to API documentation and throttle requests "
                           "accordingly.", 429)

    def _spec(self, a: dict, via_ws: bool) -> SymbolSpec:
        if via_ws:
            code = a.get("instIdCode")
            if code is None or code == "":
                raise empty("instIdCode")
            try:
                sp = self.by_code.get(int(code))
            except (TypeError, ValueError):
                raise OkxError("51000", "Parameter instIdCode error") from None
            if sp is None:
                raise OkxItemError("51001", "Instrument ID or Spread ID doesn't exist.")
            return sp
        inst = a.get("instId")
        if not inst:
            raise empty("instId")
        sp = self.inst.get(inst)
        if sp is None:
            raise OkxItemError("51001", "Instrument ID or Spread ID doesn't exist.")
        return sp

    def _find(self, account, ord_id, cl_ord_id):
        if ord_id:
            try:
                return self.ex.find(account, int(ord_id))
            except ValueError:
                return None
        return self.ex.find(account, None, cl_ord_id)

    def _place_item(self, a: dict, account: str, via_ws: bool) -> dict:
        for name in ("tdMode", "side", "ordType", "sz"):
            if a.get(name) in (None, ""):
                raise empty(name)
        sp = self._spec(a, via_ws)
        td, side, ot = a["tdMode"], a["side"], a["ordType"]
        sz, px = str(a["sz"]), a.get("px")
        cl = str(a.get("clOrdId", "") or "")
        tag = str(a.get("tag", "") or "")
        if td not in ("cash", "cross", "isolated", "spot_isolated"):
            raise OkxError("51000", "Parameter tdMode error")
        if side not in ("buy", "sell"):
            raise OkxError("51000", "Parameter side error")
        if ot not in ORD_TYPES:
            if ot in _UNSUPPORTED_TYPES:
                raise OkxItemError("51000", "Parameter ordType error")
            raise OkxError("51000", "Parameter ordType error")
        if cl and not _CL_RE.match(cl):
            raise OkxError("51000", "Parameter clOrdId error")
        if not _TAG_RE.match(tag):
            raise OkxError("51000", "Parameter tag error")
        if not _NUM_RE.match(sz):
            raise OkxError("51000", "Parameter sz error")
        if ot != "market":
            if px in (None, ""):
                raise empty("px")
            px = str(px)
            if not _NUM_RE.match(px):
                raise OkxError("51000", "Parameter px error")
        self._rate(account, sp.symbol)
        swap = self.swaps.is_swap(sp.symbol)
        if td != "cash" and not swap:
            raise OkxItemError("51010", "You can't complete this request under your current account mode.")
        try:
            dsz = D(sz)
            dpx = D(px) if ot != "market" else None
        except InvalidOperation:
            raise OkxError("51000", "Parameter sz error") from None
        if dsz <= 0:
            raise OkxError("51000", "Parameter sz error")
        if dpx is not None and (dpx <= 0 or dpx % sp.tick):
            raise OkxItemError("51000", "Parameter px error")
        buy = side == "buy"
        tgt = a.get("tgtCcy") or ("quote_ccy" if buy and not swap else "base_ccy")   # a swap's sz: contracts
        if tgt not in ("base_ccy", "quote_ccy"):
            raise OkxError("51000", "Parameter tgtCcy error")
        quote_sized = ot == "market" and tgt == "quote_ccy"
        if not quote_sized:
            if dsz % sp.step:
                raise OkxItemError("51121", "Order quantity must be a multiple of the lot size.")
            if dsz < sp.min_qty:
                raise OkxItemError("51020", "Your order should meet or exceed the minimum order amount.")
        now = now_ms()
        if cl:
            prev = self.ex.find(account, None, cl)
            if prev is not None and prev.status in OPEN:
                raise OkxItemError("51016", "Client order ID already exists.")
        tif = {"fok": "FOK", "ioc": "IOC"}.get(ot, "GTC")
        post_only = ot == "post_only"
        stp_mode = a.get("stpMode") or "cancel_maker"   # OKX's mandatory STP; the taker's mode decides
        if stp_mode not in _STP:
            raise OkxError("51000", "Parameter stpMode error")
        if stp_mode == "cancel_both" and ot == "fok":
            raise OkxItemError("54036", "You can't place fill or kill orders when self-trade prevention is set to "
                               "both maker and taker orders.")
        extra = {"ordType": ot, "tdMode": td, "tag": tag, "tgtCcy": a.get("tgtCcy", ""), "sz": sz,
                 "px": px if ot != "market" else "", "stpMode": stp_mode}
        if swap:
            try:
                extra.update(self.swaps.check(a, sp, account, td, side, dsz, dpx))
            except okx_swap.SwapError as e:
                raise OkxItemError(e.scode, e.smsg) from None
        try:
            if ot == "market":
                o = self.ex.place(account, sp.symbol, "BUY" if buy else "SELL", "MARKET",
                                  qty=None if quote_sized else dsz, quote_qty=dsz if quote_sized else None,
                                  tif="IOC", cid=cl, now=now, extra=extra, stp=_STP[stp_mode])
            else:
                o = self.ex.place(account, sp.symbol, "BUY" if buy else "SELL", "LIMIT", price=dpx, qty=dsz,
                                  tif=tif, post_only=post_only, cid=cl, now=now, extra=extra, stp=_STP[stp_mode])
        except Reject as r:
            if r.reason == "INSUFFICIENT":
                raise OkxItemError("51008", f"Order failed. Insufficient {r.asset} balance in account") from None
            if r.reason == "WOULD_TAKE":
                # OKX accepts the post-only order and cancels it at once instead of letting it take
                o = self._cancelled_post_only(account, sp, buy, dpx, dsz, cl, now, extra)
            else:
                raise OkxItemError("51016", "Client order ID already exists.") from None
        self._stp_sources(o)
        if swap:
            self.swaps.fills(o, now)
        if self.stream.subs:
            self.stream.placed(o, now)
        return {"clOrdId": cl, "ordId": str(o.oid), "tag": tag, "ts": str(now), "sCode": "0", "sMsg": "",
                "subCode": ""}

    def _stp_sources(self, o) -> None:
        """Orders self-trade prevention cancelled carry cancelSource 32 ("Self trade prevention")."""
        if o.status == "EXPIRED_IN_MATCH":
            o.cancel_source = "32"
        for m, px, _q, _tid, _ex in self.ex.touched:
            if px is None:
                m.cancel_source = "32"

    def _cancelled_post_only(self, account, sp, buy, px, sz, cl, now, extra):
        from .book import Order
        o = Order(self.ex.next_order_id(), cl, sp.symbol, "BUY" if buy else "SELL", "LIMIT", "GTC", px, sz, None,
                  account, now, extra)
        o.status = "CANCELED"
        o.cancel_source = "31"  # post-only order would have taken liquidity
        self.ex.orders[o.oid] = o
        if cl:
            self.ex.by_cid[(account, cl)] = o
        return o

    def _cancel_item(self, a: dict, account: str, via_ws: bool) -> dict:
        sp = self._spec(a, via_ws)
        oid, cl = a.get("ordId"), a.get("clOrdId")
        if not oid and not cl:
            raise OkxError("51000", "Parameter ordId error")
        now = now_ms()
        o = self._find(account, str(oid) if oid else None, str(cl) if cl else None)
        if o is None or o.symbol != sp.symbol or o.status not in OPEN:
            # one code for all three (51401/51402 are for Nitro Spread only, per the error table)
            raise OkxItemError("51400", "Order cancellation failed as the order has been filled, canceled or does "
                               "not exist.")
        self.ex.cancel(o, now)
        o.cancel_source = "1"  # canceled by the user
        if self.stream.subs:
            self.stream.canceled(o, now)
        return {"clOrdId": o.cid, "ordId": str(o.oid), "ts": str(now), "sCode": "0", "sMsg": "", "subCode": ""}

    def _amend_item(self, a: dict, account: str, via_ws: bool) -> dict:
        """amend-order: newSz (the new total, filled part included) and/or newPx of an open order. The order keeps
        its ordId and clOrdId; ``cxlOnFail`` cancels it when the amend fails. Priority in the queue follows
        `Exchange.amend` (docs/venues/okx.md)."""
        sp = self._spec(a, via_ws)
        oid, cl = a.get("ordId"), a.get("clOrdId")
        if not oid and not cl:
            raise OkxItemError("51003", "Either client order ID or order ID is required.")
        req = str(a.get("reqId", "") or "")
        if req and not _CL_RE.match(req):
            raise OkxError("51000", "Parameter reqId error")
        cxl = a.get("cxlOnFail") or False   # absent, "" or null: false (OKX's default)
        if cxl not in (True, False, "true", "false"):
            raise OkxError("51000", "Parameter cxlOnFail error")
        cxl = cxl in (True, "true")
        nsz, npx = a.get("newSz"), a.get("newPx")
        nsz = None if nsz in (None, "") else str(nsz)
        npx = None if npx in (None, "") else str(npx)
        if nsz is None and npx is None:
            raise OkxItemError("51500", "You must enter a price, quantity, or TP/SL")
        for name, v in (("newSz", nsz), ("newPx", npx)):
            if v is not None and not _NUM_RE.match(v):
                raise OkxError("51000", f"Parameter {name} error")
        self._rate(account, sp.symbol, "amend")
        now = now_ms()
        o = self._find(account, str(oid) if oid else None, str(cl) if cl else None)
        if o is None or o.symbol != sp.symbol:
            raise OkxItemError("51603", "Order does not exist.")
        if o.status not in OPEN:
            raise OkxItemError("51503", "Your order has already been filled or canceled.")
        try:
            dsz = D(nsz) if nsz is not None else None
            dpx = D(npx) if npx is not None else None
            if o.otype != "LIMIT":
                raise OkxItemError("51506", "Order modification unavailable for the order type.")
            if dpx is not None and (dpx <= 0 or dpx % sp.tick):
                raise OkxItemError("51000", "Parameter newPx error")
            if dsz is not None and (dsz <= 0 or dsz % sp.step):
                raise OkxItemError("51121", "Order quantity must be a multiple of the lot size.")
            if dsz is not None and dsz < sp.min_qty:
                raise OkxItemError("51020", "Your order should meet or exceed the minimum order amount.")
            post_only = o.extra.get("ordType") == "post_only"
            try:
                self.ex.amend(o, now, qty=dsz, price=dpx, post_only=post_only)
                if o.status == "EXPIRED":   # a total at or below the filled part: OKX calls the order filled
                    o.status = "FILLED"
            except Reject as r:
                if r.reason == "NO_CHANGE":   # the order already is what was asked for
                    return {"clOrdId": o.cid, "ordId": str(o.oid), "reqId": req, "ts": str(now), "sCode": "0",
                            "sMsg": "", "subCode": ""}
                if r.reason == "WOULD_TAKE":
                    raise OkxItemError("51511", "Modification failed as the order price did not meet the "
                                       "requirement for Post Only.") from None
                if r.reason == "INSUFFICIENT":
                    raise OkxItemError("51502", "Unable to edit order: insufficient balance or margin.") from None
                raise
        except OkxItemError:
            if cxl and o.status in OPEN:   # cxlOnFail: the order goes with its failed amend
                self.ex.cancel(o, now)
                o.cancel_source = "1"
                if self.stream.subs:
                    self.stream.canceled(o, now)
            raise
        if dsz is not None:
            o.extra["sz"] = nsz
        if dpx is not None:
            o.extra["px"] = npx
        if self.swaps.is_swap(o.symbol):
            self.swaps.fills(o, now)
        if self.stream.subs:
            self.stream.amended(o, now, req)
        return {"clOrdId": o.cid, "ordId": str(o.oid), "reqId": req, "ts": str(now), "sCode": "0", "sMsg": "",
                "subCode": ""}

    def snapshot(self) -> list[dict]:
        return self.ex.snapshot(self.venue_status)

    @staticmethod
    def venue_status(o) -> str:
        return STATE[o.status]

    def order_view(self, o) -> dict:
        sp = self.ex.specs[o.symbol]
        e = o.extra
        last = o.fills[-1] if o.fills else None
        swap = self.swaps.is_swap(o.symbol)
        view = {
            "accFillSz": s(o.executed), "algoClOrdId": "", "algoId": "", "attachAlgoClOrdId": "",
            "attachAlgoOrds": [], "avgPx": s(o.avg_price()) if o.executed else "", "cTime": str(o.ctime),
            "cancelSource": o.cancel_source, "cancelSourceReason": "", "category": "normal", "ccy": "",
            "clOrdId": o.cid, "fee": "0", "feeCcy": sp.base if o.side == "BUY" else sp.quote,
            "fillPx": s(last[0]) if last else "", "fillSz": s(last[1]) if last else "0",
            "fillTime": str(o.utime) if last else "", "instId": o.symbol, "instType": "SPOT", "isTpLimit": "false",
            "lever": "", "linkedAlgoOrd": {"algoId": ""}, "ordId": str(o.oid), "ordType": e["ordType"], "pnl": "0",
            "posSide": "net", "px": e["px"], "pxType": "", "pxUsd": "", "pxVol": "", "quickMgnType": "",
            "rebate": "0", "rebateCcy": sp.quote if o.side == "BUY" else sp.base, "reduceOnly": "false",
            "side": o.side.lower(), "slOrdPx": "", "slTriggerPx": "", "slTriggerPxType": "", "source": "",
            "state": STATE[o.status], "stpId": "", "stpMode": e.get("stpMode", "cancel_maker"), "sz": e["sz"],
            "tag": e["tag"],
            "tdMode": e["tdMode"], "tgtCcy": e["tgtCcy"], "tpOrdPx": "", "tpTriggerPx": "", "tpTriggerPxType": "",
            "tradeId": str(last[2]) if last else "", "tradeQuoteCcy": sp.quote, "uTime": str(o.utime)}
        if swap:   # sizes in contracts; margin in USDT
            view.update({"instType": "SWAP", "posSide": e["posSide"], "reduceOnly": "true" if e["reduceOnly"]
                         else "false", "feeCcy": "USDT", "rebateCcy": "USDT", "tradeQuoteCcy": "",
                         "lever": str(self.swaps.leverage(o.account, o.symbol, e["tdMode"]))})
        return view

    # ================================================================ faults
    def unknown_reply(self, req):
        return 500, b"", orjson.dumps({"code": "50026", "msg": "System error. Try again later", "data": []})

    def limited_reply(self, req, kind: str, retry: int):
        return 429, b"Retry-After: %d\r\n" % retry, orjson.dumps(
            {"code": "50011", "msg": "Rate limit reached. Please refer to API documentation and throttle requests "
             "accordingly.", "data": []})

    # ================================================================ WS
    def _ws_session(self, req):
        host = req.headers.get(b"host", b"").decode("latin-1").rsplit("]", 1)[-1].split(":")[0].lower()
        env = "demo" if host in DEMO_WS_HOSTS else "live" if host in LIVE_WS_HOSTS else self.ws_env
        return OkxWsSession(self, env)

    def upgrade_notice(self, close_after_s: float = 60.0) -> int:
        """Send the ``64008`` notice on every private WebSocket and close each ``close_after_s`` later, as a
        service upgrade does (the docs: 60 s before). Returns how many connections were told."""
        sessions = [s for s in self.ws_sessions if s.conn is not None]
        for s in sessions:
            s.upgrade_notice(close_after_s)
        return len(sessions)


# WebSocket order operations -> the item handler of the venue
_WS_OPS = {"order": lambda v: v._place_item, "batch-orders": lambda v: v._place_item,
           "cancel-order": lambda v: v._cancel_item, "batch-cancel-orders": lambda v: v._cancel_item,
           "amend-order": lambda v: v._amend_item, "batch-amend-orders": lambda v: v._amend_item}
LIVE_WS_HOSTS = frozenset(("ws.okx.com", "wseea.okx.com", "wsus.okx.com"))
DEMO_WS_HOSTS = frozenset(("wspap.okx.com", "wseeapap.okx.com", "wsuspap.okx.com"))
UPGRADE_NOTICE_MSG = "The connection will soon be closed for a service upgrade. Please reconnect."


class OkxWsSession:
    idle_close_code = 4004
    idle_close_reason = b"No data received in 30s"

    def __init__(self, venue: Okx, env: str = "live"):
        self.v = venue
        self.env = env
        self.key: OkxKey | None = None
        self.conn_id = venue.ids.alnum(8).lower()
        self.idle_timeout = venue.idle_timeout
        self.conn = None
        self._upgrade = None   # the timer closing the connection after a 64008 notice

    def on_open(self, conn) -> None:
        self.conn = conn
        self.v.ws_sessions.add(self)

    def on_close(self, conn) -> None:
        self.v.ws_sessions.discard(self)
        self.v.stream.session_closed(self)
        if self._upgrade is not None:
            self._upgrade.cancel()

    def upgrade_notice(self, close_after_s: float = 60.0) -> None:
        """The ``64008`` notice, then the close (once per connection)."""
        conn = self.conn
        if conn is None or self._upgrade is not None:
            return
        conn.send_text(orjson.dumps({"event": "notice", "code": "64008", "msg": UPGRADE_NOTICE_MSG,
                                     "connId": self.conn_id}))
        self._upgrade = conn.loop.call_later(max(0.0, close_after_s), conn.close, 1001, b"")

    def control(self, payload: bytes):
        return b"pong" if payload == b"ping" else None

    def _event_error(self, code: str, msg: str) -> bytes:
        return orjson.dumps({"event": "error", "code": code, "msg": msg, "connId": self.conn_id})

    def handle(self, payload: bytes) -> bytes | None:
        in_us = now_us()
        try:
            msg = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return self._event_error("60012", f"Invalid request: {payload[:200].decode('utf-8', 'replace')}")
        if not isinstance(msg, dict) or not isinstance(msg.get("op"), str):
            return self._event_error("60012", f"Invalid request: {payload[:200].decode('utf-8', 'replace')}")
        op = msg["op"]
        if op == "login":
            return self._login(msg)
        if op in ("subscribe", "unsubscribe"):
            return self._subscribe(op, msg)
        if op not in _WS_OPS:
            return self._event_error("60012", f"Invalid request: {payload[:200].decode('utf-8', 'replace')}")
        rid = msg.get("id", "")
        if not isinstance(rid, str) or (rid and not _CL_RE.match(rid)):
            return self._op_reply(rid if isinstance(rid, str) else "", op, "60013", "Invalid args", [], in_us)
        if self.key is None:
            return self._op_reply(rid, op, "60011", "Please log in", [], in_us)
        args = msg.get("args")
        batch = op.startswith("batch-")
        if (not isinstance(args, list) or not args or len(args) > (20 if batch else 1)
                or not all(isinstance(a, dict) for a in args)):
            return self._op_reply(rid, op, "60013", "Invalid args", [], in_us)
        if batch:
            return self._batch(rid, op, args, msg, in_us)
        a = args[0]
        fn = _WS_OPS[op](self.v)
        try:
            if op in ("order", "amend-order") and "expTime" in msg:
                _check_exp_time(msg["expTime"])
            item = fn(a, self.key.account, True)
            return self._op_reply(rid, op, "0", "", [item], in_us)
        except OkxItemError as e:
            item = {"clOrdId": str(a.get("clOrdId", "")), "ordId": str(a.get("ordId", "")),
                    "tag": str(a.get("tag", "")), "ts": str(now_ms()), "sCode": e.scode, "sMsg": e.smsg,
                    "subCode": ""}
            return self._op_reply(rid, op, "1", "", [item], in_us)
        except OkxError as e:
            return self._op_reply(rid, op, e.code, e.msg, [], in_us)

    def _batch(self, rid, op, args, msg, in_us) -> bytes:
        """``batch-orders`` / ``batch-cancel-orders`` / ``batch-amend-orders``: per-item sCode; code 0 all ok,
        1 none, 2 some."""
        if op != "batch-cancel-orders" and "expTime" in msg:
            try:
                _check_exp_time(msg["expTime"])
            except OkxError as e:
                return self._op_reply(rid, op, e.code, e.msg, [], in_us)
        items = self.v._batch_items(_WS_OPS[op](self.v), args, self.key.account, True)
        ok = sum(1 for i in items if i["sCode"] == "0")
        code = "0" if ok == len(items) else "1" if ok == 0 else "2"
        return self._op_reply(rid, op, code, "", items, in_us)

    def _op_reply(self, rid, op, code, msg, data, in_us) -> bytes:
        return orjson.dumps({"id": rid, "op": op, "data": data, "code": code, "msg": msg, "inTime": str(in_us),
                             "outTime": str(now_us())})

    @property
    def uid(self) -> str:
        import zlib
        return str(600000000000000 + zlib.crc32(self.key.account.encode())) if self.key else ""

    def _subscribe(self, op: str, msg: dict) -> bytes:
        """subscribe / unsubscribe: the private `orders` channel only (other channels are not simulated)."""
        args = msg.get("args")
        if not isinstance(args, list) or not args or not all(isinstance(a, dict) for a in args):
            return self._event_error("60013", "Invalid args")
        if self.key is None:
            return self._event_error("60011", "Please log in")
        out = []
        for a in args:
            if a.get("channel") != "orders" or a.get("instType") not in ("SPOT", "ANY", "MARGIN", "SWAP",
                                                                        "FUTURES", "OPTION"):
                return self._event_error("60018", f"Wrong URL or channel:{a.get('channel')},instType:"
                                         f"{a.get('instType')} doesn't exist. Please use the correct URL, "
                                         "channel and parameters referring to API document.")
            arg = {k: a[k] for k in ("channel", "instType", "instId") if k in a}
            if op == "subscribe":
                self.v.stream.subscribe(self, self.key.account, arg)
            else:
                self.v.stream.unsubscribe(self, self.key.account, arg)
            out.append(arg)
        reply = {"event": op, "arg": out[0], "connId": self.conn_id}
        if isinstance(msg.get("id"), str):
            reply = {"id": msg["id"], **reply}
        return orjson.dumps(reply)

    def _login(self, msg: dict) -> bytes:
        args = msg.get("args")
        if not isinstance(args, list) or len(args) != 1 or not isinstance(args[0], dict):
            return self._event_error("60013", "Invalid args")
        a = args[0]
        for name in ("apiKey", "passphrase", "timestamp", "sign"):
            if not a.get(name):
                return self._event_error("60013", "Invalid args")
        if self.key is not None:
            return self._event_error("60031", "The WebSocket endpoint does not allow multiple or repeated logins.")
        key = self.v.keys.get(a["apiKey"])
        if key is None:
            return self._event_error("60005", "Invalid apiKey")
        if key.env != self.env:
            return self._event_error("50101", "APIKey does not match current environment.")
        if not hmac.compare_digest(str(a["passphrase"]), key.passphrase):
            return self._event_error("60024", "Wrong passphrase")
        ts = str(a["timestamp"])
        try:
            t = float(ts)
        except ValueError:
            return self._event_error("60004", "Invalid timestamp")
        if abs(time.time() - t) > 30:
            return self._event_error("60006", "Timestamp request expired")
        mac = self.v._mac[key.api_key].digest(ts.encode() + b"GET/users/self/verify")
        if not hmac.compare_digest(base64.b64encode(mac).decode(), str(a["sign"])):
            return self._event_error("60007", "Invalid sign")
        self.key = key
        return orjson.dumps({"event": "login", "code": "0", "msg": "", "connId": self.conn_id})

    def fault_reply(self, kind: str, payload: bytes, retry: int) -> bytes:
        try:
            m = orjson.loads(payload)
            rid, op = m.get("id", ""), m.get("op", "")
        except (orjson.JSONDecodeError, AttributeError):
            rid, op = "", ""
        if kind == "5xx":
            return self._op_reply(rid, op, "50026", "System error. Try again later", [], now_us())
        return self._op_reply(rid, op, "50011", "Rate limit reached. Please refer to API documentation and throttle "
                              "requests accordingly.", [], now_us())
