"""A profile's Firebase project: its emulator address, or its key kept in the OS keyring."""

from __future__ import annotations

from pathlib import Path

from desktop.core.errors import KnownError
from desktop.core.profiles import Profile
from desktop.core.secrets import SecretStore
from desktop.services.firebase.settings import (
    DEFAULT_HTTP_TIMEOUT_S,
    FirebaseSettings,
    FirebaseSettingsError,
    check_emulator_host,
    check_project_id,
    emulator_settings,
    read_service_account_file,
    service_account_settings,
)

#: The keyring service under which each profile's service-account key is stored.
KEY_SERVICE = "Tenantry Firebase"


def key_store() -> SecretStore:
    return SecretStore(service=KEY_SERVICE)


def check(profile: Profile) -> None:
    """Raise a KnownError naming the field when the profile's Firebase settings are wrong."""
    if profile.firebase_project:
        check_project_id(profile.firebase_project)
    if profile.firebase_emulator:
        check_emulator_host(profile.firebase_emulator)


def settings_for_key_file(profile: Profile, path: str | Path) -> FirebaseSettings:
    """Validate the key file for `profile`'s project without storing anything."""
    if not profile.firebase_project:
        raise FirebaseSettingsError(
            "Set the profile's Firebase project before importing its key.",
            field="firebase_project",
        )
    return service_account_settings(
        read_service_account_file(path), project_id=profile.firebase_project
    )


def import_key(profile: Profile, path: str | Path, store: SecretStore | None = None) -> None:
    """Validate the service-account JSON at `path` and store it in the OS keyring."""
    if not profile.firebase_project:
        raise FirebaseSettingsError(
            "Set the profile's Firebase project before importing its key.", field="firebase_project"
        )
    text = read_service_account_file(path)
    service_account_settings(text, project_id=profile.firebase_project)  # validates
    (store or key_store()).set(profile.name, text)


def settings_for(
    profile: Profile,
    store: SecretStore | None = None,
    *,
    http_timeout_s: float = DEFAULT_HTTP_TIMEOUT_S,
) -> FirebaseSettings:
    """The Firebase settings of `profile`, reading its key from the keyring when needed."""
    if not profile.firebase_project:
        raise KnownError(
            f"Profile {profile.name!r} has no Firebase project. Add one with "
            f"`tenantry profile add ... --firebase-project ID` or in the connection dialog."
        )
    if profile.firebase_emulator:
        return emulator_settings(
            profile.firebase_project, profile.firebase_emulator, http_timeout_s=http_timeout_s
        )
    key = (store or key_store()).get(profile.name)
    if key is None:
        raise KnownError(
            f"No Firebase service-account key is stored for profile {profile.name!r}; "
            "import one with --firebase-credentials FILE."
        )
    return service_account_settings(
        key, project_id=profile.firebase_project, http_timeout_s=http_timeout_s
    )
