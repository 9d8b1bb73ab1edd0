"""Settings, read once from the environment and `.streamlit/secrets.toml`.

This is the only module that reads `os.environ`. Everything else receives a `Settings`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

LOCAL_MODELS = ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b")
BACKENDS = ("local", "openai", "scripted")
DEFAULT_MAX_NOTES_CHARS = 50_000  # COACH_MAX_NOTES_CHARS unset


class ConfigError(ValueError):
    """A setting has a value the coach cannot use. The message names the setting and the fix."""


def _read_secrets(path: Path) -> dict[str, str]:
    """Flat `KEY = "value"` pairs from a Streamlit secrets file; other shapes are ignored."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}). Fix or remove the file.") from exc
    return {k: str(v) for k, v in data.items() if isinstance(v, str | int | float | bool)}


def _int(env: Mapping[str, str], key: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{key}={raw!r} is not a whole number (expected {lo}..{hi}).") from exc
    if not lo <= value <= hi:
        raise ConfigError(f"{key}={value} is out of range (expected {lo}..{hi}).")
    return value


def _float(env: Mapping[str, str], key: str, default: float, *, allow_zero: bool = False) -> float:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{key}={raw!r} is not a number of seconds.") from exc
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{key} must be positive, got {value}.")
    return value


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    knowledge_dir: Path
    prompts_dir: Path
    collection: str = "coach_knowledge"
    chroma_host: str | None = None
    chroma_port: int = 8000
    backend: str = "local"
    local_model: str = "qwen2.5-coder-1.5b"
    n_ctx: int = 4096
    n_threads: int = 2
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout: float = 60.0
    openai_connect_timeout: float = 5.0
    retry_attempts: int = 4
    retry_max_seconds: float = 60.0
    database_url: str = ""
    max_knowledge_file_bytes: int = 200_000
    max_notes_chars: int = DEFAULT_MAX_NOTES_CHARS
    stalled_days: int = 21  # a pair with no session for longer is "stalled" (program health)
    # COACH_MODEL=scripted only: a JSON file of replies the scripted model gives first, in
    # order (a demo or an end-to-end test run in its own process can script its model).
    scripted_replies: Path | None = None
    # COACH_MODEL=scripted only: seconds each scripted reply takes, like a real model (demos of
    # progress, and e2e tests that act while a generation is running).
    scripted_seconds: float = 0.0
    models_dir_override: Path | None = None
    # Accounts (issue 12). acting_user: the CLI's --as EMAIL or COACH_USER (never the app's).
    acting_user: str | None = None
    session_hours: int = 12  # a sign-in lasts this long, then the user signs in again
    retention_months: int = 12  # a closed pair's notes and summaries are kept this long
    generations_per_minute: int = 6  # per user; 0 turns the limit off
    auth_secret: str | None = field(
        default=None, repr=False
    )  # signs the sign-in cookie; made and kept in the data dir

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def models_dir(self) -> Path:
        """Assembled GGUF files (1 GB+): COACH_MODELS_DIR, else <data dir>/models."""
        return self.models_dir_override or self.data_dir / "models"

    @property
    def uses_chroma_server(self) -> bool:
        return bool(self.chroma_host)

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, secrets_file: Path | None = None
    ) -> Settings:
        environ = dict(os.environ if env is None else env)
        secrets_path = secrets_file or PROJECT_ROOT / ".streamlit" / "secrets.toml"
        # Environment wins over the secrets file, so a CI variable can override a local file.
        merged = {**_read_secrets(secrets_path), **environ}

        data_dir = Path(merged.get("COACH_DATA_DIR") or PROJECT_ROOT / ".coach-data")
        knowledge_dir = Path(merged.get("COACH_KNOWLEDGE_DIR") or PROJECT_ROOT / "knowledge")
        prompts_dir = Path(merged.get("COACH_PROMPTS_DIR") or PROJECT_ROOT / "prompts")

        base_url = merged.get("OPENAI_BASE_URL") or None
        if base_url and not base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"OPENAI_BASE_URL={base_url!r} is not an http(s) URL "
                "(e.g. http://127.0.0.1:8080/v1)."
            )
        api_key = merged.get("OPENAI_API_KEY") or None
        backend = (merged.get("COACH_MODEL") or "").strip().lower()
        if not backend:
            # Pointing at an endpoint is enough to switch: no code change, no second setting.
            backend = "openai" if (base_url or api_key) else "local"
        if backend not in BACKENDS:
            raise ConfigError(
                f"COACH_MODEL={backend!r} is not a backend. Use one of: {', '.join(BACKENDS)}."
            )

        collection = merged.get("COACH_COLLECTION") or "coach_knowledge"
        if len(collection) < 3:
            raise ConfigError("COACH_COLLECTION needs at least 3 characters (a Chroma rule).")

        cpu = os.cpu_count() or 2
        db_url = merged.get("DATABASE_URL") or f"sqlite:///{data_dir / 'coach.db'}"
        return cls(
            data_dir=data_dir,
            knowledge_dir=knowledge_dir,
            prompts_dir=prompts_dir,
            collection=collection,
            chroma_host=merged.get("CHROMA_HOST") or None,
            chroma_port=_int(merged, "CHROMA_PORT", 8000, 1, 65535),
            backend=backend,
            local_model=(merged.get("COACH_LOCAL_MODEL") or LOCAL_MODELS[0]).strip(),
            n_ctx=_int(merged, "COACH_N_CTX", 4096, 512, 131072),
            n_threads=_int(merged, "COACH_N_THREADS", min(cpu, 8), 1, 256),
            openai_api_key=api_key,
            openai_base_url=base_url,
            openai_model=merged.get("COACH_OPENAI_MODEL")
            or merged.get("OPENAI_MODEL")
            or "gpt-4o-mini",
            openai_timeout=_float(merged, "COACH_OPENAI_TIMEOUT", 60.0),
            openai_connect_timeout=_float(merged, "COACH_OPENAI_CONNECT_TIMEOUT", 5.0),
            retry_attempts=_int(merged, "COACH_RETRY_ATTEMPTS", 4, 1, 20),
            retry_max_seconds=_float(merged, "COACH_RETRY_MAX_SECONDS", 60.0),
            database_url=db_url,
            max_knowledge_file_bytes=_int(
                merged, "COACH_MAX_KNOWLEDGE_FILE_BYTES", 200_000, 1_000, 50_000_000
            ),
            max_notes_chars=_int(
                merged, "COACH_MAX_NOTES_CHARS", DEFAULT_MAX_NOTES_CHARS, 100, 10_000_000
            ),
            stalled_days=_int(merged, "COACH_STALLED_DAYS", 21, 1, 3650),
            scripted_replies=Path(merged["COACH_SCRIPTED_REPLIES"])
            if merged.get("COACH_SCRIPTED_REPLIES")
            else None,
            scripted_seconds=min(
                600.0, _float(merged, "COACH_SCRIPTED_SECONDS", 0.0, allow_zero=True)
            ),
            models_dir_override=Path(merged["COACH_MODELS_DIR"])
            if merged.get("COACH_MODELS_DIR")
            else None,
            acting_user=(merged.get("COACH_USER") or "").strip() or None,
            session_hours=_int(merged, "COACH_SESSION_HOURS", 12, 1, 24 * 90),
            retention_months=_int(merged, "COACH_RETENTION_MONTHS", 12, 1, 1200),
            generations_per_minute=_int(merged, "COACH_GENERATIONS_PER_MINUTE", 6, 0, 10_000),
            auth_secret=merged.get("COACH_AUTH_SECRET") or None,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
