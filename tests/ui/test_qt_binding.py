"""Guards against a known-bad Qt binding: emitting a signal must not leak or drop references."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(object)


def test_signal_emit_keeps_reference_counts(qapp: object) -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.fired.connect(received.append)
    payload = object()
    before_true, before_payload = sys.getrefcount(True), sys.getrefcount(payload)
    for _ in range(200):
        emitter.fired.emit(payload)
    received.clear()
    assert sys.getrefcount(True) - before_true > -10, "Signal.emit drops references to True"
    assert sys.getrefcount(payload) == before_payload
