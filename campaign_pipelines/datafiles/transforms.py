"""Turn what the official sources publish into the files as staged in the data folder.

Two staged files are not a single published download: the NC House layer is built from the 120
per-district files of unitedstates/districts, and the VIP 5.2 sample feed has its one named
local election official replaced by fake values. The manifest names these functions.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence


def concatenate_geojson_features(parts: Sequence[bytes]) -> bytes:
    """One FeatureCollection holding the features of ``parts``, in order, as compact JSON.

    Each part is a GeoJSON Feature (or a FeatureCollection, whose features are all taken);
    features are kept exactly as parsed. The output uses ``,`` and ``:`` without spaces, UTF-8,
    no trailing newline: the serialisation of the staged file.
    """
    features = []
    for number, part in enumerate(parts, start=1):
        document = json.loads(part)
        kind = document.get("type") if isinstance(document, dict) else None
        if kind == "Feature":
            features.append(document)
        elif kind == "FeatureCollection":
            features.extend(document["features"])
        else:
            raise ValueError(f"part {number} is not a GeoJSON Feature or FeatureCollection")

    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def canonical_json_sha256(data: bytes) -> str:
    """The sha256 of a JSON document's canonical form: sorted keys, compact, UTF-8.

    Two files with the same content but different whitespace, key order or number spelling
    (``1.50`` vs ``1.5``) share this checksum.
    """
    canonical = json.dumps(
        json.loads(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# The published sample feed names a real registrar with an office e-mail and phone; the staged
# copy keeps the element and its structure but not the person.
_OFFICIAL = re.compile(rb'<Person id="per50001">.*?</Person>', re.DOTALL)
_FAKE_OFFICIAL: dict[bytes, bytes] = {
    b"Email": b"registrar@example.org",
    b"Phone": b"4345550100",
    b"FirstName": b"ALEX",
    b"LastName": b"SAMPLE",
    b"MiddleName": b"Q.",
    b"Nickname": b"AL",
}


def redact_vip_sample_official(published: bytes) -> bytes:
    """The VIP sample feed with the election official's name, e-mail and phone made fake."""
    match = _OFFICIAL.search(published)
    if match is None:
        raise ValueError('the VIP sample feed has no <Person id="per50001"> element to redact')

    person = match.group(0)
    for tag, fake in _FAKE_OFFICIAL.items():
        element = re.compile(rb"<" + tag + rb">[^<]*</" + tag + rb">")
        person, count = element.subn(b"<" + tag + b">" + fake + b"</" + tag + b">", person)
        if count != 1:
            raise ValueError(f"expected one <{tag.decode()}> in Person per50001, found {count}")
    return published[: match.start()] + person + published[match.end() :]


BUILDERS: dict[str, Callable[[Sequence[bytes]], bytes]] = {
    "concatenate_geojson_features": concatenate_geojson_features,
}

TRANSFORMS: dict[str, Callable[[bytes], bytes]] = {
    "redact_vip_sample_official": redact_vip_sample_official,
}
