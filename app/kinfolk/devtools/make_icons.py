"""Render the app icon (``icons/kinfolk.svg``) to the PNG sizes desktops want, plus .ico and .icns.

Run after editing the SVG and commit the outputs (they are small):

    QT_QPA_PLATFORM=offscreen python -m kinfolk.devtools.make_icons

Outputs (in ``app/kinfolk/resources``): ``icons/hicolor/<n>x<n>/apps/io.kinfolk.Kinfolk.png`` (the freedesktop icon theme layout, so
a Linux package copies the tree as is), ``icons/kinfolk.ico`` (Windows, PyInstaller) and
``icons/kinfolk.icns`` (macOS).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parents[1] / "resources"
SOURCE = HERE / "icons" / "kinfolk.svg"
APP_ID = "io.kinfolk.Kinfolk"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> Image.Image:
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(p)
    p.end()
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    return Image.open(io.BytesIO(bytes(buf.data())))


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (Qt needs one)
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"cannot read {SOURCE}", file=sys.stderr)
        return 1
    images = {}
    for size in SIZES:
        images[size] = render(renderer, size)
        out = HERE / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        images[size].save(out, optimize=True)
        print(out.relative_to(HERE))
    images[256].save(HERE / "icons" / "kinfolk.ico",
                     sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    images[512].save(HERE / "icons" / "kinfolk.icns")
    print("icons/kinfolk.ico\nicons/kinfolk.icns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
