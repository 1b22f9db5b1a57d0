"""QR codes for shared links (yard signs, mailers, TV lower thirds), drawn with ``segno``.

Error correction level M (15 % of the symbol may be lost) is the usual choice for print; a
yard sign that gets muddy still scans. Segno may raise it for free when the data leaves room.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import segno

QrFormat = Literal["svg", "png"]


def short_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/{code}"


def write_qr(url: str, output: Path, *, kind: QrFormat, scale: int = 10) -> Path:
    """Write a QR code of ``url`` to ``output`` as SVG or PNG; returns the path written."""
    symbol = segno.make(url, error="m", micro=False)
    output.parent.mkdir(parents=True, exist_ok=True)
    symbol.save(str(output), kind=kind, scale=scale, border=4)
    return output
