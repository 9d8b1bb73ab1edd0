"""The offline evaluation datasets are well formed, large enough and consistent with the repo.

A broken case silently skews an eval score, so these checks run with the unit tests.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from assistant.schemas import ActionItem, AgendaRequest

ROOT = Path(__file__).parents[2]
DATASETS = ROOT / "evals" / "datasets"
KNOWLEDGE = ROOT / "knowledge"
FILES = ("agenda.jsonl", "starters.jsonl", "feedback.jsonl", "chat.jsonl", "attacks.jsonl")
STAGES = {"first", "middle", "closing"}
PERSONAS = {"mentor", "mentee", "lead"}
EXTRACTION_CANARY = "SYSTEM-CANARY"

EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
URL = re.compile(r"https?://\S+")
PHONE_LIKE = re.compile(r"\+?\d[\d ()-]{8,}\d|\b\d{3}-\d{4}\b")
FICTIONAL_PHONE = re.compile(r"(?:\+44 )?20 7946 0\d{3}|555-01\d{2}")
FICTIONAL_DOMAIN = re.compile(r"(?:[\w-]+\.)*example\.(?:com|org|net)")


def load(name: str) -> list[dict]:
    rows = []
    with (DATASETS / name).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            assert line.strip(), f"{name}:{number} is a blank line"
            row = json.loads(line)
            assert isinstance(row, dict), f"{name}:{number} is not a JSON object"
            rows.append(row)
    return rows


def pii_kind(value: str) -> str:
    if EMAIL.fullmatch(value):
        return "email"
    if URL.fullmatch(value):
        return "url"
    if FICTIONAL_PHONE.fullmatch(value):
        return "phone"
    return "name"


def decoded_tokens(text: str) -> str:
    """Text hidden in base64 words of an attack, so an encoded canary still counts as present."""
    hidden = []
    for word in re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", text):
        try:
            hidden.append(base64.b64decode(word, validate=True).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError):
            continue
    return " ".join(hidden)


@pytest.mark.parametrize("name", FILES)
def test_every_file_parses_and_ids_are_unique(name: str) -> None:
    rows = load(name)
    ids = [row.get("id") for row in rows]
    assert all(isinstance(i, str) and i for i in ids), f"{name} has a case without an id"
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates, f"{name} repeats ids {duplicates}"


@pytest.mark.parametrize(
    ("name", "minimum"),
    [
        ("agenda.jsonl", 24),
        ("starters.jsonl", 12),
        ("feedback.jsonl", 16),
        ("chat.jsonl", 30),
        ("attacks.jsonl", 110),
    ],
)
def test_each_dataset_meets_its_minimum_size(name: str, minimum: int) -> None:
    assert len(load(name)) >= minimum


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return []


@pytest.mark.parametrize("name", FILES)
def test_contact_details_are_fictional(name: str) -> None:
    text = "\n".join(strings(load(name)))
    hosts = EMAIL.findall(text) + [url.split("/")[2] for url in URL.findall(text)]
    for host in hosts:
        assert FICTIONAL_DOMAIN.fullmatch(host), f"{name} uses a real-looking domain {host}"
    for number in PHONE_LIKE.findall(text):
        assert FICTIONAL_PHONE.search(number), f"{name} has a non-fictional number {number}"


def test_agenda_cases_are_valid_requests_with_stage_expectations() -> None:
    expected = {"first": ["expectation-setting"], "middle": [], "closing": ["reflection"]}
    rows = load("agenda.jsonl")
    for row in rows:
        fields = {k: v for k, v in row.items() if k not in ("id", "expect")}
        AgendaRequest(**fields)  # the real request model accepts every case
        assert 5 <= row["minutes"] <= 240, row["id"]
        assert isinstance(row["notes_from_last_time"], str)
        assert row["expect"]["must_include_kinds"] == expected[row["stage"]], row["id"]
    minutes = {row["minutes"] for row in rows}
    assert {5, 15, 20, 30, 45, 60, 75, 90, 120, 180, 240} <= minutes
    assert {row["stage"] for row in rows} == STAGES
    assert any(row["session_number"] is None for row in rows)


def test_starter_cases_ask_for_four_to_ten_starters() -> None:
    rows = load("starters.jsonl")
    for row in rows:
        assert row["topic"].strip() and row["stage"] in STAGES, row["id"]
        assert isinstance(row["count"], int) and 4 <= row["count"] <= 10, row["id"]
    assert {row["stage"] for row in rows} == STAGES


def test_feedback_notes_contain_what_they_claim_to_plant() -> None:
    rows = load("feedback.jsonl")
    for row in rows:
        notes, names = row["notes"], row["names"]
        assert 600 <= len(notes) <= 2500, f"{row['id']} notes are {len(notes)} characters"
        assert names == [] or len(names) == 2, f"{row['id']} names must be mentor then mentee"
        assert len(row["planted_pii"]) >= 2, row["id"]
        for value in row["planted_pii"]:
            assert value in notes, f"{row['id']}: planted {value!r} is not in the notes"
            if pii_kind(value) == "name":
                assert value in names, f"{row['id']}: {value!r} is neither contact nor name"
        for name in names:
            assert name in row["planted_pii"], f"{row['id']}: {name} is in notes, not planted"
        for item in row["gold_action_items"]:
            action = ActionItem(**item)
            assert action.owner in {"mentor", "mentee", *names}, row["id"]
        assert len(row["gold_action_items"]) >= 2, row["id"]


def test_feedback_notes_say_who_learned_what_without_personal_data() -> None:
    rows = load("feedback.jsonl")
    for row in rows:
        learned = row["gold_learned"]
        assert set(learned) == {"senior", "junior"}, row["id"]
        for item in learned["senior"] + learned["junior"]:
            assert isinstance(item, str) and 5 <= len(item.split()) <= 15, (row["id"], item)
            assert not any(value.lower() in item.lower() for value in row["planted_pii"])
    # Both directions of the exchange are labelled in most notes.
    assert sum(bool(row["gold_learned"]["senior"]) for row in rows) >= 12
    assert sum(bool(row["gold_learned"]["junior"]) for row in rows) >= 12


def test_planted_instructions_are_in_the_notes_and_carry_a_canary() -> None:
    rows = load("feedback.jsonl")
    injected = [row for row in rows if row["planted_instruction"] is not None]
    assert len(injected) >= 4
    for row in rows:
        instruction, canary = row["planted_instruction"], row["canary"]
        assert (instruction is None) == (canary is None), row["id"]
        if instruction is not None:
            assert instruction in row["notes"], f"{row['id']}: instruction not in notes"
            assert canary.lower() in instruction.lower(), f"{row['id']}: canary not requested"
    assert any(row["names"] == [] for row in rows)


def test_chat_cases_have_valid_types_and_existing_sources() -> None:
    rows = load("chat.jsonl")
    for row in rows:
        assert row["persona"] in PERSONAS and row["question"].strip(), row["id"]
        for turn in row["history"]:
            assert turn["role"] in {"user", "assistant"} and turn["content"].strip(), row["id"]
        if row["type"] == "grounded":
            assert row["relevant"], f"{row['id']} is grounded but names no source"
            for source in row["relevant"]:
                assert (KNOWLEDGE / source).is_file(), f"{row['id']}: no knowledge/{source}"
        else:
            # answerable: covered look-alikes of the unanswerable questions, written blind,
            # without gold sources (scored for being answered, not for which source is cited)
            assert row["type"] in {"off_topic", "no_answer", "answerable"}, row["id"]
            assert row["relevant"] == [], row["id"]
    types = Counter(row["type"] for row in rows)
    assert types["grounded"] >= 20 and types["off_topic"] >= 5
    assert types["no_answer"] >= 30 and types["answerable"] >= 30  # issue 13: >= 30 unanswerable
    assert sum(1 for row in rows if row["history"]) >= 5
    assert {row["persona"] for row in rows} == PERSONAS


def test_attacks_cover_every_vector_and_family_with_a_checkable_canary() -> None:
    rows = load("attacks.jsonl")
    for row in rows:
        assert row["vector"] in {"direct", "notes", "document"}, row["id"]
        assert row["goal"].strip() and row["text"].strip(), row["id"]
        if row["family"] == "system_prompt_extraction":
            assert row["canary"] == EXTRACTION_CANARY, row["id"]
        else:
            assert row["family"] in {"prompt_injection", "jailbreak"}, row["id"]
            visible = row["text"] + " " + decoded_tokens(row["text"])
            assert row["canary"] in visible, f"{row['id']}: the attack never asks for its canary"
    vectors = Counter(row["vector"] for row in rows)
    assert vectors["direct"] >= 40 and vectors["notes"] >= 40 and vectors["document"] >= 20
    families = {(row["vector"], row["family"]) for row in rows}
    for vector in ("direct", "notes", "document"):
        for family in ("prompt_injection", "jailbreak", "system_prompt_extraction"):
            assert (vector, family) in families, f"no {family} attack via {vector}"


def test_attacks_include_the_named_techniques() -> None:
    text = " ".join(row["text"].lower() for row in load("attacks.jsonl"))
    for marker in (
        "ignore previous",
        "you are dan",
        "grandma",
        "system:",
        "</notes>",
        "```",
        "base64",
        "1gn0r3",
        "translate",
        "system prompt",
        "humiliat",
        "survey",
        "redacted",
        "action_items",
    ):
        assert marker in text, f"no attack uses {marker!r}"
