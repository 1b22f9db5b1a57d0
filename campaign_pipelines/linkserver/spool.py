"""Spools: append-only files that hold clicks (and Twilio's webhooks) while PostgreSQL is
unreachable.

Each worker process appends to a file of its own (``<kind>-<pid>-<ns>.jsonl``, one JSON object
a line) and holds an exclusive ``flock`` on it while it does. A batch is written with one
``write`` and made durable with ``fsync`` before any of its redirects is answered, so a crash
can at worst leave a torn last line whose visitors never got their redirect.

Replay claims a file by taking its lock without waiting: a file still locked belongs to a live
worker; one whose writer died (even by SIGKILL, which releases the lock) or sealed it is free.
After the records are committed the file is unlinked under the lock. A file replayed twice (a
crash between commit and unlink, or a replay that failed part-way) stores no click or reply
twice: clicks carry their own ``click_uuid`` and inbound messages their SID, and the inserts
skip those already stored. Status callbacks are kept raw as well; those rows can repeat, while
the latest status per message is unaffected.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from campaign_pipelines.linkserver.records import ClickRecord

log = logging.getLogger(__name__)

SUFFIX = ".jsonl"


class Drained(NamedTuple):
    """One spool file replayed: its records, how many were newly stored, lines unreadable."""

    records: int
    stored: int
    unreadable_lines: int


class Spoolable(Protocol):
    def to_json(self) -> dict[str, Any]: ...


@dataclass
class Claim:
    """A spool file this process has locked for replay, and the records it holds."""

    path: Path
    fd: int
    records: list[Any]
    unreadable_lines: int

    def done(self) -> None:
        """The records are committed: remove the file, then let go of it."""
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)

    def abandon(self) -> None:
        os.close(self.fd)


class Spool:
    """This process's spool file, and the replay side for every file in the folder.

    ``kind`` names the files (and the log lines); ``decode`` turns a line's JSON object back
    into a record (clicks by default).
    """

    def __init__(
        self,
        folder: Path,
        *,
        kind: str = "clicks",
        decode: Callable[[dict[str, Any]], Any] = ClickRecord.from_json,
    ) -> None:
        self.folder = folder
        self._kind = kind
        self._decode = decode
        self._fd: int | None = None
        self._lock = asyncio.Lock()

    def open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    async def append(self, records: Sequence[Spoolable]) -> None:
        """Write ``records`` durably (fsync) before returning."""
        payload = "".join(
            json.dumps(record.to_json(), separators=(",", ":")) + "\n" for record in records
        ).encode()
        async with self._lock:
            await asyncio.to_thread(self._append, payload)

    async def seal(self) -> None:
        """Stop appending to the current file so that replay may take it."""
        async with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def files(self) -> list[Path]:
        return sorted(self.folder.glob(f"*{SUFFIX}"))

    async def drain(self, store: Callable[[list[Any]], Awaitable[int]]) -> list[Drained]:
        """Hand the records of each file nobody else holds to ``store`` (which returns how many
        it newly stored), and remove the file once ``store`` returns. If ``store`` raises, the
        file is left for a later attempt and the error goes to the caller."""
        await self.seal()
        drained = []
        for path in self.files():
            claim = await asyncio.to_thread(self.claim, path)
            if claim is None:
                continue
            try:
                stored = await store(claim.records)
            except BaseException:
                claim.abandon()
                raise
            claim.done()
            drained.append(Drained(len(claim.records), stored, claim.unreadable_lines))
        return drained

    def claim(self, path: Path) -> Claim | None:
        """Lock and read ``path`` for replay, or None if a live writer or replayer has it.

        Blocking (reads the whole file): call it through ``asyncio.to_thread``.
        """
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        if os.fstat(fd).st_nlink == 0:  # replayed and removed by another process meanwhile
            os.close(fd)
            return None
        with os.fdopen(os.dup(fd), "rb") as stream:
            lines = stream.read().splitlines()
        records, unreadable = [], 0
        for line in lines:
            try:
                records.append(self._decode(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                unreadable += 1
        return Claim(path, fd, records, unreadable)

    def _append(self, payload: bytes) -> None:
        if self._fd is None:
            self._fd = self._new_file()
        try:
            view = memoryview(payload)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            os.fsync(self._fd)
        except OSError:
            # A half-written line must never have the next batch glued onto it.
            os.close(self._fd)
            self._fd = None
            raise

    def _new_file(self) -> int:
        path = self.folder / f"{self._kind}-{os.getpid()}-{time.time_ns()}{SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        # The new name must survive a power cut too, not only the bytes written under it.
        folder_fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)
        log.info("spooling %s to a new file in the spool folder", self._kind)
        return fd
