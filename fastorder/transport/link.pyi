from typing import final

@final
class Waiter:
    """One request waiting for its reply (internal: held by a protocol's request table)."""

class Link:
    """The byte stream under an HTTP or WebSocket client protocol: socket options, direct writes, the read
    timer and spin mode.  Internal: created and driven by the protocols, with no Python-level interface."""

def _set_rekey_after(n: int) -> int:
    """Tests: records sealed under one write key before a KeyUpdate (0: the default); the previous value."""

def _set_nonce_by_init(on: bool) -> bool:
    """Tests: record keys set from now on take each nonce through EVP_CipherInit_ex (the fallback path); the
    previous value."""
