"""Profile fields reach libpq as separate values: nothing typed into one can set another.

The engine used to be built from a URL string that SQLAlchemy parsed again, so a database
name such as `tenantry?host=/some/dir` set the host (and `hostaddr`, `port`, `options`,
`target_session_attrs` ... got through the same way), and every Unix-socket profile broke.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg2.extensions
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, event, text

from desktop import __version__
from desktop.core.errors import KnownError
from desktop.core.profiles import Profile, ProfileError, coerce
from desktop.db import errors
from desktop.db.embedded import EmbeddedPostgres
from desktop.services import connect as svc

from .profiles_support import LoginRole

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = 200 if os.environ.get("CI", "").lower() in ("1", "true", "yes") else 60
PROPERTY = settings(
    max_examples=int(os.environ.get("TENANTRY_HYPOTHESIS_EXAMPLES", EXAMPLES)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def socket_dir(pg_server: EmbeddedPostgres) -> str:
    """The directory the test server's Unix socket lives in (it listens there and on TCP)."""
    admin = create_engine(pg_server.url())
    try:
        with admin.connect() as connection:
            value = connection.execute(text("SHOW unix_socket_directories")).scalar_one()
    finally:
        admin.dispose()
    first = str(value).split(",")[0].strip()
    assert first.startswith("/") and Path(first, f".s.PGSQL.{pg_server.running_port}").exists()
    return first


class _Captured(Exception):
    """Raised by the capturing hook to stop before any network traffic."""


def parameters_sent(profile: Profile, password: str | None = None) -> dict[str, str]:
    """What libpq would receive for `profile`: the keyword arguments psycopg2.connect gets,
    turned into the conninfo string exactly as psycopg2 does it, parsed back by libpq."""
    engine = svc.engine_for(profile, password)
    seen: list[tuple[Any, ...]] = []

    @event.listens_for(engine, "do_connect")
    def capture(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        seen.append((tuple(cargs), dict(cparams)))
        raise _Captured

    try:
        with pytest.raises(_Captured):
            engine.connect()
    finally:
        engine.dispose()
    cargs, cparams = seen[0]
    for python_only in ("connection_factory", "cursor_factory", "async_", "async"):
        cparams.pop(python_only, None)
    dsn = psycopg2.extensions.make_dsn(*cargs, **cparams)
    return dict(psycopg2.extensions.parse_dsn(dsn))


def _expected(profile: Profile) -> dict[str, str]:
    return {
        "host": profile.host,
        "port": str(profile.port),
        "dbname": profile.database,
        "user": profile.user,
        "sslmode": profile.sslmode,
        "application_name": f"{profile.application_name or 'Tenantry'} {__version__}"[:63],
        "connect_timeout": str(profile.connect_timeout),
    }


#: libpq keywords Tenantry itself may add; anything else in the conninfo came from a field.
OWN_KEYWORDS = {
    "password",
    "options",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
}

#: Fragments that meant something to the old URL parser or to libpq's conninfo syntax.
INJECTIONS = [
    "?host=/tmp",
    "?hostaddr=127.0.0.1",
    "&port=1",
    "?sslmode=disable",
    "?target_session_attrs=read-write",
    "?options=-csearch_path=evil",
    " host=/tmp ",
    "host=/tmp dbname=postgres",
    "postgresql://evil@/postgres?host=/tmp",
    "postgres://x",
    "'",
    "\\",
    "''",
    "=",
    "@",
    ":",
    "/",
    "#",
    "%",
    "%2F",
    "+",
    " ",
    ",",
    ";",
    "[::1]",
    "中文",
    "🙂",
    "ß",
]
_printable = st.characters(blacklist_categories=("Cs", "Cc"))
field_text = st.lists(
    st.one_of(st.sampled_from(INJECTIONS), st.text(_printable, min_size=1, max_size=8)),
    min_size=1,
    max_size=5,
).map(lambda parts: "".join(parts).strip())
host_text = st.one_of(
    field_text.map(lambda s: s.replace(" ", "").replace("\u3000", "")),
    st.sampled_from(["/var/run/postgresql", "/tmp/x?host=y", "@abstract", "127.0.0.1", "::1"]),
)


@PROPERTY
@given(
    host=host_text,
    database=field_text,
    user=field_text,
    application_name=st.text(
        st.characters(min_codepoint=32, max_codepoint=126), min_size=0, max_size=40
    ),
    port=st.integers(1, 65535),
    sslmode=st.sampled_from(["disable", "allow", "prefer", "require"]),
    connect_timeout=st.integers(1, 300),
)
def test_the_parameters_libpq_receives_are_exactly_the_profiles(
    host: str,
    database: str,
    user: str,
    application_name: str,
    port: int,
    sslmode: str,
    connect_timeout: int,
) -> None:
    try:
        profile = coerce(
            name="p",
            host=host,
            database=database,
            user=user,
            application_name=application_name,
            port=port,
            sslmode=sslmode,
            connect_timeout=connect_timeout,
        )
    except ProfileError:
        return  # refused with a message: nothing is sent at all
    sent = parameters_sent(profile)
    assert {k: sent.get(k) for k in _expected(profile)} == _expected(profile)
    assert set(sent) - set(_expected(profile)) <= OWN_KEYWORDS, sent
    assert "password" not in sent
    options = sent.get("options", "")
    assert "search_path" not in options and "evil" not in options


@PROPERTY
@given(
    suffix=st.sampled_from(INJECTIONS),
    tail=st.text(_printable, max_size=6),
    over_socket=st.booleans(),
)
def test_a_hostile_database_name_is_asked_for_by_that_exact_name(
    pg_server: EmbeddedPostgres, socket_dir: str, suffix: str, tail: str, over_socket: bool
) -> None:
    """Against the real server: it is asked for the database by exactly the typed name
    (so it answers that such a database does not exist), on exactly the profile's host."""
    database = f"no_such_db{suffix}{tail}".strip()  # never a database that exists
    profile = Profile(
        name="hostile",
        host=socket_dir if over_socket else "127.0.0.1",
        port=pg_server.running_port,
        database=database,
        user="postgres",
        sslmode="disable",
        connect_timeout=3,
    )
    try:
        profile.validated()
    except ProfileError:
        return
    with pytest.raises(errors.DatabaseMissing) as info:
        svc.test_connection(profile, None)
    assert repr(database) in info.value.message
    assert f'database "{database}" does not exist' in str(info.value.__cause__)
    server_said = str(info.value.__cause__)
    expected_where = "on socket" if over_socket else 'at "127.0.0.1"'
    assert expected_where in server_said, server_said


@pytest.mark.parametrize(
    "suffix",
    [
        "?host={sock}",
        "?host={sock}&sslmode=disable",
        "?hostaddr=127.0.0.1&host={sock}",
        "?port=1&host={sock}",
        "?target_session_attrs=read-write&host={sock}",
        "?options=-csearch_path%3Devil&host={sock}",
    ],
)
def test_a_database_name_cannot_turn_a_tls_profile_into_a_socket_without_password(
    login_role: LoginRole, socket_dir: str, suffix: str
) -> None:
    """The issue's case: sslmode=require and a password-protected role; the database name
    carried `?host=<socket dir>`, where the server trusts everyone, so the old code connected
    without TLS and without a password. Now the name is just a (missing) database name."""
    profile = replace(
        login_role.profile,
        sslmode="require",
        database=login_role.profile.database + suffix.format(sock=socket_dir),
    )
    with pytest.raises(errors.TlsUnavailable, match="requires TLS"):
        svc.test_connection(profile, None)
    plain = replace(profile, sslmode="disable")
    with pytest.raises(errors.PasswordRequired):
        svc.test_connection(plain, None)
    with pytest.raises(errors.DatabaseMissing) as info:
        svc.test_connection(plain, login_role.password)
    assert repr(plain.database) in info.value.message


def test_a_unix_socket_profile_connects(
    login_role: LoginRole, socket_dir: str, pg_server: EmbeddedPostgres
) -> None:
    profile = replace(login_role.profile, host=socket_dir, port=pg_server.running_port)
    report = svc.test_connection(profile, None)  # the socket is `trust` on the test server
    assert report.user == profile.user
    assert report.database == profile.database
    database = svc.open_profile(profile, None)
    try:
        with database.engine.connect() as connection:
            dbapi: Any = connection.connection.dbapi_connection
            dsn = dbapi.get_dsn_parameters()
            assert dsn["host"] == socket_dir
            assert dsn["port"] == str(pg_server.running_port)
            assert dsn["dbname"] == profile.database
            assert connection.execute(text("SELECT inet_server_addr()")).scalar() is None
    finally:
        database.dispose()


def test_a_socket_directory_without_a_server_is_a_clear_message(
    login_role: LoginRole, tmp_path: Path
) -> None:
    profile = replace(login_role.profile, host=str(tmp_path))
    with pytest.raises(KnownError) as info:
        svc.test_connection(profile, None)
    assert isinstance(info.value, errors.ConnectionRefused)
    assert f"socket {tmp_path}/.s.PGSQL.{profile.port}" in info.value.message
    assert "is it running?" in info.value.message


def _cli(home: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    full = {**os.environ, "TENANTRY_HOME": str(home), "PGPASSFILE": str(home / "none")}
    for key in [k for k in full if k.startswith("PG") and k != "PGPASSFILE"]:
        full.pop(key)
    full.update(env or {})
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "profile", *args],
        env=full,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unix_socket_profiles_from_the_command_line_and_the_environment(
    tmp_path: Path, pg_server: EmbeddedPostgres, socket_dir: str, seeded_url: str
) -> None:
    home = tmp_path / "home"
    port = str(pg_server.running_port)
    database = seeded_url.rsplit("/", 1)[1]
    added = _cli(
        home, "add", "sock", "--host", socket_dir, "--port", port,
        "--database", database, "--user", "postgres", "--sslmode", "disable",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    tested = _cli(home, "test", "sock")
    assert tested.returncode == 0, tested.stderr
    assert "user: postgres" in tested.stdout and f"database: {database}" in tested.stdout

    env = {"PGHOST": socket_dir, "PGPORT": port, "PGDATABASE": database, "PGUSER": "postgres"}
    imported = _cli(home, "import-env", "fromenv", env=env)
    assert imported.returncode == 0, imported.stderr
    tested = _cli(home, "test", "fromenv")
    assert tested.returncode == 0, tested.stderr
    assert f"database: {database}" in tested.stdout
