"""Audit trail: tenantry_audit records every change made through Tenantry.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenantry_audit",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("db_user", sa.String(), server_default=sa.text("current_user"), nullable=False),
        sa.Column("os_user", sa.String(), nullable=False),
        sa.Column("profile", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenantry_audit")),
    )
    op.create_index(op.f("ix_tenantry_audit_at"), "tenantry_audit", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tenantry_audit_at"), table_name="tenantry_audit")
    op.drop_table("tenantry_audit")
