"""Every directory the app writes to, resolved in one place (TENANTRY_HOME overrides all)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "tenantry"
HOME_ENV = "TENANTRY_HOME"


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
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))


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
