"""Create a table, then fail (test-only)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 09:31:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer(), primary_key=True))
    op.add_column("organization", sa.Column("note", sa.String(), nullable=True))
    op.execute("SELECT no_such_function_tenantry_test()")


def downgrade() -> None:
    op.drop_table("half_done")
