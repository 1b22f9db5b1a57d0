"""The floor under any Python link server here: an ASGI app that answers every request with
the same 302 and does nothing else (no look-up, no click, no database).

``bench/link_server.py`` serves it with the same Granian settings as ``campaign serve`` and
loads it with the same wrk run as nginx and the link server, so one run shows how much of
nginx's rate a Python ASGI server reaches on this machine before the app does any work.
"""

LOCATION = b"https://example.org/donate"
_HEADERS = [(b"location", LOCATION), (b"content-length", b"0")]


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 302, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": b""})
