"""Read ``manifest.yaml``: the public files the product uses, their checksums and sources."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class Derivation:
    """How a file that no source publishes as such is built from several published ones."""

    method: str
    description: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class DataFile:
    """One file of the data folder, as staged: its relative path, size, sha256 and provenance.

    A plain file has a ``source`` URL (optionally with a named ``transform`` applied to the
    download); a derived file has a ``derived`` recipe instead. ``canonical_sha256``, when set,
    is the checksum of the file's canonical JSON form, accepted when the bytes differ.
    """

    path: str
    size: int
    sha256: str
    source: str | None = None
    derived: Derivation | None = None
    transform: str | None = None
    canonical_sha256: str | None = None
    original_path: str | None = None
    note: str | None = None


@cache
def load_manifest() -> tuple[DataFile, ...]:
    """Every file listed in the packaged ``manifest.yaml``, in the manifest's order."""
    text = resources.files(__package__).joinpath("manifest.yaml").read_text(encoding="utf-8")
    return tuple(_data_file(entry) for entry in yaml.safe_load(text)["files"])


def select(files: Iterable[DataFile], patterns: Sequence[str] | None) -> list[DataFile]:
    """The files whose relative path matches any of the glob ``patterns`` (all when none given).

    ``*`` also matches ``/``, so ``vip/*`` selects everything under ``vip/``.
    """
    if not patterns:
        return list(files)
    return [f for f in files if any(fnmatch.fnmatchcase(f.path, p) for p in patterns)]


def _data_file(entry: dict[str, Any]) -> DataFile:
    path = entry["path"]
    derived = entry.get("derived")
    if (entry.get("source") is None) == (derived is None):
        raise ValueError(f"manifest entry {path!r} needs exactly one of 'source' and 'derived'")
    return DataFile(
        path=path,
        size=int(entry["size"]),
        sha256=entry["sha256"],
        source=entry.get("source"),
        derived=None
        if derived is None
        else Derivation(
            method=derived["method"],
            description=derived["description"],
            sources=tuple(derived["sources"]),
        ),
        transform=entry.get("transform"),
        canonical_sha256=entry.get("canonical_sha256"),
        original_path=entry.get("original_path"),
        note=entry.get("note"),
    )
