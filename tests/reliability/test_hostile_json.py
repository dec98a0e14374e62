"""The JSON editors (plugin credentials/properties) and the service-account key field.

Whatever is pasted, the editor's `value()` returns a JSON object/array or raises a
ValueError with a message, its status line says which, and the key parser answers with a
FirebaseSettingsError that never echoes the private key.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.core import validation
from desktop.services.firebase.settings import (
    SERVICE_ACCOUNT_FIELDS,
    FirebaseSettingsError,
    parse_service_account,
)
from desktop.ui.forms.json_editor import JsonEditor

from .conftest import HOSTILE_PROFILE
from .hostile import generated_pem, hostile_text, json_text, json_values, maybe, pem_frame

HOSTILE = settings.get_profile(HOSTILE_PROFILE)


@HOSTILE
@given(raw=st.one_of(json_text, json_values, maybe(hostile_text)))
def test_json_field_parses_or_explains(raw: Any) -> None:
    try:
        parsed = validation.json_field("Properties", raw)
    except ValueError as exc:
        assert str(exc).startswith("Properties"), str(exc)
        return
    assert isinstance(parsed, dict | list)
    assert json.loads(json.dumps(parsed)) == parsed  # storable as it will be sent


@HOSTILE
@given(raw=json_text)
def test_the_json_editor_widget_never_raises(qtbot: Any, raw: str) -> None:
    editor = JsonEditor("Credentials")
    qtbot.addWidget(editor)
    states: list[bool] = []
    editor.validity_changed.connect(states.append)
    editor.text.setPlainText(raw)  # highlighting and validation run in slots
    editor.pretty_print()
    status = editor.status.text()
    try:
        value = editor.value()
    except ValueError:
        assert states and states[-1] is False and status != "Valid JSON"
    else:
        assert status == "Valid JSON" and isinstance(value, dict | list)


def _pem_like() -> list[str]:
    """A real generated key, a truncated one, an empty traditional one, and no key."""
    begin, end = pem_frame()
    rsa_begin, rsa_end = pem_frame(traditional=True)
    truncated = generated_pem().strip().splitlines()[1]
    return [
        generated_pem(),
        f"{begin}\n{truncated}\n{end}\n",
        f"{rsa_begin}\n\n{rsa_end}",
        "not a key",
    ]


PEM_LIKE = st.deferred(lambda: st.sampled_from(_pem_like()))
service_accounts = st.one_of(
    st.fixed_dictionaries(
        {
            name: st.one_of(hostile_text, st.just("service_account"), json_values)
            for name in SERVICE_ACCOUNT_FIELDS
        }
    ).map(lambda d: {**d, "type": "service_account"}),
    st.fixed_dictionaries(
        {
            name: PEM_LIKE | hostile_text if name == "private_key" else hostile_text
            for name in SERVICE_ACCOUNT_FIELDS
        },
    ),
    json_values,
)


@HOSTILE
@given(
    key=st.one_of(
        service_accounts.map(json.dumps),
        service_accounts.filter(lambda v: isinstance(v, dict)),
        json_text,
        st.binary(max_size=200),
    )
)
def test_a_service_account_key_is_checked_without_echoing_it(key: Any) -> None:
    try:
        parse_service_account(key)
    except FirebaseSettingsError as exc:
        assert exc.message.strip()
        if isinstance(key, dict) and isinstance(key.get("private_key"), str):
            secret = key["private_key"]
            if len(secret) > 8:
                assert secret not in exc.message
        return
    raise AssertionError("an invented key was accepted")
