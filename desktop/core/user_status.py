"""`user.status` as a named value: plain Python, importable without SQLAlchemy."""

from __future__ import annotations

import enum


class UserStatus(enum.IntEnum):
    """`user.status`: stored as an int (1..3), named in code and on screen."""

    ACTIVE = 1
    INACTIVE = 2
    DELETED = 3

    @property
    def label(self) -> str:
        return self.name.capitalize()
