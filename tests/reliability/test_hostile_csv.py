"""CSV import with random file content: a dry run that explains every bad line, or a
KnownError; applying inserts exactly the valid rows, and a refusal inserts nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from desktop.core.errors import KnownError
from desktop.core.validation import first_unsafe_char
from desktop.services import csv_import
from desktop.services.database import Database
from desktop.services.writes import Actor

from .conftest import HOSTILE_PROFILE, checksum
from .hostile import NASTY, hostile_email, hostile_text

HOSTILE = settings.get_profile(HOSTILE_PROFILE)

COLUMNS = ["name", "email", "status", "is_system", "firebase_id"]
headers = st.one_of(
    st.permutations(COLUMNS).flatmap(lambda cols: st.integers(2, 5).map(lambda n: cols[:n])),
    st.lists(
        st.sampled_from([*COLUMNS, " Name ", "EMAIL", "password", "", "name"]) | hostile_text,
        max_size=6,
    ),
)
cells = st.one_of(
    hostile_text,
    hostile_email,
    st.sampled_from(["true", "no", "maybe", "1", "Active", "deleted", "7", "", *NASTY]),
)


@st.composite
def csv_files(draw: Any) -> str:
    """Mostly well-formed CSV (csv.writer quoting) with hostile cells; sometimes raw junk."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.one_of(hostile_text, st.binary(max_size=200).map(_latin)))
    header = draw(headers)
    out = io.StringIO()
    writer = csv.writer(out, quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])))
    writer.writerow(header)
    for _ in range(draw(st.integers(0, 6))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        writer.writerow([draw(cells) for _ in range(max(width, 0))])
    content = out.getvalue()
    if draw(st.booleans()):  # hand-edited: a stray quote or line break somewhere
        cut = draw(st.integers(0, len(content)))
        content = (
            content[:cut] + draw(st.sampled_from(['"', "\r", "\n", ",", "\ufeff"])) + content[cut:]
        )
    return content


def _latin(data: bytes) -> str:
    return data.decode("latin-1")


def emails_in_db(db: Database, emails: list[str]) -> set[str]:
    with db.engine.connect() as connection:
        return set(
            connection.execute(
                text('SELECT email FROM "user" WHERE email = ANY(:e)'), {"e": emails}
            ).scalars()
        )


@HOSTILE
@given(content=csv_files(), organization_id=st.sampled_from([1, 2, 999_999]))
def test_csv_import_of_random_content(
    db: Database, actor: Actor, content: str, organization_id: int
) -> None:
    before = checksum(db.engine)
    try:
        plan = csv_import.plan(db, organization_id, content)
    except KnownError as exc:
        assert exc.message.strip()
        assert checksum(db.engine) == before
        return
    assert checksum(db.engine) == before, "a dry run must not write"
    assert all(message.strip() for _line, message in plan.errors)
    emails = [row.fields["email"] for row in plan.rows]
    assert len({e.lower() for e in emails}) == len(emails)
    assert all(first_unsafe_char(e) is None for e in emails), emails
    first_line = content.lstrip("\ufeff").splitlines()[0] if content.strip() else ""
    named = [h.strip().lower() for h in next(csv.reader([first_line]), [])]
    assert len(set(named)) == len(named) or not first_line, "a repeated column was accepted"
    try:
        inserted = csv_import.apply(db, actor, plan)
    except KnownError as exc:
        assert exc.message.strip()
        assert checksum(db.engine) == before, f"refused ({exc.message}) but wrote"
        return
    assert inserted == len(plan.rows)
    assert emails_in_db(db, emails) == set(emails)


@HOSTILE
@given(data=st.binary(max_size=400) | hostile_text.map(lambda t: t.encode("utf-8")))
def test_reading_a_random_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "users.csv"
    path.write_bytes(data)
    try:
        content = csv_import.read_file(path)
    except KnownError as exc:
        assert "UTF-8" in exc.message
        return
    assert isinstance(content, str)
