"""Zone revisions: a counter per parking zone that changes with its stays and charges, and per
space the zone's revision when that space's stays last changed.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zone_revisions",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("zone", name="pk_zone_revisions"),
    )
    op.create_table(
        "space_revisions",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("space", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("zone", "space", name="pk_space_revisions"),
    )


def downgrade() -> None:
    op.drop_table("space_revisions")
    op.drop_table("zone_revisions")
