"""Fee collection: plates bound to stays (with corrections), payments and refunds, refused
payment notifications, and the overdue notices sent.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(length=64)
UTC_TIME = sa.DateTime(timezone=False)


def upgrade() -> None:
    op.create_table(
        "plate_bindings",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("session_id", ROW_ID, nullable=False),
        sa.Column("zone", ID, nullable=False),
        sa.Column("space", ID, nullable=False),
        sa.Column("observed_at", UTC_TIME, nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("colour", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("actor", ID, nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("corrects_id", ROW_ID, nullable=True),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["parking_sessions.id"],
            name="fk_plate_bindings_session_id_parking_sessions",
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"],
            ["plate_bindings.id"],
            name="fk_plate_bindings_corrects_id_plate_bindings",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_plate_bindings"),
        sa.UniqueConstraint("corrects_id", name="uq_plate_bindings_corrects_id"),
    )
    op.create_index("ix_plate_bindings_plate", "plate_bindings", ["plate"])
    op.create_index("ix_plate_bindings_session_id", "plate_bindings", ["session_id"])
    op.create_table(
        "payments",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("channel", ID, nullable=False),
        sa.Column("txn_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("charge_id", ROW_ID, nullable=False),
        sa.Column("session_id", ROW_ID, nullable=False),
        sa.Column("zone", ID, nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", UTC_TIME, nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["charge_id"], ["charges.id"], name="fk_payments_charge_id_charges"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["parking_sessions.id"], name="fk_payments_session_id_parking_sessions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.UniqueConstraint("channel", "txn_id", name="uq_payments_channel_txn"),
        sa.UniqueConstraint("digest", name="uq_payments_digest"),
    )
    op.create_index("ix_payments_session_id", "payments", ["session_id"])
    op.create_index("ix_payments_business_day", "payments", ["business_day", "zone"])
    op.create_table(
        "refused_notifications",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("received_at", UTC_TIME, nullable=False),
        sa.Column("channel", ID, nullable=True),
        sa.Column("txn_id", ID, nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_refused_notifications"),
    )
    op.create_index("ix_refused_notifications_digest", "refused_notifications", ["digest"])
    op.create_table(
        "overdue_notices",
        sa.Column("session_id", ROW_ID, nullable=False),
        sa.Column("owed_fen", sa.BigInteger(), nullable=False),
        sa.Column("noticed_at", UTC_TIME, nullable=False),
        sa.Column("published_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["parking_sessions.id"],
            name="fk_overdue_notices_session_id_parking_sessions",
        ),
        sa.PrimaryKeyConstraint("session_id", name="pk_overdue_notices"),
    )


def downgrade() -> None:
    op.drop_table("overdue_notices")
    op.drop_table("refused_notifications")
    op.drop_table("payments")
    op.drop_table("plate_bindings")
