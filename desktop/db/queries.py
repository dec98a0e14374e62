"""SELECT statements for the three browse views: plain rows, keyset pagination by id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Text, case, cast, func, literal_column, select

from desktop.db.models import Organization, Plugin, User

# Plugin credentials never leave the server for display: only their key names do.
MASKED_CREDENTIALS = case(
    (
        func.json_typeof(Plugin.credentials) == "object",
        select(func.coalesce(func.string_agg(literal_column("k"), ", "), ""))
        .select_from(func.json_object_keys(Plugin.credentials).alias("k"))
        .scalar_subquery(),
    ),
    else_="",
)


def organizations() -> Select[Any]:
    users = (
        select(func.count())
        .where(User.organization_id == Organization.id)
        .correlate(Organization)
        .scalar_subquery()
    )
    plugins = (
        select(func.count())
        .where(Plugin.organization_id == Organization.id)
        .correlate(Organization)
        .scalar_subquery()
    )
    return select(Organization.id, Organization.name, users, plugins)


def users() -> Select[Any]:
    return select(
        User.id,
        User.name,
        User.email,
        Organization.name,
        User.status,
        User.is_system,
        User.firebase_id,
        User.date_joined,
        User.last_login,
        User.organization_id,
    ).join(Organization, Organization.id == User.organization_id)


def plugins() -> Select[Any]:
    return select(
        Plugin.id,
        Plugin.title,
        Plugin.data_source,
        Organization.name,
        MASKED_CREDENTIALS,
        func.left(cast(Plugin.properties, Text), 200),
        Plugin.created_at,
        Plugin.organization_id,
    ).join(Organization, Organization.id == Plugin.organization_id)
