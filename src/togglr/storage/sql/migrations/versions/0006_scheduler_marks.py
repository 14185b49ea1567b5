"""governance: how far schedule transitions have been recorded (back-fill after downtime)

Revision ID: 0006_scheduler_marks
Revises: 0003_governance
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_scheduler_marks"
down_revision = "0003_governance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_marks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("checked_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_marks")),
    )


def downgrade() -> None:
    op.drop_table("scheduler_marks")
