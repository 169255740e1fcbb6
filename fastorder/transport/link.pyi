from typing import final

@final
class Waiter:
    """One request waiting for its reply (internal: held by a protocol's request table)."""

class Link:
    """The byte stream under an HTTP or WebSocket client protocol: socket options, direct writes, the read
    timer and spin mode.  Internal: created and driven by the protocols, with no Python-level interface."""

def _set_rekey_after(n: int) -> int:
    """Tests: records sealed under one write key before a KeyUpdate (0: the default); the previous value."""
