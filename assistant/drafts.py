"""What the model is asked to return: small, bounded JSON shapes.

Every string has a maxLength and every list a maxItems (a small model can otherwise loop inside
one string until max_tokens). Over-long values are trimmed before validation rather than
rejected, so a verbose but sensible reply is not thrown away.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def _trim_text(limit: int):  # noqa: ANN202
    def trim(value: Any) -> Any:
        if isinstance(value, str):
            value = " ".join(value.split())
            return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"
        return value

    return trim


def _trim_list(limit: int):  # noqa: ANN202
    def trim(value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        return value[:limit] if isinstance(value, list) else value

    return trim


def Text(limit: int) -> Any:  # noqa: N802 (reads like a type)
    return Annotated[str, BeforeValidator(_trim_text(limit)), Field(max_length=limit)]


def TextList(limit: int, items: int) -> Any:  # noqa: N802
    return Annotated[list[Text(limit)], BeforeValidator(_trim_list(items)), Field(max_length=items)]


def _require_all(schema: dict[str, Any]) -> None:
    schema["required"] = list(schema.get("properties", {}))


# Every field is "required" in the JSON schema sent to the model, so llama.cpp's grammar makes
# it write each one (otherwise a small model may stop early and skip the rest), while
# validation keeps the defaults for a server that only follows the prompt. Property order is
# the order the model writes in: what matters most comes first.
REQUIRE_ALL = ConfigDict(json_schema_extra=_require_all)


class AgendaDraft(BaseModel):
    model_config = REQUIRE_ALL
    title: Text(90)
    details: TextList(320, 12) = []
    objectives: TextList(160, 4) = []
    starters: TextList(200, 4) = []
    prepare: TextList(160, 4) = []
    follow_up: TextList(160, 4) = []


StarterCategory = Literal["icebreaker", "skill", "perspective", "reflection", "business", "goal"]


class StarterDraftItem(BaseModel):
    """One starter as the model writes it; its category is chosen in code beforehand
    (`starters.category_plan`), so the model spends no tokens on it."""

    text: Text(220)
    why: Text(180) = ""


class StarterDraft(BaseModel):
    starters: Annotated[
        list[StarterDraftItem], BeforeValidator(_trim_list(12)), Field(max_length=12)
    ]


class ActionDraft(BaseModel):
    model_config = REQUIRE_ALL
    owner: Text(60)
    action: Text(220)
    due: Text(60) | None = None


Learner = Literal["senior", "junior"]


class LearningDraft(BaseModel):
    """One thing someone learned in the session, and who learned it (an enum, so llama.cpp's
    grammar lets the model write nothing else; code checks the side, see assistant.ledger)."""

    model_config = REQUIRE_ALL
    learning: Text(200)
    learner: Learner = "senior"


class FeedbackDraft(BaseModel):
    model_config = REQUIRE_ALL
    summary: Text(500)
    action_items: Annotated[
        list[ActionDraft], BeforeValidator(_trim_list(10)), Field(max_length=10)
    ] = []
    went_well: TextList(220, 5) = []
    learnings: Annotated[
        list[LearningDraft], BeforeValidator(_trim_list(8)), Field(max_length=8)
    ] = []
    challenges: TextList(220, 5) = []
    next_focus: Text(260) = ""

    @model_validator(mode="before")
    @classmethod
    def _two_lists(cls, data: Any) -> Any:
        """A reply in the older shape (senior_learned / junior_learned lists) still reads."""
        if isinstance(data, dict) and "learnings" not in data:
            learnings = []
            for key, learner in (("senior_learned", "senior"), ("junior_learned", "junior")):
                values = data.get(key) or []
                values = [values] if isinstance(values, str) else values
                learnings += [{"learning": v, "learner": learner} for v in values]
            if learnings:
                data = {**data, "learnings": learnings}
        return data
