"""Per-day totals for the period reports, filled from the records already there.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.String(length=64)


def upgrade() -> None:
    op.create_table(
        "zone_day_totals",
        sa.Column("zone", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("stay_s", sa.BigInteger(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("billed_fen", sa.BigInteger(), nullable=False),
        sa.Column("adjustments", sa.Integer(), nullable=False),
        sa.Column("adjustments_fen", sa.BigInteger(), nullable=False),
        sa.Column("occupied_s", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("zone", "day", name="pk_zone_day_totals"),
    )
    op.create_table(
        "district_day_totals",
        sa.Column("district", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("needed", sa.Integer(), nullable=False),
        sa.Column("cleared_on_time", sa.Integer(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("district", "day", name="pk_district_day_totals"),
    )
    # Frozen SQL, not the models: this migration must mean the same whatever the code becomes.
    op.execute(
        """
        INSERT INTO zone_day_totals (zone, day, sessions, stay_s, flagged, billed_fen,
                                     adjustments, adjustments_fen, occupied_s)
        SELECT k.zone, k.day,
          (SELECT count(*) FROM parking_sessions s
            WHERE s.zone = k.zone AND s.end_day = k.day AND s.status = 'closed'),
          (SELECT coalesce(sum(s.duration_s), 0) FROM parking_sessions s
            WHERE s.zone = k.zone AND s.end_day = k.day AND s.status = 'closed'),
          (SELECT count(*) FROM parking_sessions s
            WHERE s.zone = k.zone AND s.end_day = k.day AND s.status = 'closed'
              AND s.flags != ''),
          (SELECT coalesce(sum(c.amount_fen), 0) FROM charges c
            WHERE c.zone = k.zone AND c.business_day = k.day),
          (SELECT count(*) FROM charges c
            WHERE c.zone = k.zone AND c.business_day = k.day AND c.kind = 'reversal'),
          (SELECT coalesce(sum(c.amount_fen), 0) FROM charges c
            WHERE c.zone = k.zone AND c.business_day = k.day AND c.kind = 'reversal'),
          (SELECT coalesce(sum(h.occupied_s), 0) FROM zone_occupancy_hours h
            WHERE h.zone = k.zone AND h.day = k.day)
        FROM (
          SELECT zone, end_day AS day FROM parking_sessions
            WHERE status = 'closed' AND end_day IS NOT NULL
          UNION SELECT zone, business_day FROM charges
          UNION SELECT zone, day FROM zone_occupancy_hours
        ) k
        """
    )
    op.execute(
        """
        INSERT INTO district_day_totals (district, day, needed, cleared_on_time, late,
                                         corrections)
        SELECT district, day,
          sum(CASE WHEN revision = 0 AND needed THEN 1 ELSE 0 END),
          sum(CASE WHEN revision = 0 AND cleared AND NOT late THEN 1 ELSE 0 END),
          sum(CASE WHEN revision = 0 AND late THEN 1 ELSE 0 END),
          sum(CASE WHEN revision > 0 THEN 1 ELSE 0 END)
        FROM clearance_verdicts GROUP BY district, day
        """
    )


def downgrade() -> None:
    op.drop_table("district_day_totals")
    op.drop_table("zone_day_totals")
