"""Schema migrations of the history database, on real SQLite files and on a real PostgreSQL
server (the `database` fixture runs a test on both; the SQLite-only ones say why).

The database a user already has was written by the release before migrations existed: its
tables are built here from that release's own CREATE TABLE statements (what SQLAlchemy's
create_all emitted for SQLite; on PostgreSQL the same with SERIAL ids), filled with rows the
way that release stored them, and then opened by today's Store.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import assistant.migrations as migrations
from assistant.config import PROJECT_ROOT
from assistant.db import metadata
from assistant.errors import CoachError
from assistant.schemas import Agenda, Answer, FeedbackSummary, StarterSet
from assistant.store import Store, load_artifact
from tests.databases import Database, new_database
from tests.postgres import PostgresServer

# The schema of the release before migrations, exactly as it created it on SQLite.
PREVIOUS_RELEASE_SCHEMA = """
CREATE TABLE conversations (
	id INTEGER NOT NULL,
	persona VARCHAR(40) NOT NULL,
	title TEXT NOT NULL,
	created_at VARCHAR(40) NOT NULL,
	updated_at VARCHAR(40) NOT NULL,
	PRIMARY KEY (id)
);
CREATE INDEX ix_conversations_updated_at ON conversations (updated_at);
CREATE TABLE eval_runs (
	id INTEGER NOT NULL,
	created_at VARCHAR(40) NOT NULL,
	suites JSON NOT NULL,
	backend VARCHAR(100) NOT NULL,
	model VARCHAR(200) NOT NULL,
	prompt_versions JSON NOT NULL,
	config JSON NOT NULL,
	seconds FLOAT NOT NULL,
	metrics JSON NOT NULL,
	PRIMARY KEY (id)
);
CREATE TABLE artifacts (
	id INTEGER NOT NULL,
	kind VARCHAR(20) NOT NULL,
	title TEXT NOT NULL,
	created_at VARCHAR(40) NOT NULL,
	backend VARCHAR(100) NOT NULL,
	model VARCHAR(200) NOT NULL,
	prompt_version VARCHAR(100) NOT NULL,
	payload JSON NOT NULL,
	search_text TEXT NOT NULL,
	conversation_id INTEGER,
	PRIMARY KEY (id),
	FOREIGN KEY(conversation_id) REFERENCES conversations (id) ON DELETE SET NULL
);
CREATE INDEX ix_artifacts_kind ON artifacts (kind);
CREATE TABLE eval_cases (
	id INTEGER NOT NULL,
	run_id INTEGER NOT NULL,
	suite VARCHAR(100) NOT NULL,
	case_id VARCHAR(200) NOT NULL,
	input JSON NOT NULL,
	output JSON,
	scores JSON NOT NULL,
	reasons JSON NOT NULL,
	seconds FLOAT NOT NULL,
	error TEXT,
	PRIMARY KEY (id),
	FOREIGN KEY(run_id) REFERENCES eval_runs (id) ON DELETE CASCADE
);
CREATE INDEX ix_eval_cases_run_id ON eval_cases (run_id);
CREATE TABLE messages (
	id INTEGER NOT NULL,
	conversation_id INTEGER NOT NULL,
	role VARCHAR(20) NOT NULL,
	content TEXT NOT NULL,
	artifact_id INTEGER,
	created_at VARCHAR(40) NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(conversation_id) REFERENCES conversations (id) ON DELETE CASCADE,
	FOREIGN KEY(artifact_id) REFERENCES artifacts (id) ON DELETE SET NULL
);
CREATE INDEX ix_messages_conversation_id ON messages (conversation_id);
CREATE TABLE ratings (
	artifact_id INTEGER NOT NULL,
	score INTEGER NOT NULL,
	comment TEXT NOT NULL,
	created_at VARCHAR(40) NOT NULL,
	PRIMARY KEY (artifact_id),
	FOREIGN KEY(artifact_id) REFERENCES artifacts (id) ON DELETE CASCADE
);
"""

CITATION = {
    "n": 1,
    "id": "guides/listen.md#0",
    "source": "guides/listen.md",
    "title": "Listening well",
    "heading": "Ask, then wait",
    "text": "Pause first.",
}
# Payloads as that release serialised them (model_dump(mode="json")).
PAYLOADS = {
    "answer": {
        "backend": "local",
        "model": "qwen2.5-coder-1.5b",
        "prompt_version": "answer@3",
        "seconds": 12.5,
        "created_at": "2026-11-20T09:00:00+00:00",
        "notes": [],
        "kind": "answer",
        "question": "How do I open the first session with my CFO mentee?",
        "persona": "mentor",
        "answer": "Agree on goals and a rhythm first [1].",
        "citations": [CITATION],
        "relevance": "strong",
        "on_topic": True,
        "support": None,
    },
    "agenda": {
        "backend": "local",
        "model": "qwen2.5-coder-1.5b",
        "prompt_version": "agenda@1",
        "seconds": 30.0,
        "created_at": "2026-11-20T09:05:00+00:00",
        "notes": [],
        "kind": "agenda",
        "title": "Session 2: Chat habits",
        "topic": "chat habits",
        "minutes": 45,
        "stage": "middle",
        "session_number": 2,
        "mentor_role": "analyst",
        "mentee_role": "CFO",
        "objectives": ["Name two habits to try"],
        "items": [
            {"minutes": 10, "activity": "Check-in", "details": "What changed", "sources": []},
            {"minutes": 35, "activity": "Deep dive", "details": "Threads", "sources": []},
        ],
        "starters": [],
        "prepare": ["Bring one example"],
        "follow_up": [],
        "citations": [CITATION],
    },
    "starters": {
        "backend": "scripted",
        "model": "scripted",
        "prompt_version": "starters@1",
        "seconds": 0.0,
        "created_at": "2026-11-20T09:10:00+00:00",
        "notes": [],
        "kind": "starters",
        "topic": "remote work",
        "stage": "first",
        "starters": [
            {
                "text": "What surprised you this week?",
                "category": "icebreaker",
                "why": "Warms up",
                "sources": [],
            }
        ],
        "citations": [],
    },
    "feedback": {
        "backend": "local",
        "model": "qwen2.5-coder-1.5b",
        "prompt_version": "feedback@1",
        "seconds": 20.0,
        "created_at": "2026-11-20T09:15:00+00:00",
        "notes": [],
        "kind": "feedback",
        "summary": "A frank session about the équipe's chat habits and meeting overload.",
        "went_well": [],
        "senior_learned": ["Threads beat email for quick questions"],
        "junior_learned": ["How budget decisions are made"],
        "challenges": [],
        "action_items": [{"owner": "senior", "action": "Try a channel", "due": "next week"}],
        "next_focus": "",
        "redactions": 1,
    },
}
TITLES = {
    "answer": "How do I open the first session with my CFO mentee?",
    "agenda": "Session 2: Chat habits",
    "starters": "Starters: remote work",
    "feedback": "A frank session about the équipe's chat habits",
}
TYPES = {"answer": Answer, "agenda": Agenda, "starters": StarterSet, "feedback": FeedbackSummary}


def previous_release_schema(kind: str) -> list[str]:
    """That release's CREATE statements for `kind`: on PostgreSQL create_all made the integer
    ids SERIAL (the rest of its DDL reads the same)."""
    schema = PREVIOUS_RELEASE_SCHEMA
    if kind == "postgresql":
        schema = schema.replace("\tid INTEGER NOT NULL", "\tid SERIAL NOT NULL")
    return [statement.strip() for statement in schema.split(";") if statement.strip()]


def previous_release_database(target: Path | Database) -> None:
    """A history database as the release before migrations left it, with rows in every table
    (a SQLite file at `target`, or the given database)."""
    if isinstance(target, Path):
        target = Database("sqlite", url_of(target), target)
    if target.path is not None:
        target.path.parent.mkdir(parents=True, exist_ok=True)
    engine = target.engine()
    try:
        with engine.begin() as conn:
            _fill_previous_release(conn, target.kind)
    finally:
        engine.dispose()


def _fill_previous_release(conn: sa.Connection, kind: str) -> None:
    for statement in previous_release_schema(kind):
        conn.exec_driver_sql(statement)
    if kind == "sqlite":
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")

    def insert(table: str, rows: list[dict]) -> None:
        columns = list(rows[0])
        conn.execute(
            sa.text(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)})"
            ),
            rows,
        )

    insert(
        "conversations",
        [
            {
                "id": 1,
                "persona": "mentor",
                "title": "First session",
                "created_at": "2026-11-20T08:59:00+00:00",
                "updated_at": "2026-11-20T09:00:01+00:00",
            }
        ],
    )
    insert(
        "artifacts",
        [
            {
                "id": n,
                "kind": kind_,
                "title": TITLES[kind_],
                "created_at": PAYLOADS[kind_]["created_at"],
                "backend": PAYLOADS[kind_]["backend"],
                "model": PAYLOADS[kind_]["model"],
                "prompt_version": PAYLOADS[kind_]["prompt_version"],
                "payload": json.dumps(PAYLOADS[kind_]),
                "search_text": f"{TITLES[kind_]}\n{kind_} text".lower(),
                "conversation_id": 1 if kind_ == "answer" else None,
            }
            for n, kind_ in enumerate(PAYLOADS, start=1)
        ],
    )
    insert(
        "messages",
        [
            {
                "id": 1,
                "conversation_id": 1,
                "role": "user",
                "content": PAYLOADS["answer"]["question"],
                "artifact_id": None,
                "created_at": "2026-11-20T09:00:00+00:00",
            },
            {
                "id": 2,
                "conversation_id": 1,
                "role": "assistant",
                "content": PAYLOADS["answer"]["answer"],
                "artifact_id": 1,
                "created_at": "2026-11-20T09:00:01+00:00",
            },
        ],
    )
    insert(
        "ratings",
        [
            {
                "artifact_id": 1,
                "score": 1,
                "comment": "clear",
                "created_at": "2026-11-20T09:01:00+00:00",
            },
            {
                "artifact_id": 2,
                "score": -1,
                "comment": "",
                "created_at": "2026-11-20T09:06:00+00:00",
            },
        ],
    )
    insert(
        "eval_runs",
        [
            {
                "id": 1,
                "created_at": "2026-11-21T10:00:00+00:00",
                "suites": json.dumps(["chat"]),
                "backend": "local",
                "model": "qwen2.5-coder-1.5b",
                "prompt_versions": json.dumps({"answer": "answer@3"}),
                "config": json.dumps({"k": 5, "status": "complete"}),
                "seconds": 95.5,
                "metrics": json.dumps({"chat.hit_rate": 0.75}),
            }
        ],
    )
    insert(
        "eval_cases",
        [
            {
                "id": 1,
                "run_id": 1,
                "suite": "chat",
                "case_id": "c1",
                "input": json.dumps({"question": "q1"}),
                "output": json.dumps({"answer": "a1"}),
                "scores": json.dumps({"hit": 1.0}),
                "reasons": json.dumps({"hit": "found"}),
                "seconds": 2.5,
                "error": None,
            },
            {
                "id": 2,
                "run_id": 1,
                "suite": "chat",
                "case_id": "c2",
                "input": json.dumps({"question": "q2"}),
                "output": None,
                "scores": json.dumps({}),
                "reasons": json.dumps({}),
                "seconds": 0.1,
                "error": "model timed out",
            },
        ],
    )
    if kind == "postgresql":
        # That release inserted without ids, so its sequences stood past its rows.
        for table in ("conversations", "artifacts", "messages", "eval_runs", "eval_cases"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.bak-*"))


def version_rows(target: Path | Database) -> list[tuple[str]]:
    url = url_of(target) if isinstance(target, Path) else target.url
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).fetchall()
            return [tuple(row) for row in rows]
    finally:
        engine.dispose()


def test_a_database_of_the_previous_release_is_stamped_and_every_row_is_found(
    database: Database,
) -> None:
    previous_release_database(database)

    store = Store(database.url)

    assert store.schema_change is not None
    assert store.schema_change.before == migrations.UNVERSIONED
    assert version_rows(database) == [(migrations.head_revision(),)]
    stored = {a.kind: a for a in store.list_artifacts()}
    assert sorted(stored) == sorted(PAYLOADS)
    for kind, artifact in stored.items():
        assert artifact.title == TITLES[kind]
        loaded = load_artifact(artifact)
        assert isinstance(loaded, TYPES[kind])
        dumped = loaded.model_dump(mode="json")
        # Every field the old release wrote comes back unchanged (fields added since then
        # take their defaults).
        assert {key: dumped[key] for key in PAYLOADS[kind]} == PAYLOADS[kind]
    assert stored["answer"].rating == 1 and stored["agenda"].rating == -1
    assert stored["starters"].rating is None
    assert stored["answer"].conversation_id == 1
    assert [a.kind for a in store.list_artifacts(search="chat habits")] == ["feedback", "agenda"]

    [conversation] = store.list_conversations()
    assert (conversation.title, conversation.persona, conversation.messages) == (
        "First session",
        "mentor",
        2,
    )
    history = store.get_messages(1)
    assert [(m.role, m.artifact_id) for m in history] == [("user", None), ("assistant", 1)]
    assert history[1].content == PAYLOADS["answer"]["answer"]
    assert {(r["kind"], r["up"], r["down"]) for r in store.ratings_summary()} == {
        ("answer", 1, 0),
        ("agenda", 0, 1),
    }

    [run] = store.list_eval_runs()
    assert (run.suites, run.status, run.metrics, run.seconds) == (
        ["chat"],
        "complete",
        {"chat.hit_rate": 0.75},
        95.5,
    )
    assert store.count_eval_cases([1]) == {1: 2}
    cases = store.get_eval_run(1).cases
    assert [(c["case_id"], c["output"], c["error"]) for c in cases] == [
        ("c1", {"answer": "a1"}, None),
        ("c2", None, "model timed out"),
    ]

    # The upgraded database keeps working (new rows get new ids), and the next start changes
    # nothing. A SQLite file was copied aside first; PostgreSQL is the operator's to back up.
    new_id = store.create_conversation("mentee", "After the upgrade")
    assert new_id == 2
    store.add_message(new_id, "user", "Still here?")
    assert Store(database.url).schema_change is None
    if database.kind == "sqlite":
        assert len(backups(database.path.parent)) == 1
    else:
        assert store.schema_change.backup is None


def test_the_old_file_is_copied_aside_first_and_the_copy_opens(tmp_path: Path) -> None:
    """SQLite only: a PostgreSQL server is backed up by its operator (pg_dump), not by us."""
    path = tmp_path / "data" / "coach.db"
    previous_release_database(path)

    store = Store(url_of(path))

    [backup] = backups(path.parent)
    assert backup == store.schema_change.backup
    assert backup.name.startswith(f"coach.db.bak-{migrations.UNVERSIONED}-")
    with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        tables = {r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "alembic_version" not in tables  # the copy is the file before the upgrade
        assert copy.execute("SELECT count(*) FROM artifacts").fetchone() == (4,)
        assert copy.execute("SELECT count(*) FROM eval_cases").fetchone() == (2,)
    # A Store on the copy upgrades the copy: it is a whole, usable history.
    restored = tmp_path / "restored" / "coach.db"
    restored.parent.mkdir()
    shutil.copy(backup, restored)
    assert len(Store(url_of(restored)).list_artifacts()) == 4


def test_a_new_or_up_to_date_database_gets_no_backup(database: Database) -> None:
    first = Store(database.url)
    assert first.schema_change is not None and first.schema_change.before is None
    assert first.schema_change.backup is None
    first.create_conversation("mentor", "kept")
    assert Store(database.url).schema_change is None
    if database.path is not None:
        assert backups(database.path.parent) == []
    assert version_rows(database) == [(migrations.head_revision(),)]
    assert [c.title for c in Store(database.url).list_conversations()] == ["kept"]


def test_a_database_from_a_newer_version_is_refused_in_one_line(database: Database) -> None:
    Store(database.url)
    database.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(CoachError, match="revision 9999.*newer version") as caught:
        Store(database.url)
    assert "\n" not in str(caught.value)
    if database.path is not None:
        assert backups(database.path.parent) == []


def test_a_foreign_database_with_some_of_the_tables_is_not_touched(database: Database) -> None:
    if database.path is not None:
        database.path.parent.mkdir(parents=True, exist_ok=True)
    database.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT)")
    with pytest.raises(CoachError, match="not written by the coach.*DATABASE_URL"):
        Store(database.url)
    assert database.tables() == {"messages"}


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path

    from assistant.store import Store

    ready, go, url = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    ready.touch()
    deadline = time.monotonic() + 120
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.002)
    store = Store(url)
    store.create_conversation("mentor", ready.name)
    print("created" if store.schema_change else "found")
    """
)


def test_two_processes_starting_at_once_on_a_new_database_both_work(
    database: Database, tmp_path: Path
) -> None:
    """Each takes the upgrade lock (a file lock beside SQLite, pg_advisory_lock on
    PostgreSQL); the second finds the work done."""
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path / f"ready-{n}"), str(go), database.url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in (1, 2)
    ]
    try:
        deadline = time.monotonic() + 120
        while not all((tmp_path / f"ready-{n}").exists() for n in (1, 2)):
            for child in children:
                assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the processes did not start"
            time.sleep(0.02)
        go.touch()  # both are past their imports: they open the database at the same moment
        results = [child.communicate(timeout=120) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    assert [c.returncode for c in children] == [0, 0], results
    # Exactly one of them created the tables; the other waited and found them.
    assert sorted(out.strip() for out, _ in results) == ["created", "found"]
    assert version_rows(database) == [(migrations.head_revision(),)]
    titles = {c.title for c in Store(database.url).list_conversations()}
    assert titles == {"ready-1", "ready-2"}


def _shape(engine: sa.Engine) -> dict[str, dict]:
    """Every table's columns, keys and indexes as SQLAlchemy's inspector sees them."""
    inspector = sa.inspect(engine)
    shape = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        shape[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": sorted(
                (
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    fk["options"].get("ondelete"),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ),
        }
    return shape


def test_upgrade_head_on_an_empty_database_builds_exactly_the_tables_in_db_py(
    database: Database, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if database.path is not None:
        database.path.parent.mkdir(parents=True)
    migrated = database.engine()
    with migrated.begin() as conn:
        command.upgrade(migrations.alembic_config(conn), "head")
    with migrated.connect() as conn:
        # A change to assistant/db.py without a migration shows up here.
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    declared = new_database(database.kind, tmp_path / "declared", request).engine()
    if database.kind == "sqlite":
        (tmp_path / "declared" / "data").mkdir(parents=True)
    metadata.create_all(declared)
    assert _shape(migrated) == _shape(declared)
    assert set(_shape(migrated)) == set(metadata.tables)

    # And back: downgrading to nothing removes every table, upgrading again restores them.
    with migrated.begin() as conn:
        command.downgrade(migrations.alembic_config(conn), "base")
    assert _shape(migrated) == {}
    with migrated.begin() as conn:
        command.upgrade(migrations.alembic_config(conn), "head")
    assert _shape(migrated) == _shape(declared)


NEXT_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("artifacts", recreate="{recreate}") as batch:
        batch.add_column(sa.Column("pinned", sa.Boolean(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("artifacts") as batch:
        batch.drop_column("pinned")
"""


def test_a_later_migration_that_rebuilds_a_table_keeps_the_rows_that_point_at_it(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite rebuilds a table to alter it; with foreign keys on, dropping the old `artifacts`
    would cascade into ratings and messages. The upgrade runs with them off, then checks.
    PostgreSQL alters the table in place (ALTER TABLE): the same rows must survive."""
    scripts = tmp_path / "migrations"
    shutil.copytree(
        migrations.HERE, scripts, ignore=shutil.ignore_patterns("__pycache__", "__main__.py")
    )
    head = migrations.head_revision()
    rev = f"{int(head) + 1:04d}"
    (scripts / "versions" / f"{rev}_pinned.py").write_text(
        NEXT_REVISION.format(
            rev=rev, down=head, recreate="always" if database.kind == "sqlite" else "auto"
        ),
        encoding="utf-8",
    )
    previous_release_database(database)
    Store(database.url)  # today's head

    monkeypatch.setattr(migrations, "HERE", scripts)
    migrations.head_revision.cache_clear()
    try:
        store = Store(database.url)
    finally:
        migrations.head_revision.cache_clear()

    assert (store.schema_change.before, store.schema_change.after) == (head, rev)
    assert {a.kind: a.rating for a in store.list_artifacts()}["answer"] == 1
    assert [m.artifact_id for m in store.get_messages(1)] == [None, 1]
    engine = database.engine()
    try:
        columns = [c["name"] for c in sa.inspect(engine).get_columns("artifacts")]
    finally:
        engine.dispose()
    assert "pinned" in columns
    assert database.count("ratings") == 2 and database.count("messages") == 2
    if database.kind == "sqlite":
        assert store.schema_change.backup.name.startswith(f"coach.db.bak-{head}-")
        with sqlite3.connect(database.path) as conn:
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_on_postgresql_an_upgrade_waits_for_the_advisory_lock_another_process_holds(
    postgres_server: PostgresServer,
) -> None:
    """The PostgreSQL path of the upgrade lock: while another session holds the coach's
    advisory lock (as a coach process migrating would), a starting Store waits, and builds the
    schema once the lock is released."""
    url = postgres_server.new_database()
    holder = sa.create_engine(url)
    outcome: dict[str, object] = {}

    def start_store() -> None:
        try:
            outcome["store"] = Store(url)
        except BaseException as exc:  # surfaced by the assertions below
            outcome["error"] = exc

    try:
        with holder.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": migrations.PG_LOCK_KEY})
            conn.commit()
            starter = threading.Thread(target=start_store)
            starter.start()
            deadline = time.monotonic() + 30
            waiting = 0
            while waiting == 0 and time.monotonic() < deadline:
                # The Store's session shows up waiting for the advisory lock.
                waiting = conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND NOT granted AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())"
                    )
                ).scalar()
                conn.commit()
                time.sleep(0.05)
            assert waiting == 1
            assert starter.is_alive() and outcome == {}
            assert "alembic_version" not in sa.inspect(conn).get_table_names()
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": migrations.PG_LOCK_KEY})
            conn.commit()
        starter.join(timeout=60)
        assert not starter.is_alive() and "error" not in outcome, outcome
        store = outcome["store"]
        assert store.schema_change is not None and store.schema_change.before is None
        assert version_rows(Database("postgresql", url)) == [(migrations.head_revision(),)]
        store.engine.dispose()
    finally:
        holder.dispose()
        postgres_server.drop_database(url)


def test_a_database_at_0003_upgrades_to_accounts_in_place_and_the_first_admin_keeps_it(
    database: Database,
) -> None:
    """Issue 12: a user's database of the pairs release (revision 0003) gains the accounts
    tables and owner columns without a rebuild; nothing is lost, and the first admin takes over
    everything made in personal mode, so nothing is left visible to everyone."""
    from assistant.accounts import Accounts
    from assistant.pair_store import PairStore

    previous_release_database(database)
    engine = database.engine()
    with engine.begin() as conn:
        command.stamp(migrations.alembic_config(conn), migrations.BASELINE)
        command.upgrade(migrations.alembic_config(conn), "0003")
        conn.exec_driver_sql(
            "INSERT INTO pairs (id, mentor, mentee, mentor_role, mentee_role, start_date, "
            "cadence_days, sessions_planned, status, created_at, updated_at) VALUES "
            "(1, 'Priya', 'Gordon', 'analyst', 'CFO', '2026-10-01', 14, 6, 'active', 'x', 'x')"
        )
        conn.exec_driver_sql(
            "INSERT INTO pair_sessions (pair_id, number, held_on, next_focus, created_at) "
            "VALUES (1, 1, '2026-10-01', 'threads', 'x')"
        )
        conn.exec_driver_sql(
            "INSERT INTO pair_artifacts (artifact_id, pair_id, session_number) VALUES (4, 1, 1)"
        )
        if database.kind == "postgresql":  # the pairs release inserted without ids
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('pairs', 'id'), 1)")
    engine.dispose()

    store = Store(database.url)
    assert (store.schema_change.before, store.schema_change.after) == ("0003", "0004")
    assert (store.schema_change.backup is not None) == (database.kind == "sqlite")
    # Personal mode: every row is there, as before.
    assert len(store.list_artifacts()) == 4 and len(store.list_conversations()) == 1
    assert PairStore(store).get_pair(1).mentor == "Priya"
    assert database.scalar("SELECT count(*) FROM artifacts WHERE owner_id IS NULL") == 4
    if database.kind == "sqlite":
        with sqlite3.connect(database.path) as conn:
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

    admin = Accounts(store).add_user("boss@example.org", "admin", "correct horse battery")
    for table in ("artifacts", "conversations"):
        unowned = database.scalar(f"SELECT count(*) FROM {table} WHERE owner_id IS NULL")
        assert unowned == 0, table
    assert database.scalar("SELECT count(*) FROM pairs") == 1
    assert database.scalar("SELECT keeper_id FROM pairs") == admin.id
