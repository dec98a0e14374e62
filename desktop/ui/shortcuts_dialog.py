"""Help > Keyboard shortcuts: every menu action and its keys, read from the menus themselves."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)


def on_keyboard(sequence: QKeySequence) -> bool:
    """A chord of ordinary keys, not a media key (Find, Refresh, Close...) that some
    platforms list as an alternative: those clutter the list and most keyboards lack them."""
    return not sequence.isEmpty() and sequence[0].key().value < Qt.Key.Key_Super_L.value  # type: ignore[index]


def keys_text(action: QAction) -> str:
    return ", ".join(
        k.toString(QKeySequence.SequenceFormat.NativeText)
        for k in action.shortcuts()
        if on_keyboard(k)
    )


def clean(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def menu_entries(menu: QMenu, prefix: str = "") -> list[tuple[str, QAction]]:
    """(menu path, action) for every action under `menu`, submenus included."""
    title = f"{prefix}{clean(menu.title())}"
    entries: list[tuple[str, QAction]] = []
    for action in menu.actions():
        if action.isSeparator():
            continue
        sub = action.menu()
        if isinstance(sub, QMenu):
            entries += menu_entries(sub, f"{title} ▸ ")
        else:
            entries.append((title, action))
    return entries


def window_entries(window: QMainWindow) -> list[tuple[str, QAction]]:
    entries: list[tuple[str, QAction]] = []
    for action in window.menuBar().actions():
        sub = action.menu()
        if isinstance(sub, QMenu):
            entries += menu_entries(sub)
    return entries


class ShortcutsDialog(QDialog):
    """A searchable list, grouped by menu; tables' own keys (copy, go to) at the end."""

    def __init__(self, window: QMainWindow, extra: list[tuple[str, QAction]] | None = None) -> None:
        super().__init__(window)
        self.setObjectName("shortcutsDialog")
        self.setAccessibleName("Keyboard shortcuts")
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 640)
        intro = QLabel(
            "Every menu command and its keys. Type to filter; the list is read from the"
            " menus, so it is always current.",
            self,
        )
        intro.setWordWrap(True)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("shortcutsFilter")
        self.filter.setAccessibleName("Filter shortcuts")
        self.filter.setPlaceholderText("Filter: command or key…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.apply_filter)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("shortcutsList")
        self.tree.setAccessibleName("Commands and their shortcuts")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Command", "Shortcut"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setObjectName("shortcutsClose")
        close.setAccessibleName("Close")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        self.entries = window_entries(window) + (extra or table_entries(window))
        self._fill()
        self.tree.expandAll()

    def _fill(self) -> None:
        groups: dict[str, QTreeWidgetItem] = {}
        for group, action in self.entries:
            parent = groups.get(group)
            if parent is None:
                parent = QTreeWidgetItem(self.tree, [group, ""])
                parent.setFirstColumnSpanned(True)
                font = parent.font(0)
                font.setBold(True)
                parent.setFont(0, font)
                groups[group] = parent
            item = QTreeWidgetItem(parent, [clean(action.text()), keys_text(action)])
            item.setToolTip(0, action.statusTip() or action.toolTip())

    def _groups(self) -> list[tuple[QTreeWidgetItem, list[QTreeWidgetItem]]]:
        groups = []
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            assert group is not None
            children = [group.child(j) for j in range(group.childCount())]
            groups.append((group, [c for c in children if c is not None]))
        return groups

    def apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for group, children in self._groups():
            shown = 0
            for child in children:
                hit = not needle or any(needle in child.text(c).lower() for c in (0, 1))
                child.setHidden(not hit)
                shown += hit
            group.setHidden(shown == 0)

    def rows(self) -> list[tuple[str, str, str]]:
        """(group, command, keys) of every row, shown or not (for tests and copying)."""
        return [
            (group.text(0), child.text(0), child.text(1))
            for group, children in self._groups()
            for child in children
        ]


def table_entries(window: QWidget) -> list[tuple[str, QAction]]:
    """The keys a table answers to itself (copy, go to organization), from one table."""
    from desktop.ui.table_view import BrowseTab

    tab = window.findChild(BrowseTab, "usersTab")
    if tab is None:
        return []
    return [("In a table", a) for a in tab.view.actions() if not a.shortcut().isEmpty()]
