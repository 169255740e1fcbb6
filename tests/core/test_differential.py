"""Differential property tests: the compiled core (fastorder._core) against the pure-Python twin (fastorder._py).

For every generated call both implementations must give the same outcome: byte-identical output (appended to a
buffer that already holds a prefix), or an exception of the *same type* with the buffer left as it was.

Generators come in two kinds:
- valid: orders that are valid by the stub's rules. The twin must succeed; the compiled core must equal it.
- single-fault: a valid call with exactly one field broken (NaN, inf, <=0, too many digits, off grid, filter
  bounds, CR/LF/&/=/quotes/control chars, lengths, enums, missing/forbidden fields, int ranges, types). The twin
  must raise the error the stub names for that fault; the compiled core must raise the same type.
One fault at a time, because the stubs do not fix the order in which several faults are found.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import string
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from numtypes import Dec, Float, Int, Str

from fastorder.errors import (
    FilterViolation,
    InvalidCredential,
    InvalidField,
    InvalidNumber,
    InvalidOrder,
    OffGrid,
)

MODULES = ("buffer", "numbers", "sign", "ids", "binance", "okx", "htx")


def _load(kind: str) -> SimpleNamespace:
    ns = SimpleNamespace(kind=kind, missing={})
    for name in MODULES:
        try:
            setattr(ns, name, importlib.import_module(f"fastorder._{kind}.{name}"))
        except ImportError as exc:
            if kind == "py":
                raise
            ns.missing[name] = str(exc)
    return ns


PY = _load("py")
CORE = _load("core")


def needs(*names: str):
    missing = [f"{n} ({CORE.missing[n]})" for n in names if n in CORE.missing]
    return pytest.mark.skipif(bool(missing), reason="compiled module does not import yet: " + ", ".join(missing))


# Deterministic by default (the same examples every run: CI cannot flake); FASTORDER_FUZZ=N explores N random
# examples per test instead, e.g. `FASTORDER_FUZZ=5000 pytest tests/core/test_differential.py`.
_FUZZ = int(os.environ.get("FASTORDER_FUZZ", "0") or 0)
EXAMPLES = _FUZZ or 120
# no "explain" phase: it reruns a failing case hundreds of times and makes a red run take minutes
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                database=None, derandomize=not _FUZZ, phases=[Phase.explicit, Phase.generate, Phase.shrink])
PREFIX = b"PRE\x00"

# ------------------------------------------------------------------------------------------------------------
# impl-independent descriptions of the objects a call needs; `make` builds them in one implementation


@dataclasses.dataclass(frozen=True)
class Rules:
    symbol: str
    tick: Any
    step: Any
    bounds: tuple = ()  # (name, value) pairs

    def make(self, ns):
        return ns.numbers.SymbolRules(self.symbol, self.tick, self.step, **dict(self.bounds))


@dataclasses.dataclass(frozen=True)
class Signer:
    kind: str  # "hmac" | "ed25519"
    secret: Any

    def make(self, ns):
        if self.kind == "hmac":
            return ns.sign.HmacSha256(self.secret)
        return ns.sign.Ed25519Signer(self.secret)


def _make(ns, value):
    if isinstance(value, (Rules, Signer)):
        return value.make(ns)
    if isinstance(value, list):   # a batch: its orders' rules too
        return [_make(ns, v) for v in value]
    if isinstance(value, dict):
        return {k: _make(ns, v) for k, v in value.items()}
    return value


@dataclasses.dataclass
class Call:
    module: str
    cls: str | None  # None: a module-level function
    ctor_args: tuple
    ctor_kwargs: dict
    method: str
    args: tuple
    kwargs: dict
    uses_buffer: bool = True


def outcome(ns, call: Call):
    """('ok', output) or ('err', exception type, buffer contents after the call)."""
    mod = getattr(ns, call.module)
    buf = None
    try:
        if call.cls is None:
            target = getattr(mod, call.method)
        else:
            obj = getattr(mod, call.cls)(*[_make(ns, a) for a in call.ctor_args],
                                         **{k: _make(ns, v) for k, v in call.ctor_kwargs.items()})
            target = getattr(obj, call.method)
        args = [_make(ns, a) for a in call.args]
        kwargs = {k: _make(ns, v) for k, v in call.kwargs.items()}
        if call.uses_buffer:
            buf = ns.buffer.WriteBuffer()
            buf.write(PREFIX)
            result = target(buf, *args, **kwargs)
            assert result is None
            return ("ok", buf.getvalue())
        return ("ok", target(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - the type is what is compared
        return ("err", type(exc), None if buf is None else buf.getvalue())


def check_same(call: Call, *, expect_error: type[BaseException] | None = None):
    """Run `call` on both implementations and require the same outcome."""
    if currently_in_test_context():
        note(f"call: {call}")
    py = outcome(PY, call)
    if expect_error is None:
        assert py[0] == "ok", f"twin refused a valid call: {py[1].__name__}"
    else:
        assert py[0] == "err", f"twin accepted a call with a fault (expected {expect_error.__name__})"
        assert issubclass(py[1], expect_error), f"twin raised {py[1].__name__}, expected {expect_error.__name__}"
        if call.uses_buffer and py[2] is not None:
            assert py[2] == PREFIX, "twin left bytes behind after an error"
    core = outcome(CORE, call)
    if py[0] == "ok":
        assert core[0] == "ok", f"compiled raised {core[1].__name__}; twin gave {py[1]!r}"
        assert core[1] == py[1]
    else:
        assert core[0] == "err", f"compiled gave {core[1]!r}; twin raised {py[1].__name__}"
        assert core[1] is py[1], f"compiled raised {core[1].__name__}; twin raised {py[1].__name__}"
        if core[2] is not None:
            assert core[2] == PREFIX, "compiled left bytes behind after an error"
    return py


# ------------------------------------------------------------------------------------------------------------
# numbers


@st.composite
def canonical_numbers(draw, max_int: int = 20, max_frac: int = 20, max_total: int = 38) -> str:
    """Canonical decimal text of a positive number within the digit limits."""
    nf = draw(st.integers(0, max_frac))
    ni = draw(st.integers(0 if nf else 1, min(max_int, max_total - nf)))
    digits = st.sampled_from("0123456789")
    int_part = ""
    if ni:
        int_part = draw(st.sampled_from("123456789")) + "".join(draw(st.lists(digits, min_size=ni - 1,
                                                                               max_size=ni - 1)))
    frac = ""
    if nf:
        frac = "".join(draw(st.lists(digits, min_size=nf - 1, max_size=nf - 1))) + draw(st.sampled_from("123456789"))
    return (int_part or "0") + ("." + frac if frac else "")


@st.composite
def representations(draw, canonical: str):
    """One of the many inputs whose canonical text is `canonical`."""
    d = Decimal(canonical)
    int_part, _, frac = canonical.partition(".")
    mantissa = (int_part + frac).lstrip("0")
    forms: list[Any] = [canonical, d, "00" + canonical, canonical + ("" if frac else ".") + "000",
                        f"{mantissa}e-{len(frac)}", f"{mantissa}E{-len(frac):+d}",
                        Decimal(f"{mantissa}E-{len(frac)}"),
                        Decimal(canonical + ("" if frac else ".") + "0000")]
    if int_part == "0":
        forms.append(canonical[1:])  # ".5"
    if not frac:
        forms.append(int(canonical))
        forms.append(canonical + ".")  # "5."
        stripped = canonical.rstrip("0")
        if stripped != canonical:
            forms.append(f"{stripped}e{len(canonical) - len(stripped)}")
            forms.append(Decimal(f"{stripped}E+{len(canonical) - len(stripped)}"))
    f = float(canonical)
    if Decimal(repr(f)) == d:
        forms.append(f)
    return draw(st.sampled_from(forms))


def fits(d: Decimal) -> bool:
    """Whether a positive Decimal is within the canonical digit limits (I <= 20, F <= 20, I + F <= 38)."""
    text = format(d, "f")
    int_part, _, frac = text.partition(".")
    ni, nf = len(int_part.lstrip("0")), len(frac.rstrip("0"))
    return ni <= 20 and nf <= 20 and ni + nf <= 38


valid_numbers = canonical_numbers().flatmap(lambda c: st.tuples(st.just(c), representations(c)))

BAD_NUMBERS: list[tuple[Any, type[BaseException]]] = [
    (float("nan"), InvalidNumber), (float("inf"), InvalidNumber), (float("-inf"), InvalidNumber),
    (Decimal("NaN"), InvalidNumber), (Decimal("sNaN"), InvalidNumber), (Decimal("Infinity"), InvalidNumber),
    (Decimal("-Infinity"), InvalidNumber), ("nan", InvalidNumber), ("inf", InvalidNumber),
    ("Infinity", InvalidNumber), ("NaN", InvalidNumber),
    (0, InvalidNumber), (0.0, InvalidNumber), (-0.0, InvalidNumber), ("0", InvalidNumber), ("0.000", InvalidNumber),
    ("0e5", InvalidNumber), (Decimal(0), InvalidNumber), (Decimal("-0"), InvalidNumber),
    (Decimal("0E-8"), InvalidNumber), (-1, InvalidNumber), (-0.5, InvalidNumber), ("-1", InvalidNumber),
    ("-0.5", InvalidNumber), (Decimal("-2.5"), InvalidNumber), ("-0", InvalidNumber),
    ("1" * 21, InvalidNumber), (10**20, InvalidNumber), (10**38, InvalidNumber), (10**400, InvalidNumber),
    ("0." + "0" * 20 + "1", InvalidNumber), ("1e20", InvalidNumber), ("1e-21", InvalidNumber), (1e-21, InvalidNumber),
    (1e20, InvalidNumber), (1e300, InvalidNumber), (5e-324, InvalidNumber),
    (1.2345678901234567e-05, InvalidNumber),
    ("1" * 19 + "." + "1" * 20, InvalidNumber), (Decimal("1E+20"), InvalidNumber), (Decimal("1E-21"), InvalidNumber),
    ("1e99999999999999999999", InvalidNumber), ("1e-99999999999999999999", InvalidNumber),
    ("9" * 5000, InvalidNumber), ("0." + "0" * 5000 + "1", InvalidNumber),
    ("", InvalidNumber), (".", InvalidNumber), ("e5", InvalidNumber), (".e1", InvalidNumber), ("1e", InvalidNumber),
    ("1e+", InvalidNumber), ("+1", InvalidNumber), (" 1", InvalidNumber), ("1 ", InvalidNumber), ("1\n", InvalidNumber),
    ("1,5", InvalidNumber), ("1_000", InvalidNumber), ("0x10", InvalidNumber), ("1.2.3", InvalidNumber),
    ("--1", InvalidNumber), ("１", InvalidNumber), ("١", InvalidNumber), ("1e5.5", InvalidNumber),
    ("1\x00", InvalidNumber), ("1&x=2", InvalidNumber), ('1"', InvalidNumber), ("1\r\n", InvalidNumber),
    ("1\ud800", InvalidNumber),
    (True, TypeError), (False, TypeError), (b"1", TypeError), ([1], TypeError), (1 + 0j, TypeError),
    (object(), TypeError),
]
bad_numbers = st.sampled_from(BAD_NUMBERS)


@needs("numbers")
@FAST
@given(valid_numbers)
def test_decimal_text_valid(pair):
    canonical, value = pair
    py = check_same(Call("numbers", None, (), {}, "decimal_text", (value,), {}, uses_buffer=False))
    text = py[1]
    assert text == canonical
    assert "e" not in text and "E" not in text
    assert Decimal(text) == (Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value)))


@needs("numbers")
@FAST
@given(bad_numbers, st.sampled_from(["value", "price", "quantity"]))
def test_decimal_text_invalid(bad, field):
    value, error = bad
    check_same(Call("numbers", None, (), {}, "decimal_text", (value,), {"field": field}, uses_buffer=False),
               expect_error=error)


@needs("numbers")
@pytest.mark.parametrize("value, text", [(Float(0.1), "0.1"), (Float(2.5e-7), "0.00000025"), (Str("1.50"), "1.5"),
                                         (Int(7), "7"), (Dec("0.010"), "0.01")])
def test_decimal_text_reads_a_subclass_as_its_base_class(value, text):
    assert check_same(Call("numbers", None, (), {}, "decimal_text", (value,), {}, uses_buffer=False))[1] == text
    check_same(Call("numbers", None, (), {}, "decimal_text", (Float(-1.0),), {}, uses_buffer=False),
               expect_error=InvalidNumber)


TICKS = ["0.01", "0.00000001", "1", "5", "0.5", "0.25", "10", "0.0001", "0.1", "100", "0.00000000000000000001",
         "0.002", "25"]
tick_forms = st.sampled_from(TICKS).flatmap(lambda t: st.tuples(st.just(t), representations(t)))


@st.composite
def on_grid(draw, tick: str, max_k: int = 10**9):
    k = draw(st.integers(1, max_k))
    canonical = format(Decimal(k) * Decimal(tick), "f")
    if "." in canonical:
        canonical = canonical.rstrip("0").rstrip(".")
    return canonical


@needs("numbers")
@FAST
@given(tick_forms, st.data())
def test_decimal_text_step(tick_pair, data):
    tick, tick_value = tick_pair
    canonical = data.draw(on_grid(tick))
    value = data.draw(representations(canonical))
    py = check_same(Call("numbers", None, (), {}, "decimal_text", (value, tick_value), {}, uses_buffer=False))
    frac_digits = len(tick.partition(".")[2])
    assert len(py[1].partition(".")[2]) == frac_digits
    assert Decimal(py[1]) == Decimal(canonical)
    assert "e" not in py[1].lower()
    # off grid: half a tick more
    off = format(Decimal(canonical) + Decimal(tick) / 2, "f")
    assume(len(off.partition(".")[2].rstrip("0")) <= 20)
    check_same(Call("numbers", None, (), {}, "decimal_text", (off, tick_value), {}, uses_buffer=False),
               expect_error=OffGrid)


@needs("numbers")
@FAST
@given(tick_forms, tick_forms, st.data())
def test_symbol_rules(tick_pair, step_pair, data):
    tick, tick_value = tick_pair
    step, step_value = step_pair
    price = data.draw(on_grid(tick, 10**6))
    qty = data.draw(on_grid(step, 10**6))
    zero = data.draw(st.sampled_from([0, "0", "0.00000000", Decimal(0), 0.0]))
    p, q = Decimal(price), Decimal(qty)
    bounds = {
        "min_price": data.draw(st.sampled_from([zero, price] + ([format(p / 2, "f")] if fits(p / 2) else []))),
        "max_price": data.draw(st.sampled_from([zero, price] + ([format(p * 2, "f")] if fits(p * 2) else []))),
        "min_qty": data.draw(st.sampled_from([zero, qty])),
        "max_qty": data.draw(st.sampled_from([zero, qty] + ([format(q * 3, "f")] if fits(q * 3) else []))),
        "min_notional": data.draw(st.sampled_from([zero] + ([format(p * q, "f")] if fits(p * q) else []))),
    }
    rules = Rules("BTCUSDT", tick_value, step_value, tuple(bounds.items()))
    for ns in (PY, CORE):
        r = rules.make(ns)
        assert (r.symbol, r.tick_size, r.step_size, r.price_decimals, r.qty_decimals) == (
            "BTCUSDT", tick, step, len(tick.partition(".")[2]), len(step.partition(".")[2]))
    price_value = data.draw(representations(price))
    qty_value = data.draw(representations(qty))

    def rcall(method, *args, expect=None):
        return check_same(Call("numbers", "SymbolRules", (rules.symbol, tick_value, step_value), bounds, method,
                               args, {}, uses_buffer=False), expect_error=expect)

    rcall("price", price_value)
    rcall("qty", qty_value)
    rcall("check_notional", price_value, qty_value)
    # single faults
    fault = data.draw(st.sampled_from(["price_high", "price_low", "qty_high", "qty_low", "notional", "offgrid",
                                       "bad"]))
    if fault == "price_high" and bounds["max_price"] is not zero:
        rcall("price", format(Decimal(str(bounds["max_price"])) + Decimal(tick), "f"), expect=FilterViolation)
    elif fault == "price_low" and bounds["min_price"] is not zero and Decimal(str(bounds["min_price"])) > Decimal(tick):
        below = Decimal(str(bounds["min_price"])) - Decimal(tick)
        assume(below % Decimal(tick) == 0)
        rcall("price", format(below, "f"), expect=FilterViolation)
    elif fault == "qty_high" and bounds["max_qty"] is not zero:
        rcall("qty", format(Decimal(str(bounds["max_qty"])) + Decimal(step), "f"), expect=FilterViolation)
    elif fault == "qty_low" and bounds["min_qty"] is not zero and q > Decimal(step):
        rcall("qty", format(q - Decimal(step), "f"), expect=FilterViolation)
    elif fault == "notional" and bounds["min_notional"] is not zero and q > Decimal(step):
        rcall("check_notional", price, format(q - Decimal(step), "f"), expect=FilterViolation)
    elif fault == "offgrid":  # with the bounds off: off grid is then the only fault
        off = format(p + Decimal(tick) / 4, "f")
        if len(off.partition(".")[2].rstrip("0")) <= 20:
            check_same(Call("numbers", "SymbolRules", (rules.symbol, tick_value, step_value), {}, "price", (off,),
                            {}, uses_buffer=False), expect_error=OffGrid)
    elif fault == "bad":
        value, error = data.draw(bad_numbers)
        rcall(data.draw(st.sampled_from(["price", "qty"])), value, expect=error)


ZERO_NUMBERS = {i for i, (v, _) in enumerate(BAD_NUMBERS)
                if isinstance(v, (int, float, str, Decimal)) and not isinstance(v, bool)
                and repr(v) in ("0", "0.0", "-0.0", "'0'", "'0.000'", "'0e5'", "Decimal('0')", "Decimal('-0')",
                                "Decimal('0E-8')", "'-0'")}  # '-0' as a bound: zero or "must be positive"? (spec question)


@needs("numbers")
@FAST
@given(st.sampled_from(["tick", "step", "min_price", "max_qty", "min_notional"]),
       st.sampled_from(range(len(BAD_NUMBERS))))
def test_symbol_rules_bad_construction(where, index):
    value, error = BAD_NUMBERS[index]
    if where not in ("tick", "step") and index in ZERO_NUMBERS:
        return  # zero disables a bound
    args = ["X", "0.01", "0.001"]
    kwargs = {}
    if where == "tick":
        args[1] = value
    elif where == "step":
        args[2] = value
    else:
        kwargs[where] = value
    check_same(Call("numbers", "SymbolRules", tuple(args), kwargs, "__repr__", (), {}, uses_buffer=False),
               expect_error=error)


# ------------------------------------------------------------------------------------------------------------
# signers


@needs("sign")
@FAST
@given(st.one_of(st.text(min_size=1, max_size=200), st.binary(min_size=1, max_size=200)),
       st.binary(max_size=600), st.sampled_from([bytes, bytearray, memoryview]))
def test_hmac_matches(secret, message, kind):
    for method in ("digest", "hexdigest", "b64digest"):
        check_same(Call("sign", "HmacSha256", (secret,), {}, method, (kind(message),), {}, uses_buffer=False))


@needs("sign")
@FAST
@given(st.binary(min_size=32, max_size=32), st.binary(max_size=600))
def test_ed25519_matches(seed, message):
    for method in ("sign", "b64sign"):
        check_same(Call("sign", "Ed25519Signer", (seed,), {}, method, (message,), {}, uses_buffer=False))
    check_same(Call("sign", "Ed25519Signer", (seed,), {}, "__getattribute__", ("public_key_pem",), {},
                    uses_buffer=False))


@needs("sign")
@pytest.mark.parametrize(("cls", "arg", "error"), [
    ("HmacSha256", "", InvalidCredential), ("HmacSha256", b"", InvalidCredential), ("HmacSha256", 5, TypeError),
    ("HmacSha256", None, TypeError), ("Ed25519Signer", b"\x01" * 31, InvalidCredential),
    ("HmacSha256", "\ud800", InvalidCredential), ("Ed25519Signer", "\ud800", InvalidCredential),
    ("Ed25519Signer", "not a pem", InvalidCredential), ("Ed25519Signer", b"-----BEGIN PRIVATE KEY-----\nxx\n",
                                                        InvalidCredential),
    ("Ed25519Signer", 5, TypeError),
])
def test_signer_bad_construction(cls, arg, error):
    check_same(Call("sign", cls, (arg,), {}, "__repr__", (), {}, uses_buffer=False), expect_error=error)


@needs("sign")
@pytest.mark.parametrize("message", ["text", 5, None])
def test_signer_bad_message(message):
    check_same(Call("sign", "HmacSha256", ("k",), {}, "digest", (message,), {}, uses_buffer=False),
               expect_error=TypeError)
    check_same(Call("sign", "Ed25519Signer", (b"\x07" * 32,), {}, "sign", (message,), {}, uses_buffer=False),
               expect_error=TypeError)


# ------------------------------------------------------------------------------------------------------------
# buffer


@needs("buffer")
@FAST
@given(st.lists(st.one_of(
    st.tuples(st.just("write"), st.binary(max_size=700)),
    st.tuples(st.just("truncate"), st.integers(0, 2000)),
    st.tuples(st.just("clear"), st.none()),
), max_size=30), st.sampled_from([0, 1, 64, 512, 513, 4096]))
def test_buffer_ops(ops, capacity):
    bufs = [PY.buffer.WriteBuffer(capacity), CORE.buffer.WriteBuffer(capacity)]
    caps = [b.capacity for b in bufs]
    for op, arg in ops:
        results = []
        for buf in bufs:
            try:
                if op == "write":
                    buf.write(arg)
                elif op == "truncate":
                    buf.truncate(min(arg, len(buf)) if arg % 3 else arg)
                else:
                    buf.clear()
                results.append(None)
            except Exception as exc:  # noqa: BLE001 - compared below
                results.append(type(exc))
        assert results[0] is results[1], f"{op}({arg!r}): twin {results[0]}, compiled {results[1]}"
        assert bufs[0].getvalue() == bufs[1].getvalue()
        assert len(bufs[0]) == len(bufs[1])
        for i, buf in enumerate(bufs):
            assert buf.capacity >= max(len(buf), capacity)
            assert buf.capacity >= caps[i]  # never shrinks
            caps[i] = buf.capacity


# ------------------------------------------------------------------------------------------------------------
# common field strategies

ALNUM = string.ascii_letters + string.digits
ASCII_SYMBOL = ALNUM + "._-"
nonascii_printable = st.characters(min_codepoint=0x80, max_codepoint=0x10FFFF).filter(str.isprintable)
binance_symbols = st.one_of(
    st.sampled_from(["BTCUSDT", "LTCBTC", "１２３４５６", "ETH-USD", "a.b_c", "币安币BNB", "x" * 32, "é" * 32]),
    st.text(alphabet=st.one_of(st.sampled_from(ASCII_SYMBOL), nonascii_printable), min_size=1, max_size=32),
)
BAD_CHARS = [" ", "/", "&", "=", "?", "#", "%", "+", '"', "'", "\\", "\r", "\n", "\t", "\x00", "\x1f", "\x7f",
             "\u00a0", "\u2028", "\u200b", "\ud800", ":", "{", "}", ",", "~", "\u0085", "\ufeff"]


@st.composite
def with_bad_char(draw, valid: st.SearchStrategy[str], bad_chars=BAD_CHARS, max_len: int = 32):
    base = draw(valid)
    if len(base) >= max_len:
        base = base[: max_len - 1]
    i = draw(st.integers(0, len(base)))
    return base[:i] + draw(st.sampled_from(bad_chars)) + base[i:]


bad_binance_symbols = st.one_of(with_bad_char(binance_symbols), st.just(""), st.just("A" * 33), st.just("é" * 33))
client_ids = st.from_regex(r"[A-Za-z0-9_-]{1,36}", fullmatch=True)
bad_client_ids = st.one_of(
    with_bad_char(client_ids, BAD_CHARS + [".", "é", "１"], 36), st.just(""), st.just("a" * 37), st.just("abc\n"),
)
credentials = st.text(alphabet=ALNUM + "-_", min_size=1, max_size=64)
BAD_CREDENTIALS = ["", "\r", "\n", "\x00", "key\r\nX-Evil: 1", "k\ny", "k\ud800"]
timestamps_ms = st.integers(1, 2**63 - 1)
hmac_secrets = st.one_of(st.text(alphabet=ALNUM, min_size=1, max_size=80), st.binary(min_size=1, max_size=80))
signers = st.one_of(hmac_secrets.map(lambda s: Signer("hmac", s)),
                    st.binary(min_size=32, max_size=32).map(lambda s: Signer("ed25519", s)))


def prices_for(rules: Rules | None, which: str):
    """A strategy of valid inputs for a price ('price') or quantity ('qty') under `rules`."""
    if rules is None:
        return valid_numbers.map(lambda p: p[1])
    tick = rules.tick if which == "price" else rules.step
    return on_grid(str(tick), 10**6).flatmap(representations)


rules_specs = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(TICKS), st.sampled_from(TICKS)).map(lambda ts: Rules("SYM", ts[0], ts[1])),
)


# ------------------------------------------------------------------------------------------------------------
# Binance

B_STP = ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER"]
B_TYPES = ["LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]
NEEDS = {  # the stub's "mandatory by type"
    "LIMIT": {"time_in_force", "quantity", "price"},
    "MARKET": set(),  # exactly one of quantity / quote_order_qty
    "LIMIT_MAKER": {"quantity", "price"},
    "STOP_LOSS": {"quantity", "stop_price"},
    "TAKE_PROFIT": {"quantity", "stop_price"},
    "STOP_LOSS_LIMIT": {"time_in_force", "quantity", "price", "stop_price"},
    "TAKE_PROFIT_LIMIT": {"time_in_force", "quantity", "price", "stop_price"},
}


@st.composite
def binance_orders(draw) -> dict:
    """kwargs of a valid new order (symbol, side, type included)."""
    type_ = draw(st.sampled_from(B_TYPES))
    rules = draw(rules_specs)
    order: dict[str, Any] = {
        "symbol": draw(binance_symbols), "side": draw(st.sampled_from(["BUY", "SELL"])), "type": type_,
        "client_order_id": draw(st.one_of(st.none(), client_ids)), "timestamp": draw(timestamps_ms),
    }
    if draw(st.booleans()):
        order["resp_type"] = draw(st.sampled_from(["ACK", "RESULT", "FULL"]))
    if draw(st.booleans()):
        order["stp"] = draw(st.sampled_from(B_STP))
    if rules is not None:
        order["rules"] = rules
    need = set(NEEDS[type_])
    if type_ == "MARKET":
        need.add(draw(st.sampled_from(["quantity", "quote_order_qty"])))
    for name in need:
        if name == "time_in_force":
            order[name] = draw(st.sampled_from(["GTC", "IOC", "FOK"]))
        elif name == "quantity":
            order[name] = draw(prices_for(rules, "qty"))
        elif name == "quote_order_qty":
            order[name] = draw(valid_numbers.map(lambda p: p[1]))
        else:
            order[name] = draw(prices_for(rules, "price"))
    return order


@st.composite
def binance_faulty_orders(draw) -> tuple[dict, type[BaseException]]:
    order = draw(binance_orders())
    order.pop("rules", None)  # rules faults are covered by the number faults below
    type_ = order["type"]
    fault = draw(st.sampled_from(["symbol", "side", "type", "tif", "resp", "cid", "timestamp", "number",
                                  "missing", "forbidden", "extra"]))
    if fault == "symbol":
        order["symbol"] = draw(bad_binance_symbols)
        return order, InvalidField
    if fault == "side":
        order["side"] = draw(st.sampled_from(["buy", "Buy", "BUY ", "", "HOLD", "SELL\r\n", "B\x00"]))
        return order, InvalidField
    if fault == "type":
        order["type"] = draw(st.sampled_from(["limit", "STOP", "LIMIT\n", "", "OCO", "MARKET "]))
        return order, InvalidField
    if fault == "tif" and "time_in_force" in order:
        order["time_in_force"] = draw(st.sampled_from(["gtc", "GTD", "", "GTC&x=1", "IOC\n"]))
        return order, InvalidField
    if fault == "resp":
        order["resp_type"] = draw(st.sampled_from(["ack", "NONE", "", "FULL\r\n"]))
        return order, InvalidField
    if fault == "cid":
        order["client_order_id"] = draw(bad_client_ids)
        return order, InvalidField
    if fault == "timestamp":
        order["timestamp"] = draw(st.sampled_from([0, -1, 2**63, 2**64]))
        return order, InvalidField
    if fault == "number":
        present = [n for n in ("quantity", "price", "stop_price", "quote_order_qty") if n in order]
        value, error = draw(bad_numbers)
        order[draw(st.sampled_from(present))] = value
        return order, error
    if fault == "missing" and NEEDS[type_]:
        order.pop(draw(st.sampled_from(sorted(NEEDS[type_]))))
        return order, InvalidOrder
    if fault == "forbidden":
        if type_ == "MARKET":
            extra = draw(st.sampled_from(["price", "time_in_force", "both", "neither"]))
            if extra == "price":
                order["price"] = "1"
            elif extra == "time_in_force":
                order["time_in_force"] = "GTC"
            elif extra == "both":
                order["quantity"], order["quote_order_qty"] = "1", "2"
            else:
                order.pop("quantity", None)
                order.pop("quote_order_qty", None)
            return order, InvalidOrder
        if type_ == "LIMIT_MAKER":
            order["time_in_force"] = "GTC"
            return order, InvalidOrder
    if fault == "extra":  # Binance POST /api/v3/order: quoteOrderQty is MARKET only, stopPrice stop/take-profit only
        if type_ != "MARKET":
            order["quote_order_qty"] = "10"
            return order, InvalidOrder
        order["stop_price"] = "10"
        return order, InvalidOrder
    # the drawn fault does not apply to this order type: break the symbol instead
    order["symbol"] = ""
    return order, InvalidField


def _split_order(order: dict) -> tuple[tuple, dict]:
    kw = dict(order)
    return (kw.pop("symbol"), kw.pop("side"), kw.pop("type")), kw


rest_ctor = st.tuples(credentials, signers, st.sampled_from([None, 1, 5000, 60000]),
                      st.sampled_from(["api.binance.com", "api1.binance.com", "127.0.0.1:8443"]))


@needs("binance", "buffer", "sign", "numbers")
@FAST
@given(rest_ctor, binance_orders(), st.sampled_from(["new_order_params", "new_order_request", "test"]))
def test_binance_rest_new_order(ctor, order, method):
    key, signer, recv_window, host = ctor
    args, kw = _split_order(order)
    if method == "test":
        method, kw["test"] = "new_order_request", True
    check_same(Call("binance", "BinanceRest", (key, signer), {"recv_window": recv_window, "host": host}, method,
                    args, kw))


@needs("binance", "buffer", "sign", "numbers")
@FAST
@given(rest_ctor, binance_faulty_orders(), st.sampled_from(["new_order_params", "new_order_request"]))
def test_binance_rest_new_order_faults(ctor, faulty, method):
    key, signer, recv_window, host = ctor
    order, error = faulty
    args, kw = _split_order(order)
    check_same(Call("binance", "BinanceRest", (key, signer), {"recv_window": recv_window, "host": host}, method,
                    args, kw), expect_error=error)


@st.composite
def binance_cancels(draw, with_new_id: bool):
    kw: dict[str, Any] = {"timestamp": draw(timestamps_ms)}
    which = draw(st.sampled_from(["order_id", "orig", "both"]))
    if which in ("order_id", "both"):
        kw["order_id"] = draw(st.integers(0, 2**63 - 1))
    if which in ("orig", "both"):
        kw["orig_client_order_id"] = draw(client_ids)
    if with_new_id and draw(st.booleans()):
        kw["new_client_order_id"] = draw(client_ids)
    return draw(binance_symbols), kw


@st.composite
def binance_cancel_faults(draw, with_new_id: bool):
    symbol, kw = draw(binance_cancels(with_new_id))
    fault = draw(st.sampled_from(["symbol", "order_id", "orig", "new", "none", "timestamp"]))
    if fault == "symbol":
        return draw(bad_binance_symbols), kw, InvalidField
    if fault == "order_id":
        kw["order_id"] = draw(st.sampled_from([-1, 2**63, 2**70]))
        return symbol, kw, InvalidField
    if fault == "orig" or (fault == "new" and not with_new_id):
        kw["orig_client_order_id"] = draw(bad_client_ids)
        return symbol, kw, InvalidField
    if fault == "new":
        kw["new_client_order_id"] = draw(bad_client_ids)
        return symbol, kw, InvalidField
    if fault == "none":
        kw.pop("order_id", None)
        kw.pop("orig_client_order_id", None)
        return symbol, kw, InvalidOrder
    kw["timestamp"] = draw(st.sampled_from([0, -5, 2**63]))
    return symbol, kw, InvalidField


@needs("binance", "buffer", "sign")
@FAST
@given(rest_ctor, st.data(), st.sampled_from(["cancel_params", "cancel_request", "query_params", "query_request"]),
       st.booleans())
def test_binance_rest_cancel_query(ctor, data, method, faulty):
    key, signer, recv_window, host = ctor
    with_new = method.startswith("cancel")
    if faulty:
        symbol, kw, error = data.draw(binance_cancel_faults(with_new))
    else:
        (symbol, kw), error = data.draw(binance_cancels(with_new)), None
    check_same(Call("binance", "BinanceRest", (key, signer), {"recv_window": recv_window, "host": host}, method,
                    (symbol,), kw), expect_error=error)


@needs("binance", "buffer", "sign", "numbers")
@FAST
@given(rest_ctor, binance_orders(), st.sampled_from(["", "cancel", "none", "bad_stp", "bad_cancel"]))
def test_binance_rest_stp_and_cancel_replace(ctor, order, fault):
    """selfTradePreventionMode on a new order, and POST /api/v3/order/cancelReplace (the new order's fields plus
    the cancelled order's ids)."""
    key, signer, recv_window, host = ctor
    args, kw = _split_order(order)
    error: type[BaseException] | None = None
    method = "new_order_request" if fault in ("", "bad_stp") else "cancel_replace_request"
    if method == "cancel_replace_request" and fault != "none":
        kw["cancel_order_id"] = 12
        kw["cancel_orig_client_order_id"] = "abc"
        if order["timestamp"] % 3:
            kw["cancel_restrictions"] = "ONLY_NEW" if order["timestamp"] % 3 == 1 else "ONLY_PARTIALLY_FILLED"
    if fault == "none":
        error = InvalidOrder
    elif fault == "bad_stp":
        kw["stp"], error = "EXPIRE", InvalidField
    elif fault == "bad_cancel":
        if order["timestamp"] % 2:
            kw["cancel_orig_client_order_id"], error = "a b", InvalidField
        else:
            kw["cancel_restrictions"], error = "ONLY_OLD", InvalidField
    check_same(Call("binance", "BinanceRest", (key, signer), {"recv_window": recv_window, "host": host}, method,
                    args, kw), expect_error=error)


@needs("binance", "buffer", "sign", "numbers")
@FAST
@given(rest_ctor, st.tuples(credentials, signers, st.sampled_from([None, 1, 5000, 60000])),
       st.one_of(st.integers(0, 2**63 - 1), client_ids), st.data(), st.booleans(), st.booleans())
def test_binance_account_requests(ctor, ws_ctor_, request_id, data, logged_on, faulty):
    """openOrders (all symbols or one), DELETE openOrders, account, amend keepPriority: REST and WebSocket."""
    key, signer, recv_window, host = ctor
    which = data.draw(st.sampled_from(["open", "cancel_all", "account", "amend"]))
    symbol = data.draw(binance_symbols)
    ts = data.draw(timestamps_ms)
    error: type[BaseException] | None = None
    if which == "open":
        rest, ws = "open_orders_request", "open_orders_status"
        args, kw = ((data.draw(st.one_of(st.none(), st.just(symbol))),), {"timestamp": ts})
    elif which == "cancel_all":
        rest, ws = "cancel_open_orders_request", "open_orders_cancel_all"
        args, kw = (symbol,), {"timestamp": ts}
    elif which == "account":
        rest, ws = "account_request", "account_status"
        args, kw = (), {"timestamp": ts, "omit_zero_balances": data.draw(st.booleans())}
    else:
        rest, ws = "amend_keep_priority_request", "order_amend_keep_priority"
        sym, kw = data.draw(binance_cancels(True))
        rules = data.draw(rules_specs)
        kw["new_qty"] = data.draw(prices_for(rules, "qty"))
        if rules is not None:
            kw["rules"] = rules
        args = (sym,)
    if faulty:
        fault = data.draw(st.sampled_from(["timestamp", "symbol"] + (["qty", "ids"] if which == "amend" else [])))
        if fault == "timestamp":
            kw["timestamp"], error = data.draw(st.sampled_from([0, -5, 2**63])), InvalidField
        elif fault == "symbol" and which != "account":
            args, error = (data.draw(bad_binance_symbols),), InvalidField
        elif fault == "qty":
            kw["new_qty"], error = "-1", InvalidNumber
            kw.pop("rules", None)
        elif fault == "ids":
            kw.pop("order_id", None)
            kw.pop("orig_client_order_id", None)
            error = InvalidOrder
        else:
            kw["timestamp"], error = 0, InvalidField
    check_same(Call("binance", "BinanceRest", (key, signer), {"recv_window": recv_window, "host": host}, rest,
                    args, dict(kw)), expect_error=error)
    wkey, wsigner, wrecv = ws_ctor_
    check_same(Call("binance", "BinanceWs", (wkey, wsigner), {"recv_window": wrecv}, ws,
                    (request_id, *args), {**kw, "logged_on": logged_on}), expect_error=error)


@needs("binance", "buffer", "sign", "numbers")
@FAST
@given(st.tuples(credentials, signers, st.sampled_from([None, 1, 5000, 60000])),
       st.one_of(st.integers(0, 2**63 - 1), client_ids), binance_orders(), st.booleans(), st.booleans())
def test_binance_ws_cancel_replace_and_stp(ctor, request_id, order, logged_on, replace):
    key, signer, recv_window = ctor
    args, kw = _split_order(order)
    kw["logged_on"] = logged_on
    method = "order_place"
    if replace:
        method = "order_cancel_replace"
        kw["cancel_order_id"] = 7
        if order["timestamp"] % 2:
            kw["cancel_restrictions"] = "ONLY_NEW"
    check_same(Call("binance", "BinanceWs", (key, signer), {"recv_window": recv_window}, method,
                    (request_id, *args), kw))


binance_request_ids = st.one_of(st.integers(0, 2**63 - 1), client_ids)
BAD_BINANCE_REQUEST_IDS = [("", InvalidField), ("a" * 37, InvalidField), ("a b", InvalidField),
                           ('a"b', InvalidField), ("é", InvalidField), ("id\n", InvalidField), (-1, InvalidField),
                           (2**63, InvalidField)]
ws_ctor = st.tuples(credentials, signers, st.sampled_from([None, 1, 100, 5000, 60000]))


@needs("binance", "buffer", "sign", "numbers")
@FAST
@given(ws_ctor, binance_request_ids, binance_orders(), st.booleans())
def test_binance_ws_order_place(ctor, request_id, order, logged_on):
    key, signer, recv_window = ctor
    args, kw = _split_order(order)
    kw["logged_on"] = logged_on
    py = check_same(Call("binance", "BinanceWs", (key, signer), {"recv_window": recv_window}, "order_place",
                         (request_id, *args), kw))
    import json

    frame = json.loads(py[1][len(PREFIX):])
    assert frame["id"] == request_id and frame["method"] == "order.place"
    assert ("signature" in frame["params"]) is (not logged_on)


@needs("binance", "buffer", "sign", "numbers")
@FAST
@given(ws_ctor, binance_request_ids, binance_faulty_orders(), st.booleans())
def test_binance_ws_order_place_faults(ctor, request_id, faulty, logged_on):
    key, signer, recv_window = ctor
    order, error = faulty
    args, kw = _split_order(order)
    kw["logged_on"] = logged_on
    check_same(Call("binance", "BinanceWs", (key, signer), {"recv_window": recv_window}, "order_place",
                    (request_id, *args), kw), expect_error=error)


@needs("binance", "buffer", "sign")
@FAST
@given(ws_ctor, binance_request_ids, st.data(), st.sampled_from(["order_cancel", "order_status"]), st.booleans(),
       st.booleans())
def test_binance_ws_cancel_status(ctor, request_id, data, method, logged_on, faulty):
    key, signer, recv_window = ctor
    with_new = method == "order_cancel"
    if faulty:
        symbol, kw, error = data.draw(binance_cancel_faults(with_new))
    else:
        (symbol, kw), error = data.draw(binance_cancels(with_new)), None
    kw["logged_on"] = logged_on
    check_same(Call("binance", "BinanceWs", (key, signer), {"recv_window": recv_window}, method,
                    (request_id, symbol), kw), expect_error=error)


@needs("binance", "buffer", "sign")
@FAST
@given(ws_ctor, binance_request_ids, timestamps_ms, st.sampled_from(["session_logon", "ping", "time"]),
       st.sampled_from([None, *BAD_BINANCE_REQUEST_IDS]))
def test_binance_ws_logon_ping_time(ctor, request_id, timestamp, method, bad_id):
    key, signer, recv_window = ctor
    kw = {"timestamp": timestamp} if method == "session_logon" else {}
    error = None
    if bad_id is not None:
        request_id, error = bad_id
    check_same(Call("binance", "BinanceWs", (key, signer), {"recv_window": recv_window}, method, (request_id,),
                    kw), expect_error=error)


@needs("binance", "buffer", "sign")
@pytest.mark.parametrize("cls", ["BinanceRest", "BinanceWs"])
@pytest.mark.parametrize(("where", "value", "error"), [
    *[("api_key", bad, InvalidCredential) for bad in BAD_CREDENTIALS],
    ("api_key", 5, TypeError), ("signer", "secret", TypeError),
    ("recv_window", 0, InvalidField), ("recv_window", 60001, InvalidField), ("recv_window", -1, InvalidField),
    ("host", "a\r\nb", InvalidField), ("host", "", InvalidField),
])
def test_binance_bad_construction(cls, where, value, error):
    if where == "host" and cls == "BinanceWs":
        return  # BinanceWs has no host
    args = {"api_key": "key", "signer": Signer("hmac", "secret")}
    kwargs = {}
    if where in args:
        args[where] = value
    else:
        kwargs[where] = value
    check_same(Call("binance", cls, (args["api_key"], args["signer"]), kwargs, "__repr__", (), {},
                    uses_buffer=False), expect_error=error)


# ------------------------------------------------------------------------------------------------------------
# OKX

inst_ids = st.from_regex(r"[A-Za-z0-9._-]{1,32}", fullmatch=True)
okx_cl_ids = st.from_regex(r"[A-Za-z0-9]{1,32}", fullmatch=True)
okx_request_ids = st.one_of(okx_cl_ids, st.integers(0, 2**63 - 1))
okx_ord_ids = st.one_of(st.integers(0, 2**63 - 1), st.from_regex(r"[0-9]{1,20}", fullmatch=True))
okx_ts_ms = st.integers(1, 253402300799999)
OKX_TYPES = ["market", "limit", "post_only", "fok", "ioc", "optimal_limit_ioc", "mmp", "mmp_and_post_only", "elp"]


@st.composite
def okx_orders(draw) -> dict:
    ord_type = draw(st.sampled_from(OKX_TYPES))
    rules = draw(rules_specs)
    order = {"td_mode": draw(st.sampled_from(["cash", "cross", "isolated", "spot_isolated"])),
             "side": draw(st.sampled_from(["buy", "sell"])), "ord_type": ord_type,
             "sz": draw(prices_for(rules, "qty")), "cl_ord_id": draw(okx_cl_ids)}
    if ord_type not in ("market", "optimal_limit_ioc"):
        order["px"] = draw(prices_for(rules, "price"))
    if draw(st.booleans()):
        order["tgt_ccy"] = draw(st.sampled_from(["base_ccy", "quote_ccy"]))
    if rules is not None:
        order["rules"] = rules
    return order


@st.composite
def okx_order_faults(draw) -> tuple[dict, type[BaseException]]:
    order = draw(okx_orders())
    order.pop("rules", None)
    fault = draw(st.sampled_from(["td_mode", "side", "ord_type", "cl_ord_id", "tgt_ccy", "number", "px"]))
    if fault == "td_mode":
        order["td_mode"] = draw(st.sampled_from(["CASH", "", "cash\n", "margin"]))
        return order, InvalidField
    if fault == "side":
        order["side"] = draw(st.sampled_from(["BUY", "", "buy&", "sell "]))
        return order, InvalidField
    if fault == "ord_type":
        order["ord_type"] = draw(st.sampled_from(["LIMIT", "stop", "", "limit\r\n"]))
        return order, InvalidField
    if fault == "cl_ord_id":
        order["cl_ord_id"] = draw(st.one_of(
            with_bad_char(okx_cl_ids, BAD_CHARS + ["-", "_", ".", "é"]), st.just(""), st.just("a" * 33)))
        return order, InvalidField
    if fault == "tgt_ccy":
        order["tgt_ccy"] = draw(st.sampled_from(["BASE_CCY", "", "usd"]))
        return order, InvalidField
    if fault == "number":
        value, error = draw(bad_numbers)
        order[draw(st.sampled_from([n for n in ("sz", "px") if n in order]))] = value
        return order, error
    if "px" in order:
        order.pop("px")
    else:
        order["px"] = "1.5"
    return order, InvalidOrder


okx_ctor = st.tuples(credentials, hmac_secrets.map(lambda s: Signer("hmac", s)), credentials)


@needs("okx", "buffer", "sign", "numbers")
@FAST
@given(okx_ctor, inst_ids, okx_orders(), okx_ts_ms, st.one_of(st.none(), timestamps_ms), st.booleans(),
       st.sampled_from(["order_body", "place_order_request"]))
def test_okx_rest_order(ctor, inst_id, order, ts, exp, simulated, method):
    key, signer, passphrase = ctor
    kw = dict(order)
    if method == "place_order_request":
        kw.update(timestamp_ms=ts, exp_time_ms=exp)
    args = (inst_id, kw.pop("td_mode"), kw.pop("side"), kw.pop("ord_type"))
    check_same(Call("okx", "OkxRest", (key, signer, passphrase), {"simulated": simulated}, method, args, kw))


@needs("okx", "buffer", "sign", "numbers")
@FAST
@given(okx_ctor, inst_ids, okx_order_faults(), okx_ts_ms, st.sampled_from(["order_body", "place_order_request"]),
       st.sampled_from(["order", "inst_id", "timestamp", "exp"]))
def test_okx_rest_order_faults(ctor, inst_id, faulty, ts, method, where):
    key, signer, passphrase = ctor
    order, error = faulty
    kw = dict(order)
    if where == "inst_id":
        kw = {k: v for k, v in kw.items()}
        inst_id, error = "BTC/USDT", InvalidField
        kw.update(td_mode="cash", side="buy", ord_type="market", sz="1", cl_ord_id="a")
        kw.pop("px", None)
        kw.pop("tgt_ccy", None)
    elif where in ("timestamp", "exp") and method == "place_order_request":
        kw = {"td_mode": "cash", "side": "buy", "ord_type": "market", "sz": "1", "cl_ord_id": "a"}
        if where == "timestamp":
            ts, error = 0, InvalidField
        else:
            kw["exp_time_ms"], error = -1, InvalidField
    if method == "place_order_request":
        kw["timestamp_ms"] = ts
    args = (inst_id, kw.pop("td_mode"), kw.pop("side"), kw.pop("ord_type"))
    check_same(Call("okx", "OkxRest", (key, signer, passphrase), {}, method, args, kw), expect_error=error)


@needs("okx", "buffer", "sign")
@FAST
@given(okx_ctor, inst_ids, okx_ts_ms, st.one_of(st.none(), okx_ord_ids), st.one_of(st.none(), okx_cl_ids),
       st.sampled_from(["cancel_request", "query_request"]),
       st.sampled_from([None, "inst", "ord_id", "cl", "none", "ts"]))
def test_okx_rest_cancel_query(ctor, inst_id, ts, ord_id, cl_ord_id, method, fault):
    key, signer, passphrase = ctor
    error = None
    if ord_id is None and cl_ord_id is None:
        error = InvalidOrder
    elif fault == "inst":
        inst_id, error = inst_id + "&x=1", InvalidField
    elif fault == "ord_id":
        ord_id, error = ("12a", "1" * 21, "", -1, 2**63)[ts % 5], InvalidField
    elif fault == "cl":
        cl_ord_id, error = "a-b", InvalidField
    elif fault == "none":
        ord_id = cl_ord_id = None
        error = InvalidOrder
    elif fault == "ts":
        ts, error = -1, InvalidField
    check_same(Call("okx", "OkxRest", (key, signer, passphrase), {}, method, (inst_id,),
                    {"timestamp_ms": ts, "ord_id": ord_id, "cl_ord_id": cl_ord_id}), expect_error=error)


@needs("okx", "sign")
@FAST
@given(okx_ctor, okx_ts_ms, st.sampled_from(["GET", "POST"]),
       st.from_regex(r"/api/v5/[a-z/-]{1,30}(\?[a-z]{1,5}=[A-Za-z0-9-]{1,10})?", fullmatch=True),
       st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_okx_sign(ctor, ts, method, path, body):
    key, signer, passphrase = ctor
    check_same(Call("okx", "OkxRest", (key, signer, passphrase), {}, "sign", (ts, method, path, body), {},
                    uses_buffer=False))
    check_same(Call("okx", None, (), {}, "iso_ms", (ts,), {}, uses_buffer=False))


@needs("okx", "buffer", "sign", "numbers")
@FAST
@given(okx_ctor, okx_request_ids, st.integers(0, 2**63 - 1), okx_orders(), st.one_of(st.none(), timestamps_ms),
       st.integers(1, 2**63 - 1))
def test_okx_ws(ctor, request_id, code, order, exp, ts_s):
    key, signer, passphrase = ctor
    kw = dict(order, exp_time_ms=exp)
    args = (request_id, code, kw.pop("td_mode"), kw.pop("side"), kw.pop("ord_type"))
    check_same(Call("okx", "OkxWs", (key, signer, passphrase), {}, "order", args, kw))
    check_same(Call("okx", "OkxWs", (key, signer, passphrase), {}, "login", (), {"timestamp_s": ts_s}))
    check_same(Call("okx", "OkxWs", (key, signer, passphrase), {}, "cancel_order", (request_id, code),
                    {"ord_id": str(code), "cl_ord_id": order["cl_ord_id"]}))


BAD_OKX_REQUEST_IDS = [("", InvalidField), ("a" * 33, InvalidField), ("a-b", InvalidField), ("a_b", InvalidField),
                       ('a"', InvalidField), ("é", InvalidField), (-1, InvalidField), (2**63, InvalidField)]


@needs("okx", "buffer", "sign", "numbers")
@FAST
@given(okx_ctor, okx_order_faults(), st.sampled_from([None, *BAD_OKX_REQUEST_IDS]),
       st.sampled_from([None, -1, 2**63]))
def test_okx_ws_faults(ctor, faulty, bad_id, bad_code):
    key, signer, passphrase = ctor
    order, error = faulty
    request_id, code = "1", 5
    if bad_id is not None:
        order = {"td_mode": "cash", "side": "buy", "ord_type": "market", "sz": "1", "cl_ord_id": "a"}
        request_id, error = bad_id
    elif bad_code is not None:
        order = {"td_mode": "cash", "side": "buy", "ord_type": "market", "sz": "1", "cl_ord_id": "a"}
        code, error = bad_code, InvalidField
    kw = dict(order)
    args = (request_id, code, kw.pop("td_mode"), kw.pop("side"), kw.pop("ord_type"))
    check_same(Call("okx", "OkxWs", (key, signer, passphrase), {}, "order", args, kw), expect_error=error)
    if bad_id is not None or bad_code is not None:
        check_same(Call("okx", "OkxWs", (key, signer, passphrase), {}, "cancel_order", (request_id, code),
                        {"cl_ord_id": "a"}), expect_error=error)


okx_stp = st.one_of(st.none(), st.sampled_from(["cancel_maker", "cancel_taker", "cancel_both"]))


@st.composite
def okx_amends(draw) -> tuple[dict, type[BaseException] | None]:
    """amend_body / amend_args keywords, with the error the first bad one (if any) must give."""
    rules = draw(rules_specs)
    kw: dict = {"ord_id": draw(st.one_of(st.none(), okx_ord_ids)), "cl_ord_id": draw(st.one_of(st.none(), okx_cl_ids)),
                "new_sz": draw(st.one_of(st.none(), prices_for(rules, "qty"))),
                "new_px": draw(st.one_of(st.none(), prices_for(rules, "price"))),
                "cxl_on_fail": draw(st.booleans()), "req_id": draw(st.one_of(st.none(), okx_cl_ids))}
    if rules is not None:
        kw["rules"] = rules
    fault = draw(st.sampled_from([None, None, "req", "cxl", "number"]))
    if fault == "req":
        kw["req_id"] = draw(st.sampled_from(["", "a" * 33, "a-b"]))
    elif fault == "cxl":
        kw["cxl_on_fail"] = draw(st.sampled_from([1, "true", None]))
    elif fault == "number":
        kw["new_sz"], _ = draw(bad_numbers)
        kw.pop("rules", None)
    error: type[BaseException] | None = None
    if kw["ord_id"] is None and kw["cl_ord_id"] is None:
        error = InvalidOrder
    elif fault == "number":
        error = _
    elif fault == "cxl":
        error = TypeError
    elif fault == "req":
        error = InvalidField
    elif kw["new_sz"] is None and kw["new_px"] is None:
        error = InvalidOrder
    return kw, error


@needs("okx", "buffer", "sign", "numbers")
@FAST
@given(okx_ctor, inst_ids, st.integers(0, 2**63 - 1), okx_amends())
def test_okx_amend(ctor, inst_id, code, amend):
    key, signer, passphrase = ctor
    kw, error = amend
    check_same(Call("okx", "OkxRest", (key, signer, passphrase), {}, "amend_body", (inst_id,), kw),
               expect_error=error)
    check_same(Call("okx", "OkxWs", (key, signer, passphrase), {}, "amend_args", (code,), kw), expect_error=error)


@needs("okx", "buffer", "sign", "numbers")
@FAST
@given(okx_ctor, inst_ids, st.integers(0, 2**63 - 1), okx_orders(), okx_stp, okx_ts_ms,
       st.one_of(st.none(), okx_ord_ids), st.one_of(st.none(), okx_cl_ids))
def test_okx_batch_items(ctor, inst_id, code, order, stp, ts, ord_id, cl_ord_id):
    key, signer, passphrase = ctor
    kw = dict(order, stp_mode=stp)
    td, side, ot = kw.pop("td_mode"), kw.pop("side"), kw.pop("ord_type")
    rest = ("okx", "OkxRest", (key, signer, passphrase), {})
    ws = ("okx", "OkxWs", (key, signer, passphrase), {})
    check_same(Call(*rest, "order_body", (inst_id, td, side, ot), kw))
    check_same(Call(*rest, "place_order_request", (inst_id, td, side, ot), dict(kw, timestamp_ms=ts)))
    check_same(Call(*ws, "order_args", (code, td, side, ot), kw))
    check_same(Call(*ws, "order", ("7", code, td, side, ot), kw))
    error = InvalidOrder if ord_id is None and cl_ord_id is None else None
    ids = {"ord_id": ord_id, "cl_ord_id": cl_ord_id}
    check_same(Call(*rest, "cancel_body", (inst_id,), ids), expect_error=error)
    check_same(Call(*ws, "cancel_args", (code,), ids), expect_error=error)


okx_pos_sides = st.one_of(st.none(), st.sampled_from(["net", "long", "short"]))


@needs("okx", "buffer", "sign", "numbers")
@FAST
@given(okx_ctor, inst_ids, st.integers(0, 2**63 - 1), okx_orders(), okx_stp, okx_pos_sides, st.booleans(),
       okx_ts_ms, st.one_of(st.none(), timestamps_ms))
def test_okx_swap_fields(ctor, inst_id, code, order, stp, pos_side, reduce_only, ts, exp):
    """posSide / reduceOnly (SWAP orders) after stpMode, in every order method."""
    key, signer, passphrase = ctor
    kw = dict(order, stp_mode=stp, pos_side=pos_side, reduce_only=reduce_only)
    td, side, ot = kw.pop("td_mode"), kw.pop("side"), kw.pop("ord_type")
    rest = ("okx", "OkxRest", (key, signer, passphrase), {})
    ws = ("okx", "OkxWs", (key, signer, passphrase), {})
    check_same(Call(*rest, "order_body", (inst_id, td, side, ot), kw))
    check_same(Call(*rest, "place_order_request", (inst_id, td, side, ot), dict(kw, timestamp_ms=ts,
                                                                                 exp_time_ms=exp)))
    check_same(Call(*ws, "order_args", (code, td, side, ot), kw))
    check_same(Call(*ws, "order", ("7", code, td, side, ot), dict(kw, exp_time_ms=exp)))


@needs("okx", "buffer", "sign", "numbers")
@pytest.mark.parametrize("method", ["order_body", "order_args", "place_order_request", "order"])
@pytest.mark.parametrize(("extra", "error"), [
    ({"pos_side": "LONG"}, InvalidField), ({"pos_side": ""}, InvalidField), ({"pos_side": "both"}, InvalidField),
    ({"pos_side": 1}, TypeError), ({"reduce_only": 1}, TypeError), ({"reduce_only": "true"}, TypeError),
    ({"reduce_only": None}, TypeError), ({"stp_mode": "x", "pos_side": 1}, InvalidField),
    ({"pos_side": "x", "reduce_only": 1}, InvalidField),
])
def test_okx_bad_swap_fields(method, extra, error):
    cls, first = ("OkxRest", "BTC-USDT-SWAP") if method in ("order_body", "place_order_request") else ("OkxWs", 1)
    args = (first, "cross", "buy", "limit") if method != "order" else ("1", first, "cross", "buy", "limit")
    kw = {"sz": "1", "px": "2", "cl_ord_id": "a", **extra}
    if method == "place_order_request":
        kw["timestamp_ms"] = 1
    check_same(Call("okx", cls, ("key", Signer("hmac", "secret"), "pass"), {}, method, args, kw), expect_error=error)


@needs("okx", "buffer", "sign", "numbers")
@pytest.mark.parametrize("method", ["order_body", "order_args"])
@pytest.mark.parametrize("stp", ["CANCEL_MAKER", "", "none", 1])
def test_okx_bad_stp(method, stp):
    cls, first = ("OkxRest", "BTC-USDT") if method == "order_body" else ("OkxWs", 1)
    check_same(Call("okx", cls, ("key", Signer("hmac", "secret"), "pass"), {}, method,
                    (first, "cash", "buy", "limit"), {"sz": "1", "px": "2", "cl_ord_id": "a", "stp_mode": stp}),
               expect_error=TypeError if stp == 1 else InvalidField)


@needs("okx", "buffer", "sign")
@FAST
@given(okx_ctor, okx_ts_ms, st.one_of(st.none(), timestamps_ms), st.sampled_from(["GET", "POST"]),
       st.from_regex(r"/api/v5/[a-z/-]{1,30}(\?[a-zA-Z]{1,8}=[A-Za-z0-9,-]{1,10})?", fullmatch=True),
       st.binary(min_size=1, max_size=300), st.booleans())
def test_okx_signed_request(ctor, ts, exp, method, path, body, simulated):
    key, signer, passphrase = ctor
    call = ("okx", "OkxRest", (key, signer, passphrase), {"simulated": simulated}, "request")
    check_same(Call(*call, (method, path, body if method == "POST" else None),
                    {"timestamp_ms": ts, "exp_time_ms": exp}))
    # a GET with a body, a POST without one
    check_same(Call(*call, (method, path, None if method == "POST" else body), {"timestamp_ms": ts}),
               expect_error=InvalidField)


@needs("okx", "buffer", "sign")
@pytest.mark.parametrize(("args", "error"), [
    (("PUT", "/a", b"{}"), InvalidField), (("GET", "a", None), InvalidField), (("GET", "/a b", None), InvalidField),
    (("GET", "/\u00e9", None), InvalidField), (("GET", "", None), InvalidField), (("GET", b"/a", None), TypeError),
    (("POST", "/a", "{}"), TypeError), (("POST", "/a", bytearray(b"{}")), TypeError),
])
def test_okx_signed_request_faults(args, error):
    check_same(Call("okx", "OkxRest", ("key", Signer("hmac", "secret"), "pass"), {}, "request", args,
                    {"timestamp_ms": 1}), expect_error=error)


@needs("okx", "buffer", "sign")
@FAST
@given(okx_ctor, okx_request_ids, st.sampled_from(["order", "cancel-order", "amend-order", "batch-orders",
                                                    "batch-cancel-orders", "batch-amend-orders"]),
       st.from_regex(r'\{"instIdCode":[0-9]{1,5}\}(,\{"instIdCode":[0-9]{1,5}\}){0,3}', fullmatch=True),
       st.one_of(st.none(), timestamps_ms))
def test_okx_ws_op(ctor, request_id, op, args, exp):
    key, signer, passphrase = ctor
    call = ("okx", "OkxWs", (key, signer, passphrase), {}, "op")
    check_same(Call(*call, (request_id, op, args.encode()), {"exp_time_ms": exp}))
    check_same(Call(*call, (request_id, "login", args.encode()), {}), expect_error=InvalidField)
    check_same(Call(*call, (request_id, op, b""), {}), expect_error=InvalidField)
    check_same(Call(*call, (request_id, op, args), {}), expect_error=TypeError)


@needs("okx", "buffer", "sign")
@pytest.mark.parametrize("cls", ["OkxRest", "OkxWs"])
@pytest.mark.parametrize(("where", "value", "error"), [
    *[("api_key", bad, InvalidCredential) for bad in BAD_CREDENTIALS],
    *[("passphrase", bad, InvalidCredential) for bad in BAD_CREDENTIALS],
    ("signer", Signer("ed25519", b"\x01" * 32), TypeError),
])
def test_okx_bad_construction(cls, where, value, error):
    args = {"api_key": "key", "signer": Signer("hmac", "secret"), "passphrase": "pass"}
    args[where] = value
    check_same(Call("okx", cls, tuple(args.values()), {}, "__repr__", (), {}, uses_buffer=False),
               expect_error=error)


# ------------------------------------------------------------------------------------------------------------
# HTX

htx_symbols = st.from_regex(r"[a-z0-9]{1,32}", fullmatch=True)
htx_client_ids = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
htx_ts = st.integers(1, 253402300799)
HTX_TYPES = ["buy-market", "sell-market", "buy-limit", "sell-limit", "buy-ioc", "sell-ioc", "buy-limit-maker",
             "sell-limit-maker", "buy-limit-fok", "sell-limit-fok"]
htx_ctor = st.tuples(credentials, signers, okx_ord_ids,
                     st.sampled_from(["api.huobi.pro", "api-aws.huobi.pro", "API.Huobi.PRO"]))


@st.composite
def htx_orders(draw) -> dict:
    type_ = draw(st.sampled_from(HTX_TYPES))
    # buy-market's amount is a quote amount: whether the lot size applies to it is a spec question, left out
    rules = None if type_ == "buy-market" else draw(rules_specs)
    order = {"type": type_, "symbol": draw(htx_symbols), "amount": draw(prices_for(rules, "qty")),
             "client_order_id": draw(htx_client_ids), "source": draw(st.sampled_from(
                 ["spot-api", "margin-api", "super-margin-api", "c2c-margin-api"]))}
    if not type_.endswith("-market"):
        order["price"] = draw(prices_for(rules, "price"))
    if rules is not None:
        order["rules"] = rules
    return order


@needs("htx", "buffer", "sign", "numbers")
@FAST
@given(htx_ctor, htx_orders(), htx_ts)
def test_htx_place(ctor, order, ts):
    key, signer, account_id, host = ctor
    kw = dict(order, timestamp_s=ts)
    args = (kw.pop("symbol"), kw.pop("type"))
    check_same(Call("htx", "HtxRest", (key, signer), {"account_id": account_id, "host": host},
                    "place_order_request", args, kw))


@needs("htx", "buffer", "sign", "numbers")
@FAST
@given(htx_ctor, htx_orders(), htx_ts, st.sampled_from(["symbol", "type", "cid", "source", "number", "price",
                                                        "ts"]), st.data())
def test_htx_place_faults(ctor, order, ts, fault, data):
    key, signer, account_id, host = ctor
    order.pop("rules", None)
    if fault == "symbol":
        order["symbol"], error = data.draw(st.one_of(
            with_bad_char(htx_symbols, BAD_CHARS + ["A", "-", "_", "."]), st.just(""), st.just("a" * 33))), InvalidField
    elif fault == "type":
        order["type"], error = data.draw(st.sampled_from(["buy", "BUY-LIMIT", "buy-stop-limit", ""])), InvalidField
    elif fault == "cid":
        order["client_order_id"], error = data.draw(st.one_of(
            with_bad_char(htx_client_ids, BAD_CHARS + [".", "é"], 64), st.just(""), st.just("a" * 65))), InvalidField
    elif fault == "source":
        order["source"], error = data.draw(st.sampled_from(["api", "SPOT-API", ""])), InvalidField
    elif fault == "number":
        value, error = data.draw(bad_numbers)
        order[data.draw(st.sampled_from([n for n in ("amount", "price") if n in order]))] = value
    elif fault == "price":
        error = InvalidOrder
        if "price" in order:
            order.pop("price")
        else:
            order["price"] = "1"
    else:
        ts, error = data.draw(st.sampled_from([0, -1, 253402300800])), InvalidField
    kw = dict(order, timestamp_s=ts)
    args = (kw.pop("symbol"), kw.pop("type"))
    check_same(Call("htx", "HtxRest", (key, signer), {"account_id": account_id, "host": host},
                    "place_order_request", args, kw), expect_error=error)


@needs("htx", "buffer", "sign", "numbers")
@FAST
@given(htx_ctor, st.lists(htx_orders(), min_size=1, max_size=10), htx_ts, st.lists(st.sampled_from([None, 0, 1]),
                                                                                  min_size=10, max_size=10),
       st.sampled_from([None, "empty", "eleven", "smp", "key", "notlist"]))
def test_htx_batch_orders(ctor, orders, ts, smps, fault):
    key, signer, account_id, host = ctor
    orders = [dict(o, self_match_prevent=s) if s is not None else o for o, s in zip(orders, smps, strict=False)]
    error = None
    if fault == "empty":
        orders, error = [], InvalidOrder
    elif fault == "eleven":
        orders, error = (orders * 11)[:11], InvalidOrder
    elif fault == "smp":
        orders[-1]["self_match_prevent"], error = (2, -1, True, "1")[ts % 4], (InvalidField, InvalidField, TypeError,
                                                                             TypeError)[ts % 4]
    elif fault == "key":
        orders[0]["side"], error = "buy", TypeError
    elif fault == "notlist":
        orders, error = tuple(orders), TypeError
    check_same(Call("htx", "HtxRest", (key, signer), {"account_id": account_id, "host": host},
                    "batch_orders_request", (orders,), {"timestamp_s": ts}), expect_error=error)


@needs("htx", "buffer", "sign")
@FAST
@given(htx_ctor, st.lists(okx_ord_ids, min_size=1, max_size=50), st.lists(htx_client_ids, min_size=1, max_size=50),
       htx_ts, st.booleans(), st.sampled_from([None, "both", "none", "many", "bad"]))
def test_htx_batch_cancel(ctor, order_ids, client_ids, ts, by_clid, fault):
    key, signer, account_id, host = ctor
    kw: dict = {"client_order_ids": client_ids} if by_clid else {"order_ids": order_ids}
    error = None
    if fault == "both":
        kw, error = {"order_ids": order_ids, "client_order_ids": client_ids}, InvalidOrder
    elif fault == "none":
        kw, error = {}, InvalidOrder
    elif fault == "many":
        kw = {k: (v * 51)[:51] for k, v in kw.items()}
        error = InvalidOrder
    elif fault == "bad":
        kw = {k: v[:-1] + (["a&b"] if by_clid else ["12a"]) for k, v in kw.items()}
        error = InvalidField
    check_same(Call("htx", "HtxRest", (key, signer), {"account_id": account_id, "host": host},
                    "batch_cancel_request", (), dict(kw, timestamp_s=ts)), expect_error=error)


@needs("htx", "buffer", "sign")
@FAST
@given(htx_ctor, htx_ts, st.one_of(st.none(), htx_symbols), st.integers(-2, 600), st.one_of(st.none(), okx_ord_ids),
       st.sampled_from([None, "prev", "next", "up"]), st.integers(-1, 12),
       st.sampled_from(["open_orders_request", "cancel_open_orders_request", "cancel_all_after_request",
                        "balance_request"]))
def test_htx_account_requests(ctor, ts, symbol, size, from_id, direct, timeout, method):
    key, signer, account_id, host = ctor
    args: tuple = ()
    error = None
    if method == "open_orders_request":
        kw = {"symbol": symbol, "size": size, "from_id": from_id, "direct": direct}
        if direct == "up" or not 1 <= size <= 500:
            error = InvalidField
    elif method == "cancel_open_orders_request":
        kw = {"symbol": symbol, "size": size}
        if not 1 <= size <= 100:
            error = InvalidField
    elif method == "cancel_all_after_request":
        kw, args = {}, (timeout,)
        if timeout < 0 or 0 < timeout < 5:
            error = InvalidField
    else:
        kw = {}
    check_same(Call("htx", "HtxRest", (key, signer), {"account_id": account_id, "host": host}, method, args,
                    dict(kw, timestamp_s=ts)), expect_error=error)


@needs("htx", "buffer", "sign")
@FAST
@given(htx_ctor, okx_ord_ids, htx_client_ids, htx_ts,
       st.sampled_from(["cancel_request", "query_request", "cancel_client_request", "query_client_request"]),
       st.sampled_from([None, "id", "ts"]))
def test_htx_cancel_query(ctor, order_id, client_order_id, ts, method, fault):
    key, signer, account_id, host = ctor
    ident = client_order_id if "client" in method else order_id
    error = None
    if fault == "id":
        if "client" in method:
            ident, error = client_order_id + "&Signature=x", InvalidField
        else:
            ident, error = ("12a", "", "1" * 21, -1, 2**63)[ts % 5], InvalidField
    elif fault == "ts":
        ts, error = 0, InvalidField
    check_same(Call("htx", "HtxRest", (key, signer), {"account_id": account_id, "host": host}, method, (ident,),
                    {"timestamp_s": ts}), expect_error=error)


@needs("htx", "sign")
@FAST
@given(htx_ctor, htx_ts, st.sampled_from(["GET", "POST"]), st.sampled_from(
    ["/v1/order/orders/place", "/v1/order/orders/1/submitcancel", "/url"]), st.one_of(st.none(), htx_client_ids))
def test_htx_pre_signed_text(ctor, ts, method, path, client_order_id):
    key, signer, account_id, host = ctor
    check_same(Call("htx", "HtxRest", (key, signer), {"account_id": account_id, "host": host}, "pre_signed_text",
                    (method, path), {"timestamp_s": ts, "client_order_id": client_order_id}, uses_buffer=False))
    check_same(Call("htx", None, (), {}, "htx_timestamp", (ts,), {}, uses_buffer=False))


@needs("htx", "buffer", "sign")
@pytest.mark.parametrize(("where", "value", "error"), [
    *[("access_key", bad, InvalidCredential) for bad in BAD_CREDENTIALS],
    ("signer", "secret", TypeError), ("account_id", "12a", InvalidField), ("account_id", "", InvalidField),
    ("account_id", "1" * 21, InvalidField), ("account_id", -1, InvalidField), ("account_id", 2**63, InvalidField),
])
def test_htx_bad_construction(where, value, error):
    args = {"access_key": "key", "signer": Signer("hmac", "secret")}
    kwargs = {"account_id": 1}
    if where in args:
        args[where] = value
    else:
        kwargs[where] = value
    check_same(Call("htx", "HtxRest", tuple(args.values()), kwargs, "__repr__", (), {}, uses_buffer=False),
               expect_error=error)


# ------------------------------------------------------------------------------------------------------------
# a wrong Python type for a text or int field: TypeError, as the numbers stub says for numbers ("anything else
# raises TypeError") and as Python does; never a ValueError subclass such as InvalidField.

_HMAC = Signer("hmac", "secret")


def _b_order(**over):
    kw = {"client_order_id": None, "timestamp": 1499827319559, "quantity": 1, "price": "0.1", "time_in_force": "GTC"}
    kw.update(over)
    args = (kw.pop("symbol", "LTCBTC"), kw.pop("side", "BUY"), kw.pop("type", "LIMIT"))
    return Call("binance", "BinanceRest", ("key", _HMAC), {}, "new_order_params", args, kw)


def _okx_order(**over):
    kw = {"sz": 1, "cl_ord_id": "a", "px": "1"}
    kw.update(over)
    return Call("okx", "OkxRest", ("key", _HMAC, "pass"), {}, "order_body", (kw.pop("inst_id", "BTC-USDT"), "cash",
                                                                             "buy", "limit"), kw)


WRONG_TYPES = {
    "binance-symbol-int": _b_order(symbol=123),
    "binance-symbol-None": _b_order(symbol=None),
    "binance-side-None": _b_order(side=None),
    "binance-type-int": _b_order(type=5),
    "binance-tif-int": _b_order(time_in_force=1),
    "binance-client_order_id-int": _b_order(client_order_id=5),
    "binance-timestamp-str": _b_order(timestamp="1499827319559"),
    "binance-timestamp-float": _b_order(timestamp=1.5e12),
    "binance-cancel-order_id-str": Call("binance", "BinanceRest", ("key", _HMAC), {}, "cancel_params", ("BTCUSDT",),
                                        {"timestamp": 1, "order_id": "123"}),
    "binance-recv_window-str": Call("binance", "BinanceRest", ("key", _HMAC), {"recv_window": "5000"}, "__repr__",
                                    (), {}, uses_buffer=False),
    "binance-ws-request_id-float": Call("binance", "BinanceWs", ("key", _HMAC), {}, "ping", (1.5,), {}),
    "binance-ws-request_id-None": Call("binance", "BinanceWs", ("key", _HMAC), {}, "ping", (None,), {}),
    "okx-inst_id-int": _okx_order(inst_id=5),
    "okx-cancel-ord_id-float": Call("okx", "OkxRest", ("key", _HMAC, "pass"), {}, "cancel_request", ("BTC-USDT",),
                                    {"timestamp_ms": 1, "ord_id": 1.0}),
    "okx-ws-request_id-float": Call("okx", "OkxWs", ("key", _HMAC, "pass"), {}, "cancel_order", (1.5, 5),
                                    {"cl_ord_id": "a"}),
    "okx-ws-inst_id_code-str": Call("okx", "OkxWs", ("key", _HMAC, "pass"), {}, "cancel_order", ("1", "5"),
                                    {"cl_ord_id": "a"}),
    "okx-passphrase-None": Call("okx", "OkxRest", ("key", _HMAC, None), {}, "__repr__", (), {}, uses_buffer=False),
    "htx-account_id-float": Call("htx", "HtxRest", ("key", _HMAC), {"account_id": 1.0}, "__repr__", (), {},
                                 uses_buffer=False),
    "htx-order_id-float": Call("htx", "HtxRest", ("key", _HMAC), {"account_id": 1}, "query_request", (1.5,),
                               {"timestamp_s": 1}),
    "htx-symbol-int": Call("htx", "HtxRest", ("key", _HMAC), {"account_id": 1}, "place_order_request",
                           (5, "buy-limit"), {"amount": "1", "price": "1", "client_order_id": "c", "timestamp_s": 1}),
}


@needs("binance", "okx", "htx", "buffer", "sign")
@pytest.mark.parametrize("case", list(WRONG_TYPES))
def test_wrong_python_type_is_typeerror(case):
    check_same(WRONG_TYPES[case], expect_error=TypeError)


# ------------------------------------------------------------------------------------------------------------
# every text field against every bad character (deterministic: a random draw may miss the rare ones)

NON_ASCII_BAD = ["é", "１", "٣", "\u00b2"]  # fullwidth / Arabic-Indic / superscript digits pass str.isdigit()


def _text_field_calls(value: str) -> dict[str, tuple[Call, list[str]]]:
    """field name -> (call with `value` in that field, extra bad characters for that field)."""
    b_rest = ("binance", "BinanceRest", ("key", _HMAC), {})
    b_ws = ("binance", "BinanceWs", ("key", _HMAC), {})
    okx_rest = ("okx", "OkxRest", ("key", _HMAC, "pass"), {})
    okx_ws = ("okx", "OkxWs", ("key", _HMAC, "pass"), {})
    htx = ("htx", "HtxRest", ("key", _HMAC), {"account_id": 1})
    place = {"amount": "1", "price": "1", "client_order_id": "c", "timestamp_s": 1}
    return {
        "binance.symbol": (_b_order(symbol="BTC" + value), []),
        "binance.client_order_id": (_b_order(client_order_id="id" + value), NON_ASCII_BAD),
        "binance.orig_client_order_id": (Call(*b_rest, "cancel_params", ("BTCUSDT",),
                                              {"timestamp": 1, "orig_client_order_id": "o" + value}), NON_ASCII_BAD),
        "binance.new_client_order_id": (Call(*b_rest, "cancel_request", ("BTCUSDT",),
                                             {"timestamp": 1, "order_id": 1, "new_client_order_id": "n" + value}),
                                        NON_ASCII_BAD),
        "binance.ws.request_id": (Call(*b_ws, "order_status", ("r" + value, "BTCUSDT"),
                                       {"timestamp": 1, "order_id": 1}), NON_ASCII_BAD),
        "okx.inst_id": (_okx_order(inst_id="BTC" + value), NON_ASCII_BAD),
        "okx.cl_ord_id": (_okx_order(cl_ord_id="c" + value), NON_ASCII_BAD + ["-", "_", "."]),
        "okx.ord_id": (Call(*okx_rest, "query_request", ("BTC-USDT",), {"timestamp_ms": 1, "ord_id": "1" + value}),
                       NON_ASCII_BAD + ["-", "a"]),
        "okx.ws.request_id": (Call(*okx_ws, "cancel_order", ("r" + value, 5), {"cl_ord_id": "a"}),
                              NON_ASCII_BAD + ["-", "_"]),
        "htx.symbol": (Call(*htx, "place_order_request", ("btc" + value, "buy-limit"), place),
                       NON_ASCII_BAD + ["A", "-", "_", "."]),
        "htx.client_order_id": (Call(*htx, "place_order_request", ("btcusdt", "buy-limit"),
                                     dict(place, client_order_id="c" + value)), NON_ASCII_BAD + ["."]),
        "htx.cancel_client": (Call(*htx, "cancel_client_request", ("c" + value,), {"timestamp_s": 1}),
                              NON_ASCII_BAD + ["."]),
        "htx.query_client": (Call(*htx, "query_client_request", ("c" + value,), {"timestamp_s": 1}),
                             NON_ASCII_BAD + ["."]),
        "htx.order_id": (Call(*htx, "cancel_request", ("1" + value,), {"timestamp_s": 1}), NON_ASCII_BAD + ["a"]),
        "htx.account_id": (Call("htx", "HtxRest", ("key", _HMAC), {"account_id": "1" + value}, "__repr__", (), {},
                                uses_buffer=False), NON_ASCII_BAD + ["a"]),
    }


@needs("binance", "okx", "htx", "buffer", "sign", "numbers")
@pytest.mark.parametrize("field", list(_text_field_calls("x")))
def test_bad_characters_in_text_fields(field):
    extra = _text_field_calls("x")[field][1]
    failures = []
    for char in BAD_CHARS + extra:
        call = _text_field_calls(char)[field][0]
        try:
            check_same(call, expect_error=InvalidField)
        except AssertionError as exc:
            failures.append(f"{char!r}: {str(exc).splitlines()[0]}")
    assert not failures, f"{field}: " + "; ".join(failures)
