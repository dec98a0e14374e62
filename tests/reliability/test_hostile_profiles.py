"""Hostile profile fields and profile files: a valid profile or a ProfileError, never a crash.

Profiles come from the connection dialog (strings), the command line and a hand-editable
`profiles.json`; all three end in `coerce` / `validate` / `ProfileStore`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from desktop.core.errors import KnownError
from desktop.core.profiles import Profile, ProfileError, ProfileStore, coerce

from .conftest import HOSTILE_PROFILE
from .hostile import hostile_text, json_values, maybe

HOSTILE = settings.get_profile(HOSTILE_PROFILE)

FIELDS = [
    "name",
    "host",
    "port",
    "database",
    "user",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "connect_timeout",
    "statement_timeout",
    "application_name",
    "environment",
    "read_only",
    "firebase_project",
    "firebase_emulator",
]
plausible = {
    "port": st.one_of(st.integers(-10, 70_000), st.sampled_from(["5432", " 5433 ", "1e3", "0x10"])),
    "connect_timeout": st.one_of(st.integers(-5, 10**6), st.just("10")),
    "statement_timeout": st.one_of(st.integers(-5, 10**12), st.just("")),
    "sslmode": st.sampled_from(["disable", "require", "verify-full", "PREFER"]),
    "environment": st.sampled_from(["production", "demo", "dev"]),
    "read_only": st.one_of(st.booleans(), st.sampled_from(["yes", "off", "maybe"])),
}
profile_values = st.fixed_dictionaries(
    {"name": maybe(hostile_text)},
    optional={
        key: st.one_of(maybe(hostile_text), plausible.get(key, hostile_text))
        for key in FIELDS
        if key != "name"
    },
)


@HOSTILE
@given(values=profile_values)
def test_profile_fields_are_checked_and_round_trip(tmp_path: Path, values: dict[str, Any]) -> None:
    try:
        profile = coerce(**values)
    except ProfileError as exc:
        assert exc.message.strip()
        return
    store = ProfileStore(tmp_path / f"profiles-{abs(hash(profile.name))}.json")
    store.path.unlink(missing_ok=True)
    try:
        store.add(profile)
    except KnownError as exc:  # e.g. a file path setting that names nothing
        assert exc.message.strip()
        return
    assert store.load() == [profile]  # what was saved is exactly what comes back
    assert "password" not in store.path.read_text()


stored_entries = st.dictionaries(
    st.sampled_from(FIELDS) | hostile_text | st.sampled_from(["Password", "secret"]),
    json_values,
    max_size=6,
)
file_content = st.one_of(
    st.binary(max_size=300),
    hostile_text.map(str.encode),
    st.lists(stored_entries, max_size=3).map(
        lambda entries: json.dumps({"version": 1, "profiles": entries}).encode()
    ),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.just(b"\xff\xfe{}"),
    st.just(("[" * 100_000).encode()),
)


@HOSTILE
@given(content=file_content)
@example(content=b"1" * 4301)  # past Python's 4,300-digit limit: ValueError, not JSONDecodeError
def test_a_damaged_profiles_file_gives_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "profiles.json"
    path.write_bytes(content)
    try:
        loaded = ProfileStore(path).load()
    except ProfileError as exc:
        assert exc.message.strip()
        return
    assert all(isinstance(p, Profile) for p in loaded)
