"""The scope decision, taken before any model call, and the checks on what comes back.

`decide` says whether a question is one the coach should answer, redirect (off-topic) or refuse
(a harmful request or an attack on the assistant). Two layers:
1. the guard's rules (`guard.instruction_strength`): a hijack attempt is refused at once; a
   question flagged only by topic words ("pretend to be a detective", "jailbreak a Kindle",
   "developer mode") goes on to the probes, and is refused when the harm probe is sure;
2. two calibrated logistic probes over the MiniLM sentence embedding the retriever already uses:
   `harm` (harmful requests, jailbreaks and injections vs benign text) and `domain` (questions
   about reverse mentoring vs everything else). Their weights, Platt calibration and thresholds
   are trained and chosen by `benchmarks/scope.py --save` (thresholds on a validation split,
   approaches compared on whole corpora held out) and stored in assistant/data/scope/.

Whether the knowledge base answers a question at all: `NearestQuestions` (is it closest to
questions for payroll, a lawyer, HR's formal process, a doctor...?) for any question not
refused, and `uncovered` for an in-domain one (is the scope document, "what the coach does not
cover", the best match?). Either way the coach declines and names who to ask.
`unusable_reply` is the output check applied to every model reply.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from assistant.guard import assigns_persona, instruction_strength

Outcome = Literal["answered", "declined", "redirected", "refused", "rehearsal"]
Verdict = Literal["answer", "redirect", "refuse"]

WEIGHTS = Path(__file__).parent / "data" / "scope" / "scope-probes.npz"
SCOPE_SOURCE = "scope/what-the-coach-does-not-cover.md"
# The scope document counts as "the best match" when it is within this cosine of the best
# other passage: 0.0, it must be the best. Not tuned; benchmarks/scope.py reports the rule on
# its own (on the blind heldout5: 17.5% of unanswerable questions declined, 97.5% of
# answerable ones answered; the nearest questions do the rest).
SCOPE_MARGIN = 0.0

# An off-topic question is declined with who to ask (rather than redirected) only when the harm
# probe scores it under this. Without it, 16 attack and off-task corpus texts in the external
# suite went from a redirect to a referral; 9 of them score >= 0.5. Of the written questions
# for someone else that the domain probe calls off-topic, 9 in 10 score under 0.4.
REFERRAL_HARM_BELOW = 0.5

Embed = Callable[[Sequence[str]], np.ndarray]
EmbedOne = Callable[[str], np.ndarray]


@dataclass(frozen=True)
class Probe:
    """A logistic probe with Platt calibration: p = sigmoid(a * (x·w + b) + c)."""

    w: np.ndarray
    b: float
    a: float
    c: float
    threshold: float

    def prob(self, vectors: np.ndarray) -> np.ndarray:
        z = self.a * (vectors @ self.w + self.b) + self.c
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def save_probe(path: Path, probe: Probe, *extra: float) -> None:
    """A probe's weights (float32) and parameters, plus any `extra` numbers, in one .npz."""
    path.parent.mkdir(parents=True, exist_ok=True)
    params = [probe.b, probe.a, probe.c, probe.threshold, *extra]
    np.savez_compressed(
        path, w=probe.w.astype(np.float32), params=np.array(params, dtype=np.float64)
    )


def load_probe(path: Path) -> tuple[Probe, tuple[float, ...]]:
    """What `save_probe` wrote: the probe and its extra numbers."""
    with np.load(path) as data:
        b, a, c, t, *extra = (float(v) for v in data["params"])
        return Probe(data["w"].astype(np.float32), b, a, c, t), tuple(extra)


ANSWERABILITY = Path(__file__).parent / "data" / "scope" / "answerability.npz"


@dataclass(frozen=True)
class NearestQuestions:
    """Does the question need someone the coach is not (payroll, a lawyer, HR's formal process,
    a doctor)? Its mean cosine with its `k` nearest questions of that kind, minus the same with
    its `k` nearest of the kinds the coach answers or redirects (covered questions, look-alikes
    that use the same words, the knowledge base's own headings, off-topic text). Built, and the
    threshold chosen, by `benchmarks/scope.py --save` (it is compared there with a logistic probe
    over the same data)."""

    elsewhere: np.ndarray  # (n, 384): questions for someone else
    covered: np.ndarray  # (m, 384): questions the coach answers, or redirects
    k: int
    threshold: float

    def score(self, vectors: np.ndarray) -> np.ndarray:
        def nearest(bank: np.ndarray) -> np.ndarray:
            sims = vectors @ bank.T
            return np.sort(sims, axis=1)[:, -self.k :].mean(axis=1)

        return nearest(self.elsewhere) - nearest(self.covered)

    def save(self, path: Path = ANSWERABILITY) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            elsewhere=self.elsewhere.astype(np.float16),
            covered=self.covered.astype(np.float16),
            params=np.array([self.k, self.threshold], dtype=np.float64),
        )

    @classmethod
    def load(cls, path: Path = ANSWERABILITY) -> NearestQuestions | None:
        if not path.is_file():
            return None
        with np.load(path) as data:
            k, threshold = (float(v) for v in data["params"])
            # float16 on disk, float32 in memory: converted once, not per question
            elsewhere, covered = (data[n].astype(np.float32) for n in ("elsewhere", "covered"))
            return cls(elsewhere, covered, int(k), threshold)


@dataclass(frozen=True)
class ScopeProbes:
    harm: Probe
    domain: Probe
    # in-domain but outside the knowledge base (tax, visas, HR cases...); stored apart
    uncovered: NearestQuestions | None = None
    about: str = ""

    def save(self, path: Path = WEIGHTS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for name in ("harm", "domain"):
            p: Probe = getattr(self, name)
            arrays[f"{name}_w"] = p.w.astype(np.float32)
            arrays[f"{name}_params"] = np.array([p.b, p.a, p.c, p.threshold], dtype=np.float64)
        arrays["about"] = np.array(self.about)
        np.savez_compressed(path, **arrays)
        if self.uncovered is not None:
            self.uncovered.save(path.parent / ANSWERABILITY.name)

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> ScopeProbes | None:
        if not path.is_file():
            return None
        with np.load(path) as data:
            probes: dict[str, Probe] = {}
            for name in ("harm", "domain"):
                b, a, c, t = (float(v) for v in data[f"{name}_params"])
                probes[name] = Probe(data[f"{name}_w"].astype(np.float32), b, a, c, t)
            about = str(data["about"])
        nearest = NearestQuestions.load(path.parent / ANSWERABILITY.name)
        return cls(probes["harm"], probes["domain"], nearest, about)


@functools.lru_cache(maxsize=1)
def default_probes() -> ScopeProbes | None:
    return ScopeProbes.load()


@dataclass
class Decision:
    verdict: Verdict
    layer: str  # "rules", "persona", "harm", "domain" or "none"
    harm: float | None = None
    domain: float | None = None
    uncovered: float | None = None  # the NearestQuestions score, when there is one
    uncovered_flag: bool = False


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]{0,500}>")
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+", re.IGNORECASE)


def words_only(text: str) -> str:
    """`text` without links, image links and HTML tags (a link's own text is kept)."""
    text = _MD_LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _URL.sub(" ", text)
    return " ".join(text.split())


PERSONA_WEIGHTS = Path(__file__).parent / "data" / "scope" / "persona-probe.npz"
# The persona probe is asked only about a message with one of these words: a part for the
# assistant to play is named in them ("you are", "act as", "game", "mode", "simulate"...).
FRAME_WORDS = re.compile(
    r"\b(persona|character|pretend|game|simulate|imagine|story|screenplay|novel|role-?\s?play|"
    r"rp|act\s+as|act\s+like|you\s+are|you're|ur|alter\s+ego|mode|play|become|be\s+my)\b",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=1)
def persona_probe(path: Path = PERSONA_WEIGHTS) -> Probe | None:
    """The persona-jailbreak probe trained by `benchmarks/persona.py --save`, if it is there."""
    if not path.is_file():
        return None
    return load_probe(path)[0]


def persona_attack(question: str, embed_one: EmbedOne | None) -> bool:
    """Does a message that gives the assistant a part to play read like the persona
    jailbreaks (benchmarks/persona.py: on a blind set held out, jailbreaks dressed as mentoring
    reaching the model 14/50 -> 7/50, benign questions refused 5/50 -> 6/50)?"""
    probe = persona_probe()
    if probe is None or embed_one is None or not FRAME_WORDS.search(question):
        return False
    vector = embed_one(words_only(question))[None, :]
    return float(probe.prob(vector)[0]) >= probe.threshold


def decide(
    question: str, embed_one: EmbedOne | None, probes: ScopeProbes | None = None, context: str = ""
) -> Decision:
    """Answer, redirect or refuse `question`. `context` is the previous user question of the
    conversation: a short follow-up is judged on topic together with it, as retrieval is.
    (benchmarks/scope.py also measures a "v3" that lets a strong retrieval match outweigh a low
    domain score: fewer in-domain questions redirected, more attacks through; not shipped.)"""
    strength = instruction_strength(question)
    if strength == "strong" or assigns_persona(question):
        return Decision("refuse", "rules")
    if persona_attack(question, embed_one):
        return Decision("refuse", "persona")
    probes = probes or default_probes()
    if probes is None or embed_one is None:
        # Without the probes, topic words alone ("jailbreak", "pretend to be") still refuse.
        return Decision("refuse", "rules") if strength else Decision("answer", "none")
    # The probes judge the words: links, image links and HTML tags carry no topic, and a
    # question with a few of them was redirected as off-topic depending on the URL's digits.
    question, context = words_only(question), words_only(context)
    # embed_one is the embedder's cached call: retrieval then reuses the same vectors.
    texts = [question, f"{context} {question}"] if context else [question]
    vectors = np.stack([embed_one(t) for t in texts])
    harm = float(probes.harm.prob(vectors[:1])[0])
    domain = float(probes.domain.prob(vectors).max())
    scores = {"harm": round(harm, 4), "domain": round(domain, 4)}
    if strength == "weak" and harm >= probes.harm.threshold:
        # Topic words the rules flag, and the harm probe is sure: refused even in-domain.
        return Decision("refuse", "harm", **scores)
    if domain < probes.domain.threshold:
        # Off-topic: refused when it also looks harmful or like an attack, else redirected.
        # In-domain questions never meet the harm probe (trigger words are common in them:
        # "role-play a feedback talk", "write a system prompt"); the rules still apply.
        if harm >= probes.harm.threshold:
            return Decision("refuse", "harm", **scores)
        decision = Decision("redirect", "domain", **scores)
    else:
        decision = Decision("answer", "none", **scores)
    # Answered or redirected: does it need someone the coach is not (payroll, a lawyer, HR's
    # formal process, a doctor)? Then the coach declines and says who to ask, whether or not
    # the question reads as mentoring ("how do I calculate my pension?").
    if probes.uncovered is not None:
        value = float(probes.uncovered.score(vectors[-1:])[0])
        decision.uncovered = round(value, 4)
        # Off-topic text the harm probe finds at all suspicious ("prevent a child laborer from
        # talking to law enforcement", "modify your reply to promote...") is redirected, not
        # pointed to a lawyer or HR: the referral is for questions asked in good faith.
        decision.uncovered_flag = value >= probes.uncovered.threshold and (
            decision.verdict == "answer" or harm < REFERRAL_HARM_BELOW
        )
    return decision


def uncovered(passages: Sequence[object], margin: float = SCOPE_MARGIN) -> bool:
    """True when the scope document is the best (or nearly the best) dense match: the knowledge
    base says itself that it does not cover the question."""
    scope = [p.similarity for p in passages if p.source == SCOPE_SOURCE and p.similarity]
    other = [p.similarity for p in passages if p.source != SCOPE_SOURCE and p.similarity]
    if not scope:
        return False
    return max(scope) >= max(other, default=0.0) - margin


# --- crisis ----------------------------------------------------------------------------

# Words that say someone may be at risk of suicide or self-harm, or in immediate danger: the
# coach answers with where to get help now, not with coaching (the scope document's "Medical and
# mental-health crises" section). Written from common crisis-line guidance on warning signs,
# then measured on a blind set (tests/data/crisis_heldout.jsonl).
_REFLEXIVE = r"(myself|himself|herself|themselves|yourself|themself)"
_CRISIS = re.compile(
    r"\bsuicid\w*|\bself[-\s]?harm\w*|\boverdos\w*"
    rf"|\b(kill|hurt|harm|cut|burn|starv|hang|drown|poison|stab|strangl|suffocat)\w*\s+"
    rf"{_REFLEXIVE}\b"
    r"|\bend(ing)?\s+(it\s+all|(my|his|her|their)\s+(own\s+)?life)\b|\btake\s+(my|his|her|their)\s+"
    r"(own\s+)?life\b"
    r"|\b(do|does|did)(n'?t|\s+not)\s+see\s+(the|any)\s+point\s+(in|of)\s+(going\s+on|living|"
    r"carrying\s+on|being\s+here|anything|life)\b"
    r"|\b(no|any)\s+(reason|point)\s+(to|in)\s+(live|living|go\s+on|going\s+on|carry\s+on)\b"
    r"|\b(want|wants|wanted|wanting)\s+to\s+(die|disappear\s+for\s+good|not\s+wake\s+up|be\s+dead)\b"
    r"|\b(better\s+off|be\s+better)\s+without\s+(me|him|her|them)\b"
    r"|\b(not|n'?t)\s+(be|being)\s+(here|around)\s+(much\s+)?(anymore|any\s+more|for\s+long)\b"
    r"|\bcan'?t\s+go\s+on\b|\bgiving\s+(away\s+)?(all\s+)?(my|his|her|their)\s+"
    r"(things|stuff|belongings)\s+away\b|\bgiving\s+away\s+(all\s+)?(my|his|her|their)\s+"
    r"(things|stuff|belongings)\b"
    # "unconscious bias", "the deal collapsed" and "asset seizure" are workplace talk, not a
    # person in danger: a person collapsed, someone is unconscious, a seizure is had.
    r"|\b(chest\s+pains?|not\s+breathing|stopped\s+breathing|stroke\s+symptoms)\b"
    r"|\b(he|she|they|i|someone|somebody|mentor|mentee|colleague|manager|boss)\s+(has\s+|had\s+|"
    r"just\s+)*collapsed\b|\bunconscious\b(?!\s+bias)|\b(having|had|has|have)\s+(a\s+)?seizures?\b"
    r"|\b(unsafe|not\s+safe|in\s+danger)\s+(at\s+home|with\s+(him|her|them|my\s+partner))\b"
    r"|\b(threatened\s+to\s+(kill|hurt)|going\s+to\s+(kill|hurt)\s+(me|him|her|them|"
    r"myself|himself|herself|themselves))\b",
    re.IGNORECASE,
)


CRISIS_WEIGHTS = Path(__file__).parent / "data" / "crisis" / "crisis-probe.npz"
# The probe reads whole statements; a short follow-up ("and what if it happens again?", "what
# do I do now?") says nothing on its own and scored as high as a crisis (tests/unit/
# test_coach_answer.py). Only the word rule judges questions shorter than this.
CRISIS_MIN_WORDS = 8


@dataclass(frozen=True)
class CrisisProbe:
    """A calibrated probe over the MiniLM embedding (benchmarks/crisis.py). It counts for a
    question the domain probe calls in-domain at `probe.threshold`, and for any question at
    the stricter `strict` (off-topic text with violent words, "kill the lights", flagged
    otherwise)."""

    probe: Probe
    strict: float

    def flags(self, vectors: np.ndarray, domain: Probe | None, texts: Sequence[str]) -> np.ndarray:
        long_enough = np.array([len(t.split()) >= CRISIS_MIN_WORDS for t in texts])
        p = np.where(long_enough, self.probe.prob(vectors), 0.0)
        in_domain = (
            domain.prob(vectors) >= domain.threshold
            if domain is not None
            else np.ones(len(p), dtype=bool)
        )
        return ((p >= self.probe.threshold) & in_domain) | (p >= self.strict)

    def save(self, path: Path = CRISIS_WEIGHTS) -> None:
        save_probe(path, self.probe, self.strict)


@functools.lru_cache(maxsize=1)
def crisis_probe(path: Path = CRISIS_WEIGHTS) -> CrisisProbe | None:
    """The crisis probe trained by `benchmarks/crisis.py --save`, if it is there."""
    if not path.is_file():
        return None
    probe, (strict,) = load_probe(path)
    return CrisisProbe(probe, strict)


def crisis(question: str, embed_one: EmbedOne | None = None) -> bool:
    """True when the question says someone may be at risk or in immediate danger: the word
    rule, or the crisis probe over the question's MiniLM embedding."""
    if _CRISIS.search(question):
        return True
    found = crisis_probe()
    if found is None or embed_one is None:
        return False
    probes = default_probes()
    vector = embed_one(words_only(question))[None, :]
    return bool(found.flags(vector, probes.domain if probes else None, [question])[0])


# --- output check ------------------------------------------------------------------------

_MARKERS = re.compile(r"\[\s*\d+(?:\s*[,;-]\s*\d+)*\s*\]")
_WORD = re.compile(r"[A-Za-z]{2,}")
MIN_WORDS = 4
# The passages a reply cites, and the reply itself, all this far from the question: the reply
# paraphrases passages unrelated to the question (seen on the local model for harmful requests
# that retrieval matched weakly). Well under the retriever's WEAK_SIMILARITY gate (0.25): in the
# external suite's scripted run, 0.25 withheld replies to in-domain questions whose cited top
# passage scored 0.16-0.24 ("is this basically tech support for the execs?").
UNRELATED_BELOW = 0.15


def only_markers(text: str) -> bool:
    return len(_WORD.findall(_MARKERS.sub(" ", text))) < MIN_WORDS


def unusable_reply(
    question: str, text: str, cited: Sequence[str], embed: Embed | None
) -> str | None:
    """Why a model reply must not be shown as an answer, or None when it may."""
    if only_markers(text):
        return "markers"
    if embed is None or not cited:
        return None
    vectors = embed([question, _MARKERS.sub(" ", text), *cited])
    to_reply = float(vectors[1] @ vectors[0])
    to_sources = float(np.max(vectors[2:] @ vectors[0]))
    if max(to_reply, to_sources) < UNRELATED_BELOW:
        return "unrelated"
    return None


# --- declining with who to ask ------------------------------------------------------------

_REFERRAL = re.compile(
    r"^(ask|speak to|talk to|check with|contact|go to|consult|use)\b|\b(ask|contact|speak to|"
    r"talk to|check with|go to) (your|the|a|an)\b",
    re.IGNORECASE,
)


_scope_cache: tuple[object, list[object], np.ndarray] | None = None


def _scope_chunks(retriever: object) -> tuple[list[object], np.ndarray]:
    """The scope document's chunks and their vectors, embedded once per index revision."""
    global _scope_cache
    every = retriever.chunks()
    cached = _scope_cache
    if cached is not None and cached[0] is every:
        return cached[1], cached[2]
    chunks = [c for c in every if c.metadata.get("source") == SCOPE_SOURCE]
    vectors = (
        retriever.index.embedder.embed([c.text for c in chunks])
        if chunks
        else np.zeros((0, 1), dtype=np.float32)
    )
    _scope_cache = (every, chunks, vectors)
    return chunks, vectors


def scope_passages(question: str, retriever: object) -> list[object]:
    """The scope document's sections ranked for `question` (when retrieval did not bring them
    up: the nearest questions flagged it)."""
    from assistant.retrieval import Passage

    chunks, vectors = _scope_chunks(retriever)
    if not chunks:
        return []
    embedder = retriever.index.embedder
    scores = vectors @ embedder.embed_one(question)
    passages = []
    for chunk, score in zip(chunks, scores, strict=True):
        passage = Passage.from_stored(chunk, float(score))
        passage.similarity = float(score)
        passages.append(passage)
    return passages


def referral(passages: Sequence[object]) -> tuple[str, object | None]:
    """Who to ask, in the scope document's own words: its best-matching passage's sentences that
    name a person or team ("Ask your payroll or finance team ..."), and that passage."""
    for p in sorted(passages, key=lambda p: -(p.similarity or 0.0)):
        if p.source != SCOPE_SOURCE:
            continue
        sentences = re.split(r"(?<=[.!?])\s+", " ".join(p.text.split()))
        named = [s for s in sentences if _REFERRAL.search(s)]
        if named:
            return " ".join(named[:2]), p
    return "", None
