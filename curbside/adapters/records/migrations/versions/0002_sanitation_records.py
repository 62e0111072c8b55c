"""Sanitation records: bin collections and daily clearance verdicts with their corrections.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(length=64)
UTC_TIME = sa.DateTime(timezone=False)


def upgrade() -> None:
    op.create_table(
        "bin_collections",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("district", ID, nullable=False),
        sa.Column("bin", ID, nullable=False),
        sa.Column("ts", UTC_TIME, nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("truck", ID, nullable=True),
        sa.Column("before_pct", sa.Double(), nullable=True),
        sa.Column("after_pct", sa.Double(), nullable=True),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bin_collections"),
        sa.UniqueConstraint("district", "bin", "ts", name="uq_bin_collections_identity"),
    )
    op.create_index("ix_bin_collections_ts", "bin_collections", ["ts"])
    op.create_table(
        "clearance_verdicts",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("district", ID, nullable=False),
        sa.Column("bin", ID, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("needed", sa.Boolean(), nullable=False),
        sa.Column("cleared", sa.Boolean(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("cleared_at", UTC_TIME, nullable=True),
        sa.Column("last_rise", UTC_TIME, nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_clearance_verdicts"),
        sa.UniqueConstraint("day", "district", "bin", "revision", name="uq_clearance_verdicts_rev"),
    )
    op.create_index("ix_clearance_verdicts_day", "clearance_verdicts", ["day", "district"])


def downgrade() -> None:
    op.drop_index("ix_clearance_verdicts_day", table_name="clearance_verdicts")
    op.drop_table("clearance_verdicts")
    op.drop_index("ix_bin_collections_ts", table_name="bin_collections")
    op.drop_table("bin_collections")
