"""Connection profiles: what a DBA saved for each database, stored as JSON without passwords."""

from __future__ import annotations

import configparser
import getpass
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from desktop.core import jsonfile, paths
from desktop.core.errors import KnownError
from desktop.core.validation import describe_char, first_unsafe_char

PROFILES_FILE = "profiles.json"
FILE_VERSION = 1

ENVIRONMENTS = ("production", "staging", "development", "demo")
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
#: Idle open transactions on production are rolled back by the server after this long
#: (DBeaver's "Prod" connection type uses the same 10 minutes).
PRODUCTION_IDLE_TRANSACTION_TIMEOUT_S = 600
MAX_NAME = 64
MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1
MAX_CONNECT_TIMEOUT_S = 300
MAX_STATEMENT_TIMEOUT_MS = 24 * 3600 * 1000
#: Keys a JSON file or an import must never carry into a profile.
SECRET_KEYS = frozenset({"password", "passwd", "pass", "secret"})


class ProfileError(KnownError):
    """A profile field is invalid, or a profile is missing or duplicated."""


class ProfileNotFound(ProfileError):
    """No profile has that name."""


@dataclass(frozen=True)
class Profile:
    """One saved connection. Never holds a password (those live in the OS keyring)."""

    name: str
    host: str = "localhost"
    port: int = 5432
    database: str = "postgres"
    user: str = field(default_factory=getpass.getuser)
    sslmode: str = "prefer"
    sslrootcert: str = ""
    sslcert: str = ""
    sslkey: str = ""
    connect_timeout: int = 10  # seconds
    statement_timeout: int = 0  # milliseconds, 0 = no limit
    application_name: str = "Tenantry"
    environment: str = "development"
    read_only: bool = False
    # Firebase Authentication for this database's users: a project, and either an emulator
    # address or a service-account key kept in the OS keyring (never in this file).
    firebase_project: str = ""
    firebase_emulator: str = ""

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def requires_write_confirmation(self) -> bool:
        """Production: every write must be confirmed by the user, showing what changes."""
        return self.is_production

    @property
    def idle_transaction_timeout_s(self) -> int | None:
        """Server-side rollback of an idle open transaction (production only)."""
        return PRODUCTION_IDLE_TRANSACTION_TIMEOUT_S if self.is_production else None

    @property
    def address(self) -> str:
        """`user@host:port/database`, for people (no secret in it)."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    def validated(self) -> Profile:
        validate(self)
        return self

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Profile:
        """A profile from stored JSON, validated; unknown keys are refused, secrets never read."""
        if not isinstance(data, Mapping):
            raise ProfileError("A stored profile is not a JSON object.")
        secret = SECRET_KEYS.intersection(k.lower() for k in data)
        if secret:
            raise ProfileError(
                "A stored profile contains a password; Tenantry keeps passwords only in the "
                "system keyring. Remove the password from the profiles file."
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ProfileError(f"Unknown profile setting(s): {', '.join(unknown)}.")
        if "name" not in data:
            raise ProfileError("A stored profile has no name.", field="name")
        return coerce(**dict(data))


def coerce(**values: Any) -> Profile:
    """Build a profile from loosely typed values (strings from forms, files or the shell)."""
    ints = {"port": "Port", "connect_timeout": "Connect timeout"}
    ints["statement_timeout"] = "Statement timeout"
    for key, label in ints.items():
        if key in values and not isinstance(values[key], int | type(None)):
            raw = str(values[key]).strip()
            try:
                values[key] = int(raw) if raw else 0
            except ValueError:
                raise ProfileError(
                    f"{label} must be a whole number, not {raw!r}.", field=key
                ) from None
        if isinstance(values.get(key), bool):
            raise ProfileError(f"{label} must be a whole number.", field=key)
    if "read_only" in values and not isinstance(values["read_only"], bool):
        raw = str(values["read_only"]).strip().lower()
        if raw not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
            raise ProfileError(f"Read-only must be true or false, not {raw!r}.", field="read_only")
        values["read_only"] = raw in {"true", "1", "yes", "on"}
    for key in ("name", "host", "database", "user", "sslmode", "sslrootcert", "sslcert"):
        if key in values and values[key] is not None and not isinstance(values[key], str):
            values[key] = str(values[key])
    values = {k: v for k, v in values.items() if v is not None}
    if "name" not in values:
        raise ProfileError("Name is required.", field="name")
    return validate(Profile(**values))


def validate(profile: Profile) -> Profile:
    """Raise ProfileError (with the field) for the first invalid setting."""
    _text(profile.name, "name", "Name", MAX_NAME)
    _text(profile.host, "host", "Host", 255)
    if any(c.isspace() for c in profile.host):
        raise ProfileError("Host must not contain spaces.", field="host")
    if not isinstance(profile.port, int) or not 1 <= profile.port <= 65535:
        raise ProfileError("Port must be between 1 and 65535.", field="port")
    _text(profile.database, "database", "Database", MAX_IDENTIFIER, name=True)
    _text(profile.user, "user", "User", MAX_IDENTIFIER, name=True)
    if profile.sslmode not in SSLMODES:
        raise ProfileError(
            f"SSL mode must be one of {', '.join(SSLMODES)}; not {profile.sslmode!r}.",
            field="sslmode",
        )
    for key, label in (
        ("sslrootcert", "Root certificate"),
        ("sslcert", "Client certificate"),
        ("sslkey", "Client key"),
    ):
        value = getattr(profile, key)
        if not isinstance(value, str) or _has_control(value):
            raise ProfileError(f"{label} must be a file path.", field=key)
    if profile.sslmode in ("verify-ca", "verify-full") and not profile.sslrootcert:
        default_root = Path.home() / ".postgresql" / "root.crt"
        if not default_root.exists():
            raise ProfileError(
                f"SSL mode {profile.sslmode} checks the server certificate: choose the root "
                f"certificate (or put it in {default_root}).",
                field="sslrootcert",
            )
    if bool(profile.sslcert) != bool(profile.sslkey):
        missing = "sslkey" if profile.sslcert else "sslcert"
        raise ProfileError(
            "A client certificate needs both the certificate and the key.", field=missing
        )
    if not isinstance(profile.connect_timeout, int) or not (
        1 <= profile.connect_timeout <= MAX_CONNECT_TIMEOUT_S
    ):
        raise ProfileError(
            f"Connect timeout must be between 1 and {MAX_CONNECT_TIMEOUT_S} seconds.",
            field="connect_timeout",
        )
    if not isinstance(profile.statement_timeout, int) or not (
        0 <= profile.statement_timeout <= MAX_STATEMENT_TIMEOUT_MS
    ):
        raise ProfileError(
            "Statement timeout must be between 0 (no limit) and 86,400,000 ms (a day).",
            field="statement_timeout",
        )
    name = profile.application_name
    if not isinstance(name, str) or len(name) > MAX_IDENTIFIER or not name.isascii():
        raise ProfileError(
            f"Application name must be plain ASCII, at most {MAX_IDENTIFIER} characters.",
            field="application_name",
        )
    if _has_control(name):
        raise ProfileError(
            "Application name must not contain control characters.", field="application_name"
        )
    if profile.environment not in ENVIRONMENTS:
        raise ProfileError(
            f"Environment must be one of {', '.join(ENVIRONMENTS)}; not {profile.environment!r}.",
            field="environment",
        )
    if not isinstance(profile.read_only, bool):
        raise ProfileError("Read-only must be true or false.", field="read_only")
    for key, label in (
        ("firebase_project", "Firebase project"),
        ("firebase_emulator", "Firebase emulator"),
    ):
        value = getattr(profile, key)
        if not isinstance(value, str) or _has_control(value) or len(value) > 255:
            raise ProfileError(f"{label} must be a short line of text.", field=key)
    if profile.firebase_emulator and not profile.firebase_project:
        raise ProfileError(
            "A Firebase emulator needs the project id too.", field="firebase_project"
        )
    return profile


def _has_control(value: str) -> bool:
    """Control characters (C0, DEL, C1), line separators, bidi controls, zero-width ones."""
    return first_unsafe_char(value) is not None


def _text(value: object, key: str, label: str, limit: int, *, name: bool = False) -> None:
    """A required one-line text field; `name`: a PostgreSQL name, limited in bytes too."""
    if not isinstance(value, str) or not value.strip():
        raise ProfileError(f"{label} is required.", field=key)
    if value != value.strip():
        raise ProfileError(f"{label} must not start or end with spaces.", field=key)
    if len(value) > limit:
        raise ProfileError(f"{label} is longer than {limit} characters.", field=key)
    char = first_unsafe_char(value)
    if char is not None:
        raise ProfileError(
            f"{label} must not contain control or invisible characters "
            f"(found {describe_char(char)}).",
            field=key,
        )
    # Checked after the characters: a lone surrogate (from a badly encoded argv) has no UTF-8.
    if name and len(value.encode("utf-8")) > limit:
        # PostgreSQL cuts longer names at that many bytes, maybe inside a character.
        raise ProfileError(
            f"{label} is longer than {limit} bytes in UTF-8 (PostgreSQL's limit for names;"
            " a letter such as é counts as two).",
            field=key,
        )


# -- storage --------------------------------------------------------------------------------


class ProfileStore:
    """Profiles in one JSON file under the config directory: every change a read-modify-write
    under the file's lock (other processes may be changing it too), written atomically, 0600."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        return self._path if self._path is not None else paths.config_dir() / PROFILES_FILE

    def load(self) -> list[Profile]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ProfileError(f"Cannot read the profiles file {self.path}: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ProfileError(
                f"The profiles file {self.path} is not UTF-8 text (byte {exc.start}): "
                "fix or move it."
            ) from exc
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ProfileError(
                f"The profiles file {self.path} is damaged (line {exc.lineno}): fix or move it."
            ) from exc
        except RecursionError as exc:
            raise ProfileError(
                f"The profiles file {self.path} is damaged (nested too deeply): fix or move it."
            ) from exc
        except ValueError as exc:  # an integer of more than 4,300 digits
            raise ProfileError(
                f"The profiles file {self.path} is damaged (a number too long): fix or move it."
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("profiles"), list):
            raise ProfileError(f"The profiles file {self.path} has an unexpected shape.")
        profiles = []
        for entry in data["profiles"]:
            try:
                profiles.append(Profile.from_json(entry))
            except ProfileError as exc:
                raise ProfileError(f"In {self.path}: {exc.message}", field=exc.field) from exc
        return sorted(profiles, key=lambda p: p.name.casefold())

    def names(self) -> list[str]:
        return [p.name for p in self.load()]

    def get(self, name: str) -> Profile:
        for profile in self.load():
            if profile.name == name:
                return profile
        raise ProfileNotFound(f"No profile named {name!r}.", field="name")

    def exists(self, name: str) -> bool:
        return any(p.name == name for p in self.load())

    def add(
        self, profile: Profile, *, before_write: Callable[[Profile], None] | None = None
    ) -> Profile:
        """Add `profile`; `before_write` (say, saving its password in the keyring) runs under
        the file's lock once the name is known to be free, and a failure there writes nothing.
        """
        validate(profile)
        with jsonfile.locked(self.path):
            profiles = self.load()
            if any(p.name == profile.name for p in profiles):
                raise ProfileError(
                    f"A profile named {profile.name!r} already exists.", field="name"
                )
            if before_write is not None:
                before_write(profile)
            self._write([*profiles, profile])
        return profile

    def update(self, old_name: str, profile: Profile) -> Profile:
        """Replace profile `old_name` by `profile` (which may carry a new name)."""
        validate(profile)
        with jsonfile.locked(self.path):
            profiles = self.load()
            if not any(p.name == old_name for p in profiles):
                raise ProfileNotFound(f"No profile named {old_name!r}.", field="name")
            if profile.name != old_name and any(p.name == profile.name for p in profiles):
                raise ProfileError(
                    f"A profile named {profile.name!r} already exists.", field="name"
                )
            self._write([profile if p.name == old_name else p for p in profiles])
        return profile

    def remove(self, name: str) -> Profile:
        with jsonfile.locked(self.path):
            profiles = self.load()
            found = [p for p in profiles if p.name == name]
            if not found:
                raise ProfileNotFound(f"No profile named {name!r}.", field="name")
            self._write([p for p in profiles if p.name != name])
        return found[0]

    def duplicate_name(self, name: str) -> str:
        """A free name like "NAME copy", "NAME copy 2", ..."""
        taken = set(self.names())
        candidate = f"{name} copy"[:MAX_NAME]
        number = 2
        while candidate in taken:
            candidate = f"{name} copy {number}"[:MAX_NAME]
            number += 1
        return candidate

    def _write(self, profiles: Iterable[Profile]) -> None:
        """Replace the file (the caller holds its lock and has just read it)."""
        payload = {
            "version": FILE_VERSION,
            "profiles": [p.to_json() for p in sorted(profiles, key=lambda p: p.name.casefold())],
        }
        jsonfile.write_atomic(self.path, payload)


# -- importing the DBA's libpq setup --------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    """A profile made from libpq settings, and what people should know about it."""

    profile: Profile
    notes: tuple[str, ...] = ()


_LIBPQ_KEYS = {
    "host": "host",
    "hostaddr": "host",
    "port": "port",
    "dbname": "database",
    "user": "user",
    "sslmode": "sslmode",
    "sslrootcert": "sslrootcert",
    "sslcert": "sslcert",
    "sslkey": "sslkey",
    "connect_timeout": "connect_timeout",
    "application_name": "application_name",
}

_ENV_KEYS = {
    "PGHOST": "host",
    "PGHOSTADDR": "host",
    "PGPORT": "port",
    "PGDATABASE": "database",
    "PGUSER": "user",
    "PGSSLMODE": "sslmode",
    "PGSSLROOTCERT": "sslrootcert",
    "PGSSLCERT": "sslcert",
    "PGSSLKEY": "sslkey",
    "PGCONNECT_TIMEOUT": "connect_timeout",
    "PGAPPNAME": "application_name",
}

_PASSWORD_NOTE = (
    "A password was found in {where}; Tenantry did not copy it. Save it in the system "
    "keyring (profile add --password-stdin, or the connection dialog), or keep it in "
    "~/.pgpass, which libpq reads by itself."
)


def service_files(env: Mapping[str, str] | None = None) -> list[Path]:
    """Where libpq looks for pg_service.conf, in its order (user file first)."""
    env = os.environ if env is None else env
    found: list[Path] = []
    if env.get("PGSERVICEFILE"):
        found.append(Path(env["PGSERVICEFILE"]).expanduser())
    else:
        found.append(Path.home() / ".pg_service.conf")
    if env.get("PGSYSCONFDIR"):
        found.append(Path(env["PGSYSCONFDIR"]) / "pg_service.conf")
    else:
        found.append(Path("/etc/postgresql-common/pg_service.conf"))
    return found


def _read_services(files: Iterable[Path]) -> dict[str, dict[str, str]]:
    services: dict[str, dict[str, str]] = {}
    for path in reversed(list(files)):  # the user file wins over the system file
        if not path.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.optionxform = str.lower  # type: ignore[assignment,method-assign]
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error as exc:
            raise ProfileError(f"Cannot read the service file {path}: {exc}") from exc
        for section in parser.sections():
            services[section] = {k: v.strip() for k, v in parser.items(section)}
    return services


def list_services(env: Mapping[str, str] | None = None) -> list[str]:
    return sorted(_read_services(service_files(env)))


def from_service(
    name: str, service: str, env: Mapping[str, str] | None = None, **overrides: Any
) -> Imported:
    """A profile from a `pg_service.conf` service (PGSERVICEFILE or ~/.pg_service.conf)."""
    files = service_files(env)
    services = _read_services(files)
    if service not in services:
        where = " or ".join(str(p) for p in files)
        known = ", ".join(sorted(services)) or "none"
        raise ProfileError(
            f"No service [{service}] in {where} (services found: {known}).", field="service"
        )
    settings = services[service]
    values: dict[str, Any] = {"name": name}
    notes = []
    for key, value in settings.items():
        if key == "password":
            notes.append(_PASSWORD_NOTE.format(where=f"service [{service}]"))
        elif key in _LIBPQ_KEYS and value:
            values[_LIBPQ_KEYS[key]] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    values.setdefault("database", values.get("user") or getpass.getuser())
    return Imported(coerce(**values), tuple(notes))


def from_environment(name: str, env: Mapping[str, str] | None = None, **overrides: Any) -> Imported:
    """A profile from the PG* environment variables libpq reads (PGHOST, PGPORT, ...)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {"name": name}
    notes = []
    for var, key in _ENV_KEYS.items():
        if env.get(var):
            values.setdefault(key, env[var])
    if env.get("PGPASSWORD"):
        notes.append(_PASSWORD_NOTE.format(where="PGPASSWORD"))
    if env.get("PGSERVICE"):
        imported = from_service(name, env["PGSERVICE"], env)
        base = {k: v for k, v in imported.profile.to_json().items()}
        base.update(values)
        values = base
        notes.extend(imported.notes)
    if len(values) == 1:
        raise ProfileError("No PG* environment variables are set (PGHOST, PGPORT, PGUSER, ...).")
    values.update({k: v for k, v in overrides.items() if v is not None})
    values.setdefault("database", values.get("user") or getpass.getuser())
    return Imported(coerce(**values), tuple(notes))


def renamed(profile: Profile, name: str) -> Profile:
    return validate(replace(profile, name=name))


def pgpass_file(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return (
        Path(env["PGPASSFILE"]).expanduser() if env.get("PGPASSFILE") else Path.home() / ".pgpass"
    )


def pgpass_has_entry(profile: Profile, env: Mapping[str, str] | None = None) -> bool:
    """Whether libpq would find a password for `profile` in .pgpass (the password is not read
    into anything that outlives this call, and never returned)."""
    path = pgpass_file(env)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    wanted = (profile.host, str(profile.port), profile.database, profile.user)
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = _split_pgpass(line)
        if len(parts) < 5:
            continue
        host = parts[0]
        if host == "localhost" and profile.host in ("127.0.0.1", "::1"):
            host = profile.host
        pattern = (host, *parts[1:4])
        if all(p == "*" or p == w for p, w in zip(pattern, wanted, strict=True)):
            return True
    return False


def _split_pgpass(line: str) -> list[str]:
    parts: list[str] = []
    current, escaped = "", False
    for char in line:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":" and len(parts) < 4:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts
