"""The history database a test runs on: a SQLite file or a database on a real PostgreSQL
server (see the `database` fixture in tests/conftest.py), and a direct look at its tables."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa


@dataclass
class Database:
    """A fresh, empty history database of one kind, and a way to look at it directly."""

    kind: str  # sqlite | postgresql
    url: str

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
