"""fastorder: low-latency order entry for Binance, OKX and HTX over ordinary REST and WebSocket APIs."""

__version__ = "0.1.0"


def get_include() -> str:
    """The folder holding the C headers the core's .pxd files name: pass it as an include dir when you
    compile Cython code that does `cimport fastorder._core.buffer` (and friends)."""
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, "include")
    return installed if os.path.isdir(installed) else os.path.join(os.path.dirname(here), "csrc")
