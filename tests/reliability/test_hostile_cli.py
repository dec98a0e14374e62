"""Hostile command lines, run in-process: `tenantry [options]`, `tenantry profile ...` and
`tenantry firebase ...` end with a sane exit code (0, 1 or 2) and never a traceback.

The window itself is not opened: `desktop.ui.application.run` is replaced by a recorder,
so what is tested is the parsing and the checks before it.
"""

from __future__ import annotations

import argparse
import io
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from desktop import app
from desktop.cli import profile as profile_cli
from desktop.core import logs

from .conftest import HOSTILE_PROFILE
from .hostile import hostile_text

HOSTILE = settings.get_profile(HOSTILE_PROFILE)

# Values that could reach the network point at a closed local port (fails at once).
CLOSED_URL = "postgresql+psycopg2://nobody@127.0.0.1:1/none"
values = st.one_of(
    hostile_text.filter(lambda t: "\x00" not in t),  # a real argv cannot hold NUL
    st.sampled_from(
        ["0", "-1", "1,000", "1_0", "5432", "99999999999", "nan", "inf", "1e3", "", "-", "--"]
    ),
    st.sampled_from([CLOSED_URL, "127.0.0.1:1", "demo-reliability", "/nonexistent/key.json"]),
)
#: Plausible values, so that commands get past argparse's choices and reach the checks.
plausible = st.sampled_from(
    ["localhost", "db.internal", "5432", "tenantry", "postgres", "require", "disable"]
    + ["production", "demo", "10", "3000", "demo-reliability", "127.0.0.1:1", "1"]
)
values = st.one_of(values, plausible, plausible)


def flags(spec: dict[str, Any]) -> st.SearchStrategy[list[str]]:
    """Options from `spec` (name -> None, or the strategy of its value) in any order."""
    option = st.sampled_from(sorted(spec)).flatmap(
        lambda name: (
            st.just([name])
            if spec[name] is None
            else st.tuples(st.just(name), spec[name]).map(list)
        )
    )
    return st.lists(option, max_size=5).map(lambda parts: [x for part in parts for x in part])


def usually(*good: str) -> st.SearchStrategy[str]:
    """Mostly one of `good`, sometimes anything."""
    return st.sampled_from([True] * 3 + [False]).flatmap(
        lambda ok: st.sampled_from(good) if ok else values
    )


APP = {"--demo": None, "--demo-size": usually("10", "1,000", "0"), "--reset": None}
APP |= {"--profile": values, "--smoke": None, "--verbose": None, "--version": None}
SETTINGS = {
    "--sslmode": usually("disable", "require", "verify-full"),
    "--sslrootcert": values,
    "--sslcert": values,
    "--sslkey": values,
    "--connect-timeout": usually("5", "0", "100000"),
    "--statement-timeout": usually("0", "1000", "-1"),
    "--application-name": values,
    "--environment": usually("production", "demo"),
    "--read-only": None,
    "--firebase-project": usually("demo-reliability", "Bad_Project"),
    "--firebase-emulator": usually("127.0.0.1:1", "host"),
    "--firebase-credentials": values,
}
FIREBASE = {
    "--database-url": usually(CLOSED_URL, "not a url"),
    "--profile": values,
    "--project": usually("demo-reliability"),
    "--emulator": usually("127.0.0.1:1"),
    "--credentials": values,
    "--json": None,
    "--timeout": usually("1", "0", "nan", "1000"),
}
GOOD = {"--host": "db.internal", "--port": "5432", "--database": "app", "--user": "dba"}


@st.composite
def profile_add(draw: Any) -> list[str]:
    name = draw(st.one_of(values, st.text(st.characters(min_codepoint=33), min_size=1)))
    argv = ["profile", "add", name]
    for option, good in GOOD.items():
        if draw(st.sampled_from([True] * 9 + [False])):  # now and then one is missing
            argv += [option, draw(usually(good))]
    return argv + draw(flags(SETTINGS | {"--password-stdin": None}))


argvs = st.one_of(
    flags(APP),
    profile_add(),
    st.builds(
        lambda cmd, name, rest: ["profile", cmd, name, *rest],
        st.sampled_from(["show", "remove", "import-env", "import-service", "test"]),
        values,
        flags({"--service": values}),
    ),
    st.lists(values, max_size=4).map(lambda rest: ["profile", *rest]),
    flags(FIREBASE).map(lambda rest: ["firebase", "drift", *rest]),
    st.lists(values, max_size=4).map(lambda rest: ["firebase", *rest]),
)


def run(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """`tenantry ARGV` in a throw-away TENANTRY_HOME, without a window; (exit code, stderr)."""
    err = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="cli-") as home:
        monkeypatch.setenv("TENANTRY_HOME", home)
        try:
            with redirect_stdout(io.StringIO()), redirect_stderr(err):
                if argv[:1] == ["profile"]:  # stdin of our own: --password-stdin reads it
                    code: Any = profile_cli.main(argv[1:], stdin=io.StringIO("pw\n"))
                else:
                    code = app.main(argv)
        except SystemExit as exc:  # argparse: usage errors (2), --help / --version (0)
            code = exc.code if isinstance(exc.code, int) else 2
    return int(code), err.getvalue()


@HOSTILE
@given(argv=argvs)
def test_hostile_command_lines_exit_cleanly(
    monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    opened: list[argparse.Namespace] = []
    monkeypatch.setattr("desktop.ui.application.run", lambda args: opened.append(args) or 0)
    monkeypatch.setattr(logs, "configure", lambda verbose=False: None)
    monkeypatch.delenv("TENANTRY_DATABASE_URL", raising=False)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")  # no keyring
    code, stderr = run(argv, monkeypatch)
    event(f"{argv[0] if argv and argv[0] in ('profile', 'firebase') else 'app'} exit {code}")
    assert code in (0, 1, 2), (argv, code, stderr)
    assert "Traceback" not in stderr, stderr
    if code == 2 and not opened:
        assert stderr.strip(), "a refusal must say why"
    for args in opened:  # the window only opens for a consistent command line
        assert not (args.demo and args.profile)
        assert args.demo or not (args.reset or args.demo_size)


def test_a_bug_in_a_subcommand_is_one_line_and_a_scrubbed_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TENANTRY_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(logs, "configure", lambda verbose=False: None)

    def broken(argv: Any, **kwargs: Any) -> int:
        raise TypeError("bug near postgresql://dba:cli-secret-pw@db/app")

    monkeypatch.setattr(profile_cli, "main", broken)
    assert app.main(["profile", "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tenantry profile: unexpected error (a bug): TypeError")
    assert "Traceback" not in err and "cli-secret-pw" not in err
    [report] = (tmp_path / "home" / "data" / "crashes").glob("crash-*.txt")
    assert "Traceback" in report.read_text() and "cli-secret-pw" not in report.read_text()
