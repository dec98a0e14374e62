"""Browse indexes: pg_trgm substring search, (column, id) btrees for sorted keyset reads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 09:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGRAM = [
    ("organization", "name"),
    ("user", "name"),
    ("user", "email"),
    ("user", "firebase_id"),
    ("plugin", "title"),
]
KEYSET = [
    ("organization", "name"),
    ("user", "name"),
    ("user", "status"),
    ("user", "is_system"),
    ("user", "firebase_id"),
    ("user", "date_joined"),
    ("user", "last_login"),
    ("user", "organization_id"),
    ("plugin", "title"),
    ("plugin", "data_source"),
    ("plugin", "created_at"),
]


def upgrade() -> None:
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in TRIGRAM:
        op.create_index(
            f"ix_{table}_{column}_trgm",
            table,
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )
    for table, column in KEYSET:
        op.create_index(f"ix_{table}_{column}_id", table, [column, "id"])


def downgrade() -> None:
    for table, column in reversed(KEYSET):
        op.drop_index(f"ix_{table}_{column}_id", table_name=table)
    for table, column in reversed(TRIGRAM):
        op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
