"""Importing users from a CSV file into one organization: a dry run, then one transaction."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from desktop.core.errors import KnownError
from desktop.core.events import INSERT
from desktop.core.validation import ValidationError
from desktop.services import audit, changes, users
from desktop.services.database import Database
from desktop.services.writes import Actor, transaction

REQUIRED = ("name", "email")
OPTIONAL = ("status", "is_system", "firebase_id")
MAX_BYTES = 20_000_000
TRUE, FALSE = {"true", "yes", "1", "y", "t"}, {"false", "no", "0", "n", "f", ""}


@dataclass(frozen=True)
class ImportRow:
    line: int
    fields: dict[str, Any]


@dataclass(frozen=True)
class ImportPlan:
    organization_id: int
    rows: tuple[ImportRow, ...]
    errors: tuple[tuple[int, str], ...]  # (line number, message)


def read_file(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise KnownError(f"{path.name} is larger than {MAX_BYTES // 1_000_000} MB.")
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise KnownError(f"{path.name} is not UTF-8 text.") from None
    except OSError as exc:
        raise KnownError(f"Could not read {path}: {exc.strerror}") from None


def plan(db: Database, organization_id: int, content: str) -> ImportPlan:
    """Check every line (syntax, required fields, duplicates in the file and the database)."""
    if "\x00" in content:
        raise KnownError("The file contains NUL characters; it is not a CSV text file.")
    # newline="": the csv module handles \r, \n and \r\n line ends itself (and in quotes).
    reader = csv.DictReader(io.StringIO(content, newline=""))
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise KnownError(f"The file is not valid CSV (line {reader.line_num}): {exc}") from None
    header = [h.strip().lower() for h in (fieldnames or [])]
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:  # DictReader would silently keep the last of them
        names = ", ".join(repr(h) for h in repeated)
        raise KnownError(
            f"The first line names the column(s) {names} more than once; "
            "each column must appear once (which one was meant is not guessed)."
        )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise KnownError(
            f"The first line must name the columns; missing: {', '.join(missing)}. "
            f"Known columns: {', '.join(REQUIRED + OPTIONAL)}."
        )
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        raise KnownError(f"Unknown column(s): {', '.join(unknown)}.")
    rows: list[ImportRow] = []
    errors: list[tuple[int, str]] = []
    seen_emails: dict[str, int] = {}
    try:
        for record in reader:
            line = reader.line_num
            raw = {k.strip().lower(): (v or "") for k, v in record.items() if k is not None}
            if None in record:
                errors.append((line, "More values than columns."))
                continue
            try:
                fields = _fields(raw, organization_id)
            except ValidationError as exc:
                errors.append((line, "; ".join(exc.problems.values())))
                continue
            key = fields["email"].lower()
            if key in seen_emails:
                errors.append((line, f"Same email as line {seen_emails[key]}."))
                continue
            seen_emails[key] = line
            rows.append(ImportRow(line, fields))
    except csv.Error as exc:
        raise KnownError(f"The file is not valid CSV (line {reader.line_num}): {exc}") from None
    taken = _existing_emails(db, [row.fields["email"] for row in rows])
    valid = []
    for row in rows:
        if row.fields["email"].lower() in taken:
            errors.append((row.line, f"{row.fields['email']} already exists in the database."))
        else:
            valid.append(row)
    return ImportPlan(organization_id, tuple(valid), tuple(sorted(errors)))


def _fields(raw: dict[str, str], organization_id: int) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": raw["name"],
        "email": raw["email"],
        "organization_id": organization_id,
    }
    if raw.get("status", "").strip():
        fields["status"] = raw["status"]
    if "is_system" in raw:
        flag = raw["is_system"].strip().lower()
        if flag not in TRUE | FALSE:
            raise ValidationError({"is_system": f"is_system must be true or false, not {flag!r}."})
        fields["is_system"] = flag in TRUE
    if raw.get("firebase_id", "").strip():
        fields["firebase_id"] = raw["firebase_id"]
    return users.validate(fields)


def _existing_emails(db: Database, emails: list[str]) -> set[str]:
    if not emails:
        return set()
    with db.engine.connect() as connection:
        found = connection.execute(
            text('SELECT lower(email) FROM "user" WHERE lower(email) = ANY(:emails)'),
            {"emails": [e.lower() for e in emails]},
        ).scalars()
        return set(found)


def apply(db: Database, actor: Actor, import_plan: ImportPlan) -> int:
    """Insert every valid row in one transaction; any failure inserts none."""
    if not import_plan.rows:
        raise KnownError("There are no valid rows to import.")
    records = [
        {
            "name": row.fields["name"],
            "email": row.fields["email"],
            "status": int(row.fields.get("status", 1)),
            "is_system": bool(row.fields.get("is_system", False)),
            "firebase_id": row.fields.get("firebase_id"),
        }
        for row in import_plan.rows
    ]
    with transaction(db) as connection:
        exists = connection.execute(
            text("SELECT 1 FROM organization WHERE id = :id"),
            {"id": import_plan.organization_id},
        ).first()
        if exists is None:
            raise KnownError(f"Organization #{import_plan.organization_id} does not exist.")
        inserted = connection.execute(
            text(
                f"""
                WITH incoming AS (
                    SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS r(
                        name text, email text, status int, is_system bool, firebase_id text)
                ), created AS (
                    INSERT INTO "user" (name, email, organization_id, status, is_system,
                                        firebase_id)
                    SELECT name, email, :org, status, is_system, firebase_id FROM incoming
                    RETURNING *
                ), logged AS (
                    INSERT INTO tenantry_audit (os_user, profile, entity, entity_id, action,
                                                after)
                    SELECT :os_user, :profile, 'user', id, 'import',
                           {audit.user_row_json("created")}
                    FROM created
                )
                SELECT id FROM created
                """
            ),
            {
                "rows": json.dumps(records),
                "org": import_plan.organization_id,
                "os_user": actor.os_user,
                "profile": actor.profile,
            },
        ).scalars()
        ids = [int(i) for i in inserted]
        changes.note(connection, "user", ids, INSERT)
    return len(ids)
