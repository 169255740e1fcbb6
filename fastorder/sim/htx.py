"""HTX (Huobi) Spot REST v1 with Signature Version 2. HTX has no WebSocket order entry. Sources for every
behaviour below: docs/venues/htx.md.

Signature: ``base64(HMAC-SHA256(secret, METHOD\\nhost\\npath\\nsorted-encoded-params))``; the auth params
(``AccessKeyId``, ``SignatureMethod=HmacSHA256``, ``SignatureVersion=2``, ``Timestamp=YYYY-MM-DDThh:mm:ss``)
are always in the query string; GET signs every query param, POST signs the query params only (business
fields are in a JSON body). Values are re-encoded with uppercase hex (``quote(v, safe='')``) and sorted by
name. The host is taken from the ``Host`` header; because clients differ on whether they sign
``host:port`` or the bare host (the docs only ever show port-less hosts), both are accepted, and so are the
production names ``api.huobi.pro`` / ``api-aws.huobi.pro`` (a client configured for production but pointed
at the simulator signs those; the real exchange would see the same name in ``Host``). Ed25519 keys
(newer docs) sign the same text with ``SignatureMethod=Ed25519`` (exactly that spelling), base64 signature.
Timestamps are valid for 5 minutes.

Errors are HTTP 200 with ``{"status":"error","err-code":…,"err-msg":…,"data":null}`` (HTX's envelope).

Client order ids are not unique (HTX stopped checking on 2021-05-26): a reused id is accepted and a query by
client id answers with the latest order carrying it. A client id finds an order only for a while after the
order was created: 8 hours while it is open, 2 hours once it is final; an order canceled without fills is
gone even by order id 2 hours after its cancel. The venue clock (``now()``) can be moved in tests with
``advance_clock`` so those windows can be crossed.
"""

from __future__ import annotations

import base64
import calendar
import hmac
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .book import OPEN, Exchange, Reject, SymbolSpec
from .common import HmacSha256, now_ms
from .creds import HtxKey
from .http import parse_qs_ordered

HOUR_MS = 3_600_000
CID_OPEN_MS = 8 * HOUR_MS      # a client id finds an open order this long after its creation
CID_FINAL_MS = 2 * HOUR_MS     # ... and a final one this long after its creation
CANCELED_GONE_MS = 2 * HOUR_MS  # an API order canceled without fills: not queryable this long after the cancel
PAST_MAX_MS = 48 * HOUR_MS     # GET /v1/order/orders: widest window, and how far back (180 days)
PAST_BACK_MS = 180 * 24 * HOUR_MS
# the order-state / cancel status codes HTX replies with (final states; "cancelling" is 10)
STATE_CODE = {"partial-canceled": 5, "filled": 6, "canceled": 7}
_SIG = "Signature not valid: "
TS_MSG = _SIG + "Invalid submission time or incorrect time format [无效的提交时间，或时间格式错误]"
RATE_CODE = "base-request-exceed-frequency-limit"
RATE_MSG = "Frequency of requests has exceeded the limit, please try again later"

D = Decimal
_TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
_CID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_NUM_RE = re.compile(r"^[0-9]+(\.[0-9]+)?$")
TYPES = ("buy-market", "sell-market", "buy-limit", "sell-limit", "buy-ioc", "sell-ioc", "buy-limit-maker",
         "sell-limit-maker", "buy-limit-fok", "sell-limit-fok", "buy-stop-limit", "sell-stop-limit",
         "buy-stop-limit-fok", "sell-stop-limit-fok")
SYMBOLS = [
    # symbol, base, quote, mid, price-precision, amount-precision, min amount, min value, gap ticks, level qty
    ("btcusdt", "btc", "usdt", D("50000"), 2, 6, D("0.0001"), D("5"), 50, D("0.5")),
    ("ethusdt", "eth", "usdt", D("3000"), 2, 4, D("0.001"), D("5"), 10, D("5")),
    ("ltcbtc", "ltc", "btc", D("0.0015"), 6, 4, D("0.001"), D("0.0001"), 1, D("100")),
]
ORDER_PATH = re.compile(r"^/v1/order/orders/([0-9]{1,20})$")
BALANCE_PATH = re.compile(r"^/v1/account/accounts/([0-9]{1,20})/balance$")
BATCH_PLACE_MAX = 10      # POST /v1/order/batch-orders: "A batch contains at most 10 orders"
BATCH_CANCEL_MAX = 50     # POST /v1/order/orders/batchcancel: no more than 50 ids
CANCEL_OPEN_MAX = 100     # POST /v1/order/orders/batchCancelOpenOrders: size [1, 100], default 100
DMS_MAX_CANCEL = 500      # the dead man's switch cancels at most 500 orders
BATCH_LIMIT_PER_2S = 50   # batch-orders, batchcancel, batchCancelOpenOrders, openOrders: 50 per 2 s
CANCEL_PATH = re.compile(r"^/v1/order/orders/([0-9]{1,20})/submitcancel$")


_QUOTED: dict[str, str] = {}


def _quote(s: str) -> str:
    """``quote(s, safe='')``, memoised: names, key, method and version repeat on every request, the timestamp
    for a second (urllib's quote is pure Python, several µs a call)."""
    q = _QUOTED.get(s)
    if q is None:
        if len(_QUOTED) >= 4096:
            _QUOTED.clear()
        q = _QUOTED[s] = quote(s, safe="")
    return q


def presign_text(method: str, host: str, path: str, params: list[tuple[str, str]]) -> str:
    """Signature V2 pre-signed text from decoded query params (``Signature`` itself excluded)."""
    canon = "&".join([f"{_quote(k)}={_quote(v)}" for k, v in sorted(params) if k != "Signature"])
    return f"{method}\n{host.lower()}\n{path}\n{canon}"


_TS_EPOCH: dict[str, int] = {}


def _ts_epoch(ts: str) -> int:
    """``2026-11-25T15:40:01`` (checked by _TS_RE) -> Unix seconds; ValueError for a date that does not exist.
    Memoised: every request of the same second carries the same text."""
    t = _TS_EPOCH.get(ts)
    if t is None:
        parts = (int(ts[0:4]), int(ts[5:7]), int(ts[8:10]), int(ts[11:13]), int(ts[14:16]), int(ts[17:19]))
        datetime(*parts)   # validates: month 13 or 30 February raise ValueError
        t = calendar.timegm(parts + (0, 0, 0))
        if len(_TS_EPOCH) >= 4096:
            _TS_EPOCH.clear()
        _TS_EPOCH[ts] = t
    return t


class HtxError(Exception):
    def __init__(self, code: str, msg: str, extra: dict | None = None):
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.extra = extra


def _state(o) -> str:
    st = o.status
    if st == "NEW":
        return "submitted"
    if st == "PARTIALLY_FILLED":
        return "partial-filled"
    if st == "FILLED":
        return "filled"
    return "partial-canceled" if o.executed else "canceled"


def _value_min_msg(sp) -> str:
    # as HTX writes it (recorded in ccxt's htx.py): "Order total cannot be lower than: 1 USDT"
    return f"Order total cannot be lower than: {sp.min_notional.normalize():f} {sp.quote.upper()}"


def _f(d: Decimal) -> str:
    return f"{d:.18f}"


class Htx:
    venue = "htx"

    # Production host names a client may sign while its URL points at the simulator (ccxt does this).
    SIGN_HOSTS = ("api.huobi.pro", "api-aws.huobi.pro")

    def __init__(self, keys: list[HtxKey], seed: int = 0, limit_per_2s: int = 100,
                 sign_hosts: tuple[str, ...] = SIGN_HOSTS):
        self.sign_hosts = tuple(sign_hosts)
        self.keys = {k.access_key: k for k in keys}
        self._mac = {k.access_key: HmacSha256(k.secret.encode()) for k in keys if not k.public_key}
        self._pub = {k.access_key: Ed25519PublicKey.from_public_bytes(k.public_key) for k in keys if k.public_key}
        specs = []
        self.meta = {}
        for sym, base, quote_, mid, pp, ap, mina, minv, gap, lq in SYMBOLS:
            tick = D(1).scaleb(-pp)
            step = D(1).scaleb(-ap)
            specs.append(SymbolSpec(sym, base, quote_, mid, tick, step, mina, D("1000000"), tick, D("100000000"),
                                    minv, gap_ticks=gap, level_qty=lq))
            self.meta[sym] = (pp, ap)
        self.ex = Exchange(specs, first_order_id=356_501_000_000 + seed * 1000,
                           balances={"usdt": "1000000", "btc": "100", "eth": "1000", "ltc": "10000"})
        self.limit_per_2s = limit_per_2s
        self._rl: dict[str, list[int]] = {}
        self.clock_offset_ms = 0
        self._dms: dict = {}    # account -> the dead man's switch timer (asyncio TimerHandle)
        self.dms_fired = 0      # how many times a switch lapsed and canceled an account's orders
        self._hdrs = b""   # rate-limit headers of the reply being built
        from .htx_stream import HtxOrdersStream, HtxWsSession
        self.stream = HtxOrdersStream(self)   # orders#{symbol} pushes over /ws/v2
        self.ws_ping_interval = 20.0
        self.ws_paths = {"/ws/v2": lambda req: HtxWsSession(self, req)}
        self.site = None

    # ================================================================ clock
    def now(self) -> int:
        """The venue's clock (ms): the real clock moved by ``clock_offset_ms``."""
        return now_ms() + self.clock_offset_ms

    def advance_clock(self, ms: int) -> None:
        """Move the venue's clock forward (tests: cross the client-id and history windows)."""
        self.clock_offset_ms += int(ms)

    # ================================================================ HTTP
    def handle_http(self, req):
        m, path = req.method, req.path
        try:
            if m == "GET" and path == "/v1/common/timestamp":
                return self._ok(self.now())
            if m == "GET" and path == "/v1/common/symbols":
                return self._ok(self._symbols())
            handler = None
            args = ()
            if m == "GET" and path == "/v1/account/accounts":
                handler = self._accounts
            elif m == "POST" and path == "/v1/order/orders/place":
                handler = self._place
            elif m == "POST" and path == "/v1/order/orders/submitCancelClientOrder":
                handler = self._cancel_client
            elif m == "GET" and path == "/v1/order/orders/getClientOrder":
                handler = self._get_client
            elif m == "GET" and path == "/v1/order/openOrders":
                handler = self._open_orders
            elif m == "GET" and path == "/v1/order/orders":
                handler = self._past_orders
            elif m == "POST" and path == "/v1/order/batch-orders":
                handler = self._batch_place
            elif m == "POST" and path == "/v1/order/orders/batchcancel":
                handler = self._batch_cancel
            elif m == "POST" and path == "/v1/order/orders/batchCancelOpenOrders":
                handler = self._cancel_open
            elif m == "POST" and path == "/v2/algo-orders/cancel-all-after":
                return self._v2(req, self._cancel_all_after)
            elif m == "GET" and BALANCE_PATH.match(path):
                handler, args = self._balance, (int(BALANCE_PATH.match(path).group(1)),)
            else:
                mm = CANCEL_PATH.match(path)
                if mm and m == "POST":
                    handler, args = self._cancel, (int(mm.group(1)),)
                else:
                    mm = ORDER_PATH.match(path)
                    if mm and m == "GET":
                        handler, args = self._get, (int(mm.group(1)),)
            if handler is None:
                return 404, b"", orjson.dumps({"status": "error", "err-code": "invalid-request",
                                               "err-msg": "invalid request", "data": None})
            key, params = self._auth(req)
            self._hdrs = b""
            try:
                body = orjson.dumps({"status": "ok", "data": handler(req, key, params, *args)})
                return 200, self._hdrs, body
            except HtxError as e:
                return 200, self._hdrs, self._err(e)
        except HtxError as e:
            return 200, b"", self._err(e)

    @staticmethod
    def _err(e: HtxError) -> bytes:
        out = {"status": "error", "err-code": e.code, "err-msg": e.msg, "data": None}
        if e.extra:
            out.update(e.extra)
        return orjson.dumps(out)

    def _ok(self, data):
        return 200, b"", orjson.dumps({"status": "ok", "data": data})

    def _auth(self, req) -> tuple[HtxKey, dict]:
        sig_err = "api-signature-not-valid"
        params = parse_qs_ordered(req.query)
        p = dict(params)
        if req.method == "GET" and req.body:
            raise HtxError("base-argument-unsupported", "GET request with a body is not supported")
        ak = p.get("AccessKeyId")
        if not ak or ak not in self.keys:
            raise HtxError(sig_err, "Signature not valid: Incorrect Access key [Access key错误]")
        method = p.get("SignatureMethod")
        ed = ak in self._pub
        if p.get("SignatureVersion") != "2":
            raise HtxError(sig_err, _SIG + "Incorrect signature version [错误的签名版本]")
        if method != ("Ed25519" if ed else "HmacSHA256"):
            raise HtxError(sig_err, _SIG + "Incorrect signature method [错误的签名方法]")
        ts = p.get("Timestamp", "")
        if not ts:
            raise HtxError(sig_err, _SIG + "Submission time is required [提交时间不能为空]")
        # one message for a malformed and an expired timestamp (HTX's 12001)
        if not _TS_RE.match(ts):
            raise HtxError(sig_err, TS_MSG)
        try:
            t = _ts_epoch(ts)
        except ValueError:
            raise HtxError(sig_err, TS_MSG) from None
        if abs(self.now() / 1000 - t) > 300:
            raise HtxError(sig_err, TS_MSG)
        sig = p.get("Signature")
        if not sig:
            raise HtxError(sig_err, _SIG + "Verification failure [校验失败]")
        host = (req.header(b"host") or "").lower()
        hosts = [host]
        if ":" in host and not host.endswith("]"):
            hosts.insert(0, host.rsplit(":", 1)[0])  # the SDK signs the bare host name: try it first
        hosts.extend(self.sign_hosts)
        for h in hosts:
            text = presign_text(req.method, h, req.path, params).encode()
            if ed:
                try:
                    self._pub[ak].verify(base64.b64decode(sig, validate=True), text)
                    return self.keys[ak], p
                except (ValueError, InvalidSignature):
                    continue
            mac = self._mac[ak].digest(text)
            if hmac.compare_digest(base64.b64encode(mac).decode(), sig):
                return self.keys[ak], p
        raise HtxError(sig_err, "Signature not valid: Verification failure [校验失败]")

    def _symbols(self) -> list:
        out = []
        for sp in self.ex.specs.values():
            pp, ap = self.meta[sp.symbol]
            out.append({"base-currency": sp.base, "quote-currency": sp.quote, "price-precision": pp,
                        "amount-precision": ap, "symbol-partition": "main", "symbol": sp.symbol, "state": "online",
                        "value-precision": 8, "min-order-amt": float(sp.min_qty), "max-order-amt": 1000000,
                        "min-order-value": float(sp.min_notional), "limit-order-min-order-amt": float(sp.min_qty),
                        "limit-order-max-order-amt": 1000000, "limit-order-max-buy-amt": 1000000,
                        "limit-order-max-sell-amt": 1000000, "buy-limit-must-less-than": 1.1,
                        "sell-limit-must-greater-than": 0.9, "sell-market-min-order-amt": float(sp.min_qty),
                        "sell-market-max-order-amt": 1000, "buy-market-max-order-value": 1000000,
                        "market-sell-order-rate-must-less-than": 0.1, "buy-market-order-rate-must-less-than": 0.1,
                        "api-trading": "enabled", "tags": ""})
        return out

    def _accounts(self, req, key, params):
        return [{"id": key.account_id, "type": "spot", "subtype": "", "state": "working"}]

    def _body(self, req) -> dict:
        try:
            b = orjson.loads(req.body) if req.body else None
        except orjson.JSONDecodeError:
            raise HtxError("invalid-parameter", "invalid JSON body") from None
        if not isinstance(b, dict):
            raise HtxError("invalid-parameter", "invalid JSON body")
        return b

    def _rate(self, account: str, endpoint: str, limit: int | None = None) -> None:
        """HTX's per-UID, per-endpoint window (100 per 2 s for place); every reply of the endpoint reports
        what is left in X-HB-RateLimit-Requests-Remain and when the window ends (epoch ms) in -Expire."""
        if not self.limit_per_2s:
            return
        # the place limit is configurable; the batch endpoints keep their published 50 / 2 s beside it
        limit = self.limit_per_2s if limit is None else min(limit, self.limit_per_2s)
        now = self.now()
        k = account + " " + endpoint
        w = self._rl.get(k)
        if w is None or now - w[0] >= 2000:
            w = self._rl[k] = [now, 0]
        w[1] += 1
        self._hdrs = b"X-HB-RateLimit-Requests-Remain: %d\r\nX-HB-RateLimit-Requests-Expire: %d\r\n" % (
            max(0, limit - w[1]), w[0] + 2000)
        if w[1] > limit:
            raise HtxError(RATE_CODE, RATE_MSG)

    def _place(self, req, key, params):
        return self._place_one(self._body(req), key, "place")

    def _place_one(self, b: dict, key, endpoint: str | None):
        """One order of a place or batch request; `endpoint`: the rate-limit window it counts in (None: the
        batch request was counted already)."""
        for name in ("account-id", "symbol", "type", "amount"):
            if b.get(name) in (None, ""):
                raise HtxError("validation-constraints-required", f"Field is missing: {name}.")
        if str(b["account-id"]) != str(key.account_id):
            raise HtxError("account-account-id-inexistent", f"The account id {b['account-id']} doesn't exist")
        sym = str(b["symbol"])
        sp = self.ex.specs.get(sym)
        if sp is None:
            raise HtxError("invalid-parameter", "invalid symbol")
        typ = str(b["type"])
        if typ not in TYPES:
            raise HtxError("order-type-invalid", f"Order type {typ} is invalid")
        if "stop" in typ:
            if not b.get("stop-price") or not b.get("operator"):
                raise HtxError("parameter-required", "Stop-price or operator parameter is missing for stop-order type")
            raise HtxError("base-argument-unsupported", "stop-limit orders are not simulated")
        src = b.get("source", "spot-api")
        if src not in ("spot-api", "api", "margin-api", "super-margin-api", "c2c-margin-api"):
            raise HtxError("order-source-invalid", "Order source is invalid")
        cid = b.get("client-order-id")
        if cid is not None:
            cid = str(cid)
            if not _CID_RE.match(cid):
                raise HtxError("invalid-parameter", "invalid client-order-id")
        amount = str(b["amount"])
        price = b.get("price")
        pp, ap = self.meta[sym]
        if not _NUM_RE.match(amount):
            raise HtxError("order-amount-invalid", "Order amount is invalid")
        side, _, kind = typ.partition("-")
        market = kind == "market"
        if market:
            if price not in (None, ""):
                raise HtxError("base-argument-unsupported", "price is not supported for market orders")
            if side == "buy":
                if "." in amount and len(amount.split(".")[1]) > 8:
                    raise HtxError("order-orderamount-precision-error", "order amount precision error, scale: `8`")
            elif "." in amount and len(amount.split(".")[1]) > ap:
                raise HtxError("order-orderamount-precision-error", f"order amount precision error, scale: `{ap}`")
        else:
            if price in (None, ""):
                raise HtxError("validation-constraints-required", "Field is missing: price.")
            price = str(price)
            if not _NUM_RE.match(price):
                raise HtxError("order-invalid-price", "Order price is invalid")
            if "." in price and len(price.rstrip("0").split(".")[1]) > pp:
                raise HtxError("order-orderprice-precision-error", f"order price precision error, scale: `{pp}`")
            if "." in amount and len(amount.rstrip("0").split(".")[1]) > ap:
                raise HtxError("order-orderamount-precision-error", f"order amount precision error, scale: `{ap}`")
        try:
            damt = D(amount)
            dpx = D(price) if not market else None
        except InvalidOperation:
            raise HtxError("invalid-parameter", "invalid number") from None
        if not market:
            if damt < sp.min_qty:
                raise HtxError("order-limitorder-amount-min-error",
                               f"limit order amount error, min: `{sp.min_qty.normalize():f}`")
            if dpx <= 0:
                raise HtxError("order-invalid-price", "Order price is invalid")
            if side == "buy" and dpx > sp.mid * D("1.1"):
                raise HtxError("order-limitorder-price-max-error", f"limit order price error, max: `{sp.mid * D('1.1'):f}`")
            if side == "sell" and dpx < sp.mid * D("0.9"):
                raise HtxError("order-limitorder-price-min-error", f"limit order price error, min: `{sp.mid * D('0.9'):f}`")
            if damt * dpx < sp.min_notional:
                raise HtxError("order-value-min-error", _value_min_msg(sp))
        elif side == "buy":
            if damt < sp.min_notional:
                raise HtxError("order-value-min-error", _value_min_msg(sp))
        elif damt < sp.min_qty:
            raise HtxError("order-marketorder-amount-min-error",
                           f"market order amount error, min: `{sp.min_qty.normalize():f}`")
        smp = b.get("self-match-prevent", 0)
        if smp not in (0, 1, "0", "1"):
            raise HtxError("invalid-parameter", "invalid self-match-prevent")
        if endpoint is not None:
            self._rate(key.account, endpoint)
        now = self.now()
        tif = {"ioc": "IOC", "limit-fok": "FOK"}.get(kind, "GTC")
        # HTX allows self-trades unless self-match-prevent is 1, which cancels the taker and keeps the maker
        # (the spot pages say only "not allowing self-trading"; HTX's futures pages spell out the side)
        stp = "EXPIRE_TAKER" if int(smp) == 1 else "NONE"
        extra = {"type": typ, "source": "spot-api" if src == "api" else src, "amount": amount,
                 "account_id": key.account_id}
        # the engine gets no client id (it would refuse a live duplicate, which HTX no longer does); the id is
        # attached here and the index points at the latest order carrying it
        try:
            if market:
                o = self.ex.place(key.account, sym, side.upper(), "MARKET", qty=None if side == "buy" else damt,
                                  quote_qty=damt if side == "buy" else None, tif="IOC", now=now, extra=extra,
                                  stp=stp)
            else:
                o = self.ex.place(key.account, sym, side.upper(), "LIMIT", price=dpx, qty=damt, tif=tif,
                                  post_only=kind == "limit-maker", now=now, extra=extra, stp=stp)
        except Reject as r:
            if r.reason == "INSUFFICIENT":
                raise HtxError("account-frozen-balance-insufficient-error",
                               "trade account balance is not enough, left: `0`") from None
            raise HtxError("order-invalid-price", "limit-maker order would match immediately") from None
        if cid:
            o.cid = cid
            self.ex.by_cid[(key.account, cid)] = o
        if self.stream.subs:
            self.stream.placed(o, now)
        return str(o.oid)

    def snapshot(self) -> list[dict]:
        return self.ex.snapshot(self.venue_status)

    @staticmethod
    def venue_status(o) -> str:
        return _state(o)

    def order_view(self, o) -> dict:
        e = o.extra
        done = o.status not in OPEN
        return {"id": o.oid, "symbol": o.symbol, "account-id": e["account_id"], "client-order-id": o.cid,
                "amount": _f(D(e["amount"])), "price": _f(o.price or D(0)), "created-at": o.ctime, "type": e["type"],
                "field-amount": _f(o.executed), "field-cash-amount": _f(o.cum_quote), "field-fees": _f(D(0)),
                "finished-at": o.utime if done else 0, "source": e["source"], "state": _state(o),
                "canceled-at": o.utime if o.status in ("CANCELED", "EXPIRED", "EXPIRED_IN_MATCH") else 0}

    def _by_id(self, account: str, oid: int):
        """The order by id, unless it is an order canceled without fills more than 2 hours ago."""
        o = self.ex.find(account, oid)
        if o is not None and _state(o) == "canceled" and self.now() - o.utime >= CANCELED_GONE_MS:
            return None
        return o

    def _by_cid(self, account: str, cid: str):
        """The latest order with this client id, while the id still finds it (8 h open, 2 h final, counted
        from the order's creation)."""
        o = self.ex.by_cid.get((account, cid))
        if o is None:
            return None
        if self.now() - o.ctime >= (CID_OPEN_MS if o.status in OPEN else CID_FINAL_MS):
            return None
        return o

    def _get(self, req, key, params, oid):
        o = self._by_id(key.account, oid)
        if o is None:
            raise HtxError("base-record-invalid", "record invalid")
        return self.order_view(o)

    def _get_client(self, req, key, params):
        cid = params.get("clientOrderId")
        if not cid:
            raise HtxError("validation-constraints-required", "Field is missing: clientOrderId.")
        o = self._by_cid(key.account, cid)
        if o is None:
            raise HtxError("base-record-invalid", "record invalid")
        return self.order_view(o)

    def _cancel(self, req, key, params, oid):
        o = self._by_id(key.account, oid)
        if o is None:
            raise HtxError("base-record-invalid", "record invalid")
        if o.status not in OPEN:
            raise HtxError("order-orderstate-error", "Incorrect order state", {"order-state": STATE_CODE[_state(o)]})
        self.ex.cancel(o, self.now())
        if self.stream.subs:
            self.stream.canceled(o, self.now())
        return str(oid)

    def _cancel_client(self, req, key, params):
        """``data`` is a status code, never an error: 0 not found, 5/6/7 already final (partial-canceled,
        filled, canceled), 10 cancelling (the cancel was taken; the engine applies it at once)."""
        b = self._body(req)
        cid = b.get("client-order-id")
        if not cid:
            raise HtxError("validation-constraints-required", "Field is missing: client-order-id.")
        o = self._by_cid(key.account, str(cid))
        if o is None:
            return 0
        if o.status not in OPEN:
            return STATE_CODE[_state(o)]
        self.ex.cancel(o, self.now())
        if self.stream.subs:
            self.stream.canceled(o, self.now())
        return 10

    def _open_orders(self, req, key, params):
        """GET /v1/order/openOrders: newest first; `from` (an order id) with `direct` next (descending from it)
        or prev (ascending from it) pages through more than `size` (1-500, default 100)."""
        acct = params.get("account-id")
        if acct is not None and str(acct) != str(key.account_id):
            raise HtxError("account-account-id-inexistent", f"The account id {acct} doesn't exist")
        sym, side = params.get("symbol"), params.get("side")
        size = self._size(params.get("size"), 100, 500)
        direct, start = params.get("direct"), params.get("from")
        if direct is not None and direct not in ("prev", "next"):
            raise HtxError("invalid-parameter", "invalid direct")
        if start is not None and not start.isdigit():
            raise HtxError("validation-format-error", "Format Error: from.")
        self._rate(key.account, "openOrders", BATCH_LIMIT_PER_2S)
        orders = sorted(self.ex.open_orders(key.account, sym), key=lambda o: o.oid, reverse=direct != "prev")
        if start is not None:   # the page after the given id, in the given direction
            f = int(start)
            orders = [o for o in orders if (o.oid > f if direct == "prev" else o.oid < f)]
        out = []
        for o in orders:
            if side and o.side.lower() != side:
                continue
            v = self.order_view(o)
            out.append({"id": v["id"], "client-order-id": v["client-order-id"], "symbol": v["symbol"],
                        "account-id": v["account-id"], "amount": v["amount"], "price": v["price"],
                        "created-at": v["created-at"], "type": v["type"], "filled-amount": v["field-amount"],
                        "filled-cash-amount": v["field-cash-amount"], "filled-fees": v["field-fees"],
                        "source": v["source"], "state": v["state"]})
            if len(out) >= size:
                break
        return out

    @staticmethod
    def _size(raw, default: int, most: int) -> int:
        if raw is None:
            return default
        try:
            n = int(raw)
        except ValueError:
            raise HtxError("validation-format-error", "Format Error: size.") from None
        if not 1 <= n <= most:
            raise HtxError("validation-constraints-error", f"size should be in [1, {most}]")
        return n

    def _past_orders(self, req, key, params):
        """GET /v1/order/orders: final orders of one symbol created in [start-time, end-time] (at most 48 h,
        at most 180 days back), newest first; canceled orders only within 2 hours of their cancel."""
        sym = params.get("symbol")
        if not sym:
            raise HtxError("validation-constraints-required", "Field is missing: symbol.")
        if sym not in self.ex.specs:
            raise HtxError("invalid-parameter", "invalid symbol")
        states = params.get("states")
        if not states:
            raise HtxError("validation-constraints-required", "Field is missing: states.")
        want = set(states.split(","))
        if not want <= set(STATE_CODE):
            raise HtxError("invalid-parameter", "invalid states")
        now = self.now()
        try:
            st = int(params["start-time"]) if params.get("start-time") else None
            et = int(params["end-time"]) if params.get("end-time") else None
        except ValueError:
            raise HtxError("validation-format-error", "Format Error: start-time / end-time.") from None
        if st is None and et is None:
            st, et = now - PAST_MAX_MS, now
        elif et is None:
            et = st + PAST_MAX_MS
        elif st is None:
            st = et - PAST_MAX_MS
        if st > now or st < now - PAST_BACK_MS:
            raise HtxError("invalid_start_date", "invalid start date")
        if et > now + 1000 or et < now - PAST_BACK_MS:
            raise HtxError("invalid_end_date", "invalid end date")
        if st > et or et - st > PAST_MAX_MS:
            raise HtxError("invalid_interval", "invalid interval")
        size = self._size(params.get("size"), 100, 100)
        out = []
        for o in reversed(list(self.ex.orders.values())):   # newest first
            if o.account != key.account or o.symbol != sym or o.status in OPEN or not st <= o.ctime <= et:
                continue
            s = _state(o)
            if s not in want or (s == "canceled" and now - o.utime >= CANCELED_GONE_MS):
                continue
            out.append(self.order_view(o))
            if len(out) >= size:
                break
        return out

    # ================================================================ batches, cancel-all, balances
    def _batch_place(self, req, key, params):
        """POST /v1/order/batch-orders: a JSON list of 1-10 orders, each placed as /v1/order/orders/place would;
        one result per order, in order: {"order-id", "client-order-id"} or {"client-order-id", "err-code",
        "err-msg"}. The request counts once in its own 50 / 2 s window."""
        try:
            b = orjson.loads(req.body) if req.body else None
        except orjson.JSONDecodeError:
            raise HtxError("invalid-parameter", "invalid JSON body") from None
        if not isinstance(b, list) or not b or not all(isinstance(o, dict) for o in b):
            raise HtxError("invalid-parameter", "the body must be a list of orders")
        if len(b) > BATCH_PLACE_MAX:
            # the docs give the limit, not the error code for passing it (the simulator's choice)
            raise HtxError("invalid-parameter", f"A batch contains at most {BATCH_PLACE_MAX} orders")
        self._rate(key.account, "batch-orders", BATCH_LIMIT_PER_2S)
        out = []
        for o in b:
            cid = o.get("client-order-id")
            try:
                oid = self._place_one(o, key, None)
            except HtxError as e:
                item = {"err-code": e.code, "err-msg": e.msg}
                if cid is not None:
                    item["client-order-id"] = str(cid)
                out.append(item)
                continue
            item = {"order-id": int(oid)}
            if cid is not None:
                item["client-order-id"] = str(cid)
            out.append(item)
        return out

    def _batch_cancel(self, req, key, params):
        """POST /v1/order/orders/batchcancel: {"order-ids": [...]} or {"client-order-ids": [...]} (one of them,
        at most 50): {"success": [the ids as given], "failed": [{"order-id", "client-order-id", "err-code",
        "err-msg", "order-state"}]}; an order already final fails with order-orderstate-error and its state's
        code (as submitcancel replies, but as a string), an unknown id with base-record-invalid."""
        b = self._body(req)
        oids, cids = b.get("order-ids"), b.get("client-order-ids")
        if (oids is None) == (cids is None):
            raise HtxError("invalid-parameter", "Either order-ids or client-order-ids should be given")
        ids = oids if oids is not None else cids
        if not isinstance(ids, list) or not ids:
            raise HtxError("invalid-parameter", "invalid order-ids / client-order-ids")
        if len(ids) > BATCH_CANCEL_MAX:
            raise HtxError("invalid-parameter", f"No more than {BATCH_CANCEL_MAX} orders per request")
        self._rate(key.account, "batchcancel", BATCH_LIMIT_PER_2S)
        now = self.now()
        success, failed = [], []
        for raw in ids:
            ident = str(raw)
            o = None
            if oids is not None:
                if ident.isdigit():
                    o = self._by_id(key.account, int(ident))
            else:
                o = self._by_cid(key.account, ident)
            item = {"order-id": str(o.oid) if o is not None else (ident if oids is not None else None),
                    "client-order-id": (o.cid or None) if o is not None else (ident if cids is not None else None)}
            if o is None:
                failed.append(dict(item, **{"err-code": "base-record-invalid", "err-msg": "record invalid"}))
                continue
            if o.status not in OPEN:
                # a string here (the batchcancel page's example), an int in submitcancel's error
                failed.append(dict(item, **{"err-code": "order-orderstate-error", "err-msg": "Incorrect order state",
                                            "order-state": str(STATE_CODE[_state(o)])}))
                continue
            self.ex.cancel(o, now)
            if self.stream.subs:
                self.stream.canceled(o, now)
            success.append(ident)
        return {"success": success, "failed": failed}

    def _cancel_open(self, req, key, params):
        """POST /v1/order/orders/batchCancelOpenOrders: cancels up to `size` (1-100, default 100) open orders of
        the account (of up to 10 comma-separated symbols, of a side): {"success-count", "failed-count",
        "next-id"}; next-id is the next open order that matches (-1: none left)."""
        b = self._body(req)
        acct = b.get("account-id")
        if acct is not None and str(acct) != str(key.account_id):
            raise HtxError("account-account-id-inexistent", f"The account id {acct} doesn't exist")
        syms = None
        if b.get("symbol"):
            syms = str(b["symbol"]).split(",")
            if len(syms) > 10 or any(x not in self.ex.specs for x in syms):
                raise HtxError("invalid-parameter", "invalid symbol")
        side = b.get("side")
        if side is not None and side not in ("buy", "sell"):
            raise HtxError("invalid-parameter", "invalid side")
        size = self._size(None if b.get("size") is None else str(b["size"]), CANCEL_OPEN_MAX, CANCEL_OPEN_MAX)
        self._rate(key.account, "batchCancelOpenOrders", BATCH_LIMIT_PER_2S)
        match = [o for o in self.ex.open_orders(key.account)
                 if (syms is None or o.symbol in syms) and (side is None or o.side.lower() == side)]
        now = self.now()
        for o in match[:size]:
            self.ex.cancel(o, now)
            if self.stream.subs:
                self.stream.canceled(o, now)
        rest = match[size:]
        return {"success-count": min(size, len(match)), "failed-count": 0,
                "next-id": rest[0].oid if rest else -1}

    def _balance(self, req, key, params, acct_id):
        """GET /v1/account/accounts/{account-id}/balance: a "trade" (free) and a "frozen" (locked) row per
        currency, balances as decimal strings."""
        if str(acct_id) != str(key.account_id):
            raise HtxError("account-account-id-inexistent", f"The account id {acct_id} doesn't exist")
        rows = []
        for cur, (free, locked) in sorted(self.ex.account(key.account).balances.items()):
            for typ, v in (("trade", free), ("frozen", locked)):
                rows.append({"currency": cur, "type": typ, "balance": _f(v), "debt": "invalid",
                             "available": "invalid", "seq-num": "0"})
        return {"id": key.account_id, "type": "spot", "state": "working", "list": rows}

    # ================================================================ dead man's switch (v2 envelope)
    def _v2(self, req, handler):
        """A /v2 endpoint: {"code": 200, "message": "success", "data": …}; errors as {"code": n, "message": …},
        the conditional-order codes of HTX's spot reference ("Conditional Order" > "Error Code"): 1002 the
        signature is missing or the account does not exist (here: no Signature, or an AccessKeyId the venue
        does not know), 1003 the signature is wrong (any other authentication failure), 1006 the rate limit
        (limited_reply), 2002 a parameter missing or invalid."""
        try:
            key, params = self._auth(req)
        except HtxError as e:
            p = dict(parse_qs_ordered(req.query))
            code = 1002 if not p.get("Signature") or p.get("AccessKeyId") not in self.keys else 1003
            return 200, b"", orjson.dumps({"code": code, "message": e.msg, "data": None})
        try:
            data = handler(req, key, params)
        except HtxError as e:
            return 200, b"", orjson.dumps({"code": int(e.code) if str(e.code).isdigit() else 2002,
                                           "message": e.msg, "data": None})
        return 200, b"", orjson.dumps({"code": 200, "message": "success", "data": data})

    def _cancel_all_after(self, req, key, params):
        """POST /v2/algo-orders/cancel-all-after {"timeout": s}: 0 turns the switch off; s >= 5 (re)arms it to
        cancel every open order of the account (at most 500) unless called again within s seconds."""
        b = self._body(req)
        t = b.get("timeout")
        if isinstance(t, bool) or not isinstance(t, int) or t < 0 or 0 < t < 5:
            raise HtxError("2002", "invalid timeout: 0 or >= 5 seconds")
        import asyncio

        old = self._dms.pop(key.account, None)
        if old is not None:
            old.cancel()
        now = self.now()
        if t == 0:
            return {"currentTime": now, "triggerTime": 0}
        self._dms[key.account] = asyncio.get_running_loop().call_later(t, self._dms_fire, key.account)
        return {"currentTime": now, "triggerTime": now + t * 1000}

    def _dms_fire(self, account: str) -> None:
        """The switch lapsed: every open order of the account is canceled (at most 500), and the switch is
        off until armed again."""
        self._dms.pop(account, None)
        now = self.now()
        for o in self.ex.open_orders(account)[:DMS_MAX_CANCEL]:
            self.ex.cancel(o, now)
            if self.stream.subs:
                self.stream.canceled(o, now)
        self.dms_fired += 1

    # ================================================================ faults
    def unknown_reply(self, req):
        return 500, b"", orjson.dumps({"status": "error", "err-code": "base-system-error",
                                       "err-msg": "System internal error. Please try again later.", "data": None})

    def limited_reply(self, req, kind: str, retry: int):
        if req.path.startswith("/v2/"):   # the v2 envelope and its code (see _v2)
            return 429, b"Retry-After: %d\r\n" % retry, orjson.dumps(
                {"code": 1006, "message": "Exceed rate limit", "data": None})
        return 429, b"Retry-After: %d\r\n" % retry, orjson.dumps(
            {"status": "error", "err-code": RATE_CODE, "err-msg": RATE_MSG, "data": None})
