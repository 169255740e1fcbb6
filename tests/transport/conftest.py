"""Shared fixtures for the transport tests: every async test runs on both asyncio's default loop and uvloop,
bounded in time; servers bind 127.0.0.1 only."""

import asyncio
import shutil
import threading

import pytest
import uvloop

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


class ThreadServer:
    """An aiohttp/websockets/raw server on its own loop in a thread, for tests whose client blocks its loop
    (spin mode) or must not share a loop with the server."""

    def __init__(self, start):  # start: async fn() -> (port, cleanup coroutine fn)
        self._start = start
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)
        self.port = None
        self._cleanup = None
        self._exc = None

    def _main(self):
        asyncio.set_event_loop(self.loop)

        async def boot():
            try:
                self.port, self._cleanup = await self._start()
            except BaseException as e:  # reported to the test thread
                self._exc = e
            finally:
                self._ready.set()

        self.loop.run_until_complete(boot())
        if self._exc is None:
            self.loop.run_forever()
            self.loop.run_until_complete(self._cleanup())
        self.loop.close()

    def __enter__(self):
        self._thread.start()
        if not self._ready.wait(10):
            raise TimeoutError("test server did not start")
        if self._exc is not None:
            raise self._exc
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="session")
def nginx_bin():
    for p in ("nginx", "/usr/sbin/nginx"):
        found = shutil.which(p)
        if found:
            return found
    pytest.skip("nginx binary not found (CI installs Debian's nginx-light via .ci/run)")
