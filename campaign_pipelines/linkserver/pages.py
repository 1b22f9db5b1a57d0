"""The few pages the server draws itself, every value escaped: errors, the ZIP form and the
campaign's polling-place page. They load nothing from elsewhere (the security policy forbids it)
and say nothing about why a code failed beyond what the visitor needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-robots-tag": "noindex, nofollow",
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1b1b1b}h1{font-size:1.4rem}input,button{font-size:1.1rem;"
    "padding:.4rem}.error{color:#a30000}"
)


def page(title: str, body: str, *, status: int = 200, head_only: bool = False) -> Response:
    """An HTML response; ``body`` must already be escaped."""
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    ).encode()
    response = Response(
        b"" if head_only else document,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers=SECURITY_HEADERS,
    )
    if head_only:
        response.headers["content-length"] = str(len(document))
    return response


def not_found(*, head_only: bool = False) -> Response:
    return page(
        "Link not found",
        "<h1>This link was not found</h1><p>Check that it was copied in full.</p>",
        status=404,
        head_only=head_only,
    )


def gone(*, head_only: bool = False) -> Response:
    return page(
        "Link no longer available",
        "<h1>This link is no longer available</h1>",
        status=410,
        head_only=head_only,
    )


def unavailable(*, head_only: bool = False) -> Response:
    response = page(
        "Please try again",
        "<h1>Please try again in a moment</h1>",
        status=503,
        head_only=head_only,
    )
    response.headers["retry-after"] = "5"
    return response


def zip_form(code: str, *, error: str | None = None, head_only: bool = False) -> Response:
    """Asks for a ZIP code and comes back to the same link with ``?zip=NNNNN``."""
    message = f'<p class="error">{escape(error)}</p>' if error else ""
    body = (
        "<h1>Where do you vote?</h1><p>Enter your ZIP code to see the information for your area."
        f'</p>{message}<form method="get" action="/{quote(code, safe="")}">'
        '<label for="zip">ZIP code</label> <input id="zip" name="zip" inputmode="numeric" '
        'autocomplete="postal-code" pattern="[0-9]{5}" maxlength="5" required> '
        '<button type="submit">Continue</button></form>'
    )
    return page("Enter your ZIP code", body, head_only=head_only)


def polling_place(
    destination: Mapping[str, Any], *, maps_search_url: str, head_only: bool = False
) -> Response:
    """Name, address, hours and a map link for one entry of the destinations catalog."""
    name = destination.get("name") or "Your polling place"
    address = destination.get("address")
    hours = destination.get("hours")
    parts = [f"<h1>{escape(name)}</h1>"]
    if address:
        parts.append(f"<p>{escape(address)}</p>")
    if hours:
        parts.append(f"<p><strong>Hours:</strong> {escape(hours)}</p>")
    href = _map_link(destination, maps_search_url)
    if href:
        parts.append(f'<p><a href="{escape(href)}" rel="noopener noreferrer">Open in maps</a></p>')
    return page(name, "".join(parts), head_only=head_only)


def _map_link(destination: Mapping[str, Any], maps_search_url: str) -> str | None:
    """The catalog's own map link if it is https, else a search for the address or point."""
    own = destination.get("maps_url")
    if isinstance(own, str) and own.startswith("https://"):
        return own
    if destination.get("address"):
        return maps_search_url + quote(str(destination["address"]), safe="")
    latitude, longitude = destination.get("latitude"), destination.get("longitude")
    if latitude is not None and longitude is not None:
        return maps_search_url + quote(f"{latitude},{longitude}", safe="")
    return None
