"""The embedded Qwen2.5-Coder-1.5B, for real: two short generations (about a minute on 2 cores).

Skipped when llama-cpp-python or the weights extra is not installed. The weights are assembled
into the same cache `coach` uses, so only the first run pays for it.
"""

from __future__ import annotations

import pydantic
import pytest

from assistant.config import PROJECT_ROOT
from assistant.llm import TextStream, complete_structured
from assistant.llm.local import LocalModel
from assistant.llm.weights import resolve

MODELS_DIR = PROJECT_ROOT / ".coach-data" / "models"
N_CTX = 1024  # small, so the oversized-prompt test stays short

pytestmark = [pytest.mark.slow_model, pytest.mark.usefixtures("allow_model_requests")]


@pytest.fixture(scope="module")
def model() -> LocalModel:
    local = LocalModel(resolve("qwen2.5-coder-1.5b", MODELS_DIR), n_ctx=N_CTX, n_threads=2)
    problem = local.availability_problem()
    if problem is not None:
        pytest.skip(str(problem))
    return local


class Starter(pydantic.BaseModel):
    question: str = pydantic.Field(max_length=160)
    minutes: int = pydantic.Field(ge=1, le=15)


def test_structured_answer_from_the_embedded_model(model: LocalModel) -> None:
    messages = [
        {"role": "system", "content": "You write conversation starters for mentoring pairs."},
        {"role": "user", "content": "One starter about video calls, with minutes (1-15)."},
    ]
    starter, completion = complete_structured(model, messages, Starter, max_tokens=80)
    assert isinstance(starter, Starter)
    assert completion.backend == "local" and completion.model == "qwen2.5-coder-1.5b"
    assert model.status().state == "ready"


def test_an_oversized_prompt_is_cut_and_still_answered(model: LocalModel) -> None:
    passages = " ".join(f"Passage {i}: mentors and mentees meet weekly." for i in range(400))
    messages = [
        {"role": "system", "content": "Answer in one short sentence."},
        {"role": "user", "content": f"{passages}\nQuestion: how often do they meet?"},
    ]
    stream = model.stream(messages, max_tokens=16, temperature=0.0)
    text = "".join(stream)
    assert isinstance(stream, TextStream)
    assert text.strip()
    assert any(f"{N_CTX}-token context window" in note for note in stream.notes)


def _starter_json(model: LocalModel, candidate_first: bool) -> tuple[str, object]:
    model.load()
    llm = model._llm
    llm.candidate_first = candidate_first
    llm.reset()
    try:
        reply = llm.create_chat_completion(
            messages=[{"role": "user", "content": "One conversation starter about video calls."}],
            response_format={"type": "json_object", "schema": Starter.model_json_schema()},
            max_tokens=60,
            temperature=0.0,
        )
    finally:
        llm.candidate_first = True
    return reply["choices"][0]["message"]["content"], llm.last_grammar_step


def test_candidate_first_grammar_writes_exactly_what_the_full_grammar_check_writes(
    model: LocalModel,
) -> None:
    stock, _ = _starter_json(model, candidate_first=False)
    fast, step = _starter_json(model, candidate_first=True)
    assert fast == stock
    Starter.model_validate_json(fast)
    assert step is not None and step.quick > 0


def test_a_grammar_the_model_would_never_guess_is_still_obeyed(model: LocalModel) -> None:
    """No top candidate is allowed here, so every step falls back to the full vocabulary."""
    from llama_cpp import LlamaGrammar

    model.load()
    llm = model._llm
    llm.reset()
    grammar = LlamaGrammar.from_string('root ::= "zqx" "|" "vvk"', verbose=False)
    reply = llm.create_completion("Say hello.", grammar=grammar, max_tokens=12, temperature=0.0)
    assert reply["choices"][0]["text"] == "zqx|vvk"
    assert llm.last_grammar_step.full > 0
