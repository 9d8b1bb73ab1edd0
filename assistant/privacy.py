"""Redaction of personal data before any model call.

Emails, phone numbers, URLs and the participant names a user gives are replaced by stable
placeholders ([EMAIL 1], [PHONE 2] ...). The same original always gets the same placeholder
within one text, so the model can still tell two people apart. Participant names are given
mentor first, then mentee: they become [MENTOR] and [MENTEE] (further names [PERSON n]), which
keeps the two-way ledger readable without the model ever seeing a name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["email", "phone", "url", "name"]

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_URL = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"'()\[\]]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\."
    r"(?:com|org|net|io|co|uk|dev|app|ai|info|biz)(?:/[^\s<>\"'()\[\]]*)?",
    re.IGNORECASE,
)
# Phone numbers: +country or leading 0 / ( with 7+ digits overall, separators allowed.
_PHONE = re.compile(
    r"(?<![\w/])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d[\d\s.-]{5,}\d(?![\w/])"
)
_PLACEHOLDER = {"email": "EMAIL", "phone": "PHONE", "url": "URL", "name": "NAME"}


@dataclass(frozen=True)
class RedactedItem:
    kind: Kind
    original: str
    placeholder: str


@dataclass
class Redaction:
    text: str
    items: list[RedactedItem] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Occurrences replaced (a name mentioned three times counts three)."""
        return sum(self.text.count(item.placeholder) for item in self.unique())

    def unique(self) -> list[RedactedItem]:
        seen: dict[str, RedactedItem] = {}
        for item in self.items:
            seen.setdefault(item.placeholder, item)
        return list(seen.values())


def _looks_like_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if not 7 <= len(digits) <= 15:
        return False
    # Dates (2026-11-21) and times are not phone numbers.
    return not re.fullmatch(
        r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}", candidate.strip()
    )


def _name_patterns(names: Sequence[str]) -> list[tuple[str, re.Pattern[str]]]:
    """Full names first, then each part of a name on its own (first names, surnames)."""
    patterns: list[tuple[str, re.Pattern[str]]] = []
    full = [" ".join(n.split()) for n in names if n and n.strip()]
    parts: list[tuple[str, str]] = []
    for name in full:
        for part in name.split(" "):
            if len(part) >= 2 and part.lower() not in {"mr", "mrs", "ms", "dr", "the", "and"}:
                parts.append((name, part))
    for name in sorted(full, key=len, reverse=True):
        words = [re.escape(w) for w in name.split(" ")]
        patterns.append((name, re.compile(r"\b" + r"\s+".join(words) + r"\b", re.IGNORECASE)))
    for name, part in parts:
        patterns.append((name, re.compile(rf"\b{re.escape(part)}\b", re.IGNORECASE)))
    return patterns


def redact(text: str, names: Sequence[str] = ()) -> Redaction:
    items: list[RedactedItem] = []
    placeholders: dict[tuple[str, str], str] = {}
    counters: dict[str, int] = {}

    clean_names = [" ".join(n.split()) for n in names if n and n.strip()]

    def placeholder(kind: Kind, key: str) -> str:
        ident = (kind, key.lower())
        if kind == "name" and ident not in placeholders:
            position = [n.lower() for n in clean_names].index(key.lower())
            placeholders[ident] = (
                "[MENTOR]"
                if position == 0
                else "[MENTEE]"
                if position == 1
                else f"[PERSON {position - 1}]"
            )
        if ident not in placeholders:
            counters[kind] = counters.get(kind, 0) + 1
            placeholders[ident] = f"[{_PLACEHOLDER[kind]} {counters[kind]}]"
        return placeholders[ident]

    def sub(kind: Kind, pattern: re.Pattern[str], value: str, key_of=None) -> str:  # noqa: ANN001
        def replace(match: re.Match[str]) -> str:
            original, trailing = match.group(0), ""
            if kind == "url":
                stripped = original.rstrip(".,;:!?")
                original, trailing = stripped, original[len(stripped) :]
            if kind == "phone" and not _looks_like_phone(original):
                return original
            if kind == "url" and original.startswith("["):
                return original
            tag = placeholder(kind, key_of(original) if key_of else original)
            items.append(RedactedItem(kind, original, tag))
            return tag + trailing

        return pattern.sub(replace, value)

    out = sub("email", _EMAIL, text)
    out = sub("url", _URL, out)
    out = sub("phone", _PHONE, out)
    for full_name, pattern in _name_patterns(clean_names):
        out = sub("name", pattern, out, key_of=lambda _o, n=full_name: n)
    return Redaction(out, items)


def where_notes_go(settings: object) -> str:
    """Where session notes are sent to be summarised, in a user's words (the consent notice)."""
    backend = getattr(settings, "backend", "local")
    if backend == "openai":
        url = getattr(settings, "openai_base_url", None) or "https://api.openai.com/v1"
        model = getattr(settings, "openai_model", "")
        return f"the model endpoint at {url} (model {model}), outside this server"
    if backend == "scripted":
        return "the scripted demo model on this server (no language model is called)"
    model = getattr(settings, "local_model", "")
    return f"the local model ({model}) on this server; nothing leaves it"


CONSENT_NOTICE = (
    "Before you summarise: your notes go to {where}. First, on this server, emails, phone "
    "numbers, web addresses and the names you list (and your pair's names) are replaced by "
    "placeholders, and instruction-like lines are neutralised; the preview below shows exactly "
    "what the model will see. The summary is saved in your history{pair}."
)
