"""Firebase and Google auth failures turned into messages people can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
from firebase_admin import auth, exceptions
from google.auth import exceptions as google_exceptions
from urllib3.exceptions import NameResolutionError, NewConnectionError

from desktop.core.errors import KnownError


class FirebaseUnavailable(KnownError):
    """Firebase (or the emulator) could not be reached or did not answer in time.

    `may_have_run`: False only when the request provably never left (connection refused,
    unknown host); after a timeout or a dropped connection Firebase may have done it.
    """

    def __init__(self, message: str, *, may_have_run: bool = True) -> None:
        super().__init__(message)
        self.may_have_run = may_have_run


class FirebaseCredentialsError(KnownError):
    """Missing, rejected or insufficient credentials."""


class FirebaseQuotaError(KnownError):
    """Firebase refused because a quota or rate limit was exceeded."""


class FirebaseRefused(KnownError):
    """Firebase answered with an error about this request (not found, exists, invalid)."""


def _is_timeout(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, requests.Timeout | TimeoutError):
            return True
        if isinstance(current, exceptions.DeadlineExceededError):
            return True
        cause = getattr(current, "cause", None)
        current = cause if isinstance(cause, BaseException) else current.__cause__
    return "timed out" in str(exc).lower()


def _never_sent(exc: BaseException) -> bool:
    """True when the failure chain shows no connection was ever made."""
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError | NewConnectionError | NameResolutionError):
            return True
        pending += [
            current.__cause__,
            current.__context__,
            getattr(current, "cause", None),
            getattr(current, "reason", None),
            *current.args,
        ]
    return False


def translate(exc: BaseException, *, doing: str, where: str, timeout_s: float) -> KnownError:
    """A KnownError for a failure of `doing` against `where`; re-raise what is a bug."""
    if isinstance(exc, KnownError):
        return exc
    if isinstance(exc, google_exceptions.DefaultCredentialsError):
        return FirebaseCredentialsError(
            f"No credentials for {where}: import the project's service-account key "
            "(or use an emulator host) in the connection profile."
        )
    if isinstance(exc, google_exceptions.RefreshError):
        return FirebaseCredentialsError(
            f"Google rejected the service-account key for {where} ({_short(exc)}). "
            "The key may have been deleted or disabled: import a current key."
        )
    if isinstance(exc, google_exceptions.TransportError | requests.ConnectionError) or (
        isinstance(exc, exceptions.UnavailableError | exceptions.DeadlineExceededError)
    ):
        if _is_timeout(exc):
            return FirebaseUnavailable(
                f"{where} did not answer within {timeout_s:g} s while {doing}. "
                "It may be overloaded or a proxy may be holding the connection; retry later."
            )
        return FirebaseUnavailable(
            f"{where} is unreachable while {doing}: check the network (or that the "
            "emulator is running) and retry.",
            may_have_run=not _never_sent(exc),
        )
    if isinstance(exc, exceptions.ResourceExhaustedError | auth.TooManyAttemptsTryLaterError):
        return FirebaseQuotaError(
            f"{where} refused {doing}: quota or rate limit exceeded. Wait a minute and retry "
            "(bulk fixes resume where they stopped)."
        )
    if isinstance(
        exc,
        exceptions.UnauthenticatedError
        | exceptions.PermissionDeniedError
        | auth.InsufficientPermissionError,
    ):
        return FirebaseCredentialsError(
            f"The service account may not manage users of {where} ({_short(exc)}). "
            "Give it the Firebase Authentication Admin role, or import another key."
        )
    if isinstance(exc, auth.ConfigurationNotFoundError):
        return FirebaseRefused(f"Firebase Authentication is not set up for {where}.")
    if isinstance(exc, exceptions.FirebaseError):
        return FirebaseRefused(f"{where} refused {doing}: {_short(exc)}")
    raise exc


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


@contextmanager
def firebase_errors(doing: str, where: str, timeout_s: float) -> Iterator[None]:
    """Run Firebase calls; environment failures leave as KnownError, bugs as they are."""
    try:
        yield
    except (
        exceptions.FirebaseError,
        google_exceptions.GoogleAuthError,
        requests.RequestException,
    ) as exc:
        raise translate(exc, doing=doing, where=where, timeout_s=timeout_s) from exc
