"""fastorder: low-latency order entry for Binance, OKX and HTX over ordinary REST and WebSocket APIs."""

__version__ = "0.1.0"
