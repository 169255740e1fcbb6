"""Binance Spot: REST ``/api/v3/*`` and the WebSocket API ``/ws-api/v3``, as documented in
https://github.com/binance/binance-spot-api-docs (rest-api.md, web-socket-api.md, errors.md; see
docs/venues/binance.md).

Verification is done here with the standard library (``hmac``, ``hashlib``) and ``cryptography``; nothing is
shared with fastorder's client encoders or signers.

REST signing: HMAC-SHA256 hex (case-insensitive) or Ed25519 base64 over ``query‖body`` exactly as sent,
minus the ``signature`` parameter. WS signing: all params but ``signature``, sorted by name, ``k=v`` joined
by ``&``, raw UTF-8. ``session.logon`` accepts Ed25519 keys only (as the 2026-07 docs state).

Rate limits (per IP for weight, per account for orders) follow ``exchangeInfo.rateLimits``; exceeding the
weight gives 429 (-1003, ``Retry-After``), continuing past ``ban_after`` rejected requests in the same window
gives 418 (IP ban for ``ban_seconds``). Order count: every order accepted by the API counts (no decrement).
Since 2026-04-02 a new order or cancel that succeeds weighs 0 and a failed one its documented weight (1)
(CHANGELOG 2026-03-27); ``RAW_REQUESTS`` is published as 300,000 per 5 minutes (not enforced).

A request that accepts gzip (``Accept-Encoding: gzip``) gets a gzip body when it is over 1 KiB, as the
venue's CDN sends it. Each request's ``User-Agent`` is counted in ``user_agents`` (tests read it).
"""

from __future__ import annotations

import base64
import gzip
import hmac
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from time import perf_counter_ns as _perf
from time import time as _time

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .binance_stream import BinanceUserStream
from .book import OPEN, Exchange, Order, Reject, SymbolSpec
from .common import HmacSha256, IdGen, now_ms
from .creds import BinanceKey
from .http import REPLAY_CONN, Request, parse_params, parse_qs_ordered
from .ws import OP_TEXT
from .ws import frame as wsframe

D = Decimal
DEC_PATTERN = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
_DEC_RE = re.compile(DEC_PATTERN)
_CID_RE = re.compile(r"^[a-zA-Z0-9-_]{1,36}$")
_JSON_HDR = b""
# as the venue words it (seen in replies reported by users; the docs' CHANGELOG names -1131 BAD_RECV_WINDOW)
_RW_MAX = "'recvWindow' must be less than 60000."

SYMBOLS = [
    SymbolSpec("BTCUSDT", "BTC", "USDT", D("50000"), D("0.01"), D("0.00001"), D("0.00001"), D("9000"),
               D("0.01"), D("1000000"), D("5"), gap_ticks=50, level_qty=D("0.5")),
    SymbolSpec("ETHUSDT", "ETH", "USDT", D("3000"), D("0.01"), D("0.0001"), D("0.0001"), D("9000"),
               D("0.01"), D("1000000"), D("5"), gap_ticks=10, level_qty=D("5")),
    SymbolSpec("BNBUSDT", "BNB", "USDT", D("600"), D("0.01"), D("0.001"), D("0.001"), D("9000"),
               D("0.01"), D("100000"), D("5"), gap_ticks=5, level_qty=D("20")),
    SymbolSpec("LTCBTC", "LTC", "BTC", D("0.0015"), D("0.000001"), D("0.001"), D("0.001"), D("100000"),
               D("0.000001"), D("1000"), D("0.0001"), gap_ticks=1, level_qty=D("100")),
]

STOP_TYPES = frozenset(("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"))
ORDER_TYPES = ("LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")
ORDER_PARAMS = frozenset((
    "symbol", "side", "type", "timeInForce", "quantity", "quoteOrderQty", "price", "newClientOrderId",
    "strategyId", "strategyType", "stopPrice", "trailingDelta", "icebergQty", "newOrderRespType",
    "selfTradePreventionMode", "pegPriceType", "pegOffsetValue", "pegOffsetType", "recvWindow", "timestamp",
    "signature", "apiKey", "computeCommissionRates"))
CANCEL_PARAMS = frozenset(("symbol", "orderId", "origClientOrderId", "newClientOrderId", "cancelRestrictions",
                           "recvWindow", "timestamp", "signature", "apiKey"))
QUERY_PARAMS = frozenset(("symbol", "orderId", "origClientOrderId", "recvWindow", "timestamp", "signature", "apiKey"))
DECIMAL_PARAMS = ("quantity", "quoteOrderQty", "price", "stopPrice", "icebergQty")
# enums.md "STP Modes"; TRANSFER allowed on all symbols since 2026-04-02 (CHANGELOG 2026-03-27)
STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER")
# REST parameter sets, built once (not per request)
_REST_NEW = ORDER_PARAMS - {"apiKey", "computeCommissionRates"}
_REST_TEST = ORDER_PARAMS - {"apiKey"}
_REST_CANCEL = CANCEL_PARAMS - {"apiKey"}
_REST_QUERY = QUERY_PARAMS - {"apiKey"}
_REST_OPEN = frozenset(("symbol", "recvWindow", "timestamp", "signature"))
AMEND_PARAMS = frozenset(("symbol", "orderId", "origClientOrderId", "newClientOrderId", "newQty", "recvWindow",
                          "timestamp", "signature", "apiKey"))
# rest-api.md "Cancel an Existing Order and Send a New Order": the new order's params and these
REPLACE_PARAMS = (ORDER_PARAMS - {"computeCommissionRates"}) | {
    "cancelReplaceMode", "cancelNewClientOrderId", "cancelOrigClientOrderId", "cancelOrderId", "cancelRestrictions",
    "orderRateLimitExceededMode"}
_REST_AMEND = AMEND_PARAMS - {"apiKey"}
_REST_REPLACE = REPLACE_PARAMS - {"apiKey"}
_REST_ACCOUNT = frozenset(("omitZeroBalances", "recvWindow", "timestamp", "signature"))


def _is_int20(s: str) -> bool:
    """``^[0-9]{1,20}$`` without the regex engine (the hot path checks it on every signed request)."""
    return 0 < len(s) <= 20 and s.isdigit() and s.isascii()


def _dec_ok(s: str) -> bool:
    return _DEC_RE.match(s) is not None


def _cid_ok(s: str) -> bool:
    return _CID_RE.match(s) is not None


def _binance_limit(p: dict, specs: dict, memo: dict) -> None:
    return None   # without the compiled module every order takes the full check


def _time_ok(ts, rw, now: int) -> bool:
    return False   # likewise: the full timestamp check


try:   # the typed versions of the same checks (fastorder/sim/_fast.pyx)
    from ._fast import binance_limit as _binance_limit  # noqa: F811
    from ._fast import binance_time_ok as _time_ok  # noqa: F811
    from ._fast import cid_ok as _cid_ok  # noqa: F811
    from ._fast import dec_ok as _dec_ok  # noqa: F811
    from ._fast import is_int20 as _is_int20  # noqa: F811
except ImportError:  # pragma: no cover - not built
    pass


class BinanceError(Exception):
    def __init__(self, code: int, msg: str, status: int = 400, retry_after: int = 0, data: dict | None = None):
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status
        self.retry_after = retry_after
        self.data = data


def mandatory(name: str) -> BinanceError:
    return BinanceError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def not_required(name: str) -> BinanceError:
    return BinanceError(-1106, f"Parameter '{name}' sent when not required.")


_FMT8: dict = {}
_ZERO = Decimal(0)


def fmt8(d: Decimal) -> str:
    """Binance's 8-decimal rendering; memoised (prices and quantities repeat)."""
    s = _FMT8.get(d)
    if s is None:
        s = f"{d:.8f}"
        if len(_FMT8) < 100_000:
            _FMT8[d] = s
    return s


@dataclass
class BinanceLimits:
    """Rate limits as published in ``exchangeInfo``. ``enabled=False`` keeps counting (headers) but never
    rejects -- for benchmarks that send far more than 50 orders per 10 s."""

    weight_per_minute: int = 6000
    orders_per_10s: int = 50
    orders_per_day: int = 160000
    ban_after: int = 5          # requests sent after the first 429 of a window before the IP is banned
    ban_seconds: float = 120.0
    enabled: bool = True


class _IpState:
    __slots__ = ("minute", "weight", "over", "banned_until")

    def __init__(self):
        self.minute = 0
        self.weight = 0
        self.over = 0
        self.banned_until = 0


KEYED = "keyed"   # a route's `signed`: the API key header, no signature (USER_STREAM endpoints)


class _AcctState:
    __slots__ = ("win10", "n10", "day", "nday")

    def __init__(self):
        self.win10 = 0
        self.n10 = 0
        self.day = 0
        self.nday = 0


class Binance:
    venue = "binance"

    def __init__(self, keys: list[BinanceKey], limits: BinanceLimits | None = None, seed: int = 0,
                 ws_lifetime: float = 86400.0, ws_ping_interval: float = 20.0, ws_pong_timeout: float = 60.0,
                 env: str = "live"):
        if env not in ("live", "testnet", "demo"):
            raise ValueError(f"env must be live, testnet or demo, not {env!r}")
        self.env = env
        # the live, testnet and demo hosts each know their own keys only: another's is an unknown key (-2015)
        keys = [k for k in keys if k.env == env]
        self.keys: dict[str, BinanceKey] = {k.api_key: k for k in keys}
        self._pub: dict[str, Ed25519PublicKey] = {
            k.api_key: Ed25519PublicKey.from_public_bytes(k.public_key) for k in keys if k.kind == "ED25519"}
        self._hmac = {k.api_key: HmacSha256(k.secret.encode()) for k in keys if k.kind == "HMAC"}
        self.limits = limits or BinanceLimits()
        self.ex = Exchange([SymbolSpec(**vars(s)) for s in SYMBOLS], first_order_id=12_000_000_000 + seed)
        self.ids = IdGen(seed)
        self._filter_memo: dict = {}
        self._stops: dict[str, list] = {}   # symbol -> stop orders waiting for their stopPrice  # (symbol, 0|1, price|qty text) -> Decimal that passed its filter
        self.ip: dict[str, _IpState] = {}
        self.acct: dict[str, _AcctState] = {}
        self.ws_lifetime = ws_lifetime
        self.ws_ping_interval = ws_ping_interval
        self.ws_pong_timeout = ws_pong_timeout
        self.ws_sessions: set = set()
        self.stream = BinanceUserStream(self)   # the user data stream (executionReport events)
        self.ws_paths = {"/ws-api/v3": self._ws_session}
        self.site = None
        self._routes = {
            ("GET", "/api/v3/ping"): (1, False, self._ping),
            ("GET", "/api/v3/time"): (1, False, self._time),
            ("GET", "/api/v3/exchangeInfo"): (20, False, self._exchange_info),
            ("POST", "/api/v3/order"): (1, True, self._rest_new_order),   # 0 when it succeeds (see above)
            ("POST", "/api/v3/order/test"): (1, True, self._rest_test_order),
            ("DELETE", "/api/v3/order"): (1, True, self._rest_cancel),
            ("GET", "/api/v3/order"): (4, True, self._rest_query),
            ("GET", "/api/v3/openOrders"): (6, True, self._rest_open_orders),
            ("DELETE", "/api/v3/openOrders"): (1, True, self._rest_cancel_all),
            ("GET", "/api/v3/account"): (20, True, self._rest_account),
            ("PUT", "/api/v3/order/amend/keepPriority"): (4, True, self._rest_amend),
            ("POST", "/api/v3/order/cancelReplace"): (1, True, self._rest_cancel_replace),
        }
        self._paths = {p for _, p in self._routes}
        # requests whose weight is charged only when they fail (CHANGELOG 2026-03-27)
        self._free_on_success = {self._routes[k] for k in (
            ("POST", "/api/v3/order"), ("DELETE", "/api/v3/order"), ("DELETE", "/api/v3/openOrders"),
            ("POST", "/api/v3/order/cancelReplace"))}
        self.refund = 0   # weight a request turned out not to cost (an amend that expired its order)
        self.user_agents: dict[str, int] = {}
        self.gzip_replies = 0   # User-Agent header -> requests that carried it ("" = none)
        self._open_orders_route = self._routes[("GET", "/api/v3/openOrders")]

    # ================================================================ rate limiting
    def _weight(self, ip: str, w: int, now: int) -> int:
        st = self.ip.get(ip)
        if st is None:
            st = self.ip[ip] = _IpState()
        lim = self.limits
        if st.banned_until > now:
            raise BinanceError(-1003, f"Way too much request weight used; IP banned until {st.banned_until}. "
                               "Please use WebSocket Streams for live updates to avoid bans.", 418,
                               max(1, math.ceil((st.banned_until - now) / 1000)))
        minute = now // 60000
        if minute != st.minute:
            st.minute = minute
            st.weight = 0
            st.over = 0
        st.weight += w
        if lim.enabled and st.weight > lim.weight_per_minute:
            st.over += 1
            if st.over > lim.ban_after:
                st.banned_until = now + int(lim.ban_seconds * 1000)
                raise BinanceError(-1003, f"Way too much request weight used; IP banned until {st.banned_until}. "
                                   "Please use WebSocket Streams for live updates to avoid bans.", 418,
                                   max(1, math.ceil(lim.ban_seconds)))
            raise BinanceError(-1003, f"Too much request weight used; current limit is {lim.weight_per_minute} "
                               "request weight per 1 MINUTE. Please use WebSocket Streams for live updates to "
                               "avoid polling the API.", 429, max(1, math.ceil((60000 - now % 60000) / 1000)))
        return st.weight

    def dry_replay(self, req, conn):
        """A request's validation-only form to replay while idle (http.Spinner's ``warm_us``, benchmarks): a POST
        to a path whose ``/test`` form the venue serves (POST /api/v3/order -> /api/v3/order/test, as Binance
        documents it: validated, signature checked, never sent to the matching engine), else None. Its reply
        is rendered (not written, not counted in the request statistics)."""
        test = req.path + "/test"
        if req.method != "POST" or ("POST", test) not in self._routes:
            return None
        method, query, headers, body = req.method, req.query, req.headers, req.body
        # the order the request placed, for its reply's view (read only: the order is not touched)
        try:
            p = self._params(req)
            key = self.keys.get((headers.get(b"x-mbx-apikey") or b"").decode("latin-1"))
        except (BinanceError, UnicodeDecodeError):
            p, key = {}, None
        o = self.ex.by_cid.get((key.account, p.get("newClientOrderId"))) if key is not None else None
        resp = p.get("newOrderRespType") or "FULL"

        def replay() -> None:
            r = Request(method, test, query, headers, body, _perf(), True, REPLAY_CONN, "1.1")
            status, hdrs, out = self.handle_http(r)
            if o is not None and status == 200:   # a new order's reply: its view, as new_order renders it
                out = orjson.dumps(self.place_view(o, resp, int(_time() * 1000)))
            conn.render(status, hdrs, out, None, False)

        return replay

    def saw_user_agent(self, req) -> None:
        if req.conn is REPLAY_CONN:   # a replay (dry_replay) is not a client's request
            return
        ua = req.headers.get(b"user-agent", b"").decode("latin-1")
        if len(self.user_agents) < 64 or ua in self.user_agents:
            self.user_agents[ua] = self.user_agents.get(ua, 0) + 1

    def _charge(self, ip: str, w: int, now: int) -> None:
        """Add weight after the fact (a failed order): counted, never itself rejected."""
        st = self.ip.get(ip)
        if st is not None and st.minute == now // 60000:
            st.weight += w

    def used_weight(self, ip: str, now: int = 0) -> int:
        st = self.ip.get(ip)
        return 0 if st is None or st.minute != (now or now_ms()) // 60000 else st.weight

    # the ORDERS windows: 10 s and this one (spot: a day; USDⓈ-M futures: a minute); `orders_per_day` holds its limit
    long_window_ms, long_window_name = 86400000, "DAY"

    def _count_order(self, account: str, now: int) -> tuple[int, int]:
        st = self.acct.get(account)
        if st is None:
            st = self.acct[account] = _AcctState()
        w = now // 10000
        long_ms = self.long_window_ms
        d = now // long_ms
        if w != st.win10:
            st.win10, st.n10 = w, 0
        if d != st.day:
            st.day, st.nday = d, 0
        lim = self.limits
        if lim.enabled:
            if st.n10 >= lim.orders_per_10s:
                raise BinanceError(-1015, f"Too many new orders; current limit is {lim.orders_per_10s} orders per "
                                   "10 SECOND.", 429, max(1, math.ceil((10000 - now % 10000) / 1000)))
            if st.nday >= lim.orders_per_day:
                raise BinanceError(-1015, f"Too many new orders; current limit is {lim.orders_per_day} orders per "
                                   f"1 {self.long_window_name}.", 429,
                                   max(1, math.ceil((long_ms - now % long_ms) / 1000)))
        st.n10 += 1
        st.nday += 1
        return st.n10, st.nday

    def order_counts(self, account: str, now: int = 0) -> tuple[int, int]:
        st = self.acct.get(account)
        if st is None:
            return 0, 0
        now = now or now_ms()
        return (st.n10 if st.win10 == now // 10000 else 0), (st.nday if st.day == now // self.long_window_ms else 0)

    def rate_limits(self, ip: str, account: str | None, orders: bool) -> list:
        lim = self.limits
        out = [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                "limit": lim.weight_per_minute, "count": self.used_weight(ip)}]
        if orders and account is not None:
            n10, nd = self.order_counts(account)
            out.append({"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
                        "limit": lim.orders_per_10s, "count": n10})
            out.append({"rateLimitType": "ORDERS", "interval": self.long_window_name, "intervalNum": 1,
                        "limit": lim.orders_per_day, "count": nd})
        return out

    # ================================================================ auth
    def _check_time(self, p: dict, now: int) -> None:
        ts = p.get("timestamp")
        if _time_ok(ts, p.get("recvWindow"), now):   # the usual form, passing (compiled check)
            return
        if not ts:
            raise mandatory("timestamp")
        if not _is_int20(ts):
            raise BinanceError(-1100, "Illegal characters found in parameter 'timestamp'; legal range is '^[0-9]{1,20}$'.")
        rw = p.get("recvWindow")
        if rw is not None and _is_int20(rw):  # the usual form: whole milliseconds
            if int(rw) > 60000:
                raise BinanceError(-1131, _RW_MAX)
            window = float(rw)
        elif rw is not None:
            if not _dec_ok(rw):
                raise BinanceError(-1100, f"Illegal characters found in parameter 'recvWindow'; legal range is '{DEC_PATTERN}'.")
            rwd = D(rw)
            if rwd > 60000:
                raise BinanceError(-1131, _RW_MAX)
            window = float(rwd)
        else:
            window = 5000.0
        t = int(ts)
        if t > 10**14:  # microseconds
            t = t / 1000.0
        if t >= now + 1000:
            raise BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        if now - t > window:
            raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")

    def _verify(self, key: BinanceKey, payload: bytes, sig: str) -> bool:
        if key.kind == "HMAC":
            return hmac.compare_digest(self._hmac[key.api_key].hexdigest(payload), sig.lower())
        try:
            raw = base64.b64decode(sig, validate=True)
            self._pub[key.api_key].verify(raw, payload)
            return True
        except (ValueError, InvalidSignature):
            return False

    def _key(self, api_key: str | None) -> BinanceKey:
        if not api_key:
            raise BinanceError(-2014, "API-key format invalid.", 401)
        k = self.keys.get(api_key)
        if k is None:
            raise BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        return k

    # ================================================================ REST
    def handle_http(self, req):
        ip = req.conn.peer
        now = int(_time() * 1000)
        route = self._routes.get((req.method, req.path))
        if route is None:
            if req.path in self._paths:
                return 405, self._hdr(ip), b'{"code":-1000,"msg":"Method not allowed."}'
            return 404, b"", b""
        weight, signed, fn = route
        account = None
        self.saw_user_agent(req)
        free = route in self._free_on_success
        try:
            if route is self._open_orders_route and "symbol=" not in req.query:
                weight = 80  # all symbols
            used = self._weight(ip, 0 if free else weight, now)   # the IP's weight this minute, this one included
            params = self._params(req)
            key = None
            if signed:
                h = req.headers.get(b"x-mbx-apikey")
                key = self._key(h.decode("latin-1") if h else None)
                account = key.account
            if signed is True:   # (KEYED: the API key header alone, as USER_STREAM endpoints take it)
                if not params.get("signature"):
                    raise mandatory("signature")
                if not _time_ok(params.get("timestamp"), params.get("recvWindow"), now):
                    self._check_time(params, now)   # the full check: raises, or accepts another form
                payload = _strip_sig(req.query)
                if req.body:
                    payload += _strip_sig(req.body.decode("latin-1"))
                sig = params["signature"]
                hm = self._hmac.get(key.api_key) if key.kind == "HMAC" else None
                if hm is not None:
                    ok = hmac.compare_digest(hm.hexdigest(payload.encode("latin-1")), sig.lower())
                else:
                    ok = self._verify(key, payload.encode("latin-1"), sig)
                if not ok:
                    raise BinanceError(-1022, "Signature for this request is not valid.")
            status, body, order_hdr = fn(params, key, now)
            if self.refund:
                self._charge(ip, -self.refund, now)
                used -= self.refund
                self.refund = 0
        except BinanceError as e:
            if free and e.status not in (418, 429):
                self._charge(ip, weight, now)   # a failed order or cancel weighs its documented weight
            err = {"code": e.code, "msg": e.msg}
            if e.data is not None:
                err["data"] = e.data
            return e.status, self._hdr(ip, e.retry_after), orjson.dumps(err)
        hdr = b"X-MBX-USED-WEIGHT-1M: %d\r\n" % used
        if len(body) > 1024 and b"gzip" in req.headers.get(b"accept-encoding", b""):
            body = gzip.compress(body, 6, mtime=0)
            hdr += b"Content-Encoding: gzip\r\n"
            self.gzip_replies += 1
        if order_hdr and account is not None:
            n10, nd = self.order_counts(account, now)
            hdr += b"X-MBX-ORDER-COUNT-10S: %d\r\nX-MBX-ORDER-COUNT-1D: %d\r\n" % (n10, nd)
        return status, hdr, body

    def _hdr(self, ip: str, retry_after: int = 0) -> bytes:
        h = b"X-MBX-USED-WEIGHT-1M: %d\r\n" % self.used_weight(ip)
        if retry_after:
            h += b"Retry-After: %d\r\n" % retry_after
        return h

    def _params(self, req) -> dict:
        if not req.body:  # the usual signed request: everything in the query string
            out, n = parse_params(req.query)
            if len(out) != n:
                raise BinanceError(-1101, "Duplicate values for a parameter detected.")
            return out
        q = parse_qs_ordered(req.query)
        b = []
        if req.body:
            ct = req.headers.get(b"content-type", b"")
            if not ct or b"x-www-form-urlencoded" in ct:
                try:
                    b = parse_qs_ordered(req.body.decode("utf-8"))
                except UnicodeDecodeError:
                    raise BinanceError(-1100, "Illegal characters found in a parameter.") from None
        if b:
            out = dict(b)
            if len(out) != len(b):
                raise BinanceError(-1101, "Duplicate values for a parameter detected.")
            qd = dict(q)
            if len(qd) != len(q):
                raise BinanceError(-1101, "Duplicate values for a parameter detected.")
            out.update(qd)  # the query string wins over the body
            return out
        out = dict(q)
        if len(out) != len(q):
            raise BinanceError(-1101, "Duplicate values for a parameter detected.")
        return out

    def _ping(self, p, key, now):
        return 200, b"{}", False

    def _time(self, p, key, now):
        return 200, b'{"serverTime":%d}' % now, False

    def exchange_info(self, now: int) -> dict:
        lim = self.limits
        syms = []
        for s in self.ex.specs.values():
            syms.append({
                "symbol": s.symbol, "status": "TRADING", "baseAsset": s.base, "baseAssetPrecision": 8,
                "quoteAsset": s.quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
                "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
                "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
                               "TAKE_PROFIT_LIMIT"],
                "icebergAllowed": True, "ocoAllowed": True, "otoAllowed": True,
                "quoteOrderQtyMarketAllowed": True, "allowTrailingStop": True, "cancelReplaceAllowed": True,
                "amendAllowed": True, "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": fmt8(s.min_price), "maxPrice": fmt8(s.max_price),
                     "tickSize": fmt8(s.tick)},
                    {"filterType": "LOT_SIZE", "minQty": fmt8(s.min_qty), "maxQty": fmt8(s.max_qty),
                     "stepSize": fmt8(s.step)},
                    {"filterType": "MARKET_LOT_SIZE", "minQty": fmt8(D(0)), "maxQty": fmt8(s.market_max_qty),
                     "stepSize": fmt8(D(0))},
                    {"filterType": "NOTIONAL", "minNotional": fmt8(s.min_notional), "applyMinToMarket": True,
                     "maxNotional": fmt8(s.max_notional), "applyMaxToMarket": False, "avgPriceMins": 5},
                    {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
                ],
                "permissions": [], "permissionSets": [["SPOT"]],
                "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
                "allowedSelfTradePreventionModes": list(STP_MODES),
            })
        return {"timezone": "UTC", "serverTime": now,
                "rateLimits": [
                    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                     "limit": lim.weight_per_minute},
                    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": lim.orders_per_10s},
                    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": lim.orders_per_day},
                    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 300000}],
                "exchangeFilters": [], "symbols": syms}

    def _exchange_info(self, p, key, now):
        """``symbol=X`` or ``symbols=["X","Y"]`` (a JSON array) narrows the reply; a name that is not listed
        fails the whole request with -1121, as the docs say."""
        info = self.exchange_info(now)
        sym, syms = p.get("symbol"), p.get("symbols")
        if sym is not None and syms is not None:
            raise BinanceError(-1128, "Combination of optional parameters invalid.")
        if syms is not None:
            try:
                wanted = orjson.loads(syms)
            except orjson.JSONDecodeError:
                wanted = None
            if not isinstance(wanted, list) or not wanted or not all(isinstance(x, str) for x in wanted):
                raise mandatory("symbols")
        elif sym is not None:
            wanted = [sym]
        else:
            wanted = None
        if wanted is not None:
            by_name = {s["symbol"]: s for s in info["symbols"]}
            if any(w not in by_name for w in wanted):
                raise BinanceError(-1121, "Invalid symbol.")
            info["symbols"] = [by_name[w] for w in dict.fromkeys(wanted)]
        return 200, orjson.dumps(info), False

    # the parameters each REST order endpoint reads (a subclass for another market names its own)
    rest_new_params = _REST_NEW
    rest_test_params = _REST_TEST
    rest_cancel_params = _REST_CANCEL
    rest_query_params = _REST_QUERY

    def _rest_new_order(self, p, key, now):
        _check_known(p, self.rest_new_params)
        return 200, orjson.dumps(self.new_order(p, key.account, now)), True

    def _rest_test_order(self, p, key, now):
        _check_known(p, self.rest_test_params)
        _binance_limit(p, self.ex.specs, self._filter_memo) or self.validate_order(p)   # as new_order checks it
        return 200, b"{}", False

    def _rest_cancel(self, p, key, now):
        _check_known(p, self.rest_cancel_params)
        return 200, orjson.dumps(self.cancel_order(p, key.account, now)), False

    def _rest_query(self, p, key, now):
        _check_known(p, self.rest_query_params)
        return 200, orjson.dumps(self.query_order(p, key.account)), False

    def _rest_open_orders(self, p, key, now):
        _check_known(p, _REST_OPEN)
        sym = p.get("symbol")
        if sym is not None and sym not in self.ex.specs:
            raise BinanceError(-1121, "Invalid symbol.")
        return 200, orjson.dumps([self.order_view(o) for o in self.ex.open_orders(key.account, sym)]), False

    def _rest_cancel_all(self, p, key, now):
        _check_known(p, _REST_OPEN)
        return 200, orjson.dumps(self.cancel_all(p, key.account, now)), False

    def _rest_amend(self, p, key, now):
        _check_known(p, _REST_AMEND)
        return 200, orjson.dumps(self.amend_keep_priority(p, key.account, now)), False

    def _rest_cancel_replace(self, p, key, now):
        _check_known(p, _REST_REPLACE)
        return 200, orjson.dumps(self.cancel_replace(p, key.account, now)), True

    def _rest_account(self, p, key, now):
        _check_known(p, _REST_ACCOUNT)
        return 200, orjson.dumps(self.account_view(key.account, now, p.get("omitZeroBalances") == "true")), False

    def account_view(self, account: str, now: int, omit_zero: bool = False) -> dict:
        a = self.ex.account(account)
        bals = [{"asset": k, "free": fmt8(v[0]), "locked": fmt8(v[1])} for k, v in sorted(a.balances.items())
                if not omit_zero or v[0] or v[1]]
        z = "0.00000000"
        return {"makerCommission": 0, "takerCommission": 0, "buyerCommission": 0, "sellerCommission": 0,
                "commissionRates": {"maker": z, "taker": z, "buyer": z, "seller": z},
                "canTrade": True, "canWithdraw": True, "canDeposit": True, "brokered": False,
                "requireSelfTradePrevention": False, "preventSor": False, "updateTime": now,
                "accountType": "SPOT", "balances": bals, "permissions": ["SPOT"], "uid": 354937868}

    # ================================================================ order logic (REST and WS)
    def _symbol(self, p: dict) -> str:
        sym = p.get("symbol")
        if not sym:
            raise mandatory("symbol")
        if sym not in self.ex.specs:
            raise BinanceError(-1121, "Invalid symbol.")
        return sym

    def _symbol_side_type(self, p: dict, types) -> tuple[str, str, str]:
        """A new order's symbol, side and type, checked in that order (`types`: the venue's order types)."""
        symbol = self._symbol(p)
        side = p.get("side")
        if not side:
            raise mandatory("side")
        if side not in ("BUY", "SELL"):
            raise BinanceError(-1117, "Invalid side.")
        typ = p.get("type")
        if not typ:
            raise mandatory("type")
        if typ not in types:
            raise BinanceError(-1116, "Invalid orderType.")
        return symbol, side, typ

    def validate_order(self, p: dict) -> dict:
        """Checks a new-order parameter set as Binance does; returns normalised values or raises."""
        if "" in p.values():  # an empty value counts as "not sent" (-1102 for mandatory params)
            p = {k: v for k, v in p.items() if v != ""}
        symbol, side, typ = self._symbol_side_type(p, ORDER_TYPES)
        spec = self.ex.specs[symbol]
        for name in DECIMAL_PARAMS:
            v = p.get(name)
            if v is not None and not _dec_ok(v):
                raise BinanceError(-1100, f"Illegal characters found in parameter '{name}'; legal range is '{DEC_PATTERN}'.")
        cid = p.get("newClientOrderId")
        if cid is not None and not _cid_ok(cid):
            raise BinanceError(-1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is "
                               "'^[a-zA-Z0-9-_]{1,36}$'.")
        tif = p.get("timeInForce")
        if tif is not None and tif not in ("GTC", "IOC", "FOK"):
            raise BinanceError(-1115, "Invalid timeInForce.")
        resp = p.get("newOrderRespType")
        if resp is not None and resp not in ("ACK", "RESULT", "FULL"):
            raise BinanceError(-1136, "Invalid newOrderRespType")
        stp = p.get("selfTradePreventionMode")
        if stp is not None and stp not in STP_MODES:
            raise BinanceError(-1100, "Illegal characters found in parameter 'selfTradePreventionMode'.")
        qty = p.get("quantity")
        qq = p.get("quoteOrderQty")
        price = p.get("price")
        if typ == "LIMIT":
            for name in ("timeInForce", "quantity", "price"):
                if not p.get(name):
                    raise mandatory(name)
            if qq is not None:
                raise not_required("quoteOrderQty")
        elif typ == "MARKET":
            if qty is None and qq is None:
                raise BinanceError(-1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!")
            if qty is not None and qq is not None:
                raise BinanceError(-1102, "Mandatory parameter 'quantity' or 'quoteOrderQty' must be sent, but not both.")
            for name in ("timeInForce", "price"):
                if p.get(name) is not None:
                    raise not_required(name)
        elif typ == "LIMIT_MAKER":
            for name in ("quantity", "price"):
                if not p.get(name):
                    raise mandatory(name)
            if tif is not None:
                raise not_required("timeInForce")
        else:  # stop / take-profit families
            if not qty:
                raise mandatory("quantity")
            if not p.get("stopPrice") and not p.get("trailingDelta"):
                raise BinanceError(-1102, "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!")
            if typ.endswith("_LIMIT"):
                for name in ("timeInForce", "price"):
                    if not p.get(name):
                        raise mandatory(name)
        stop = p.get("stopPrice")
        if stop is not None and typ in ("LIMIT", "MARKET", "LIMIT_MAKER"):
            raise not_required("stopPrice")
        for name, v in (("quantity", qty), ("price", price), ("quoteOrderQty", qq), ("stopPrice", stop)):
            if v is not None and "." in v and len(v.rstrip("0").split(".")[1]) > 8:
                raise BinanceError(-1111, f"Parameter '{name}' has too much precision.")
        memo = self._filter_memo
        dp = None
        if price is not None:
            dp = memo.get((symbol, 0, price))
            if dp is None:
                dp = D(price)
                if typ != "MARKET":
                    if dp < spec.min_price or dp > spec.max_price or (dp - spec.min_price) % spec.tick:
                        raise BinanceError(-1013, "Filter failure: PRICE_FILTER")
                    if len(memo) < 100_000:
                        memo[(symbol, 0, price)] = dp  # passes PRICE_FILTER
        dq = None
        if qty is not None:
            dq = memo.get((symbol, 1, qty))
            if dq is None:
                dq = D(qty)
                if dq < spec.min_qty or dq > spec.max_qty or (dq - spec.min_qty) % spec.step:
                    raise BinanceError(-1013, "Filter failure: LOT_SIZE")
                if len(memo) < 100_000:
                    memo[(symbol, 1, qty)] = dq  # passes LOT_SIZE
        dqq = D(qq) if qq is not None else None
        ds = None
        if stop is not None:   # PRICE_FILTER: "minPrice defines the minimum price/stopPrice allowed" (filters.md)
            ds = D(stop)
            if ds < spec.min_price or ds > spec.max_price or (ds - spec.min_price) % spec.tick:
                raise BinanceError(-1013, "Filter failure: PRICE_FILTER")
        if dq is not None:
            if typ == "MARKET" and dq > spec.market_max_qty:
                raise BinanceError(-1013, "Filter failure: MARKET_LOT_SIZE")
        if dq is not None and dp is not None and typ != "MARKET":
            notional = dq * dp
        elif dq is not None:
            notional = dq * spec.mid
        else:
            notional = dqq
        if notional is not None and (notional < spec.min_notional or (typ != "MARKET" and notional > spec.max_notional)):
            raise BinanceError(-1013, "Filter failure: NOTIONAL")
        if p.get("icebergQty") is not None or p.get("trailingDelta") is not None:
            raise BinanceError(-1014, "Unsupported order combination.")  # iceberg and trailing orders: not simulated
        v = {"symbol": symbol, "side": side, "type": typ, "tif": tif, "qty": dq, "price": dp, "quote_qty": dqq,
             "cid": cid, "resp": resp or ("FULL" if typ in ("LIMIT", "MARKET") else "ACK"),
             "stp": stp or "EXPIRE_MAKER"}
        if ds is not None:   # the stop types only (the compiled fast path returns the same keys as this)
            v["stop"] = ds
        return v

    def new_order(self, p: dict, account: str, now: int) -> dict:
        v = _binance_limit(p, self.ex.specs, self._filter_memo) or self.validate_order(p)
        self._count_order(account, now)
        return self._place_valid(v, account, now)

    def _place_valid(self, v: dict, account: str, now: int) -> dict:
        """Place a new order whose parameters passed validate_order (and were counted)."""
        cid = v["cid"] or self.ids.alnum(22)
        typ = v["type"]
        if typ in STOP_TYPES:
            return self._place_stop(v, cid, account, now)
        try:
            o = self.ex.place(account, v["symbol"], v["side"], "MARKET" if typ == "MARKET" else "LIMIT",
                              price=v["price"], qty=v["qty"], quote_qty=v["quote_qty"],
                              tif=v["tif"] or "GTC", post_only=typ == "LIMIT_MAKER", cid=cid, now=now,
                              extra={"type": typ, "stp": v["stp"], "tif_shown": v["tif"] or "GTC"}, stp=v["stp"])
        except Reject as r:
            if r.reason == "INSUFFICIENT":
                raise BinanceError(-2010, "Account has insufficient balance for requested action.") from None
            if r.reason == "WOULD_TAKE":
                raise BinanceError(-2010, "Order would immediately match and take.") from None
            raise BinanceError(-2010, "Duplicate order sent.") from None
        if self.stream.subs:
            self.stream.placed(o, now)
        view = self.place_view(o, v["resp"], now)
        if self._stops.get(o.symbol) and o.fills:
            self._trigger_stops(o.symbol, now)
        return view

    def _place_stop(self, v: dict, cid: str, account: str, now: int) -> dict:
        """A stop-loss / take-profit order: it waits, off the book and with nothing locked, until the market
        price (the last trade's) reaches stopPrice, then works as a MARKET (STOP_LOSS, TAKE_PROFIT) or LIMIT
        (*_LIMIT) order (rest-api.md "New order": "This will execute a MARKET order when the conditions are
        met"). A stop already reached is refused: "Price above market price: STOP_LOSS BUY, TAKE_PROFIT SELL;
        price below market price: STOP_LOSS SELL, TAKE_PROFIT BUY", else -2010 "Order would trigger
        immediately." (errors.md)."""
        symbol, side, typ, stop = v["symbol"], v["side"], v["type"], v["stop"]
        last = self.ex.books[symbol].last_px
        above = (typ.startswith("STOP_LOSS") and side == "BUY") or (typ.startswith("TAKE_PROFIT") and side == "SELL")
        if (stop <= last) if above else (stop >= last):
            raise BinanceError(-2010, "Order would trigger immediately.")
        prev = self.ex.by_cid.get((account, cid))
        if prev is not None and prev.status in OPEN:
            raise BinanceError(-2010, "Duplicate order sent.")
        o = Order(self.ex.next_order_id(), cid, symbol, side, "LIMIT" if typ.endswith("_LIMIT") else "MARKET",
                  v["tif"] or "GTC", v["price"], v["qty"], None, account, now,
                  {"type": typ, "stp": v["stp"], "tif_shown": v["tif"] or "GTC", "stop": stop, "waiting": True})
        self.ex.orders[o.oid] = o
        self.ex.by_cid[(account, cid)] = o
        self._stops.setdefault(symbol, []).append(o)
        if self.stream.subs:
            self.ex.touched.clear()   # nothing traded: no maker to report
            self.stream.placed(o, now)
        return self.place_view(o, v["resp"], now)

    def _trigger_stops(self, symbol: str, now: int) -> None:
        """Start every waiting stop order of `symbol` whose stopPrice the last trade reached, one at a time
        (each may trade and move the price on), as a new order keeping its ids."""
        book = self.ex.books[symbol]
        waiting = self._stops[symbol]
        for _ in range(1000):
            waiting[:] = [o for o in waiting if o.status in OPEN]
            last = book.last_px
            fired = None
            for o in waiting:
                stop, typ = o.extra["stop"], o.extra["type"]
                up = (typ.startswith("STOP_LOSS") and o.side == "BUY") or (
                    typ.startswith("TAKE_PROFIT") and o.side == "SELL")
                if (last >= stop) if up else (last <= stop):
                    fired = o
                    break
            if fired is None:
                return
            waiting.remove(fired)
            del self.ex.orders[fired.oid]
            if self.ex.by_cid.get((fired.account, fired.cid)) is fired:
                del self.ex.by_cid[(fired.account, fired.cid)]
            extra = dict(fired.extra, waiting=False)
            try:
                n = self.ex.place(fired.account, symbol, fired.side, fired.otype, price=fired.price, qty=fired.qty,
                                  tif=fired.tif, cid=fired.cid, now=now, extra=extra, oid=fired.oid,
                                  stp=extra["stp"])
            except Reject:   # e.g. the balance is no longer there: the order ends, as the venue expires it
                fired.status = "EXPIRED"
                fired.utime = now
                fired.extra = extra
                self.ex.orders[fired.oid] = fired
                self.ex.by_cid[(fired.account, fired.cid)] = fired
                continue
            n.ctime = fired.ctime
            if self.stream.subs:
                self.stream.placed(n, now)

    def snapshot(self) -> list[dict]:
        return self.ex.snapshot(self.venue_status)

    @staticmethod
    def venue_status(o) -> str:
        return o.status

    def place_view(self, o, resp: str, now: int) -> dict:
        if resp == "ACK":
            return {"symbol": o.symbol, "orderId": o.oid, "orderListId": -1, "clientOrderId": o.cid,
                    "transactTime": now}
        f = _FMT8.get
        price, qty, executed, cum = o.price or _ZERO, o.qty, o.executed, o.cum_quote
        extra = o.extra
        out = {"symbol": o.symbol, "orderId": o.oid, "orderListId": -1, "clientOrderId": o.cid, "transactTime": now,
               "price": f(price) or fmt8(price), "origQty": f(qty) or fmt8(qty),
               "executedQty": f(executed) or fmt8(executed),
               "origQuoteOrderQty": fmt8(o.quote_qty or _ZERO), "cummulativeQuoteQty": f(cum) or fmt8(cum),
               "status": o.status, "timeInForce": extra["tif_shown"], "type": extra["type"], "side": o.side,
               "workingTime": -1 if extra.get("waiting") else (now if o.status in OPEN or executed else -1),
               "selfTradePreventionMode": extra["stp"]}
        if extra.get("stop") is not None:   # conditional field: the stop / take-profit types
            out["stopPrice"] = fmt8(extra["stop"])
        if resp == "FULL":
            spec = self.ex.specs[o.symbol]
            ca = spec.base if o.side == "BUY" else spec.quote
            out["fills"] = [{"price": fmt8(px), "qty": fmt8(q), "commission": "0.00000000", "commissionAsset": ca,
                             "tradeId": tid} for px, q, tid in o.fills]
        return out

    def order_view(self, o) -> dict:
        return {"symbol": o.symbol, "orderId": o.oid, "orderListId": -1, "clientOrderId": o.cid,
                "price": fmt8(o.price or 0), "origQty": fmt8(o.qty), "executedQty": fmt8(o.executed),
                "cummulativeQuoteQty": fmt8(o.cum_quote), "status": o.status, "timeInForce": o.extra["tif_shown"],
                "type": o.extra["type"], "side": o.side, "stopPrice": fmt8(o.extra.get("stop") or 0),
                "icebergQty": "0.00000000", "time": o.ctime, "updateTime": o.utime,
                "isWorking": not o.extra.get("waiting") and (o.status in OPEN or bool(o.executed)),
                "workingTime": -1 if o.extra.get("waiting") else o.ctime, "origQuoteOrderQty": fmt8(o.quote_qty or 0),
                "selfTradePreventionMode": o.extra["stp"]}

    def _lookup(self, p: dict, account: str, cancel: bool):
        return self._find(p.get("symbol"), p.get("orderId"), p.get("origClientOrderId"), account, cancel)

    def _find(self, symbol: str | None, oid: str | None, cid: str | None, account: str, cancel: bool):
        """The order a cancel, query or amend names, or the venue's error."""
        if not symbol:
            raise mandatory("symbol")
        if symbol not in self.ex.specs:
            raise BinanceError(-1121, "Invalid symbol.")
        if not oid and not cid:
            raise BinanceError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        if oid is not None and not _is_int20(oid):
            raise BinanceError(-1100, "Illegal characters found in parameter 'orderId'; legal range is '^[0-9]{1,20}$'.")
        o = self.ex.find(account, int(oid) if oid else None, cid)
        if o is None or o.symbol != symbol:
            if cancel:
                raise BinanceError(-2011, "Unknown order sent.")
            raise BinanceError(-2013, "Order does not exist.")
        return o

    def cancel_order(self, p: dict, account: str, now: int) -> dict:
        return self._cancel(p.get("symbol"), p.get("orderId"), p.get("origClientOrderId"),
                            p.get("cancelRestrictions"), p.get("newClientOrderId"), account, now)

    def _cancel(self, symbol: str | None, oid: str | None, cid: str | None, restr: str | None,
                new_cid: str | None, account: str, now: int) -> dict:
        """A cancel (its own request, or the cancel half of a cancel-replace): checks, then the cancel report."""
        if restr is not None and restr not in ("ONLY_NEW", "ONLY_PARTIALLY_FILLED"):
            raise BinanceError(-1145, "Invalid cancelRestrictions")
        if new_cid is not None and not _cid_ok(new_cid):
            raise BinanceError(-1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is "
                               "'^[a-zA-Z0-9-_]{1,36}$'.")
        o = self._find(symbol, oid, cid, account, True)
        if o.status not in OPEN:
            raise BinanceError(-2011, "Unknown order sent.")
        if restr == "ONLY_NEW" and o.status != "NEW" or restr == "ONLY_PARTIALLY_FILLED" and o.status != "PARTIALLY_FILLED":
            raise BinanceError(-2011, "Order was not canceled due to cancel restrictions.")
        return self._cancel_one(o, now, new_cid)

    def _cancel_one(self, o, now: int, new_cid: str | None = None) -> dict:
        self.ex.cancel(o, now)
        cancel_cid = new_cid or self.ids.alnum(22)
        if self.stream.subs:
            self.stream.canceled(o, now, cancel_cid)
        # the memo read in place (as place_view does): a cancel report is on every cancel and cancel-replace
        f = _FMT8.get
        price, qty, executed, quote, cum, extra = o.price or _ZERO, o.qty, o.executed, o.quote_qty or _ZERO, \
            o.cum_quote, o.extra
        return {"symbol": o.symbol, "origClientOrderId": o.cid, "orderId": o.oid, "orderListId": -1,
                "clientOrderId": cancel_cid, "transactTime": now, "price": f(price) or fmt8(price),
                "origQty": f(qty) or fmt8(qty), "executedQty": f(executed) or fmt8(executed),
                "origQuoteOrderQty": f(quote) or fmt8(quote), "cummulativeQuoteQty": f(cum) or fmt8(cum),
                "status": o.status, "timeInForce": extra["tif_shown"], "type": extra["type"], "side": o.side,
                "selfTradePreventionMode": extra["stp"]}

    def cancel_all(self, p: dict, account: str, now: int) -> list:
        """DELETE /api/v3/openOrders, openOrders.cancelAll: every open order of the symbol, one cancel report
        each (one cancel id for all of them, as the docs' example shows); nothing open: -2011 "Unknown order
        sent." (as users report, e.g. binance-connector-python#185)."""
        symbol = p.get("symbol")
        if not symbol:
            raise mandatory("symbol")
        if symbol not in self.ex.specs:
            raise BinanceError(-1121, "Invalid symbol.")
        orders = self.ex.open_orders(account, symbol)
        if not orders:
            raise BinanceError(-2011, "Unknown order sent.")
        cancel_cid = self.ids.alnum(22)
        return [self._cancel_one(o, now, cancel_cid) for o in orders]

    def amend_keep_priority(self, p: dict, account: str, now: int) -> dict:
        """order.amend.keepPriority: a smaller quantity, the order keeping its place in the queue
        (faqs/order_amend_keep_priority.md); refusals are -2038 with the matching engine's message
        (errors.md "Messages for ... -2038 ORDER_AMEND_REJECTED")."""
        new_qty = p.get("newQty")
        if not new_qty:
            raise mandatory("newQty")
        if not _dec_ok(new_qty):
            raise BinanceError(-1100, f"Illegal characters found in parameter 'newQty'; legal range is '{DEC_PATTERN}'.")
        new_cid = p.get("newClientOrderId")
        if new_cid is not None and not _cid_ok(new_cid):
            raise BinanceError(-1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is "
                               "'^[a-zA-Z0-9-_]{1,36}$'.")
        try:
            o = self._lookup(p, account, True)
        except BinanceError as e:
            if e.code == -2011:
                raise BinanceError(-2038, "Unknown order sent.") from None
            raise
        if o.status not in OPEN:
            raise BinanceError(-2038, "Unknown order sent.")
        spec = self.ex.specs[o.symbol]
        dq = D(new_qty)
        if "." in new_qty and len(new_qty.rstrip("0").split(".")[1]) > 8:
            raise BinanceError(-1111, "Parameter 'newQty' has too much precision.")
        if dq > o.qty:
            raise BinanceError(-2038, "Order amend (quantity increase) is not supported.")
        if dq == o.qty:
            raise BinanceError(-2038, "The requested action would change no state; rejecting")
        if dq < spec.min_qty or (dq - spec.min_qty) % spec.step:
            raise BinanceError(-1013, "Filter failure: LOT_SIZE")
        if new_cid is not None and new_cid != o.cid:
            other = self.ex.by_cid.get((account, new_cid))
            if other is not None and other.status in OPEN:
                raise BinanceError(-2038, "Duplicate order sent.")
        orig_cid = o.cid
        self.ex.amend(o, now, qty=dq)
        if o.status not in OPEN:   # amended down to what had executed: the order expired (no weight charged)
            self.refund = 4
        cid = new_cid or self.ids.alnum(22)
        if cid != orig_cid:
            if self.ex.by_cid.get((account, orig_cid)) is o:
                del self.ex.by_cid[(account, orig_cid)]
            o.cid = cid
            self.ex.by_cid[(account, cid)] = o
        self.stream.amended(o, now, orig_cid)
        return {"transactTime": now, "executionId": self.stream.last_exec_id,
                "amendedOrder": {
                    "symbol": o.symbol, "orderId": o.oid, "orderListId": -1, "origClientOrderId": orig_cid,
                    "clientOrderId": o.cid, "price": fmt8(o.price or 0), "qty": fmt8(o.qty),
                    "executedQty": fmt8(o.executed), "preventedQty": fmt8(o.prevented),
                    "quoteOrderQty": fmt8(o.quote_qty or 0), "cumulativeQuoteQty": fmt8(o.cum_quote),
                    "status": o.status, "timeInForce": o.extra["tif_shown"], "type": o.extra["type"],
                    "side": o.side, "workingTime": o.ctime, "selfTradePreventionMode": o.extra["stp"]}}

    def cancel_replace(self, p: dict, account: str, now: int) -> dict:
        """order.cancelReplace: the new order's filters and the order count are checked first (a failure
        there is the plain error), then the cancel, then the new order (rest-api.md "Cancel an Existing Order
        and Send a New Order"): STOP_ON_FAILURE skips the new order after a failed cancel (400, -2022);
        ALLOW_FAILURE tries it anyway. One side failing: 409, -2021; both: 400, -2022; the reply's data says
        which (cancelResult, newOrderResult, cancelResponse, newOrderResponse)."""
        mode = p.get("cancelReplaceMode")
        if not mode:
            raise mandatory("cancelReplaceMode")
        if mode not in ("STOP_ON_FAILURE", "ALLOW_FAILURE"):
            raise BinanceError(-1100, "Illegal characters found in parameter 'cancelReplaceMode'.")
        restr = p.get("cancelRestrictions")
        if restr is not None and restr not in ("ONLY_NEW", "ONLY_PARTIALLY_FILLED"):
            raise BinanceError(-1145, "Invalid cancelRestrictions")
        oid, ocid = p.get("cancelOrderId"), p.get("cancelOrigClientOrderId")
        if not oid and not ocid:
            raise BinanceError(-1102, "Param 'cancelOrigClientOrderId' or 'cancelOrderId' must be sent, but both "
                               "were empty/null!")
        # the new order's checks read only the new-order parameters (the compiled check looks up just those;
        # the full one, for anything else, is handed those alone)
        v = _binance_limit(p, self.ex.specs, self._filter_memo) or self.validate_order(
            {k: v for k, v in p.items() if k in ORDER_PARAMS})
        self._count_order(account, now)
        try:
            cancel_res: dict = self._cancel(p.get("symbol"), oid or None, ocid or None, restr,
                                            p.get("cancelNewClientOrderId"), account, now)
            cancel_ok = True
        except BinanceError as e:
            cancel_res, cancel_ok = {"code": e.code, "msg": e.msg}, False
        if not cancel_ok and mode == "STOP_ON_FAILURE":
            raise BinanceError(-2022, "Order cancel-replace failed.", 400, data={
                "cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED", "cancelResponse": cancel_res,
                "newOrderResponse": None})
        try:
            new_res: dict = self._place_valid(v, account, now)
            new_ok = True
        except BinanceError as e:
            new_res, new_ok = {"code": e.code, "msg": e.msg}, False
        data = {"cancelResult": "SUCCESS" if cancel_ok else "FAILURE",
                "newOrderResult": "SUCCESS" if new_ok else "FAILURE",
                "cancelResponse": cancel_res, "newOrderResponse": new_res}
        if cancel_ok and new_ok:
            return data
        if cancel_ok or new_ok:
            raise BinanceError(-2021, "Order cancel-replace partially failed.", 409, data=data)
        raise BinanceError(-2022, "Order cancel-replace failed.", 400, data=data)

    def query_order(self, p: dict, account: str) -> dict:
        return self.order_view(self._lookup(p, account, False))

    # ================================================================ faults
    def unknown_reply(self, req):
        return 503, self._hdr(req.conn.peer), orjson.dumps(
            {"code": -1006, "msg": "An unexpected response was received from the message bus. Execution status unknown."})

    def limited_reply(self, req, kind: str, retry: int):
        now = now_ms()
        if kind == "418":
            e = BinanceError(-1003, f"Way too much request weight used; IP banned until {now + retry * 1000}. "
                             "Please use WebSocket Streams for live updates to avoid bans.", 418, retry)
        else:
            e = BinanceError(-1003, f"Too much request weight used; current limit is {self.limits.weight_per_minute} "
                             "request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid "
                             "polling the API.", 429, retry)
        return e.status, self._hdr(req.conn.peer, retry), orjson.dumps({"code": e.code, "msg": e.msg})

    # ================================================================ WebSocket API
    def _ws_session(self, req):
        return BinanceWsSession(self, req)

    def shutdown_ws(self) -> None:
        """Send the ``serverShutdown`` event on every WS-API connection, then close them."""
        for s in list(self.ws_sessions):
            if s.conn is not None:
                s.on_lifetime(s.conn)
                s.conn.close(1000, b"")


_WS_ORDER_PARAMS = ORDER_PARAMS | {"returnRateLimits"}
_WS_CANCEL_PARAMS = CANCEL_PARAMS | {"returnRateLimits"}
_WS_QUERY_PARAMS = QUERY_PARAMS | {"returnRateLimits"}
_WS_AMEND_PARAMS = AMEND_PARAMS | {"returnRateLimits"}
_WS_REPLACE_PARAMS = REPLACE_PARAMS | {"returnRateLimits"}
_WS_OPEN_PARAMS = frozenset(("symbol", "apiKey", "recvWindow", "signature", "timestamp", "returnRateLimits"))
_WS_ACCOUNT_PARAMS = frozenset(("omitZeroBalances", "apiKey", "recvWindow", "signature", "timestamp",
                                "returnRateLimits"))
_WS_FREE_ON_SUCCESS = frozenset(("order.place", "order.cancel", "openOrders.cancelAll",
                                 "order.cancelReplace"))   # CHANGELOG 2026-03-27
_WS_ORDER_METHODS = frozenset(("order.place", "order.cancelReplace"))   # count in the ORDERS windows
_WS_WEIGHT = {"order.place": 1, "order.cancel": 1, "order.status": 4, "session.logon": 2, "session.status": 2,
              "openOrders.status": 6, "openOrders.cancelAll": 1, "order.amend.keepPriority": 4,
              "order.cancelReplace": 1,
              "session.logout": 2, "ping": 1, "time": 1, "exchangeInfo": 20, "account.status": 20,
              "userDataStream.subscribe": 2, "userDataStream.subscribe.signature": 2,
              "userDataStream.unsubscribe": 2}


def _wsval(v) -> str:
    if isinstance(v, str):
        return v
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


class BinanceWsSession:
    """One ``/ws-api/v3`` connection: request/response frames (web-socket-api.md "Request format")."""

    def __init__(self, venue: Binance, req):
        self.v = venue
        venue.saw_user_agent(req)   # the handshake's
        self.ip = req.conn.peer
        self.conn = None
        self.key: BinanceKey | None = None
        self.authorized_since = None
        self.connected_since = now_ms()
        q = dict(parse_qs_ordered(req.query))
        self.return_rl = q.get("returnRateLimits", "true") != "false"
        self.ping_interval = venue.ws_ping_interval
        self.pong_timeout = venue.ws_pong_timeout
        self.lifetime = venue.ws_lifetime
        self._sub_seq = 0
        self.logon_sid: int | None = None   # the subscription made with userDataStream.subscribe

    def next_subscription_id(self) -> int:
        sid = self._sub_seq
        self._sub_seq += 1
        return sid

    def on_open(self, conn) -> None:
        self.conn = conn
        self.v.ws_sessions.add(self)
        try:
            self.v._weight(self.ip, 2, now_ms())  # connecting costs 2 weight
        except BinanceError:
            pass

    def on_close(self, conn) -> None:
        self.v.ws_sessions.discard(self)
        self.v.stream.session_closed(self)

    def on_lifetime(self, conn) -> None:
        conn.send_text(orjson.dumps({"event": {"e": "serverShutdown", "E": now_ms()}}))

    def control(self, payload: bytes):
        return None

    def _reply(self, rid, status: int, result=None, error=None, rl: bool = True, account=None, orders=False,
               extra_rl: bool = True) -> bytes:
        out = {"id": rid, "status": status}
        if error is not None:
            out["error"] = error
        else:
            out["result"] = result
        if rl and self.return_rl and extra_rl:
            out["rateLimits"] = self.v.rate_limits(self.ip, account, orders)
        return orjson.dumps(out)

    def dry_replay(self, payload: bytes):
        """An order.place request's dry form to replay while idle (http.Spinner's ``warm_us``, benchmarks): the
        request's parsing, key and signature check, parameter and filter checks, and the placed order's reply
        frame, rendered and not sent; no weight, no order, nothing counted. None for any other request."""
        parsed = self.parse_request(payload)
        if type(parsed) is bytes or parsed[1] not in ("order.place", "v3/order.place"):
            return None
        params = parsed[2]
        try:
            key = self._auth(dict(params), now_ms())
        except BinanceError:
            return None
        o = self.v.ex.by_cid.get((key.account, params.get("newClientOrderId")))
        if o is None:
            return None
        account, resp = key.account, params.get("newOrderRespType") or "FULL"
        rl = params.get("returnRateLimits", True) not in (False, "false")

        def replay() -> None:
            now = now_ms()
            rid, _method, p = self.parse_request(payload)
            self._auth(p, now)
            _check_known(p, _WS_ORDER_PARAMS)
            _binance_limit(p, self.v.ex.specs, self.v._filter_memo) or self.v.validate_order(p)
            out = self._reply(rid, 200, result=self.v.place_view(o, resp, now), account=account, orders=True,
                              extra_rl=rl)
            wsframe(OP_TEXT, out)

        return replay

    def parse_request(self, payload: bytes) -> tuple | bytes:
        """(id, method, params with str values) of a request frame, or the error frame that answers it."""
        try:
            msg = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return self._reply(None, 400, error={"code": -1000, "msg": "Invalid JSON: malformed request."},
                               rl=False)
        if not isinstance(msg, dict):
            return self._reply(None, 400, error={"code": -1000, "msg": "Invalid JSON: expected an object."}, rl=False)
        rid = msg.get("id")
        if rid is not None and not isinstance(rid, (int, str)) or isinstance(rid, bool):
            return self._reply(None, 400, error={"code": -1000, "msg": "Invalid 'id' in JSON request."}, rl=False)
        method = msg.get("method")
        params = msg.get("params", {})
        if not isinstance(method, str) or not isinstance(params, dict):
            return self._reply(rid, 400, error={"code": -1000, "msg": "Invalid request: 'method' and 'params'."},
                               rl=False)
        # returnRateLimits stays in the params: it is signed like any other parameter
        if not _all_str(params):   # (the usual request: every value a str, the dict is used as it is)
            params = {k: v if type(v) is str else _wsval(v) for k, v in params.items() if v is not None}
        return rid, method, params

    def error_reply(self, rid, e: BinanceError, now: int, account, orders: bool, extra_rl: bool = True) -> bytes:
        err = {"code": e.code, "msg": e.msg}
        if e.data is not None:
            err["data"] = e.data
        if e.status in (418, 429):
            err["data"] = {"serverTime": now, "retryAfter": now + e.retry_after * 1000}
        return self._reply(rid, e.status, error=err, account=account, orders=orders, extra_rl=extra_rl)

    def handle(self, payload: bytes) -> bytes | None:
        parsed = self.parse_request(payload)
        if type(parsed) is bytes:
            return parsed
        rid, method, params = parsed
        if method.startswith("v3/"):
            method = method[3:]
        rl_param = params.get("returnRateLimits", True)
        now = now_ms()
        account = self.key.account if self.key else None
        is_order = method in _WS_ORDER_METHODS
        try:
            w = _WS_WEIGHT.get(method)
            if w is None:
                raise BinanceError(-1020, "This operation is not supported.")  # unknown method
            if method == "openOrders.status" and "symbol" not in params:
                w = 80   # every symbol's
            self.v._weight(self.ip, 0 if method in _WS_FREE_ON_SUCCESS else w, now)
            if method == "ping":
                result = {}
            elif method == "time":
                result = {"serverTime": now}
            elif method == "exchangeInfo":
                result = self.v.exchange_info(now)
            elif method == "session.logon":
                result = self._logon(params, now)
                account = self.key.account
            elif method == "session.status":
                result = self._status(now)
            elif method == "session.logout":
                if self.logon_sid is not None:   # ends the logon subscription (not the signature ones)
                    self.v.stream.unsubscribe(self, self.logon_sid)
                    self.logon_sid = None
                self.key = None
                self.authorized_since = None
                result = self._status(now)
            elif method == "userDataStream.subscribe":
                if self.key is None:   # needs a session.logon; refused like a request without a valid key
                    raise BinanceError(-2015, "Invalid API-key, IP, or permissions for action.")
                self.logon_sid = self.v.stream.subscribe(self, self.key.account)
                result = {"subscriptionId": self.logon_sid}
            elif method == "userDataStream.subscribe.signature":
                key = self._auth_signature(params, now)
                result = {"subscriptionId": self.v.stream.subscribe(self, key.account)}
            elif method == "userDataStream.unsubscribe":
                sid = params.get("subscriptionId")
                if sid is not None and not str(sid).isdigit():
                    raise BinanceError(-1100, "Illegal characters found in parameter 'subscriptionId'; legal range "
                                       "is '^[0-9]{1,20}$'.")
                self.v.stream.unsubscribe(self, int(sid) if sid is not None else None)
                if sid is None or (self.logon_sid is not None and int(sid) == self.logon_sid):
                    self.logon_sid = None
                result = {}
            else:
                key = self._auth(params, now)
                account = key.account
                if method == "order.place":
                    _check_known(params, _WS_ORDER_PARAMS)
                    result = self.v.new_order(params, account, now)
                elif method == "order.cancel":
                    _check_known(params, _WS_CANCEL_PARAMS)
                    result = self.v.cancel_order(params, account, now)
                elif method == "order.status":
                    _check_known(params, _WS_QUERY_PARAMS)
                    result = self.v.query_order(params, account)
                elif method == "openOrders.status":
                    _check_known(params, _WS_OPEN_PARAMS)
                    sym = params.get("symbol")
                    if sym is not None and sym not in self.v.ex.specs:
                        raise BinanceError(-1121, "Invalid symbol.")
                    result = [self.v.order_view(o) for o in self.v.ex.open_orders(account, sym)]
                elif method == "openOrders.cancelAll":
                    _check_known(params, _WS_OPEN_PARAMS)
                    result = self.v.cancel_all(params, account, now)
                elif method == "order.amend.keepPriority":
                    _check_known(params, _WS_AMEND_PARAMS)
                    result = self.v.amend_keep_priority(params, account, now)
                    if self.v.refund:
                        self.v._charge(self.ip, -self.v.refund, now)
                        self.v.refund = 0
                elif method == "order.cancelReplace":
                    _check_known(params, _WS_REPLACE_PARAMS)
                    result = self.v.cancel_replace(params, account, now)
                else:  # account.status
                    _check_known(params, _WS_ACCOUNT_PARAMS)
                    result = self.v.account_view(account, now, params.get("omitZeroBalances") == "true")
        except BinanceError as e:
            if method in _WS_FREE_ON_SUCCESS and e.status not in (418, 429):
                self.v._charge(self.ip, _WS_WEIGHT[method], now)
            return self.error_reply(rid, e, now, account, is_order, rl_param not in (False, "false"))
        return self._reply(rid, 200, result=result, account=account, orders=is_order, extra_rl=rl_param not in (False, "false"))

    def _status(self, now: int) -> dict:
        return {"apiKey": self.key.api_key if self.key else None, "authorizedSince": self.authorized_since,
                "connectedSince": self.connected_since, "returnRateLimits": self.return_rl, "serverTime": now,
                "userDataStream": any(self in by for by in self.v.stream.subs.values())}

    def _auth_signature(self, params: dict, now: int) -> BinanceKey:
        """userDataStream.subscribe.signature: apiKey, timestamp, (recvWindow,) signature, signed like any
        request, with either key type, on any connection."""
        key = self.v._key(params.get("apiKey")) if params.get("apiKey") else None
        if key is None:
            raise mandatory("apiKey")
        self.v._check_time(params, now)
        if not self._signed_ok(key, params):
            raise BinanceError(-1022, "Signature for this request is not valid.")
        return key

    def _signed_ok(self, key: BinanceKey, params: dict) -> bool:
        sig = params.get("signature")
        if not sig:
            raise mandatory("signature")
        return self.v._verify(key, _ws_payload(params), sig)

    def _logon(self, params: dict, now: int) -> dict:
        key = self.v._key(params.get("apiKey"))
        if key.kind != "ED25519":
            raise BinanceError(-4056, "HMAC_SHA256 API key is not supported.")
        self.v._check_time(params, now)
        if not self._signed_ok(key, params):
            raise BinanceError(-1022, "Signature for this request is not valid.")
        self.key = key
        self.authorized_since = now
        return self._status(now)

    def _auth(self, params: dict, now: int) -> BinanceKey:
        if self.key is not None and "signature" not in params and "apiKey" not in params:
            self.v._check_time(params, now)
            params["apiKey"] = self.key.api_key  # session-authenticated request
            return self.key
        key = self.v._key(params.get("apiKey")) if params.get("apiKey") else None
        if key is None:
            raise mandatory("apiKey")
        if not params.get("signature"):
            raise mandatory("signature")
        self.v._check_time(params, now)
        if not self._signed_ok(key, params):
            raise BinanceError(-1022, "Signature for this request is not valid.")
        return key

    def fault_reply(self, kind: str, payload: bytes, retry: int) -> bytes:
        try:
            rid = orjson.loads(payload).get("id")
        except (orjson.JSONDecodeError, AttributeError):
            rid = None
        now = now_ms()
        if kind == "5xx":
            return self._reply(rid, 503, error={"code": -1006, "msg": "An unexpected response was received from "
                                                "the message bus. Execution status unknown."}, rl=False)
        if kind == "418":
            return self._reply(rid, 418, error={"code": -1003, "msg": f"Way too much request weight used; IP banned "
                                                f"until {now + retry * 1000}. Please use WebSocket Streams for live "
                                                "updates to avoid bans.",
                                                "data": {"serverTime": now, "retryAfter": now + retry * 1000}})
        return self._reply(rid, 429, error={"code": -1003, "msg": "Too much request weight used; current limit is "
                                            f"{self.v.limits.weight_per_minute} request weight per 1 MINUTE. Please "
                                            "use WebSocket Streams for live updates to avoid polling the API.",
                                            "data": {"serverTime": now, "retryAfter": now + retry * 1000}})


def strip_sig_py(raw: str) -> str:
    """``raw`` without its ``signature=…`` parameter (the text Binance signs); the definition the typed
    version in _fast.pyx is tested against."""
    i = raw.find("signature=")
    while i > 0 and raw[i - 1] != "&":
        i = raw.find("signature=", i + 1)
    if i < 0:
        return raw
    j = raw.find("&", i)
    if j < 0:
        return raw[: i - 1] if i else ""
    return raw[:i] + raw[j + 1:] if i == 0 else raw[: i - 1] + raw[j:]


try:   # the same, typed (fastorder/sim/_fast.pyx)
    from ._fast import strip_sig as _strip_sig
except ImportError:  # pragma: no cover - not built
    _strip_sig = strip_sig_py


def ws_payload_py(params: dict) -> bytes:
    """What a WebSocket API request signs: every parameter but ``signature``, sorted by name, ``k=v`` joined
    by ``&``, UTF-8; the definition the typed version in _fast.pyx is tested against."""
    return "&".join([k + "=" + params[k] for k in sorted(params) if k != "signature"]).encode()


def _all_str(params: dict) -> bool:
    return all(type(v) is str for v in params.values())


try:   # the same two, typed (fastorder/sim/_fast.pyx)
    from ._fast import all_str as _all_str  # noqa: F811
    from ._fast import ws_payload as _ws_payload
except ImportError:  # pragma: no cover - not built
    _ws_payload = ws_payload_py


def _check_known(p: dict, allowed: frozenset) -> None:
    if allowed.issuperset(p):   # (faster than p.keys() <= allowed)
        return
    extra = [k for k in p if k not in allowed]
    if extra:
        raise BinanceError(-1104, f"Not all sent parameters were read; read '{len(p) - len(extra)}' parameter(s) "
                           f"but was sent '{len(p)}'.")
