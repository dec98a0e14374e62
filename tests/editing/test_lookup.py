"""Choosing an organization by part of its name or its id; LIKE wildcards are literal."""

from __future__ import annotations

from desktop.services import lookup
from desktop.services.database import Database


def test_organizations_by_name_part_id_and_literal_wildcards(db: Database) -> None:
    found = lookup.organizations_named(db, "harbor")
    assert found and all("harbor" in name.lower() for _, name in found)
    assert lookup.organizations_named(db, "2")[0][0] == 2  # the id itself comes first
    assert lookup.organizations_named(db, "%") == []
    assert lookup.organizations_named(db, "_") == []
    assert lookup.organizations_named(db, "a\x00b") == lookup.organizations_named(db, "ab")
