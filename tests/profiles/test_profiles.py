"""Profiles without a server: validation, the JSON store, libpq imports, .pgpass matching."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from desktop.core.profiles import (
    Profile,
    ProfileError,
    ProfileNotFound,
    ProfileStore,
    coerce,
    from_environment,
    from_service,
    pgpass_has_entry,
    validate,
)

GOOD = Profile(name="Billing", host="db.example.com", port=5432, database="billing", user="dba")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "Name is required."),
        ({"name": " padded"}, "name", "Name must not start or end with spaces."),
        ({"host": "two words"}, "host", "Host must not contain spaces."),
        ({"port": 0}, "port", "Port must be between 1 and 65535."),
        ({"database": "x" * 64}, "database", "Database is longer than 63 characters."),
        # 62 characters, 64 bytes: the server would cut the name inside the last "é".
        ({"database": "x" * 60 + "éé"}, "database", "Database is longer than 63 bytes in UTF-8"),
        ({"user": "ü" * 32}, "user", "User is longer than 63 bytes in UTF-8"),
        ({"user": ""}, "user", "User is required."),
        # An undecodable byte in argv arrives as a lone surrogate: named, not a crash.
        ({"user": "\udcff"}, "user", "User must not contain control or invisible characters"),
        ({"sslmode": "on"}, "sslmode", "SSL mode must be one of"),
        ({"sslcert": "/c.crt"}, "sslkey", "needs both the certificate and the key"),
        ({"connect_timeout": 0}, "connect_timeout", "between 1 and 300 seconds"),
        ({"statement_timeout": -1}, "statement_timeout", "between 0 (no limit)"),
        ({"application_name": "Täntry"}, "application_name", "plain ASCII"),
        ({"environment": "prod"}, "environment", "Environment must be one of"),
    ],
)
def test_each_field_is_validated(change: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        validate(replace(GOOD, **change))  # type: ignore[arg-type]
    assert info.value.field == field


def test_only_postgresql_names_count_bytes() -> None:
    # A profile's own name is not a PostgreSQL name: 40 letters (80 bytes) are fine.
    assert validate(replace(GOOD, name="ü" * 40)).name == "ü" * 40
    assert validate(replace(GOOD, database="é" * 31)).database == "é" * 31  # 62 bytes


def test_strings_from_forms_and_shells_are_coerced() -> None:
    profile = coerce(name="x", host="h", port="6432", database="d", user="u", read_only="yes")
    assert profile.port == 6432 and profile.read_only is True
    with pytest.raises(ProfileError, match="Port must be a whole number, not 'abc'") as info:
        coerce(name="x", port="abc")
    assert info.value.field == "port"


def test_store_round_trip_private_file_and_no_password(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles.json")
    store.add(GOOD)
    store.add(replace(GOOD, name="Analytics", environment="production", read_only=True))
    assert [p.name for p in store.load()] == ["Analytics", "Billing"]
    assert store.get("Analytics").read_only
    assert stat.S_IMODE((tmp_path / "profiles.json").stat().st_mode) == 0o600
    with pytest.raises(ProfileError, match="already exists"):
        store.add(GOOD)
    store.update("Billing", replace(GOOD, name="Billing EU"))
    assert store.names() == ["Analytics", "Billing EU"]
    assert store.duplicate_name("Analytics") == "Analytics copy"
    store.remove("Analytics")
    with pytest.raises(ProfileNotFound):
        store.get("Analytics")
    assert "password" not in (tmp_path / "profiles.json").read_text()


def test_a_password_in_the_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    entry = {**GOOD.to_json(), "password": "hunter2"}
    path.write_text(json.dumps({"version": 1, "profiles": [entry]}))
    with pytest.raises(ProfileError, match="contains a password") as info:
        ProfileStore(path).load()
    assert "hunter2" not in str(info.value)


def test_damaged_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.write_text("{not json")
    with pytest.raises(ProfileError, match="is damaged"):
        ProfileStore(path).load()


def test_import_from_service_file(tmp_path: Path) -> None:
    conf = tmp_path / "pg_service.conf"
    conf.write_text(
        "# comment\n[billing]\nhost=db.example.com\nport=6432\ndbname=billing\nuser=dba\n"
        "sslmode=require\napplication_name=ops\npassword=s3cret\n[other]\nhost=x\n"
    )
    env = {"PGSERVICEFILE": str(conf), "PGSYSCONFDIR": str(tmp_path / "none")}
    imported = from_service("Billing", "billing", env, environment="staging")
    p = imported.profile
    assert (p.host, p.port, p.database, p.user, p.sslmode) == (
        "db.example.com",
        6432,
        "billing",
        "dba",
        "require",
    )
    assert p.application_name == "ops" and p.environment == "staging"
    assert imported.notes and "did not copy it" in imported.notes[0]
    assert "s3cret" not in json.dumps(p.to_json())
    with pytest.raises(ProfileError, match=r"No service \[nope\]"):
        from_service("x", "nope", env)


def test_import_from_environment() -> None:
    env = {
        "PGHOST": "h",
        "PGPORT": "5433",
        "PGUSER": "u",
        "PGSSLMODE": "disable",
        "PGPASSWORD": "pw",
        "PGCONNECT_TIMEOUT": "4",
        "PGAPPNAME": "cli",
    }
    imported = from_environment("Env", env)
    p = imported.profile
    assert (p.host, p.port, p.user, p.database, p.connect_timeout) == ("h", 5433, "u", "u", 4)
    assert p.sslmode == "disable" and p.application_name == "cli"
    assert any("PGPASSWORD" in n for n in imported.notes)
    with pytest.raises(ProfileError, match="No PG\\* environment variables"):
        from_environment("x", {})


def test_pgpass_matching(tmp_path: Path) -> None:
    pgpass = tmp_path / "pgpass"
    pgpass.write_text("# c\nother:5432:*:dba:x\ndb.example.com:*:billing:dba:pw\\:with\\:colons\n")
    env = {"PGPASSFILE": str(pgpass)}
    assert pgpass_has_entry(replace(GOOD, database="billing"), env)
    assert not pgpass_has_entry(replace(GOOD, database="other"), env)
    assert not pgpass_has_entry(GOOD, {"PGPASSFILE": str(tmp_path / "missing")})
