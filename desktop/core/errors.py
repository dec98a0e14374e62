"""The two kinds of failure: KnownError (environment, input) and everything else (a bug)."""

from __future__ import annotations


class KnownError(Exception):
    """A failure people can act on: show `message`, keep running.

    `field` names the input the problem concerns, when there is one (for forms).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class ConnectionFailed(KnownError):
    """The database could not be reached or refused us."""


class EmbeddedServerError(KnownError):
    """The embedded PostgreSQL server could not be started or stopped."""


class Cancelled(Exception):
    """A background operation was superseded or cancelled by the user."""
