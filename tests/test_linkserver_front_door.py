"""The front door: short links skip Starlette, so their own failures must still answer 500;
and the ZIP a visitor gives is read however long the query string."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from campaign_pipelines.linkserver.app import FrontDoor
from campaign_pipelines.linkserver.redirects import _zip_parameter


def _call(app, path: str) -> list[dict]:
    sent: list[dict] = []
    scope = {
        "type": "http", "method": "GET", "path": path, "headers": [(b"host", b"x")],
        "query_string": b"", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
        "scheme": "http", "root_path": "", "http_version": "1.1", "raw_path": path.encode(),
    }  # fmt: skip

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def _app(links) -> FrontDoor:
    async def health(_):
        return PlainTextResponse("ok")

    inner = Starlette(routes=[Route("/healthz", health)])
    return FrontDoor(inner, links=links, own_paths=["/healthz"], max_header_bytes=8192)


def test_front_door_a_failing_short_link_answers_500_and_logs(caplog):
    async def broken(scope, receive, send):
        raise RuntimeError("resolver exploded")

    sent = _call(_app(broken), "/AbCdEfGh1")

    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 500
    assert "short link request failed" in caplog.text


def test_front_door_own_paths_still_go_through_starlette():
    async def never(scope, receive, send):
        raise AssertionError("a named route must not reach the link endpoint")

    sent = _call(_app(never), "/healthz")

    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"ok"


def test_zip_parameter_is_found_after_many_other_parameters():
    query = "&".join(f"p{i}=1" for i in range(25)) + "&zip=27601-1234"

    assert _zip_parameter(query.encode()) == (True, "27601")
    assert _zip_parameter(b"zip=2760") == (True, None)
    assert _zip_parameter(b"a=1") == (False, None)
