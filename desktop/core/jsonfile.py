"""JSON files several Tenantry processes share: a lock file beside each, atomic replace, 0600.

Two windows, or twenty `tenantry profile add` run by an installer script, may read and
write the same file at once. Every change is a read-modify-write under an exclusive lock
(`filelock`: `fcntl.flock` on Unix, `msvcrt.locking` on Windows), so no process writes
from a copy another process has overwritten since; the new text goes to a temporary file
in the same folder, is flushed to disk and renamed over the old one, so a reader sees the
old file or the new one, never half of one. The file and its lock file are mode 0600.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from desktop.core import paths
from desktop.core.errors import KnownError

LOCK_SUFFIX = ".lock"
#: Long enough for a queue of processes each doing a keyring call under the lock.
LOCK_TIMEOUT_S = 30.0
FILE_MODE = 0o600


class LockTimeout(KnownError):
    """Another process held a file's lock for too long."""


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + LOCK_SUFFIX)


@contextmanager
def locked(path: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the exclusive lock of `path` (other processes wait; re-entrant in a thread)."""
    paths.ensure(path.parent)
    lock = FileLock(lock_path(path), timeout=timeout, mode=FILE_MODE)
    try:
        lock.acquire()
    except Timeout:
        raise LockTimeout(
            f"Another Tenantry process has kept {path.name} locked for more than "
            f"{timeout:g} s ({lock_path(path)}); try again."
        ) from None
    try:
        yield
    finally:
        lock.release()


def write_atomic(path: Path, data: Any, *, indent: int = 2) -> None:
    """Replace `path` by `data` as JSON: temporary file, fsync, rename; mode 0600."""
    folder = paths.ensure(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=indent, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
