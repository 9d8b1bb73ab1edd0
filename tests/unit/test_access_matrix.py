"""The access matrix of issue 12, walked cell by cell through the store API (the CLI and the
pages are walked in test_access_cli.py and test_app_accounts.py).

Each column is a function that tries the thing as a role and returns True (allowed, and the
right data came back) or False (refused with AccessDenied, nothing returned). The expected
table is the README's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from assistant.access import AccessDenied, Permission, SignInRequired
from assistant.accounts import Accounts
from assistant.pair_health import program_health
from assistant.pairs import Pair, record_summary
from assistant.store import Store
from tests.accounts_fixtures import Program, build_program, summary

ROLES = ("mentor", "mentee", "lead", "admin")
# role -> column -> allowed
EXPECTED = {
    "mentor": dict(own=1, pairs=1, other=0, manage=0, health=0, evals=0, upload=0, users=0, log=0),
    "mentee": dict(own=1, pairs=1, other=0, manage=0, health=0, evals=0, upload=0, users=0, log=0),
    "lead": dict(own=1, pairs=1, other=0, manage=1, health=1, evals=1, upload=1, users=0, log=0),
    "admin": dict(own=1, pairs=1, other=0, manage=1, health=1, evals=1, upload=1, users=1, log=1),
}
# The pair each role is a member of (leads and admins: the pair lee mentors boss in).
OWN_PAIR = {"mentor": "own", "mentee": "own", "lead": "leads", "admin": "leads"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def program(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Program:
    """The matrix on a SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("matrix") / "coach.db"
        return build_program(Store(f"sqlite:///{path}"))
    server = request.getfixturevalue("postgres_server")
    url = server.new_database()
    request.addfinalizer(lambda: server.drop_database(url))
    return build_program(Store(url))


def allowed(action: Callable[[], object]) -> bool:
    try:
        action()
    except AccessDenied:
        return False
    return True


def own_chats(p: Program, role: str) -> bool:
    store = p.as_(role)
    listed = [c.id for c in store.list_conversations()]
    assert listed == [p.chats[role]]  # only their own, never another's
    assert store.get_messages(p.chats[role])[0].content == f"QUESTION-{role}?"
    others = [who for who in p.chats if who != role]
    for who in others:
        with pytest.raises(AccessDenied):
            store.get_messages(p.chats[who])
        with pytest.raises(AccessDenied):
            store.delete_conversation(p.chats[who])
    texts = " ".join(a.title for a in store.list_artifacts())
    assert f"QUESTION-{role}" in texts
    assert not any(f"QUESTION-{who}?" in texts for who in others)
    return True


def own_pairs_content(p: Program, role: str) -> bool:
    key = OWN_PAIR[role]
    pairs = p.pairs(role)
    pair_id = p.pair_ids[key]
    assert [s.next_focus for s in pairs.sessions(pair_id)] == [f"FOCUS-{key}"]
    assert [a.action for a in pairs.actions(pair_id)] == [f"ACTION-{key}"]
    assert {e.text for e in pairs.ledger(pair_id)} == {
        f"SENIOR-LEARNED-{key}",
        f"JUNIOR-LEARNED-{key}",
    }
    summary_id = p.summary_ids[key]
    assert p.as_(role).get_artifact(summary_id).payload["summary"].startswith("SUMMARY-")
    assert summary_id in [a.id for a in pairs.artifacts(pair_id)]
    return True


def attempts_on(p: Program, role: str, key: str) -> list[Callable[[], object]]:
    """Every read and write of pair `key`'s content, as `role`."""
    pairs, store = p.pairs(role), p.as_(role)
    pair_id, summary_id = p.pair_ids[key], p.summary_ids[key]
    return [
        lambda: pairs.sessions(pair_id),
        lambda: pairs.actions(pair_id),
        lambda: pairs.ledger(pair_id),
        lambda: pairs.artifacts(pair_id),
        lambda: store.get_artifact(summary_id),
        lambda: pairs.require_member(pair_id),
        lambda: record_summary(pairs, pair_id, summary("intruder")),
        lambda: pairs.rate_session(pair_id, 1, 5),
        lambda: store.delete_artifact(summary_id),
    ]


def other_pairs_content(p: Program, role: str) -> bool:
    """Every read and write of the content of a pair the role is not in is refused."""
    not_mine = [k for k in ("own", "other", "leads") if k != OWN_PAIR[role]]
    results = [allowed(a) for key in not_mine for a in attempts_on(p, role, key)]
    for key in not_mine:
        listed = p.as_(role).list_artifacts(kind="feedback")
        assert p.summary_ids[key] not in [a.id for a in listed]
    assert len(set(results)) == 1, f"{role}: only some reads of another pair were refused"
    return results[0]


def manage_pairs(p: Program, role: str) -> bool:
    pairs = p.pairs(role)
    if not allowed(lambda: pairs.add_pair(Pair(mentor=f"M-{role}", mentee="S"))):
        assert not allowed(lambda: pairs.set_members(p.pair_ids["other"], None, None))
        return False
    new = [x for x in pairs.list_pairs() if x.mentor == f"M-{role}"][0]
    pairs.set_members(new.id, "ana@example.org", "gus@example.org")
    assert pairs.members(new.id) == {"mentor": "ana@example.org", "mentee": "gus@example.org"}
    # Seeing every pair's record is not reading its content.
    assert {p.pair_ids["own"], p.pair_ids["other"]} <= {x.id for x in pairs.list_pairs()}
    pairs.delete_pair(new.id)
    return True


def health(p: Program, role: str) -> bool:
    pairs = p.pairs(role)
    if not allowed(lambda: program_health(pairs, date(2026, 10, 1), 21)):
        # Without the permission they list only their own pairs' records.
        assert {x.id for x in pairs.list_pairs()} == {p.pair_ids[OWN_PAIR[role]]}
        return False
    figures = {h.id: h for h in program_health(pairs, date(2026, 10, 1), 21)}
    assert figures[p.pair_ids["other"]].sessions_held == 1
    assert figures[p.pair_ids["other"]].actions_open == 1
    # Counts only: no text of any session or action reaches the health figures.
    raw = repr(pairs.all_sessions()) + repr(pairs.all_actions()) + repr(pairs.all_ledger_sides())
    assert "FOCUS-" not in raw and "ACTION-" not in raw and "LEARNED-" not in raw
    return True


def evals(p: Program, role: str) -> bool:
    store = p.as_(role)
    if not allowed(store.list_eval_runs):
        assert not allowed(
            lambda: store.start_eval_run(
                suites=["chat"], backend="scripted", model="m", prompt_versions={}, config={}
            )
        )
        assert not allowed(store.ratings_summary)
        return False
    run_id = store.start_eval_run(
        suites=["chat"], backend="scripted", model="m", prompt_versions={}, config={}
    )
    assert run_id in [r.id for r in store.list_eval_runs()]
    return True


def upload(p: Program, role: str) -> bool:
    return allowed(lambda: p.as_(role).check(Permission.KNOWLEDGE_UPLOAD))


def users_admin(p: Program, role: str) -> bool:
    return allowed(lambda: Accounts(p.store).list_users(p.actors[role]))


def audit_log(p: Program, role: str) -> bool:
    return allowed(lambda: p.as_(role).check(Permission.AUDIT_LOG))


COLUMNS = {
    "own": own_chats,
    "pairs": own_pairs_content,
    "other": other_pairs_content,
    "manage": manage_pairs,
    "health": health,
    "evals": evals,
    "upload": upload,
    "users": users_admin,
    "log": audit_log,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("column", list(COLUMNS))
def test_access_matrix_through_the_store(program: Program, role: str, column: str) -> None:
    assert COLUMNS[column](program, role) == bool(EXPECTED[role][column])


def test_personal_mode_is_refused_once_accounts_exist(program: Program) -> None:
    for call in (
        program.store.list_conversations,
        program.store.list_artifacts,
        program.store.whoami,
    ):
        with pytest.raises(SignInRequired):
            call()


def test_a_private_session_is_read_by_its_writer_only(tmp_path: Path) -> None:
    p = build_program(Store(f"sqlite:///{tmp_path / 'coach.db'}"))
    pair_id = p.pair_ids["own"]
    record = record_summary(
        p.pairs("mentor"), pair_id, summary("secret"), date(2026, 9, 16), visibility="private"
    )
    mine, theirs = p.pairs("mentor"), p.pairs("mentee")
    assert [s.next_focus for s in mine.sessions(pair_id)] == ["FOCUS-own", "FOCUS-secret"]
    # The other member sees that a session was held, and nothing of what it said.
    assert [(s.number, s.next_focus) for s in theirs.sessions(pair_id)] == [
        (1, "FOCUS-own"),
        (2, ""),
    ]
    assert "ACTION-secret" in [a.action for a in mine.actions(pair_id)]
    assert "ACTION-secret" not in [a.action for a in theirs.actions(pair_id)]
    assert "SENIOR-LEARNED-secret" not in [e.text for e in theirs.ledger(pair_id)]
    with pytest.raises(AccessDenied):
        p.as_("mentee").get_artifact(record.session.summary_id)
    assert record.session.summary_id not in [a.id for a in theirs.artifacts(pair_id)]
    secret_action = [a for a in mine.actions(pair_id) if a.action == "ACTION-secret"][0]
    with pytest.raises(AccessDenied):
        theirs.set_action_status(secret_action.id, "done")


def test_a_removed_account_is_refused_at_once(tmp_path: Path) -> None:
    p = build_program(Store(f"sqlite:///{tmp_path / 'coach.db'}"))
    store = p.as_("mentee")
    assert store.list_conversations()
    Accounts(p.store).remove_user("gus@example.org", p.actors["admin"])
    with pytest.raises(AccessDenied, match="no longer exists"):
        store.list_conversations()


def test_when_a_member_leaves_the_pair_keeps_its_shared_records(tmp_path: Path) -> None:
    """What the README promises: the leaver's own chats and private notes go; the pair's
    shared records stay with the other member; the leaver's side is unmatched."""
    p = build_program(Store(f"sqlite:///{tmp_path / 'coach.db'}"))
    pair_id = p.pair_ids["own"]
    record_summary(
        p.pairs("mentee"), pair_id, summary("gus-private"), date(2026, 9, 16), visibility="private"
    )
    counts = Accounts(p.store).remove_user("gus@example.org", p.actors["mentee"])
    assert counts == {"conversations": 1, "artifacts": 2, "private_sessions": 1}
    ana = p.pairs("mentor")
    assert ana.members(pair_id) == {"mentor": "ana@example.org", "mentee": None}
    sessions = ana.sessions(pair_id)
    assert [s.number for s in sessions] == [1, 2]  # held sessions still count
    assert sessions[1].next_focus == ""
    assert [a.action for a in ana.actions(pair_id)] == ["ACTION-own"]
    # The agenda gus saved for the pair is shared: it stays with the pair.
    assert p.agenda_id in [a.id for a in ana.artifacts(pair_id)]
    with p.store._begin(write=False) as conn:
        texts = " ".join(str(r) for r in conn.exec_driver_sql("SELECT payload FROM artifacts"))
        assert "gus-private" not in texts and "QUESTION-mentee" not in texts
