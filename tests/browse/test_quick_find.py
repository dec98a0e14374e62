"""Quick find on a real seeded database: ids, partial emails, names, titles; bounded results."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from desktop.core.errors import KnownError
from desktop.services.quick_find import find


def _one(engine: Engine, sql: str) -> tuple:  # type: ignore[type-arg]
    with engine.connect() as c:
        return tuple(c.execute(text(sql)).one())


def test_a_user_by_partial_email(seeded_engine: Engine) -> None:
    user_id, email, org_id = _one(
        seeded_engine, 'SELECT id, email, organization_id FROM "user" ORDER BY id DESC LIMIT 1'
    )
    local = email.split("@")[0]
    part = local[1:-1] if len(local) > 4 else local
    hits = [h for h in find(seeded_engine, part.upper(), limit=50) if h.kind == "user"]
    assert user_id in {h.id for h in hits}, (part, hits[:3])
    hit = next(h for h in hits if h.id == user_id)
    assert email in hit.title and hit.organization_id == org_id
    # every user hit really contains the text, case-insensitively, in its name or email
    assert all(part.lower() in h.title.lower() for h in hits)


def test_an_exact_email_comes_first(seeded_engine: Engine) -> None:
    sql = 'SELECT id, email FROM "user" ORDER BY id LIMIT 1 OFFSET 7'
    user_id, email = _one(seeded_engine, sql)
    users = [h for h in find(seeded_engine, email) if h.kind == "user"]
    assert users[0].id == user_id


def test_an_organization_by_name_and_by_id(seeded_engine: Engine) -> None:
    org_id, name = _one(seeded_engine, "SELECT id, name FROM organization ORDER BY id DESC LIMIT 1")
    by_name = [h for h in find(seeded_engine, name) if h.kind == "organization"]
    assert org_id in {h.id for h in by_name}
    by_id = find(seeded_engine, str(org_id))
    assert by_id[0].kind == "organization" and by_id[0].id == org_id and by_id[0].title == name


def test_a_plugin_by_title_and_by_id(seeded_engine: Engine) -> None:
    plugin_id, title, org_id = _one(
        seeded_engine, "SELECT id, title, organization_id FROM plugin ORDER BY id DESC LIMIT 1"
    )
    hits = [h for h in find(seeded_engine, title[2:], limit=500) if h.kind == "plugin"]
    assert plugin_id in {h.id for h in hits}
    by_id = [h for h in find(seeded_engine, str(plugin_id)) if h.kind == "plugin"]
    assert by_id[0].id == plugin_id and by_id[0].organization_id == org_id


def test_results_are_limited_and_wildcards_are_literal(seeded_engine: Engine) -> None:
    hits = find(seeded_engine, "a", limit=5)  # one letter: ids only, no substring scan
    assert hits == []
    many = find(seeded_engine, "an", limit=5)
    for kind in ("organization", "user", "plugin"):
        assert len([h for h in many if h.kind == kind]) <= 5
    assert len([h for h in many if h.kind == "user"]) == 5
    assert find(seeded_engine, "%%") == [] and find(seeded_engine, "__") == []
    assert find(seeded_engine, "   ") == []


def test_unusable_text_is_a_known_error(seeded_engine: Engine) -> None:
    with pytest.raises(KnownError):
        find(seeded_engine, "a\x00b")


def test_a_huge_number_is_not_an_id(seeded_engine: Engine) -> None:
    assert [h for h in find(seeded_engine, "9" * 30) if h.kind != "user"] == []


@pytest.mark.parametrize("typed", ["1²", "①", "²", "٣", "12³4", "𝟙𝟚", "1\u00b9", "⑳"])
def test_digits_that_are_not_ascii_are_searched_as_text(seeded_engine: Engine, typed: str) -> None:
    """str.isdigit() accepts these and int() refuses them: a crash dialog from Ctrl+K."""
    assert isinstance(find(seeded_engine, typed), list)  # no ValueError from int()


@pytest.mark.parametrize("term", ["maria", "RARE", "svc-sync", "ta", "Harbor", "(EU)", "zzzz"])
def test_substring_hits_are_the_first_matches_by_id_whichever_step_finds_them(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch, term: str
) -> None:
    """A bounded walk of the ids first, then the trigram indexes: the same hits as one plain
    `ORDER BY id LIMIT` query, for frequent, rare and trigram-less terms."""
    from desktop.services import search_window

    monkeypatch.setattr(search_window, "FIRST_WALK", 60)  # both steps, on a small database
    if term == "RARE":
        sql = "SELECT split_part(email, '@', 1) FROM \"user\" ORDER BY id OFFSET 1800 LIMIT 1"
        term = _one(seeded_engine, sql)[0]
    hits = find(seeded_engine, term, limit=5)
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    plain = {
        "organization": "SELECT id FROM organization WHERE name ILIKE :p",
        "user": 'SELECT id FROM "user" WHERE email ILIKE :p OR name ILIKE :p',
        "plugin": "SELECT id FROM plugin WHERE title ILIKE :p",
    }
    found_any = False
    with seeded_engine.connect() as connection:
        for kind, sql in plain.items():
            rows = connection.execute(text(sql + " ORDER BY id LIMIT 5"), {"p": pattern}).all()
            expected = [row[0] for row in rows]
            found_any = found_any or bool(expected)
            assert [h.id for h in hits if h.kind == kind] == expected, kind
    assert found_any == (term != "zzzz")
