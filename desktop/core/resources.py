"""Where the shipped resources (the app icon) are, from a source tree, a wheel or a bundle."""

from __future__ import annotations

from pathlib import Path

ICON_SVG = "tenantry.svg"


def resources_dir() -> Path:
    """The folder of package `desktop.resources` (mapped from resources/ at install)."""
    import desktop.resources

    return Path(desktop.resources.__file__).parent


def icon_path(size: int | None = None) -> Path:
    """The SVG icon, or the PNG render of `size` pixels."""
    name = ICON_SVG if size is None else f"tenantry-{size}.png"
    return resources_dir() / name
