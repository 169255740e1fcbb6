"""The order journal: every order is written down before it is sent, and its outcome when it is known, so a
client that crashes (even `kill -9`) in the middle of a burst can find out, after a restart, what became of
every order it sent.

The file is append-only JSON lines, one `write()` per record (an O_APPEND write of a few hundred bytes lands
whole). Records: `{"t":"P", ...}` pending (written before the bytes go out), `{"t":"F", "c": id, "st": status,
"o": order id}` final. No secret is ever written: only venue, symbol, side, quantity, price, client order id.

fsync policy (`fsync=`): "always" makes each record durable before the order is sent (survives power loss;
costs a disk flush per order), "batch" flushes at most every `batch_ms` (a power loss may lose the last
batch), "never" leaves durability to the OS (survives a process crash or kill -9, not a power loss).
`bench/journal_cost.py` measures what each costs here.
"""

from __future__ import annotations

import os
import time
from typing import Any

import orjson

POLICIES = ("always", "batch", "never")


class OrderJournal:
    def __init__(self, path: str | os.PathLike[str], *, fsync: str = "batch", batch_ms: float = 5.0) -> None:
        if fsync not in POLICIES:
            raise ValueError(f"fsync must be one of {POLICIES}")
        self.path = os.fspath(path)
        self.policy = fsync
        self.batch_ns = int(batch_ms * 1e6)
        self._pending: dict[str, dict[str, Any]] = {}
        self._final: dict[str, dict[str, Any]] = {}
        self._load()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._last_sync = time.monotonic_ns()
        self._dirty = False

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return
        for line in data.split(b"\n"):
            if not line:
                continue
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue   # a record torn by a crash mid-write: its order was never sent (written first)
            if rec.get("t") == "P":
                self._pending[rec["c"]] = rec
            elif rec.get("t") == "F":
                self._final[rec["c"]] = rec
                self._pending.pop(rec["c"], None)

    def _write(self, rec: dict[str, Any]) -> None:
        os.write(self._fd, orjson.dumps(rec) + b"\n")
        if self.policy == "always":
            os.fdatasync(self._fd)
        elif self.policy == "batch":
            now = time.monotonic_ns()
            if now - self._last_sync >= self.batch_ns:
                os.fdatasync(self._fd)
                self._last_sync = now
                self._dirty = False
            else:
                self._dirty = True

    def sent(self, venue: str, symbol: str, client_order_id: str, side: str, quantity: Any, price: Any,
             ts_ms: int, expires_ms: int = 0) -> None:
        """Record an order about to be sent (call before its bytes leave). `expires_ms`: the venue time after
        which the venue can no longer accept it (its timestamp window), 0 if unknown."""
        rec = {"t": "P", "v": venue, "s": symbol, "c": client_order_id, "d": side, "q": str(quantity),
               "p": "" if price is None else str(price), "ts": ts_ms, "exp": expires_ms}
        self._pending[client_order_id] = rec
        self._write(rec)

    def final(self, client_order_id: str, status: str, order_id: str = "") -> None:
        """Record that the order's outcome is known (an ack, a rejection, or a reconciliation)."""
        rec = {"t": "F", "c": client_order_id, "st": status, "o": order_id}
        self._pending.pop(client_order_id, None)
        self._final[client_order_id] = rec
        self._write(rec)

    def pending(self, venue: str | None = None) -> list[dict[str, Any]]:
        """Orders sent whose outcome was never recorded."""
        return [r for r in self._pending.values() if venue is None or r["v"] == venue]

    def outcome(self, client_order_id: str) -> dict[str, Any] | None:
        return self._final.get(client_order_id)

    def flush(self) -> None:
        if self._dirty:
            os.fdatasync(self._fd)
            self._dirty = False

    def compact(self) -> None:
        """Rewrite the file with only the pending records (atomically: a crash leaves old or new)."""
        tmp = self.path + ".tmp"
        with open(tmp, "wb") as f:
            for rec in self._pending.values():
                f.write(orjson.dumps(rec) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.close(self._fd)
        os.replace(tmp, self.path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._final.clear()

    def close(self) -> None:
        if self._fd >= 0:
            self.flush()
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> OrderJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
