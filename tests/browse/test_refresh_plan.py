"""Which views refresh rows in place, reload, or do nothing after a committed change."""

from __future__ import annotations

import pytest

from desktop.core.events import DELETE, INSERT, UPDATE, RowsChanged
from desktop.core.view_state import ViewState
from desktop.services.refresh import NOTHING, RELOAD, ROWS, plan


def change(table: str, action: str = UPDATE, *columns: str) -> RowsChanged:
    return RowsChanged(table, frozenset({7}), action, frozenset(columns) if columns else None)


USERS = ViewState("users")
PLUGINS = ViewState("plugins")
ORGS = ViewState("organizations")


@pytest.mark.parametrize(
    ("state", "event", "expected"),
    [
        # The view's own rows, changed in columns it neither filters, searches nor sorts by.
        (USERS, change("user", UPDATE, "name"), (ROWS, "id")),
        (USERS.with_(statuses=frozenset({1})), change("user", UPDATE, "name"), (ROWS, "id")),
        (USERS.with_(search="ada"), change("user", UPDATE, "status"), (ROWS, "id")),
        (PLUGINS, change("plugin", UPDATE, "title", "credentials"), (ROWS, "id")),
        (ORGS, change("organization", UPDATE, "name"), (ROWS, "id")),
        # ... or in one that decides which rows it shows or their order: reload.
        (USERS.with_(statuses=frozenset({1})), change("user", UPDATE, "status"), (RELOAD,)),
        (USERS.with_(search="ada"), change("user", UPDATE, "email"), (RELOAD,)),
        (USERS.with_(sort="name"), change("user", UPDATE, "name"), (RELOAD,)),
        (USERS.with_(organization_id=3), change("user", UPDATE, "organization_id"), (RELOAD,)),
        (USERS.with_(sort="organization"), change("user", UPDATE, "organization_id"), (RELOAD,)),
        (USERS.with_(login_from=None, login_to=None), change("user", UPDATE), (RELOAD,)),
        (ORGS.with_(search="acme"), change("organization", UPDATE, "name"), (RELOAD,)),
        (PLUGINS.with_(data_source="s3"), change("plugin", UPDATE, "data_source"), (RELOAD,)),
        # Inserts and deletes change totals and positions.
        (USERS, change("user", INSERT), (RELOAD,)),
        (USERS, change("user", DELETE), (RELOAD,)),
        (PLUGINS, change("plugin", DELETE), (RELOAD,)),
        # Users and plugins show their organization's name: a rename refreshes those rows.
        (USERS, change("organization", UPDATE, "name"), (ROWS, "organization_id")),
        (PLUGINS, change("organization", UPDATE, "name"), (ROWS, "organization_id")),
        (USERS.with_(sort="organization"), change("organization", UPDATE, "name"), (RELOAD,)),
        (USERS, change("organization", DELETE), (RELOAD,)),  # its users went with it
        (USERS, change("organization", INSERT), (NOTHING,)),
        # The organizations list counts users and plugins.
        (ORGS, change("user", INSERT), (RELOAD,)),
        (ORGS, change("plugin", DELETE), (RELOAD,)),
        (ORGS, change("user", UPDATE, "organization_id", "status"), (RELOAD,)),
        (ORGS, change("user", UPDATE, "name"), (NOTHING,)),
        (ORGS.with_(sort="users"), change("user", UPDATE, "status"), (NOTHING,)),
        # Users and plugins do not show each other.
        (USERS, change("plugin", DELETE), (NOTHING,)),
        (PLUGINS, change("user", UPDATE, "name"), (NOTHING,)),
    ],
)
def test_plan(state: ViewState, event: RowsChanged, expected: tuple[str, ...]) -> None:
    decided = plan(state, event)
    assert (decided.action, decided.match)[: len(expected)] == expected
