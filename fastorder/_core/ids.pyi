"""Client order ids, unique across processes and restarts, valid on every venue.

An id is `prefix + salt + counter`: `prefix` is the caller's (0-8 ASCII letters/digits), `salt` is 10 base62
characters drawn from os.urandom when the generator is made and again in a forked child (~59 random bits,
so two processes or two runs never share it), `counter` is 8 base62 characters counting from a random start.
At most 26 characters of [0-9A-Za-z]: valid for Binance (<= 36 of [A-Za-z0-9-_]), OKX (<= 32 alphanumerics)
and HTX (<= 64).
"""

ALPHABET: str  # "0-9A-Za-z", the base62 digits in this order

class ClientIdGenerator:
    def __init__(self, prefix: str = "") -> None: ...
    @property
    def prefix(self) -> str: ...
    @property
    def salt(self) -> str: ...
    def next(self) -> str:
        """The next id (never repeats within this generator: the counter has 62**8 values)."""
    def __next__(self) -> str: ...
    def __iter__(self) -> ClientIdGenerator: ...
