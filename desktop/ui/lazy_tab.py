"""A tab whose content is built the first time it is needed (keeps heavy imports off start-up).

The module behind the content can be imported ahead of time in a worker (`warm_up`), so that
building it on the first click costs no import time on the GUI thread.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop.ui.runner import Runner

if TYPE_CHECKING:
    from desktop.services.database import Database

T = TypeVar("T", bound=QWidget)


class LazyTab(QWidget, Generic[T]):
    def __init__(self, factory: Callable[[QWidget], T], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self._content: T | None = None
        self._database: Database | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    @property
    def content(self) -> T:
        if self._content is None:
            self._content = self._factory(self)
            self._layout.addWidget(self._content)
            if self._database is not None:
                self._content.set_database(self._database)  # type: ignore[attr-defined]
        return self._content

    def set_database(self, database: Database | None) -> None:
        self._database = database
        if self._content is not None:
            self._content.set_database(database)  # type: ignore[attr-defined]

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        _ = self.content
        super().showEvent(event)


def warm_up(runner: Runner, *modules: str) -> None:
    """Import `modules`, in order, in one worker job now, so the GUI thread finds them loaded."""
    if runner.closed:
        return

    def job() -> None:
        for module in modules:
            importlib.import_module(module)

    runner.submit(job, pool="net")
