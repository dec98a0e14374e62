"""A firebase_admin app and Auth client per settings, isolated from every other one."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import firebase_admin
from firebase_admin import auth, credentials

from desktop.services.firebase.errors import firebase_errors
from desktop.services.firebase.settings import FirebaseSettings

EMULATOR_ENV = "FIREBASE_AUTH_EMULATOR_HOST"

# firebase_admin reads FIREBASE_AUTH_EMULATOR_HOST from the process environment once per
# Auth client, when the client is built. We build each client ourselves with the variable
# set (or removed) for exactly that moment, under this lock, then restore it: one profile's
# emulator never leaks into another profile's production client.
_env_lock = threading.Lock()
_names = itertools.count(1)


@contextmanager
def emulator_environment(host: str | None) -> Iterator[None]:
    """FIREBASE_AUTH_EMULATOR_HOST set to `host` (or unset) while the block runs."""
    with _env_lock:
        previous = os.environ.get(EMULATOR_ENV)
        if host:
            os.environ[EMULATOR_ENV] = host
        else:
            os.environ.pop(EMULATOR_ENV, None)
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop(EMULATOR_ENV, None)
            else:
                os.environ[EMULATOR_ENV] = previous


@dataclass
class FirebaseClient:
    """One project's Auth client; `close()` releases the app."""

    settings: FirebaseSettings
    app: firebase_admin.App
    auth: auth.Client

    @property
    def where(self) -> str:
        return self.settings.label

    def errors(self, doing: str) -> Any:
        """Context manager mapping failures of `doing` to KnownError."""
        return firebase_errors(doing, self.where, self.settings.http_timeout_s)

    def close(self) -> None:
        try:
            firebase_admin.delete_app(self.app)
        except ValueError:
            pass  # already deleted


def connect(settings: FirebaseSettings) -> FirebaseClient:
    """Build the app and its Auth client (no request is sent yet)."""
    options = {"projectId": settings.project_id, "httpTimeout": settings.http_timeout_s}
    credential: credentials.Base | None = None
    if settings.service_account is not None:
        credential = credentials.Certificate(dict(settings.service_account))
    name = f"tenantry-{settings.project_id}-{next(_names)}"
    app = firebase_admin.initialize_app(credential, options=options, name=name)
    try:
        with firebase_errors("connecting", settings.label, settings.http_timeout_s):
            with emulator_environment(settings.emulator_host):
                client = auth.Client(app)
    except BaseException:
        firebase_admin.delete_app(app)
        raise
    return FirebaseClient(settings=settings, app=app, auth=client)
