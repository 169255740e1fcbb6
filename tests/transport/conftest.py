"""Shared fixtures for the transport tests: every async test runs on both asyncio's default loop and uvloop,
bounded in time; servers bind 127.0.0.1 only."""

import asyncio
import os
import shutil
import sys

import pytest
import uvloop

sys.path.insert(0, os.path.dirname(__file__))  # importlib mode: make trhelpers importable

from trhelpers import Nginx  # noqa: E402

LOOPS = ["asyncio", "uvloop"]


@pytest.fixture(params=LOOPS)
def run(request):
    """run(coro_fn, timeout=20): run ``await coro_fn()`` on a fresh loop of the parametrised kind."""

    def _run(coro_fn, timeout=20.0):
        async def main():
            return await asyncio.wait_for(coro_fn(), timeout)

        if request.param == "uvloop":
            return uvloop.run(main())
        return asyncio.run(main())

    _run.loop_kind = request.param
    return _run


@pytest.fixture(scope="session")
def nginx_bin():
    for p in ("nginx", "/usr/sbin/nginx"):
        found = shutil.which(p)
        if found:
            return found
    pytest.skip("nginx binary not found (CI installs Debian's nginx-light via .ci/run)")


@pytest.fixture
def nginx(nginx_bin, tmp_path):
    n = Nginx(nginx_bin, tmp_path)
    yield n
    n.stop()


@pytest.fixture(scope="session")
def tls_ca():
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    return ca, cert


@pytest.fixture
def nginx_tls(nginx_bin, tmp_path, tls_ca):
    ca, cert = tls_ca
    n = Nginx(nginx_bin, tmp_path, cert=(cert.cert_chain_pems[0].bytes(), cert.private_key_pem.bytes()))
    yield n
    n.stop()
