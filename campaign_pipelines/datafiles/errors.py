"""What can go wrong when fetching or checking the data files.

DataFetchError          a fetch or check could not be done; the message names the file
├── ChecksumMismatch    bytes arrived (or sit on disk) but are not the expected ones
└── DownloadFailed      a source could not be read: HTTP error, or retries ran out
"""

from __future__ import annotations


class DataFetchError(Exception):
    """A data file could not be fetched or checked."""


class ChecksumMismatch(DataFetchError):
    """A file's bytes are not the ones the manifest expects."""

    def __init__(
        self,
        path: str,
        *,
        expected_sha256: str,
        actual_sha256: str,
        expected_size: int,
        actual_size: int,
        source: str | None = None,
    ) -> None:
        self.path = path
        self.expected_sha256 = expected_sha256
        self.actual_sha256 = actual_sha256
        where = f" (downloaded from {source}; discarded)" if source else ""
        super().__init__(
            f"{path}: checksum mismatch{where}: expected sha256 {expected_sha256} "
            f"({expected_size} bytes), got sha256 {actual_sha256} ({actual_size} bytes)"
        )


class DownloadFailed(DataFetchError):
    """A source URL could not be read."""
