"""The benchmark's scene generator (bench/scenes.py), importable by tests as ``bench_scenes``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parents[1] / "bench" / "scenes.py"
_spec = importlib.util.spec_from_file_location("scenes", _PATH)
assert _spec is not None and _spec.loader is not None
scenes = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("scenes", scenes)  # dataclasses look their module up by name
_spec.loader.exec_module(scenes)

Scene = scenes.Scene
Word = scenes.Word
make_scene = scenes.make_scene
write_pan_clip = scenes.write_pan_clip
