"""The database enforces the spec: constraints, defaults, cascades (real PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from desktop.db.models import UserStatus


def _org(engine: Engine, name: str = "Acme") -> int:
    with engine.begin() as c:
        return int(
            c.execute(
                text("INSERT INTO organization (name) VALUES (:n) RETURNING id"), {"n": name}
            ).scalar_one()
        )


def _user(engine: Engine, org: int, email: str, name: str = "Ann", **extra: object) -> int:
    columns = ["name", "email", "organization_id", *extra]
    values = {"name": name, "email": email, "organization_id": org, **extra}
    sql = (
        f'INSERT INTO "user" ({", ".join(columns)}) '
        f"VALUES ({', '.join(':' + c for c in columns)}) RETURNING id"
    )
    with engine.begin() as c:
        return int(c.execute(text(sql), values).scalar_one())


def test_server_defaults_apply_to_rows_inserted_by_other_clients(schema_engine: Engine) -> None:
    org = _org(schema_engine)
    user_id = _user(schema_engine, org, "ann@example.com")
    with schema_engine.begin() as c:
        row = c.execute(
            text(
                "SELECT status, is_system, active_token_id, date_joined, last_login"
                ' FROM "user" WHERE id = :id'
            ),
            {"id": user_id},
        ).one()
        plugin_created = c.execute(
            text(
                "INSERT INTO plugin (organization_id, data_source, title, credentials, properties)"
                " VALUES (:o, 'stripe', 'Stripe', '{}', '{}') RETURNING created_at"
            ),
            {"o": org},
        ).scalar_one()
    assert row.status == UserStatus.ACTIVE == 1
    assert row.is_system is False
    assert row.active_token_id is None and row.last_login is None
    assert abs(datetime.now(UTC) - row.date_joined) < timedelta(minutes=1)
    # created_at is a naive timestamp holding the current UTC time.
    assert plugin_created.tzinfo is None
    assert abs(datetime.now(UTC).replace(tzinfo=None) - plugin_created) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("email", "name", "extra", "constraint"),
    [
        ("", "Ann", {}, "ck_user_email_not_empty"),
        ("b@example.com", "", {}, "ck_user_name_not_empty"),
        ("c@example.com", "Ann", {"status": 4}, "ck_user_status_valid"),
        ("d@example.com", "Ann", {"status": 0}, "ck_user_status_valid"),
    ],
)
def test_check_constraints_reject_bad_rows(
    schema_engine: Engine, email: str, name: str, extra: dict[str, object], constraint: str
) -> None:
    org = _org(schema_engine)
    with pytest.raises(IntegrityError, match=constraint):
        _user(schema_engine, org, email, name, **extra)


def test_duplicate_email_is_rejected(schema_engine: Engine) -> None:
    org = _org(schema_engine)
    _user(schema_engine, org, "dup@example.com")
    with pytest.raises(IntegrityError, match="uq_user_email"):
        _user(schema_engine, org, "dup@example.com", name="Other")


def test_unknown_organization_is_rejected(schema_engine: Engine) -> None:
    with pytest.raises(IntegrityError, match="fk_user_organization_id_organization"):
        _user(schema_engine, 999_999, "ghost@example.com")


def test_deleting_an_organization_deletes_its_users_only(schema_engine: Engine) -> None:
    doomed, kept = _org(schema_engine, "Doomed"), _org(schema_engine, "Kept")
    for i in range(3):
        _user(schema_engine, doomed, f"d{i}@example.com")
    survivor = _user(schema_engine, kept, "k@example.com")
    with schema_engine.begin() as c:
        c.execute(text("DELETE FROM organization WHERE id = :id"), {"id": doomed})
        remaining = c.execute(text('SELECT id FROM "user"')).scalars().all()
    assert remaining == [survivor]


def test_deleting_an_organization_with_plugins_is_refused(schema_engine: Engine) -> None:
    org = _org(schema_engine)
    _user(schema_engine, org, "p@example.com")
    with schema_engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO plugin (organization_id, data_source, title, credentials, properties)"
                " VALUES (:o, 's3', 'Exports', '{\"secret_access_key\": \"x\"}', '{}')"
            ),
            {"o": org},
        )
    with pytest.raises(IntegrityError, match="fk_plugin_organization_id_organization"):
        with schema_engine.begin() as c:
            c.execute(text("DELETE FROM organization WHERE id = :id"), {"id": org})
    with schema_engine.connect() as c:
        assert c.execute(text('SELECT count(*) FROM "user"')).scalar_one() == 1


def test_json_columns_are_json_not_jsonb(schema_engine: Engine) -> None:
    with schema_engine.connect() as c:
        types = dict(
            c.execute(
                text(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_name = 'plugin'"
                )
            ).all()
        )
    assert types["credentials"] == "json" and types["properties"] == "json"
    assert types["created_at"] == "timestamp without time zone"


def test_tables_have_exactly_the_specified_columns(schema_engine: Engine) -> None:
    expected = {
        "organization": {"id", "name"},
        "user": {
            "id",
            "firebase_id",
            "name",
            "email",
            "organization_id",
            "status",
            "is_system",
            "active_token_id",
            "date_joined",
            "last_login",
        },
        "plugin": {
            "id",
            "organization_id",
            "data_source",
            "title",
            "credentials",
            "properties",
            "created_at",
        },
    }
    with schema_engine.connect() as c:
        for table, columns in expected.items():
            found = set(
                c.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns WHERE table_name = :t"
                    ),
                    {"t": table},
                ).scalars()
            )
            assert found == columns, table
