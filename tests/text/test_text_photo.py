"""`wardsafe redact` on generated ward photos: written identifiers become unreadable, ordinary words stay."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench_scenes import Scene, Word, make_scene
from wardsafe.detect.ocr_engine import get_engine
from wardsafe.detect.seam import RgbFrame
from wardsafe.detect.text_regions import TextRegions

pytestmark = pytest.mark.slow
WARDSAFE = Path(sys.executable).with_name("wardsafe")


def redact(tmp_path: Path, scene: Scene, *args: str) -> tuple[np.ndarray, dict]:
    src = tmp_path / "ward.png"
    Image.fromarray(scene.rgb).save(src)
    out = tmp_path / "ward.out.png"
    done = subprocess.run([str(WARDSAFE), "redact", str(src), "-o", str(out), "-q", *args],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.with_name("ward.out.report.json").read_text())
    return np.asarray(Image.open(out).convert("RGB")), report


def changed(before: np.ndarray, after: np.ndarray, word: Word) -> float:
    x0, y0, x1, y1 = word.box
    return float(np.abs(before[y0:y1, x0:x1].astype(int) - after[y0:y1, x0:x1].astype(int)).mean())


def words_read(rgb: np.ndarray) -> set[str]:
    lines = TextRegions(get_engine()).read_lines(RgbFrame(rgb))
    return {w.text.strip(",:").lower() for line in lines for w in line.words}


def scene() -> Scene:
    return make_scene(2, 1280, 720, cards=("monitor", "badge", "whiteboard", "exit"))


def test_identifiers_hidden_ordinary_words_kept(tmp_path: Path) -> None:
    s = scene()
    after, report = redact(tmp_path, s)
    idents = [w for w in s.words if w.identifier]
    assert len(idents) >= 8
    for word in idents:
        assert changed(s.rgb, after, word) > 3, word.text
    # A badge (a name line above a role) is hidden as a whole card: its role too.
    role = next(w for w in s.words if w.text == "Radiographer")
    assert changed(s.rgb, after, role) > 3
    exit_word = next(w for w in s.words if w.text == "EXIT")
    assert changed(s.rgb, after, exit_word) < 1
    still = words_read(after)
    assert "exit" in still
    assert not {w.text.strip(",:").lower() for w in idents} & still
    assert report["summary"]["by_kind"]["text"]["hidden"] >= len(idents) - 2
    # Ordinary words beside identifiers on rotated cards stay readable (word boxes hug rotated words and
    # stop halfway to the next word), badge roles aside (a badge is hidden as a whole card).
    plain = [w for w in s.words if not w.identifier and w.card != "badge"]
    assert sum(w.text.strip(",:").lower() in still for w in plain) >= 0.8 * len(plain)
    dumped = json.dumps(report)
    for word in idents:  # never the values
        assert word.text.strip(",") not in dumped


def test_hide_name_surname_alone_and_keep_name(tmp_path: Path) -> None:
    s = make_scene(5, 1280, 720, cards=("whiteboard", "exit"))
    after, _ = redact(tmp_path, s, "--text", "none", "--hide-name", "Sam Patel")
    # --text none: nothing written is touched, not even a listed name.
    assert all(changed(s.rgb, after, w) < 1 for w in s.words)
    after, _ = redact(tmp_path, s, "--hide-name", "Sam Patel", "--keep-name", "Amy Clarke")
    patel = next(w for w in s.words if w.text == "PATEL")
    clarke = next(w for w in s.words if w.text == "Clarke")
    assert changed(s.rgb, after, patel) > 3
    assert changed(s.rgb, after, clarke) < 1
    assert "clarke" in words_read(after)


def test_altered_ocr_model_fails_closed(tmp_path: Path) -> None:
    src, out = tmp_path / "ward.png", tmp_path / "ward.out.png"
    Image.fromarray(make_scene(1, 640, 360, cards=("exit",)).rgb).save(src)
    bad = tmp_path / "det.onnx"
    bad.write_bytes(b"not a model")
    env = {**os.environ, "WARDSAFE_TEXT_DET_MODEL": str(bad)}
    done = subprocess.run([str(WARDSAFE), "redact", str(src), "-o", str(out)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120, env=env)
    assert done.returncode != 0
    assert done.stderr.startswith("error:") and "OCR model" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def test_report_names_identifier_types_never_values(tmp_path: Path) -> None:
    s = scene()
    _, report = redact(tmp_path, s)
    text = [t for t in report["tracks"] if t["kind"] == "text"]
    assert text and all(t["hidden"] and t["identifier_types"] and t["boxes"] for t in text)
    # Each identifier word lies under a text track of its own type (where and what, never the value).
    expected = {"Tom": "NAME", "BAKER": "NAME", "943": "NHS_NUMBER", "5919": "NHS_NUMBER", "PATEL": "NAME"}
    for word in (w for w in s.words if w.text in expected):
        cx, cy = (word.box[0] + word.box[2]) / 2, (word.box[1] + word.box[3]) / 2
        over = [t for t in text for _, x0, y0, x1, y1 in t["boxes"] if x0 <= cx <= x1 and y0 <= cy <= y1]
        assert any(expected[word.text] in t["identifier_types"] for t in over), word.text
    counts = report["summary"]["by_kind"]["text"]["identifier_types"]
    assert counts["NAME"] >= 4 and counts["NHS_NUMBER"] >= 1 and counts["BADGE"] == 1
    # one track per word (a rotated word's pieces are hidden as parts of its one detection)
    assert len(text) <= len([w for w in s.words if w.identifier]) + 4
    dumped = json.dumps(report)
    for word in s.words:
        if word.identifier:
            assert word.text.strip(",") not in dumped
