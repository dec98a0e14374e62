"""Logging to a rotating file under the app's log directory (and stderr for warnings)."""

from __future__ import annotations

import logging
import logging.handlers

from desktop.core import paths

LOG_FILE = "tenantry.log"


def configure(verbose: bool = False) -> None:
    root = logging.getLogger()
    if getattr(root, "_tenantry_configured", False):
        return
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    file_handler = logging.handlers.RotatingFileHandler(
        paths.ensure(paths.log_dir()) / LOG_FILE,
        maxBytes=2_000_000,
        backupCount=5,
        encoding="utf-8",
    )
    file_handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("tenantry: %(levelname)s: %(message)s"))
    root.addHandler(file_handler)
    root.addHandler(console)
    root._tenantry_configured = True  # type: ignore[attr-defined]
