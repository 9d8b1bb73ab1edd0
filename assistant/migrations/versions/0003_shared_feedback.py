"""Items users chose to share with the program team (issue 17).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

A thumbs-down item is stored here, redacted, only when its user shares it; a lead may turn it
into an eval case (the `eval_case` column).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "shared_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("redactions", sa.Integer(), nullable=False),
        sa.Column("shared_at", sa.String(length=40), nullable=False),
        sa.Column("eval_case", sa.JSON(), nullable=True),
        sa.Column("promoted_at", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["artifact_id"], ["artifacts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("artifact_id"),
    )


def downgrade() -> None:
    op.drop_table("shared_items")
