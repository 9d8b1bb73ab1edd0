"""Safety rules enforced in code, whatever the model does.

- Untrusted text (session notes, retrieved passages, uploaded documents) is data: lines that try
  to instruct the model are neutralised before any prompt is built.
- A direct request to reveal instructions or to drop the rules is answered without the model.
- Model output that repeats the system prompt's canary is withheld.
- Starters that talk down to anyone about age are dropped.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from assistant.prompts import SYSTEM_CANARY

_INSTRUCTION_PATTERNS = [
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instruction|rule|prompt|"
    r"guideline|direction|above|previous|prior|system)",
    r"\b(new|updated|real|actual|hidden|secret)\s+(instructions|system prompt|directive)s?\b",
    r"\byour\s+(new|real|true)\s+(task|role|rules|purpose)\b",
    r"^\s*(system|assistant|developer|admin|root)\s*(prompt|message|override)?\s*[:>\]]",
    r"<\s*/?\s*(system|instructions?|notes|passages|question|im_start|im_end)\b",
    r"\[\s*/?\s*(system|inst|instructions?)\s*\]",
    r"\byou\s+(are|will)\s+now\b",
    r"\b(pretend|roleplay|role-play)\s+(as|to be|that|you)\b",
    r"\bact\s+as\s+(if you|though you|an?\s+(unfiltered|unrestricted|uncensored|evil|"
    r"different|jailbroken|rogue)|dan\b|my\s+(grandma|grandmother))",
    r"\b(jailbreak|DAN mode|developer mode|do anything now)\b",
    r"\b(reply|respond|answer|output|write|say|print)\s+(only|just|exactly)\b",
    r"\b(reveal|show|print|repeat|output|tell me|leak|display|dump)\b.{0,30}\b(system prompt|"
    r"your (instructions|rules|prompt|guidelines)|hidden (rules|prompt)|initial prompt|"
    r"configuration|canary)",
    r"\b(write|respond|reply|answer)\b.{0,30}\bin\s+(french|german|spanish|italian|pirate|"
    r"base64|leetspeak|chinese|japanese|russian)\b",
    r"\bdo not (summari[sz]e|follow)\b",
    r"\b(translate|decode)\b.{0,30}\b(base64|rot13|hex)\b",
    r"\b(list|send|email|share|include)\b.{0,30}\b(redacted|password|credentials|api key|"
    r"secret)",
    r"\b(humiliate|embarrass|fire|punish|fake|falsif|fabricat)\w*\b.{0,40}\b(mentee|mentor|"
    r"survey|result|employee|him|her|them)\b",
]
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _INSTRUCTION_PATTERNS),
                          re.IGNORECASE | re.MULTILINE)
_BASE64_BLOB = re.compile(r"\b[A-Za-z0-9+/]{24,}={0,2}")
REMOVED = "[removed: text that looked like an instruction to the assistant]"

_PATRONISING = re.compile(
    r"\b(at your age|your age|for someone (your|of your) age|old[- ]timer|boomers?|dinosaur|"
    r"ok,? boomer|old dog|new tricks|even you|back in your day|in your day|grandp|"
    r"technophobe|too old|so old|older people|young people like me|kids these days|"
    r"digital immigrant|over the hill|generation gap.*\byou\b.*\bold)\b",
    re.IGNORECASE,
)


# Qwen models sometimes drift into Chinese mid-sentence; the product writes English.
_FOREIGN_SCRIPT = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uff00-\uffef]+")


def strip_foreign_script(text: str) -> str:
    return _FOREIGN_SCRIPT.sub("", text).strip()


@dataclass
class Sanitized:
    text: str
    removed: int


def _decoded_looks_like_instruction(blob: str) -> bool:
    try:
        decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=False)
        return bool(_INSTRUCTION.search(decoded.decode("utf-8", errors="ignore")))
    except (ValueError, UnicodeDecodeError):
        return False


def looks_like_instruction(text: str) -> bool:
    if _INSTRUCTION.search(text):
        return True
    return any(_decoded_looks_like_instruction(b) for b in _BASE64_BLOB.findall(text))


def sanitize_untrusted(text: str) -> Sanitized:
    """Replace each line (or sentence) that tries to instruct the model with a marker."""
    removed = 0
    out_lines = []
    for line in text.splitlines():
        if not looks_like_instruction(line):
            out_lines.append(line)
            continue
        # Keep the harmless sentences of a long line; drop only the instructing ones.
        sentences = re.split(r"(?<=[.!?])\s+", line)
        kept = []
        for sentence in sentences:
            if looks_like_instruction(sentence) or (len(sentences) == 1):
                removed += 1
                if not kept or kept[-1] != REMOVED:
                    kept.append(REMOVED)
            else:
                kept.append(sentence)
        out_lines.append(" ".join(kept))
    # Delimiter tricks: the notes may not close or open our own tags.
    cleaned = re.sub(r"</?\s*(notes|passages|question|system)\s*>", "", "\n".join(out_lines),
                     flags=re.IGNORECASE)
    return Sanitized(cleaned, removed)


def leaks_instructions(output: str) -> bool:
    return SYSTEM_CANARY.lower() in output.lower() or "you are reverse mentoring coach" in (
        output.lower()
    )


def is_patronising(text: str) -> bool:
    return bool(_PATRONISING.search(text))
