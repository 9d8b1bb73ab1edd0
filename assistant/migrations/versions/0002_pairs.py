"""Pairs (issue 11): cohorts, pairs, their goals, sessions, tracked actions, ledger, and the
links from a pair to its artifacts and conversations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Only new tables: databases of earlier releases keep every row they had.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _pair_fk() -> sa.Column:
    return sa.Column("pair_id", sa.Integer(), nullable=False)


def _pair_fk_constraint() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["pair_id"], ["pairs.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.String(length=10), nullable=False),
        sa.Column("end_date", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mentor", sa.String(length=200), nullable=False),
        sa.Column("mentee", sa.String(length=200), nullable=False),
        sa.Column("mentor_role", sa.String(length=120), nullable=False),
        sa.Column("mentee_role", sa.String(length=120), nullable=False),
        sa.Column("start_date", sa.String(length=10), nullable=False),
        sa.Column("cadence_days", sa.Integer(), nullable=False),
        sa.Column("sessions_planned", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pair_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        _pair_fk(),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _pair_fk_constraint(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pair_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        _pair_fk(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.String(length=10), nullable=False),
        sa.Column("next_focus", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("summary_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        _pair_fk_constraint(),
        sa.ForeignKeyConstraint(["summary_id"], ["artifacts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pair_id", "number", name="uq_pair_session_number"),
    )
    op.create_table(
        "pair_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        _pair_fk(),
        sa.Column("session_number", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=60), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("updated_at", sa.String(length=40), nullable=False),
        _pair_fk_constraint(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pair_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        _pair_fk(),
        sa.Column("session_number", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _pair_fk_constraint(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pair_artifacts",
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        _pair_fk(),
        sa.Column("session_number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["artifact_id"], ["artifacts.id"], ondelete="CASCADE"),
        _pair_fk_constraint(),
        sa.PrimaryKeyConstraint("artifact_id"),
    )
    op.create_table(
        "pair_conversations",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        _pair_fk(),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        _pair_fk_constraint(),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    for table in (
        "pair_goals",
        "pair_sessions",
        "pair_actions",
        "pair_ledger",
        "pair_artifacts",
        "pair_conversations",
    ):
        op.create_index(f"ix_{table}_pair_id", table, ["pair_id"])


def downgrade() -> None:
    for table in (
        "pair_conversations",
        "pair_artifacts",
        "pair_ledger",
        "pair_actions",
        "pair_sessions",
        "pair_goals",
    ):
        op.drop_index(f"ix_{table}_pair_id", table_name=table)
        op.drop_table(table)
    op.drop_table("pairs")
    op.drop_table("cohorts")
