"""The user form itself with hostile text typed into its fields: it saves exactly what
validation cleaned, or it marks the problem, keeps what was typed and writes nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from desktop.services import users
from desktop.services.database import Database
from desktop.services.writes import Actor
from desktop.ui.forms.context import EditContext
from desktop.ui.forms.user_form import UserForm
from desktop.ui.runner import Runner

from .conftest import HOSTILE_PROFILE, checksum
from .hostile import hostile_email, hostile_text

HOSTILE = settings.get_profile(HOSTILE_PROFILE)
#: Valid-looking addresses with LIKE wildcards, quotes and Unicode in them.
emails = st.from_regex(r"[a-z0-9._%'+\\-ü🙂]{1,24}@[a-z0-9_%-]{1,12}\.(com|io|ü)", fullmatch=True)


@HOSTILE
@given(
    name=st.one_of(hostile_text, st.text(min_size=1, max_size=80)),
    email=st.one_of(hostile_email, emails, emails),
    firebase_id=hostile_text,
)
def test_typing_hostile_text_into_a_new_user_form(
    qtbot: Any, db: Database, actor: Actor, runner: Runner, name: str, email: str, firebase_id: str
) -> None:
    form = UserForm(EditContext(db, runner, actor), None)
    qtbot.addWidget(form)
    form.organization.set_organization(1, "Organization 1")
    form.name.setText(name)
    form.email.setText(email)
    form.firebase_id.setText(firebase_id)
    typed = (form.name.text(), form.email.text(), form.firebase_id.text())
    before = checksum(db.engine)
    saved: list[Any] = []
    form.saved.connect(saved.append)
    form.save()
    qtbot.waitUntil(
        lambda: bool(saved) or form.message.text().startswith("Nothing"), timeout=10_000
    )
    runner.wait()
    event("saved" if saved else "refused")
    if saved:
        clean = users.validate(form.values())
        with db.engine.connect() as connection:
            row = connection.execute(
                text('SELECT name, email, firebase_id FROM "user" WHERE id = :id'),
                {"id": saved[0].id},
            ).one()
        assert (row.name, row.email, row.firebase_id) == (
            clean["name"],
            clean["email"],
            clean["firebase_id"],
        )
    else:
        assert checksum(db.engine) == before
        assert (form.name.text(), form.email.text(), form.firebase_id.text()) == typed
        assert any(form.field_error(f) for f in ("name", "email", "firebase_id"))
    form.close()
