"""Read a delimited voter file exactly: every record is counted, none is lost.

Real files arrive as UTF-8, UTF-8 with a byte-order mark, or latin-1/cp1252; tab, comma or pipe
delimited; with quoted fields that may hold the delimiter or a newline. The csv module parses the
quoting; a record whose field count differs from the header's is handed back as malformed rather
than guessed at (and a stray quote swallows one row, not the rest of the file: see ``_parse``).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

_SNIFF_BYTES = 1 << 20
_DELIMITERS = ("\t", ",", "|")


class VoterFileError(ValueError):
    """A file that cannot be read as a voter file; the message names the file."""


@dataclass(frozen=True)
class FileFormat:
    encoding: str
    delimiter: str
    header: tuple[str, ...]
    sha256: str


@dataclass(frozen=True)
class Record:
    row: int  # 1-based record number after the header
    line: int  # physical line where the record starts (the header is line 1)
    fields: list[str]


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` when there is a BOM, ``utf-8`` when the bytes decode, else ``cp1252``."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(_SNIFF_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return _single_byte_encoding(path)
    return "utf-8"


def _single_byte_encoding(path: Path) -> str:
    # cp1252 leaves five bytes undefined; a file using them is plain latin-1.
    undefined = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
    with path.open("rb") as fh:
        while chunk := fh.read(_SNIFF_BYTES):
            if undefined.intersection(chunk):
                return "latin-1"
    return "cp1252"


def detect_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    if counts[best] == 0:
        raise VoterFileError("no tab, comma or pipe in the header line")
    return best


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_SNIFF_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def open_voter_file(
    path: Path, *, encoding: str = "auto", delimiter: str = "auto"
) -> tuple[FileFormat, Iterator[Record]]:
    """Detect the format and return it with an iterator over the data records."""
    if not path.is_file():
        raise VoterFileError(f"{path}: voter file not found")
    encoding = detect_encoding(path) if encoding == "auto" else encoding
    with path.open("r", encoding=encoding, newline="") as fh:
        first_line = fh.readline()
    if not first_line.strip():
        raise VoterFileError(f"{path}: the file is empty (no header row)")
    try:
        delimiter = detect_delimiter(first_line) if delimiter == "auto" else delimiter
    except VoterFileError as e:
        raise VoterFileError(f"{path}: {e}") from e
    header = tuple(next(csv.reader([first_line], delimiter=delimiter)))
    header = tuple(h.strip().lower() for h in header)
    fmt = FileFormat(encoding, delimiter, header, sha256_of(path))
    return fmt, _records(path, fmt)


def _records(path: Path, fmt: FileFormat) -> Iterator[Record]:
    with path.open("r", encoding=fmt.encoding, newline="") as fh:
        fh.readline()  # the header
        rows = count(1)
        yield from _parse(fh, fmt, first_line=2, rows=rows)


def _parse(lines: Iterable[str], fmt: FileFormat, *, first_line: int, rows) -> Iterator[Record]:
    """Records from physical ``lines`` (the first is line ``first_line`` of the file).

    A stray quote opens a field that runs on to the next quote, swallowing every line between
    into one record. A record that spans several lines *and* has the wrong number of fields is
    taken to be that: its first line becomes a record of its own (malformed, so quarantined with
    its text) and the lines after it are read again, so one bad quote costs one row, not the
    rest of the file. A quoted field that really holds a newline keeps the right field count
    and is left alone.
    """
    consumed: list[str] = []

    def feed() -> Iterator[str]:
        for text in lines:
            consumed.append(text)
            yield text

    reader = csv.reader(feed(), delimiter=fmt.delimiter, strict=False)
    line = first_line
    for fields in reader:
        raw, consumed[:] = list(consumed), []
        if len(raw) > 1 and len(fields) != len(fmt.header):
            yield Record(next(rows), line, next(csv.reader([raw[0]], delimiter=fmt.delimiter)))
            yield from _parse(raw[1:], fmt, first_line=line + 1, rows=rows)
        elif fields:  # a blank line is not a record
            yield Record(next(rows), line, fields)
        line += len(raw)
