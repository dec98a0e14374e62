"""What every editing dialog needs: the database, the runner, who is acting, the undo stack."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from desktop.services.undo import UndoStack
from desktop.services.writes import Actor
from desktop.ui.runner import Runner

if TYPE_CHECKING:
    from desktop.services.database import Database


@dataclass
class EditContext:
    database: Database
    runner: Runner
    actor: Actor
    undo: UndoStack = field(default_factory=UndoStack)

    @property
    def read_only(self) -> bool:
        return self.database.read_only

    @property
    def production(self) -> bool:
        return self.database.requires_write_confirmation
