"""The desktop app (PySide6). A client of ``kinfolk.core`` and ``kinfolk.db``; nothing below imports it."""

from kinfolk.gui import qt_fixes

qt_fixes.install()
