"""The drift report: each category created on purpose and found, each fix applied and checked."""

from __future__ import annotations

import threading

import pytest
from firebase_admin import auth
from sqlalchemy import text
from sqlalchemy.engine import Engine

from desktop.core.errors import Cancelled
from desktop.db.errors import ReadOnlyViolation
from desktop.services import audit
from desktop.services.database import open_database
from desktop.services.firebase import drift_fix
from desktop.services.firebase.client import FirebaseClient
from desktop.services.firebase.drift import Category, DriftReport, build_report
from desktop.services.firebase.session import FirebaseAccounts
from desktop.services.firebase.settings import FirebaseSettings
from desktop.services.writes import Actor

from .helpers import add_users, user_row


def _drifted(engine: Engine, fb: FirebaseClient) -> dict[str, object]:
    """One case of every category plus a user in step, and what they are."""
    good = fb.auth.create_user(email="good@acme.example")
    renamed = fb.auth.create_user(email="before@acme.example")
    enabled = fb.auth.create_user(email="inactive@acme.example")
    orphan = fb.auth.create_user(email="orphan@elsewhere.example")
    linkable = fb.auth.create_user(email="linkable@acme.example")
    ids = add_users(
        engine,
        [
            {"email": "good@acme.example", "firebase_id": good.uid},
            {"email": "none@acme.example"},
            {"email": "linkable@acme.example"},
            {"email": "dangling@acme.example", "firebase_id": "uid-that-is-gone"},
            {"email": "after@acme.example", "firebase_id": renamed.uid},
            {"email": "inactive@acme.example", "firebase_id": enabled.uid, "status": 2},
        ],
    )
    names = ["good", "none", "linkable", "dangling", "renamed", "inactive"]
    return {
        **dict(zip(names, ids, strict=True)),
        "orphan_uid": orphan.uid,
        "linkable_uid": linkable.uid,
        "renamed_uid": renamed.uid,
        "inactive_uid": enabled.uid,
        "good_uid": good.uid,
    }


def _by(report: DriftReport, category: Category) -> list[tuple[object, object, object]]:
    return [(e.user_id, e.email, e.firebase_uid) for e in report.entries[category]]


def test_every_category_is_found(engine: Engine, fb: FirebaseClient) -> None:
    case = _drifted(engine, fb)

    report = build_report(engine, fb)

    assert report.users_checked == 6 and report.accounts_checked == 5
    assert _by(report, Category.USERS_WITHOUT_ACCOUNT) == [
        (case["none"], "none@acme.example", None),
        (case["linkable"], "linkable@acme.example", case["linkable_uid"]),
    ]
    assert _by(report, Category.FIREBASE_ID_POINTING_NOWHERE) == [
        (case["dangling"], "dangling@acme.example", "uid-that-is-gone")
    ]
    assert _by(report, Category.ACCOUNTS_WITHOUT_USER) == [
        (None, "orphan@elsewhere.example", case["orphan_uid"])
    ]
    (mismatch,) = report.entries[Category.EMAIL_MISMATCHES]
    assert (mismatch.user_id, mismatch.firebase_uid) == (case["renamed"], case["renamed_uid"])
    assert (mismatch.email, mismatch.account_email) == ("after@acme.example", "before@acme.example")
    (status,) = report.entries[Category.STATUS_MISMATCHES]
    assert (status.user_id, status.account_disabled) == (case["inactive"], False)
    assert report.total == 6
    json = report.to_json()
    assert set(json) == {c.value for c in Category}
    assert json["users_without_account"][1] == {
        "user_id": case["linkable"],
        "email": "linkable@acme.example",
        "firebase_uid": case["linkable_uid"],
        "account_with_same_email": case["linkable_uid"],
    }


def test_no_drift_when_in_step(engine: Engine, fb: FirebaseClient) -> None:
    a = fb.auth.create_user(email="A@acme.example")
    b = fb.auth.create_user(email="b@acme.example", disabled=True)
    add_users(
        engine,
        [
            {"email": "a@acme.example", "firebase_id": a.uid},
            {"email": "b@acme.example", "firebase_id": b.uid, "status": 3},
        ],
    )
    report = build_report(engine, fb)
    assert report.total == 0 and report.accounts_checked == 2


def test_fix_all_puts_both_sides_in_step(engine: Engine, fb: FirebaseClient) -> None:
    case = _drifted(engine, fb)
    report = build_report(engine, fb)
    seen: list[tuple[int, int | None]] = []

    summary = drift_fix.fix(
        engine, fb, report.all_entries(), progress=lambda d, t, _: seen.append((d, t))
    )

    assert summary.failed == [] and len(summary.fixed) == 6 and not summary.cancelled
    assert seen[-1] == (6, 6)
    # users without an account: one linked by email, one given a new account
    assert user_row(engine, case["linkable"])["firebase_id"] == case["linkable_uid"]  # type: ignore[index]
    created = user_row(engine, case["none"])["firebase_id"]  # type: ignore[index]
    assert fb.auth.get_user(created).email == "none@acme.example"
    # firebase_id pointing nowhere: recreated under the same uid
    assert fb.auth.get_user("uid-that-is-gone").email == "dangling@acme.example"
    # account without user: deleted
    with pytest.raises(auth.UserNotFoundError):
        fb.auth.get_user(case["orphan_uid"])
    # email and status follow the database
    assert fb.auth.get_user(case["renamed_uid"]).email == "after@acme.example"
    assert fb.auth.get_user(case["inactive_uid"]).disabled is True
    assert build_report(engine, fb).total == 0


@pytest.mark.parametrize("category", list(Category))
def test_fix_one_row_per_category(engine: Engine, fb: FirebaseClient, category: Category) -> None:
    _drifted(engine, fb)
    report = build_report(engine, fb)
    entry = report.entries[category][0]

    summary = drift_fix.fix_one(engine, fb, entry)

    assert summary.fixed == [entry], summary.failed
    after = build_report(engine, fb)
    assert all(
        (e.user_id, e.firebase_uid) != (entry.user_id, entry.firebase_uid)
        for e in after.entries[category]
    )
    assert after.total == report.total - 1


def test_row_changed_since_report_is_left_alone(engine: Engine, fb: FirebaseClient) -> None:
    record = fb.auth.create_user(email="s@acme.example")
    (user_id,) = add_users(engine, [{"email": "s@acme.example", "firebase_id": record.uid}])
    with engine.begin() as connection:
        connection.execute(text('UPDATE "user" SET status = 2 WHERE id = :id'), {"id": user_id})
    report = build_report(engine, fb)
    with engine.begin() as connection:
        connection.execute(text('UPDATE "user" SET status = 1 WHERE id = :id'), {"id": user_id})

    summary = drift_fix.fix(engine, fb, report.all_entries())

    assert summary.fixed == [] and "changed since the report" in summary.failed[0][1]
    assert fb.auth.get_user(record.uid).disabled is False


def test_bulk_fix_in_batches_with_cancel(engine: Engine, fb: FirebaseClient) -> None:
    """2,500 orphan accounts: deleted 1,000 a call; Cancel after the first batch stops it."""
    records = [
        auth.ImportUserRecord(uid=f"orphan{i:05d}", email=f"o{i}@x.example") for i in range(2_500)
    ]
    for start in range(0, len(records), 1_000):
        assert fb.auth.import_users(records[start : start + 1_000]).failure_count == 0
    report = build_report(engine, fb)
    assert len(report.entries[Category.ACCOUNTS_WITHOUT_USER]) == 2_500
    cancel = threading.Event()
    steps: list[int] = []

    def progress(done: int, total: int | None, what: str) -> None:
        steps.append(done)
        cancel.set()

    summary = drift_fix.fix(engine, fb, report.all_entries(), progress=progress, cancel=cancel)

    assert summary.cancelled and steps == [1_000]
    assert len(summary.fixed) == 1_000 and len(summary.failed) == 1_500
    assert len(list(fb.auth.list_users().iterate_all())) == 1_500

    rest = build_report(engine, fb)
    summary = drift_fix.fix(engine, fb, rest.all_entries())
    assert len(summary.fixed) == 1_500 and summary.failed == []
    assert list(fb.auth.list_users().iterate_all()) == []


def test_report_can_be_cancelled(engine: Engine, fb: FirebaseClient) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        build_report(engine, fb, cancel=cancel)


def test_report_pages_through_more_than_one_page(engine: Engine, fb: FirebaseClient) -> None:
    records = [
        auth.ImportUserRecord(uid=f"u{i:05d}", email=f"u{i}@x.example") for i in range(2_345)
    ]
    for start in range(0, len(records), 1_000):
        fb.auth.import_users(records[start : start + 1_000])
    add_users(
        engine, [{"email": f"u{i}@x.example", "firebase_id": f"u{i:05d}"} for i in range(2_000)]
    )
    pages: list[int] = []
    report = build_report(engine, fb, progress=lambda d, t, w: pages.append(d))
    assert pages[-3:] == [1_000, 2_000, 2_345]
    assert len(report.entries[Category.ACCOUNTS_WITHOUT_USER]) == 345
    assert report.total == 345


def _all_accounts(fb: FirebaseClient) -> list[tuple[str, object, object, object]]:
    return sorted(
        (r.uid, r.email, r.disabled, r.display_name) for r in fb.auth.list_users().iterate_all()
    )


def test_read_only_profile_fix_is_refused_before_firebase(
    schema_url: str, engine: Engine, fb: FirebaseClient, fb_settings: FirebaseSettings
) -> None:
    _drifted(engine, fb)
    report = build_report(engine, fb)
    assert report.total == 6
    before = _all_accounts(fb)
    read_only = open_database(schema_url, label="support", environment="production", read_only=True)
    assert read_only.read_only
    service = FirebaseAccounts(
        read_only.engine,
        fb_settings,
        audit=audit.firebase_hook(Actor("support", "me")),
        database=read_only,
    )
    calls: list[str] = []
    try:
        client = service.client()
        for name in ("import_users", "delete_users", "update_user", "get_users"):
            real = getattr(client.auth, name)
            setattr(
                client.auth,
                name,
                lambda *a, _n=name, _r=real, **k: (calls.append(_n), _r(*a, **k))[1],
            )
        with pytest.raises(ReadOnlyViolation, match="read-only"):
            service.fix(report.all_entries())
        # The engine alone (no Database at hand) is refused by its session, too.
        with pytest.raises(ReadOnlyViolation, match="Firebase was not changed"):
            drift_fix.fix(read_only.engine, client, report.all_entries())
    finally:
        service.close()
        read_only.dispose()
    assert calls == []
    assert _all_accounts(fb) == before
    assert build_report(engine, fb).total == 6


def test_fix_audits_its_database_changes(
    engine: Engine, fb: FirebaseClient, fb_settings: FirebaseSettings
) -> None:
    case = _drifted(engine, fb)
    report = build_report(engine, fb)
    service = FirebaseAccounts(engine, fb_settings, audit=audit.firebase_hook(Actor("p", "me")))
    try:
        summary = service.fix(report.all_entries())
    finally:
        service.close()
    assert len(summary.fixed) == 6 and summary.failed == []
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT entity, entity_id, action, before, after, os_user, profile"
                " FROM tenantry_audit ORDER BY entity_id"
            )
        ).all()
    created = user_row(engine, case["none"])["firebase_id"]  # type: ignore[index]
    # Only the two fixes that change rows (firebase_id) are database changes; the others
    # change Firebase alone (the recreated account keeps the row's uid).
    assert [tuple(r) for r in rows] == sorted(
        [
            (
                "user",
                case["none"],
                "firebase: drift fix: create the Firebase account",
                {"firebase_id": None, "email": "none@acme.example"},
                {"firebase_id": created, "email": "none@acme.example"},
                "me",
                "p",
            ),
            (
                "user",
                case["linkable"],
                "firebase: drift fix: link the Firebase account",
                {"firebase_id": None, "email": "linkable@acme.example"},
                {"firebase_id": case["linkable_uid"], "email": "linkable@acme.example"},
                "me",
                "p",
            ),
        ],
        key=lambda r: r[1],  # type: ignore[arg-type, return-value]
    )


def test_rerun_with_an_old_report_links_instead_of_duplicating(
    engine: Engine, fb: FirebaseClient
) -> None:
    """An account made since the report (by an earlier run whose answer was lost) is
    found by its email and linked; the dangling uid's recreated account is found by uid."""
    _drifted(engine, fb)
    report = build_report(engine, fb)
    made = fb.auth.create_user(email="none@acme.example")
    fb.auth.import_users([auth.ImportUserRecord(uid="uid-that-is-gone", email="x@acme.example")])
    entries = [
        *report.entries[Category.USERS_WITHOUT_ACCOUNT],
        *report.entries[Category.FIREBASE_ID_POINTING_NOWHERE],
    ]
    summary = drift_fix.fix(engine, fb, entries)
    assert len(summary.fixed) == 3 and summary.failed == []
    emails = [r.email for r in fb.auth.list_users().iterate_all()]
    assert emails.count("none@acme.example") == 1
    with engine.connect() as c:
        linked = c.execute(
            text("SELECT firebase_id FROM \"user\" WHERE email = 'none@acme.example'")
        ).scalar_one()
    assert linked == made.uid
