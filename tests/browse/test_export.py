"""Export at the service level: exact content, awkward text, masked credentials, cancel."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from desktop.core.cancel import CancelToken, scope
from desktop.core.errors import Cancelled, KnownError
from desktop.db.view_state import ViewState
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
