"""`tenantry profile ...`: manage connection profiles from scripts and installers, no window.

Exit codes: 0 success; 1 the operation failed (connection, keyring); 2 bad input (unknown
profile, invalid setting, a Firebase setting, wrong usage, a password on stdin that is not
UTF-8 or holds a NUL). Failures print one line to stderr, naming the field; bad input
writes nothing (no profile, no keyring entry). Passwords are read only from stdin
(`--password-stdin`) and never printed. Everything printed is escaped for the terminal
(`common.printable`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from desktop.cli.common import Parser, UsageError, printable, read_stdin_secret, say
from desktop.core.errors import KnownError
from desktop.core.profiles import (
    ENVIRONMENTS,
    SSLMODES,
    Imported,
    Profile,
    ProfileError,
    coerce,
    from_environment,
    from_service,
)
from desktop.core.secrets import SecretStoreError
from desktop.services.connect import Connector
from desktop.services.firebase import profile_settings
from desktop.services.firebase.settings import FirebaseSettingsError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="tenantry profile",
        description="Manage Tenantry connection profiles (passwords live in the OS keyring).",
        epilog="Exit codes: 0 success, 1 failure (connection, keyring), 2 bad input.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add = commands.add_parser("add", help="create a profile")
    add.add_argument("name")
    add.add_argument("--host", required=True)
    add.add_argument("--port", required=True)
    add.add_argument("--database", required=True)
    add.add_argument("--user", required=True)
    _settings(add)
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from stdin and save it in the system keyring",
    )

    commands.add_parser("list", help="list profiles")

    show = commands.add_parser("show", help="show a profile (never its password)")
    show.add_argument("name")

    test = commands.add_parser("test", help="connect once and report (exit 1 on failure)")
    test.add_argument("name")
    test.add_argument(
        "--password-stdin",
        action="store_true",
        help="use the password read from stdin for this test only (not saved)",
    )

    remove = commands.add_parser("remove", help="delete a profile and its keyring entry")
    remove.add_argument("name")

    service = commands.add_parser(
        "import-service", help="create a profile from a pg_service.conf service"
    )
    service.add_argument("name")
    service.add_argument("--service", help="service name (default: the profile name)")
    _settings(service, defaults=False)

    env = commands.add_parser(
        "import-env", help="create a profile from PGHOST, PGPORT, PGDATABASE, PGUSER, ..."
    )
    env.add_argument("name")
    _settings(env, defaults=False)
    return parser


def _settings(parser: argparse.ArgumentParser, defaults: bool = True) -> None:
    parser.add_argument("--sslmode", choices=SSLMODES, default="prefer" if defaults else None)
    parser.add_argument("--sslrootcert")
    parser.add_argument("--sslcert")
    parser.add_argument("--sslkey")
    parser.add_argument("--connect-timeout", metavar="SECONDS")
    parser.add_argument("--statement-timeout", metavar="MS")
    parser.add_argument("--application-name")
    parser.add_argument(
        "--environment", choices=ENVIRONMENTS, default="development" if defaults else None
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=None,
        help="sessions start read-only (PostgreSQL refuses writes)",
    )
    parser.add_argument("--firebase-project", metavar="ID", help="Firebase project id")
    parser.add_argument(
        "--firebase-emulator", metavar="HOST:PORT", help="use a Firebase Auth emulator"
    )
    parser.add_argument(
        "--firebase-credentials",
        metavar="FILE",
        help="service-account key (JSON) to import into the OS keyring",
    )


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    keys = (
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "connect_timeout",
        "statement_timeout",
        "application_name",
        "environment",
        "read_only",
        "firebase_project",
        "firebase_emulator",
    )
    return {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}


def _read_password(stdin: TextIO) -> str:
    return read_stdin_secret(stdin, "--password-stdin")


# -- commands ---------------------------------------------------------------------------------


def _add(args: argparse.Namespace, connector: Connector, out: TextIO, stdin: TextIO) -> int:
    profile = coerce(
        name=args.name,
        host=args.host,
        port=args.port,
        database=args.database,
        user=args.user,
        **_overrides(args),
    )
    if connector.store.exists(profile.name):
        raise ProfileError(f"A profile named {profile.name!r} already exists.", field="name")
    profile_settings.check(profile)
    key_file = args.firebase_credentials
    if key_file and profile.firebase_emulator:
        raise ProfileError("Give either --firebase-emulator or --firebase-credentials, not both.")
    if key_file:
        # Validate the key before writing anything: no half-made profile.
        profile_settings.settings_for_key_file(profile, key_file)
        profile_settings.key_store().check()
    password = _read_password(stdin) if args.password_stdin else None
    if password is not None:
        connector.secrets.check()  # before writing anything: no half-made profile
    saved: list[Callable[[], object]] = []  # undo steps, should the profile not be written

    def save_secrets(profile: Profile) -> None:
        # Under the profiles file's lock, once the name is known to be free: a parallel
        # `add` of the same name cannot overwrite these secrets, nor see them removed.
        if password is not None:
            connector.secrets.set(profile.name, password)
            saved.append(lambda: connector.secrets.delete(profile.name))
        if key_file:
            profile_settings.import_key(profile, key_file)
            saved.append(lambda: profile_settings.key_store().delete(profile.name))

    try:
        connector.store.add(profile, before_write=save_secrets)
    except BaseException:
        for undo in reversed(saved):
            try:
                undo()
            except KnownError:
                pass  # the first error is the one to report
        raise
    notes = []
    if password is not None:
        notes.append("password saved in the system keyring")
    if key_file:
        notes.append("Firebase key saved in the system keyring")
    said = f" ({'; '.join(notes)})" if notes else ""
    say(f"Added profile {profile.name!r}: {profile.address}{said}", out)
    return EXIT_OK


def _list(args: argparse.Namespace, connector: Connector, out: TextIO, stdin: TextIO) -> int:
    profiles = connector.store.load()
    if not profiles:
        say("No profiles. Add one with: tenantry profile add NAME --host ...", out)
        return EXIT_OK
    width = max(len(p.name) for p in profiles)
    for p in profiles:
        mode = "read-only" if p.read_only else "read-write"
        say(f"{p.name:<{width}}  {p.environment:<11}  {mode:<10}  {p.address}", out)
    return EXIT_OK


def _show(args: argparse.Namespace, connector: Connector, out: TextIO, stdin: TextIO) -> int:
    profile = connector.store.get(args.name)
    for key, value in profile.to_json().items():
        if isinstance(value, bool):
            value = "yes" if value else "no"
        say(f"{key}: {value}", out)
    say(f"password: {_password_state(profile, connector)}", out)
    return EXIT_OK


def _password_state(profile: Profile, connector: Connector) -> str:
    try:
        saved = connector.secrets.get(profile.name) is not None
    except SecretStoreError as exc:
        return f"unknown ({exc.message})"
    return "saved in the system keyring" if saved else "not saved (libpq may use ~/.pgpass)"


def _test(args: argparse.Namespace, connector: Connector, out: TextIO, stdin: TextIO) -> int:
    profile = connector.store.get(args.name)
    typed = _read_password(stdin) if args.password_stdin else None
    report = connector.test(profile, typed)
    for line in report.lines():
        say(line, out)
    return EXIT_OK


def _remove(args: argparse.Namespace, connector: Connector, out: TextIO, stdin: TextIO) -> int:
    problem = connector.remove(args.name)
    try:
        profile_settings.key_store().delete(args.name)
    except KnownError as exc:
        problem = problem or exc.message
    say(f"Removed profile {args.name!r}.", out)
    if problem:
        raise KnownError(problem)
    return EXIT_OK


def _imported(imported: Imported, connector: Connector, out: TextIO) -> int:
    connector.store.add(imported.profile)
    say(f"Added profile {imported.profile.name!r}: {imported.profile.address}", out)
    for note in imported.notes:
        say(f"note: {note}", out)
    return EXIT_OK


def _import_service(
    args: argparse.Namespace, connector: Connector, out: TextIO, stdin: TextIO
) -> int:
    if connector.store.exists(args.name):
        raise ProfileError(f"A profile named {args.name!r} already exists.", field="name")
    imported = from_service(args.name, args.service or args.name, **_overrides(args))
    return _imported(imported, connector, out)


def _import_env(args: argparse.Namespace, connector: Connector, out: TextIO, stdin: TextIO) -> int:
    if connector.store.exists(args.name):
        raise ProfileError(f"A profile named {args.name!r} already exists.", field="name")
    return _imported(from_environment(args.name, **_overrides(args)), connector, out)


Command = Callable[[argparse.Namespace, Connector, TextIO, TextIO], int]

COMMANDS: dict[str, Command] = {
    "add": _add,
    "list": _list,
    "show": _show,
    "test": _test,
    "remove": _remove,
    "import-service": _import_service,
    "import-env": _import_env,
}


def main(
    argv: Sequence[str],
    *,
    connector: Connector | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = build_parser().parse_args(list(argv))
    except UsageError as exc:
        print(_one_line(str(exc)), file=err)
        return EXIT_USAGE
    except SystemExit as exc:  # --help printed the help
        return int(exc.code or 0)
    connector = connector or Connector()
    try:
        return COMMANDS[args.command](args, connector, out, stdin or sys.stdin)
    except UsageError as exc:
        print(f"tenantry profile: {_one_line(str(exc))}", file=err)
        return EXIT_USAGE
    except (ProfileError, FirebaseSettingsError) as exc:  # bad input: nothing was written
        print(f"tenantry profile: {_one_line(exc.message)}", file=err)
        return EXIT_USAGE
    except KnownError as exc:
        print(f"tenantry profile: {_one_line(exc.message)}", file=err)
        return EXIT_FAILED


def _one_line(message: str) -> str:
    """One line, escaped for the terminal (a message may quote what was typed)."""
    return printable(" ".join(message.split()))
