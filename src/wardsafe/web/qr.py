"""QR codes for area signs, rendered as inline SVG with segno (no image files, prints sharply)."""

from __future__ import annotations

import segno


def qr_svg(url: str) -> str:
    """An inline ``<svg>`` QR code for ``url`` with medium error correction (survives a scuffed sign)."""
    code = segno.make(url, error="m", micro=False)
    return code.svg_inline(scale=10, border=2, omitsize=True, dark="#000", light="#fff", title=f"QR code for {url}")
