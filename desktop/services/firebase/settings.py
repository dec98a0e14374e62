"""Which Firebase project to talk to, and how: an emulator host or a service account.

The service-account JSON is a secret. It is accepted here as a string or a dict and kept
only in memory (never in `repr`, logs or messages). Storing it belongs to the profiles
work: a profile keeps the JSON in the OS keyring through `desktop.core.secrets` and, when
opened, passes the text it read to `service_account_settings` (the keyring seam).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from desktop.core.errors import KnownError
from desktop.core.redaction import remember

DEFAULT_HTTP_TIMEOUT_S = 5.0

#: Google credential types other than a service account, named when a file is one of them.
OTHER_CREDENTIAL_TYPES = frozenset(
    {
        "authorized_user",
        "external_account",
        "external_account_authorized_user",
        "impersonated_service_account",
        "gdch_service_account",
    }
)
#: Fields a Google service-account key file always has (`type` must be "service_account").
SERVICE_ACCOUNT_FIELDS = (
    "type",
    "project_id",
    "private_key_id",
    "private_key",
    "client_email",
    "token_uri",
)

_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_HOST = re.compile(r"^(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(?P<port>[0-9]{1,5})$")


class FirebaseSettingsError(KnownError):
    """The Firebase settings of a profile are incomplete or invalid."""


@dataclass(frozen=True)
class FirebaseSettings:
    """A Firebase project and the way to reach it; exactly one of emulator/service account."""

    project_id: str
    emulator_host: str | None = None
    service_account: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    http_timeout_s: float = DEFAULT_HTTP_TIMEOUT_S

    def __post_init__(self) -> None:
        if (self.emulator_host is None) == (self.service_account is None):
            raise FirebaseSettingsError(
                "Firebase needs either an emulator host or a service account, not "
                + ("both." if self.emulator_host else "neither."),
                field="firebase",
            )

    @property
    def label(self) -> str:
        """How to name this project to people (no secrets)."""
        if self.emulator_host:
            return f"Firebase project {self.project_id} (emulator at {self.emulator_host})"
        return f"Firebase project {self.project_id}"


def check_project_id(project_id: str) -> str:
    value = project_id.strip()
    if not _PROJECT_ID.match(value):
        raise FirebaseSettingsError(
            f"{project_id!r} is not a Firebase project id (6-30 characters: lowercase "
            "letters, digits and hyphens, starting with a letter).",
            field="project_id",
        )
    return value


def check_emulator_host(host: str) -> str:
    value = host.strip()
    match = _HOST.match(value)
    if not match or not 1 <= int(match["port"]) <= 65535:
        raise FirebaseSettingsError(
            f"{host!r} is not an emulator address: give HOST:PORT without a scheme, "
            "for example 127.0.0.1:9099.",
            field="emulator_host",
        )
    return value


def emulator_settings(
    project_id: str, host: str, *, http_timeout_s: float = DEFAULT_HTTP_TIMEOUT_S
) -> FirebaseSettings:
    """Settings for the Firebase Auth emulator at HOST:PORT (no credentials needed)."""
    return FirebaseSettings(
        project_id=check_project_id(project_id),
        emulator_host=check_emulator_host(host),
        http_timeout_s=http_timeout_s,
    )


def parse_service_account(value: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    """The service-account key as a dict, checked; KnownError naming what is wrong."""
    if isinstance(value, Mapping):
        info = dict(value)
    else:
        try:
            info = json.loads(value)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            # The position only: the text itself may contain the private key.
            line = getattr(exc, "lineno", None)
            where = f" (line {line})" if line else ""
            raise FirebaseSettingsError(
                f"The service-account file is not valid JSON{where}. Download the key "
                "again from the Google Cloud console (IAM > Service accounts > Keys).",
                field="credentials",
            ) from None
        if not isinstance(info, dict):
            raise FirebaseSettingsError(
                "The service-account file is JSON but not an object: it is not a key file.",
                field="credentials",
            )
    missing = [name for name in SERVICE_ACCOUNT_FIELDS if not info.get(name)]
    if missing:
        raise FirebaseSettingsError(
            "This JSON is not a service-account key: it lacks "
            + ", ".join(missing)
            + ". In the Firebase console use Project settings > Service accounts > "
            "Generate new private key.",
            field="credentials",
        )
    if info["type"] != "service_account":
        # Named only when it is a known credential type: the field is the file's own text
        # and could hold anything, the private key included.
        kind = info["type"]
        what = f"a {kind!r} credential" if kind in OTHER_CREDENTIAL_TYPES else "another credential"
        raise FirebaseSettingsError(
            f'This JSON is {what}, not a service-account key (its "type" is not'
            ' "service_account").',
            field="credentials",
        )
    remember(*(str(info.get(key) or "") for key in ("private_key", "private_key_id")))
    _check_private_key(info)
    return info


def _check_private_key(info: Mapping[str, Any]) -> None:
    """Parse the key locally, so a damaged file is caught before any request."""
    from google.oauth2 import service_account

    try:
        service_account.Credentials.from_service_account_info(dict(info))  # type: ignore[no-untyped-call]
    except (ValueError, TypeError, IndexError) as exc:
        # Never echo the key: name the problem only.
        kind = type(exc).__name__
        raise FirebaseSettingsError(
            f"The private key in the service-account file cannot be read ({kind}). "
            "The file may be truncated or edited; download a new key.",
            field="credentials",
        ) from None


def service_account_settings(
    service_account: str | bytes | Mapping[str, Any],
    *,
    project_id: str | None = None,
    http_timeout_s: float = DEFAULT_HTTP_TIMEOUT_S,
) -> FirebaseSettings:
    """Settings from a service-account key (the keyring seam: profiles call this).

    `project_id` defaults to the key's own project; a different one is refused, because
    a key only works for its own project.
    """
    info = parse_service_account(service_account)
    key_project = str(info["project_id"])
    chosen = check_project_id(project_id) if project_id else check_project_id(key_project)
    if chosen != key_project:
        raise FirebaseSettingsError(
            f"The service account belongs to project {key_project!r}, not {chosen!r}.",
            field="project_id",
        )
    return FirebaseSettings(
        project_id=chosen,
        service_account=MappingProxyType(info),
        http_timeout_s=http_timeout_s,
    )


def read_service_account_file(path: str | Path) -> str:
    """The text of a key file given on the command line or picked in a dialog."""
    try:
        return Path(path).expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FirebaseSettingsError(
            f"No such service-account file: {path}", field="credentials"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FirebaseSettingsError(
            f"Cannot read the service-account file {path}: {exc.__class__.__name__}",
            field="credentials",
        ) from None
