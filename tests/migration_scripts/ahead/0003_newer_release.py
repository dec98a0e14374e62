"""A newer release's revision (test-only)

Revision ID: 9003
Revises: 9002
Create Date: 2026-11-29 09:33:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "9003"
down_revision = "9002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("newer_feature", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("newer_feature")
