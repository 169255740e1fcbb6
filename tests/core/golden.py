"""Signing golden vectors, as data: tests/data/signing_vectors.json, each vector with the public sources it
comes from (the venues' API docs, the official HTX SDK's tests, RFC 8032).

published=True: secret, signed text and signature all appear in a cited source. published=False: the key
material and text come from the cited sources and the signature was computed from them with the documented
algorithm; test_vectors.py recomputes those with Python's hmac module / the cryptography package.
"""

import json
from pathlib import Path

_DATA = json.loads((Path(__file__).parents[1] / "data" / "signing_vectors.json").read_text(encoding="utf-8"))

BINANCE_API_KEY = _DATA["binance_api_key"]["value"]
SOURCES = {v["id"]: v["sources"] for v in _DATA["vectors"]}


def as_dicts() -> list[dict]:
    """One dict per vector: id, venue, kind, official (= published), secret or private_seed_hex, signed_text,
    signature, encoding."""
    out = []
    for v in _DATA["vectors"]:
        d = {"id": v["id"], "venue": v["venue"], "kind": v["kind"], "official": v["published"]}
        d.update({k: v[k] for k in ("secret", "private_seed_hex") if k in v})
        d.update(signed_text=v["signed_text"], signature=v["signature"], encoding=v["encoding"])
        out.append(d)
    return out
