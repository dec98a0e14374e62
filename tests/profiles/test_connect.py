"""Connecting with profiles to a real PostgreSQL with SCRAM password authentication."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, func, insert, select, text

from desktop.core.profiles import Profile
from desktop.core.view_state import ViewState
from desktop.db import errors, migrate
from desktop.db.embedded import EmbeddedPostgres, free_port
from desktop.db.models import Organization
from desktop.services import browse
from desktop.services import connect as svc

from .profiles_support import LoginRole


def test_right_password_connects_and_reports(login_role: LoginRole) -> None:
    report = svc.test_connection(login_role.profile, login_role.password)
    assert report.user == login_role.profile.user
    assert report.server_version.startswith("18")
    assert report.read_only is False
    assert report.tls is False  # the embedded build has no SSL
    assert 0 < report.latency_ms < 1000
    assert report.lines()[0].startswith("server version: PostgreSQL 18")


def test_wrong_password_says_so(login_role: LoginRole) -> None:
    with pytest.raises(errors.WrongPassword, match="Wrong password for user") as info:
        svc.test_connection(login_role.profile, "not-the-password")
    assert info.value.field == "password"
    assert "not-the-password" not in str(info.value)


def test_no_password_when_one_is_needed(login_role: LoginRole, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PGPASSFILE", "/nonexistent/pgpass")
    monkeypatch.delenv("PGPASSWORD", raising=False)
    with pytest.raises(errors.PasswordRequired, match="asks for a password"):
        svc.test_connection(login_role.profile, None)


def test_pgpass_is_used_by_libpq_and_not_copied(
    login_role: LoginRole, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    p = login_role.profile
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"{p.host}:{p.port}:*:{p.user}:{login_role.password}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    report = svc.test_connection(p, None, "none")
    assert report.password_source == "pgpass"
    assert report.user == p.user


def test_database_missing(login_role: LoginRole) -> None:
    profile = replace(login_role.profile, database="no_such_db")
    with pytest.raises(errors.DatabaseMissing, match="'no_such_db' does not exist"):
        svc.test_connection(profile, login_role.password)


def test_unknown_host(login_role: LoginRole) -> None:
    profile = replace(login_role.profile, host="no-such-host.invalid")
    with pytest.raises(errors.UnknownHost, match="Unknown host 'no-such-host.invalid'"):
        svc.test_connection(profile, login_role.password)


def test_refused_port_is_quick(login_role: LoginRole) -> None:
    profile = replace(login_role.profile, port=free_port())
    started = time.monotonic()
    with pytest.raises(errors.ConnectionRefused, match="Connection refused by 127.0.0.1"):
        svc.test_connection(profile, login_role.password)
    assert time.monotonic() - started < profile.connect_timeout


def test_silent_host_times_out_within_the_connect_timeout(
    login_role: LoginRole, silent_host: int
) -> None:
    profile = replace(login_role.profile, port=silent_host, connect_timeout=2)
    started = time.monotonic()
    with pytest.raises(errors.ConnectTimedOut, match="Timed out after 2 s"):
        svc.test_connection(profile, login_role.password)
    elapsed = time.monotonic() - started
    assert 1.5 < elapsed < 2 + 1.5, elapsed


def test_stopped_server_is_refused(login_role: LoginRole, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = EmbeddedPostgres(tmp_path / "pg", for_tests=True)
    server.start()
    port = server.running_port
    server.stop()
    profile = replace(login_role.profile, port=port)
    started = time.monotonic()
    with pytest.raises(errors.ConnectionRefused):
        svc.test_connection(profile, login_role.password)
    assert time.monotonic() - started < profile.connect_timeout


def test_tls_required_by_the_profile_but_not_offered(login_role: LoginRole) -> None:
    profile = replace(login_role.profile, sslmode="require")
    with pytest.raises(errors.TlsUnavailable, match="requires TLS"):
        svc.test_connection(profile, login_role.password)


def test_tls_required_by_the_server(login_role: LoginRole, pg_server: EmbeddedPostgres) -> None:
    hba = pg_server.data_dir / "pg_hba.conf"
    original = hba.read_text()
    user = login_role.profile.user
    admin = create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    try:
        hba.write_text(f"hostnossl all {user} 127.0.0.1/32 reject\n" + original)
        with admin.connect() as c:
            c.execute(text("SELECT pg_reload_conf()"))
        time.sleep(0.3)
        with pytest.raises(errors.TlsRequired, match="requires TLS for"):
            svc.test_connection(login_role.profile, login_role.password)
    finally:
        hba.write_text(original)
        with admin.connect() as c:
            c.execute(text("SELECT pg_reload_conf()"))
        admin.dispose()


def test_read_only_profile_refuses_an_insert(login_role: LoginRole) -> None:
    profile = replace(login_role.profile, read_only=True)
    database = svc.open_profile(profile, login_role.password)
    try:
        assert database.read_only and database.info.read_only
        with database.engine.connect() as c:
            before = c.execute(select(func.count()).select_from(Organization)).scalar_one()
        with pytest.raises(errors.ReadOnlyViolation, match="read-only"):
            with database.engine.begin() as c:
                c.execute(insert(Organization).values(name="Should not exist"))
        with pytest.raises(errors.ReadOnlyViolation):
            svc.ensure_writable(database)
        # Note: default_transaction_read_only is a session default; an explicit
        # SET TRANSACTION READ WRITE (which Tenantry never sends) would lift it. A hard
        # guarantee needs a role with SELECT-only grants on the server side.
    finally:
        database.dispose()
    check = create_engine(login_role.database_url)
    with check.connect() as c:
        after = c.execute(select(func.count()).select_from(Organization)).scalar_one()
        named = c.execute(
            select(func.count()).where(Organization.name == "Should not exist")
        ).scalar_one()
    check.dispose()
    assert after == before and named == 0


def test_read_write_profile_can_insert(login_role: LoginRole) -> None:
    database = svc.open_profile(login_role.profile, login_role.password)
    try:
        assert not database.read_only
        with database.engine.begin() as c:
            c.execute(insert(Organization).values(name="Written"))
    finally:
        database.dispose()


def test_production_rolls_back_idle_transactions(login_role: LoginRole) -> None:
    profile = replace(login_role.profile, environment="production")
    database = svc.open_profile(profile, login_role.password)
    try:
        with database.engine.connect() as c:
            value = c.execute(text("SHOW idle_in_transaction_session_timeout")).scalar()
        assert value == "10min"
        assert database.requires_write_confirmation
        prompt = svc.confirmation_prompt(database, "Rename organization 1")
        assert prompt and "PRODUCTION" in prompt and "Rename organization 1" in prompt
    finally:
        database.dispose()
    dev = svc.open_profile(login_role.profile, login_role.password)
    try:
        with dev.engine.connect() as c:
            assert c.execute(text("SHOW idle_in_transaction_session_timeout")).scalar() == "0"
        assert svc.confirmation_prompt(dev, "x") is None
    finally:
        dev.dispose()


def test_idle_transaction_is_rolled_back_with_a_message(login_role: LoginRole) -> None:
    database = svc.open_profile(login_role.profile, login_role.password)
    try:
        with database.engine.connect() as c:
            c.execute(text("SET idle_in_transaction_session_timeout = 200"))
            c.execute(insert(Organization).values(name="Idle"))
            time.sleep(0.6)
            with pytest.raises(
                (errors.IdleTransactionRolledBack, errors.ConnectionLost), match="next action"
            ):
                c.execute(text("SELECT 1"))
        assert database.connection_lost
        assert browse.fetch_window(database.engine, ViewState("organizations"), limit=5).rows
        assert database.connection_lost is None
    finally:
        database.dispose()


@pytest.fixture
def private_server(tmp_path) -> Iterator[tuple[EmbeddedPostgres, LoginRole]]:  # type: ignore[no-untyped-def]
    """A server of this test's own (it gets restarted), migrated, with a password role."""
    server = EmbeddedPostgres(tmp_path / "pg", for_tests=True)
    server.start()
    try:
        engine = create_engine(server.url())
        migrate.upgrade_to_head(engine)
        with engine.begin() as c:
            c.execute(text("CREATE ROLE restart_dba LOGIN PASSWORD 'restart-pw'"))
            c.execute(text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO restart_dba"))
            c.execute(insert(Organization).values(name="Org"))
        engine.dispose()
        profile = Profile(
            name="restart",
            host="127.0.0.1",
            port=server.running_port,
            database="postgres",
            user="restart_dba",
            connect_timeout=3,
        )
        yield server, LoginRole(profile, "restart-pw", server.url(), server.url())
    finally:
        server.stop()


def test_server_restart_while_connected(
    private_server: tuple[EmbeddedPostgres, LoginRole],
) -> None:
    server, role = private_server
    database = svc.open_profile(role.profile, role.password)
    organizations = ViewState("organizations")
    try:
        assert browse.fetch_window(database.engine, organizations, limit=10).rows
        held = database.engine.connect()
        held.execute(text("SELECT 1"))
        port = server.running_port
        server.stop()
        server.port = port
        server.start()
        with pytest.raises(errors.ConnectionLost, match="connection to the server was lost"):
            held.execute(text("SELECT 1"))
        held.close()
        assert database.connection_lost is not None
        page = browse.fetch_window(database.engine, organizations, limit=10)
        assert [row[1] for row in page.rows] == ["Org"]
        assert database.connection_lost is None
    finally:
        database.dispose()
