"""Roles without a privilege (SQLSTATE 42501) get a clear message, not a crash report.

The README recommends SELECT-only roles for support staff; their sessions are not
read-only (the server refuses each write by privilege), so every refusal must read as
"the role may not change table ...", and change nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from desktop.core.profiles import Profile
from desktop.core.view_state import ViewState
from desktop.db import errors
from desktop.db.embedded import EmbeddedPostgres
from desktop.db.models import UserStatus
from desktop.services import browse, bulk, connect, organizations, plugins, users
from desktop.services.database import Database
from desktop.services.writes import Actor

ACTOR = Actor(profile="support", os_user="tester")


@dataclass
class Role:
    name: str
    password: str
    admin: Engine
    profile: Profile

    def grant(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(sql.format(role=self.name)))

    def open(self) -> Database:
        return connect.open_profile(self.profile, self.password)


@pytest.fixture
def role(pg_server: EmbeddedPostgres, seeded_url: str) -> Iterator[Role]:
    """A LOGIN role with no grants yet (each test grants what it studies)."""
    name = f"support_{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    database = make_url(seeded_url).database
    assert database
    admin = create_engine(seeded_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'"))
    profile = Profile(
        name=f"support {name}",
        host="127.0.0.1",
        port=pg_server.running_port,
        database=database,
        user=name,
        sslmode="disable",
        connect_timeout=3,
    )
    try:
        yield Role(name, password, admin, profile)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :n"),
                {"n": name},
            )
            connection.execute(text(f"DROP OWNED BY {name}"))
            connection.execute(text(f"DROP ROLE {name}"))
        admin.dispose()


def _snapshot(admin: Engine) -> tuple[object, ...]:
    with admin.connect() as connection:
        return tuple(
            connection.execute(
                text(f"SELECT count(*), md5(coalesce(string_agg(t::text, '' ORDER BY t.id), ''))"
                     f" FROM {table} t")
            ).one()
            for table in ("organization", '"user"', "plugin", "tenantry_audit")
        )  # fmt: skip


def _a_user(admin: Engine) -> tuple[int, str]:
    with admin.connect() as connection:
        row = connection.execute(
            text('SELECT id, xmin::text FROM "user" WHERE NOT is_system ORDER BY id LIMIT 1')
        ).one()
    return int(row[0]), str(row[1])


def test_a_select_only_role_reads_and_every_write_is_refused_by_name(role: Role) -> None:
    role.grant("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    db = role.open()
    try:
        assert not db.read_only  # not a session default: the privilege is what refuses
        window = browse.fetch_window(db.engine, ViewState("users"), limit=5)
        assert len(window.rows) == 5
        before = _snapshot(role.admin)
        user_id, version = _a_user(role.admin)
        attempts = {
            "users.update": lambda: users.update(db, ACTOR, user_id, version, {"name": "X"}),
            "users.create": lambda: users.create(
                db, ACTOR, {"name": "N", "email": "n@example.com", "organization_id": 1}
            ),
            "bulk.set_status": lambda: bulk.set_status(
                db, ACTOR, {user_id: version}, UserStatus.INACTIVE
            ),
            "organizations.create": lambda: organizations.create(db, ACTOR, "New org"),
            "plugins.create": lambda: plugins.create(
                db,
                ACTOR,
                {
                    "organization_id": 1,
                    "data_source": "s3",
                    "title": "t",
                    "credentials": "{}",
                    "properties": "{}",
                },
            ),
        }
        tables = {
            "users.update": '"user"',
            "users.create": '"user"',
            "bulk.set_status": '"user"',
            "organizations.create": '"organization"',
            "plugins.create": '"plugin"',
        }
        for what, attempt in attempts.items():
            with pytest.raises(errors.PermissionDenied) as info:
                attempt()
            message = info.value.message
            assert message.startswith(
                f"The database role {role.name!r} may not change table {tables[what]}"
            ), (what, message)
            assert "Nothing was changed" in message, what
            if what in ("users.update", "bulk.set_status"):  # SELECT ... FOR UPDATE first
                assert "UPDATE privilege" in message
            else:
                assert "INSERT privilege" in message, (what, message)
        assert _snapshot(role.admin) == before
        assert db.connection_lost is None  # a refusal is not a lost connection
    finally:
        db.dispose()


def test_a_write_allowed_on_the_table_but_not_on_the_audit_changes_nothing(role: Role) -> None:
    role.grant("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    role.grant('GRANT UPDATE ON "user" TO {role}')
    db = role.open()
    try:
        before = _snapshot(role.admin)
        user_id, version = _a_user(role.admin)
        with pytest.raises(errors.PermissionDenied) as info:
            users.update(db, ACTOR, user_id, version, {"name": "Unaudited"})
        assert info.value.message.startswith(
            f'The database role {role.name!r} may not change table "tenantry_audit"'
        )
        assert "INSERT privilege" in info.value.message
        assert _snapshot(role.admin) == before
    finally:
        db.dispose()


def test_a_table_the_role_may_not_read_is_named(role: Role) -> None:
    role.grant('GRANT SELECT ON organization, "user" TO {role}')
    db = role.open()
    try:
        with pytest.raises(errors.PermissionDenied) as info:
            browse.fetch_window(db.engine, ViewState("plugins"), limit=5)
        assert info.value.message.startswith(
            f'The database role {role.name!r} may not read table "plugin"'
        )
        assert "SELECT privilege" in info.value.message
        # What it may read still works on the same engine.
        assert browse.fetch_window(db.engine, ViewState("users"), limit=3).rows
    finally:
        db.dispose()


def test_the_user_form_shows_the_refusal_and_keeps_what_was_typed(  # type: ignore[no-untyped-def]
    qtbot, runner, role: Role
) -> None:
    from PySide6.QtCore import Qt

    from desktop.ui.forms.context import EditContext
    from desktop.ui.forms.user_form import UserForm

    role.grant("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    db = role.open()
    try:
        user_id, _ = _a_user(role.admin)
        before = _snapshot(role.admin)
        form = UserForm(EditContext(db, runner, ACTOR), user_id)
        qtbot.addWidget(form)
        form.show()
        qtbot.waitUntil(lambda: form.record is not None, timeout=10_000)
        form.name.setText("Typed by support")
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "may not change" in form.message.text(), timeout=10_000)
        assert f"The database role {role.name!r} may not change table" in form.message.text()
        assert form.isVisible() and form.name.text() == "Typed by support"
        assert _snapshot(role.admin) == before
    finally:
        db.dispose()
