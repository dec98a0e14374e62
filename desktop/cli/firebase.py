"""`tenantry firebase drift`: the Firebase/database drift report for scripts and schedules.

Exit status: 0 no drift, 1 drift found, 2 error (one line on stderr). Emails, uids and
other values from the database or Firebase are escaped before they reach the terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from desktop.cli.common import Parser, UsageError, printable
from desktop.core.errors import KnownError
from desktop.services.connect import Connector, open_profile, resolve_password
from desktop.services.database import Database, open_database
from desktop.services.firebase import profile_settings
from desktop.services.firebase.client import connect
from desktop.services.firebase.drift import Category, DriftReport, build_report
from desktop.services.firebase.settings import (
    DEFAULT_HTTP_TIMEOUT_S,
    FirebaseSettings,
    emulator_settings,
    read_service_account_file,
    service_account_settings,
)

EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2
DATABASE_URL_ENV = "TENANTRY_DATABASE_URL"
SHOWN_PER_CATEGORY = 20


@dataclass(frozen=True)
class Target:
    """A database (opened on demand) and the Firebase project its users sign in with.

    Built from explicit flags, or from a saved profile (its connection and password, and its
    Firebase emulator address or service-account key from the keyring).
    """

    open: Callable[[], Database]
    firebase: FirebaseSettings


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="tenantry firebase", description="Firebase Authentication accounts of the users."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    drift = commands.add_parser(
        "drift",
        help="report users and accounts that disagree (exit 0 none, 1 drift, 2 error)",
        description="Join every Firebase account with every database user and report "
        "disagreements. Exit status: 0 no drift, 1 drift, 2 error.",
    )
    drift.add_argument(
        "--database-url",
        metavar="URL",
        default=os.environ.get(DATABASE_URL_ENV),
        help=f"SQLAlchemy URL of the database (default: ${DATABASE_URL_ENV})",
    )
    drift.add_argument(
        "--profile", metavar="NAME", help="a saved profile (its database and Firebase settings)"
    )
    drift.add_argument("--project", metavar="ID", help="Firebase project id")
    how = drift.add_mutually_exclusive_group()
    how.add_argument("--emulator", metavar="HOST:PORT", help="use the Firebase Auth emulator")
    how.add_argument(
        "--credentials", metavar="FILE", help="service-account key file (JSON) of the project"
    )
    drift.add_argument("--json", action="store_true", help="print the report as JSON")
    drift.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_HTTP_TIMEOUT_S,
        metavar="SECONDS",
        help=f"HTTP timeout per Firebase request (default {DEFAULT_HTTP_TIMEOUT_S:g})",
    )
    return parser


def resolve_target(args: argparse.Namespace) -> Target:
    """Flags, or a saved profile, to a Target."""
    if not 0.5 <= args.timeout <= 120:
        raise KnownError("--timeout must be between 0.5 and 120 seconds.")
    if args.profile:
        return _profile_target(args)
    if not args.project or not (args.emulator or args.credentials):
        raise KnownError(
            "Give --profile NAME, or --project ID with --emulator HOST:PORT or --credentials FILE."
        )
    if not args.database_url:
        raise KnownError(f"Give --database-url (or set {DATABASE_URL_ENV}).")
    try:
        make_url(args.database_url)
    except ArgumentError:
        raise KnownError("--database-url is not a database URL.") from None
    if args.emulator:
        settings = emulator_settings(args.project, args.emulator, http_timeout_s=args.timeout)
    else:
        settings = service_account_settings(
            read_service_account_file(args.credentials),
            project_id=args.project,
            http_timeout_s=args.timeout,
        )
    url = args.database_url
    label = make_url(url).render_as_string(hide_password=True)
    return Target(
        open=lambda: open_database(url, label=label, environment="cli", read_only=True),
        firebase=settings,
    )


def _profile_target(args: argparse.Namespace) -> Target:
    if args.project or args.emulator or args.credentials or args.database_url_given:
        raise KnownError(
            "--profile takes its database and Firebase settings from the profile; "
            "leave out --database-url, --project, --emulator and --credentials."
        )
    connector = Connector()
    profile = connector.store.get(args.profile)
    settings = profile_settings.settings_for(profile, http_timeout_s=args.timeout)

    def opener() -> Database:
        creds = resolve_password(profile, connector.secrets, connector.session)
        return open_profile(profile, creds.password)

    return Target(open=opener, firebase=settings)


def run_drift(target: Target, *, as_json: bool, out: TextIO) -> int:
    database = target.open()
    client = connect(target.firebase)
    try:
        report = build_report(database.engine, client)
    finally:
        client.close()
        database.dispose()
    if as_json:
        json.dump(report.to_json(), out, indent=2)
        out.write("\n")
    else:
        _print_text(report, out)
    return EXIT_DRIFT if report.total else EXIT_OK


def _print_text(report: DriftReport, out: TextIO) -> None:
    out.write(
        f"{printable(report.where)}: {report.users_checked:,} users, "
        f"{report.accounts_checked:,} accounts checked in {report.seconds:.1f} s; "
        f"{report.total:,} disagreements.\n"
    )
    for category in Category:
        entries = report.entries[category]
        if not entries:
            continue
        out.write(f"\n{category.heading} ({len(entries):,}); fix: {category.fix_label}\n")
        for entry in entries[:SHOWN_PER_CATEGORY]:
            user = f"user {entry.user_id}" if entry.user_id is not None else "no user"
            email, uid = printable(entry.email or "-"), printable(entry.firebase_uid or "-")
            out.write(f"  {user:<14} {email:<40} uid {uid}  ({printable(entry.detail)})\n")
        if len(entries) > SHOWN_PER_CATEGORY:
            out.write(f"  ... and {len(entries) - SHOWN_PER_CATEGORY:,} more (use --json)\n")


def main(argv: Sequence[str]) -> int:
    try:
        args = build_parser().parse_args(list(argv))
    except UsageError as exc:
        print(printable(" ".join(str(exc).split())), file=sys.stderr)
        return EXIT_ERROR
    args.database_url_given = any(a.startswith("--database-url") for a in argv)
    try:
        target = resolve_target(args)
        return run_drift(target, as_json=args.json, out=sys.stdout)
    except KnownError as exc:
        message = printable(" ".join(exc.message.split()))
        print(f"tenantry firebase {args.command}: {message}", file=sys.stderr)
        return EXIT_ERROR
