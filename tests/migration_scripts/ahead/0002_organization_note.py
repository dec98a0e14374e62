"""Add organization.note (test-only)

Revision ID: 9002
Revises: 0001
Create Date: 2026-11-29 09:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "9002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organization", sa.Column("note", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("organization", "note")
