"""Test-wide fixtures.

No test reaches a real model by accident: `ALLOW_MODEL_REQUESTS` is False for the whole run,
and only tests that ask for the `allow_model_requests` fixture (the few marked `slow_model` or
`server`, and the fault tests against a fake server on 127.0.0.1) may make real calls.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import assistant.llm.base as llm_base
from assistant.llm.scripted import ScriptedModel
from tests.databases import Database, new_database
from tests.postgres import PostgresServer, PostgresUnavailable, start_server

llm_base.ALLOW_MODEL_REQUESTS = False


@pytest.fixture
def allow_model_requests() -> Iterator[None]:
    """Let this test call a real model (local llama.cpp or an HTTP endpoint)."""
    previous = llm_base.ALLOW_MODEL_REQUESTS
    llm_base.ALLOW_MODEL_REQUESTS = True
    try:
        yield
    finally:
        llm_base.ALLOW_MODEL_REQUESTS = previous


@pytest.fixture
def scripted_model() -> ScriptedModel:
    """A strict scripted model: enqueue the replies a test expects; an unplanned call raises."""
    return ScriptedModel(strict=True)


# Shared knowledge-base fixtures (a tiny synthetic knowledge folder; the real knowledge base
# indexed once per session into a temp dir).
from tests.fixtures import real_index_settings, real_retriever, tiny_kb  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _restore_main_module() -> Iterator[None]:
    """AppTest runs page scripts as `__main__` and leaves them in sys.modules; a later test
    that spawns processes would then re-run that script. Put the real one back after each test.
    (Not via monkeypatch: an autouse fixture holding monkeypatch would make monkeypatch's undo
    run after other fixtures' teardown, e.g. re-opening the model-request guard.)"""
    import sys

    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


# --- the history database under test: a SQLite file, and a real PostgreSQL server ----------


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the session (initdb + pg_ctl in a temp folder, on
    127.0.0.1). Where PostgreSQL is not installed: a failure in CI (CI=true), a skip here."""
    try:
        server = start_server()
    except PostgresUnavailable as exc:
        if _in_ci():
            pytest.fail(f"CI must run the PostgreSQL tests: {exc}", pytrace=False)
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """Run the test once on a SQLite file and once on a real PostgreSQL database."""
    return new_database(request.param, tmp_path, request)
