"""Fixtures for the core tests: every test that takes `impl` runs against both implementations.

`impl.<module>` imports `fastorder._py.<module>` or `fastorder._core.<module>`. A compiled module that does not
import yet skips the test with the reason; a twin module that does not import is an error.
"""

from __future__ import annotations

import importlib

import pytest

IMPLS = ("py", "core")


class Impl:
    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"Impl({self.kind})"

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return importlib.import_module(f"fastorder._{self.kind}.{name}")
        except ImportError as exc:
            if self.kind == "core":
                pytest.skip(f"compiled fastorder._core.{name} does not import yet ({exc})")
            raise


@pytest.fixture(params=IMPLS, ids=lambda k: f"{k}")
def impl(request: pytest.FixtureRequest) -> Impl:
    return Impl(request.param)


def pytest_configure(config: pytest.Config) -> None:
    # hypothesis' failure report can import mypy_extensions (when installed), whose TypedDict warns; with
    # filterwarnings=error that turns a readable failure into an INTERNALERROR.
    config.addinivalue_line("filterwarnings", "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")
