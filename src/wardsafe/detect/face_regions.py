"""Faces behind the detector seam: CenterFace on photos and video key frames, hidden as whole heads."""

from __future__ import annotations

from functools import cached_property

import cv2
import numpy as np

from wardsafe.detect.blazeface import CombinedFaceDetector, load_blazeface
from wardsafe.detect.boxes import iou, match_cost
from wardsafe.detect.faces import (
    DEFAULT_THRESHOLD,
    NMS_CONTAIN,
    NMS_IOU,
    FaceBox,
    FaceDetector,
    load_face_detector,
    photo_scales,
)
from wardsafe.detect.nms import nms
from wardsafe.detect.seam import Box, Detection, Frame, Region, RegionDetector, clip_region, not_found_in

# Tracking needs a face found on most key frames. Small faces in video often score 0.05-0.2, so
# video detection runs lower than the photo default: at 0.1 the 720p benchmark clip left faces
# readable on 40% of frames, at 0.05 on none. A false detection only blurs a little more.
VIDEO_THRESHOLD = 0.05
# Photos: CenterFace's candidates from 0.07, with BlazeFace confirming its doubtful ones from 0.014
# (candidate_floor). On the hard-faces set (masks, respirators, goggles, visors, low light, blur) this
# protected 0.979 of faces end to end, against 0.952 at 0.15 (collateral 0.032 against 0.018).
PHOTO_THRESHOLD = 0.07
# ... where two finds overlap so that this share of the smaller lies inside the other, they are one face.
PHOTO_CONTAIN = 0.45
# Side (pixels) of the tile a missed face's surroundings are scaled to when looking again close up
# (the face fills about a third of it), and how many faces one key frame looks for again.
CLOSE_UP_TILE = 128
MAX_CLOSE_UPS = 36
# Only tracks that once looked like a face this clearly are looked for again (not texture).
CLOSE_UP_MIN_SCORE = 0.05

# A CenterFace box covers forehead to chin and cheek to cheek. The head around it (hair, ears, the jaw
# of a face turning down) needs more: grow each side by these fractions of the box. Tuned on faces_dev:
# with these, every corner of the face box lies in the filter's fully hidden core; more growth mostly
# adds collateral (hidden background) without protecting more faces.
GROW_SIDE = 0.3
GROW_TOP = 0.35
GROW_BOTTOM = 0.4


def head_region(box: Box, width: int, height: int) -> Region:
    """Pixel rectangle to hide for the face ``box``: the whole head, clipped to a ``width`` x ``height`` frame.

    The filters hide the ellipse inscribed in it; its proportions keep every corner of the face box
    well inside that ellipse. Empty (x0 == x1 or y0 == y1) when the face is off-frame.
    """
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    return clip_region((x0 - GROW_SIDE * w, y0 - GROW_TOP * h, x1 + GROW_SIDE * w, y1 + GROW_BOTTOM * h), width, height)


def detection_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """Size of the frame copy that detection runs on: at most ``long_side``, sides multiples of 32."""
    scale = min(1.0, long_side / max(width, height))
    return max(32, int(round(width * scale / 32)) * 32), max(32, int(round(height * scale / 32)) * 32)


class FaceRegions(RegionDetector):
    """Every face, as an ellipse over the whole head.

    ``photos`` (the float model) runs the multi-scale photo search; ``key_frames`` runs on video key
    frames (on the engine's detection thread) and ``close_ups`` looks again for tracked faces a key
    frame missed (on the engine's main thread): separate sessions, so neither waits for the other,
    both of ``precision`` (int8 by default: twice as fast, see wardsafe.detect.quantize).
    """

    kind = "face"
    shape = "ellipse"
    confirm_score = DEFAULT_THRESHOLD
    established_score = CLOSE_UP_MIN_SCORE
    follows_appearance = True

    def __init__(
        self, photos: FaceDetector, precision: str = "float", threshold: float | None = None, long_side: int = 960,
        second_opinion: tuple[str, ...] = (),
    ) -> None:
        self.photos = photos
        # BlazeFace variants that confirm CenterFace's unsure candidates on photos (masks, goggles, low light)
        self.second_opinion_variants = second_opinion
        self.precision = precision
        self.threshold = threshold
        self.long_side = long_side
        self.model_name = photos.model_name
        self.model_sha256 = photos.model_sha256

    @cached_property
    def second_opinion(self) -> CombinedFaceDetector:
        """CenterFace with BlazeFace as a second opinion, for photos (loads on the first photo: about 1.3 s)."""
        return CombinedFaceDetector(self.photos, [load_blazeface(v) for v in self.second_opinion_variants])

    # The video sessions load on first use, so a run of photos never builds or loads the int8 copy.
    @cached_property
    def key_frames(self) -> FaceDetector:
        """Runs on key frames, on the engine's detection thread: one thread of its own."""
        detector = load_face_detector(self.photos.model_path, threads=1, precision=self.precision)
        if detector is self.photos:  # a one-core machine: still a session of its own
            detector = FaceDetector(self.photos.model_path, threads=1)
        return detector

    @cached_property
    def close_ups(self) -> FaceDetector:
        """Looks again on the engine's main thread (another thread count, so another cached session)."""
        return load_face_detector(self.photos.model_path, threads=self.photos.threads, precision=self.precision)

    def describe(self) -> dict[str, object]:
        """The face model, and the copy video key frames ran (the int8 one by default) if any did."""
        described = super().describe()
        if "second_opinion" in self.__dict__:
            described["second_opinion"] = [{"name": b.model_name, "sha256": b.model_sha256}
                                           for b in self.second_opinion.blazefaces]
        if "key_frames" in self.__dict__:
            described["key_frames"] = {"name": self.key_frames.model_name, "sha256": self.key_frames.model_sha256}
        return described

    def threshold_for(self, still: bool) -> float:
        """The score above which a face is hidden: the user's, or the tuned default for photos or video."""
        if self.threshold is not None:
            return self.threshold
        return PHOTO_THRESHOLD if still else VIDEO_THRESHOLD

    def find(self, frame: Frame) -> list[Detection]:
        """Faces on a photo (several scales) or a video key frame (one pass on a reduced copy)."""
        threshold = self.threshold_for(frame.still)
        if frame.still:
            # BlazeFace's search near every doubt grows with the photo (26 s on 48 MP); a large photo gets
            # the tiled small-faces search instead, which looks as closely
            confirm = self.second_opinion_variants and frame.width * frame.height <= SECOND_OPINION_MAX_PIXELS
            search = self.second_opinion if confirm else self.photos
            faces = search.detect_photo(frame.small_rgb(frame.width, frame.height), threshold)
            if len(faces) > 1:
                # At the low photo threshold a chin or half a face is found beside the whole face; it lies
                # mostly inside the whole face's head region, and a plan must offer the face once.
                boxes = np.array([f.box for f in faces], dtype=np.float64)
                faces = [faces[i] for i in nms(boxes, np.array([f.score for f in faces]), NMS_IOU, PHOTO_CONTAIN)]
            found = [Detection((f.x0, f.y0, f.x1, f.y1), f.score) for f in faces]
            return found + self._small_in_photo(frame, found)
        det_w, det_h = detection_size(frame.width, frame.height, self.long_side)
        scale = frame.width / det_w
        faces = self.key_frames.detect(frame.small_rgb(det_w, det_h), threshold)
        return [Detection((f.x0 * scale, f.y0 * scale, f.x1 * scale, f.y1 * scale), f.score) for f in faces]

    def _small_in_photo(self, frame: Frame, found: list[Detection]) -> list[Detection]:
        """Small faces in a large photo, which ``detect_photo`` (a few megapixels at most) reduces away.

        The photo is searched in tiles at ``PHOTO_FINE_SCALE``, or as near as ``PHOTO_FINE_BUDGET``
        detection pixels allow, by the int8 model on every core; faces already found are not repeated.
        """
        pixels = frame.width * frame.height
        finest = photo_scales(frame.width, frame.height)[0]
        scale = min(PHOTO_FINE_SCALE, (PHOTO_FINE_BUDGET / pixels) ** 0.5)
        if scale < finest * 1.3:  # the photo search already looked about this closely
            return []
        fine = detect_scaled(self.close_ups, frame, (0, 0, frame.width, frame.height), scale,
                             self.threshold_for(True))
        return not_found_in(fine, found)

    def region(self, box: Box, width: int, height: int) -> Region:
        """The whole head around the face box."""
        return head_region(box, width, height)

    def look_again(self, frame: Frame, expected: list[Box], known: list[Box]) -> list[Detection]:
        """Looks for faces close up, at full resolution, around the boxes where tracked faces were expected.

        Key-frame detection runs on a reduced copy, where a small face may drop below what the detector
        sees. Around each expected face a crop three face-widths wide is scaled so the face is about a
        third of a ``CLOSE_UP_TILE`` tile; the tiles are laid side by side and searched in one detector
        run, so looking again costs one small inference however many faces were missed. Returns at most
        one detection per box: the one that continues that track (never new faces: at this zoom,
        texture would start false tracks).
        """
        boxes = expected[:MAX_CLOSE_UPS]
        if not boxes:
            return []
        cols = max(1, int(np.ceil(np.sqrt(len(boxes)))))
        rows = -(-len(boxes) // cols)
        mosaic = np.zeros((rows * CLOSE_UP_TILE, cols * CLOSE_UP_TILE, 3), np.uint8)
        placed: list[tuple[int, int, float]] = []  # crop origin in the frame, and its scale
        for n, (x0, y0, x1, y1) in enumerate(boxes):
            side = max(x1 - x0, y1 - y0, 8.0)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            left, top = int(max(0, cx - 1.5 * side)), int(max(0, cy - 1.5 * side))
            right, bottom = int(min(frame.width, cx + 1.5 * side)), int(min(frame.height, cy + 1.5 * side))
            if right - left < 8 or bottom - top < 8:
                placed.append((0, 0, 0.0))
                continue
            rgb = frame.rgb_crop(left, top, right, bottom)
            left, top = left - left % 2, top - top % 2  # rgb_crop aligns to even pixels
            scale = CLOSE_UP_TILE / (3 * side)
            h, w = rgb.shape[:2]
            size = (max(1, min(CLOSE_UP_TILE, round(w * scale))), max(1, min(CLOSE_UP_TILE, round(h * scale))))
            r, c = divmod(n, cols)
            mosaic[r * CLOSE_UP_TILE : r * CLOSE_UP_TILE + size[1], c * CLOSE_UP_TILE : c * CLOSE_UP_TILE + size[0]] = (
                cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR))
            placed.append((left, top, scale))
        candidates: list[list[tuple[float, Box, float]]] = [[] for _ in boxes]
        face: FaceBox
        for face in self.close_ups.detect(mosaic, self.threshold_for(frame.still)):
            r, c = int(face.cy // CLOSE_UP_TILE), int(face.cx // CLOSE_UP_TILE)
            n = r * cols + c
            if n >= len(boxes) or placed[n][2] == 0.0:
                continue
            left, top, scale = placed[n]
            ox, oy = c * CLOSE_UP_TILE, r * CLOSE_UP_TILE
            box = (left + (face.x0 - ox) / scale, top + (face.y0 - oy) / scale,
                   left + (face.x1 - ox) / scale, top + (face.y1 - oy) / scale)
            cost = match_cost(boxes[n], box)
            if cost < 1.0:
                candidates[n].append((cost, box, face.score))
        found: list[Detection] = []
        for options in candidates:
            for _cost, box, score in sorted(options):
                if all(iou(box, other) < 0.5 for other in known + [d.box for d in found]):
                    found.append(Detection(box, score))
                    break
        return found


# CenterFace finds a face reliably from about this many pixels tall (in the pixels it runs on): on the
# 1080p crowd clip, single key frames at 1.0x found 0.93 of 19-70 px faces, at 1.5x 0.99.
FOUND_FROM_PX = 30
# The smallest face (input pixels) the fine pass is to find, and the most it may enlarge for it.
SMALL_FACE_PX = 20
MAX_FINE_SCALE = FOUND_FROM_PX / SMALL_FACE_PX
# Detection pixels the fine pass may search on one key frame (this sets its scale), and the key frames it
# takes to cover the whole frame once (a face it has not reached yet is hidden back to the key frame it
# could have been found).
FINE_PIXELS_PER_KEY_FRAME = 2_600_000
MAX_FINE_PERIOD = 3
# The fine pass runs on videos whose key-frame pass reduces them below this scale (720p and larger).
FINE_FROM_BASE_SCALE = 0.8
# Neighbouring bands overlap by this many detection pixels, so a small face cut by one lies whole in the other.
BAND_OVERLAP = 96


class SmallFaces(RegionDetector):
    """Small faces in large frames: a second pass at a finer scale than the key-frame search.

    The key-frame pass reduces a frame to ``long_side`` pixels, where a 20 px face of a 1080p or 4K
    video becomes too small to find. This pass enlarges instead: so that a ``SMALL_FACE_PX`` face
    becomes ``FOUND_FROM_PX``, as far as a budget of detection pixels per key frame allows over
    ``MAX_FINE_PERIOD`` key frames. The frame is cut into that many overlapping bands along its
    long side, one band searched per key frame in turn. Photos are searched whole (``detect_photo``
    already scales by the photo's size), so it finds nothing on them.
    """

    kind = "face"
    shape = "ellipse"
    confirm_score = DEFAULT_THRESHOLD
    established_score = CLOSE_UP_MIN_SCORE
    follows_appearance = True

    def __init__(self, faces: FaceRegions) -> None:
        self.faces = faces
        self.model_name = f"{faces.model_name}, fine pass"
        self.model_sha256 = faces.model_sha256

    def plan(self, width: int, height: int) -> tuple[float, int]:
        """Scale of the fine pass and the number of bands (key frames) it takes; (0, 0) when not needed."""
        base = min(1.0, self.faces.long_side / max(width, height))
        pixels = width * height
        scale = min(MAX_FINE_SCALE, (MAX_FINE_PERIOD * FINE_PIXELS_PER_KEY_FRAME / pixels) ** 0.5)
        if base >= FINE_FROM_BASE_SCALE or scale < base * 1.5:
            return 0.0, 0
        # Always spread over MAX_FINE_PERIOD key frames, even where the budget would allow fewer, larger bands
        # (1080p: 2): the tracker and looking again close up carry a small face between its band's turns, and
        # a 1080p key frame's share of the sweep costs 39% less CPU (crowd clip: 6.7 -> 4.1 s of 150 frames;
        # protection 1.000 on two seeds either way). Around 720p (base 0.75) the key-frame
        # pass (0.75x) finds small bare faces and looking again keeps them; the fine pass is a slower sweep for
        # masked and goggled ones (36-44 px: found at 1.5x, not at 0.75x). Above, small faces fall below what
        # the key-frame pass sees: the fine pass is what finds them. A longer sweep (5 key frames at 720p) let
        # faces through (make_clip seed 42: 0.981).
        return scale, MAX_FINE_PERIOD

    def period(self, width: int, height: int) -> int:
        """Key frames the bands take to cover the frame once."""
        return max(1, self.plan(width, height)[1])

    def describe(self) -> dict[str, object]:
        """The face model (the fine pass runs the key-frame session)."""
        return {**super().describe(), "pass": "small faces, one band of the frame per key frame"}

    def find(self, frame: Frame) -> list[Detection]:
        """Small faces in this key frame's band, in the frame's pixels."""
        if frame.still:
            return []
        scale, bands = self.plan(frame.width, frame.height)
        if not bands:
            return []
        band = frame.key % bands
        portrait = frame.height > frame.width
        long_side = frame.height if portrait else frame.width
        step = long_side / bands
        overlap = BAND_OVERLAP / scale
        start = int(max(0, band * step - overlap))
        stop = int(min(long_side, (band + 1) * step + overlap))
        x0, y0, x1, y1 = (0, start, frame.width, stop) if portrait else (start, 0, stop, frame.height)
        return detect_scaled(self.faces.key_frames, frame, (x0, y0, x1, y1), scale, self.faces.threshold_for(False))


# Photos larger than a few megapixels get a tiled search for small faces at this scale (a 16 px face
# becomes 20 px), or as near as this many detection pixels allow (a 48 MP photo: 0.71x).
PHOTO_FINE_SCALE = 1.25
PHOTO_FINE_BUDGET = 24_000_000
# Photos up to this size get BlazeFace's second opinion on CenterFace's doubtful faces.
SECOND_OPINION_MAX_PIXELS = 16_000_000
# Largest tile (detection pixels a side) one inference sees: bounds the network's working memory on big
# photos; tiles overlap by BAND_OVERLAP so a small face cut by one lies whole in the next.
TILE_SIDE = 1536


def detect_scaled(
    detector: FaceDetector, frame: Frame, rect: tuple[int, int, int, int], scale: float, threshold: float
) -> list[Detection]:
    """Faces in the rectangle ``rect`` of ``frame`` searched at ``scale``, in overlapping tiles if it is large.

    Boxes come back in the frame's pixels, duplicates across tiles merged.
    """
    x0, y0, x1, y1 = rect
    tile = TILE_SIDE / scale  # tile side in frame pixels
    overlap = BAND_OVERLAP / scale
    nx = max(1, int(np.ceil((x1 - x0 - overlap) / (tile - overlap))))
    ny = max(1, int(np.ceil((y1 - y0 - overlap) / (tile - overlap))))
    step_x, step_y = (x1 - x0) / nx, (y1 - y0) / ny
    found: list[Detection] = []
    for j in range(ny):
        for i in range(nx):
            left = int(max(x0, x0 + i * step_x - overlap / 2))
            top = int(max(y0, y0 + j * step_y - overlap / 2))
            right = int(min(x1, x0 + (i + 1) * step_x + overlap / 2))
            bottom = int(min(y1, y0 + (j + 1) * step_y + overlap / 2))
            rgb = frame.rgb_crop(left, top, right, bottom)
            left, top = left - left % 2, top - top % 2  # rgb_crop aligns to even pixels
            h, w = rgb.shape[:2]
            if h < 8 or w < 8:
                continue
            size = (max(32, round(w * scale)), max(32, round(h * scale)))
            fine = cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR if scale > 1 else cv2.INTER_AREA)
            sx, sy = w / size[0], h / size[1]
            found += [Detection((left + f.x0 * sx, top + f.y0 * sy, left + f.x1 * sx, top + f.y1 * sy), f.score)
                      for f in detector.detect(fine, threshold)]
    if nx * ny == 1 or len(found) < 2:
        return found
    boxes = np.array([d.box for d in found], dtype=np.float64)
    keep = nms(boxes, np.array([d.score for d in found]), NMS_IOU, NMS_CONTAIN)
    return [found[i] for i in keep]
