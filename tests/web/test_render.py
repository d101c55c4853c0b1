"""The SVG chart, the QR code and the stylesheet's colour contrast."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from wardsafe.web.chart import Bar, Count, bar_chart_svg, bars_svg
from wardsafe.web.qr import qr_svg
from wardsafe.web.timefmt import duration

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


def test_bars_write_each_number_beside_its_bar_and_scale_to_the_largest() -> None:
    tree = ET.fromstring(bars_svg([Bar("Agreed", 4, "4 (67%)"), Bar("Declined <x>", 2)], "Decisions"))
    texts = [t.text for t in tree.iter(f"{SVG}text")]
    assert texts == ["Agreed", "4 (67%)", "Declined <x>", "2"]
    widths = [float(r.get("width")) for r in tree.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert "nothing recorded yet" in ET.fromstring(bars_svg([Bar("Agreed", 0)], "Decisions")).find(f"{SVG}title").text


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(0.4, "0 min"), (45, "45 min"), (60, "1 h"), (135, "2 h 15 min"), (1440, "1 d"), (3120, "2 d 4 h")],
)
def test_durations_read_as_people_say_them(minutes: float, words: str) -> None:
    assert duration(minutes) == words


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


def test_audit_events_read_as_sentences_even_ones_without_their_own() -> None:
    from datetime import UTC, datetime

    from wardsafe.store.views import AuditEntryView
    from wardsafe.web.audit_words import Wording, describe

    words = Wording({"alice": "Alice Ng (RN)"}, {"chemo-day-unit": "Chemotherapy day unit"}, "Europe/London")

    def entry(actor: str, action: str, subject: str, **details: object) -> AuditEntryView:
        return AuditEntryView(seq=1, at=datetime(2026, 6, 1, tzinfo=UTC), actor=actor, action=action,
                              subject=subject, details=details, prev_hash="", hash="")  # fmt: skip

    assert describe(
        entry("staff:alice", "decision.recorded", "K7Q-4MP", decision="agree_if_unidentifiable"), words
    ) == ("Alice Ng (RN) agreed to request K7Q-4MP only if not identifiable.")
    assert describe(
        entry("staff:alice", "incident.logged", "incident-3", area="chemo-day-unit", kind="covert_recording"), words
    ) == (  # fmt: skip
        "Alice Ng (RN) logged an incident: covert recording in Chemotherapy day unit."
    )
    locked = describe(entry("system", "staff.locked", "staff:bob", failed_sign_ins=10,
                            until="2026-06-01T10:00:00+00:00"), words)  # fmt: skip
    assert (
        locked
        == "The staff account bob was locked after 10 failed sign-ins in a row, until Mon 01 Jun 2026, 11:00 BST."
    )
    assert (
        describe(entry("cli", "policy.reloaded", "policy"), words)
        == "An administrator (command line): policy reloaded (policy)."
    )
