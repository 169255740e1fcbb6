"""OKX perpetual swaps (instType SWAP, the linear USDT-margined contracts) over the same v5 endpoints as spot:
`fastorder.connect("okx", ..., market="perp")`. Wire details and their public sources: docs/venues/okx-swap.md.

The spot session's machinery (signing, WebSocket login and instIdCode, batches, amend, recovery) with what a
swap order adds: `tdMode` cross / isolated, `posSide` (net, or long / short in long/short mode), `reduceOnly`,
and a size `sz` in contracts of `ctVal` base units each (GET /api/v5/public/instruments?instType=SWAP).
`quantity=` is base units, converted exactly to contracts (refused when it is no exact number of contracts; the
instrument's lotSz, in contracts, is checked with tickSz and minSz before anything is sent); `contracts=` gives
the count itself. Acks, positions and order events report quantities in base units (`Position.contracts` in
contracts). The venue name is "okx_swap": a journal of spot orders never recovers a swap order, nor the reverse.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from fastorder._core.events import OrderEvent, decode_okx
from fastorder._core.numbers import SymbolRules
from fastorder.errors import (
    ConfigError,
    ConnectionLost,
    InsufficientMargin,
    InvalidOrder,
    MaxPositionExceeded,
    PositionSideMismatch,
    ReduceOnlyRejected,
    VenueError,
)
from fastorder.log import logger
from fastorder.types import Ack, Latency, Position
from fastorder.venues.base import SymbolInfo, _Unknown
from fastorder.venues.okx import _ORD_TYPE, OkxSession
from fastorder.venues.okx import error_for as _spot_error_for
from fastorder.venues.okx_events import OkxStreamPart
from fastorder.venues.operations import OrderOptions
from fastorder.venues.perp import (
    MARGIN_MODES,
    PerpOps,
    decimal_text,
    exact,
    perp_key,
    position_side_name,
    quantity_to_contracts,
)

VENUE = "okx_swap"
# the perp rejections (error-code table, "Trade Class"), typed so a strategy can tell them apart
_PERP_ERRORS: dict[str, type[VenueError]] = {
    "51008": InsufficientMargin,     # "Order failed. Insufficient {ccy} margin in account"
    "51169": ReduceOnlyRejected,     # "... don't have any positions in this direction ... to reduce or close"
    "51170": ReduceOnlyRejected,     # "A reduce-only order can't be the same trading direction as your positions"
    "51112": ReduceOnlyRejected,     # "Close order size exceeds available size for this position."
    "51205": ReduceOnlyRejected,     # "Reduce Only is not available."
    "51004": MaxPositionExceeded,    # "... can't be more than {n}(contracts) ... maximum position ... leverage"
    "51105": MaxPositionExceeded,
    "51187": MaxPositionExceeded,
}


def error_for(code: str, msg: str, status: int, clid: str | None, action: str) -> BaseException:
    """A swap refusal as its typed error: the perp codes above ("51000 Parameter posSide error" is the position
    side against the account's position mode), then the spot mapping under this venue's name."""
    cls = _PERP_ERRORS.get(code) if status < 500 else None
    if code == "51000" and "posSide" in msg:
        cls = PositionSideMismatch
    if cls is not None:
        return cls(VENUE, code, msg, http_status=status, client_order_id=clid)
    return _spot_error_for(code, msg, status, clid, action, VENUE)


def _contract_size(s: dict[str, Any]) -> Decimal:
    """ctVal of a linear swap (base units per contract); InvalidOrder for any other instrument (an inverse
    swap's ctVal is in USD, and a ctMult other than 1 would scale it)."""
    if s.get("ctType") != "linear" or str(s.get("ctMult") or "1") != "1":
        raise InvalidOrder(f"{s.get('instId')} is not a linear swap", field="symbol")
    try:
        size = Decimal(str(s["ctVal"]))
    except InvalidOperation:
        raise InvalidOrder(f"{s.get('instId')}: ctVal {s['ctVal']!r} is not a number", field="symbol") from None
    if not size.is_finite() or size <= 0:
        raise InvalidOrder(f"{s.get('instId')}: ctVal {size} is not positive", field="symbol")
    return size


class OkxSwapSession(PerpOps, OkxSession):
    """An open session to OKX perpetual swaps. See `fastorder.connect(..., market="perp")`."""

    venue = VENUE
    market = "perp"
    inst_type = "SWAP"

    def __init__(self, *, td_mode: str = "cross", **kw: Any) -> None:
        if td_mode not in MARGIN_MODES:
            raise ConfigError(f"td_mode must be cross or isolated on OKX swaps, not {td_mode!r}", field="td_mode")
        #: base units per contract (ctVal), by instId
        self.contract_sizes: dict[str, Decimal] = {}
        #: tdMode per instId, from set_margin_mode (OKX takes the margin mode with each order); else td_mode
        self.margin_modes: dict[str, str] = {}
        self._sz_cache: dict[tuple[str, str], str] = {}   # (instId, quantity as text) -> sz
        super().__init__(td_mode=td_mode, **kw)

    def _error_for(self, code: str, msg: str, status: int, clid: str | None, action: str) -> BaseException:
        return error_for(code, msg, status, clid, action)

    def _instrument(self, s: dict[str, Any], rules: SymbolRules, code: int) -> SymbolInfo:
        size = _contract_size(s)
        info = SymbolInfo(s["instId"], s.get("ctValCcy", ""), s.get("settleCcy", ""), rules, code)
        self.symbols[perp_key(s["instId"])] = info
        self.contract_sizes[s["instId"]] = size
        self._sz_cache.clear()   # sizes converted with an older ctVal
        return info

    # -- orders ---------------------------------------------------------------------------------------------
    def _check_options(self, opts: OrderOptions, type: str) -> None:
        if opts.quote_quantity is not None:   # tgtCcy: spot market orders only
            raise self._not_supported("quote_quantity on swap orders", "quantity= or contracts=")
        super()._check_options(self._perp_options(opts), type)

    def _contracts(self, info: SymbolInfo, quantity: Any, opts: OrderOptions | None) -> str:
        """The order's sz: contracts= as given, or quantity= (base units) over ctVal, exactly. A quantity given as
        text is converted once per instrument and remembered (a strategy repeats its sizes; the Decimal division
        is most of the swap order's extra cost)."""
        if opts is not None and opts.contracts is not None:
            return decimal_text(exact(opts.contracts, "contracts"))
        text = quantity.__class__ is str
        if text:
            sz = self._sz_cache.get((info.name, quantity))
            if sz is not None:
                return sz
        sz = decimal_text(quantity_to_contracts(quantity, self.contract_sizes[info.name], whole=False))
        if text:
            if len(self._sz_cache) >= 4096:
                self._sz_cache.clear()
            self._sz_cache[(info.name, quantity)] = sz
        return sz

    def _order_fields(self, info: SymbolInfo, quantity: Any, type: str, tif: str, post_only: bool,
                      opts: Any) -> tuple[str, Any, str, str | None, SymbolRules | None, str | None, str | None, bool]:
        ord_type = "market" if type == "market" else "post_only" if post_only else _ORD_TYPE[tif]
        stp = pside = None
        reduce = False
        if opts is not None:
            stp = self._stp_mode(tif, opts)
            reduce = opts.reduce_only
            if opts.position_side is not None:
                pside = position_side_name(opts.position_side)
        return (self.margin_modes.get(info.name, self.td_mode), self._contracts(info, quantity, opts), ord_type,
                None, info.rules, stp, pside, reduce)

    def _amend_size(self, info: SymbolInfo, quantity: Any) -> Any:
        return decimal_text(quantity_to_contracts(quantity, self.contract_sizes[info.name], whole=False))

    def _base(self, symbol: str, contracts: Any) -> str:
        """A size in contracts as base units ("" stays ""; an instrument not loaded keeps its contracts)."""
        size = self.contract_sizes.get(symbol)
        if not contracts or size is None:
            return str(contracts or "")
        try:
            return decimal_text(Decimal(str(contracts)) * size)
        except InvalidOperation:
            return str(contracts)

    def _order_ack(self, item: dict[str, Any], symbol: str, lat: Latency, raw: Any, clid: str | None = None) -> Ack:
        ack = super()._order_ack(item, symbol, lat, raw, clid)
        ack.quantity = self._base(symbol, ack.quantity)
        ack.filled_qty = self._base(symbol, ack.filled_qty)
        return ack

    # -- the account (fastorder.venues.perp) ----------------------------------------------------------------
    async def _post(self, path: str, body: dict[str, str], kind: str) -> list[Any]:
        """One signed POST off the order path: its data; ConnectionLost when no reply came."""
        try:
            d, _, _ = await self._signed("POST", path, orjson.dumps(body), "account", self._op_costs(kind))
        except _Unknown as u:
            raise ConnectionLost(f"{VENUE} POST {path}: no usable reply ({u.cause})") from None
        return d["data"]

    async def _positions(self, info: SymbolInfo | None) -> list[Position]:
        """GET /api/v5/account/positions?instType=SWAP[&instId=…]: pos is signed in net mode, positive with
        posSide long / short in long/short mode; here signed in both (short negative)."""
        rows = await self._read("/api/v5/account/positions?instType=SWAP" + (f"&instId={info.name}" if info else ""),
                                "positions")
        out = []
        for d in rows:
            if not isinstance(d, dict) or d.get("instId") not in self.contract_sizes:
                continue   # an inverse swap, or an instrument this session does not trade
            try:
                n = Decimal(str(d.get("pos") or "0"))
            except InvalidOperation:
                logger.warning("%s: a position of %s with pos %r was skipped", VENUE, d.get("instId"), d.get("pos"))
                continue
            if not n:
                continue   # listed with open interest 0 (the docs: an instrument that once had a position)
            side = str(d.get("posSide") or "net")
            if side == "short":
                n = -abs(n)
            inst = d["instId"]
            lev = str(d.get("lever") or "")
            out.append(Position(VENUE, inst, side if side in ("long", "short") else "net",
                                decimal_text(n * self.contract_sizes[inst]), decimal_text(n), str(d.get("avgPx", "")),
                                str(d.get("markPx", "")), str(d.get("upl", "")), int(lev) if lev.isdigit() else None,
                                str(d.get("mgnMode", "")), d))
        return out

    async def _long_short(self) -> bool:
        """The account's position mode, from GET /api/v5/account/config (posMode)."""
        data = await self._read("/api/v5/account/config", "config")
        item = data[0] if data and isinstance(data[0], dict) else {}
        return item.get("posMode") == "long_short_mode"

    async def _set_leverage(self, info: SymbolInfo, leverage: int) -> int:
        """POST /api/v5/account/set-leverage with the instrument's margin mode; an isolated instrument in
        long/short mode has one leverage per side: both are set."""
        mode = self.margin_modes.get(info.name, self.td_mode)
        sides: list[str | None] = ["long", "short"] if mode == "isolated" and await self._long_short() else [None]
        lever = ""
        for side in sides:
            body = {"instId": info.name, "lever": str(leverage), "mgnMode": mode}
            if side is not None:
                body["posSide"] = side
            data = await self._post("/api/v5/account/set-leverage", body, "leverage")
            item = data[0] if data and isinstance(data[0], dict) else {}
            lever = str(item.get("lever", ""))
        try:
            return int(Decimal(lever))
        except InvalidOperation:
            raise VenueError(VENUE, "reply", "set-leverage: no lever in the reply") from None

    async def _set_margin_mode(self, info: SymbolInfo, mode: str) -> None:
        """OKX has no margin-mode switch: each order says its own (tdMode). From now on this session sends
        `mode` with the instrument's orders (nothing is sent now)."""
        self.margin_modes[info.name] = mode

    async def _set_position_mode(self, hedge: bool) -> None:
        await self._post("/api/v5/account/set-position-mode",
                         {"posMode": "long_short_mode" if hedge else "net_mode"}, "posmode")

    def _stream_part(self) -> Any:
        return OkxSwapStreamPart(self)


class OkxSwapStreamPart(OkxStreamPart):
    """The `orders` channel for instType SWAP: OKX's sizes are contracts; each event carries base units."""

    def decode(self, data: bytes, recv_ns: int = 0) -> list[OrderEvent] | None:
        evs = decode_okx(data, recv_ns)
        if evs is None:
            return None
        base = self.s._base
        sizes = self.s.contract_sizes
        return [OrderEvent(VENUE, e.symbol, e.client_order_id, e.order_id, e.status, e.side, e.price,
                           base(e.symbol, e.quantity), e.last_fill_price, base(e.symbol, e.last_fill_qty),
                           base(e.symbol, e.filled_qty), e.fee, e.fee_asset, e.trade_id, e.exec_type,
                           e.exchange_ts_ms, e.recv_ns, e.snapshot) for e in evs if e.symbol in sizes]


__all__ = ["VENUE", "OkxSwapSession", "error_for"]
