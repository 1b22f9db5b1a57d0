"""GET a URL into a file with bounded retries: the one place that talks HTTP."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from typing import BinaryIO

import httpx

from campaign_pipelines.datafiles.errors import DownloadFailed

logger = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_CHUNK = 1 << 16


class _Transient(Exception):
    """A failure worth another attempt (connection dropped, timeout, HTTP 429/5xx)."""


class Downloader:
    """GETs URLs with bounded retries, reporting received bytes to a progress callback."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        attempts: int,
        backoff: float,
        on_bytes: Callable[[int], None],
    ) -> None:
        self.client = client
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.on_bytes = on_bytes

    def get_bytes(self, url: str, *, label: str) -> bytes:
        """The body of ``url``, for sources that are transformed or combined before writing."""
        with tempfile.SpooledTemporaryFile(max_size=64 << 20) as sink:
            self.get(url, sink, label=label)
            sink.seek(0)
            return sink.read()

    def get(self, url: str, sink: BinaryIO, *, label: str) -> int:
        """Write the body of ``url`` to ``sink`` (rewound on each retry); return its length."""
        for attempt in range(1, self.attempts + 1):
            sink.seek(0)
            sink.truncate()
            try:
                return self._get_once(url, sink, label=label)
            except _Transient as e:
                self.on_bytes(-sink.tell())
                if attempt == self.attempts:
                    raise DownloadFailed(
                        f"{label}: giving up on {url} after {self.attempts} attempts: {e}"
                    ) from e
                delay = self.backoff * 2 ** (attempt - 1)
                logger.warning(
                    "%s: %s; retrying in %.2f s (attempt %s of %s)",
                    label,
                    e,
                    delay,
                    attempt + 1,
                    self.attempts,
                )
                time.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _get_once(self, url: str, sink: BinaryIO, *, label: str) -> int:
        try:
            with self.client.stream("GET", url) as response:
                if response.status_code in RETRYABLE_STATUS:
                    raise _Transient(f"HTTP {response.status_code} from {url}")
                if response.status_code != httpx.codes.OK:
                    raise DownloadFailed(f"{label}: HTTP {response.status_code} from {url}")
                for chunk in response.iter_bytes(_CHUNK):
                    sink.write(chunk)
                    self.on_bytes(len(chunk))
        except httpx.TransportError as e:
            raise _Transient(f"{type(e).__name__}: {e}") from e
        return sink.tell()
