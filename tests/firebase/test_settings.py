"""Firebase settings: emulator host, service-account JSON and their clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from desktop.services.firebase.settings import (
    FirebaseSettings,
    FirebaseSettingsError,
    emulator_settings,
    read_service_account_file,
    service_account_settings,
)


def service_account(
    project: str = "tenantry-prod", token_uri: str = "https://oauth2.googleapis.com/token"
) -> dict[str, str]:
    """A well-formed key with a freshly made RSA key (Google never saw it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": f"firebase-adminsdk@{project}.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": token_uri,
    }


def test_emulator_settings() -> None:
    settings = emulator_settings("demo-tenantry", " 127.0.0.1:9099 ")
    assert settings.emulator_host == "127.0.0.1:9099" and settings.service_account is None
    assert "emulator at 127.0.0.1:9099" in settings.label


@pytest.mark.parametrize("host", ["http://127.0.0.1:9099", "127.0.0.1", "localhost:0", "a b:1"])
def test_bad_emulator_host(host: str) -> None:
    with pytest.raises(FirebaseSettingsError, match="HOST:PORT") as caught:
        emulator_settings("demo-tenantry", host)
    assert caught.value.field == "emulator_host"


@pytest.mark.parametrize("project", ["", "Demo", "ab", "has_underscore", "x" * 31])
def test_bad_project_id(project: str) -> None:
    with pytest.raises(FirebaseSettingsError, match="not a Firebase project id"):
        emulator_settings(project, "127.0.0.1:9099")


def test_service_account_from_text_and_dict() -> None:
    info = service_account()
    from_text = service_account_settings(json.dumps(info))
    from_dict = service_account_settings(info, project_id="tenantry-prod")
    assert from_text.project_id == from_dict.project_id == "tenantry-prod"
    assert from_text.emulator_host is None
    # The key stays out of repr (logs, crash reports).
    assert "PRIVATE KEY" not in repr(from_text) and "PRIVATE KEY" not in from_text.label


def test_invalid_json_names_the_line_not_the_content() -> None:
    text = '{\n  "type": "service_account",\n  "private_key": "-----BEGIN SECRET\n'
    with pytest.raises(FirebaseSettingsError, match=r"not valid JSON \(line 3\)") as caught:
        service_account_settings(text)
    assert "SECRET" not in caught.value.message and caught.value.field == "credentials"


def test_json_that_is_not_a_key() -> None:
    with pytest.raises(FirebaseSettingsError, match="lacks private_key_id, private_key"):
        service_account_settings(
            '{"type": "service_account", "project_id": "abcdef",'
            ' "client_email": "a@b", "token_uri": "https://x"}'
        )
    with pytest.raises(FirebaseSettingsError, match="not an object"):
        service_account_settings("[1, 2]")
    info = service_account()
    info["type"] = "authorized_user"
    with pytest.raises(FirebaseSettingsError, match="'authorized_user' credential"):
        service_account_settings(info)
    # An unknown type is not echoed: it is the file's own text (here, the private key).
    info["type"] = "x" + info["private_key"]
    with pytest.raises(FirebaseSettingsError, match="another credential") as caught:
        service_account_settings(info)
    assert info["private_key"] not in caught.value.message


def test_damaged_private_key() -> None:
    info = service_account()
    info["private_key"] = info["private_key"][:200] + "\n-----END PRIVATE KEY-----\n"
    with pytest.raises(FirebaseSettingsError, match="private key .* cannot be read") as caught:
        service_account_settings(info)
    assert info["private_key"][40:80] not in caught.value.message


def test_key_of_another_project_is_refused() -> None:
    with pytest.raises(FirebaseSettingsError, match="belongs to project 'tenantry-prod'"):
        service_account_settings(service_account(), project_id="tenantry-staging")


def test_exactly_one_way_to_connect() -> None:
    with pytest.raises(FirebaseSettingsError, match="neither"):
        FirebaseSettings(project_id="demo-tenantry")
    with pytest.raises(FirebaseSettingsError, match="both"):
        FirebaseSettings("demo-tenantry", emulator_host="h:1", service_account={"a": "b"})


def test_read_key_file(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(service_account()))
    assert service_account_settings(read_service_account_file(path)).project_id == "tenantry-prod"
    with pytest.raises(FirebaseSettingsError, match="No such service-account file"):
        read_service_account_file(tmp_path / "missing.json")
