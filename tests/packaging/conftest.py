"""Load the scripts under packaging/ as modules (that folder is not a package: its name
would shadow the `packaging` library)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


def load_script(name: str) -> ModuleType:
    if str(PACKAGING) not in sys.path:
        sys.path.insert(0, str(PACKAGING))  # build.py and check.py import debpkg
    spec = importlib.util.spec_from_file_location(
        f"tenantry_packaging_{name}", PACKAGING / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def debpkg() -> ModuleType:
    return load_script("debpkg")


@pytest.fixture(scope="session")
def render_icons() -> ModuleType:
    return load_script("render_icons")
