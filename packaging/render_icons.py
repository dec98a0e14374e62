"""Render resources/tenantry.svg to the PNG sizes installers and window managers need.

Run after editing the SVG: `python packaging/render_icons.py` (Qt offscreen, no display).
The PNGs are committed so that builds and the installed package need no renderer.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
SOURCE = RESOURCES / "tenantry.svg"
SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 32, 48, 64, 128, 256)  # Windows: PNG-compressed entries, 256 is the maximum
# macOS .icns element types holding PNG data, by pixel size
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09"}


def png_name(size: int) -> str:
    return f"tenantry-{size}.png"


def render(
    source: Path = SOURCE, target: Path = RESOURCES, sizes: tuple[int, ...] = SIZES
) -> list[Path]:
    """Write one PNG per size into `target`; returns the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise SystemExit(f"{source} is not a valid SVG")
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        path = target / png_name(size)
        if not image.save(str(path)):  # PNG, from the suffix
            raise SystemExit(f"could not write {path}")
        written.append(path)
    return written


def write_ico(pngs: dict[int, bytes], path: Path) -> Path:
    """A Windows .ico whose entries are PNG images (supported since Windows Vista)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, data in sorted(pngs.items()):
        dim = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    path.write_bytes(header + entries + blobs)
    return path


def write_icns(pngs: dict[int, bytes], path: Path) -> Path:
    """A macOS .icns made of PNG elements."""
    body = b"".join(
        ICNS_TYPES[size] + struct.pack(">I", 8 + len(data)) + data
        for size, data in sorted(pngs.items())
    )
    path.write_bytes(b"icns" + struct.pack(">I", 8 + len(body)) + body)
    return path


def main() -> list[Path]:
    written = render()
    data = {size: (RESOURCES / png_name(size)).read_bytes() for size in SIZES}
    written.append(write_ico({s: data[s] for s in ICO_SIZES}, RESOURCES / "tenantry.ico"))
    written.append(write_icns({s: data[s] for s in ICNS_TYPES}, RESOURCES / "tenantry.icns"))
    return written


if __name__ == "__main__":
    for path in main():
        print(f"{path.relative_to(RESOURCES.parent)}  {path.stat().st_size:,} bytes")
