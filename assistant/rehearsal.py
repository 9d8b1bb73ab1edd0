"""Rehearsal mode: practise a hard conversation with a persona the app defines.

The coach plays one persona from a fixed list (`PERSONAS`); each is grounded in the knowledge
base: its behaviour is the list of signs in one section of a challenges document, and its
debrief cites that document and its neighbours. The user practises; at the end `debrief` gives
short cited feedback on what worked and one thing to try next time.

The persona is the app's, never the user's: a practice line goes to the model inside the user
message, as a line of the conversation, never as a system message. A line that trips the
guard's rules, or that the scope decision would refuse as harmful, is set aside before the
model with a note saying so. `role_play` recognises, in the ordinary chat, a request that the
coach play a mentoring role, so the chat can point to this mode instead of refusing it as an
injection (a jailbreak dressed as role play is still refused).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant import scope
from assistant.citations import attribute, build_citations, clean_citations
from assistant.guard import (
    leaks_instructions,
    looks_like_instruction,
    persona_jailbreak,
    sanitize_untrusted,
    strip_foreign_script,
)
from assistant.index import KnowledgeIndex
from assistant.llm.base import ChatModel
from assistant.prompts import PromptLibrary
from assistant.retrieval import Passage
from assistant.schemas import Citation, RehearsalRequest, Turn
from assistant.text import split_sentences

REPLY_TOKENS = 120
DEBRIEF_TOKENS = 260
TRANSCRIPT_TURNS = 8  # the last lines the persona reads (the debrief reads all of the user's)
REPLY_SENTENCES = 4
DEBRIEF_PASSAGES = 3
BEHAVIOURS = 5


@dataclass(frozen=True)
class Persona:
    key: str
    label: str  # "A skeptical senior"
    you_are: str  # who the user practises as
    plays: str  # who the coach plays, for the prompt
    traits: str  # how they speak, when the knowledge base's section cannot be read
    opening: str  # the persona's first line: fixed, no model
    behaviours_from: tuple[str, str]  # (source, heading) whose list grounds the behaviour
    sources: tuple[str, ...]  # the documents the debrief cites
    focus: str  # what good practice looks like here, for the debrief's search


PERSONAS: dict[str, Persona] = {
    p.key: p
    for p in (
        Persona(
            key="skeptical-senior",
            label="A skeptical senior",
            you_are="the junior mentor",
            plays=(
                "a senior leader early in a reverse-mentoring pairing who doubts it is worth "
                "their time and is privately uneasy about learning from someone much younger"
            ),
            traits="polite but doubtful; asks what the business gets out of it; busy",
            opening=(
                "Honestly, I'm not sure what I'm meant to get out of this. I've run this "
                "division for twelve years without any of these apps. Why should I give it an "
                "hour every fortnight?"
            ),
            behaviours_from=(
                "challenges/resistance-from-seniors.md",
                "Signs that resistance is still winning",
            ),
            sources=(
                "challenges/resistance-from-seniors.md",
                "challenges/lack-of-open-mindedness.md",
                "challenges/fear-of-losing-authority.md",
            ),
            focus="responding to a senior mentee's doubt and resistance, showing the value",
        ),
        Persona(
            key="nervous-junior",
            label="A nervous junior mentor",
            you_are="the senior mentee",
            plays=(
                "a junior mentor in their first two years at work, nervous about mentoring a "
                "senior leader and about telling them anything critical"
            ),
            traits="hesitant; apologises; undersells what they know; waits for permission",
            opening=(
                "Thanks for making the time. I, um, put together a few things on AI tools, "
                "but you probably know most of this already, so stop me if it's too basic."
            ),
            behaviours_from=(
                "challenges/junior-mentor-nerves.md",
                "Why nerves are normal when you mentor someone senior",
            ),
            sources=(
                "challenges/junior-mentor-nerves.md",
                "sessions/receiving-feedback-as-a-senior.md",
                "sessions/psychological-safety.md",
            ),
            focus="a senior putting a nervous junior mentor at ease and inviting candid feedback",
        ),
        Persona(
            key="defensive-senior",
            label="A defensive senior",
            you_are="the junior mentor giving upward feedback",
            plays=(
                "a senior leader who becomes defensive when feedback or a new way of working "
                "seems to question their competence"
            ),
            traits="justifies; changes the subject; mentions their experience; short answers",
            opening=(
                "You said you had some thoughts on how my team meetings come across. Go on, "
                "then. Though I've been running those meetings for fifteen years."
            ),
            behaviours_from=(
                "challenges/handling-defensiveness.md",
                "Recognising defensiveness in a session",
            ),
            sources=(
                "challenges/handling-defensiveness.md",
                "sessions/giving-upward-feedback.md",
                "challenges/fear-of-losing-authority.md",
            ),
            focus="giving upward feedback to a defensive senior and lowering the temperature",
        ),
        Persona(
            key="busy-executive",
            label="A busy executive",
            you_are="the junior mentor",
            plays=(
                "a chief executive with a packed diary who arrives late, is distracted and "
                "wants the short version"
            ),
            traits="rushed; checks the time; wants one takeaway; may try to cut it short",
            opening=(
                "Sorry, I've only got fifteen minutes today, the board pack is due. What's the "
                "one thing I need to know?"
            ),
            behaviours_from=(
                "situations/mentoring-a-top-executive.md",
                "What changes when the mentee is at the very top",
            ),
            sources=(
                "situations/mentoring-a-top-executive.md",
                "challenges/cancelled-and-rescheduled-sessions.md",
                "challenges/junior-mentor-nerves.md",
            ),
            focus="running a short, high-stakes session with a time-poor executive candidly",
        ),
    )
}
PERSONA_KEYS = tuple(PERSONAS)

SET_ASIDE = (
    "(Rehearsal note: that line reads like an instruction to the assistant, not something "
    "you would say to {them}, so it was not passed on. Carry on in your own words.)"
)
NO_REPLY = "(No reply came back for that line. Try saying it another way.)"
NOTHING_TO_REVIEW = (
    "You ended before practising a line, so there is nothing to give feedback on yet. Start "
    "again and answer the opening in your own words."
)
QUOTED_DEBRIEF = (
    "The model gave no usable feedback, so here is what the guidance says for this conversation:"
)


@dataclass
class Reply:
    """The persona's next line, or why the practice line was not passed on."""

    text: str
    outcome: str  # "in_character" | "set_aside" | "crisis" | "no_reply"
    backend: str = "rules"
    model: str = "none"
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass
class Debrief:
    text: str
    citations: list[Citation]
    lines_practised: int
    backend: str = "rules"
    model: str = "none"
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "feedback": self.text,
            "lines_practised": self.lines_practised,
            "citations": [
                {"n": c.n, "id": c.id, "source": c.source, "title": c.title} for c in self.citations
            ],
            "backend": self.backend,
            "model": self.model,
            "seconds": self.seconds,
            "notes": self.notes,
        }


# --- the persona's knowledge -----------------------------------------------------------


def _chunks(index: KnowledgeIndex, sources: Sequence[str]) -> list[tuple[Passage, np.ndarray]]:
    got = index.collection.get(
        where={"source": {"$in": list(sources)}}, include=["documents", "metadatas", "embeddings"]
    )
    out = []
    for cid, text, meta, vector in zip(
        got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
    ):
        passage = Passage(
            id=cid,
            source=str(meta.get("source", "")),
            title=str(meta.get("title", "")),
            heading=str(meta.get("heading", "")),
            text=text,
            score=0.0,
        )
        out.append((passage, np.asarray(vector, dtype=np.float32)))
    return out


_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.+)$", re.MULTILINE)


def behaviours(index: KnowledgeIndex, persona: Persona) -> list[str]:
    """The signs listed in the persona's grounding section, as the persona's behaviour; the
    persona's own traits when the section cannot be read (an index built from other files)."""
    source, heading = persona.behaviours_from
    items: list[str] = []
    for passage, _ in _chunks(index, [source]):
        if passage.heading.strip().lower() == heading.lower():
            items += [" ".join(m.split()) for m in _LIST_ITEM.findall(passage.text)]
    items = [sanitize_untrusted(i.replace("**", "")).text for i in items if len(i.split()) >= 3]
    items = items[:BEHAVIOURS]
    return items or [persona.traits]


# --- one turn ---------------------------------------------------------------------------


def _transcript(persona: Persona, turns: Sequence[Turn]) -> str:
    lines = []
    for turn in list(turns)[-TRANSCRIPT_TURNS:]:
        who = "You" if turn.role == "assistant" else "Them"
        lines.append(f"{who}: {' '.join(turn.content.split())[:400]}")
    return "\n".join(lines)


def set_aside_reason(line: str, embed_one: scope.EmbedOne | None) -> str | None:
    """Why a practice line must not reach the model: the guard's rules, or the scope
    decision's refusal (harmful and off-topic). An off-topic line is fine: it is a
    conversation."""
    if looks_like_instruction(line):
        return "rules"
    decision = scope.decide(line, embed_one)
    return decision.layer if decision.verdict == "refuse" else None


def _tidy(text: str) -> str:
    text = strip_foreign_script(text).strip().strip('"').strip()
    text = re.sub(r"^\s*(\*\*)?[A-Z][\w .'-]{0,30}(\*\*)?\s*:\s*", "", text)  # "Senior: ..."
    text = re.sub(r"\s*\[[^\]]*\]", "", text)  # no citation marks or stage directions
    text = re.sub(r"\([^)]*\)", "", text).strip()  # "(sighs)"
    sentences = split_sentences(" ".join(text.split()))
    return " ".join(sentences[:REPLY_SENTENCES]).strip()


def reply(
    index: KnowledgeIndex, model: ChatModel, prompts: PromptLibrary, request: RehearsalRequest
) -> Reply:
    """The persona's answer to the user's latest practice line."""
    started = time.perf_counter()
    persona = PERSONAS[request.persona]
    # The word rule only: the crisis probe was trained on questions, and a conversational
    # practice line ("I hear you. What takes up most of your week?") scored 0.82 on it.
    if scope.crisis(request.line):
        from assistant.answers import CRISIS_REPLY

        return Reply(f"(Stepping out of the rehearsal.) {CRISIS_REPLY}", "crisis",
                     notes=["possible crisis"])  # fmt: skip
    why = set_aside_reason(request.line, index.embedder.embed_one)
    if why is not None:
        them = persona.label[0].lower() + persona.label[1:]
        return Reply(SET_ASIDE.format(them=them), "set_aside", notes=[f"set aside ({why})"])
    turns = request.turns or [Turn(role="assistant", content=persona.opening)]
    messages = prompts.get("rehearsal").render(
        plays=persona.plays,
        you_are=persona.you_are,
        behaviours="\n".join(f"- {b}" for b in behaviours(index, persona)),
        transcript=_transcript(persona, turns),
        line=sanitize_untrusted(request.line).text,
    )
    completion = model.complete(messages, max_tokens=REPLY_TOKENS, temperature=0.7)
    text = _tidy(completion.text)
    notes = list(completion.notes)
    if leaks_instructions(text):
        text, notes = "", [*notes, "The reply repeated internal instructions and was withheld."]
    seconds = round(time.perf_counter() - started, 2)
    if not text:
        return Reply(NO_REPLY, "no_reply", model.backend, model.model, seconds, notes)
    return Reply(text, "in_character", model.backend, model.model, seconds, notes)


# --- the debrief ------------------------------------------------------------------------


def _debrief_passages(
    index: KnowledgeIndex, persona: Persona, said: Sequence[str]
) -> list[Passage]:
    """The persona's documents' sections nearest to what the user practised."""
    chunks = _chunks(index, persona.sources)
    if not chunks:
        return []
    query = f"{persona.focus}. {' '.join(said)}"[:1500]
    q = index.embedder.embed_one(query)
    ranked = sorted(chunks, key=lambda pv: -float(pv[1] @ q))
    return [p for p, _ in ranked[:DEBRIEF_PASSAGES]]


def _quoted(passages: Sequence[Passage], said: Sequence[str]) -> str:
    from assistant.answers import quoted_answer

    return f"{QUOTED_DEBRIEF}\n\n{quoted_answer(' '.join(said), list(passages))}"


def debrief(
    index: KnowledgeIndex,
    model: ChatModel,
    prompts: PromptLibrary,
    persona_key: str,
    turns: Sequence[Turn],
) -> Debrief:
    """Short cited feedback on the user's practice lines (those set aside are left out)."""
    started = time.perf_counter()
    persona = PERSONAS[persona_key]
    said = [
        " ".join(t.content.split())
        for t in turns
        if t.role == "user" and not looks_like_instruction(t.content)
    ]
    if not said:
        return Debrief(NOTHING_TO_REVIEW, [], 0)
    passages = _debrief_passages(index, persona, said)
    if not passages:
        return Debrief(
            "The guidance this feedback cites is not in the knowledge index. Rebuild it "
            "with `coach index` and try again.",
            [],
            len(said),
        )
    listing = "\n".join(
        f"[{n}] ({p.title} › {p.heading}) {sanitize_untrusted(p.text[:700]).text}"
        for n, p in enumerate(passages, 1)
    )
    mine = "\n".join(f"- {sanitize_untrusted(s[:400]).text}" for s in said[-12:])
    messages = prompts.get("rehearsal-feedback").render(
        you_are=persona.you_are,
        plays=persona.plays,
        lines=mine,
        passages=listing,
    )
    completion = model.complete(messages, max_tokens=DEBRIEF_TOKENS, temperature=0.2)
    text = clean_citations(strip_foreign_script(completion.text), len(passages))
    notes = list(completion.notes)
    usable = not leaks_instructions(text) and not scope.only_markers(text)
    if usable and not build_citations(text, passages):  # words, no [n]: cite by similarity
        text = attribute(text, passages, index.embedder)
    if not usable or not build_citations(text, passages):
        text = _quoted(passages, said)
        notes.append("The model's feedback was unusable (no words or no sources), so the "
                     "guidance is quoted instead.")  # fmt: skip
    return Debrief(
        text=text,
        citations=build_citations(text, passages),
        lines_practised=len(said),
        backend=model.backend,
        model=model.model,
        seconds=round(time.perf_counter() - started, 2),
        notes=notes,
    )


# --- pointing the chat here -------------------------------------------------------------

# The user asks the coach itself to take a part (not how to run role play in a session).
_LEAD = (
    r"(please\s+|pls\s+|plz\s+|ok,?\s+|okay,?\s+|so\s+|now\s+|right,?\s+|alright,?\s+|"
    r"go\s+on,?\s+)?"
)
_PART = (
    r"(pretend|act\s+(as|like)|play\s+(a|an|the|my|her|him|them|devil'?s\s+advocate)|"
    r"be\s+(my|a|an|the|her|him|them)|role-?\s?play\s+(as|a|an|the|my)|simulate|"
    r"take\s+(on\s+)?the\s+(role|part))\b"
)
_YOURE = r"you'?re|you\s+are"
_ASKED_TO_PLAY = re.compile(
    rf"\b(can|could|would|will)\s+you\s+(please\s+)?{_PART}"
    r"|\b(can|could|would|will)\s+you\s+(mind|be\s+up\s+for|be\s+willing\s+to|like\s+to)\s+"
    r"(playing|being|acting|pretending|play|be|act|pretend)\b"
    rf"|(^|[.!?:;]\s*){_LEAD}{_PART}"
    rf"|\b(pretend|imagine)\s+(that\s+)?(you|{_YOURE})\b"
    r"|\b(let'?s|can\s+we|shall\s+we|could\s+we)\s+(do\s+(a|some)\s+)?(role-?\s?play|"
    r"practi[sc]e|rehearse|pretend|do\s+a\s+(mock|dry\s+run)|have\s+a\s+go)\b"
    r"|\b(practi[sc]e|rehearse|try|test)\b[^.?!]{0,60}\b(with|on)\s+you\b"
    rf"|(^|[,;:.!?]\s*|\band\s+|\bso\s+){_LEAD}(you\s+(be|play|act\s+as|are\s+going\s+to\s+be|"
    rf"'?ll\s+be|will\s+be|are\s+playing)|{_YOURE})\s+(my|the|a|an|her|him)\b"
    r"|\b(you\s+(be|play)|where\s+you'?re|you'?re)\s+(?-i:[A-Z][a-z]+)\b"
    r"|\bwhere\s+(you'?re|you\s+are|you\s+play)\s+(my|the|a|an)\b"
    rf"|(\byou\s+|(^|[.!?:;]\s*){_LEAD})(reply|respond|answer|react|speak|talk)\s+(the\s+way|as|"
    r"like)\s+(my|the|a|an)\b"
    r"|\bstep\s+into\s+(the|his|her|their)\s+shoes\b|\btake\s+on\s+(his|her|their)\s+role\b"
    r"|\b(mock|practice|practise|pretend)\s+(session|conversation|meeting|chat|run)\b"
    r"[^.?!]{0,40}\b(you|with\s+me)\b",
    re.IGNORECASE,
)
# Texting spellings, read as words first: "u be", "ur my", "your the".
_TEXTING = (
    (re.compile(r"\bu\b", re.I), "you"),
    (re.compile(r"\b(ur|your|u\s*r)\s+(?=(my|the|a|an)\b)", re.I), "you're "),
    (re.compile(r"\bpretend\s+ur\b", re.I), "pretend you're"),
)


def _as_words(text: str) -> str:
    for pattern, words in _TEXTING:
        text = pattern.sub(words, text)
    return text


_MENTORING_ROLE = re.compile(
    r"\b(mentee|mentor|senior|junior|boss|manager|executive|exec|ceo|cfo|coo|vp|director|"
    r"leader|colleague|stakeholder|sponsor|partner|chair|head\s+of|grad(uate)?|intern|"
    r"team\s+member|skeptic|sceptic|line\s+manager|supervisor|board\s+member)s?\b",
    re.IGNORECASE,
)
# Role-play wording the guard reads as a role hijack; removed before the guard looks again.
_ROLE_PLAY_WORDS = re.compile(
    r"\b(pretend|role-?\s?play|roleplay)\s+(as|to\s+be|that|you('re|\s+are)?)\b|\blet'?s\s+"
    r"role-?\s?play\b|\byou\s+(are|will)\s+now\b|\bstay\s+in\s+character\b|\bact\s+as\s+(if|"
    r"though)\s+you\b",
    re.IGNORECASE,
)
# A role-play frame around rule-breaking or a harmful act is not a rehearsal: removing the
# assistant's rules or reading its instructions; deceiving, threatening, discriminating,
# spying on or exposing real people.
_JAILBREAK_FRAMES = re.compile(
    r"\b(dan|jailbr\w*|unfiltered|unrestricted|uncensored|unchained|unethical|evil|rogue|"
    r"grandm\w*|granny|(i'?m|as)\s+(your|the)\s+developer|developer\s+(mode|message)|override|"
    r"content\s+policy|configuration|(your|its|all)\s+filters|(switch|turn)\s+off|disable|"
    r"no\s+(rules|limits|restrictions|filters|guidelines|morals|policy)|(zero|without\s+(any\s+)?)"
    r"\s*(rules|limits|restrictions|filters|guidelines|morals)|rules\s+(are|is)\s+suspended|"
    r"system\s+prompt|instructions|guardrails|anything\s+now|hidden|"
    r"fake|forge\w*|falsif\w*|fabricat\w*|made-up|made\s+up|lie\s+to|deceiv\w*|manipulat\w*|"
    r"impersonat\w*|deepfake|threat\w*|blackmail\w*|harass\w*|stalk\w*|"
    r"slurs?|racis\w*|sexis\w*|homophob\w*|phish\w*|hack(er|ers|ing|ed)|malware|password\w*|"
    r"leak\w*|"
    r"dig\s+up\s+dirt|home\s+address\w*|dms|private\s+messages|"
    r"get\s+\w+\s+(\w+\s+)?fired|sabotag\w*|revenge|cheat(ing)?\s+(on|the|my|in)|steal\w*|"
    r"never\s+refuses?|rules\s+are\s+for|(no|zero|without)\s+ethics|answers\s+anything)\b",
    re.IGNORECASE,
)
# A rehearsal is spoken lines; a role-play frame that asks for a document in someone's name, or
# for records about a person, wants something else (an email "in his voice" to finance, a made
# up complaint, what a colleague earns).
_NOT_A_CONVERSATION = re.compile(
    r"\b(write|draft|compose|generate|create|make\s+up|put\s+together|type\s+up|send)\b[^.?!]{0,50}"
    r"\b(e-?mails?|messages?|memos?|posts?|letters?|jokes?|complaints?|reviews?|confessions?|"
    r"announcements?|statements?|accounts?|profiles?)\b"
    r"|\bin\s+(his|her|their|your)\s+(own\s+)?(voice|name)\b"
    r"|\b(what|how\s+much)\b[^.?!]{0,40}\b(salary|salaries|earns?|paid|performance\s+file|"
    r"personnel\s+file|records?|inbox)\b"
    r"|\bconfess\w*|\bfiddl\w*|\bwire\s+(money|funds|£|\$|€)|\binto\s+(his|her|their|a\s+"
    r"colleague'?s?)\s+(account|inbox|email)\b",
    re.IGNORECASE,
)
_PERSONA_HINTS = (
    (
        "busy-executive",
        re.compile(
            r"\b(busy|ceo|cfo|coo|exec\w*|board|short\s+on\s+time|"
            r"no\s+time|diary|rushed)\b",
            re.I,
        ),
    ),
    (
        "nervous-junior",
        re.compile(
            r"\b(nervous|anxious|shy|junior|grad\w*|intern|new\s+mentor|"
            r"young\s+mentor|reverse\s+mentor|quiet)\b",
            re.I,
        ),
    ),
    (
        "defensive-senior",
        re.compile(
            r"\b(defensive|upward\s+feedback|feedback|touchy|"
            r"takes?\s+it\s+badly|prickly)\b",
            re.I,
        ),
    ),
    (
        "skeptical-senior",
        re.compile(
            r"\b(skeptic\w*|sceptic\w*|doubt\w*|resist\w*|push\s*back|"
            r"not\s+convinced|waste\s+of\s+time|senior|mentee|boss|"
            r"director|vp|manager)\b",
            re.I,
        ),
    ),
)


def role_play(question: str, embed_one: scope.EmbedOne | None = None) -> tuple[str, str] | None:
    """What to do with a question that asks the coach to play a mentoring role: ("rehearsal",
    persona to suggest), or ("refuse", reason) when the role play frames rule-breaking or a
    harmful act (no rules, the system prompt, a grandmother, an email in someone's name, made-up
    complaints...) or the guard still flags it once the role-play wording is taken out, or the
    harm probe is sure. None when the question does not ask the coach to play a part."""
    question = _as_words(question)
    if not (_ASKED_TO_PLAY.search(question) and _MENTORING_ROLE.search(question)):
        return None
    if (
        _JAILBREAK_FRAMES.search(question)
        or _NOT_A_CONVERSATION.search(question)
        or persona_jailbreak(question)
    ):
        return ("refuse", "frame")
    if looks_like_instruction(_ROLE_PLAY_WORDS.sub(" ", question)):
        return ("refuse", "rules")
    if embed_one is not None:
        probes = scope.default_probes()
        if probes is not None:
            vector = embed_one(scope.words_only(question))[None, :]
            if float(probes.harm.prob(vector)[0]) >= probes.harm.threshold:
                return ("refuse", "harm")
    persona = next((key for key, hint in _PERSONA_HINTS if hint.search(question)), None)
    return ("rehearsal", persona or PERSONA_KEYS[0])


def pointer(persona_key: str) -> str:
    """The chat's reply to a rehearsal request: where the mode is, and how to start it."""
    persona = PERSONAS[persona_key]
    others = ", ".join(p.label.lower() for p in PERSONAS.values() if p.key != persona_key)
    return (
        "Let's practise that in the rehearsal mode rather than in this chat. On the Coach page "
        f"choose **Rehearse** and pick “{persona.label}” (you play {persona.you_are}), or run "
        f"`coach rehearse --as {persona.key}`. The coach plays the part, you practise, and "
        f"when you end it you get short feedback with sources. Other personas: {others}. "
        "(The coach does not take on roles typed into the chat.)"
    )
