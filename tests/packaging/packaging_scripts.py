"""Load the scripts under packaging/ as modules (that folder is not a package: its name
would shadow the `packaging` library). Not a conftest.py: test modules import
`conftest` by name (tests/conftest.py), and a second one here would shadow it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


def load_script(name: str) -> ModuleType:
    """packaging/<name>.py as a module (not on sys.path: build.py and check.py there would
    shadow other modules)."""
    spec = importlib.util.spec_from_file_location(
        f"tenantry_packaging_{name}", PACKAGING / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module
