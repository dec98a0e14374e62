"""The garbage collector: full collections kept short, and cycles collected on one thread.

Short: a full (generation 2) collection walks every object the collector tracks. With Qt,
SQLAlchemy and the app loaded that is about 100,000 objects and 30-50 ms on the GUI
thread, a visible hitch when it lands in the middle of a scroll. The objects alive once
the app is connected (modules, classes, functions, compiled statements) live as long as
the process, so they move to the collector's permanent generation (`gc.freeze`, a list
splice: no pause). Later full collections walk only what was created since. Frozen
objects are still freed by reference counting; only cycle detection skips them.

One thread: Python's cyclic collector runs on whichever thread happens to allocate when a
threshold is crossed. Run on a worker, it destroys the Qt objects it frees there, and
Qt's connection lock and the interpreter's lock can then block each other (seen with
PySide6 6.11: the process never returned). `collect_on_this_thread_only()` turns automatic
collection off and defers a `gc.collect()` called from any other thread; the GUI calls
`collect_due()` from a timer (desktop/ui/collector.py), which collects what Python's own
thresholds say is due, on the GUI thread.
"""

from __future__ import annotations

import gc
import threading
from typing import Any

_frozen = False
_real_collect = gc.collect
_owner: int | None = None  # the one thread that may collect, once set
_lock = threading.Lock()
_requested = -1  # the oldest generation another thread asked for (-1: none)
_freeze_requested = False


def freeze_long_lived() -> bool:
    """Once per process: exempt every object alive now from later collections.

    True if this call froze them (the first connection), False afterwards: objects of a
    later connection may well die with it, and cycles among frozen objects are never freed.
    Called off the collecting thread, the freeze happens on that thread's next
    `collect_due()` (the young collection before it must not run here).
    """
    global _frozen, _freeze_requested
    if _frozen:
        return False
    _frozen = True
    if _owner is not None and threading.get_ident() != _owner:
        with _lock:
            _freeze_requested = True
        return True
    _freeze()
    return True


def _freeze() -> None:
    _real_collect(1)  # the young generations only: recent garbage is not frozen with the rest
    gc.freeze()


def _guarded_collect(generation: int = 2) -> int:
    """`gc.collect` while one thread owns collection: elsewhere, a request for it."""
    global _requested
    if _owner is None or threading.get_ident() == _owner:
        return _real_collect(generation)
    with _lock:
        _requested = max(_requested, generation)
    return 0


def collect_on_this_thread_only() -> None:
    """From now on only the calling thread collects cycles (call it on the GUI thread,
    then call `collect_due()` there regularly). Automatic collection is turned off."""
    global _owner
    _owner = threading.get_ident()
    gc.disable()
    gc.collect = _guarded_collect


def collecting_thread() -> int | None:
    """The thread ident that owns collection, or None (automatic collection as usual)."""
    return _owner


def due_generation() -> int:
    """The oldest generation Python's thresholds say is due now (-1: none), as the
    interpreter itself decides when automatic collection is on."""
    counts: tuple[Any, ...] = gc.get_count()
    thresholds: tuple[Any, ...] = gc.get_threshold()
    generation = -1
    for level in range(3):
        if thresholds[level] and counts[level] > thresholds[level]:
            generation = level
        else:
            break
    return generation


def collect_due() -> int:
    """On the owning thread: a requested freeze, then the collection that is due (or was
    asked for by another thread). Returns the number of unreachable objects found."""
    global _requested, _freeze_requested
    if _owner is not None and threading.get_ident() != _owner:
        return 0
    if gc.isenabled():
        gc.disable()  # something turned it back on: collection stays on this thread
    with _lock:
        requested, _requested = _requested, -1
        freeze, _freeze_requested = _freeze_requested, False
    if freeze:
        _freeze()
    generation = max(due_generation(), requested)
    if generation < 0:
        return 0
    return _real_collect(generation)
