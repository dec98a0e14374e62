"""Keeps full garbage collections short, so none stalls a paint.

A full (generation 2) collection walks every object the collector tracks. With Qt,
SQLAlchemy and the app loaded that is about 100,000 objects and 30-50 ms on the GUI
thread, a visible hitch when it lands in the middle of a scroll. The objects alive once
the app is connected (modules, classes, functions, compiled statements) live as long as
the process, so they move to the collector's permanent generation (`gc.freeze`, a list
splice: no pause). Later full collections walk only what was created since. Frozen
objects are still freed by reference counting; only cycle detection skips them.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_long_lived() -> bool:
    """Once per process: exempt every object alive now from later collections.

    True if this call froze them (the first connection), False afterwards: objects of a
    later connection may well die with it, and cycles among frozen objects are never freed.
    """
    global _frozen
    if _frozen:
        return False
    _frozen = True
    gc.collect(1)  # the young generations only: recent garbage is not frozen with the rest
    gc.freeze()
    return True
