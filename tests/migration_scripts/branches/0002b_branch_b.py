"""Branch b (test-only)

Revision ID: 0002b
Revises: 0001
Create Date: 2026-11-29 09:32:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002b"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("branch_b", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("branch_b")
