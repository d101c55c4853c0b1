"""Builds a "hard faces" set from faces_dev: the same real photos with the conditions of a clinical setting.

Each output image is one faces_dev photo with one augmentation, named ``AUG_SOURCE.jpg``:

==============  ===========================================================================
``asis``        the photo unchanged (many faces already wear surgical masks): the baseline
``dark``        low light: exposure cut to 12-25%, gamma, then sensor noise and a JPEG round trip
``motion``      motion blur along a random direction, 1-2.5% of the image's long side
``blur``        out of focus: Gaussian blur, sigma 0.4-0.8% of the long side
``goggles``     an opaque tinted bar with highlights over each face's eye band
``visor``       a semi-transparent tinted face shield with a bright rim over each face
``cap``         a theatre cap over each face's forehead and hair
``respirator``  an FFP3-style cup (white, yellow or orange, with a valve) over nose and mouth
``ppe``         cap, goggles and respirator together: almost nothing of the face is visible
``profile``     mirrored, and squeezed to 60% of its width: faces look turned and narrow
``edge``        the photo cut through the middle of its largest face (half a face at the border)
``small``       the photo at half size (faces under 12 px drop out, as the scorer ignores them)
==============  ===========================================================================

Each augmentation is applied to its own deterministic selection of source photos (``--per-type`` of them,
rotating through faces_dev so that every photo is used). ``manifest.json`` has faces_dev's format (image,
boxes [x, y, w, h]) plus ``aug`` and ``source``, so the shared ``face_protect.py`` scores any tool on it.

usage: .venv/bin/python bench/make_hard_faces.py OUT_DIR [--shared ../shared] [--per-type 30] [--seed 8]
       .venv/bin/python bench/make_hard_faces.py tests/fixtures/hard_faces --fixture   (the tests' fixture)
"""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

Boxes = list[list[int]]
Augment = Callable[[np.ndarray, Boxes, np.random.Generator], tuple[np.ndarray, Boxes]]
# Faces the shared scorer ignores (min side < 12 px) are dropped from the manifest's boxes only when an
# augmentation makes them so; their pixels stay.
MIN_SIDE = 12


def _jpeg_round_trip(rgb: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def _blend(rgb: np.ndarray, layer: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``rgb`` with ``layer`` painted over it where ``alpha`` (H x W, 0..1) is non-zero."""
    a = alpha[..., None].astype(np.float32)
    return (rgb.astype(np.float32) * (1 - a) + layer.astype(np.float32) * a).clip(0, 255).astype(np.uint8)


def _soft_mask(shape: tuple[int, int], draw: Callable[[np.ndarray], None], soften: float) -> np.ndarray:
    """A 0..1 mask drawn by ``draw`` onto a uint8 canvas, its edge softened by ``soften`` px (anti-aliasing)."""
    canvas = np.zeros(shape, np.uint8)
    draw(canvas)
    mask = canvas.astype(np.float32) / 255
    if soften > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), soften)
    return mask


def asis(rgb: np.ndarray, boxes: Boxes, rng: np.random.Generator) -> tuple[np.ndarray, Boxes]:
    """The photo as it is."""
    return rgb.copy(), boxes


def dark(rgb: np.ndarray, boxes: Boxes, rng: np.random.Generator) -> tuple[np.ndarray, Boxes]:
    """Low light: a dim exposure, a gamma lift as a phone applies, sensor noise, then JPEG compression."""
    gain = rng.uniform(0.12, 0.25)
    linear = (rgb.astype(np.float32) / 255) ** 2.2 * gain
    out = linear ** (1 / 2.2) * 255
    # noise is strongest in the shadows of a dim picture: luminance-independent Gaussian plus chroma speckle
    out += rng.normal(0, rng.uniform(4, 8), out.shape[:2])[..., None] + rng.normal(0, 3, out.shape)
    return _jpeg_round_trip(out.clip(0, 255).astype(np.uint8), 75), boxes


def _line_kernel(length: int, angle: float) -> np.ndarray:
    kernel = np.zeros((length, length), np.float32)
    centre = (length - 1) / 2
    dx, dy = np.cos(angle) * centre, np.sin(angle) * centre
    cv2.line(kernel, (round(centre - dx), round(centre - dy)), (round(centre + dx), round(centre + dy)), 1.0, 1)
    return kernel / kernel.sum()


def motion(rgb: np.ndarray, boxes: Boxes, rng: np.random.Generator) -> tuple[np.ndarray, Boxes]:
    """A moving camera or head: a straight blur 1-2.5% of the long side, any direction."""
    # (2-4% left 20 px faces as smears no one could recognise; this is a shaky hand or a turning head)
    length = max(3, round(max(rgb.shape[:2]) * rng.uniform(0.01, 0.025))) | 1
    return cv2.filter2D(rgb, -1, _line_kernel(length, rng.uniform(0, np.pi))), boxes


def blur(rgb: np.ndarray, boxes: Boxes, rng: np.random.Generator) -> tuple[np.ndarray, Boxes]:
    """Out of focus: sigma 0.4-0.8% of the long side (more makes small faces unrecognisable blobs)."""
    sigma = max(rgb.shape[:2]) * rng.uniform(0.004, 0.008)
    return cv2.GaussianBlur(rgb, (0, 0), sigma), boxes


def _draw_goggles(out: np.ndarray, box: list[int], rng: np.random.Generator) -> np.ndarray:
    x, y, w, h = box
    # faces_dev's boxes run from about the brows to the chin: the eyes sit in the top third
    top, bottom = y + 0.03 * h, y + 0.38 * h
    pts = np.array([[x - 0.06 * w, top], [x + 1.06 * w, top], [x + 1.02 * w, bottom], [x + 0.58 * w, bottom - 0.05 * h],
                    [x + 0.5 * w, top + 0.55 * (bottom - top)], [x + 0.42 * w, bottom - 0.05 * h],
                    [x - 0.02 * w, bottom]])  # fmt: skip
    polygon = [np.round(pts * 8).astype(np.int32)]  # drawn at 1/8 px precision (shift=3)
    mask = _soft_mask(out.shape[:2], lambda c: cv2.fillPoly(c, polygon, 255, cv2.LINE_AA, shift=3), 0.6)
    tint = np.array(rng.choice([[40, 55, 60], [70, 90, 110], [150, 160, 140], [25, 25, 30]]), np.float32)
    # tinted lens: mostly opaque, a little of the eyes showing through, plus a soft highlight stripe
    layer = np.empty_like(out, dtype=np.float32)
    layer[:] = tint
    yy, xx = np.mgrid[: out.shape[0], : out.shape[1]]
    stripe = np.exp(-((((xx - x - 0.3 * w) + (yy - top)) / max(1.0, 0.08 * w)) ** 2))
    layer += (stripe * 120)[..., None]
    return _blend(out, layer.clip(0, 255), mask * rng.uniform(0.8, 0.95))


def goggles(rgb: np.ndarray, boxes: Boxes, rng: np.random.Generator) -> tuple[np.ndarray, Boxes]:
    """Safety goggles (or dark glasses) over the eyes of every labelled face."""
    out = rgb.copy()
    for box in boxes:
        out = _draw_goggles(out, box, rng)
    return out, boxes


def visor(rgb: np.ndarray, boxes: Boxes, rng: np.random.Generator) -> tuple[np.ndarray, Boxes]:
    """A clear face shield: a faint tint and glare over the whole face, a bright headband at the top."""
    out = rgb.copy()
    for x, y, w, h in boxes:
        centre = (round((x + w / 2) * 8), round((y + h * 0.55) * 8))
        axes = (round(w * 0.68 * 8), round(h * 0.62 * 8))
        shield = _soft_mask(out.shape[:2], lambda c, a=axes, ct=centre: cv2.ellipse(
            c, ct, a, 0, 0, 360, 255, -1, cv2.LINE_AA, 3), 1.0)  # fmt: skip
        tint = np.array(rng.choice([[170, 200, 230], [200, 220, 200], [230, 230, 235]]), np.float32)
        layer = np.empty_like(out, dtype=np.float32)
        layer[:] = tint
        out = _blend(out, layer, shield * rng.uniform(0.35, 0.5))
        band = _soft_mask(
            out.shape[:2],
            lambda c, x=x, y=y, w=w, h=h: cv2.rectangle(
                c, (round(x - 0.1 * w), round(y - 0.02 * h)), (round(x + 1.1 * w), round(y + 0.1 * h)), 255, -1
            ),
            0.6,
        )
        out = _blend(out, np.full_like(out, 235), band * 0.9)
    return out, boxes


def cap(rgb: np.ndarray, boxes: Boxes, rng: np.random.Generator) -> tuple[np.ndarray, Boxes]:
    """A theatre cap (blue, green or patterned fabric) over hair and forehead down to the brows."""
    out = rgb.copy()
    for x, y, w, h in boxes:
        colour = np.array(rng.choice([[70, 120, 190], [60, 150, 140], [120, 160, 210], [40, 80, 60]]), np.float32)
        brow = y + h * rng.uniform(0.05, 0.12)

        def draw(c: np.ndarray, x=x, y=y, w=w, h=h, brow=brow) -> None:
            # a dome from the brow line up over the head
            cv2.ellipse(c, (round((x + w / 2) * 8), round(brow * 8)), (round(w * 0.62 * 8), round(h * 0.55 * 8)),
                        0, 180, 360, 255, -1, cv2.LINE_AA, 3)  # fmt: skip

        mask = _soft_mask(out.shape[:2], draw, 0.7)
        layer = np.empty_like(out, dtype=np.float32)
        layer[:] = colour
        # fabric folds: low-frequency shading so the cap is not a flat sticker
        shade = cv2.GaussianBlur(rng.normal(0, 1, out.shape[:2]).astype(np.float32), (0, 0), max(1.0, w / 10))
        layer *= (1 + 0.8 * shade / (np.abs(shade).max() + 1e-6))[..., None]
        out = _blend(out, layer.clip(0, 255), mask)
    return out, boxes


def _draw_respirator(out: np.ndarray, box: list[int], rng: np.random.Generator) -> np.ndarray:
    x, y, w, h = box
    colour = np.array(rng.choice([[240, 240, 235], [235, 215, 90], [230, 140, 60], [225, 230, 240]]), np.float32)
    centre = (round((x + w / 2) * 8), round((y + h * 0.74) * 8))

    def cup(c: np.ndarray) -> None:
        cv2.ellipse(c, centre, (round(w * 0.47 * 8), round(h * 0.36 * 8)), 0, 0, 360, 255, -1, cv2.LINE_AA, 3)

    mask = _soft_mask(out.shape[:2], cup, 0.6)
    layer = np.empty_like(out, dtype=np.float32)
    layer[:] = colour
    # the cup's curvature: darker towards its rim
    yy, xx = np.mgrid[: out.shape[0], : out.shape[1]]
    r = np.sqrt(((xx - (x + w / 2)) / (0.47 * w)) ** 2 + ((yy - (y + h * 0.74)) / (0.36 * h)) ** 2)
    layer *= (1 - 0.35 * np.clip(r, 0, 1) ** 2)[..., None]
    out = _blend(out, layer.clip(0, 255), mask)
    # exhalation valve and straps
    valve = _soft_mask(
        out.shape[:2],
        lambda c: cv2.circle(
            c, (round((x + w * 0.5) * 8), round((y + h * 0.8) * 8)), round(w * 0.12 * 8), 255, -1, cv2.LINE_AA, 3
        ),
        0.5,
    )
    out = _blend(out, np.full_like(out, 90), valve)
    straps = _soft_mask(out.shape[:2], lambda c: cv2.line(
        c, (round(x * 8), round((y + 0.45 * h) * 8)), (round((x + w) * 8), round((y + 0.45 * h) * 8)), 255,
        max(1, round(w / 30)), cv2.LINE_AA, 3), 0.5)  # fmt: skip
    return _blend(out, np.full_like(out, 200), straps * 0.7)


def respirator(rgb: np.ndarray, boxes: Boxes, rng: np.random.Generator) -> tuple[np.ndarray, Boxes]:
    """An FFP3 respirator over nose, mouth and chin of every labelled face."""
    out = rgb.copy()
    for box in boxes:
        out = _draw_respirator(out, box, rng)
    return out, boxes


def ppe(rgb: np.ndarray, boxes: Boxes, rng: np.random.Generator) -> tuple[np.ndarray, Boxes]:
    """Full theatre protection: cap, goggles and respirator."""
    out, _ = cap(rgb, boxes, rng)
    for box in boxes:
        out = _draw_respirator(_draw_goggles(out, box, rng), box, rng)
    return out, boxes


def _scaled_boxes(boxes: Boxes, sx: float, sy: float, width: int, height: int, dx: float = 0.0) -> Boxes:
    """Boxes scaled by (sx, sy) and shifted by ``dx``, clipped to the image; those under MIN_SIDE dropped."""
    out = []
    for x, y, w, h in boxes:
        x0, x1 = max(0.0, x * sx + dx), min(float(width), (x + w) * sx + dx)
        y0, y1 = max(0.0, y * sy), min(float(height), (y + h) * sy)
        if min(x1 - x0, y1 - y0) >= MIN_SIDE:
            out.append([round(x0), round(y0), round(x1 - x0), round(y1 - y0)])
    return out


def profile(rgb: np.ndarray, boxes: Boxes, rng: np.random.Generator) -> tuple[np.ndarray, Boxes]:
    """Mirrored, and squeezed horizontally to 60%: faces foreshortened as a head turns away."""
    height, width = rgb.shape[:2]
    flipped = rgb[:, ::-1]
    mirrored = [[width - x - w, y, w, h] for x, y, w, h in boxes]
    new_w = round(width * 0.6)
    out = cv2.resize(flipped, (new_w, height), interpolation=cv2.INTER_AREA)
    return out, _scaled_boxes(mirrored, new_w / width, 1.0, new_w, height)


def edge(rgb: np.ndarray, boxes: Boxes, rng: np.random.Generator) -> tuple[np.ndarray, Boxes]:
    """The photo cut at the left through its largest face's middle, so half that face sits at the border."""
    x, _, w, _ = max(boxes, key=lambda b: b[2] * b[3])
    left = min(x + w // 2, rgb.shape[1] - 64)
    out = np.ascontiguousarray(rgb[:, left:])
    return out, _scaled_boxes(boxes, 1.0, 1.0, out.shape[1], out.shape[0], dx=-left)


def small(rgb: np.ndarray, boxes: Boxes, rng: np.random.Generator) -> tuple[np.ndarray, Boxes]:
    """The photo at half size."""
    height, width = rgb.shape[:2]
    new = (round(width / 2), round(height / 2))
    out = cv2.resize(rgb, new, interpolation=cv2.INTER_AREA)
    return out, _scaled_boxes(boxes, new[0] / width, new[1] / height, *new)


AUGMENTATIONS: dict[str, Augment] = {
    "asis": asis, "dark": dark, "motion": motion, "blur": blur, "goggles": goggles, "visor": visor, "cap": cap,
    "respirator": respirator, "ppe": ppe, "profile": profile, "edge": edge, "small": small,
}  # fmt: skip


def scorable(boxes: Boxes) -> Boxes:
    """The boxes the shared scorer counts (min side >= 12 px)."""
    return [b for b in boxes if min(b[2], b[3]) >= MIN_SIDE]


def background_crops(faces_dev: Path, sides: tuple[int, ...] = (128, 200)) -> list[np.ndarray]:
    """Face-free crops of faces_dev: per photo and side, the first square (scanning rows, 24 px steps) that
    keeps clear of every labelled face's head and body (the box grown 80% sideways, 100% up, 150% down).

    Unlabelled faces are rare there; people seen from behind are not, which is what a fallback must not hide.
    """
    crops = []
    for entry in json.loads((faces_dev / "manifest.json").read_text()):
        rgb = np.asarray(Image.open(faces_dev / entry["image"]).convert("RGB"))
        height, width = rgb.shape[:2]
        taken = np.zeros((height, width), bool)
        for x, y, w, h in entry["boxes"]:
            taken[max(0, int(y - h)) : int(y + h * 2.5), max(0, int(x - w * 0.8)) : int(x + w * 1.8)] = True
        for side in sides:
            spot = next(
                ((x, y) for y in range(0, height - side + 1, 24) for x in range(0, width - side + 1, 24)
                 if not taken[y : y + side, x : x + side].any()),
                None,
            )  # fmt: skip
            if spot is not None:
                crops.append(np.ascontiguousarray(rgb[spot[1] : spot[1] + side, spot[0] : spot[0] + side]))
    return crops


def make_set(faces_dev: Path, out: Path, per_type: int, seed: int, only: list[str] | None = None) -> list[dict]:
    """Writes the augmented images and ``manifest.json`` into ``out``; returns the manifest."""
    sources = [m for m in json.loads((faces_dev / "manifest.json").read_text()) if scorable(m["boxes"])]
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    names = list(AUGMENTATIONS)
    for rank, name in enumerate(names):
        if only and name not in only:
            continue
        rng = np.random.default_rng([seed, rank])
        # a different stretch of faces_dev for each augmentation (rotating), so all photos get used
        start = (rank * per_type) % len(sources)
        picked = [sources[(start + k) % len(sources)] for k in range(min(per_type, len(sources)))]
        for entry in picked:
            rgb = np.asarray(Image.open(faces_dev / entry["image"]).convert("RGB"))
            image, boxes = AUGMENTATIONS[name](rgb, [list(map(int, b)) for b in entry["boxes"]], rng)
            if not scorable(boxes):
                continue
            file = f"{name}_{Path(entry['image']).stem}.jpg"
            Image.fromarray(np.ascontiguousarray(image)).save(out / file, "JPEG", quality=93)
            manifest.append({"image": file, "boxes": boxes, "aug": name, "source": entry["image"]})
    (out / "manifest.json").write_text(json.dumps(manifest, indent=0))
    return manifest


# The test fixture (tests/fixtures/hard_faces): images of the default set (seed 8, 30 per type) in which
# CenterFace alone at the photo threshold 0.15 misses a face that the combined detector finds, one or two
# per kind, and one face-free crop in which BlazeFace alone sees "faces" that the combination rejects.
FIXTURE_IMAGES = (
    "dark_maksssksksss232.jpg", "motion_maksssksksss292.jpg", "blur_maksssksksss384.jpg",
    "goggles_maksssksksss480.jpg", "goggles_maksssksksss596.jpg", "respirator_maksssksksss844.jpg",
    "respirator_maksssksksss100.jpg", "ppe_maksssksksss108.jpg", "ppe_maksssksksss120.jpg",
    "ppe_maksssksksss200.jpg", "ppe_maksssksksss216.jpg", "profile_maksssksksss272.jpg",
)  # fmt: skip
FIXTURE_BACKGROUND = 46  # index in background_crops(faces_dev)


def make_fixture(faces_dev: Path, out: Path) -> None:
    """Writes the test fixture: FIXTURE_IMAGES, ``background.jpg`` and their ``manifest.json``."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        manifest = make_set(faces_dev, Path(folder), per_type=30, seed=8)
        out.mkdir(parents=True, exist_ok=True)
        kept = [m for m in manifest if m["image"] in FIXTURE_IMAGES]
        for entry in kept:
            shutil.copyfile(Path(folder) / entry["image"], out / entry["image"])
    crop = background_crops(faces_dev)[FIXTURE_BACKGROUND]
    Image.fromarray(crop).save(out / "background.jpg", "JPEG", quality=93)
    kept.append({"image": "background.jpg", "boxes": [], "aug": "background", "source": "faces_dev crop"})
    (out / "manifest.json").write_text("[\n" + ",\n".join(json.dumps(entry) for entry in kept) + "\n]\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--per-type", type=int, default=30, help="source photos per augmentation")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--only", nargs="*", choices=list(AUGMENTATIONS), help="only these augmentations")
    parser.add_argument("--fixture", action="store_true", help="write the small test fixture into OUT instead")
    args = parser.parse_args()
    if args.fixture:
        make_fixture(args.shared / "data" / "faces_dev", args.out)
        print(f"fixture written to {args.out}")
        return
    manifest = make_set(args.shared / "data" / "faces_dev", args.out, args.per_type, args.seed, args.only)
    faces = sum(len(scorable(m["boxes"])) for m in manifest)
    print(f"{len(manifest)} images, {faces} faces (min side >= {MIN_SIDE}) in {args.out}")


if __name__ == "__main__":
    main()
