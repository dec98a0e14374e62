"""SQLAlchemy models of the product's tables, exactly as DATA_MODEL.md specifies them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from desktop.core.user_status import UserStatus as UserStatus

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class StatusType(TypeDecorator[UserStatus]):
    """An INTEGER column that reads and writes `UserStatus`."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(UserStatus(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> UserStatus | None:
        return None if value is None else UserStatus(value)


def trigram_index(table: str, column: str) -> Index:
    """A pg_trgm GIN index: substring search (ILIKE '%...%') without a full scan."""
    return Index(
        f"ix_{table}_{column}_trgm",
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
    )


def keyset_index(table: str, column: str) -> Index:
    """A btree on (column, id): sorting by `column` with a stable tiebreak, read by keyset."""
    return Index(f"ix_{table}_{column}_id", column, "id")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Organization(Base):
    """A tenant: users and plugins belong to one."""

    __tablename__ = "organization"
    __table_args__ = (
        trigram_index("organization", "name"),
        keyset_index("organization", "name"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String, nullable=False)

    users: Mapped[list[User]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", passive_deletes=True
    )
    plugins: Mapped[list[Plugin]] = relationship(back_populates="organization")


class User(Base):
    """A person (or system account) of one organization."""

    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("char_length(name) >= 1", name="name_not_empty"),
        CheckConstraint("char_length(email) >= 1", name="email_not_empty"),
        CheckConstraint("status BETWEEN 1 AND 3", name="status_valid"),
        trigram_index("user", "name"),
        trigram_index("user", "email"),
        trigram_index("user", "firebase_id"),
        *(
            keyset_index("user", column)
            for column in (
                "name",
                "status",
                "is_system",
                "firebase_id",
                "date_joined",
                "last_login",
                "organization_id",
            )
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    firebase_id: Mapped[str | None] = mapped_column(String, nullable=True)
    name: Mapped[str] = mapped_column(String, nullable=False)
    email: Mapped[str] = mapped_column(String, nullable=False, unique=True)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[UserStatus] = mapped_column(StatusType, nullable=False, server_default=text("1"))
    is_system: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    active_token_id: Mapped[str | None] = mapped_column(String, nullable=True)
    date_joined: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    last_login: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    organization: Mapped[Organization] = relationship(back_populates="users", lazy="joined")


class Plugin(Base):
    """An integration (data source) configured for one organization."""

    __tablename__ = "plugin"
    __table_args__ = (
        trigram_index("plugin", "title"),
        *(keyset_index("plugin", c) for c in ("title", "data_source", "created_at")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organization.id"), nullable=False, index=True
    )
    data_source: Mapped[str] = mapped_column(String, nullable=False)
    title: Mapped[str] = mapped_column(String, nullable=False)
    credentials: Mapped[Any] = mapped_column(JSON, nullable=False)
    properties: Mapped[Any] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=False),
        nullable=False,
        server_default=text("timezone('utc', now())"),
    )

    organization: Mapped[Organization] = relationship(back_populates="plugins")


class AuditEntry(Base):
    """One change made through Tenantry (Tenantry's own table, not the product's)."""

    __tablename__ = "tenantry_audit"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()"), index=True
    )
    db_user: Mapped[str] = mapped_column(
        String, nullable=False, server_default=text("current_user")
    )
    os_user: Mapped[str] = mapped_column(String, nullable=False)
    profile: Mapped[str] = mapped_column(String, nullable=False)
    entity: Mapped[str] = mapped_column(String, nullable=False)
    entity_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    action: Mapped[str] = mapped_column(String, nullable=False)
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
