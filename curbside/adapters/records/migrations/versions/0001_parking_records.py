"""Parking records: status reports kept for re-derivation, sessions, charges, zone hours.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(length=64)
# UTC, naive on disk (curbside.adapters.records.columns.UtcDateTime adds the offset back on
# reading).
UTC_TIME = sa.DateTime(timezone=False)


def upgrade() -> None:
    op.create_table(
        "space_reports",
        sa.Column("zone", ID, nullable=False),
        sa.Column("space", ID, nullable=False),
        sa.Column("ts", UTC_TIME, nullable=False),
        sa.Column("occupied", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("zone", "space", "ts", "occupied", "seq", name="pk_space_reports"),
    )
    op.create_table(
        "parking_sessions",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("zone", ID, nullable=False),
        sa.Column("space", ID, nullable=False),
        sa.Column("start", UTC_TIME, nullable=False),
        sa.Column("end", UTC_TIME, nullable=True),
        sa.Column("last_confirmed", UTC_TIME, nullable=False),
        sa.Column("flags", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("end_day", sa.Date(), nullable=True),
        sa.Column("duration_s", sa.BigInteger(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.Column("revised_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_parking_sessions"),
        sa.UniqueConstraint("zone", "space", "start", name="uq_parking_sessions_identity"),
    )
    op.create_index("ix_parking_sessions_end_day", "parking_sessions", ["end_day", "zone"])
    op.create_index("ix_parking_sessions_open", "parking_sessions", ["status", "zone", "space"])
    op.create_table(
        "charges",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("session_id", ROW_ID, nullable=False),
        sa.Column("zone", ID, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("tariff_id", ID, nullable=False),
        sa.Column("tariff_version", sa.Date(), nullable=True),
        sa.Column("priced_from", UTC_TIME, nullable=False),
        sa.Column("priced_until", UTC_TIME, nullable=False),
        sa.Column("breakdown", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("reverses_id", ROW_ID, nullable=True),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["charges.id"], name="fk_charges_reverses_id_charges"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["parking_sessions.id"], name="fk_charges_session_id_parking_sessions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_charges"),
        sa.UniqueConstraint("reverses_id", name="uq_charges_reverses_id"),
    )
    op.create_index("ix_charges_business_day", "charges", ["business_day", "zone"])
    op.create_index("ix_charges_session_id", "charges", ["session_id"])
    op.create_table(
        "zone_occupancy_hours",
        sa.Column("zone", ID, nullable=False),
        sa.Column("hour", UTC_TIME, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("occupied_s", sa.BigInteger(), nullable=False),
        sa.Column("spaces", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("zone", "hour", name="pk_zone_occupancy_hours"),
    )
    op.create_index("ix_zone_occupancy_hours_day", "zone_occupancy_hours", ["day", "zone"])


def downgrade() -> None:
    op.drop_index("ix_zone_occupancy_hours_day", table_name="zone_occupancy_hours")
    op.drop_table("zone_occupancy_hours")
    op.drop_index("ix_charges_session_id", table_name="charges")
    op.drop_index("ix_charges_business_day", table_name="charges")
    op.drop_table("charges")
    op.drop_index("ix_parking_sessions_open", table_name="parking_sessions")
    op.drop_index("ix_parking_sessions_end_day", table_name="parking_sessions")
    op.drop_table("parking_sessions")
    op.drop_table("space_reports")
