"""The app icon: the committed renders match the SVG's sizes and load in Qt."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from packaging_scripts import load_script
from PySide6.QtGui import QImage, QImageReader

from desktop.core.resources import icon_path, resources_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def render_icons() -> ModuleType:
    return load_script("render_icons")


def test_committed_renders_have_their_sizes(render_icons: ModuleType, qapp: object) -> None:
    for size in render_icons.SIZES:
        image = QImage(str(ROOT / "resources" / render_icons.png_name(size)))
        assert not image.isNull() and image.width() == image.height() == size
        assert image.hasAlphaChannel()


def test_render_writes_every_size(render_icons: ModuleType, tmp_path: Path, qapp: object) -> None:
    written = render_icons.render(target=tmp_path, sizes=(24, 96))
    assert [p.name for p in written] == ["tenantry-24.png", "tenantry-96.png"]
    assert QImage(str(written[1])).size().width() == 96


def test_windows_icon_holds_every_size(render_icons: ModuleType, qapp: object) -> None:
    reader = QImageReader(str(ROOT / "resources" / "tenantry.ico"))
    sizes = set()
    for index in range(reader.imageCount()):
        reader.jumpToImage(index)
        sizes.add(reader.read().width())
    assert sizes == set(render_icons.ICO_SIZES)


def test_macos_icon_is_an_icns_of_pngs(render_icons: ModuleType) -> None:
    data = (ROOT / "resources" / "tenantry.icns").read_bytes()
    assert data[:4] == b"icns" and int.from_bytes(data[4:8], "big") == len(data)
    offset, kinds = 8, []
    while offset < len(data):
        kinds.append(data[offset : offset + 4])
        assert data[offset + 8 : offset + 16] == b"\x89PNG\r\n\x1a\n"
        offset += int.from_bytes(data[offset + 4 : offset + 8], "big")
    assert set(kinds) == set(render_icons.ICNS_TYPES.values())


def test_locator_finds_the_icon() -> None:
    assert resources_dir().name == "resources"
    assert icon_path().suffix == ".svg" and icon_path().is_file()
    assert icon_path(48).is_file()


def test_app_icon_has_every_render(qapp: object) -> None:
    from PySide6.QtCore import QSize

    from desktop.ui.application import app_icon

    icon = app_icon()
    assert not icon.isNull()
    assert icon.availableSizes() == [QSize(s, s) for s in (16, 32, 48, 64, 128, 256)]
    assert not icon.pixmap(32, 32).toImage().isNull()
