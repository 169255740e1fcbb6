"""The order journal: every order is written down before it is sent, and its outcome when it is known, so a
client that crashes (even `kill -9`, or a power loss with fsync="always") in the middle of a burst can find
out, after a restart, what became of every order it sent.

Records are appended, one `write()` each (a short write is completed or reported, never ignored), and each
is self-delimiting and checked::

    \\x1f J <payload length: 8 hex> <CRC-32 of the payload: 8 hex> <payload: one JSON object> \\n

The marker byte 0x1f never occurs inside a payload (JSON escapes every control character), so on reload a
record torn by a crash, a short write or a power loss is skipped and reading resumes at the next marker: no
complete record after a torn one is lost. A torn tail is cut off when the journal is opened again.

Payloads: `{"t":"P", ...}` pending (written before the bytes go out), `{"t":"F", "c": id, "st": status, "o":
order id}` final. No secret is ever written: only venue, symbol, side, quantity, price, client order id.

fsync policy (`fsync=`): "always" makes each record durable before the order is sent (survives power loss;
costs a disk flush per order), "batch" flushes at most every `batch_ms` and, when writing stops, within
`batch_ms` of the last record (a background timer; a power loss may lose the last batch), "never" leaves
durability to the OS (survives a process crash or kill -9, not a power loss). The directory is synced when
the file is created or replaced, so the file itself survives a power loss. `bench/journal_cost.py`
measures what each policy costs here.

Failures: if a pending record cannot be written, `sent()` raises JournalError and the order must not be
sent (Session does not send it). If a final record cannot be written, the outcome is kept in memory, the
journal is marked `degraded` and the failure logged (logger "fastorder"): the caller of the order still gets
its result; on restart the order is pending and `recover()` asks the venue again.

One writer per path: the journal holds an exclusive lock (`<path>.lock`, flock) while open; a second
journal on the same path, in this process or another, gets JournalLocked.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import weakref
import zlib
from typing import Any

import orjson

from fastorder.errors import JournalError, JournalLocked

POLICIES = ("always", "batch", "never")
MARKER = b"\x1fJ"
_HEAD = len(MARKER) + 16   # marker + length + CRC, hex

log = logging.getLogger("fastorder")


def encode_record(rec: dict[str, Any]) -> bytes:
    """One record as written to the file."""
    payload = orjson.dumps(rec)
    return b"%s%08x%08x%s\n" % (MARKER, len(payload), zlib.crc32(payload), payload)


def decode_records(data: bytes) -> tuple[list[tuple[int, int, dict[str, Any]]], int]:
    """Every complete, intact record in `data` as (start, end, record), and the number of torn or corrupt
    stretches skipped. A stretch that fails its length or checksum is skipped up to the next marker."""
    out: list[tuple[int, int, dict[str, Any]]] = []
    torn = 0
    pos = 0
    n = len(data)
    find = data.find
    while pos < n:
        i = find(MARKER, pos)
        if i < 0:   # bytes with no marker after them: a torn record
            torn += 1
            break
        if i != pos:   # bytes before the marker: the rest of a torn record
            torn += 1
        rec, stop = _record_at(data, i)
        if rec is None:   # torn or corrupt: resume at the next marker, where the next record starts
            torn += 1
            pos = find(MARKER, i + 1)
            if pos < 0:
                break
            continue
        out.append((i, stop, rec))
        pos = stop
    return out, torn


def _record_at(data: bytes, i: int) -> tuple[dict[str, Any] | None, int]:
    """The record starting at the marker at `i` and the offset after it, or (None, 0) if it is not intact."""
    start = i + _HEAD
    try:
        length = int(data[i + 2:i + 10], 16)
        crc = int(data[i + 10:start], 16)
    except ValueError:
        return None, 0
    stop = start + length
    if start > len(data) or stop >= len(data) or data[stop] != 0x0A:
        return None, 0
    payload = data[start:stop]
    if zlib.crc32(payload) != crc:
        return None, 0
    try:
        rec = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None, 0
    return (rec, stop + 1) if isinstance(rec, dict) else (None, 0)


def read_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The intact records of a journal file, in order (without taking its lock: for inspection)."""
    with open(path, "rb") as f:
        return [r for _, _, r in decode_records(f.read())[0]]


def _sync_dir(path: str) -> None:
    """Make a created or renamed directory entry durable (a new file's name is in its directory)."""
    fd = os.open(os.path.dirname(os.path.abspath(path)) or ".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _batch_timer(ref: weakref.ref[OrderJournal], wake: threading.Event, delay: float) -> None:
    """fsync="batch": sync within batch_ms of the last record even when no further record comes. Holds the
    journal only weakly, so a journal dropped without close() is still collected (and closed)."""
    while True:
        wake.wait()
        time.sleep(delay)
        wake.clear()
        j = ref()
        if j is None or not j._timer_sync():
            return
        del j


class OrderJournal:
    def __init__(self, path: str | os.PathLike[str], *, fsync: str = "batch", batch_ms: float = 5.0) -> None:
        if fsync not in POLICIES:
            raise ValueError(f"fsync must be one of {POLICIES}")
        self.path = os.fspath(path)
        self.policy = fsync
        self.batch_ns = int(batch_ms * 1e6)
        self.degraded = False     # a final record could not be written (see the module docstring)
        self.torn = 0             # torn or corrupt stretches skipped when the file was read
        self._pending: dict[str, dict[str, Any]] = {}
        self._final: dict[str, dict[str, Any]] = {}
        self._unwritten: dict[str, dict[str, Any]] = {}   # finals whose write failed: rewritten by compact()
        self._fd = -1
        self._lock_fd = self._take_lock()
        try:
            created = not os.path.exists(self.path)
            self._load()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            if created:
                os.fsync(self._fd)
                _sync_dir(self.path)
        except BaseException:
            self._release()
            raise
        self._last_sync = time.monotonic_ns()
        self._written = 0     # records written, and the count when the last sync started
        self._synced = 0
        self._io = threading.Lock()   # the fd against close/compact while the batch timer syncs
        self._wake: threading.Event | None = None
        self._timer: threading.Thread | None = None
        if fsync == "batch":
            self._wake = threading.Event()
            self._timer = threading.Thread(target=_batch_timer, args=(weakref.ref(self), self._wake, batch_ms / 1000),
                                           name="fastorder-journal-sync", daemon=True)
            self._timer.start()

    # -- the lock -------------------------------------------------------------------------------------------
    def _take_lock(self) -> int:
        lock_path = self.path + ".lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            except OSError:
                holder = ""
            os.close(fd)
            raise JournalLocked(f"the order journal {self.path} is open in another session"
                                f"{f' (process {holder})' if holder else ''}; one writer per journal") from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        return fd

    def _release(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)   # closing the descriptor releases the flock
            self._lock_fd = -1

    # -- reading --------------------------------------------------------------------------------------------
    def _load(self) -> None:
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return
        recs, self.torn = decode_records(data)
        for _, _, rec in recs:
            t = rec.get("t")
            c = rec.get("c")
            if not isinstance(c, str):
                continue
            if t == "P":
                self._pending[c] = rec
            elif t == "F":
                self._final[c] = rec
                self._pending.pop(c, None)
        end = recs[-1][1] if recs else 0
        if end < len(data):
            # a torn tail (a crash or power loss mid-write): cut it, so the next record starts clean. Every
            # byte after the last intact record belongs to records that never completed.
            with open(self.path, "r+b") as f:
                f.truncate(end)
                f.flush()
                os.fsync(f.fileno())
            log.warning("order journal %s: a torn record at its end (%d bytes) was dropped", self.path,
                        len(data) - end)

    # -- writing --------------------------------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        """Append one record completely (a short write is continued; what cannot be written raises OSError)."""
        fd = self._fd
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            if n <= 0:   # pragma: no cover - a regular file never returns 0 for a non-empty write
                raise OSError("journal write made no progress")
            view = view[n:]
        self._written += 1
        if self.policy == "always":
            os.fdatasync(fd)
            self._synced = self._written
        elif self.policy == "batch":
            now = time.monotonic_ns()
            if now - self._last_sync >= self.batch_ns:
                os.fdatasync(fd)
                self._last_sync = now
                self._synced = self._written
            elif self._wake is not None and not self._wake.is_set():   # batch policy: the timer exists
                self._wake.set()

    def _timer_sync(self) -> bool:
        """The batch timer's sync; False once the journal is closed."""
        with self._io:
            if self._fd < 0:
                return False
            written = self._written
            if written != self._synced:
                try:
                    os.fdatasync(self._fd)
                except OSError as exc:
                    self._degrade("a sync", exc)
                self._synced = written
                self._last_sync = time.monotonic_ns()
        if self._written != self._synced and self._wake is not None:
            self._wake.set()
        return True

    def _degrade(self, what: str, exc: BaseException) -> None:
        if not self.degraded:
            self.degraded = True
        log.error("order journal %s degraded: %s failed (%s: %s); outcomes are kept in memory and orders "
                  "without a durable final record are pending on restart", self.path, what, type(exc).__name__, exc)

    def sent(self, venue: str, symbol: str, client_order_id: str, side: str, quantity: Any, price: Any,
             ts_ms: int, expires_ms: int = 0) -> None:
        """Record an order about to be sent (call before its bytes leave). `expires_ms`: the venue time after
        which the venue can no longer accept it (its timestamp window), 0 if unknown. Raises JournalError if
        the record could not be written: the order must then not be sent."""
        rec = {"t": "P", "v": venue, "s": symbol, "c": client_order_id, "d": side, "q": "" if quantity is None else str(quantity),
               "p": "" if price is None else str(price), "ts": ts_ms, "exp": expires_ms}
        try:
            self._write(encode_record(rec))
        except (OSError, ValueError) as exc:   # ValueError: the journal was closed (fd -1 is EBADF: OSError)
            raise JournalError(f"order journal {self.path}: the record of order {client_order_id} could not be "
                               f"written ({type(exc).__name__}: {exc}); the order was not sent") from None
        self._pending[client_order_id] = rec

    def final(self, client_order_id: str, status: str, order_id: str = "") -> None:
        """Record that the order's outcome is known (an ack, a rejection, or a reconciliation). Never raises
        for a failed write: the journal is marked degraded and the failure logged."""
        rec = {"t": "F", "c": client_order_id, "st": status, "o": order_id}
        self._pending.pop(client_order_id, None)
        self._final[client_order_id] = rec
        try:
            self._write(encode_record(rec))
        except (OSError, ValueError) as exc:
            self._unwritten[client_order_id] = rec
            self._degrade(f"the final record of order {client_order_id}", exc)

    def pending(self, venue: str | None = None) -> list[dict[str, Any]]:
        """Orders sent whose outcome was never recorded."""
        return [r for r in self._pending.values() if venue is None or r["v"] == venue]

    def outcome(self, client_order_id: str) -> dict[str, Any] | None:
        return self._final.get(client_order_id)

    @property
    def dirty(self) -> bool:
        """Records written since the last sync (never with fsync="always")."""
        return self._written != self._synced

    def flush(self) -> None:
        with self._io:
            if self._fd >= 0 and self._written != self._synced:
                written = self._written
                os.fdatasync(self._fd)
                self._synced = written

    def compact(self) -> None:
        """Rewrite the file with only what is still needed: every pending record, and the finals that could
        not be written before (atomically: a crash leaves the old file or the new one, never a mix)."""
        tmp = self.path + ".tmp"
        data = b"".join([encode_record(r) for r in self._pending.values()]
                        + [encode_record(r) for r in self._unwritten.values()])
        with self._io:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            except BaseException:
                os.close(fd)
                os.unlink(tmp)
                raise
            os.close(fd)
            new_fd = os.open(tmp, os.O_WRONLY | os.O_APPEND)
            try:
                os.replace(tmp, self.path)
            except BaseException:
                os.close(new_fd)
                os.unlink(tmp)
                raise
            old, self._fd = self._fd, new_fd
            os.close(old)
            _sync_dir(self.path)
            self._synced = self._written
        self._final = {c: r for c, r in self._final.items() if c in self._unwritten}
        self._unwritten.clear()
        self.torn = 0

    def close(self) -> None:
        if self._fd >= 0:
            try:
                self.flush()
            except OSError as exc:
                self._degrade("the last sync", exc)
            with self._io:
                os.close(self._fd)
                self._fd = -1
            if self._wake is not None:
                self._wake.set()   # the timer sees the closed fd and ends
        self._release()

    def __enter__(self) -> OrderJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if self._fd >= 0 or self._lock_fd >= 0:
                self.close()
        except Exception:   # pragma: no cover - interpreter shutdown
            pass
