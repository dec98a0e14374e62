"""Crash reports: what went wrong, with versions, secrets scrubbed, saved under the data dir."""

from __future__ import annotations

import logging
import os
import platform
import sys
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from desktop import __version__
from desktop.core import paths
from desktop.core.redaction import scrub

log = logging.getLogger(__name__)

CRASH_DIR = "crashes"
#: Older reports beyond this many are deleted when a new one is written.
KEEP_REPORTS = 20


@dataclass(frozen=True)
class CrashReport:
    """One unexpected error, ready to show and to save (already scrubbed of secrets)."""

    summary: str  # one line: "ValueError: bad thing"
    details: str  # versions, where it happened, the traceback
    path: Path | None = None  # where it was saved, if it was


def build(
    exc: BaseException,
    *,
    where: str = "",
    extra_versions: dict[str, str] | None = None,
    tb: TracebackType | None = None,
) -> CrashReport:
    """A scrubbed report of `exc` (its own traceback unless `tb` is given)."""
    summary = scrub(f"{type(exc).__name__}: {exc}".strip().rstrip(":"))
    frames = "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))
    versions = {
        "Tenantry": __version__,
        "Python": f"{platform.python_version()} ({sys.platform}, {platform.machine()})",
        **(extra_versions or {}),
    }
    lines = [
        f"Tenantry crash report, {datetime.now(UTC).isoformat(timespec='seconds')}",
        *(f"{name}: {value}" for name, value in versions.items()),
    ]
    if where:
        lines.append(f"Where: {where}")
    lines += ["", frames.rstrip()]
    return CrashReport(summary, scrub("\n".join(lines)) + "\n")


def save(report: CrashReport) -> CrashReport:
    """Write the report to a new file (mode 0600) under the data dir's `crashes/` folder."""
    folder = paths.ensure(paths.data_dir() / CRASH_DIR)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    path = folder / f"crash-{stamp}-{os.getpid()}.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(report.details)
    _prune(folder)
    return CrashReport(report.summary, report.details, path)


def _prune(folder: Path) -> None:
    reports = sorted(folder.glob("crash-*.txt"))
    for old in reports[:-KEEP_REPORTS]:
        old.unlink(missing_ok=True)


def record(
    exc: BaseException,
    *,
    where: str = "",
    extra_versions: dict[str, str] | None = None,
    tb: TracebackType | None = None,
) -> CrashReport:
    """Build, log (scrubbed) and save a report; saving problems never hide the crash."""
    report = build(exc, where=where, extra_versions=extra_versions, tb=tb)
    log.error("Unexpected error%s:\n%s", f" in {where}" if where else "", report.details)
    try:
        return save(report)
    except OSError as error:
        log.warning("Could not save the crash report: %s", error)
        return report
