"""Add a column, then sleep: a long migration to restart the server under (test-only)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 11:05:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organization", sa.Column("slow_note", sa.String(), nullable=True))
    op.execute("SELECT pg_sleep(60)")


def downgrade() -> None:
    op.drop_column("organization", "slow_note")
