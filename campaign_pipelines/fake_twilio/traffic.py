"""A record of every REST exchange with the fake, kept for checking it against Twilio's spec.

``TrafficRecorder`` is plain ASGI middleware around the app: it copies each request under
``/2010-04-01/`` and the response the app sent back, and adds the pair to a ``TrafficLog``.
The control endpoints under ``/_fake/`` are not Twilio's and are not recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

RECORDED_PREFIX = "/2010-04-01/"


@dataclass(frozen=True)
class Exchange:
    """One request and its response, as raw as the wire had them."""

    method: str
    path: str
    query_string: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes


class TrafficLog:
    """Thread-safe list of exchanges, in the order their responses finished."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)

    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def clear(self) -> None:
        with self._lock:
            self._exchanges.clear()


class TrafficRecorder:
    """ASGI middleware that records Twilio API exchanges into ``log`` while ``enabled()``."""

    def __init__(self, app: ASGIApp, *, log: TrafficLog, enabled: Callable[[], bool]) -> None:
        self.app = app
        self.log = log
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        recorded = (
            scope["type"] == "http" and scope["path"].startswith(RECORDED_PREFIX) and self.enabled()
        )
        if not recorded:
            await self.app(scope, receive, send)
            return

        request_body = bytearray()
        response_start: list[Message] = []
        response_body = bytearray()

        async def receive_and_copy() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request_body.extend(message.get("body", b""))
            return message

        async def send_and_copy(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_start.append(message)
            elif message["type"] == "http.response.body":
                response_body.extend(message.get("body", b""))
            await send(message)

        await self.app(scope, receive_and_copy, send_and_copy)
        start = response_start[0] if response_start else {"status": 500, "headers": []}
        self.log.add(
            Exchange(
                method=scope["method"],
                path=scope["path"],
                query_string=scope["query_string"].decode("latin-1"),
                request_headers=_headers(scope["headers"]),
                request_body=bytes(request_body),
                status=start["status"],
                response_headers=_headers(start.get("headers", [])),
                response_body=bytes(response_body),
            )
        )


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}
