"""Cases (issue 16): each case's current state and its events; the outbox that hands events
to the city-management platform, and the platform's requests already taken (replays).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(length=64)
CASE_ID = sa.String(length=240)
# UTC, naive on disk, as in 0001 (frozen here: a migration must not follow the code).
UTC_TIME = sa.DateTime(timezone=False)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", CASE_ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("area", ID, nullable=False),
        sa.Column("device", ID, nullable=False),
        sa.Column("opened_at", UTC_TIME, nullable=False),
        sa.Column("deadline", UTC_TIME, nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_at", UTC_TIME, nullable=False),
        sa.Column("assignee", ID, nullable=True),
        sa.Column("verified_by", sa.String(length=160), nullable=True),
        sa.Column("closed_at", UTC_TIME, nullable=True),
        sa.Column("escalated_at", UTC_TIME, nullable=True),
        sa.Column("reworks", sa.Integer(), nullable=False),
        sa.Column("opened_day", sa.Date(), nullable=False),
        sa.Column("judged_day", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
    )
    op.create_index("ix_cases_stage", "cases", ["stage", "kind"])
    op.create_index("ix_cases_opened_day", "cases", ["opened_day", "area"])
    op.create_index("ix_cases_judged_day", "cases", ["judged_day", "area"])
    op.create_table(
        "case_events",
        sa.Column("case_id", CASE_ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("by", sa.String(length=160), nullable=False),
        sa.Column("assignee", ID, nullable=True),
        sa.Column("basis", sa.String(length=32), nullable=True),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_events_case_id_cases"),
        sa.PrimaryKeyConstraint("case_id", "seq", name="pk_case_events"),
    )
    op.create_index("ix_case_events_at", "case_events", ["at"])
    op.create_table(
        "outbox",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("ordering", sa.String(length=300), nullable=False),
        sa.Column("topic", sa.String(length=400), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", UTC_TIME, nullable=False),
        sa.Column("delivered_at", UTC_TIME, nullable=True),
        sa.Column("dead_at", UTC_TIME, nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("channel", "key", name="uq_outbox_channel_key"),
    )
    op.create_index(
        "ix_outbox_pending", "outbox", ["channel", "delivered_at", "dead_at", "next_at"]
    )
    op.create_table(
        "inbound_requests",
        sa.Column("id", sa.String(length=300), nullable=False),
        sa.Column("received_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_requests"),
    )


def downgrade() -> None:
    op.drop_table("inbound_requests")
    op.drop_table("outbox")
    op.drop_table("case_events")
    op.drop_table("cases")
