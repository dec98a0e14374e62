"""Questions the UI asks about a failure, so that it needs no import of desktop.db."""

from __future__ import annotations

from desktop.db import errors


def is_password_problem(exc: BaseException) -> bool:
    """The server wants a (different) password: the form should select the password field."""
    return isinstance(exc, errors.PasswordRequired | errors.WrongPassword)
