"""docs/screenshots/make_screenshots.py runs offscreen and writes its pictures (not Firebase)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from desktop.ui.theme import Theme

ROOT = Path(__file__).resolve().parents[2]


def test_the_screenshot_script_writes_every_picture(
    qapp: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENANTRY_HOME", os.environ["TENANTRY_HOME"])  # restored afterwards
    spec = importlib.util.spec_from_file_location(
        "make_screenshots", ROOT / "docs" / "screenshots" / "make_screenshots.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "shots"
    try:
        code = script.main(
            ["--skip-firebase", "--users", "400", "--out", str(out), "--home", str(tmp_path)]
        )
    finally:
        Theme.instance().set_preference("system")
    assert code == 0
    written = sorted(p.name for p in out.glob("*.png"))
    expected = sorted(n for n in script.SHOTS if "firebase" not in n)
    assert written == expected
    for name in written:
        image = QImage(str(out / name))
        assert image.width() >= 400 and image.height() >= 200, name
    window = QImage(str(out / "gallery-tenant-view.png"))
    assert (window.width(), window.height()) == script.WINDOW_SIZE
    dark = QImage(str(out / "gallery-dark-scheme.png"))
    assert dark.pixelColor(700, 500).lightness() < 100  # a dark table, not a light one
    assert window.pixelColor(700, 500).lightness() > 150
