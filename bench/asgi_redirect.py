"""Floors under any Python link server here, both answering every request with the same 302.

- ``app`` does nothing else (no look-up, no click, no database);
- ``waiting_app`` first waits, like a click waiting for its group commit, for its batch to be
  "committed": each batch is released ``COMMIT_SECONDS`` after it closes (about what a click
  batch takes to commit under this benchmark's load), and every request in it is answered.
  Nothing is written; what it measures is the cost of answering after a shared wait, in the
  server and the event loop, which any app that commits before it redirects pays.

``bench/link_server.py`` serves both with the same Granian settings as ``campaign serve`` and
loads them with the same wrk run as nginx and the link server, so one run shows how much of
nginx's rate a Python ASGI server reaches on this machine before the app does any work.
"""

import asyncio

LOCATION = b"https://example.org/donate"
COMMIT_SECONDS = 0.002
_HEADERS = [(b"location", LOCATION), (b"content-length", b"0")]


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _redirect(send) -> None:
    await send({"type": "http.response.start", "status": 302, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": b""})


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    await _redirect(send)


class _Batches:
    """The batch gathering now closes on the loop's next turn (when a free flusher would take
    it) and is released ``COMMIT_SECONDS`` later; requests meanwhile join the next batch."""

    def __init__(self) -> None:
        self._gathering: asyncio.Future[None] | None = None

    def join(self) -> asyncio.Future[None]:
        if self._gathering is None:
            loop = asyncio.get_running_loop()
            self._gathering = loop.create_future()
            loop.call_soon(self._commit)
        return self._gathering

    def _commit(self) -> None:
        batch, self._gathering = self._gathering, None
        asyncio.get_running_loop().call_later(COMMIT_SECONDS, batch.set_result, None)


_batches = _Batches()


async def waiting_app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    await _batches.join()
    await _redirect(send)
