"""The app's library connection survives what happens around it.

1. Browsing the library's own folder in *Add folder…* must not open the library's files: closing any
   descriptor of a file drops the process's POSIX locks on it (SQLite's documented hazard), a
   ``kinfolk`` command then takes itself for the last user, deletes the WAL, and the app's next
   edits vanish. Reproduced end to end: real dialog, real CLI process, real naming, then a restart.
2. A disk I/O error during an edit is shown, the connection reopened and the edit retried.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from kinfolk.core.people import edits

from .helpers import name_largest_group


def _kinfolk(lib, *args):
    r = subprocess.run([sys.executable, "-m", "kinfolk.cli.main", "--library", str(lib), *args],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _browse_in_add_folder_dialog(qtbot, win, folder):
    """Open the real *Add folder…* dialog, go to ``folder``, let it list everything, cancel."""
    seen = []

    def browse():
        dlg = QApplication.activeModalWidget()
        seen.append(type(dlg).__name__)
        dlg.setDirectory(str(folder))
        qtbot.wait(2000)  # the dialog lists the folder and fetches icons/types in its own thread
        dlg.reject()

    QTimer.singleShot(200, browse)
    assert win.library_view._ask_folder() is None
    assert seen == ["QFileDialog"]


def test_browsing_the_library_folder_then_a_cli_command_loses_no_naming(qtbot, win, tmp_path):
    lib = win.session.path
    assert lib.parent == tmp_path and (tmp_path / "library.sqlite-wal").exists()
    _browse_in_add_folder_dialog(qtbot, win, tmp_path)
    _kinfolk(lib, "people")  # another process opens and closes the library
    ann = name_largest_group(qtbot, win, "Ann")
    assert ann.faces > 0
    # Another process sees the name now, and it is still there after the app closes and reopens.
    assert "Ann" in [p["name"] for p in json.loads(_kinfolk(lib, "people", "--json"))["people"]]
    win.session.close()
    conn = sqlite3.connect(lib)
    assert conn.execute("SELECT COUNT(*) FROM persons WHERE name = 'Ann'").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM faces f JOIN persons p ON p.id = f.person_id "
                        "WHERE p.name = 'Ann'").fetchone()[0] == ann.faces


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed (Debian 'strace')")
def test_add_folder_dialog_never_opens_the_library_files(tmp_path):
    """The dialog in a process of its own under strace: the library's files are listed (stat) but
    never opened."""
    code = f"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from kinfolk.db.connection import connect
from kinfolk.gui.dialogs.file_dialogs import choose_folder
conn = connect({str(tmp_path / "library.sqlite")!r})
conn.execute("SELECT COUNT(*) FROM faces").fetchone()
app = QApplication([])
open({str(tmp_path / "BROWSE")!r}, "w").close()
QTimer.singleShot(2500, lambda: QApplication.activeModalWidget().reject())
choose_folder(None, "Add a photo folder", {str(tmp_path)!r})
"""
    trace = tmp_path / "trace.txt"
    r = subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat,open,statx,newfstatat,stat", "-o",
                        str(trace), sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0, r.stderr
    lines = trace.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if "BROWSE" in line)
    during = [line for line in lines[start:] if "library.sqlite" in line]
    assert any("stat" in line for line in during)  # the dialog did list the folder
    opened = [line for line in during if "open" in line.split("(")[0]]
    assert not opened, "\n".join(opened)


def test_an_io_error_during_an_edit_is_shown_and_the_edit_retried(qtbot, win, monkeypatch):
    gid = win.session.people.snapshot.clusters[0].id
    broken = win.session.conn
    failures = []

    class FailingOnce:
        """The GUI connection as it is after losing its locks: the first write fails."""

        def __init__(self, conn):
            self._conn = conn

        def execute(self, sql, *args):
            if not failures and sql.startswith("BEGIN"):
                failures.append(sql)
                raise sqlite3.OperationalError("disk I/O error")
            return self._conn.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self._conn, name)

    win.session.conn = FailingOnce(broken)
    notices, errors = [], []
    win.session.notice.connect(notices.append)
    assert win.session.try_edit("Name group", lambda c: edits.name_cluster(c, gid, "Bea"),
                                errors.append)
    assert failures and not errors
    assert notices and "disk" in notices[0]
    assert win.session.conn is not broken  # reopened
    conn = sqlite3.connect(win.session.path)
    assert conn.execute("SELECT COUNT(*) FROM persons WHERE name = 'Bea'").fetchone()[0] == 1


def test_an_edit_that_fails_twice_is_reported_not_dropped(qtbot, win, monkeypatch):
    gid = win.session.people.snapshot.clusters[0].id
    calls, errors = [], []

    def op(conn):
        calls.append(conn)
        raise sqlite3.OperationalError("disk I/O error")

    assert not win.session.try_edit("Name group", op, errors.append)
    assert len(calls) == 2 and calls[0] is not calls[1]  # retried once on a fresh connection
    assert len(errors) == 1 and "not saved" in errors[0] and "Name group" in errors[0]
    assert gid in [c.id for c in edits.list_clusters(win.session.conn)]


def test_a_library_in_a_read_only_folder_opens_for_viewing(qtbot, tmp_path, grouped_template, models_dir):
    from PySide6.QtCore import QSettings

    from kinfolk.gui.main_window import MainWindow
    from kinfolk.gui.session import Session

    from ..fs_helpers import read_only_folder

    folder = tmp_path / "ro"
    folder.mkdir()
    shutil.copy(grouped_template[0], folder / "library.sqlite")
    with read_only_folder(folder):
        session = Session(folder / "library.sqlite", models_dir)
        w = MainWindow(session, QSettings())
        qtbot.addWidget(w)
        w.show()
        qtbot.waitUntil(lambda: session.people.generation > 0 and not session.people.busy, timeout=20000)
        assert session.read_only and "Read-only" in w.statusBar().currentMessage()
        assert session.people.snapshot.clusters  # the groups are there to look at
        errors = []
        gid = session.people.snapshot.clusters[0].id
        assert not session.try_edit("Name group", lambda c: edits.name_cluster(c, gid, "Ann"),
                                    errors.append)
        assert len(errors) == 1 and "read-only" in errors[0] and str(folder) in errors[0]
        w.close()
        session.close()


def test_the_apps_scan_is_refused_while_another_scan_runs(qtbot, win):
    from PySide6.QtWidgets import QMessageBox

    from kinfolk.core.scan.scan_lock import ScanLock

    scans = win.session.scans
    shown = []

    def answer_message_box():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            shown.append(box.text())
            box.accept()
        else:
            QTimer.singleShot(100, answer_message_box)

    with ScanLock(win.session.path, "kinfolk scan"):
        QTimer.singleShot(100, answer_message_box)
        with qtbot.waitSignal(scans.failed, timeout=60000) as failed:
            assert scans.start()
    assert "another scan of this library is running (kinfolk scan, pid" in failed.args[0]
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert "another scan of this library is running" in shown[0]  # the user is told why
    assert not scans.running
