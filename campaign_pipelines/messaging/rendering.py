"""Message templates: which fields they may use, and each voter's rendered text.

A template is plain text with ``{field}`` placeholders (``{{`` and ``}}`` for literal braces).
Fields are the voter's own (``first_name``, ``last_name``, ``city``, ``county_name``), their
polling place (``polling_place_name``, ``polling_place_address``, ``polling_place_hours``) and
their links: ``{link}`` is the wave's first route, ``{link_<route>}`` any route of the wave.
Format specs, conversions and attribute access are refused: a template is copy, not code.

A voter with no value for a field gets the wave's fallback for it, or the wave fails naming
the template, the field and some of the voters, because "Hi ," costs more trust than a delay.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from campaign_pipelines.rules.sms_segments import count_segments

VOTER_FIELDS = ("first_name", "last_name", "city", "county_name")
PLACE_FIELDS = ("polling_place_name", "polling_place_address", "polling_place_hours")
NAME_FIELDS = frozenset({"first_name", "last_name", "city", "county_name"})
# A placeholder left in a body after rendering: the mark of a template that went out raw.
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
MAX_SAMPLE_IDS = 5


class TemplateError(ValueError):
    """A template that cannot be rendered: bad syntax, or a field we do not know."""


class MissingValueError(ValueError):
    """Voters with no value (and no fallback) for a field their template uses."""

    def __init__(self, label: str, field: str, voter_ids: Sequence[str], fallback_path: str):
        self.label = label
        self.field = field
        self.voter_ids = list(voter_ids)
        sample = ", ".join(self.voter_ids[:MAX_SAMPLE_IDS])
        super().__init__(
            f"{label}: template field {{{field}}} has no value for {len(self.voter_ids):,} "
            f"voter(s) (e.g. voter ids {sample}) and no fallback is configured "
            f"({fallback_path}.{field})"
        )


def link_field(route: str) -> str:
    return f"link_{route}"


def known_fields(routes: Sequence[str]) -> list[str]:
    return [*VOTER_FIELDS, *PLACE_FIELDS, "link", *(link_field(r) for r in routes)]


def _pieces(template: str, label: str) -> list[tuple[str, str | None]]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        raise TemplateError(f"{label}: template is not valid: {e}") from e
    pieces = []
    for literal, field, spec, conversion in parsed:
        if field is not None and (spec or conversion or not field.isidentifier()):
            written = "{" + field + (f"!{conversion}" if conversion else "")
            written += (f":{spec}" if spec else "") + "}"
            raise TemplateError(
                f"{label}: placeholder {written} is not a plain field name such as {{first_name}}"
            )
        pieces.append((literal, field))
    return pieces


def template_fields(template: str, *, label: str = "template") -> list[str]:
    """The fields a template uses, in order of first use."""
    fields = [field for _, field in _pieces(template, label) if field is not None]
    return list(dict.fromkeys(fields))


def check_template(template: str, *, routes: Sequence[str], label: str) -> None:
    """Raise ``TemplateError`` naming the template and field if it uses an unknown field."""
    known = known_fields(routes)
    for field in template_fields(template, label=label):
        if field not in known:
            raise TemplateError(
                f"{label}: unknown template field {{{field}}}; known fields: {', '.join(known)}"
            )
    if not routes_linked(template, routes):
        links = ", ".join(["{link}", *(f"{{{link_field(r)}}}" for r in routes)])
        raise TemplateError(f"{label}: the template carries no link; use one of {links}")


def routes_linked(template: str, routes: Sequence[str]) -> list[str]:
    """The routes whose links a template carries (``{link}`` is the first route's)."""
    fields = set(template_fields(template))
    return [
        route
        for i, route in enumerate(routes)
        if link_field(route) in fields or (i == 0 and "link" in fields)
    ]


def display_case(value: str) -> str:
    """Names as a person writes them: voter files often shout ("MARIA" -> "Maria")."""
    if not value.isupper():
        return value
    return "-".join(string.capwords(part) for part in value.split("-"))


@dataclass(frozen=True, slots=True)
class Rendered:
    voter_id: str
    body: str
    encoding: str
    segments: int


def render_all(
    template: str,
    rows: Iterable[Mapping[str, object]],
    *,
    label: str,
    fallbacks: Mapping[str, str],
    fallback_path: str,
    opt_out: str | None,
) -> list[Rendered]:
    """Render ``template`` for each row (a mapping with ``voter_id`` and the field values).

    ``opt_out`` is appended unless the body already carries it. Raises ``MissingValueError``
    for the first field some voters lack, naming all of them.
    """
    pieces = _pieces(template, label)
    missing: dict[str, list[str]] = {}
    rendered = []
    for row in rows:
        parts = []
        for literal, field in pieces:
            parts.append(literal)
            if field is None:
                continue
            value = _value(row.get(field), field) or fallbacks.get(field)
            if value is None:
                missing.setdefault(field, []).append(str(row["voter_id"]))
                continue
            parts.append(value)
        body = with_opt_out("".join(parts), opt_out)
        count = count_segments(body)
        rendered.append(Rendered(str(row["voter_id"]), body, count.encoding, count.segments))

    if missing:
        field, voter_ids = next(iter(missing.items()))
        raise MissingValueError(label, field, voter_ids, fallback_path)
    return rendered


def with_opt_out(body: str, opt_out: str | None) -> str:
    if not opt_out or opt_out.casefold() in body.casefold():
        return body
    return f"{body.rstrip()} {opt_out}"


def unrendered_placeholders(body: str) -> list[str]:
    return PLACEHOLDER.findall(body)


def _value(raw: object, field: str) -> str | None:
    if raw is None or (isinstance(raw, float) and raw != raw):  # NaN from pandas
        return None
    text = str(raw).strip()
    if not text:
        return None
    return display_case(text) if field in NAME_FIELDS else text
