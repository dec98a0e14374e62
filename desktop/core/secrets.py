"""Passwords in the OS keyring (through `keyring`), or typed for this session only.

One small interface: get / set / delete, "is this the system vault", and clear errors for a
missing or locked keyring. Errors are never swallowed and there is no plaintext fallback:
when the vault is unusable the user may type the password for this session
(`SessionPasswords`, memory only).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from desktop.core.errors import KnownError
from desktop.core.redaction import remember

log = logging.getLogger(__name__)

#: The keyring "service" under which database passwords are stored; the account is the
#: profile name. `secret-tool lookup service "Tenantry database" username NAME` reads one.
SERVICE = "Tenantry database"

#: Backends that keep secrets in the operating system's own vault.
SYSTEM_VAULTS = frozenset(
    {
        "keyring.backends.SecretService",
        "keyring.backends.libsecret",
        "keyring.backends.kwallet",
        "keyring.backends.macOS",
        "keyring.backends.Windows",
    }
)

T = TypeVar("T")


class SecretStoreError(KnownError):
    """The keyring could not do what was asked."""


class NoKeyringError(SecretStoreError):
    """No usable system keyring (no Secret Service on the session bus, no D-Bus at all...)."""


class KeyringLockedError(SecretStoreError):
    """The keyring exists but is locked (or the unlock prompt was dismissed)."""


_NO_KEYRING = (
    "No system keyring is available ({detail}). Tenantry keeps passwords only in the "
    "system keyring (Secret Service such as GNOME Keyring or KWallet, macOS Keychain, "
    "Windows Credential Manager), never in a file."
)
_LOCKED = (
    "The system keyring is locked ({detail}). Unlock it (log in to the desktop session or "
    "open your keyring manager) and try again."
)


def password_problem(password: str) -> str | None:
    """Why `password` cannot be a PostgreSQL password (libpq sends it as a C string), or None."""
    if not password:
        return "the password is empty"
    if "\x00" in password:
        return "the password contains a NUL character, which PostgreSQL cannot take"
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        return "the password is not valid Unicode text (it holds a lone surrogate)"
    return None


def _module(backend: KeyringBackend) -> str:
    return type(backend).__module__


def _why_not_vault(backend: KeyringBackend) -> str:
    if _module(backend) in ("keyring.backends.fail", "keyring.backends.null"):
        return "no keyring service was found, e.g. no Secret Service on the D-Bus session bus"
    return f"the configured keyring backend, {_describe(backend)}, is not a system vault"


def _describe(backend: KeyringBackend) -> str:
    name = getattr(backend, "name", None)
    return str(name) if name else f"{_module(backend)}.{type(backend).__name__}"


class SecretStore:
    """Database passwords in the OS keyring, keyed by profile name.

    `backend` defaults to what `keyring` detects, resolved on first use (not at import).
    """

    def __init__(self, backend: KeyringBackend | None = None, service: str = SERVICE) -> None:
        self._backend = backend
        self.service = service
        self._lock = threading.Lock()

    # -- what the vault is --------------------------------------------------------------

    def backend(self) -> KeyringBackend:
        with self._lock:
            if self._backend is None:
                try:
                    self._backend = keyring.get_keyring()
                except (RuntimeError, OSError) as exc:
                    # Detection probes the Secret Service: without a bus it raises a plain
                    # RuntimeError, and with a bus address that leads nowhere, an OSError
                    # from the socket (FileNotFoundError, ConnectionRefusedError).
                    detail = f"{type(exc).__name__}: {exc}"
                    raise NoKeyringError(_NO_KEYRING.format(detail=detail)) from exc
            return self._backend

    def is_system_vault(self) -> bool:
        """True when secrets go to the OS vault (not a file, not memory, not nowhere)."""
        backend = self.backend()
        children = getattr(backend, "backends", None)
        if _module(backend) == "keyring.backends.chainer" and children is not None:
            return any(_module(child) in SYSTEM_VAULTS for child in children)
        return _module(backend) in SYSTEM_VAULTS

    def describe(self) -> str:
        """The backend's name, for people ("SecretService Keyring", "fail Keyring"...)."""
        return _describe(self.backend())

    def check(self) -> str:
        """Raise NoKeyringError / KeyringLockedError unless the vault is usable; else its name.

        Reads a (normally absent) entry, which needs an unlocked vault.
        """
        backend = self.backend()
        if not self.is_system_vault():
            raise NoKeyringError(_NO_KEYRING.format(detail=_why_not_vault(backend)))
        self._call(lambda: backend.get_password(self.service, "__tenantry_check__"))
        return _describe(backend)

    # -- get / set / delete -----------------------------------------------------------------

    def get(self, account: str) -> str | None:
        backend = self._vault()
        password = self._call(lambda: backend.get_password(self.service, account))
        remember(password)  # kept out of crash reports and logs from now on
        if password is not None and "\x00" in password:  # saved by an older version
            raise SecretStoreError(
                f"The password saved for {account!r} contains a NUL character, which "
                "PostgreSQL cannot take: save the right password again.",
                field="password",
            )
        return password

    def set(self, account: str, password: str) -> None:
        if not password:
            raise SecretStoreError("An empty password is not saved.", field="password")
        remember(password)
        problem = password_problem(password)
        if problem:
            raise SecretStoreError(f"Not saved: {problem}.", field="password")
        backend = self._vault()
        self._call(lambda: backend.set_password(self.service, account, password))
        log.info("Saved the password of profile %r in %s", account, _describe(backend))

    def delete(self, account: str) -> bool:
        """Remove the entry; False when there was none."""
        backend = self._vault()
        try:
            self._call(lambda: backend.delete_password(self.service, account))
        except _Missing:
            return False
        log.info("Removed the password of profile %r from the keyring", account)
        return True

    def rename(self, old: str, new: str) -> None:
        """Move a saved password from one profile name to another (nothing if none saved)."""
        password = self.get(old)
        if password is None:
            return
        self.set(new, password)
        self.delete(old)

    # -- internals ------------------------------------------------------------------------

    def _vault(self) -> KeyringBackend:
        backend = self.backend()
        if not self.is_system_vault():
            raise NoKeyringError(_NO_KEYRING.format(detail=_why_not_vault(backend)))
        return backend

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except keyring.errors.PasswordDeleteError as exc:
            raise _Missing(str(exc)) from exc
        except keyring.errors.KeyringLocked as exc:
            raise KeyringLockedError(_LOCKED.format(detail=exc)) from exc
        except keyring.errors.InitError as exc:
            # SecretService: the collection could not be opened: a dismissed unlock prompt.
            raise KeyringLockedError(_LOCKED.format(detail=exc)) from exc
        except keyring.errors.NoKeyringError as exc:
            raise NoKeyringError(_NO_KEYRING.format(detail="no backend is available")) from exc
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"The system keyring failed: {exc}") from exc
        except OSError as exc:  # the bus socket went away under a SecretService backend
            detail = f"{type(exc).__name__}: {exc}"
            raise NoKeyringError(_NO_KEYRING.format(detail=detail)) from exc
        except Exception as exc:
            if _is_secretstorage_error(exc):
                raise NoKeyringError(_NO_KEYRING.format(detail=exc)) from exc
            raise


class _Missing(SecretStoreError):
    """No such entry (delete only)."""


def _is_secretstorage_error(exc: BaseException) -> bool:
    """SecretStorage / jeepney failures that `keyring` lets through (a bus gone away...)."""
    module = type(exc).__module__ or ""
    return module.startswith(("secretstorage", "jeepney"))


class SessionPasswords:
    """Passwords typed for this session only: in memory, gone when the app exits."""

    def __init__(self) -> None:
        self._passwords: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, account: str) -> str | None:
        with self._lock:
            return self._passwords.get(account)

    def set(self, account: str, password: str) -> None:
        remember(password)
        with self._lock:
            self._passwords[account] = password

    def forget(self, account: str) -> None:
        with self._lock:
            self._passwords.pop(account, None)

    def rename(self, old: str, new: str) -> None:
        with self._lock:
            if old in self._passwords:
                self._passwords[new] = self._passwords.pop(old)

    def __contains__(self, account: object) -> bool:
        with self._lock:
            return account in self._passwords

    def __repr__(self) -> str:
        return f"SessionPasswords({len(self._passwords)} kept, values hidden)"


def redact(text: str, *secrets: str | None) -> str:
    """`text` with every non-empty secret replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
