"""Logging to a rotating file under the app's log directory (and stderr for warnings).

Log files are mode 0600 (like profiles.json): they name hosts, users and profiles.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path
from typing import Any

from desktop.core import paths
from desktop.core.redaction import scrub

LOG_FILE = "tenantry.log"
MAX_BYTES = 2_000_000
BACKUPS = 5


class ScrubbingFormatter(logging.Formatter):
    """Formats as usual, then masks anything secret (tracebacks included)."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files (the first and each one after a rollover) are
    created mode 0600 whatever the umask; an existing file is made 0600 too."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(self.baseFilename, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


def log_file() -> Path:
    """The current log file (older ones are tenantry.log.1 ... .5 beside it)."""
    return paths.log_dir() / LOG_FILE


def file_handler(
    max_bytes: int = MAX_BYTES, backups: int = BACKUPS
) -> logging.handlers.RotatingFileHandler:
    """The rotating, scrubbing file handler (TENANTRY_HOME/logs when that is set)."""
    handler = PrivateRotatingFileHandler(
        paths.ensure(paths.log_dir()) / LOG_FILE,
        maxBytes=max_bytes,
        backupCount=backups,
        encoding="utf-8",
    )
    handler.setFormatter(
        ScrubbingFormatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    return handler


def configure(verbose: bool = False) -> None:
    root = logging.getLogger()
    if getattr(root, "_tenantry_configured", False):
        return
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(ScrubbingFormatter("tenantry: %(levelname)s: %(message)s"))
    root.addHandler(file_handler())
    root.addHandler(console)
    root._tenantry_configured = True  # type: ignore[attr-defined]
