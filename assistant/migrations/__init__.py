"""Schema migrations of the history database (Alembic), run by the coach itself on start.

`ensure_schema` brings any database to the newest revision: a new one gets every table, one
written before migrations existed (tables, no `alembic_version`) is recognised and stamped as
the first revision, an older one is upgraded. Before it changes a SQLite file that already
holds data it copies the file aside (`coach.db.bak-<revision>-<time>`), and it holds a lock
while it looks and changes, so two processes starting at once do not both migrate: a file
lock next to the SQLite file, or a PostgreSQL advisory lock. An up-to-date database costs one
query and takes no lock.

The scripts live in `versions/` beside this file; no alembic.ini is needed. To add one, see
`python -m assistant.migrations --help` (and the README).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from filelock import Timeout as LockTimeout
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from assistant.db import _URL_HINT, database_error
from assistant.errors import CoachError

HERE = Path(__file__).resolve().parent
BASELINE = "0001"  # the schema every release before migrations created with create_all
UNVERSIONED = "unversioned"  # tables from a release before migrations, no alembic_version
BASELINE_TABLES = frozenset(
    {"artifacts", "conversations", "eval_cases", "eval_runs", "messages", "ratings"}
)
LOCK_SECONDS = 120.0
# pg_advisory_lock takes a 64-bit key; any fixed number works as long as it is always the same.
PG_LOCK_KEY = 0x636F616368_6D6967  # "coach" "mig"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchemaChange:
    """What `ensure_schema` did: from which revision (None: a new database)."""

    before: str | None
    after: str
    backup: Path | None = None


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code (script_location is this package)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "assistant/migrations/versions has no revision"
    return head


def _known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def _state(conn: Connection) -> str | None:
    """The database's revision: None when it has none of our tables, UNVERSIONED when it has
    the tables of a release before migrations but no version."""
    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is not None:
        return revision
    present = BASELINE_TABLES & set(sa.inspect(conn).get_table_names())
    if not present:
        return None
    if present != BASELINE_TABLES:
        raise CoachError(
            f"The database has some of the coach's tables ({', '.join(sorted(present))}) "
            "but not all, and no schema version: it was not written by the coach.",
            "Point DATABASE_URL at the coach's own database, or at a new file.",
        )
    return UNVERSIONED


def _sqlite_file(engine: Engine) -> Path | None:
    """The SQLite database file, or None (in memory, a file: URI, or another database)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser()


@contextmanager
def _locked(engine: Engine, shown: str) -> Iterator[Connection]:
    """A connection that only one process at a time holds for migrating this database."""
    path = _sqlite_file(engine)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
                conn.commit()
        return
    if path is None:  # in memory (one process) or a URI we cannot lock beside
        with engine.connect() as conn:
            yield conn
        return
    lock = FileLock(f"{path}.lock", timeout=LOCK_SECONDS)
    try:
        lock.acquire()
    except LockTimeout as exc:
        raise CoachError(
            f"Another coach process has been upgrading the database at {shown} for over "
            f"{LOCK_SECONDS:.0f} s.",
            f"Wait for it to finish, or stop it (and remove {path}.lock) and start again.",
        ) from exc
    except OSError as exc:
        raise CoachError(
            f"Cannot lock the database at {shown} for an upgrade ({exc.strerror}).", _URL_HINT
        ) from exc
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        lock.release()


def _backup(path: Path, before: str) -> Path:
    """A consistent copy of the whole database (WAL included) beside it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.bak-{before}-{stamp}")
    source = sqlite3.connect(path)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    return target


def _migrate(conn: Connection, before: str | None) -> None:
    """Stamp an unversioned database, then upgrade it to head, in one transaction."""
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # SQLite's own recipe for schema changes: foreign keys off outside the transaction (a
        # table rebuilt by a batch migration must not cascade), checked before the commit.
        conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        with conn.begin():
            cfg = alembic_config(conn)
            if before == UNVERSIONED:
                command.stamp(cfg, BASELINE)
            command.upgrade(cfg, "head")
            if sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise CoachError(
                        f"The upgrade would leave {len(broken)} row(s) pointing at missing rows; "
                        "nothing was changed.",
                        "Report this with the backup file; keep using the previous version.",
                    )
    finally:
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def ensure_schema(engine: Engine) -> SchemaChange | None:
    """Bring the database to the newest schema; None when it already was."""
    shown = engine.url.render_as_string(hide_password=True)
    head = head_revision()
    try:
        if _sqlite_file(engine) is None:  # PostgreSQL (or SQLite in memory): read, then lock
            with engine.connect() as conn:
                if MigrationContext.configure(conn).get_current_revision() == head:
                    return None
        # A SQLite file is first read under the upgrade lock too: a process starting while
        # another creates or upgrades the file waits for the lock (LOCK_SECONDS), not for
        # SQLite's 10-second busy timeout, which a loaded CI machine outlasted ("database is
        # locked" for the second of two processes starting at once on a new file).
        with _locked(engine, shown) as conn:
            before = _state(conn)
            conn.rollback()  # end the read, so the upgrade can take the write lock
            if before == head:
                return None  # another process upgraded it while this one waited
            if before not in (None, UNVERSIONED) and before not in _known_revisions():
                raise CoachError(
                    f"The database at {shown} has schema revision {before}, which this version "
                    "of the coach does not know: a newer version wrote it.",
                    "Upgrade the coach, or point DATABASE_URL at another database.",
                )
            path = _sqlite_file(engine)
            backup = _backup(path, before) if path is not None and before is not None else None
            _migrate(conn, before)
    except sa_exc.DatabaseError as exc:
        raise database_error(shown, exc) from exc
    change = SchemaChange(before=before, after=head, backup=backup)
    if before is not None:
        was = "from before migrations" if before == UNVERSIONED else f"at revision {before}"
        kept = f"; the previous file is kept as {backup}" if backup else ""
        log.warning("Upgraded the history database (%s) to revision %s%s.", was, head, kept)
    return change
