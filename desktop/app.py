"""Bootstrap: parse the command line, then run a subcommand or open the window."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from desktop import __version__


def build_parser() -> argparse.ArgumentParser:
    from desktop.cli.common import Parser  # one-line usage errors

    parser = Parser(
        prog="tenantry",
        description="Desktop admin client for the product's multi-tenant PostgreSQL database.",
    )
    parser.add_argument("--version", action="version", version=f"tenantry {__version__}")
    parser.add_argument("--demo", action="store_true", help="open the embedded demo database")
    parser.add_argument(
        "--demo-size",
        type=_positive_int,
        default=None,
        metavar="N",
        help="number of demo users to seed on first run (default 20,000)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="with --demo: delete and recreate the demo database"
    )
    parser.add_argument("--profile", metavar="NAME", help="open a saved connection profile")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="build the window, load the first pages, exit 0 (non-zero with the reason)",
    )
    parser.add_argument("--verbose", action="store_true", help="log debug details to stderr")
    parser.epilog = "Connection profiles from the shell: tenantry profile --help"
    return parser


def _positive_int(value: str) -> int:
    try:
        number = int(value.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= number <= 50_000_000:
        raise argparse.ArgumentTypeError("must be between 1 and 50,000,000")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["profile"]:
        return _reported(lambda: _run_cli(argv[1:]), "tenantry profile")
    if argv[:1] == ["firebase"]:  # Qt-free subcommand
        from desktop.cli import firebase

        return _reported(lambda: firebase.main(argv[1:]), "tenantry firebase")
    from desktop.cli.common import UsageError, printable

    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(printable(" ".join(str(exc).split())), file=sys.stderr)
        return 2
    if args.reset and not args.demo:
        print("tenantry: --reset only applies with --demo", file=sys.stderr)
        return 2
    if args.demo_size is not None and not args.demo:
        print("tenantry: --demo-size only applies with --demo", file=sys.stderr)
        return 2
    if args.demo and args.profile:
        print("tenantry: choose either --demo or --profile, not both", file=sys.stderr)
        return 2

    from desktop.core import logs

    logs.configure(verbose=args.verbose)
    from desktop.ui.application import run

    return run(args)


def _reported(command: Callable[[], int], where: str) -> int:
    """Run a subcommand; a bug becomes one line and a scrubbed crash report, exit 1."""
    try:
        return command()
    except Exception as exc:  # noqa: BLE001 - a bug: report it without leaking secrets
        from desktop.core import crash

        report = crash.record(exc, where=where)
        saved = f"; details in {report.path}" if report.path else ""
        print(f"{where}: unexpected error (a bug): {report.summary}{saved}", file=sys.stderr)
        return 1


def _run_cli(argv: list[str]) -> int:
    """`tenantry profile ...`: no window, and PySide6 is never imported."""
    from desktop.cli import profile
    from desktop.core import logs

    logs.configure(verbose="--verbose" in argv)
    return profile.main([a for a in argv if a != "--verbose"])


if __name__ == "__main__":
    sys.exit(main())
