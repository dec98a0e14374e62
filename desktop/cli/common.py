"""What every `tenantry` command line shares: one-line usage errors, safe terminal output,
and reading a secret from stdin strictly."""

from __future__ import annotations

import argparse
from typing import NoReturn, TextIO

from desktop.core.validation import escape_unsafe

EXIT_USAGE = 2
#: A password or key read from stdin larger than this is a mistake (a file piped in).
MAX_STDIN_SECRET = 64 * 1024


class UsageError(Exception):
    """Bad input on the command line or stdin: one line on stderr, exit 2, nothing written."""


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line (`PROG: MESSAGE (see PROG --help)`), raised as a
    UsageError instead of printing the whole usage text and exiting. Its subcommands'
    parsers are of this class too (argparse uses the parent's class by default)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def printable(text: object) -> str:
    """`text` safe for a terminal: control characters (ESC, CSI, OSC...), bidi overrides and
    zero-width characters written as visible escapes, so that a value read from a database,
    Firebase or a file can neither move the cursor nor reorder or hide what is shown."""
    return escape_unsafe(str(text))


def say(text: object, file: TextIO) -> None:
    """Print one line (or several, each escaped) of output to `file`."""
    print("\n".join(printable(line) for line in str(text).split("\n")), file=file)


def read_stdin_secret(stdin: TextIO, option: str = "--password-stdin") -> str:
    """The secret on stdin, strictly UTF-8, one trailing newline removed; UsageError naming
    `option` when it is empty, not UTF-8, too large or not a usable password."""
    value: str
    buffer = getattr(stdin, "buffer", None)
    if buffer is not None:
        raw = buffer.read(MAX_STDIN_SECRET + 1)
        if len(raw) > MAX_STDIN_SECRET:
            raise UsageError(f"{option}: more than {MAX_STDIN_SECRET // 1024} KB on stdin")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"{option}: stdin is not valid UTF-8 text (byte {exc.start + 1})"
            ) from None
    else:  # a text stream of our own (tests, embedding)
        value = stdin.read(MAX_STDIN_SECRET + 1)
        if len(value) > MAX_STDIN_SECRET:
            raise UsageError(f"{option}: more than {MAX_STDIN_SECRET // 1024} KB on stdin")
    if value.endswith("\n"):
        value = value[:-1]
    if value.endswith("\r"):
        value = value[:-1]
    if not value:
        raise UsageError(f"{option}: no password on stdin")
    from desktop.core.secrets import password_problem  # keyring: not on the app's start path

    problem = password_problem(value)
    if problem:
        raise UsageError(f"{option}: {problem}")
    return value
