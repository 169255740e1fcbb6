"""Conformance cases: what each venue documents, kept as data, run against the client and the simulator.

Layout (one file per venue, ``data/<venue>.json``)::

    {"venue": "binance",
     "cases":   [CASE, ...],   # the documented example requests and replies: successes and each mapped error
     "rejects": [CASE, ...]}   # what the real venue refuses; the simulator must refuse it with the same reply

    CASE = {"name":    unique within the file (the test id),
            "source":  the public https URL the request/reply is taken from,
            "request": {"transport": "rest" | "ws", ...},   # the venue's test module reads the rest
            "reply":   {"http_status": int, "body": <JSON as documented>, "headers": {name: value}?,
                        "conditional": [field, ...]?},   # fields the docs say appear only under conditions
            "expect":  {...}}                                # what the client makes of the reply

``expect`` is either ``{"error": "<fastorder.errors class>", "code": ..., "retry_after": s}`` (code and
retry_after where the reply carries them), ``{"unknown": true}`` (the outcome is unknown: the client queries
the order), ``{"logged_on": true}`` (a logon reply the client accepts), or the Ack fields the reply must
give (``{"status": "NEW", "order_id": "28", ...}``). Fields of ``request`` other than ``transport`` are the
venue module's to define (method, path, params, tweaks such as a bad signature) and are documented there.

A test module sets ``VENUE = "<venue>"`` and takes a ``case`` and/or ``reject`` argument: each is
parametrized over the file's entries (the entry is the dict above). ``conformance`` is a fixture giving the
whole file; ``check_client(entry, got)`` checks what the client made of an entry's reply (an Ack, a dict, or
the exception it raised) against its ``expect``, the same way for every venue.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import fastorder.errors as fe
from fastorder.venues.base import _Unknown

DATA = Path(__file__).parent / "data"
_REQUIRED = ("name", "source", "request", "reply", "expect")


def load(venue: str) -> dict[str, Any]:
    """``data/<venue>.json``, checked against the layout above (a malformed entry fails loudly, by name)."""
    doc = json.loads((DATA / f"{venue}.json").read_text(encoding="utf-8"))
    if doc.get("venue") != venue:
        raise ValueError(f"{venue}.json: 'venue' is {doc.get('venue')!r}")
    seen: set[str] = set()
    for part in ("cases", "rejects"):
        entries = doc.get(part)
        if not isinstance(entries, list):
            raise ValueError(f"{venue}.json: '{part}' must be a list")
        for e in entries:
            missing = [k for k in _REQUIRED if k not in e]
            if missing:
                raise ValueError(f"{venue}.json {part} {e.get('name', '?')!r}: missing {missing}")
            if e["name"] in seen:
                raise ValueError(f"{venue}.json: duplicate name {e['name']!r}")
            seen.add(e["name"])
            if not str(e["source"]).startswith("https://"):
                raise ValueError(f"{venue}.json {e['name']!r}: source must be a public https URL")
            if e["request"].get("transport") not in ("rest", "ws"):
                raise ValueError(f"{venue}.json {e['name']!r}: request.transport must be 'rest' or 'ws'")
            reply = e["reply"]
            if not isinstance(reply.get("http_status"), int) or "body" not in reply:
                raise ValueError(f"{venue}.json {e['name']!r}: reply needs http_status (int) and body")
    return doc


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    venue = getattr(metafunc.module, "VENUE", None)
    if venue is None:
        return
    doc = load(venue)
    for arg, part in (("case", "cases"), ("reject", "rejects")):
        if arg in metafunc.fixturenames:
            metafunc.parametrize(arg, doc[part], ids=[e["name"] for e in doc[part]])


@pytest.fixture
def conformance(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load(request.module.VENUE)


def _reply_status(entry: dict[str, Any]) -> int | None:
    """The status a venue error from ``entry``'s reply must carry: a REST reply's HTTP status; a WebSocket
    reply's own ``status`` field where it has one (Binance's WebSocket API), else none (OKX's WebSocket
    replies have no status: the file's ``http_status`` there is only the frame's carrier)."""
    reply = entry["reply"]
    if entry["request"]["transport"] == "rest":
        return reply["http_status"]
    body = reply["body"]
    status = body.get("status") if isinstance(body, dict) else None
    return status if isinstance(status, int) else None


def check_client(entry: dict[str, Any], got: Any) -> None:
    """What the client made of ``entry``'s reply (``got``: its result or the exception it raised) is what
    ``entry["expect"]`` says. A venue error also carries the reply's status (see `_reply_status`), and its
    Retry-After where the entry expects one."""
    want = entry["expect"]
    if want.get("unknown"):
        assert isinstance(got, _Unknown), got   # the caller then queries the order by its client id
    elif "error" in want:
        assert type(got) is getattr(fe, want["error"]), repr(got)
        if "code" in want:
            assert got.code == want["code"]
        if "retry_after" in want:
            assert got.retry_after == want["retry_after"]
        status = _reply_status(entry)
        if isinstance(got, fe.VenueError) and status is not None:
            assert got.http_status == status, (got.http_status, status)
    elif "logged_on" in want:
        assert got == want, repr(got)
    else:
        assert not isinstance(got, BaseException), repr(got)
        for k, v in want.items():
            assert str(getattr(got, k)) == str(v), (k, getattr(got, k), v)


@pytest.fixture(name="check_client")
def _check_client_fixture() -> Any:
    return check_client
