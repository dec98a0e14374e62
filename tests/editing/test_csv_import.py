"""CSV import: the dry run reports each bad line; applying inserts exactly the good rows."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from desktop.core.errors import KnownError
from desktop.services import audit, csv_import
from desktop.services.database import Database
from desktop.services.writes import Actor

GOOD_AND_BAD = """name,email,status,is_system
Ada Lovelace,ada@example.com,ACTIVE,false
,nobody@example.com,,
Grace Hopper,grace@example.com,inactive,no
Bad Email,not-an-email,,
Dup Ada,ADA@example.com,,
Weird Status,weird@example.com,7,
Alan Turing,alan@example.com,3,yes
Too,many@example.com,1,no,extra
"""


def _existing_email(db: Database) -> str:
    with db.engine.connect() as c:
        return str(c.execute(text('SELECT email FROM "user" ORDER BY id LIMIT 1')).scalar_one())


def test_dry_run_and_apply(db: Database, actor: Actor) -> None:
    existing = _existing_email(db)
    content = GOOD_AND_BAD + f"Clash,{existing.upper()},,\n"
    plan = csv_import.plan(db, 1, content)
    assert [row.line for row in plan.rows] == [2, 4, 8]
    errors = dict(plan.errors)
    assert set(errors) == {3, 5, 6, 7, 9, 10}
    assert "Name is required" in errors[3]
    assert "not a valid email" in errors[5]
    assert "line 2" in errors[6]
    assert "Status" in errors[7]
    assert "More values" in errors[9]
    assert "already exists" in errors[10]
    with db.engine.connect() as c:
        before = c.execute(text('SELECT count(*) FROM "user"')).scalar_one()
    assert csv_import.apply(db, actor, plan) == 3
    with db.engine.connect() as c:
        assert c.execute(text('SELECT count(*) FROM "user"')).scalar_one() == before + 3
        rows = c.execute(
            text(
                'SELECT email, status, is_system, organization_id FROM "user"'
                " WHERE email IN ('ada@example.com', 'grace@example.com', 'alan@example.com')"
                " ORDER BY email"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("ada@example.com", 1, False, 1),
        ("alan@example.com", 3, True, 1),
        ("grace@example.com", 2, False, 1),
    ]
    assert {e.action for e in audit.entries(db)} == {"import"}


def test_apply_is_all_or_nothing(db: Database, actor: Actor) -> None:
    plan = csv_import.plan(db, 1, "name,email\nOne,one@example.com\nTwo,two@example.com\n")
    with db.engine.begin() as c:  # someone takes one of the emails after the dry run
        c.execute(
            text(
                'INSERT INTO "user" (name, email, organization_id)'
                " VALUES ('Quick', 'two@example.com', 1)"
            )
        )
    with pytest.raises(KnownError, match="email"):
        csv_import.apply(db, actor, plan)
    with db.engine.connect() as c:
        assert (
            c.execute(
                text("SELECT count(*) FROM \"user\" WHERE email = 'one@example.com'")
            ).scalar_one()
            == 0
        )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("email\nx@example.com\n", "missing: name"),
        ("name,email,color\n", "Unknown column"),
        ("name,email\na\x00,b@example.com\n", "NUL"),
        ("name,email,email\nA,a@example.com,b@example.com\n", "'email' more than once"),
        ("name,Email, EMAIL \nA,a@example.com,b@example.com\n", "'email' more than once"),
        ("name,email,name\n", "'name' more than once"),
    ],
)
def test_bad_files_give_a_clear_message(db: Database, content: str, message: str) -> None:
    with pytest.raises(KnownError, match=message):
        csv_import.plan(db, 1, content)


@pytest.mark.parametrize(
    "email",
    ["a\x1b]0;pwned\x07@example.com", "a\u202e@example.com", "a\u200b@example.com", "a\x9b@x.io"],
)
def test_an_email_with_control_or_invisible_characters_is_a_bad_line(
    db: Database, email: str
) -> None:
    plan = csv_import.plan(db, 1, f"name,email\nOk,ok-unsafe@example.com\nBad,{email}\n")
    assert [row.fields["email"] for row in plan.rows] == ["ok-unsafe@example.com"]
    [(line, message)] = plan.errors
    assert line == 3 and "Email must not contain control or invisible characters" in message
