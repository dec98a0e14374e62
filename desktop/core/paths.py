"""Every directory the app writes to, resolved in one place (TENANTRY_HOME overrides all)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "tenantry"
HOME_ENV = "TENANTRY_HOME"
#: root's data folder on Linux and other Unix systems. Run as root, the demo cluster's
#: server runs as `nobody`, which cannot enter root's 0700 home directory; Tenantry never
#: opens that up, so root's data lives in the system's state folder instead.
ROOT_DATA_DIR = Path("/var/lib") / APP_NAME


def _home_override() -> Path | None:
    value = os.environ.get(HOME_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else None


def config_dir() -> Path:
    """Profiles and UI state."""
    home = _home_override()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """The demo cluster and other data the app owns."""
    home = _home_override()
    if home:
        return home / "data"
    if sys.platform.startswith("linux") and os.geteuid() == 0:
        return ROOT_DATA_DIR
    return Path(platformdirs.user_data_dir(APP_NAME))


def log_dir() -> Path:
    """Rotating log files."""
    home = _home_override()
    return home / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME))


def demo_cluster_dir() -> Path:
    """The embedded PostgreSQL data directory of the demo database."""
    return data_dir() / "demo-pg"


def ensure(path: Path) -> Path:
    """Create `path` (and parents) if needed and return it."""
    path.mkdir(parents=True, exist_ok=True)
    return path
