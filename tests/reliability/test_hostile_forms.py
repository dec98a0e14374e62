"""Hostile input on every form's save path: a clean save or a KnownError that changed nothing.

The forms (desktop/ui/forms/) hand their fields to these service functions unchanged, so
the services are where hostile input meets the database. Each example records a checksum
of every table first: a rejected save must leave all of them (audit included) as they were;
an accepted one must store exactly what validation cleaned.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from desktop.core.errors import KnownError
from desktop.core.validation import ValidationError
from desktop.services import organizations, plugins, users
from desktop.services.database import Database
from desktop.services.writes import Actor

from .conftest import HOSTILE_PROFILE, checksum
from .hostile import hostile_email, hostile_text, json_text, maybe

T = TypeVar("T")
HOSTILE = settings.get_profile(HOSTILE_PROFILE)

org_ids = st.one_of(
    st.sampled_from([1, 2, 3]), st.integers(-3, 0), st.just(10**6), st.just(2**63), st.just(10**20)
)
timestamps = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12))]
        ),
    ),
    st.datetimes(),  # naive: must be refused, not guessed
    hostile_text,
)
USER_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "name": maybe(hostile_text),
    "email": maybe(hostile_email),
    "organization_id": st.one_of(org_ids, hostile_text, st.none()),
    "status": st.one_of(st.sampled_from([1, 2, 3, 0, 4, "active", "Deleted", "2"]), hostile_text),
    "is_system": maybe(st.booleans()),
    "firebase_id": maybe(hostile_text),
    "active_token_id": maybe(hostile_text),
    "last_login": timestamps,
}
user_fields = st.fixed_dictionaries({}, optional=USER_VALUES)
PLUGIN_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "organization_id": st.one_of(org_ids, hostile_text, st.none()),
    "data_source": maybe(hostile_text),
    "title": maybe(hostile_text),
    "credentials": st.one_of(json_text, st.dictionaries(hostile_text, hostile_text, max_size=3)),
    "properties": json_text,
}
plugin_fields = st.fixed_dictionaries({}, optional=PLUGIN_VALUES)


def attempt(db: Database, save: Callable[[], T]) -> T | None:
    """Run one save: it succeeds, or it raises a KnownError and the database is unchanged."""
    before = checksum(db.engine)
    try:
        return save()
    except KnownError as exc:
        assert exc.message.strip(), "a refusal must say why"
        assert checksum(db.engine) == before, f"refused ({exc.message}) but changed the database"
        return None


def stored(db: Database, sql: str, **params: Any) -> Any:
    with db.engine.connect() as connection:
        return connection.execute(text(sql), params).one()


@HOSTILE
@given(fields=user_fields)
def test_user_create(db: Database, actor: Actor, fields: dict[str, Any]) -> None:
    record = attempt(db, lambda: users.create(db, actor, fields))
    if record is not None:
        clean = users.validate(fields)
        row = stored(db, 'SELECT name, email, firebase_id FROM "user" WHERE id = :id', id=record.id)
        assert (row.name, row.email) == (clean["name"], clean["email"])
        assert row.firebase_id == clean.get("firebase_id")


@HOSTILE
@given(changes=user_fields, user_id=st.sampled_from([1, 2, 50, 999_999]))
def test_user_update(db: Database, actor: Actor, changes: dict[str, Any], user_id: int) -> None:
    record = attempt(
        db,
        lambda: users.update(
            db, actor, user_id, None, changes, overwrite=True, confirm_system=True
        ),
    )
    if record is not None:
        clean = users.validate(changes)
        for key, value in clean.items():
            assert getattr(record, key) == value, key


@HOSTILE
@given(name=maybe(hostile_text), org_id=st.sampled_from([1, 2, 999_999]))
def test_organization_create_and_rename(db: Database, actor: Actor, name: Any, org_id: int) -> None:
    created = attempt(db, lambda: organizations.create(db, actor, name))
    renamed = attempt(
        db, lambda: organizations.rename(db, actor, org_id, None, name, overwrite=True)
    )
    for record in (created, renamed):
        if record is not None:
            row = stored(db, "SELECT name FROM organization WHERE id = :id", id=record.id)
            assert row.name == organizations.clean_name(name)


@HOSTILE
@given(fields=plugin_fields)
def test_plugin_create(db: Database, actor: Actor, fields: dict[str, Any]) -> None:
    record = attempt(db, lambda: plugins.create(db, actor, fields))
    if record is not None:
        clean = plugins.validate(fields)
        row = stored(
            db, "SELECT title, credentials, properties FROM plugin WHERE id = :id", id=record.id
        )
        assert row.title == clean["title"]
        assert (row.credentials, row.properties) == (clean["credentials"], clean["properties"])


@HOSTILE
@given(changes=plugin_fields, plugin_id=st.sampled_from([1, 2, 999_999]))
def test_plugin_update(db: Database, actor: Actor, changes: dict[str, Any], plugin_id: int) -> None:
    record = attempt(
        db, lambda: plugins.update(db, actor, plugin_id, None, changes, overwrite=True)
    )
    if record is not None and "properties" in changes:
        assert record.properties == plugins.validate(changes)["properties"]


@HOSTILE
@given(
    change=st.one_of(
        *(st.tuples(st.just(key), value) for key, value in PLUGIN_VALUES.items()),
        *(st.tuples(st.just(key), value) for key, value in USER_VALUES.items()),
    )
)
def test_one_field_at_a_time(db: Database, actor: Actor, change: tuple[str, Any]) -> None:
    """What editing a single field of an open form sends: each field's own edge cases."""
    key, value = change
    if key in plugins.EDITABLE:
        record: Any = attempt(
            db, lambda: plugins.update(db, actor, 1, None, {key: value}, overwrite=True)
        )
        clean = plugins.validate({key: value}) if record is not None else {}
        if key in ("properties", "title", "data_source") and record is not None:
            assert getattr(record, key) == clean[key]
    if key in users.EDITABLE:
        record = attempt(
            db,
            lambda: users.update(
                db, actor, 2, None, {key: value}, overwrite=True, confirm_system=True
            ),
        )
        if record is not None:
            assert getattr(record, key) == users.validate({key: value})[key]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"properties": "[" * 5_000 + "]" * 5_000}, "properties"),  # was a RecursionError
        ({"credentials": '{"key": NaN}'}, "credentials"),  # was a DataError with the SQL
        ({"properties": '{"a": 1e999}'}, "properties"),
        ({"properties": '{"a": "\\ud800"}'}, "properties"),
        ({"properties": "[1" + "0" * 5_000 + "]"}, "properties"),
        ({"organization_id": 2**63}, "organization_id"),  # was "bigint out of range"
    ],
)
def test_inputs_that_used_to_crash_the_plugin_save(
    db: Database, actor: Actor, changes: dict[str, Any], field: str
) -> None:
    before = checksum(db.engine)
    with pytest.raises(ValidationError) as refused:
        plugins.update(db, actor, 1, None, changes, overwrite=True)
    assert refused.value.field == field and refused.value.message.startswith(
        ("Properties", "Credentials", "Organization")
    )
    assert checksum(db.engine) == before


def test_an_organization_id_beyond_bigint_is_refused_for_users(db: Database, actor: Actor) -> None:
    before = checksum(db.engine)
    with pytest.raises(ValidationError, match="does not exist"):
        users.update(db, actor, 2, None, {"organization_id": 10**20}, overwrite=True)
    assert checksum(db.engine) == before
