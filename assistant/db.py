"""The history database: its tables and the engine (SQLite tuned for concurrent writers).

Only portable SQLAlchemy types are used, so DATABASE_URL may point at PostgreSQL.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from assistant.errors import CoachError

_URL_HINT = (
    "Set DATABASE_URL to a writable location such as sqlite:///data/coach.db "
    "(or unset it to use the default in the data folder)."
)

metadata = sa.MetaData()
conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("persona", sa.String(40), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False, index=True),
    # The account it belongs to (issue 12); NULL: made in personal mode, before any account.
    sa.Column("owner_id", sa.Integer, nullable=True, index=True),
)
artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False, index=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("backend", sa.String(100), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("prompt_version", sa.String(100), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    # Lower-cased title + the payload's string values, so a search does not match JSON keys.
    sa.Column("search_text", sa.Text, nullable=False),
    sa.Column(
        "conversation_id",
        sa.Integer,
        sa.ForeignKey("conversations.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column("owner_id", sa.Integer, nullable=True, index=True),
    # For a pair's notes and summaries: "pair" (shared with my pair) or "private" (only me).
    sa.Column("visibility", sa.String(10), nullable=True),
)
messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "conversation_id",
        sa.Integer,
        sa.ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column(
        "artifact_id", sa.Integer, sa.ForeignKey("artifacts.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("created_at", sa.String(40), nullable=False),
)
ratings = sa.Table(
    "ratings",
    metadata,
    sa.Column(
        "artifact_id",
        sa.Integer,
        sa.ForeignKey("artifacts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
)
# A thumbs-down item its user chose to share with the program team, redacted before it is
# stored; a lead may turn it into an eval case (kept in `eval_case`, exported as JSONL).
shared_items = sa.Table(
    "shared_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "artifact_id",
        sa.Integer,
        sa.ForeignKey("artifacts.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("redactions", sa.Integer, nullable=False),
    sa.Column("shared_at", sa.String(40), nullable=False),
    sa.Column("eval_case", sa.JSON, nullable=True),
    sa.Column("promoted_at", sa.String(40), nullable=True),
)
eval_runs = sa.Table(
    "eval_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("suites", sa.JSON, nullable=False),
    sa.Column("backend", sa.String(100), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("prompt_versions", sa.JSON, nullable=False),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("metrics", sa.JSON, nullable=False),
)
eval_cases = sa.Table(
    "eval_cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "run_id",
        sa.Integer,
        sa.ForeignKey("eval_runs.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("suite", sa.String(100), nullable=False),
    sa.Column("case_id", sa.String(200), nullable=False),
    sa.Column("input", sa.JSON, nullable=False),
    sa.Column("output", sa.JSON, nullable=True),
    sa.Column("scores", sa.JSON, nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
)

# --- pairs (issue 11): a pair's goals, sessions, tracked actions, ledger and artifacts -------
cohorts = sa.Table(
    "cohorts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("start_date", sa.String(10), nullable=False),
    sa.Column("end_date", sa.String(10), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
)
pairs = sa.Table(
    "pairs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mentor", sa.String(200), nullable=False),
    sa.Column("mentee", sa.String(200), nullable=False),
    sa.Column("mentor_role", sa.String(120), nullable=False),
    sa.Column("mentee_role", sa.String(120), nullable=False),
    sa.Column("start_date", sa.String(10), nullable=False),
    sa.Column("cadence_days", sa.Integer, nullable=False),
    sa.Column("sessions_planned", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column(
        "cohort_id", sa.Integer, sa.ForeignKey("cohorts.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    # The two accounts of the pair (issue 12), matched by a lead; NULL until matched.
    sa.Column("mentor_user_id", sa.Integer, nullable=True, index=True),
    sa.Column("mentee_user_id", sa.Integer, nullable=True, index=True),
    # The account that kept a pair made in personal mode; it reads the pair as a member
    # while no account is matched to it.
    sa.Column("keeper_id", sa.Integer, nullable=True),
)


def _pair_fk() -> sa.Column:
    return sa.Column(
        "pair_id",
        sa.Integer,
        sa.ForeignKey("pairs.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


pair_goals = sa.Table(
    "pair_goals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _pair_fk(),
    sa.Column("side", sa.String(10), nullable=False),  # senior | junior: who wants to learn it
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("progress", sa.Integer, nullable=False),  # 1-5
    sa.Column("position", sa.Integer, nullable=False),
)
pair_sessions = sa.Table(
    "pair_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _pair_fk(),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("held_on", sa.String(10), nullable=False),
    sa.Column("next_focus", sa.Text, nullable=False),
    sa.Column("rating", sa.Integer, nullable=True),  # 1-5, how the session went
    sa.Column(
        "summary_id", sa.Integer, sa.ForeignKey("artifacts.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("created_at", sa.String(40), nullable=False),
    # Who recorded it and who may read its summary, actions and learnings ("pair"|"private").
    sa.Column("author_id", sa.Integer, nullable=True),
    sa.Column("visibility", sa.String(10), nullable=True),
    sa.UniqueConstraint("pair_id", "number", name="uq_pair_session_number"),
)
pair_actions = sa.Table(
    "pair_actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _pair_fk(),
    sa.Column("session_number", sa.Integer, nullable=False),
    sa.Column("owner", sa.String(60), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("due", sa.String(100), nullable=True),
    sa.Column("status", sa.String(10), nullable=False),  # open | done | dropped
    sa.Column("updated_at", sa.String(40), nullable=False),
)
pair_ledger = sa.Table(
    "pair_ledger",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _pair_fk(),
    sa.Column("session_number", sa.Integer, nullable=False),
    sa.Column("side", sa.String(10), nullable=False),  # senior | junior: who learned it
    sa.Column("text", sa.Text, nullable=False),
)
pair_artifacts = sa.Table(
    "pair_artifacts",
    metadata,
    sa.Column(
        "artifact_id",
        sa.Integer,
        sa.ForeignKey("artifacts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    _pair_fk(),
    sa.Column("session_number", sa.Integer, nullable=True),
)
pair_conversations = sa.Table(
    "pair_conversations",
    metadata,
    sa.Column(
        "conversation_id",
        sa.Integer,
        sa.ForeignKey("conversations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    _pair_fk(),
)


# --- accounts (issue 12): users, the audit log, small app state ------------------------------
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),  # stored lower-cased
    sa.Column("role", sa.String(10), nullable=False),  # mentor | mentee | lead | admin
    sa.Column("password_hash", sa.String(200), nullable=True),  # NULL: single sign-on only
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("failed_signins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.String(40), nullable=True),
    # Bumped when the password changes or is reset: older sign-in cookies stop working.
    sa.Column("session_version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("consented_at", sa.String(40), nullable=True),  # saw the summarising notice
)
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.String(40), nullable=False, index=True),
    # Who: an email (kept when the account is removed), "personal" or "system".
    sa.Column("actor", sa.String(320), nullable=False),
    sa.Column("action", sa.String(40), nullable=False, index=True),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),  # ids, roles, counts: never notes or chats
)
app_state = sa.Table(
    "app_state",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


def mask_url(raw: str) -> str:
    """The URL with any password replaced by ***, safe to show or log."""
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", raw)


def database_error(shown: str, exc: sa_exc.DBAPIError) -> CoachError:
    """One line for a database failure (the driver's first line), with what to do about it."""
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
    if "locked" in reason:
        hint = "Another program is busy with the database; try again in a moment."
    elif shown.startswith("postgresql") and isinstance(exc, sa_exc.OperationalError):
        hint = (
            "Check that the PostgreSQL server named in DATABASE_URL is running and reachable, "
            "and that its user, password and database name are right."
        )
    else:
        hint = _URL_HINT
    return CoachError(f"Cannot use the database at {shown} ({reason}).", hint)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take over BEGIN from the sqlite3 module so writes can use BEGIN IMMEDIATE (see _begin).
    dbapi_connection.isolation_level = None
    # Case-insensitive search beyond ASCII: SQLite's own lower() only folds A-Z.
    dbapi_connection.create_function(
        "lower", 1, lambda s: s.lower() if isinstance(s, str) else s, deterministic=True
    )
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # A deferred transaction that later writes can fail at once with "database is locked";
    # taking the write lock first makes concurrent writers wait for the busy timeout instead.
    immediate = conn.get_execution_options().get("coach_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _make_engine(database_url: str) -> Engine:
    shown = mask_url(database_url)
    try:
        url: URL = make_url(database_url)
    except sa_exc.ArgumentError as exc:
        raise CoachError(f"DATABASE_URL {shown!r} is not a database URL.", _URL_HINT) from exc
    kwargs: dict[str, Any] = {}
    is_sqlite = url.get_backend_name() == "sqlite"
    if is_sqlite:
        database = url.database or ""
        if database in ("", ":memory:"):
            # One shared connection, so every caller sees the same in-memory database.
            kwargs = {"poolclass": sa.pool.StaticPool, "connect_args": {"check_same_thread": False}}
        elif not database.startswith("file:"):
            try:
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CoachError(
                    f"Cannot create the folder for the database {shown} ({exc.strerror}).",
                    _URL_HINT,
                ) from exc
    try:
        engine = sa.create_engine(url, **kwargs)
    except sa_exc.NoSuchModuleError as exc:
        raise CoachError(
            f"DATABASE_URL {shown!r} names an unknown database type.", _URL_HINT
        ) from exc
    except ImportError as exc:
        raise CoachError(
            f"DATABASE_URL {shown!r} needs the Python driver {exc.name!r}, which is not installed.",
            "Install it (for PostgreSQL: pip install 'psycopg[binary]') or use a sqlite:/// URL.",
        ) from exc
    except sa_exc.ArgumentError as exc:
        raise CoachError(f"DATABASE_URL {shown!r} is not usable ({exc}).", _URL_HINT) from exc
    if is_sqlite:
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
    return engine
