"""OKX trading operations beyond one order: batches (batch-orders, cancel-batch-orders, amend-batch-orders over
REST; batch-orders, batch-cancel-orders, batch-amend-orders over the WebSocket), amend-order, the open-order and
balance listings, cancel-all (list, then batch-cancel) and the dead-man's switch (cancel-all-after).

Mixed into `OkxSession` (fastorder.venues.okx). Wire formats and their public sources: docs/venues/okx.md.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any

import orjson

from fastorder._core.buffer import WriteBuffer
from fastorder._core.numbers import SymbolRules
from fastorder.errors import (
    ClientIdInUse,
    ConnectionLost,
    ExecutionUnknown,
    InvalidOrder,
    NotSupported,
    TimestampRejected,
    VenueError,
)
from fastorder.log import logger
from fastorder.types import (
    ACCEPTED,
    CANCEL_REQUESTED,
    NOT_SENT,
    Ack,
    Balance,
    Latency,
)
from fastorder.venues.base import (
    STP_MODES,
    Session,
    SymbolInfo,
    _order_kind,
    _side,
    _Unknown,
    perf_ns,
)
from fastorder.venues.inputs import check_amend, check_order
from fastorder.venues.operations import OrderOptions, order_options

VENUE = "okx"
#: most items in one batch request (batch-orders, cancel-batch-orders, amend-batch-orders)
BATCH_LIMIT = 20
#: cancel-all-after's timeOut, seconds (0 disarms it)
CAA_RANGE = (10.0, 120.0)
#: a page of GET /api/v5/trade/orders-pending; at most this many pages are read (10,000 orders)
PAGE = 100
MAX_PAGES = 100
# request kind -> (rate-limit window, published limit, window ms); "batch" windows count items, not requests
LIMITS = {"pending": (60, 2000), "balance": (10, 2000), "caa": (1, 1000), "amend": (60, 2000),
          "positions": (10, 2000), "leverage": (20, 2000), "posmode": (5, 2000), "config": (5, 2000),
          "batch-place": (300, 2000), "batch-cancel": (300, 2000), "batch-amend": (300, 2000)}
# per item kind: REST path, WebSocket op, action (error mapping)
_BATCH = {"place": ("/api/v5/trade/batch-orders", "batch-orders", "place"),
          "cancel": ("/api/v5/trade/cancel-batch-orders", "batch-cancel-orders", "cancel"),
          "amend": ("/api/v5/trade/amend-batch-orders", "batch-amend-orders", "amend")}


def _place_args(symbol: Any, side: Any, quantity: Any, price: Any = None, *, type: Any = "limit", tif: Any = "GTC",
                post_only: Any = False, client_order_id: Any = None, stp: Any = None, stop_price: Any = None,
                quote_quantity: Any = None, expire_ms: Any = None, reduce_only: Any = False,
                position_side: Any = None, contracts: Any = None) -> tuple[Any, ...]:
    """place_order's arguments of one order of place_orders (its signature: a TypeError for any other)."""
    return (symbol, side, quantity, price, type, tif, post_only, client_order_id, stp, stop_price, quote_quantity,
            expire_ms, reduce_only, position_side, contracts)


if [*inspect.signature(_place_args).parameters] != [*inspect.signature(Session.place_order).parameters][1:]:
    raise ImportError("Session.place_order's parameters changed: _place_args must follow")   # pragma: no cover
_STP = {"cancel_maker": "cancel_maker", "cancel_taker": "cancel_taker", "cancel_both": "cancel_both"}


def no_code(info: SymbolInfo) -> InvalidOrder:
    return InvalidOrder(f"okx listed {info.name} without an instIdCode, which WebSocket order operations need; "
                        "trade it with transport='rest'", field="symbol")


class _Item:
    """One order of a batch on its way: its checked arguments, then its result."""

    __slots__ = ("info", "side", "quantity", "price", "type", "tif", "post_only", "clid", "opts", "result")
    info: SymbolInfo
    side: str
    quantity: Any
    price: Any
    type: str
    tif: str
    post_only: bool
    clid: str
    opts: OrderOptions | None
    action = "place"
    order_id = None

    def __init__(self) -> None:
        self.result: Any = None   # Ack or exception once known


class OkxOps(Session):
    """The operations part of `OkxSession` (which fills in the encoders and the reply readers)."""

    batch_limit = BATCH_LIMIT
    envs = ("live", "demo")

    if TYPE_CHECKING:   # OkxSession's
        _rest_enc: Any
        _ws_enc: Any
        td_mode: str
        order_ttl_ms: int
        amend_cxl_on_fail: bool
        _scratch: WriteBuffer               # an item before it is framed (amend)
        _opc: dict[tuple[str, str], dict[str, int]]

        def _result(self, body: bytes, status: int, clid: str | None, lat: Latency,
                    action: str) -> tuple[dict[str, Any], dict[str, Any]]: ...
        inst_type: str

        def _order_ack(self, item: dict[str, Any], symbol: str, lat: Latency, raw: Any,
                       clid: str | None = None) -> Ack: ...
        def _order_fields(self, info: SymbolInfo, quantity: Any, type: str, tif: str, post_only: bool,
                          opts: Any) -> tuple[str, Any, str, str | None, SymbolRules | None, str | None, str | None,
                                              bool]: ...

    # -- options of place_order ----------------------------------------------------------------------------
    def _not_supported(self, what: str, closest: str) -> NotSupported:
        if what.startswith(("stop_loss", "take_profit")):
            # OKX spot stop / take-profit orders are algo orders: another endpoint and another order life cycle
            closest = ("OKX's algo orders (POST /api/v5/trade/order-algo, ordType conditional/trigger), which this "
                       "library does not send")
        return NotSupported(f"{self.venue} has no {what}; closest: {closest}", venue=self.venue, closest=closest)

    def _check_options(self, opts: OrderOptions, type: str) -> None:
        for name in ("reduce_only", "position_side", "contracts"):   # perpetual swaps': not this spot session's
            if getattr(opts, name) not in (None, False):
                raise self._not_supported(f"{name}= on spot orders", "a spot order without it")
        if opts.stp is not None:
            if opts.stp == "none":
                raise self._not_supported("way to turn self-trade prevention off (it is mandatory on OKX)",
                                          "stp='cancel_maker', OKX's default")
            if opts.stp not in _STP:
                raise InvalidOrder(f"stp must be one of {sorted(STP_MODES)}, not {opts.stp!r}", field="stp")
        if opts.stop_price is not None:
            raise self._not_supported("stop_loss orders", "")
        if opts.expire_ms is not None:
            now = self.now_ms()
            if opts.expire_ms <= now:
                raise InvalidOrder(f"expire_ms {opts.expire_ms} is not after the venue's clock ({now} ms)",
                                   field="expire_ms")
            # never later than the session's own deadline for the order (journal, recovery and the settler
            # count on it): a later one needs a longer order_ttl_ms
            latest = now + self.acceptance_window_ms - 1000
            if opts.expire_ms > latest:
                raise InvalidOrder(f"expire_ms is later than this session's deadline for an order ({latest} ms); "
                                   "raise order_ttl_ms for longer-lived requests", field="expire_ms")

    def _stp_mode(self, tif: str, opts: OrderOptions | None) -> str | None:
        if opts is None or opts.stp is None:
            return None
        if opts.stp == "cancel_both" and tif == "FOK":   # OKX: "Cancel both does not support FOK" (54036)
            raise InvalidOrder("OKX's cancel_both self-trade prevention does not take FOK orders", field="stp")
        return _STP[opts.stp]

    def _amend_size(self, info: SymbolInfo, quantity: Any) -> Any:
        """amend_order's new quantity as OKX's newSz (the swap session converts base units to contracts)."""
        return quantity

    def _exp_ms(self, opts: OrderOptions | None) -> int | None:
        if opts is not None and opts.expire_ms is not None:
            return opts.expire_ms
        ttl = self.order_ttl_ms
        return self.now_ms() + ttl if ttl else None

    # -- signed requests outside the order path -------------------------------------------------------------
    def _op_costs(self, kind: str, scope: str = "") -> dict[str, int]:
        """What one request (or batch item) of `kind` takes from its window, made once per (kind, scope)."""
        costs = self._opc.get((kind, scope))
        if costs is None:
            name = f"{kind}:{scope}" if scope else kind
            if name not in self.guard.windows:
                limit, window = LIMITS[kind]
                self.guard.set_limit(name, limit, window)
            costs = self._opc[(kind, scope)] = {name: 1}
        return costs

    async def _signed(self, method: str, path: str, body: bytes | None, action: str,
                      costs: dict[str, int], exp_ms: int | None = None) -> tuple[Any, int, Latency]:
        """One signed REST request: (its parsed reply, HTTP status, latency); the typed error of a refusal
        (code other than 0, 1, 2: a batch's per-item failures are the caller's); _Unknown without a reply."""
        if self.ledger.rate_limit:
            self.guard.check(costs)
        lat = Latency()
        t_call = perf_ns()
        buf = self._buf
        buf.clear()
        self._rest_enc.request(buf, method, path, body, timestamp_ms=self.now_ms(), exp_time_ms=exp_ms)
        resp = await self.rest_send(buf.getvalue(), lat, t_call)
        self._reply_headers(resp, lat)
        return self._checked(resp.body, resp.status, action), resp.status, lat

    def _error_for(self, code: str, msg: str, status: int, clid: str | None, action: str) -> BaseException:
        """A refusal as its typed error (fastorder.venues.okx.error_for; the swap session maps its own codes
        first)."""
        from fastorder.venues.okx import error_for
        return error_for(code, msg, status, clid, action)

    def _checked(self, body: bytes, status: int, action: str) -> dict[str, Any]:
        try:
            d = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise _Unknown(exc) from None
        if not isinstance(d, dict) or not isinstance(d.get("data"), list):
            raise _Unknown(VenueError(self.venue, status, "a reply without a data list"))
        code = str(d.get("code", ""))
        if code not in ("0", "1", "2") or (code != "0" and not d["data"]):
            err = self._error_for(code, str(d.get("msg", "")), status, None, action)
            self.ledger.refused(err)
            raise err
        return d

    async def _read(self, path: str, kind: str) -> list[Any]:
        """A GET whose data is a list (listings): its items; ConnectionLost when no reply came."""
        try:
            d, _, _ = await self._signed("GET", path, None, "query", self._op_costs(kind))
        except _Unknown as u:
            raise ConnectionLost(f"okx GET {path.split('?')[0]}: no usable reply ({u.cause})") from None
        except TimestampRejected:
            await self._on_timestamp_rejected()
            raise
        return d["data"]

    # -- open orders, balances, cancel-all ------------------------------------------------------------------
    async def _open_orders(self, info: SymbolInfo | None) -> list[Ack]:
        base = f"/api/v5/trade/orders-pending?instType={self.inst_type}" + (f"&instId={info.name}" if info else "")
        out: list[Ack] = []
        after = ""
        for _ in range(MAX_PAGES):   # newest first; `after` pages to older orders
            page = await self._read(base + (f"&after={after}" if after else ""), "pending")
            for item in page:
                if isinstance(item, dict):
                    out.append(self._order_ack(item, item.get("instId", ""), Latency(), item))
            if len(page) < PAGE:
                return out
            after = str(page[-1].get("ordId", "")) if isinstance(page[-1], dict) else ""
            if not after.isdigit():
                break
        logger.warning("okx: open orders listed up to %d; more may be open", len(out))
        return out

    async def _balances(self) -> dict[str, Balance]:
        data = await self._read("/api/v5/account/balance", "balance")
        out: dict[str, Balance] = {}
        for acct in data:
            for d in (acct.get("details") or []) if isinstance(acct, dict) else []:
                if isinstance(d, dict) and d.get("ccy"):
                    out[d["ccy"]] = Balance(d["ccy"], str(d.get("availBal", "")), str(d.get("frozenBal", "")))
        return out

    async def _cancel_all(self, info: SymbolInfo | None) -> list[Ack]:
        """OKX has no cancel-all for spot: the open orders are listed, then cancelled in batches of 20 per
        instrument. The Acks of the cancels OKX accepted; an order that ended meanwhile is left out."""
        by_inst: dict[str, list[str]] = {}
        for ack in await self._open_orders(info):
            by_inst.setdefault(ack.symbol, []).append(ack.order_id)
        out: list[Ack] = []
        for inst, ids in by_inst.items():
            sym = await self.resolve_symbol(inst)
            for r in await self._cancel_batches(sym, ids, False):
                if isinstance(r, Ack):
                    out.append(r)
                else:
                    logger.info("okx: cancel-all: an order of %s was not cancelled (%s: %s)", inst,
                                type(r).__name__, r)
        return out

    # -- the dead-man's switch ------------------------------------------------------------------------------
    def _cancel_after_range(self) -> tuple[float, float]:
        return CAA_RANGE

    async def _arm_cancel_after(self, seconds: float) -> None:
        """POST /api/v5/trade/cancel-all-after {"timeOut": "<s>"} (whole seconds; 0 disarms)."""
        body = orjson.dumps({"timeOut": str(round(seconds))})
        try:
            d, _, _ = await self._signed("POST", "/api/v5/trade/cancel-all-after", body, "caa", self._op_costs("caa"))
        except _Unknown as u:
            raise ConnectionLost(f"okx cancel-all-after: no usable reply ({u.cause})") from None
        item = d["data"][0] if d["data"] and isinstance(d["data"][0], dict) else {}
        logger.debug("okx: cancel-all-after armed for %s s (triggerTime %s)", seconds, item.get("triggerTime"))

    # -- amend ----------------------------------------------------------------------------------------------
    async def _amend(self, info: SymbolInfo, order_id: Any, clid: str | None, quantity: Any,
                     price: Any, new_clid: str | None) -> Ack:
        """amend-order: newSz (the new total, filled part included) and/or newPx. sCode 0 means OKX took the
        request; the order keeps its ordId and clOrdId. A lost reply: the order is queried and its state
        returned (reconciled=True)."""
        if new_clid is not None:
            raise self._not_supported("new client order id on amend (the order keeps its clOrdId)",
                                      "amend_order without new_client_order_id")
        lat = Latency()
        t_call = perf_ns()
        ws = self.transport == "ws"
        if ws and info.code < 0:
            raise no_code(info)
        if quantity is not None:
            quantity = self._amend_size(info, quantity)
        if self.ledger.rate_limit:
            self.guard.check(self._op_costs("amend", info.name))
        buf = self._buf
        item = self._scratch   # the amend object, then framed or signed into buf
        item.clear()
        ttl = self.order_ttl_ms
        try:
            if ws:
                self._ws_enc.amend_args(item, info.code, ord_id=order_id, cl_ord_id=clid, new_sz=quantity,
                                        new_px=price, cxl_on_fail=self.amend_cxl_on_fail, rules=info.rules)
                rid = self.next_request_id()
                buf.clear()
                self._ws_enc.op(buf, rid, "amend-order", item.getvalue(),
                                exp_time_ms=self.now_ms() + ttl if ttl else None)
                reply = await self.ws_send(str(rid).encode(), buf.getvalue(), lat, t_call)
                d, item_d = self._result(reply, 200, clid, lat, "amend")
            else:
                self._rest_enc.amend_body(item, info.name, ord_id=order_id, cl_ord_id=clid, new_sz=quantity,
                                          new_px=price, cxl_on_fail=self.amend_cxl_on_fail, rules=info.rules)
                buf.clear()
                ts = self.now_ms()
                self._rest_enc.request(buf, "POST", "/api/v5/trade/amend-order", item.getvalue(), timestamp_ms=ts,
                                       exp_time_ms=ts + ttl if ttl else None)
                resp = await self.rest_send(buf.getvalue(), lat, t_call)
                self._reply_headers(resp, lat)
                d, item_d = self._result(resp.body, resp.status, clid, lat, "amend")
        except _Unknown as u:
            logger.info("okx: amend of %s: outcome unknown (%s); querying the order", clid or order_id, u.cause)
            return await self.reconcile(info, clid, u.cause, lat, order_id=order_id)
        except TimestampRejected:
            await self._on_timestamp_rejected()
            raise
        except VenueError as exc:
            self.ledger.refused(exc)
            raise
        return Ack(self.venue, info.name, item_d.get("clOrdId") or clid or "", str(item_d.get("ordId") or order_id or ""),
                   ACCEPTED, "", "" if price is None else str(price), "" if quantity is None else str(quantity), "", "",
                   int(item_d["ts"]) if item_d.get("ts") else None, False, lat, d)

    # -- batches ----------------------------------------------------------------------------------------------
    async def _item(self, o: dict[str, Any]) -> _Item:
        """One order of place_orders, checked as place_order checks it (a typed error before anything)."""
        try:
            (symbol, side, quantity, price, type, tif, post_only, clid, stp, stop_price, quote_quantity,
             expire_ms, reduce_only, position_side, contracts) = _place_args(**o)
        except TypeError as exc:
            raise InvalidOrder(f"an order of place_orders has arguments place_order does not take ({exc})",
                               field="orders") from None
        it = _Item()
        opts = None
        if (stp is not None or stop_price is not None or quote_quantity is not None or expire_ms is not None
                or reduce_only is not False or position_side is not None or contracts is not None):
            opts = order_options(stp, stop_price, quote_quantity, expire_ms, reduce_only, position_side, contracts)
        if quote_quantity is not None or contracts is not None:   # sized otherwise (contracts: a swap's sz)
            other = "quote_quantity" if quote_quantity is not None else "contracts"
            if quantity is not None or (quote_quantity is not None and contracts is not None):
                raise InvalidOrder("give one of quantity, quote_quantity and contracts, not several", field=other)
            check_order(symbol, quote_quantity if contracts is None else contracts, price, clid, post_only)
        else:
            check_order(symbol, quantity, price, clid, post_only)
        info = self._symbol_cache.get(symbol)
        it.info = info if info is not None else await self.resolve_symbol(symbol)
        it.side = _side(side)
        it.type, it.tif = _order_kind(type, tif, price, post_only, opts)
        if it.type not in self.order_types:
            raise self._not_supported(f"{it.type} orders", "a limit or market order")
        if opts is not None:
            self._check_options(opts, it.type)
        it.quantity, it.price, it.post_only, it.opts = quantity, price, post_only, opts
        it.clid = clid or self.ids.next()
        return it

    async def _place_batches(self, orders: list[dict[str, Any]]) -> list[Ack | BaseException]:
        """batch-orders in requests of up to 20 (all in flight together). Each order is checked and journalled
        as place_order does; its result is its Ack or its typed error, in order. A request without a usable
        reply: each of its orders is looked up by client id (reconciled), as place_order does."""
        items: list[_Item | None] = []
        results: list[Ack | BaseException | None] = []
        seen: set[str] = set()
        for o in orders:
            try:
                it = await self._item(o) if isinstance(o, dict) else None
                if it is None:
                    raise InvalidOrder("each order must be a dict of place_order's arguments", field="orders")
                if it.clid in seen:
                    raise ClientIdInUse(f"client_order_id {it.clid!r} appears twice in the batch",
                                        field="client_order_id")
                seen.add(it.clid)
                items.append(it)
                results.append(None)
            except Exception as exc:   # this order's own error; the others go on
                items.append(None)
                results.append(exc)
        todo = [(i, it) for i, it in enumerate(items) if it is not None]
        chunks = [todo[k:k + BATCH_LIMIT] for k in range(0, len(todo), BATCH_LIMIT)]
        for chunk, outs in zip(chunks, await asyncio.gather(*(self._place_chunk([it for _, it in c]) for c in chunks)),
                               strict=True):
            for (i, _), r in zip(chunk, outs, strict=True):
                results[i] = r
        return [r if r is not None else ExecutionUnknown(self.venue, "unknown", "no result") for r in results]

    async def _place_chunk(self, items: list[_Item]) -> list[Ack | BaseException]:
        ws = self.transport == "ws"
        args = WriteBuffer()
        sent: list[_Item] = []
        for it in items:
            try:
                if ws and it.info.code < 0:
                    raise no_code(it.info)
                # OKX counts a batch's orders against the batch limit; a batch of one as a single order
                costs = None if len(items) == 1 else self._op_costs("batch-place", it.info.name)
                self.ledger.begin(it.info, it.clid, it.side, it.quantity, it.price, costs=costs)
            except Exception as exc:   # refused before anything was written: not live
                it.result = exc
                continue
            mark = len(args)
            if sent:
                args.write(b",")
            try:
                self._encode_order(args, it, ws)
            except Exception as exc:   # refused by the encoder: never sent
                args.truncate(mark)
                self.ledger.unsent(it.clid, NOT_SENT)
                it.result = exc
                continue
            sent.append(it)
        if sent:
            await self._send_items(sent, args.getvalue(), "place",
                                   min((self._exp_ms(it.opts) or 0 for it in sent), default=0) or None)
        return [it.result for it in items]

    def _encode_order(self, buf: WriteBuffer, it: _Item, ws: bool) -> None:
        td, sz, ord_type, tgt, rules, stp, pside, reduce = self._order_fields(it.info, it.quantity, it.type, it.tif,
                                                                              it.post_only, it.opts)
        s = "buy" if it.side == "BUY" else "sell"
        if ws:
            self._ws_enc.order_args(buf, it.info.code, td, s, ord_type, sz=sz, cl_ord_id=it.clid, px=it.price,
                                    tgt_ccy=tgt, rules=rules, stp_mode=stp, pos_side=pside, reduce_only=reduce)
        else:
            self._rest_enc.order_body(buf, it.info.name, td, s, ord_type, sz=sz, cl_ord_id=it.clid, px=it.price,
                                      tgt_ccy=tgt, rules=rules, stp_mode=stp, pos_side=pside, reduce_only=reduce)

    async def _send_items(self, sent: list[Any], args: bytes, kind: str, exp_ms: int | None) -> None:
        """Send one batch request (`sent`: its items, in order) and give each item its result."""
        path, op, action = _BATCH[kind]
        lat = Latency()
        t_call = perf_ns()
        try:
            if kind != "place" and self.ledger.rate_limit:   # new orders took theirs at ledger.begin
                costs: dict[str, int] = {}
                for r in sent:
                    one = (self._op_costs(f"batch-{kind}", r.info.name) if len(sent) > 1 else
                           self._request_costs("cancel", r.info) if kind == "cancel" else
                           self._op_costs("amend", r.info.name))
                    for k, v in one.items():
                        costs[k] = costs.get(k, 0) + v
                self.guard.check(costs)
            buf = self._buf
            buf.clear()
            if self.transport == "ws":
                rid = self.next_request_id()
                self._ws_enc.op(buf, rid, op, args, exp_time_ms=exp_ms)
                body, status = await self.ws_send(str(rid).encode(), buf.getvalue(), lat, t_call), 200
            else:
                self._rest_enc.request(buf, "POST", path, b"[" + args + b"]", timestamp_ms=self.now_ms(),
                                       exp_time_ms=exp_ms)
                resp = await self.rest_send(buf.getvalue(), lat, t_call)
                self._reply_headers(resp, lat)
                body, status = resp.body, resp.status
            d = self._checked(body, status, action)
            data = d["data"]
            if len(data) != len(sent) or not all(isinstance(x, dict) for x in data):
                raise _Unknown(VenueError(self.venue, status, "a batch reply whose items do not match the request"))
            self.recorder.record(self.venue, self.transport, lat)
        except BaseException as exc:   # the whole request: each item's result from what it met
            await self._all_failed(sent, kind, exc, lat, t_call)
            return
        failed = []
        for it, x in zip(sent, data, strict=True):
            scode = str(x.get("sCode", ""))
            if scode != "0":
                failed.append(self._failed(it, kind, self._error_for(scode, str(x.get("sMsg", "")), status, it.clid,
                                                               it.action), lat, t_call))
                continue
            ts = int(x["ts"]) if str(x.get("ts", "")).isdigit() else None
            if kind == "place":
                it.result = Ack(self.venue, it.info.name, x.get("clOrdId") or it.clid, str(x.get("ordId", "")), ACCEPTED,
                                it.side, "", "", "", "", ts, False, lat, d)
                self.ledger.settled(it.clid, it.result)
            else:
                it.result = Ack(self.venue, it.info.name, x.get("clOrdId") or it.clid or "",
                                str(x.get("ordId") or it.order_id or ""),
                                CANCEL_REQUESTED if kind == "cancel" else ACCEPTED, "", "", "", "", "", ts, False, lat, d)
        await asyncio.gather(*failed)

    async def _all_failed(self, sent: list[Any], kind: str, exc: BaseException, lat: Latency, t_call: int) -> None:
        """A whole batch request failed: each item as place_order / cancel_order would take it (a cancelled
        caller is re-raised once every item is accounted for)."""
        if isinstance(exc, TimestampRejected) and kind != "place":
            await self._on_timestamp_rejected()
        await asyncio.gather(*(self._failed(it, kind, exc, lat, t_call) for it in sent))
        if not isinstance(exc, Exception):
            raise exc

    async def _failed(self, it: Any, kind: str, exc: BaseException, lat: Latency, t_call: int) -> None:
        """One item's failure: a new order through place_order's own path (`_place_failed`: unknown ->
        reconciled by client id, refused -> not live, ...); a cancel or amend whose outcome is unknown is
        settled by querying the order."""
        try:
            if kind == "place":
                try:
                    raise exc
                except BaseException as e:   # _place_failed reads the exception being handled
                    ack = await self._place_failed(it.info, it.clid, e, lat, t_call)
                self.ledger.settled(it.clid, ack)
            elif isinstance(exc, _Unknown) or (isinstance(exc, Exception) and lat.client_ns and not isinstance(
                    exc, (VenueError, InvalidOrder, ConnectionLost))):
                cause = exc.cause if isinstance(exc, _Unknown) else exc
                ack = await self.reconcile(it.info, it.clid, cause, lat, order_id=it.order_id)
                self._settled(ack)
            else:
                self.ledger.refused(exc)
                it.result = exc
                return
            it.result = ack
        except BaseException as final:   # the item's error (ExecutionUnknown: left to the settler)
            it.result = final

    async def _cancel_batches(self, info: SymbolInfo, ids: list[Any], by_clid: bool) -> list[Ack | BaseException]:
        reqs = [_Req(info, None if by_clid else i, i if by_clid else None, "cancel") for i in ids]
        return await self._id_batches(reqs, "cancel")

    async def _amend_batches(self, amends: list[dict[str, Any]]) -> list[Ack | BaseException]:
        reqs: list[_Req | BaseException] = []
        for a in amends:
            try:
                reqs.append(await self._amend_req(a))
            except Exception as exc:
                reqs.append(exc)
        return await self._id_batches(reqs, "amend")

    async def _amend_req(self, a: dict[str, Any]) -> _Req:
        unknown = set(a) - {"symbol", "order_id", "client_order_id", "quantity", "price", "new_client_order_id"}
        if unknown or "symbol" not in a:
            raise InvalidOrder(f"an amend of amend_orders has arguments amend_order does not take "
                               f"({', '.join(sorted(unknown)) or 'no symbol'})", field="amends")
        check_amend(a["symbol"], a.get("order_id"), a.get("client_order_id"), a.get("quantity"), a.get("price"),
                    a.get("new_client_order_id"))
        if a.get("new_client_order_id") is not None:
            raise self._not_supported("new client order id on amend (the order keeps its clOrdId)",
                                      "amend_order without new_client_order_id")
        r = _Req(await self.resolve_symbol(a["symbol"]), a.get("order_id"), a.get("client_order_id"), "amend")
        r.quantity, r.price = a.get("quantity"), a.get("price")
        return r

    async def _id_batches(self, reqs: list[Any], kind: str) -> list[Ack | BaseException]:
        ws = self.transport == "ws"
        todo = [r for r in reqs if isinstance(r, _Req)]
        chunks = [todo[k:k + BATCH_LIMIT] for k in range(0, len(todo), BATCH_LIMIT)]

        async def one(chunk: list[_Req]) -> None:
            args = WriteBuffer()
            sent: list[_Req] = []
            for r in chunk:
                mark = len(args)
                if sent:
                    args.write(b",")
                try:
                    if ws and r.info.code < 0:
                        raise no_code(r.info)
                    self._encode_id_item(args, r, kind, ws)
                except Exception as exc:
                    args.truncate(mark)
                    r.result = exc
                    continue
                sent.append(r)
            if sent:
                await self._send_items(sent, args.getvalue(), kind, self._exp_ms(None) if kind == "amend" else None)

        await asyncio.gather(*(one(c) for c in chunks))
        out: list[Ack | BaseException] = []
        for r in reqs:
            res = r.result if isinstance(r, _Req) else r
            if isinstance(res, Ack):
                self._settled(res)
            out.append(res if res is not None else ExecutionUnknown(self.venue, "unknown", "no result"))
        return out

    def _encode_id_item(self, buf: WriteBuffer, r: _Req, kind: str, ws: bool) -> None:
        ids = {"ord_id": r.order_id, "cl_ord_id": r.clid}
        if kind == "cancel":
            if ws:
                self._ws_enc.cancel_args(buf, r.info.code, **ids)
            else:
                self._rest_enc.cancel_body(buf, r.info.name, **ids)
            return
        kw = dict(ids, new_sz=None if r.quantity is None else self._amend_size(r.info, r.quantity), new_px=r.price, cxl_on_fail=self.amend_cxl_on_fail, rules=r.info.rules)
        if ws:
            self._ws_enc.amend_args(buf, r.info.code, **kw)
        else:
            self._rest_enc.amend_body(buf, r.info.name, **kw)


class _Req:
    """One cancel or amend of a batch, by exchange id or client id; then its result."""

    __slots__ = ("info", "order_id", "clid", "action", "quantity", "price", "result", "side")

    def __init__(self, info: SymbolInfo, order_id: Any, clid: str | None, action: str) -> None:
        self.info, self.order_id, self.clid, self.action = info, order_id, clid, action
        self.quantity = self.price = None
        self.result: Any = None
        self.side = ""
