"""Download the public data files from their official sources, or a mirror, and verify them.

Each file goes to a temporary name beside its destination and is renamed into place only after
its size and sha256 match the manifest, so a failed or interrupted fetch never leaves a wrong
file under a real name. Connection failures, timeouts and HTTP 429/5xx are retried with
exponential backoff; anything else fails at once.

Failures raise the errors of ``errors.py``, each naming the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from campaign_pipelines.datafiles.download import Downloader
from campaign_pipelines.datafiles.errors import ChecksumMismatch, DataFetchError
from campaign_pipelines.datafiles.manifest import DataFile, load_manifest, select
from campaign_pipelines.datafiles.transforms import BUILDERS, TRANSFORMS, canonical_json_sha256

logger = logging.getLogger(__name__)

Match = Literal["bytes", "canonical"]


@dataclass
class FetchReport:
    """What one fetch did, by relative path."""

    dest: Path
    downloaded: list[str] = field(default_factory=list)
    already_present: list[str] = field(default_factory=list)
    # Rebuilt files whose bytes differ from the staged copy but whose JSON content is identical.
    verified_canonically: list[str] = field(default_factory=list)
    bytes_downloaded: int = 0


def fetch(
    dest: Path,
    *,
    mirror: str | None = None,
    only: list[str] | None = None,
    progress: bool = True,
    attempts: int = 4,
    backoff: float = 0.5,
    timeout: float = 60.0,
) -> FetchReport:
    """Download every missing or wrong data file into ``dest`` and verify size and sha256.

    Files already present with the right checksum are not downloaded again. ``mirror``
    replaces each official source by ``mirror`` + the file's relative path (a copy of the data
    folder served over HTTP). ``only`` restricts the fetch to paths matching any of its globs.
    Each download is tried up to ``attempts`` times, waiting ``backoff`` seconds, doubling.
    Stops at the first file that cannot be fetched, raising a ``DataFetchError`` naming it.
    """
    files = _selected(only)
    report = FetchReport(dest=dest)
    todo = []
    for data_file in files:
        if _matches_on_disk(data_file, dest / data_file.path):
            report.already_present.append(data_file.path)
        else:
            todo.append(data_file)

    logger.info(
        "Fetching %s of %s data files into %s from %s",
        len(todo),
        len(files),
        dest,
        mirror or "their official sources",
    )
    client = httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
        follow_redirects=True,
        headers={"User-Agent": "campaign-pipelines data fetch"},
    )
    with client, _progress_bar(enabled=progress and bool(todo)) as bar:
        task = bar.add_task("data files", total=sum(f.size for f in todo))
        downloader = Downloader(
            client, attempts=attempts, backoff=backoff, on_bytes=lambda n: bar.advance(task, n)
        )
        for data_file in todo:
            bar.update(task, description=data_file.path)
            size, match = _fetch_one(downloader, dest, data_file, mirror=mirror)
            report.downloaded.append(data_file.path)
            report.bytes_downloaded += size
            if match == "canonical":
                logger.warning(
                    "%s: rebuilt bytes differ from the staged copy; its JSON content matches",
                    data_file.path,
                )
                report.verified_canonically.append(data_file.path)
        bar.update(task, description=f"{len(todo)} data files")

    logger.info(
        "Fetched %s data files (%s bytes) into %s; %s were already present",
        len(report.downloaded),
        report.bytes_downloaded,
        dest,
        len(report.already_present),
    )
    return report


def check(dest: Path, *, only: list[str] | None = None) -> list[str]:
    """Every problem with the data folder ``dest``, one line each, naming the file; [] if none."""
    problems = []
    for data_file in _selected(only):
        path = dest / data_file.path
        if not path.is_file():
            problems.append(f"{data_file.path}: missing")
            continue
        try:
            verify_file(data_file, path)
        except ChecksumMismatch as e:
            problems.append(str(e))
    return problems


def verify_file(data_file: DataFile, path: Path, *, source: str | None = None) -> Match:
    """How ``path`` matches the manifest entry: byte for byte, or (derived JSON) canonically.

    Raises ``ChecksumMismatch`` when it does not match at all.
    """
    size, sha256 = _digest(path)
    if size == data_file.size and sha256 == data_file.sha256:
        return "bytes"
    if data_file.canonical_sha256 and _canonical_sha256(path) == data_file.canonical_sha256:
        return "canonical"
    raise ChecksumMismatch(
        data_file.path,
        expected_sha256=data_file.sha256,
        actual_sha256=sha256,
        expected_size=data_file.size,
        actual_size=size,
        source=source,
    )


def mirror_url(mirror: str, relative_path: str) -> str:
    """The URL of ``relative_path`` on a mirror of the data folder."""
    return f"{mirror.rstrip('/')}/{quote(relative_path)}"


def _selected(only: Sequence[str] | None) -> list[DataFile]:
    files = select(load_manifest(), only)
    if not files:
        raise DataFetchError(f"no data file in the manifest matches {', '.join(only or [])}")
    return files


def _matches_on_disk(data_file: DataFile, path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        verify_file(data_file, path)
    except ChecksumMismatch:
        return False
    return True


def _fetch_one(
    downloader: Downloader, dest: Path, data_file: DataFile, *, mirror: str | None
) -> tuple[int, Match]:
    target = dest / data_file.path
    target.parent.mkdir(parents=True, exist_ok=True)
    with _staging(target) as staged:
        source = _download_into(staged, data_file, downloader, mirror=mirror)
        match = verify_file(data_file, staged, source=source)
        staged.chmod(0o644)  # mkstemp makes it private; the data files are public
        os.replace(staged, target)
    return target.stat().st_size, match


def _download_into(
    staged: Path, data_file: DataFile, downloader: Downloader, *, mirror: str | None
) -> str:
    """Write the file's bytes to ``staged``; return where they came from, for error messages."""
    label = data_file.path
    if mirror or not (data_file.derived or data_file.transform):
        source = mirror_url(mirror, data_file.path) if mirror else str(data_file.source)
        with staged.open("wb") as sink:
            downloader.get(source, sink, label=label)
        return source

    if data_file.derived:
        derived = data_file.derived
        parts = [downloader.get_bytes(url, label=label) for url in derived.sources]
        staged.write_bytes(BUILDERS[derived.method](parts))
        return f"the {len(parts)} sources combined by {derived.method}"

    source = str(data_file.source)
    published = downloader.get_bytes(source, label=label)
    staged.write_bytes(TRANSFORMS[str(data_file.transform)](published))
    return source


@contextlib.contextmanager
def _staging(target: Path) -> Iterator[Path]:
    """A temporary file beside ``target``, removed unless the caller renamed it into place."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(handle)
    staged = Path(name)
    try:
        yield staged
    finally:
        staged.unlink(missing_ok=True)


def _digest(path: Path) -> tuple[int, str]:
    sha256 = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            sha256.update(chunk)
            size += len(chunk)
    return size, sha256.hexdigest()


def _canonical_sha256(path: Path) -> str | None:
    try:
        return canonical_json_sha256(path.read_bytes())
    except ValueError:
        return None


def _progress_bar(*, enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    )
