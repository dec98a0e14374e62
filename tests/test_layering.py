"""The core runs without Qt, and only desktop.ui (and the bootstrap) import PySide6."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_packages_import_without_qt() -> None:
    code = (
        "import sys, pkgutil, importlib, desktop\n"
        "blocked = type(sys)('PySide6')\n"
        "class Finder:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'PySide6' or name.startswith('PySide6.'):\n"
        "            raise ImportError('Qt is not allowed here: ' + name)\n"
        "sys.meta_path.insert(0, Finder())\n"
        "for pkg in ('desktop.core', 'desktop.db', 'desktop.services', 'desktop.cli'):\n"
        "    mod = importlib.import_module(pkg)\n"
        "    for info in pkgutil.walk_packages(mod.__path__, pkg + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr


def test_the_ui_may_not_import_the_database_layer() -> None:
    """One door: the UI reaches data through desktop.services only (the contract is kept by
    test_import_contracts_hold; this keeps the contract itself from being dropped)."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
    ui = [
        c for c in contracts if c["type"] == "forbidden" and c["source_modules"] == ["desktop.ui"]
    ]
    assert ui and {"desktop.db", "sqlalchemy"} <= set(ui[0]["forbidden_modules"])


def test_the_ui_never_holds_the_engine() -> None:
    """The UI reads through the session's methods (Database.open_view, .quick_find, ...)
    and writes through the service functions that take the session: no `.engine` in it."""
    import ast

    found = []
    for path in sorted((ROOT / "desktop" / "ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "engine":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
