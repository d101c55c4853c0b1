"""The SVG chart, the QR code and the stylesheet's colour contrast."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from wardsafe.web.chart import Count, bar_chart_svg
from wardsafe.web.qr import qr_svg

SVG = "{http://www.w3.org/2000/svg}"
CSS = Path(__file__).parents[2] / "src" / "wardsafe" / "web" / "static" / "style.css"


def test_chart_draws_one_bar_per_area_and_month_and_escapes_names() -> None:
    counts = [Count("Ward <A>", "2026-05", 3), Count("Ward <A>", "2026-06", 1), Count("Bay B", "2026-06", 6)]
    tree = ET.fromstring(bar_chart_svg(counts, "Incidents"))
    bars = [r for r in tree.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert sorted(b.find(f"{SVG}title").text for b in bars) == [
        "Bay B, 2026-06: 6",
        "Ward <A>, 2026-05: 3",
        "Ward <A>, 2026-06: 1",
    ]
    heights = {b.find(f"{SVG}title").text: float(b.get("height")) for b in bars}
    assert heights["Bay B, 2026-06: 6"] == pytest.approx(6 * heights["Ward <A>, 2026-06: 1"])
    assert tree.get("role") == "img" and tree.find(f"{SVG}title").text == "Incidents"


def test_empty_chart_says_so() -> None:
    tree = ET.fromstring(bar_chart_svg([], "Incidents"))
    assert "nothing recorded yet" in tree.find(f"{SVG}title").text


def test_qr_code_is_scalable_svg() -> None:
    svg = qr_svg("https://wardsafe.example/a/radiotherapy-1")
    assert svg.startswith("<svg") and "viewBox" in svg and "width=" not in svg.split(">", 1)[0]


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize(
    ("text", "background"),
    [
        ("ink", "paper"), ("ink", "wash"), ("muted", "paper"), ("muted", "wash"), ("brand", "paper"),
        ("#ffffff", "brand"), ("#ffffff", "ok"), ("#ffffff", "warn"), ("#ffffff", "bad"), ("#ffffff", "brand-dark"),
    ],
)  # fmt: skip
def test_colours_meet_wcag_aa_contrast(text: str, background: str) -> None:
    variables = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS.read_text(encoding="utf-8")))
    colour = lambda name: name if name.startswith("#") else variables[name]  # noqa: E731
    assert _contrast(colour(text), colour(background)) >= 4.5
