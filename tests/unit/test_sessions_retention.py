"""Sign-in tokens (tampered, expired, outdated, removed), the generation rate limit, and the
retention of closed pairs' records, on real SQLite files."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner

from assistant import audit
from assistant.accounts import Accounts
from assistant.cli import main
from assistant.db import pairs as pairs_table
from assistant.pair_health import program_health
from assistant.rate_limit import RateLimited, RateLimiter
from assistant.retention import apply_daily, apply_retention
from assistant.sessions import SessionInvalid, Sessions, signing_secret
from assistant.store import Store
from tests.accounts_fixtures import EMAILS, PASSWORD, build_program


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'coach.db'}")


def test_a_token_signs_in_until_it_is_changed_expired_or_outdated(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = Accounts(store)
    admin = accounts.add_user("boss@example.org", "admin", PASSWORD)
    secret = signing_secret(store)
    assert secret == signing_secret(store)  # made once, kept in the database
    sessions = Sessions(store, secret, hours=12)
    token = sessions.issue(admin)
    assert "boss" not in token and PASSWORD not in token
    assert sessions.read(token).email == "boss@example.org"

    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with pytest.raises(SessionInvalid, match="could not be verified"):
        sessions.read(tampered)
    with pytest.raises(SessionInvalid, match="could not be verified"):
        Sessions(store, "another server's key", hours=12).read(token)

    real = time.time
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(real()) - 13 * 3600)
    old = sessions.issue(admin)
    monkeypatch.undo()
    with pytest.raises(SessionInvalid, match="expired.*12 hours"):
        sessions.read(old)

    accounts.reset_password("boss@example.org", "a different secret", admin.actor)
    with pytest.raises(SessionInvalid, match="signed out"):
        sessions.read(token)
    fresh = sessions.issue(accounts.find("boss@example.org"))
    sessions.end(accounts.find("boss@example.org"))  # sign out: every token stops working
    with pytest.raises(SessionInvalid, match="signed out"):
        sessions.read(fresh)


def test_a_removed_account_cannot_use_its_token(store: Store) -> None:
    accounts = Accounts(store)
    admin = accounts.add_user("boss@example.org", "admin", PASSWORD)
    ana = accounts.add_user("ana@example.org", "mentor", PASSWORD, by=admin.actor)
    sessions = Sessions(store, signing_secret(store), hours=12)
    token = sessions.issue(ana)
    accounts.remove_user("ana@example.org", admin.actor)
    with pytest.raises(SessionInvalid, match="account was removed"):
        sessions.read(token)


def test_the_rate_limit_counts_each_user_for_one_minute() -> None:
    now = [1000.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    for _ in range(3):
        limiter.hit("ana")
    with pytest.raises(RateLimited, match="3 generations for this minute.*Try again in 60"):
        limiter.hit("ana")
    limiter.hit("gus")  # another user is not held up
    now[0] += 30
    with pytest.raises(RateLimited, match="Try again in 30 seconds"):
        limiter.hit("ana")
    now[0] += 31
    limiter.hit("ana")
    RateLimiter(0).hit("ana")  # 0: no limit


def _close(store: Store, pair_id: int, when: str) -> None:
    with store._begin() as conn:
        conn.execute(
            pairs_table.update()
            .where(pairs_table.c.id == pair_id)
            .values(status="closed", updated_at=when)
        )


def texts_of(store: Store) -> str:
    with store._begin(write=False) as conn:
        rows = []
        for table in ("artifacts", "pair_actions", "pair_ledger", "pair_sessions", "messages"):
            rows += [str(r) for r in conn.exec_driver_sql(f"SELECT * FROM {table}")]
        return "\n".join(rows)


def test_retention_deletes_old_closed_pairs_text_and_keeps_the_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'coach.db'}")
    p = build_program(store)
    _close(store, p.pair_ids["other"], "2025-01-10T00:00:00+00:00")  # closed 23 months ago
    _close(store, p.pair_ids["own"], "2026-10-01T00:00:00+00:00")  # closed 2 months ago
    lead = p.pairs("lead")
    before = {h.id: h for h in program_health(lead, date(2026, 12, 1), 21)}

    with pytest.raises(Exception, match="may not manage accounts"):
        apply_retention(p.as_("lead"), 12, date(2026, 12, 1))
    report = apply_retention(p.as_("admin"), 12, date(2026, 12, 1))

    assert (report.pairs, report.items) == (1, 1)
    texts = texts_of(store)
    assert "SUMMARY-other" not in texts and "ACTION-other" not in texts
    assert "LEARNED-other" not in texts and "FOCUS-other" not in texts
    assert "SUMMARY-own" in texts and "ACTION-own" in texts  # closed too recently
    after = {h.id: h for h in program_health(lead, date(2026, 12, 1), 21)}
    keep = ("sessions_held", "actions_open", "learned_by_senior", "learned_by_junior")
    for pair_id in before:
        assert [getattr(after[pair_id], k) for k in keep] == [
            getattr(before[pair_id], k) for k in keep
        ]
    with store._begin(write=False) as conn:
        [entry] = audit.entries(conn, action=audit.RETENTION)
    assert entry.actor == EMAILS["admin"] and entry.detail["pairs"] == 1

    # The app's daily run: once a day, as "system".
    assert apply_daily(store, 12, date(2026, 12, 1)) is None  # already ran today
    assert apply_daily(store, 12, date(2026, 12, 2)).pairs == 1  # the same pair; nothing new
    assert "SUMMARY-own" in texts_of(store)

    # And on demand from the command line, as an admin.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'coach.db'}")
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COACH_RETENTION_MONTHS", "1")
    assert main(["retention", "--as", EMAILS["mentor"]]) == 2
    assert main(["retention", "--apply", "--json", "--as", EMAILS["admin"]]) == 0
    assert '"pairs": 2' in capsys.readouterr().out
    assert "SUMMARY-own" not in texts_of(store)
