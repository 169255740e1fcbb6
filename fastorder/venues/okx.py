"""OKX v5: REST (`/api/v5/trade/…`) and the private WebSocket (`/ws/v5/private`).

Wire formats and their public sources: docs/venues/okx.md.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson

from fastorder._core.buffer import WriteBuffer
from fastorder._core.numbers import SymbolRules
from fastorder._core.okx import OkxRest, OkxWs
from fastorder._core.sign import HmacSha256
from fastorder.errors import (
    AuthenticationError,
    ConfigError,
    DuplicateOrder,
    FilterRejected,
    InsufficientBalance,
    InvalidCredential,
    InvalidOrder,
    OrderRejected,
    RateLimited,
    TimestampRejected,
    UnknownOrder,
    VenueError,
)
from fastorder.log import logger
from fastorder.types import ACCEPTED, CANCEL_REQUESTED, CANCELED, FILLED, NEW, PARTIALLY_FILLED, Ack, Latency
from fastorder.venues.base import USER_AGENT, SymbolInfo, _Unknown
from fastorder.venues.okx_ops import OkxOps, no_code

VENUE = "okx"


@dataclass(frozen=True)
class OkxHosts:
    """Where one OKX environment lives: the REST base URL and the three WebSocket services."""

    rest: str
    ws_public: str
    ws_private: str
    ws_business: str


def _hosts(rest_host: str, ws_host: str) -> OkxHosts:
    # WebSockets on port 443: OKX stopped serving them on 8443 on 2026-10-31 (docs/venues/okx.md)
    ws = f"wss://{ws_host}/ws/v5/"
    return OkxHosts(f"https://{rest_host}", ws + "public", ws + "private", ws + "business")


#: OKX's environments by (region, "live" | "demo"). Demo trading uses the same REST host with the
#: `x-simulated-trading: 1` header, and WebSocket hosts of its own (a demo key logging in on a live WebSocket
#: host, or the reverse, is refused with 50101). Regions: "global" (www.okx.com), "eea" (my.okx.com accounts,
#: eea.okx.com), "us" (app.okx.com accounts, us.okx.com).
HOSTS: dict[tuple[str, str], OkxHosts] = {
    ("global", "live"): _hosts("www.okx.com", "ws.okx.com"),
    ("global", "demo"): _hosts("www.okx.com", "wspap.okx.com"),
    ("eea", "live"): _hosts("eea.okx.com", "wseea.okx.com"),
    ("eea", "demo"): _hosts("eea.okx.com", "wseeapap.okx.com"),
    ("us", "live"): _hosts("us.okx.com", "wsus.okx.com"),
    ("us", "demo"): _hosts("us.okx.com", "wsuspap.okx.com"),
}
REGIONS = tuple(dict.fromkeys(r for r, _ in HOSTS))


def hosts(region: str = "global", simulated: bool = False) -> OkxHosts:
    """The hosts of one environment; ConfigError(field="region") for a region OKX does not have."""
    h = HOSTS.get((region, "demo" if simulated else "live")) if isinstance(region, str) else None
    if h is None:
        raise ConfigError(f"okx region must be one of {', '.join(REGIONS)}, not {region!r}", field="region")
    return h


#: expTime sent on every WebSocket order unless order_ttl_ms= says otherwise: OKX discards a request that
#: reaches it after this deadline, so an order unanswered for longer can be settled as never placed
DEFAULT_WS_TTL_MS = 10_000
_NO_DEADLINE_MS = 10 ** 15   # an order sent without expTime over WS: never inferred NOT_PLACED
_STATE = {"live": NEW, "partially_filled": PARTIALLY_FILLED, "filled": FILLED, "canceled": CANCELED,
          "mmp_canceled": CANCELED}
# outcome unknown: check the order (50004 and the 5xx "timed out" codes say so in their text)
_UNKNOWN = ("50001", "50004", "50026", "51054", "51149")
_AUTH = ("50101", "50103", "50104", "50105", "50106", "50107", "50110", "50111", "50113", "50114", "60005", "60007",
         "60009", "60024", "60011", "60032")
# 50036: the request reached OKX after its expTime (our clock or the path is late): not processed
_TIMESTAMP = ("50102", "50112", "60004", "60006", "50036")
# per-endpoint limits, 2 s windows: kind -> (window, published limit)
_REQUEST_LIMITS = {"cancel": ("cancel", 60), "query": ("query", 60), "time": ("time", 10), "ping": ("time", 10)}
_RATE = ("50011", "50013", "50061", "60014")
# 51503: an amend of an order that is filled, cancelled or unknown
_NOT_FOUND = ("51603", "51400", "51401", "51402", "51503")
_ORD_TYPE = {"GTC": "limit", "IOC": "ioc", "FOK": "fok"}
_FILTER = ("51000", "51001", "51006", "51020", "51121", "51201", "51202", "51203", "51204", "51205")


def error_for(code: str, msg: str, status: int, clid: str | None, action: str, venue: str = VENUE) -> BaseException:
    if code in _UNKNOWN or status >= 500:
        return _Unknown(VenueError(venue, code, msg, http_status=status, client_order_id=clid))
    if code in _TIMESTAMP:
        return TimestampRejected(venue, code, msg, http_status=status, client_order_id=clid)
    if code in _AUTH:
        return AuthenticationError(venue, code, msg, http_status=status, client_order_id=clid)
    if code in _RATE or status == 429:
        return RateLimited(venue, code, msg, http_status=status, client_order_id=clid)
    if code in _NOT_FOUND:
        return UnknownOrder(venue, code, msg, http_status=status, client_order_id=clid)
    if code == "51008" or code.startswith("51008"):
        return InsufficientBalance(venue, code, msg, http_status=status, client_order_id=clid)
    if code == "51016":
        return DuplicateOrder(venue, code, msg, http_status=status, client_order_id=clid)
    if code in _FILTER:
        return FilterRejected(venue, code, msg, http_status=status, client_order_id=clid)
    if action == "place":
        return OrderRejected(venue, code, msg, http_status=status, client_order_id=clid)
    return VenueError(venue, code, msg, http_status=status, client_order_id=clid)


def _inst_id_code(v: Any) -> int:
    """An instrument's instIdCode (an integer, or its digits as text) from the instruments list; -1 if absent
    or unreadable (never 0, which would name another instrument or none)."""
    if isinstance(v, int) and not isinstance(v, bool):
        return v if v >= 0 else -1
    if isinstance(v, str) and v.isascii() and v.isdigit():
        return int(v)
    return -1


def _gateway_us(d: dict[str, Any]) -> int | None:
    """OKX's own gateway time (outTime - inTime, µs), reported on every trade reply."""
    try:
        return int(d["outTime"]) - int(d["inTime"])
    except (KeyError, ValueError, TypeError):
        return None


class OkxSession(OkxOps):
    venue = VENUE
    #: the instruments this session trades (GET /api/v5/public/instruments?instType=…, orders-pending, orders)
    inst_type = "SPOT"
    default_rest_url = HOSTS[("global", "live")].rest
    default_ws_url = HOSTS[("global", "live")].ws_private
    warm_path = "/api/v5/public/time"

    def __init__(self, *, td_mode: str = "cash", simulated: bool = False, region: str = "global",
                 order_ttl_ms: int | None = None, amend_cxl_on_fail: bool = False, **kw: Any) -> None:
        # env="demo" is OKX demo trading (as simulated=True); OKX has no testnet
        name = kw.get("env", "demo" if simulated else "live")
        if name == "testnet":
            raise ConfigError("okx has no testnet; its test environment is demo trading: env='demo'", field="env")
        if simulated and name != "demo":
            raise ConfigError(f"simulated=True is OKX demo trading; it contradicts env={name!r}", field="env")
        simulated = simulated or name == "demo"
        kw["env"] = name
        if not isinstance(amend_cxl_on_fail, bool):
            raise ConfigError("amend_cxl_on_fail must be a bool", field="amend_cxl_on_fail")
        #: cxlOnFail of every amend: OKX cancels the order when its amend fails
        self.amend_cxl_on_fail = amend_cxl_on_fail
        # the environment's hosts, unless url=/ws_url= name others (a simulator, a colocated gateway)
        env = hosts(region, bool(simulated))
        self.region = region
        self.simulated = bool(simulated)
        self.default_rest_url = env.rest
        self.default_ws_url = env.ws_private
        super().__init__(**kw)
        # expTime: OKX discards an order that reaches it after this deadline. Over WebSocket nothing else
        # bounds an order's life (no signed timestamp), so it is sent by default; 0 sends none
        if order_ttl_ms is None:
            order_ttl_ms = DEFAULT_WS_TTL_MS if self.transport == "ws" else 0
        if not isinstance(order_ttl_ms, int) or isinstance(order_ttl_ms, bool) or order_ttl_ms < 0:
            raise ConfigError(f"order_ttl_ms must be an int >= 0, not {order_ttl_ms!r}", field="order_ttl_ms")
        self.order_ttl_ms = order_ttl_ms
        key, secret, passphrase = kw["key"], kw.get("secret"), kw.get("passphrase")
        if secret is None or passphrase is None:
            raise InvalidCredential("okx needs secret= and passphrase=")
        signer = HmacSha256(secret)
        self.td_mode = td_mode
        self._rest_enc = OkxRest(key, signer, passphrase, host=self.rest.host_header, simulated=self.simulated,
                                 user_agent=USER_AGENT)
        self._ws_enc = OkxWs(key, signer, passphrase)
        self._scratch = WriteBuffer()
        self._opc = {}
        self._login_waiters: dict[int, asyncio.Future] = {}   # id(connection) -> its login reply
        self._costs: dict[str, dict[str, int]] = {}   # instrument -> what one order takes from the guard
        self._rotating: set[int] = set()   # id() of connections being replaced after a 64008 notice
        self.unsolicited: list[Any] = []   # unsolicited messages (notices, errors) for the reliability layer

    @property
    def acceptance_window_ms(self) -> int:
        """How long after sending an order OKX could still accept it, as sent: a REST request's timestamp
        expires after 30 s, an order with expTime at its deadline (1 s of margin for the clock on both). A WS
        order without expTime has no deadline: recovery never infers NOT_PLACED for it."""
        if "_acceptance_window_ms" in self.__dict__:   # acceptance_window_ms= (a simulator known to differ)
            return self.__dict__["_acceptance_window_ms"]
        ttl = self.order_ttl_ms
        if self.transport == "rest":
            return min(31_000, ttl + 1000) if ttl else 31_000
        return ttl + 1000 if ttl else _NO_DEADLINE_MS

    def _order_costs(self, info: SymbolInfo) -> dict[str, int]:
        costs = self._costs.get(info.name)
        if costs is None:   # made once per instrument, not per order
            costs = self._costs[info.name] = {f"place:{info.name}": 1}
        return costs

    def _request_costs(self, kind: str, info: SymbolInfo | None) -> dict[str, int]:
        """Cancel and order details: 60 requests / 2 s per instrument each; system time (the clock and the
        keep-warm request): 10 / 2 s (docs/venues/okx.md, rate limits). Windows made on first use."""
        name, limit = _REQUEST_LIMITS[kind]
        if info is not None and kind in ("cancel", "query"):
            name = f"{name}:{info.name}"
        if name not in self.guard.windows:
            self.guard.set_limit(name, limit, 2000)
        return {name: 1}

    async def _server_time_ms(self) -> int:
        return int((await self.rest_get_json("/api/v5/public/time"))["data"][0]["ts"])

    async def load_symbols(self) -> None:
        data = await self.rest_get_json(f"/api/v5/public/instruments?instType={self.inst_type}")
        missing = 0
        for s in data.get("data", []):
            try:
                rules = SymbolRules(s["instId"], s["tickSz"], s["lotSz"], min_qty=s.get("minSz") or 0)
                info = self._instrument(s, rules, _inst_id_code(s.get("instIdCode")))
            except (InvalidOrder, KeyError) as exc:   # rules we cannot read: not offered
                logger.debug("%s: instrument %s not offered (%s: %s)", self.venue, s.get("instId"),
                             type(exc).__name__, exc)
                continue
            missing += info.code < 0
            # place-order limit: 60 requests / 2 s per instrument, shared by REST and WS (docs/venues/okx.md)
            self.guard.set_limit(f"place:{s['instId']}", 60, 2000)
        if self.transport == "ws" and self.symbols and missing == len(self.symbols):
            # WS order operations name the instrument by instIdCode only: without it no order could be sent
            raise VenueError(self.venue, "instIdCode", "GET /api/v5/public/instruments gave no instIdCode for any "
                             "instrument; WebSocket orders need it (use transport='rest')")

    def _instrument(self, s: dict[str, Any], rules: SymbolRules, code: int) -> SymbolInfo:
        """One listed instrument, kept in `symbols` under the spellings `symbol()` reads; KeyError / InvalidOrder
        for one this session does not trade."""
        info = SymbolInfo(s["instId"], s.get("baseCcy", ""), s.get("quoteCcy", ""), rules, code)
        self.symbols[s["instId"].replace("-", "").upper()] = info
        return info

    async def _ws_logon(self, conn: Any) -> None:
        """The `login` op: its reply carries no request id, so it arrives through _on_ws_message."""
        buf = self._buf
        buf.clear()
        self._ws_enc.login(buf, timestamp_s=int(self.now_ms() // 1000))
        fut = asyncio.get_running_loop().create_future()
        self._login_waiters[id(conn)] = fut
        try:
            conn.send(buf.getvalue())
            msg = await asyncio.wait_for(fut, self.timeout)
        finally:
            self._login_waiters.pop(id(conn), None)   # a login that timed out must not catch the next reply
        if msg.get("code") != "0":
            raise self._error_for(str(msg.get("code")), str(msg.get("msg", "")), 0, None, "login")

    def _heartbeat(self, conn: Any) -> None:
        conn.send("ping")   # OKX: the text string, answered by "pong"

    def _on_ws_message(self, payload: bytes, binary: bool, conn: Any = None) -> None:
        if payload == b"pong":   # the heartbeat's answer: the connection is alive, nothing to do
            return
        try:
            msg = orjson.loads(payload)
        except orjson.JSONDecodeError:
            logger.debug("okx: a WebSocket message that is not JSON was ignored (%d bytes)", len(payload))
            return
        if not isinstance(msg, dict):
            return
        event = msg.get("event")
        if event in ("login", "error"):
            w = self._login_waiters.get(id(conn))
            if w is not None and not w.done():
                w.set_result(msg)
                return
        if event is not None:
            self.unsolicited.append(msg)
            del self.unsolicited[:-100]   # keep the latest few
        if event == "notice" and str(msg.get("code")) == "64008" and conn is not None and not self._closed:
            # a service upgrade closes this connection in about 60 s: move to a fresh one first
            key = id(conn)
            if key not in self._rotating:
                self._rotating.add(key)
                task = asyncio.get_running_loop().create_task(self.ws_pool.rotate(conn))
                task.add_done_callback(lambda _t: self._rotating.discard(key))
                self._tasks.append(task)

    # -- replies -------------------------------------------------------------------------------------------
    def _one(self, d: Any, status: int, clid: str | None, action: str) -> dict[str, Any]:
        """The single order result inside an OKX reply, or the typed error."""
        if not isinstance(d, dict):
            raise _Unknown(VenueError(self.venue, status, "unexpected reply"))
        code = str(d.get("code", ""))
        items = d.get("data")
        item = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
        if code == "0" and item.get("sCode", "0") == "0":
            if not item:   # "success" without the order's result: nothing says what became of it
                raise _Unknown(VenueError(self.venue, status, "reply without a result"))
            return item
        if item.get("sCode") not in (None, "", "0"):
            raise self._error_for(str(item["sCode"]), str(item.get("sMsg", "")), status, clid, action)
        raise self._error_for(code, str(d.get("msg", "")), status, clid, action)

    async def _send(self, encode_rest, encode_ws, clid: str | None, lat: Latency, t_call: int,
                    action: str) -> tuple[dict[str, Any], dict[str, Any]]:
        buf = self._buf
        buf.clear()
        if self.transport == "rest" or encode_ws is None:
            encode_rest(buf)
            resp = await self.rest_send(buf.getvalue(), lat, t_call)
            self._reply_headers(resp, lat)
            return self._result(resp.body, resp.status, clid, lat, action)
        rid = self.next_request_id()
        encode_ws(buf, rid)
        return self._result(await self.ws_send(str(rid).encode(), buf.getvalue(), lat, t_call), 200, clid, lat,
                            action)

    def _result(self, body: bytes, status: int, clid: str | None, lat: Latency,
                action: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """A reply as (the parsed reply, its single order result), or the typed error."""
        try:
            d = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise _Unknown(exc) from None
        item = self._one(d, status, clid, action)
        if lat.exchange_us is None:
            gw = _gateway_us(d)
            if gw is not None:
                lat.exchange_us = gw
        return d, item

    def _order_fields(self, info: SymbolInfo, quantity: Any, type: str, tif: str, post_only: bool,
                      opts: Any) -> tuple[str, Any, str, str | None, SymbolRules | None, str | None, str | None, bool]:
        """(tdMode, sz, ordType, tgtCcy, the rules sz is checked against, stpMode, posSide, reduceOnly) of one
        order (type, tif and price were checked by Session.place_order; the options by _check_options)."""
        rules: SymbolRules | None = info.rules
        if type == "market":
            ord_type = "market"
            # spot market orders: sz in base currency (tgtCcy=base_ccy), as a limit order's would be
            tgt: str | None = "base_ccy"
        else:
            ord_type = "post_only" if post_only else _ORD_TYPE[tif]
            tgt = None
        stp = None
        if opts is not None:   # the less common keywords (OkxOps._check_options took them)
            stp = self._stp_mode(tif, opts)
            if opts.quote_quantity is not None:   # spend / receive this much quote: an amount, no lot-size rule
                quantity, tgt, rules = opts.quote_quantity, "quote_ccy", None
        return self.td_mode, quantity, ord_type, tgt, rules, stp, None, False

    async def _place(self, info, side, quantity, price, type, tif, post_only, clid, lat, t_call,
                     opts=None) -> Ack:
        # the order path, written out (no closures): it runs per order
        td, sz, ord_type, tgt, rules, stp, pside, reduce = self._order_fields(info, quantity, type, tif, post_only,
                                                                              opts)
        exp = opts.expire_ms if opts is not None else None
        s = "buy" if side == "BUY" else "sell"
        ttl = self.order_ttl_ms
        buf = self._buf
        buf.clear()
        if self.transport == "rest":
            ts = self.now_ms()
            self._rest_enc.place_order_request(buf, info.name, td, s, ord_type, sz=sz, cl_ord_id=clid,
                                               timestamp_ms=ts, px=price, tgt_ccy=tgt, rules=rules,
                                               exp_time_ms=exp or (ts + ttl if ttl else None), stp_mode=stp,
                                               pos_side=pside, reduce_only=reduce)
            resp = await self.rest_send(buf.getvalue(), lat, t_call)
            self._reply_headers(resp, lat)
            d, item = self._result(resp.body, resp.status, clid, lat, "place")
        else:
            if info.code < 0:
                raise no_code(info)
            rid = self.next_request_id()
            self._ws_enc.order(buf, rid, info.code, td, s, ord_type, sz=sz, cl_ord_id=clid, px=price,
                               tgt_ccy=tgt, rules=rules, exp_time_ms=exp or (self.now_ms() + ttl if ttl else None),
                               stp_mode=stp, pos_side=pside, reduce_only=reduce)
            d, item = self._result(await self.ws_send(str(rid).encode(), buf.getvalue(), lat, t_call), 200, clid,
                                   lat, "place")
        reply_ts = item.get("ts")
        # positional: the order of fastorder.types.Ack (base.ACK_FIELDS)
        return Ack(self.venue, info.name, item.get("clOrdId") or clid, str(item.get("ordId", "")), ACCEPTED, side,
                   "", "", "", "", int(reply_ts) if reply_ts else None, False, lat, d)

    async def _cancel(self, info, order_id, clid, lat, t_call) -> Ack:
        if info.code < 0 and self.transport == "ws":
            raise no_code(info)
        ts = self.now_ms()
        d, item = await self._send(
            lambda b: self._rest_enc.cancel_request(b, info.name, timestamp_ms=ts, ord_id=order_id, cl_ord_id=clid),
            lambda b, rid: self._ws_enc.cancel_order(b, rid, info.code, ord_id=order_id, cl_ord_id=clid),
            clid, lat, t_call, "cancel")
        # OKX: sCode 0 means the cancel was accepted; the final state comes from a query
        return Ack(venue=self.venue, symbol=info.name, client_order_id=item.get("clOrdId") or clid or "",
                   order_id=str(item.get("ordId", order_id or "")), status=CANCEL_REQUESTED,
                   exchange_ts_ms=int(item["ts"]) if item.get("ts") else None, latency=lat, raw=d)

    async def _query(self, info, order_id, clid, lat, t_call, *, rest=True) -> Ack:   # always REST
        ts = self.now_ms()
        d, item = await self._send(
            lambda b: self._rest_enc.query_request(b, info.name, timestamp_ms=ts, ord_id=order_id, cl_ord_id=clid),
            None, clid, lat, t_call, "query")
        return self._order_ack(item, info.name, lat, d, clid)

    def _order_ack(self, item: dict[str, Any], symbol: str, lat: Latency, raw: Any, clid: str | None = None) -> Ack:
        """An order as GET /api/v5/trade/order and orders-pending list it."""
        avg = item.get("avgPx", "")
        return Ack(venue=self.venue, symbol=symbol, client_order_id=item.get("clOrdId") or clid or "",
                   order_id=str(item.get("ordId", "")), status=_STATE.get(item.get("state", ""), ACCEPTED),
                   side=str(item.get("side", "")).upper(), price=item.get("px", ""), quantity=item.get("sz", ""),
                   filled_qty=item.get("accFillSz", ""), avg_price="" if avg in ("", "0") else avg,
                   exchange_ts_ms=int(item["uTime"]) if str(item.get("uTime", "")).isdigit() else None, latency=lat,
                   raw=raw)

    def _stream_part(self) -> Any:
        from fastorder.venues.okx_events import OkxStreamPart
        return OkxStreamPart(self)
