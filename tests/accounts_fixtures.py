"""A small program with accounts, built through the real store: shared by the access-matrix
tests (store API, CLI, pages).

Accounts: an admin (boss), a lead (lee), two mentors (ana, oli) and two mentees (gus, ola).
Pair 1: ana mentors gus, with a shared session summary and an agenda.
Pair 2: oli mentors ola, with a shared session summary.
Pair 3: lee (a lead) mentors boss (the admin): leads and admins read a pair's content only
as its members.
Each account has one chat of its own. Every text planted here is unique, so a test can look
for it in any output.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from assistant.access import Actor
from assistant.accounts import Accounts
from assistant.pair_store import PairStore
from assistant.pairs import Goal, Pair, record_summary
from assistant.schemas import ActionItem, Agenda, AgendaItem, Answer, FeedbackSummary
from assistant.store import Store

PASSWORD = "correct horse battery"
EMAILS = {
    "admin": "boss@example.org",
    "lead": "lee@example.org",
    "mentor": "ana@example.org",
    "mentee": "gus@example.org",
    "mentor2": "oli@example.org",
    "mentee2": "ola@example.org",
}
ROLES = {"admin": "admin", "lead": "lead", "mentor": "mentor", "mentee": "mentee"}
ROLES |= {"mentor2": "mentor", "mentee2": "mentee"}


def summary(label: str) -> FeedbackSummary:
    return FeedbackSummary(
        summary=f"SUMMARY-{label} went well",
        senior_learned=[f"SENIOR-LEARNED-{label}"],
        junior_learned=[f"JUNIOR-LEARNED-{label}"],
        action_items=[ActionItem(owner="Mentor", action=f"ACTION-{label}")],
        next_focus=f"FOCUS-{label}",
    )


def agenda(label: str) -> Agenda:
    return Agenda(
        title=f"AGENDA-{label}",
        topic="chat habits",
        minutes=30,
        stage="middle",
        session_number=2,
        mentor_role="analyst",
        mentee_role="CFO",
        objectives=["one"],
        items=[AgendaItem(minutes=30, activity="Talk", details="d")],
    )


def answer(label: str) -> Answer:
    return Answer(question=f"QUESTION-{label}?", answer=f"ANSWER-{label}.", citations=[])


@dataclass
class Program:
    store: Store
    actors: dict[str, Actor]
    pair_ids: dict[str, int]  # "own" (ana/gus), "other" (oli/ola), "leads" (lee/boss)
    summary_ids: dict[str, int]
    agenda_id: int
    chats: dict[str, int]  # role -> its own conversation id

    def pairs(self, who: str) -> PairStore:
        return PairStore(self.store.acting_as(self.actors[who]))

    def as_(self, who: str) -> Store:
        return self.store.acting_as(self.actors[who])


def build_program(store: Store) -> Program:
    accounts = Accounts(store)
    boss = accounts.add_user(EMAILS["admin"], "admin", PASSWORD)
    actors = {"admin": boss.actor}
    for who in ("lead", "mentor", "mentee", "mentor2", "mentee2"):
        actors[who] = accounts.add_user(EMAILS[who], ROLES[who], PASSWORD, by=boss.actor).actor
    lead = PairStore(store.acting_as(actors["lead"]))
    pair_ids: dict[str, int] = {}
    for key, (mentor, mentee, m_email, e_email) in {
        "own": ("Priya", "Gordon", EMAILS["mentor"], EMAILS["mentee"]),
        "other": ("Omar", "Olga", EMAILS["mentor2"], EMAILS["mentee2"]),
        "leads": ("Lee", "Boss", EMAILS["lead"], EMAILS["admin"]),
    }.items():
        pair = lead.add_pair(
            Pair(
                mentor=mentor,
                mentee=mentee,
                goals=[Goal(side="senior", text=f"GOAL-{key}")],
                start_date=date(2026, 9, 1),
            )
        )
        lead.set_members(pair.id, m_email, e_email)
        pair_ids[key] = pair.id
    summary_ids = {}
    for key, who in (("own", "mentor"), ("other", "mentor2"), ("leads", "lead")):
        record = record_summary(
            PairStore(store.acting_as(actors[who])), pair_ids[key], summary(key), date(2026, 9, 2)
        )
        summary_ids[key] = record.session.summary_id
    agenda_id = PairStore(store.acting_as(actors["mentee"])).save_artifact(
        pair_ids["own"], agenda("own"), session=2
    )
    chats = {}
    for who, actor in actors.items():
        exchange = store.acting_as(actor).record_exchange(
            conversation_id=None, persona="mentor", question=f"QUESTION-{who}?", answer=answer(who)
        )
        chats[who] = exchange.conversation_id
    return Program(store, actors, pair_ids, summary_ids, agenda_id, chats)
