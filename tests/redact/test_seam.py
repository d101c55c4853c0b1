"""The detector seam: a detector of another kind plugs into the photo and video pipelines unchanged.

``RedCards`` is a real (if simple) detector: it finds saturated red cards with OpenCV, the way a badge
finder would find badges. The pipelines run it beside the real face detector, in process, and the
tests check what a user would: every card is hidden as a whole rectangle on every frame, faces are
still hidden, and the report counts each kind.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from media.bad_inputs import FIXTURES
from wardsafe.detect.registry import build_detectors
from wardsafe.detect.seam import Detection, Detectors, Frame, RegionDetector
from wardsafe.media.probe import probe
from wardsafe.redact.job_paths import JobPaths
from wardsafe.redact.options import RedactOptions
from wardsafe.redact.pipeline import run_job

CARD = (60, 40)  # width, height of the red card in pixels


class RedCards(RegionDetector):
    """Finds saturated red rectangles (a stand-in for name badges), hidden as rectangles."""

    kind = "card"
    shape = "rect"
    model_name = "red-card finder (OpenCV colour threshold)"
    model_sha256 = "0" * 64
    confirm_score = 0.5

    def __init__(self, cadence: int = 1) -> None:
        self.cadence = cadence
        self.calls = 0

    def find(self, frame: Frame) -> list[Detection]:
        self.calls += 1
        rgb = frame.small_rgb(frame.width, frame.height)
        red = ((rgb[..., 0] > 180) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)).astype(np.uint8)
        count, _labels, stats, _centres = cv2.connectedComponentsWithStats(red)
        return [Detection((float(x), float(y), float(x + w), float(y + h)), 0.9)
                for x, y, w, h, area in stats[1:count] if area > 100]


def _card(image: np.ndarray, x: int, y: int) -> None:
    """Draws a red card with black 'writing' inside, so a hidden card is visibly different."""
    w, h = CARD
    image[y : y + h, x : x + w] = (220, 20, 20)
    for row in range(y + 8, y + h - 8, 8):
        image[row : row + 3, x + 6 : x + w - 6 : 2] = 0


def _card_is_hidden(before: np.ndarray, after: np.ndarray, x: int, y: int) -> bool:
    """The whole card, corners included, is one flat colour (the solid filter) and changed."""
    w, h = CARD
    patch = after[y : y + h, x : x + w].astype(np.int16)
    corners = [patch[:4, :4], patch[:4, -4:], patch[-4:, :4], patch[-4:, -4:]]
    return bool(patch.std(axis=(0, 1)).max() < 6 and all(np.abs(c - patch.mean(axis=(0, 1))).max() < 12
                                                         for c in corners)
                and np.abs(after[y : y + h, x : x + w].astype(int) - before[y : y + h, x : x + w]).max() > 30)


def _detectors(cadence: int = 1) -> tuple[Detectors, RedCards]:
    faces = build_detectors(RedactOptions(text="none"))  # faces only: the card is the other kind here
    cards = RedCards(cadence)
    return Detectors(regions=[*faces.regions, cards]), cards


def test_a_detector_of_another_kind_runs_in_the_photo_pipeline(tmp_path: Path) -> None:
    rgb = np.asarray(cv2.cvtColor(cv2.imread(str(FIXTURES / "photo.png")), cv2.COLOR_BGR2RGB)).copy()
    _card(rgb, 10, 10)
    source = tmp_path / "photo.png"
    cv2.imwrite(str(source), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    detectors, cards = _detectors()
    outcome = run_job(source, JobPaths.beside(tmp_path / "out.png"), detectors, RedactOptions(filter="solid"))
    after = cv2.cvtColor(cv2.imread(str(tmp_path / "out.png")), cv2.COLOR_BGR2RGB)
    assert _card_is_hidden(rgb, after, 10, 10)
    by_kind = outcome.report["summary"]["by_kind"]
    assert by_kind["card"]["hidden"] == 1 and by_kind["face"]["hidden"] >= 1
    assert {t["kind"] for t in outcome.report["tracks"]} == {"face", "card"}
    assert [m["kind"] for m in outcome.report["models"]][-1] == "card"
    assert outcome.report["report_version"] == 2


def _card_clip(path: Path, frames: int = 40) -> list[tuple[int, int]]:
    """A 320x240 clip whose red card moves 3 px a frame; returns the card's corner on each frame."""
    rng = np.random.default_rng(3)
    background = cv2.GaussianBlur(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8), (0, 0), 3)
    where = []
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(25))
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.options = {"crf": "12", "preset": "veryfast"}
        for k in range(frames):
            image = background.copy()
            x, y = 20 + 3 * k, 100
            _card(image, x, y)
            where.append((x, y))
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return where


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_a_detector_of_another_kind_runs_in_the_video_pipeline_on_every_frame(tmp_path: Path) -> None:
    source, target = tmp_path / "cards.mp4", tmp_path / "out.mp4"
    where = _card_clip(source)
    # the card finder runs on every other key frame only: tracking must fill every frame between
    detectors, cards = _detectors(cadence=2)
    options = RedactOptions(filter="solid")
    outcome = run_job(source, JobPaths.beside(target), detectors, options)
    before, after = _frames(source), _frames(target)
    assert len(after) == len(before) == probe(target).frames == 40
    for k, (x, y) in enumerate(where):
        assert _card_is_hidden(before[k], after[k], x, y), f"card readable on frame {k}"
    key_frames = -(-40 // options.stride)
    # at its own cadence, and once more on the last frame (39, not a key frame): a card that came into view
    # after its last look is found too
    assert cards.calls == -(-key_frames // 2) + 1, "a detector runs at its own cadence, and on the last frame"
    summary = outcome.report["summary"]
    assert summary["by_kind"]["card"]["frames_hidden"] == 40
    assert summary["by_kind"]["card"]["tracked"] == 1, "one card, one track"
    card_tracks = [t for t in outcome.report["tracks"] if t["kind"] == "card"]
    assert card_tracks[0]["hidden_frames"] == [0, 39]
    report = json.loads((tmp_path / "out.report.json").read_text())
    assert report["models"][-1] == {"kind": "card", "name": RedCards.model_name, "sha256": "0" * 64}
