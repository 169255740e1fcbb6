"""Subclasses of the four number classes a price or quantity may have, for the tests of the one number rule
(fastorder.venues.inputs.check_number) and of the number parsers, which read each as its base class."""

from __future__ import annotations

from decimal import Decimal


class Float(float):
    def __repr__(self) -> str:   # as numpy's float64 writes itself (np.float64(0.5)): never the number's text
        return f"Float({float(self)})"


class Str(str):
    pass


class Int(int):
    pass


class Dec(Decimal):
    pass
