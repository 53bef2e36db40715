"""File and folder pickers that never open the files they list.

Why: SQLite guards the library with POSIX advisory locks, and POSIX drops *all* of a process's
locks on a file when the process closes *any* descriptor of it. Qt's file dialog guesses each listed
file's type from its content (``QMimeDatabase`` via the icon provider), i.e. it opens and closes
``library.sqlite``, ``-wal`` and ``-shm`` when the user browses the library's folder — and the app's
own locks are gone: another ``kinfolk`` process then takes itself for the only user, deletes the WAL
and edits are lost (measured with strace; see docs/architecture.md).

So every picker here is Qt's own dialog with an icon provider that decides by kind (folder / file)
only, never by content. Native dialogs cannot be given that provider and the in-process ones (GTK,
macOS) sniff content too, so they are not used on POSIX systems; Windows locks are per handle and
unaffected, so it keeps its native dialog.
"""

from __future__ import annotations

import os

from PySide6.QtGui import QAbstractFileIconProvider, QIcon
from PySide6.QtWidgets import QFileDialog, QFileIconProvider, QWidget


class KindOnlyIconProvider(QFileIconProvider):
    """Icons and type names from the file's kind (from ``stat``), never from its content."""

    def icon(self, arg) -> QIcon:  # noqa: D401 (Qt override: IconType or QFileInfo)
        if isinstance(arg, QAbstractFileIconProvider.IconType):
            return super().icon(arg)
        kind = (QAbstractFileIconProvider.IconType.Folder if arg.isDir()
                else QAbstractFileIconProvider.IconType.File)
        return super().icon(kind)

    def type(self, info) -> str:
        return "Folder" if info.isDir() else (info.suffix().upper() + " file" if info.suffix() else "File")


def file_dialog(parent: QWidget | None, title: str, start: str, folders: bool,
                name_filter: str = "") -> QFileDialog:
    """The configured dialog (not shown): a folder picker when ``folders``, else a file picker."""
    dlg = QFileDialog(parent, title, start)
    if os.name != "nt":
        dlg.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dlg._icons = KindOnlyIconProvider()  # the dialog does not own it: keep it alive with the dialog
    dlg.setIconProvider(dlg._icons)
    if folders:
        dlg.setFileMode(QFileDialog.FileMode.Directory)
        dlg.setOption(QFileDialog.Option.ShowDirsOnly, True)
    else:
        dlg.setFileMode(QFileDialog.FileMode.ExistingFile)
        if name_filter:
            dlg.setNameFilter(name_filter)
    return dlg


def _run(dlg: QFileDialog) -> str | None:
    try:
        if dlg.exec() != QFileDialog.DialogCode.Accepted:
            return None
        files = dlg.selectedFiles()
        return files[0] if files else None
    finally:
        dlg.deleteLater()


def choose_folder(parent: QWidget | None, title: str, start: str = "") -> str | None:
    """Ask for a folder (``None`` if cancelled)."""
    return _run(file_dialog(parent, title, start, folders=True))


def choose_file(parent: QWidget | None, title: str, start: str = "", name_filter: str = "") -> str | None:
    """Ask for an existing file (``None`` if cancelled)."""
    return _run(file_dialog(parent, title, start, folders=False, name_filter=name_filter))
