"""Finding the app's icons and rendering them in the current palette's colours.

The files are package data in ``kinfolk/resources/`` (one copy, shared with the Linux .desktop /
AppStream packaging and the installers), found through ``importlib.resources`` (see
``core/package_data.py``), so a wheel, a frozen app and a checkout all read the same files.

Action icons are single-colour SVGs drawn in ``#000000``; ``icon()`` recolours them with the palette's
text colour so they read on light and dark themes alike.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from kinfolk.core.package_data import data_path

APP_ID = "io.kinfolk.Kinfolk"
ICON_SIZES = (16, 20, 24, 32, 48, 64)


@functools.cache
def resources_dir() -> Path:
    """The folder holding ``icons/`` (raises ``FileNotFoundError`` if the install is broken)."""
    return data_path("resources", "icons", "kinfolk.svg").parents[1]


def app_icon() -> QIcon:
    """The application icon at every size we ship (PNG), plus the SVG for odd sizes."""
    base = resources_dir() / "icons"
    ic = QIcon()
    for png in sorted((base / "hicolor").glob(f"*/apps/{APP_ID}.png")):
        ic.addFile(str(png))
    ic.addFile(str(base / "kinfolk.svg"))
    return ic


@functools.cache
def _svg(name: str) -> bytes:
    return (resources_dir() / "icons" / "actions" / f"{name}.svg").read_bytes()


def _text_color() -> QColor:
    app = QGuiApplication.instance()
    pal = app.palette() if app else QPalette()
    return pal.color(QPalette.ColorRole.WindowText)


def icon(name: str, color: QColor | str | None = None) -> QIcon:
    """Action icon ``name`` (a file in ``kinfolk/resources/icons/actions``) tinted with ``color``
    (default: the palette's text colour; disabled state drawn at 40 % opacity)."""
    c = QColor(color) if color is not None else _text_color()
    return _icon(name, c.name(QColor.NameFormat.HexArgb))


@functools.lru_cache(maxsize=256)
def _icon(name: str, argb: str) -> QIcon:
    c = QColor(argb)
    data = _svg(name).replace(b"#000000", c.name().encode())
    renderer = QSvgRenderer(QByteArray(data))
    ic = QIcon()
    app = QGuiApplication.instance()
    dpr = app.devicePixelRatio() if app else 1.0
    for size in ICON_SIZES:
        for mode, alpha in ((QIcon.Mode.Normal, 1.0), (QIcon.Mode.Disabled, 0.4)):
            ic.addPixmap(_render(renderer, size, dpr, alpha), mode)
    return ic


def _render(renderer: QSvgRenderer, size: int, dpr: float, alpha: float) -> QPixmap:
    px = round(size * dpr)
    img = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setOpacity(alpha)
    renderer.render(p, QRectF(0, 0, px, px))
    p.end()
    pm = QPixmap.fromImage(img)
    pm.setDevicePixelRatio(dpr)
    return pm


def pixmap(name: str, size: int, color: QColor | str | None = None) -> QPixmap:
    """A single rendering of an action icon (for empty states and labels)."""
    return icon(name, color).pixmap(QSize(size, size))
