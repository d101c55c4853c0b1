"""Server-rendered SVG bar charts (no JavaScript, no chart library): counts by area and month, and
horizontal bars with their numbers beside them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

# Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]


@dataclass(frozen=True)
class Count:
    """One bar: how many things happened in an area in a month (``YYYY-MM``)."""

    area: str
    month: str
    count: int


def bar_chart_svg(counts: Iterable[Count], title: str) -> str:
    """An SVG grouped bar chart: one group per month, one coloured bar per area, with a legend.

    The chart carries a ``<title>`` and per-bar ``<title>`` tooltips; pages show the same numbers
    in a table as well, so nothing depends on seeing colours.
    """
    rows = [c for c in counts if c.count > 0]
    months = sorted({c.month for c in rows})
    areas = sorted({c.area for c in rows})
    if not rows:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 400 60" class="chart">'
            f"<title>{escape(title)}: nothing recorded yet</title>"
            '<text x="10" y="35" font-size="14">Nothing recorded yet.</text></svg>'
        )
    by_key = {(c.area, c.month): c.count for c in rows}
    peak = max(by_key.values())
    bar_w, gap, left, top, plot_h = 18, 14, 40, 20, 180
    group_w = len(areas) * bar_w + gap
    # Wide enough for the bars and for the longest legend entry (about 7 px a character at 12 px).
    legend_w = left + 18 + 7 * max(len(a) for a in areas)
    width = max(left + len(months) * group_w + 10, legend_w, 320)
    legend_top = top + plot_h + 40
    height = legend_top + 20 * len(areas) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}"'
        f' height="{height}" class="chart" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    # Horizontal grid lines at round steps so counts can be read off the axis.
    step = _nice_step(peak)
    tick = 0
    while tick <= peak:
        y = top + plot_h - plot_h * tick / peak
        parts.append(f'<line x1="{left}" x2="{width - 5}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{tick}</text>')
        tick += step
    for m_index, month in enumerate(months):
        x0 = left + m_index * group_w + gap / 2
        for a_index, area in enumerate(areas):
            value = by_key.get((area, month), 0)
            if not value:
                continue
            h = plot_h * value / peak
            x = x0 + a_index * bar_w
            y = top + plot_h - h
            colour = PALETTE[a_index % len(PALETTE)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(area)}, {escape(month)}: {value}</title></rect>"
            )
        label_x = x0 + len(areas) * bar_w / 2
        parts.append(
            f'<text x="{label_x:.1f}" y="{top + plot_h + 16}" font-size="11" text-anchor="middle">'
            f"{escape(month)}</text>"
        )
    parts.append(f'<line x1="{left}" x2="{width - 5}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#333"/>')
    for a_index, area in enumerate(areas):
        y = legend_top + 20 * a_index
        colour = PALETTE[a_index % len(PALETTE)]
        parts.append(f'<rect x="{left}" y="{y}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{left + 18}" y="{y + 11}" font-size="12">{escape(area)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _nice_step(peak: int) -> int:
    """A round tick step giving at most about five grid lines."""
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if peak / step <= 5:
            return step
    return max(peak // 5, 1)


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its label, its count, and what is written beside it (the count by default)."""

    label: str
    value: int
    text: str = ""


def bars_svg(bars: Sequence[Bar], title: str) -> str:
    """An SVG horizontal bar chart with each label above its bar and the number beside it.

    Narrow enough for a phone (it scales down with the page); the label and number are text, so the
    chart reads the same without colour. Pages show the same numbers in a table beside it.
    """
    if not bars or not any(b.value for b in bars):
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 360 40" class="chart">'
            f"<title>{escape(title)}: nothing recorded yet</title>"
            '<text x="0" y="25" font-size="14">Nothing recorded yet.</text></svg>'
        )
    width, plot_w, row_h = 360, 250, 42
    peak = max(b.value for b in bars)
    height = row_h * len(bars) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}"'
        f' height="{height}" class="chart" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for index, bar in enumerate(bars):
        y = index * row_h
        length = plot_w * bar.value / peak if peak else 0
        text = bar.text or str(bar.value)
        parts.append(f'<text x="0" y="{y + 14}" font-size="13">{escape(bar.label)}</text>')
        parts.append(
            f'<rect x="0" y="{y + 19}" width="{max(length, 1):.1f}" height="16" fill="{PALETTE[0]}">'
            f"<title>{escape(bar.label)}: {escape(text)}</title></rect>"
        )
        parts.append(f'<text x="{length + 6:.1f}" y="{y + 32}" font-size="13" font-weight="700">{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)
