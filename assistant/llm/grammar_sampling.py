"""Grammar-constrained sampling at nearly the speed of free text (the local backend).

llama-cpp-python puts llama.cpp's grammar sampler in the sampling chain, and that sampler checks
every token of the vocabulary (about 152,000 for Qwen2.5) against the JSON grammar at every
step: here that cost a third of the decode speed (14.4 tokens/s free text, 9.6 under a JSON
schema, `benchmarks/artifacts.py`). llama.cpp's own tools avoid it by checking only the likely
tokens first; this module does the same inside llama-cpp-python's chain:

1. take the `CANDIDATES` highest-scoring tokens (after the repeat penalty),
2. let the grammar judge only those,
3. if at least one is allowed, every other token is ruled out and sampling carries on over the
   allowed candidates; if none is, the grammar judges the whole vocabulary, as before.

At temperature 0 this picks exactly the token the full check would: the best allowed token is
the best allowed candidate whenever any candidate is allowed, and otherwise the full check
runs. With a temperature, only allowed tokens outside the top candidates are dropped, which the
later top-k / min-p steps would drop anyway. `tests/integration/test_llm_local_model.py` checks
that the output is identical on the real model.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

import llama_cpp
import numpy as np

CANDIDATES = 64

_TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)


class CandidateFirstGrammar:
    """A llama.cpp sampler (for a sampler chain) holding a native grammar sampler that it
    applies to the top candidates first. Keeps its callbacks alive as long as it lives."""

    def __init__(self, vocab: Any, grammar: str, root: str) -> None:
        self.grammar = llama_cpp.llama_sampler_init_grammar(
            vocab, grammar.encode("utf-8"), root.encode("utf-8")
        )
        if not self.grammar:
            raise ValueError("llama.cpp could not parse the grammar")
        self.quick = 0  # steps decided on the candidates alone
        self.full = 0  # steps that needed the whole vocabulary
        self._top = (llama_cpp.llama_token_data * CANDIDATES)()
        self._top_array = llama_cpp.llama_token_data_array(
            data=self._top, size=CANDIDATES, selected=-1, sorted=False
        )
        self._top_view = np.frombuffer(self._top, dtype=_TOKEN_DATA)

        def apply(_sampler: Any, cur_p: Any) -> None:
            try:
                self._apply(cur_p)
            except Exception as exc:  # noqa: BLE001 - never leave the grammar unapplied
                print(f"candidate-first grammar: {exc!r}; checking every token", file=sys.stderr)
                llama_cpp.llama_sampler_apply(self.grammar, cur_p)

        def accept(_sampler: Any, token: int) -> None:
            llama_cpp.llama_sampler_accept(self.grammar, token)

        def reset(_sampler: Any) -> None:
            llama_cpp.llama_sampler_reset(self.grammar)

        def free(_sampler: Any) -> None:  # the chain never frees us: see `attach`
            pass

        iface = llama_cpp.llama_sampler_i()
        iface.apply = llama_cpp.llama_sampler_i_apply(apply)
        iface.accept = llama_cpp.llama_sampler_i_accept(accept)
        iface.reset = llama_cpp.llama_sampler_i_reset(reset)
        iface.free = llama_cpp.llama_sampler_i_free(free)
        iface.name = llama_cpp.llama_sampler_i_name(0)
        iface.clone = llama_cpp.llama_sampler_i_clone(0)
        self._iface = iface
        self._callbacks = (apply, accept, reset, free)
        self.sampler = llama_cpp.llama_sampler()
        self.sampler.iface = ctypes.pointer(iface)
        self.sampler.ctx = None

    def _apply(self, cur_p: Any) -> None:
        array = cur_p.contents
        size = int(array.size)
        if size <= CANDIDATES:
            self.full += 1
            llama_cpp.llama_sampler_apply(self.grammar, cur_p)
            return
        buffer = (llama_cpp.llama_token_data * size).from_address(
            ctypes.addressof(array.data.contents)
        )
        tokens = np.frombuffer(buffer, dtype=_TOKEN_DATA)
        logits = tokens["logit"]
        top = np.argpartition(logits, size - CANDIDATES)[size - CANDIDATES :]
        self._top_view["id"] = tokens["id"][top]
        self._top_view["logit"] = logits[top]
        self._top_view["p"] = 0.0
        self._top_array.size = CANDIDATES
        self._top_array.selected = -1
        self._top_array.sorted = False
        llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(self._top_array))
        judged = self._top_view["logit"]
        if not np.isfinite(judged).any():
            self.full += 1
            llama_cpp.llama_sampler_apply(self.grammar, cur_p)
            return
        self.quick += 1
        logits[:] = -np.inf
        logits[top] = judged

    def free(self) -> None:
        if self.grammar:
            llama_cpp.llama_sampler_free(self.grammar)
            self.grammar = None


def attach(chain: Any, vocab: Any, grammar: Any) -> CandidateFirstGrammar:
    """Put a candidate-first grammar into llama-cpp-python's `chain` (a `LlamaSampler` built
    without a grammar) right after its first step (the repeat penalty), where llama-cpp-python
    would have put its own grammar sampler."""
    step = CandidateFirstGrammar(vocab, grammar._grammar, grammar._root)
    native = chain.sampler
    count = llama_cpp.llama_sampler_chain_n(native)
    rest = [llama_cpp.llama_sampler_chain_remove(native, 1) for _ in range(count - 1)]
    llama_cpp.llama_sampler_chain_add(native, ctypes.pointer(step.sampler))
    for sampler in rest:
        llama_cpp.llama_sampler_chain_add(native, sampler)
    # llama-cpp-python removes the samplers it lists here before freeing the chain, so the
    # chain never frees memory Python owns; the grammar itself is freed with the chain.
    chain.custom_samplers.append((1, step))
    chain._exit_stack.callback(step.free)
    return step


def fast_llama_class() -> type:
    """`llama_cpp.Llama` with candidate-first grammar sampling (same constructor)."""

    class FastGrammarLlama(llama_cpp.Llama):
        candidate_first = True
        last_grammar_step: CandidateFirstGrammar | None = None

        def _init_sampler(self, *args: Any, grammar: Any = None, **kwargs: Any) -> Any:
            if grammar is None or not self.candidate_first or kwargs.get("logits_processor"):
                return super()._init_sampler(*args, grammar=grammar, **kwargs)
            chain = super()._init_sampler(*args, grammar=None, **kwargs)
            try:
                self.last_grammar_step = attach(chain, self._model.vocab, grammar)
            except (AttributeError, TypeError, ValueError) as exc:  # another llama-cpp-python
                print(
                    f"candidate-first grammar unavailable ({exc!r}); stock sampling",
                    file=sys.stderr,
                )
                chain.close()
                return super()._init_sampler(*args, grammar=grammar, **kwargs)
            return chain

    return FastGrammarLlama
