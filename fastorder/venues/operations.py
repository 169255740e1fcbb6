"""Trading operations beyond one order at a time: amend, batches, cancel-all, open orders, balances, and the
dead-man's switch (cancel on disconnect). `Session` inherits this part; each venue module overrides the hooks
(`_amend`, `_place_batch`, ...) for what the venue has. A venue without an operation raises `NotSupported`
naming the closest feature it has: nothing is emulated behind the caller's back unless the method says so
(batches fall back to pipelined single requests, as documented on each method).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from fastorder._core.buffer import WriteBuffer
from fastorder.errors import (
    ClientIdInUse,
    ConfigError,
    FastorderError,
    InvalidOrder,
    NotSupported,
    VenueError,
)
from fastorder.log import logger
from fastorder.types import Ack, Balance
from fastorder.venues.inputs import NUMBER_TYPES, check_amend, check_ids, check_number, check_text

if TYPE_CHECKING:
    from fastorder.venues.base import SymbolInfo

#: venue-neutral self-trade prevention modes (`place_order(stp=...)`); venue modules map them to the venue's
#: own values and may also take the venue's own spelling
STP_MODES = frozenset(("none", "cancel_taker", "cancel_maker", "cancel_both"))
#: environments `connect(..., env=...)` names; each venue module says which it has
ENVS = ("live", "testnet", "demo")


@dataclass(frozen=True, slots=True)
class OrderOptions:
    """place_order's less common keywords, handed to the venue's `_place` hook only when one is given (so the
    common order pays nothing for them)."""

    stp: str | None = None              # self-trade prevention (STP_MODES, or the venue's own value)
    stop_price: Any = None              # trigger price of a stop-loss / take-profit order
    quote_quantity: Any = None          # a market order that spends (buy) / receives (sell) this much quote asset
    expire_ms: int | None = None        # venue time (ms) after which the venue drops the request (OKX expTime)
    # perpetual swaps (fastorder.venues.perp): given only on a perp session's orders
    reduce_only: bool = False           # may only shrink the position
    position_side: str | None = None    # "long" / "short" (hedge mode), "net" (one-way), or the venue's value
    contracts: Any = None               # the size in the venue's contracts instead of quantity (base units)

    @property
    def perp(self) -> str:
        """The first perpetual-swap option given ("" for none): a spot session refuses it."""
        if self.reduce_only:
            return "reduce_only"
        if self.position_side is not None:
            return "position_side"
        return "contracts" if self.contracts is not None else ""


def order_options(stp: Any, stop_price: Any, quote_quantity: Any, expire_ms: Any, reduce_only: Any = False,
                  position_side: Any = None, contracts: Any = None) -> OrderOptions:
    """The options of one order, type-checked (a typed error before anything is sent)."""
    if reduce_only.__class__ is not bool:
        raise InvalidOrder(f"reduce_only must be True or False, not {type(reduce_only).__name__}",
                           field="reduce_only")
    if position_side is not None:
        check_text(position_side, "position_side")
    if stp is not None:
        check_text(stp, "stp")
    for name, v in (("contracts", contracts), ("stop_price", stop_price), ("quote_quantity", quote_quantity)):
        if v is not None:
            check_number(v, name)
    if expire_ms is not None and (isinstance(expire_ms, bool) or not isinstance(expire_ms, int) or expire_ms <= 0):
        raise InvalidOrder(f"expire_ms must be a positive int (venue time in ms), not {expire_ms!r}",
                           field="expire_ms")
    return OrderOptions(stp, stop_price, quote_quantity, expire_ms, reduce_only, position_side, contracts)


_ID_TYPES = frozenset((str, int))   # an order id's exact classes (bool is not int here)


class TradingOps:
    """The operations a quoting strategy needs besides place/cancel/query. Mixed into `Session`."""

    #: order types the venue module encodes, besides limit and market (e.g. "stop_loss_limit")
    order_types: ClassVar[frozenset[str]] = frozenset(("limit", "market"))
    #: the most orders one venue batch request takes; 0: the venue has no batch order entry
    batch_limit: ClassVar[int] = 0
    #: environments the venue module has hosts for
    envs: ClassVar[tuple[str, ...]] = ("live",)

    if TYPE_CHECKING:
        venue: str
        _symbol_cache: dict[str, SymbolInfo]

        place_order: Any        # Session's
        cancel_order: Any

        async def resolve_symbol(self, symbol: str) -> SymbolInfo: ...
        def _settled(self, ack: Ack) -> None: ...

    def _not_supported(self, what: str, closest: str) -> NotSupported:
        return NotSupported(f"{self.venue} has no {what}; closest: {closest}", venue=self.venue, closest=closest)

    # -- amend ---------------------------------------------------------------------------------------------
    async def amend_order(self, symbol: str, *, order_id: str | int | None = None,
                          client_order_id: str | None = None, quantity: Any = None, price: Any = None,
                          new_client_order_id: str | None = None) -> Ack:
        """Change a resting order's quantity and/or price in one request. Whether it keeps its place in the
        queue is the venue's rule (docs/venues/): Binance keeps priority only for a smaller quantity at the same
        price (order.amend.keepPriority) and otherwise cancels and replaces; OKX amend-order. Returns the
        amended order's Ack (for a cancel-replace, the new order's)."""
        # a re-price by order id (a requote) has exact classes: one comparison each, as place_order does;
        # anything else, and every error, through check_amend
        if (symbol.__class__ is not str or order_id.__class__ not in _ID_TYPES or client_order_id is not None
                or quantity is not None or price.__class__ not in NUMBER_TYPES or new_client_order_id is not None):
            check_amend(symbol, order_id, client_order_id, quantity, price, new_client_order_id)
        info = self._symbol_cache.get(symbol) or await self.resolve_symbol(symbol)   # a requote: on the hot path
        return await self._amend(info, order_id, client_order_id, quantity, price, new_client_order_id)

    async def _amend(self, info: SymbolInfo, order_id: Any, clid: str | None, quantity: Any, price: Any,
                     new_clid: str | None) -> Ack:
        raise self._not_supported("order amend", "cancel_order then place_order")

    # -- batches -------------------------------------------------------------------------------------------
    async def place_orders(self, orders: list[dict[str, Any]], *, batch: bool = True) -> list[Ack | BaseException]:
        """Several orders at once (each a dict of place_order's arguments); one result per order, in order:
        its Ack or the exception it raised. Where the venue has batch order entry (`batch_limit` > 0) and
        `batch` is true, orders go in venue batch requests of up to `batch_limit`; otherwise each is its own
        request, all in flight together (pipelined)."""
        if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
            raise InvalidOrder("orders must be a list of dicts of place_order's arguments", field="orders")
        if batch and self.batch_limit and len(orders) > 1:
            return await self._place_batches(orders)
        return list(await asyncio.gather(*(self.place_order(**o) for o in orders), return_exceptions=True))

    async def _place_batches(self, orders: list[dict[str, Any]]) -> list[Ack | BaseException]:
        raise self._not_supported("batch order entry", "place_orders(..., batch=False): pipelined single orders")

    async def _checked_batches(self, orders: list[dict[str, Any]],
                               check: Callable[[dict[str, Any], WriteBuffer], Awaitable[tuple[str, tuple[Any, ...]]]]
                               ) -> list[Ack | BaseException]:
        """A venue's batch entry, its shared shape: each order checked and encoded alone first by `check(order,
        scratch)` -> (its client id, what its batch needs); a bad one, or a client id given twice in one call, is
        its own result and the rest still go. Then `_admit_to_batch` for each, and batches of up to `batch_limit`
        in flight together through the venue's `_send_batch(chunk of (index, *what), results)`."""
        results: list[Ack | BaseException | None] = [None] * len(orders)
        ready: list[tuple[Any, ...]] = []
        scratch = WriteBuffer()
        clids: set[str] = set()
        try:
            for i, o in enumerate(orders):
                try:
                    clid, entry = await check(o, scratch)
                    if clid in clids:
                        raise ClientIdInUse(f"client_order_id {clid!r} is given twice in one call",
                                            field="client_order_id")
                    clids.add(clid)
                    await self._admit_to_batch(entry)
                    ready.append((i, *entry))
                except (FastorderError, TypeError, ValueError) as exc:
                    results[i] = exc
        finally:
            scratch.wipe()   # it held signed requests
        limit = self.batch_limit
        chunks = [ready[k:k + limit] for k in range(0, len(ready), limit)]
        await asyncio.gather(*(self._send_batch(c, results) for c in chunks))
        return [r if r is not None else VenueError(self.venue, "unexpected", "no result") for r in results]

    async def _admit_to_batch(self, entry: tuple[Any, ...]) -> None:
        """What a venue does for an order that passed its checks, before its batch is sent (nothing here)."""

    async def _send_batch(self, chunk: list[Any], results: list[Ack | BaseException | None]) -> None:
        raise self._not_supported("batch order entry", "place_orders(..., batch=False): pipelined single orders")

    async def cancel_orders(self, symbol: str, *, order_ids: list[str | int] | None = None,
                            client_order_ids: list[str] | None = None,
                            batch: bool = True) -> list[Ack | BaseException]:
        """Cancel several orders of one symbol (by exchange ids or client ids, not both); one result per id, in
        order. A venue batch cancel where the venue has one and `batch` is true; otherwise pipelined cancels."""
        check_text(symbol, "symbol")
        if (order_ids is None) == (client_order_ids is None):
            raise InvalidOrder("give order_ids or client_order_ids (one of them)", field="order_ids")
        ids: list[Any] = list(order_ids if order_ids is not None else client_order_ids or [])
        by_clid = client_order_ids is not None
        for i in ids:
            check_ids(symbol, None if by_clid else i, i if by_clid else None)
        if batch and self.batch_limit and len(ids) > 1:
            return await self._cancel_batches(await self.resolve_symbol(symbol), ids, by_clid)
        return list(await asyncio.gather(
            *((self.cancel_order(symbol, client_order_id=i) if by_clid else self.cancel_order(symbol, order_id=i))
              for i in ids), return_exceptions=True))

    async def _cancel_batches(self, info: SymbolInfo, ids: list[Any], by_clid: bool) -> list[Ack | BaseException]:
        raise self._not_supported("batch cancel", "cancel_orders(..., batch=False): pipelined cancels")

    async def amend_orders(self, amends: list[dict[str, Any]], *, batch: bool = True) -> list[Ack | BaseException]:
        """Several amends (each a dict of amend_order's arguments); one result per amend, in order. A venue
        batch amend where the venue has one and `batch` is true; otherwise pipelined amend_order calls."""
        if not isinstance(amends, list) or not all(isinstance(a, dict) for a in amends):
            raise InvalidOrder("amends must be a list of dicts of amend_order's arguments", field="amends")
        if batch and self.batch_limit and len(amends) > 1:
            return await self._amend_batches(amends)
        return list(await asyncio.gather(*(self.amend_order(**a) for a in amends), return_exceptions=True))

    async def _amend_batches(self, amends: list[dict[str, Any]]) -> list[Ack | BaseException]:
        raise self._not_supported("batch amend", "amend_orders(..., batch=False): pipelined amends")

    # -- the account's open orders and balances ---------------------------------------------------------
    async def cancel_all(self, symbol: str | None = None) -> list[Ack]:
        """Cancel every open order (of `symbol`, or of every symbol where the venue allows that) in as few
        requests as the venue allows; the Acks of the orders the venue cancelled (empty: nothing was open)."""
        check_text(symbol, "symbol", optional=True)
        info = await self.resolve_symbol(symbol) if symbol is not None else None
        acks = await self._cancel_all(info)
        for ack in acks:
            self._settled(ack)
        return acks

    async def _cancel_all(self, info: SymbolInfo | None) -> list[Ack]:
        raise self._not_supported("cancel-all", "open_orders() then cancel_orders()")

    async def open_orders(self, symbol: str | None = None) -> list[Ack]:
        """The account's open orders (of `symbol`, or of every symbol), as the venue lists them — including
        orders this session did not place. Needed at start and after a reconnect."""
        check_text(symbol, "symbol", optional=True)
        info = await self.resolve_symbol(symbol) if symbol is not None else None
        return await self._open_orders(info)

    async def _open_orders(self, info: SymbolInfo | None) -> list[Ack]:
        raise self._not_supported("open-orders listing", "query_order() per order")

    async def balances(self) -> dict[str, Balance]:
        """The trading account's balances by asset: free and locked, as the venue's decimal strings."""
        return await self._balances()

    async def _balances(self) -> dict[str, Balance]:
        raise self._not_supported("balance listing", "none")

    # -- dead-man's switch ---------------------------------------------------------------------------------
    #: seconds; None: off (`connect(..., cancel_on_disconnect=seconds)`)
    cancel_on_disconnect: float | None = None

    def _check_cancel_on_disconnect(self, seconds: Any) -> float | None:
        """At construction: the venue has a dead-man's switch and `seconds` is within its range."""
        if seconds is None:
            return None
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
            raise ConfigError(f"cancel_on_disconnect must be a positive number of seconds, not {seconds!r}",
                              field="cancel_on_disconnect")
        lo, hi = self._cancel_after_range()
        if not lo <= seconds <= hi:
            raise ConfigError(f"{self.venue}: cancel_on_disconnect must be between {lo:g} and {hi:g} s",
                              field="cancel_on_disconnect")
        return float(seconds)

    def _cancel_after_range(self) -> tuple[float, float]:
        """The timeouts the venue's dead-man's switch accepts, seconds (venue modules that have one say)."""
        raise ConfigError(f"{self.venue} has no dead-man's switch (cancel-all-after) for this market; closest: "
                          "cancel_all() when the strategy notices a problem", field="cancel_on_disconnect")

    async def _arm_cancel_after(self, seconds: float) -> None:
        """(Re-)arm the venue's dead-man's switch: cancel every open order unless re-armed within `seconds`."""
        raise self._not_supported("dead-man's switch", "cancel_all()")

    async def cancel_on_disconnect_loop(self) -> None:
        """Keep the dead-man's switch armed: re-arm at a third of its timeout, so two refreshes may fail before
        it fires. A refresh that fails is logged and tried again at the next tick (the switch still holds the
        last timeout). Never disarmed on close: a session that stops refreshing is what it exists to catch."""
        seconds = self.cancel_on_disconnect
        if seconds is None:
            return
        while True:
            await asyncio.sleep(seconds / 3)
            try:
                await self._arm_cancel_after(seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("%s: refreshing the dead-man's switch failed (%s: %s); retrying in %.1f s",
                               self.venue, type(exc).__name__, exc, seconds / 3)
