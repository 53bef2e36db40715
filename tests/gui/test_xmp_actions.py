"""File → Write Names to XMP Sidecars… and Keep XMP Sidecars in Sync, on a library of drawn people."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from kinfolk.core.people.edits import rename
from kinfolk.core.metadata.xmp_regions import read_regions
from kinfolk.gui.main_window import MainWindow

from . import synthetic_library, xmp_drawn
from .helpers import wait_people


@pytest.fixture(scope="module")
def drawn_template(tmp_path_factory) -> Path:
    """The drawn library (``photos/`` and ``drawn.sqlite``), drawn once: drawing its 30 photos costs
    seconds (Pillow's blur), and every test gets a copy of it (see ``window``)."""
    root = tmp_path_factory.mktemp("drawn")
    synthetic_library.build(root / "photos", root / "drawn.sqlite")
    return root


def copy_drawn_library(template: Path, dest: Path) -> None:
    """``template``'s photos and library into ``dest``, as ``synthetic_library.build(dest /
    "photos", dest / "drawn.sqlite")`` would have left them: same files (sizes and mtimes kept, so
    nothing looks changed), and the library's paths moved to the new folder."""
    shutil.copytree(template / "photos", dest / "photos")  # copy2: mtime_ns kept
    shutil.copyfile(template / "drawn.sqlite", dest / "drawn.sqlite")
    old, new = str(template / "photos"), str(dest / "photos")
    conn = sqlite3.connect(dest / "drawn.sqlite")
    with conn:
        conn.execute("UPDATE folders SET path = ? WHERE path = ?", (new, old))
        conn.execute("UPDATE photos SET path = ? || substr(path, ?)", (new, len(old) + 1))
    conn.close()


@pytest.fixture
def window(qtbot, tmp_path, session_factory, drawn_template):
    copy_drawn_library(drawn_template, tmp_path)
    w = MainWindow(session_factory("drawn.sqlite"), QSettings())
    qtbot.addWidget(w)
    w.show()
    yield w, tmp_path / "photos"
    w.close()


def names_in(sidecar: Path) -> set[str]:
    return {r.name for r in read_regions(sidecar.read_bytes(), str(sidecar))}


def test_write_names_from_the_file_menu(qtbot, window):
    w, photos = window
    file_menu = w.menuBar().actions()[0].menu()
    assert w.sidecars.write_action in file_menu.actions()
    w.sidecars.write()
    qtbot.waitUntil(lambda: w.sidecars.last_report is not None, timeout=20_000)
    rep = w.sidecars.last_report
    assert rep.written and not rep.errors
    conn = w.session.conn
    for item in rep.written:
        photo_id = conn.execute("SELECT id FROM photos WHERE path = ?", (item["photo"],)).fetchone()[0]
        confirmed = {r[0] for r in conn.execute(
            "SELECT p.name FROM faces f JOIN persons p ON p.id = f.person_id "
            "WHERE f.photo_id = ? AND f.state = 'confirmed'", (photo_id,))}
        assert names_in(Path(item["sidecar"])) == confirmed
    assert not list(photos.glob("*.xmp.tmp")) and not list(photos.glob(".*.tmp"))


def test_sync_follows_edits_and_undo(qtbot, window):
    w, photos = window
    w.sidecars.sync_action.setChecked(True)  # turning it on writes every sidecar once
    qtbot.waitUntil(lambda: w.sidecars.last_report is not None, timeout=20_000)
    with_anna = [p for p in photos.glob("*.xmp") if "Anna Berg" in names_in(p)]
    assert with_anna
    w.sidecars.last_report = None
    w.session.edit("Rename", lambda c: rename(c, "Anna Berg", "Anna Lind"))
    qtbot.waitUntil(lambda: w.sidecars.last_report is not None, timeout=20_000)
    assert all("Anna Lind" in names_in(p) and "Anna Berg" not in names_in(p) for p in with_anna)
    w.sidecars.last_report = None
    w.undo_stack.undo()
    qtbot.waitUntil(lambda: w.sidecars.last_report is not None, timeout=20_000)
    assert all("Anna Berg" in names_in(p) and "Anna Lind" not in names_in(p) for p in with_anna)
    wait_people(qtbot, w)  # the views' refresh after the edits, before the window closes


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="ExifTool not installed")
def test_import_names_shows_what_happened(qtbot, window, tmp_path):
    w, photos = window
    expected = xmp_drawn.write_regions(tmp_path / "drawn.sqlite")
    assert w.sidecars.import_action in w.menuBar().actions()[0].menu().actions()
    w.sidecars.import_names()
    qtbot.waitUntil(lambda: w.sidecars.summary_dialog is not None, timeout=20_000)
    rep = w.sidecars.last_import
    assert len(rep.named) == expected["named"] and rep.people == ["Emma Sato"]
    assert [c["kinfolk_name"] for c in rep.conflicts] == ["Anna Berg"]
    assert [u["name"] for u in rep.unmatched] == ["Grandpa Joe"]
    table = w.sidecars.summary_dialog.table
    rows = [tuple(table.topLevelItem(i).text(c) for c in range(3)) for i in range(table.topLevelItemCount())]
    assert rows[0][1:] == ("Anna Svensson", "you named this face Anna Berg")
    assert rows[1][1:] == ("Grandpa Joe", "no face found here")
    assert sum(r[2] == "named" for r in rows) == expected["named"]
    # Emma is now a person with confirmed faces; Anna kept her face.
    conn = w.session.conn
    assert conn.execute("SELECT COUNT(*) FROM faces f JOIN persons p ON p.id = f.person_id "
                        "WHERE p.name = 'Emma Sato' AND f.state = 'confirmed'").fetchone()[0] == expected["named"]
    w.sidecars.summary_dialog.close()
    wait_people(qtbot, w)


def test_write_dialog_remembers_the_sidecar_naming(qtbot, window, monkeypatch):
    from kinfolk.core.metadata.sidecar_writer import sidecar_naming
    from kinfolk.gui import xmp_actions

    w, photos = window

    def choose_lightroom(dlg):
        dlg.combo.setCurrentIndex(1)
        return xmp_actions.QDialog.DialogCode.Accepted

    monkeypatch.setattr(xmp_actions.WriteDialog, "exec", choose_lightroom)
    assert w.sidecars.ask_write()
    qtbot.waitUntil(lambda: w.sidecars.last_report is not None, timeout=20_000)
    assert sidecar_naming(w.session.conn) == "replace"
    written = [Path(x["sidecar"]) for x in w.sidecars.last_report.written]
    assert written and all(p.name.count(".") == 1 and p.suffix == ".xmp" for p in written)
