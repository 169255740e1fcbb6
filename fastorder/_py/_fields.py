"""Field checks and text helpers shared by the pure-Python encoders (twin of the compiled field rules)."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from fastorder._py.numbers import Number, SymbolRules, decimal_text
from fastorder.errors import InvalidCredential, InvalidField

INT63 = 2**63


def pct(value: str) -> str:
    """Percent-encoding as UTF-8 with uppercase hex, keeping only A-Za-z0-9 and "-._~"."""
    return quote(value, safe="")


def jstr(value: str) -> str:
    """A JSON string literal (raw UTF-8 for non-ASCII)."""
    return json.dumps(value, ensure_ascii=False)


def check_str(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{field} must be str, not {type(value).__name__}")
    return value


def check_re(value: object, pattern: re.Pattern[str], field: str) -> str:
    value = check_str(value, field)
    if not pattern.fullmatch(value):
        raise InvalidField(f"{field} has characters or a length its wire format cannot carry", field=field)
    return value


def check_enum(value: object, allowed: frozenset[str], field: str) -> str:
    value = check_str(value, field)
    if value not in allowed:
        raise InvalidField(f"{field} must be one of {sorted(allowed)}", field=field)
    return value


def check_int(value: object, lo: int, hi: int, field: str) -> int:
    """An int (not bool) in [lo, hi); out of range: InvalidField (the stubs name no type for it; this is the
    compiled core's choice, kept so both agree)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field} must be int, not {type(value).__name__}")
    if not lo <= value < hi:
        raise InvalidField(f"{field} out of range [{lo}, {hi})", field=field)
    return value


_DIGITS_1_20 = re.compile(r"[0-9]{1,20}")


def check_id_digits(value: object, field: str) -> str:
    """An int in [0, 2**63) or a str of 1-20 ASCII digits, as text."""
    if isinstance(value, str):
        return check_re(value, _DIGITS_1_20, field)
    return str(check_int(value, 0, INT63, field))


def check_credential(value: object, name: str, *, space: bool = False) -> str:
    """Non-empty printable ASCII (no space unless `space`): what a header, a URL and a JSON string all carry."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    lowest = "\x20" if space else "\x21"
    if not value or not all(lowest <= c <= "\x7e" for c in value):
        raise InvalidCredential(f"{name} is empty or has characters a header/URL cannot carry")
    return value


_HOST = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?")


def user_agent_line(value: object) -> str:
    """"User-Agent: <value>\\r\\n" ("" for None): 1-256 printable ASCII characters, else InvalidField."""
    if value is None:
        return ""
    if type(value) is not str:
        raise TypeError(f"user_agent must be a str, not {type(value).__name__}")
    if not 0 < len(value) <= 256 or not value.isascii() or not value.isprintable():
        raise InvalidField("user_agent must be 1-256 printable ASCII characters", field="user_agent")
    return f"User-Agent: {value}\r\n"


def check_host(value: object) -> str:
    value = check_str(value, "host")
    if not _HOST.fullmatch(value):
        raise InvalidField("host must be a plain host name (letters, digits, '.', '-', optional :port)", field="host")
    return value


def number(value: Number, field: str, rules: SymbolRules | None, kind: str | None) -> str:
    """decimal_text, or the rules' tick/step-exact text when `rules` and `kind` ('price' | 'qty')."""
    if rules is not None and kind == "price":
        return rules.price(value)
    if rules is not None and kind == "qty":
        return rules.qty(value)
    return decimal_text(value, field=field)


def check_rules(rules: object) -> SymbolRules | None:
    if rules is not None and not isinstance(rules, SymbolRules):
        raise TypeError(f"rules must be SymbolRules or None, not {type(rules).__name__}")
    return rules
