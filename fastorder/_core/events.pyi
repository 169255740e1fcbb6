"""Order events of the venues' private streams, decoded from the frame bytes in one pass.

Each `decode_*` takes one WebSocket text frame (bytes) and the local receive time (`time.perf_counter_ns()`
clock; 0 = now) and returns:
- a list of `OrderEvent` for an order update (Binance `executionReport`, OKX `orders` push: one per item of
  `data`, HTX `orders#…` / `trade.clearing#…` push);
- None for a well-formed frame that is not an order update (pings, login/subscribe replies, errors, balance
  and account events, `eventStreamTerminated`, other channels): the caller reads those itself.
It raises `fastorder.errors.MalformedEvent` for a frame that is not JSON (RFC 8259 structure, nesting up to 64)
or an order update without its mandatory fields (Binance s, X, i|c; OKX instId, ordId, state; HTX symbol,
orderStatus, eventType, orderId|clientOrderId) or with an unknown status; TypeError for a frame that is not
bytes. Fields are the venue's own text (decimal strings as sent, the venue's symbol spelling); absent -> "".

Mapping (status is one of fastorder.types NEW, PARTIALLY_FILLED, FILLED, CANCELED, REJECTED, EXPIRED):
- Binance: X -> status (PENDING_NEW -> NEW, PENDING_CANCEL -> CANCELED, EXPIRED_IN_MATCH -> EXPIRED); x ->
  exec_type as sent; client_order_id = C when non-empty (a cancel's event) else c; order_id = i; price p,
  quantity q, filled_qty z; for x == TRADE: last fill L/l, fee n/N, trade_id t; exchange_ts_ms = E.
- OKX: state live/partially_filled/filled/canceled/mmp_canceled; exec_type TRADE when tradeId is set and
  fillSz is not zero (then fillPx/fillSz, fee = -fillFee: OKX writes a charge negative, OrderEvent.fee is the
  amount paid, a rebate negative; fillFeeCcy, tradeId), else NEW (live, partially_filled) or CANCELED;
  price px, quantity sz, filled_qty accFillSz; exchange_ts_ms = uTime.
- HTX: orderStatus submitted/created -> NEW, partial-filled, filled, partial-canceled/canceled -> CANCELED,
  rejected; eventType creation -> NEW, trade -> TRADE, cancellation/deletion -> CANCELED, trigger -> REJECTED;
  side = orderSide or the prefix of type; price orderPrice, quantity orderSize, filled_qty execAmt; for trade:
  tradePrice/tradeVolume/tradeId, fee transactFee / feeCurrency (trade.clearing only); exchange_ts_ms =
  tradeTime for trades, else lastActTime or orderCreateTime.
"""

from collections.abc import Callable

class OrderEvent:
    """One change of one order, as the venue's private stream reported it (same statuses as `Ack`).

    exec_type: what happened (NEW, TRADE, CANCELED, REJECTED, EXPIRED, and Binance's own REPLACED /
    TRADE_PREVENTION; SNAPSHOT for an event made from a REST query after a stream gap). last_fill_*, fee, fee_asset, trade_id: set for a TRADE only. fee: the amount paid in
    fee_asset (a rebate negative). exchange_ts_ms: the venue's event time. recv_ns: when the frame was read
    (time.perf_counter_ns() clock). snapshot: True when the event was made from a REST query after a stream
    gap, not read from the stream.
    """

    venue: str
    symbol: str
    client_order_id: str
    order_id: str
    status: str
    side: str
    price: str
    quantity: str
    last_fill_price: str
    last_fill_qty: str
    filled_qty: str
    fee: str
    fee_asset: str
    trade_id: str
    exec_type: str
    exchange_ts_ms: int | None
    recv_ns: int
    snapshot: bool

    def __init__(self, venue: str, symbol: str, client_order_id: str, order_id: str = "", status: str = "NEW",
                 side: str = "", price: str = "", quantity: str = "", last_fill_price: str = "",
                 last_fill_qty: str = "", filled_qty: str = "", fee: str = "", fee_asset: str = "",
                 trade_id: str = "", exec_type: str = "", exchange_ts_ms: int | None = None, recv_ns: int = 0,
                 snapshot: bool = False) -> None: ...
    @property
    def is_final(self) -> bool: ...
    @property
    def is_fill(self) -> bool: ...
    def to_dict(self) -> dict[str, object]: ...

FIELDS: tuple[str, ...]
FINAL_STATES: frozenset[str]   # fastorder.types.FINAL_STATES

def decode_binance(data: bytes, recv_ns: int = 0) -> list[OrderEvent] | None: ...
def decode_binance_futures(data: bytes, recv_ns: int = 0) -> list[OrderEvent] | None:
    """A USDⓈ-M futures user-data-stream frame: [OrderEvent] for ORDER_TRADE_UPDATE (fields of its "o"; a
    modify's AMENDMENT is exec_type "AMENDED"), None for any other event."""
def decode_okx(data: bytes, recv_ns: int = 0) -> list[OrderEvent] | None: ...
def decode_htx(data: bytes, recv_ns: int = 0) -> list[OrderEvent] | None: ...

DECODERS: dict[str, Callable[[bytes, int], list[OrderEvent] | None]]
