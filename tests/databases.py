"""The history database a test runs on: a SQLite file or a database on a real PostgreSQL
server (see the `database` fixture in tests/conftest.py), and a direct look at its tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa


@dataclass
class Database:
    """A fresh, empty history database of one kind, and a way to look at it directly."""

    kind: str  # sqlite | postgresql
    url: str
    path: Path | None = None  # the SQLite file

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url)

    def scalar(self, sql: str, **params: object) -> object:
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(sql), params).scalar()
        finally:
            engine.dispose()

    def execute(self, sql: str, **params: object) -> None:
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(sql), params)
        finally:
            engine.dispose()

    def count(self, table: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {table}"))

    def tables(self) -> set[str]:
        engine = sa.create_engine(self.url)
        try:
            return set(sa.inspect(engine).get_table_names())
        finally:
            engine.dispose()


def new_database(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Database:
    """An empty database of `kind`: a file in tmp_path, or a new database on the session's
    PostgreSQL server (dropped when the test ends)."""
    if kind == "sqlite":
        path = tmp_path / "data" / "coach.db"
        return Database("sqlite", f"sqlite:///{path}", path)
    server = request.getfixturevalue("postgres_server")
    url = server.new_database()
    request.addfinalizer(lambda: server.drop_database(url))
    return Database("postgresql", url)
