"""What the model is asked to return: small, bounded JSON shapes.

Every string has a maxLength and every list a maxItems (a small model can otherwise loop inside
one string until max_tokens). Over-long values are trimmed before validation rather than
rejected, so a verbose but sensible reply is not thrown away.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field


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
    return Annotated[
        list[Text(limit)], BeforeValidator(_trim_list(items)), Field(max_length=items)
    ]


class AgendaDraft(BaseModel):
    title: Text(90)
    objectives: TextList(160, 4) = []
    details: TextList(320, 12) = []
    starters: TextList(200, 4) = []
    prepare: TextList(160, 4) = []
    follow_up: TextList(160, 4) = []


StarterCategory = Literal["icebreaker", "skill", "perspective", "reflection", "business", "goal"]


class StarterDraftItem(BaseModel):
    text: Text(220)
    category: StarterCategory = "perspective"
    why: Text(180) = ""


class StarterDraft(BaseModel):
    starters: Annotated[
        list[StarterDraftItem], BeforeValidator(_trim_list(12)), Field(max_length=12)
    ]


class ActionDraft(BaseModel):
    owner: Text(60)
    action: Text(220)
    due: Text(60) | None = None


class FeedbackDraft(BaseModel):
    summary: Text(700)
    went_well: TextList(220, 6) = []
    senior_learned: TextList(220, 6) = []
    junior_learned: TextList(220, 6) = []
    challenges: TextList(220, 6) = []
    action_items: Annotated[
        list[ActionDraft], BeforeValidator(_trim_list(10)), Field(max_length=10)
    ] = []
    next_focus: Text(260) = ""
