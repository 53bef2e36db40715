"""Search results as a photo grid with date and folder filters, Open / Show in folder; merging by
drag and drop. In the real window on a library scanned and grouped with the real models."""

from __future__ import annotations

import os
import warnings

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from kinfolk.core.people import edits
from kinfolk.gui.widgets.cards import CARD_MIME, keys_from_mime
from kinfolk.gui.desktop import reveal_command
from kinfolk.core.search import parse_date_bound

from .helpers import name_largest_group, wait_people


def run_search(qtbot, view) -> None:
    view.search()
    qtbot.waitUntil(lambda: not view.searching, timeout=10000)


def test_search_grid_filters_open_and_reveal(qtbot, win, tmp_path):
    w, sv = win, win.search_view
    anna = name_largest_group(qtbot, w, "Anna")
    conn = w.session.conn
    rows = conn.execute("SELECT DISTINCT p.id, p.path, p.taken_at, p.taken_at_source FROM photos p JOIN "
                        "faces f ON f.photo_id = p.id WHERE f.person_id = ?", (anna.id,)).fetchall()
    w.show_page("search")
    sv.with_edit.setText("Anna")
    run_search(qtbot, sv)
    assert len(sv.model.items) == anna.photos == len(rows)
    assert {it.id for it in sv.model.items} == {r[0] for r in rows}
    assert all("Anna" in it.people for it in sv.model.items)
    qtbot.waitUntil(lambda: all(sv.store.has(it.id) for it in sv.model.items), timeout=15000)

    # Dates: a year, a month or a day; "to" includes its whole period. A file's time is no date.
    days = sorted(r[2][:10] for r in rows if r[3] != "file")
    assert days and len(days) < len(rows)  # some of Anna's photos are dated only by the file's time
    sv.date_from.setText(days[-1])
    sv.date_to.setText(days[-1][:7])  # that whole month
    run_search(qtbot, sv)
    assert len(sv.model.items) == days.count(days[-1])
    sv.date_from.setText(str(int(days[-1][:4]) + 1))
    sv.date_to.clear()
    run_search(qtbot, sv)
    assert len(sv.model.items) == 0 and sv.stack.currentWidget() is sv.empty
    sv.date_from.setText("2019-13")
    sv.search()
    assert not sv.searching and "no month 13" in sv.status.text()
    sv.date_from.clear()

    # Folder: the library folder keeps them all, another folder none.
    folder = os.path.dirname(rows[0][1])
    assert sv.folder.findData(folder) > 0, "library folders are offered"
    sv.set_folder(folder)
    run_search(qtbot, sv)
    assert len(sv.model.items) == anna.photos
    sv.choose_folder = lambda: str(tmp_path)
    sv.folder.setCurrentIndex(sv.folder.count() - 1)
    sv._folder_chosen(sv.folder.count() - 1)  # "Other folder…"
    assert sv.folder.currentData() == str(tmp_path)
    run_search(qtbot, sv)
    assert len(sv.model.items) == 0
    sv.set_folder(None)
    sv.with_edit.clear()
    sv.date_from.setText("1900")  # only a date: every photo since
    run_search(qtbot, sv)
    assert len(sv.model.items) == conn.execute(
        "SELECT COUNT(*) FROM photos WHERE status = 'ok' AND taken_at >= '1900-01-01' "
        "AND taken_at_source IS NOT 'file'").fetchone()[0]

    # Open / Show in folder / View, from the buttons and the context menu.
    sv.with_edit.setText("Anna")
    sv.date_from.clear()
    run_search(qtbot, sv)
    opened, shown = [], []
    sv.open_file, sv.reveal = opened.append, shown.append
    sv.grid.setCurrentIndex(sv.model.photo_index(1))
    item = sv.model.items[1]
    sv.open_button.click()
    sv.reveal_button.click()
    assert opened == [item.path] and shown == [item.path]
    menu = sv.context_menu()
    assert [a.text() for a in menu.actions()] == ["View", "Open", "Show in folder"]
    menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: w.viewer is not None and not w.viewer.loading, timeout=10000)
    assert w.viewer.photo.id == item.id and w.viewer.items[0] == ("photo", sv.model.items[0].id)


def test_reveal_commands():
    assert reveal_command(r"C:\Photos\a b.jpg", "win32").startswith('explorer /select,"')
    assert reveal_command("/p/a.jpg", "darwin") == ["open", "-R", "/p/a.jpg"]
    assert reveal_command("/p/a.jpg", "linux") is None  # the folder is opened instead


def test_date_bounds():
    assert parse_date_bound("2019", end=False) == "2019-01-01"
    assert parse_date_bound("2019", end=True) == "2019-12-31"
    assert parse_date_bound("2020-02", end=True) == "2020-02-29"
    assert parse_date_bound(" 2019/7/4 ", end=True) == "2019-07-04"
    assert parse_date_bound("", end=True) is None
    for bad in ("July", "2019-02-30", "19"):
        with pytest.raises(ValueError):
            parse_date_bound(bad, end=False)


def drop(view, mime, target_row: int) -> bool:
    """What Qt sends the view's viewport while a drag enters it, moves over the card at
    ``target_row`` and drops there (a real ``QDrag.exec`` would block the test). Returns whether
    the drop was accepted."""
    pos = view.visualRect(view.model().index(target_row)).center()
    actions = Qt.DropAction.MoveAction | Qt.DropAction.CopyAction
    vp = view.viewport()
    assert vp.acceptDrops(), "Qt delivers drags only to widgets that accept drops"
    args = (actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with warnings.catch_warnings():  # PySide6 marks these constructors deprecated (Qt does not)
        warnings.simplefilter("ignore", DeprecationWarning)
        enter, move = QDragEnterEvent(pos, *args), QDragMoveEvent(pos, *args)
    QApplication.sendEvent(vp, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(vp, move)
    assert move.isAccepted() == (view.drop_row == target_row)
    drop_event = QDropEvent(pos.toPointF(), *args)
    QApplication.sendEvent(vp, drop_event)
    return drop_event.isAccepted()


def test_drag_a_person_onto_another_merges_and_undo(qtbot, win):
    w, pv = win, win.people_view
    snap = w.session.people.snapshot
    if len(snap.clusters) < 2:
        pytest.skip("needs two groups")
    anna = name_largest_group(qtbot, w, "Anna")
    ben = name_largest_group(qtbot, w, "Ben")
    w.show_page("people")
    qtbot.waitUntil(lambda: pv.cards.isVisible() and pv.model.rowCount() == 2, timeout=5000)
    rows = {c.title: i for i, c in enumerate(pv.model.cards)}
    ben_ix = pv.model.index(rows["Ben"])
    # Pressing on a card and moving starts a drag of it (QDrag.exec itself returns at once on the
    # offscreen platform, so the drop is sent by hand below).
    started = []
    pv.cards.startDrag = lambda actions: started.append(pv.cards.selected_cards())
    vp, at = pv.cards.viewport(), pv.cards.visualRect(ben_ix).center()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    for d in range(0, 40, 5):
        QTest.mouseMove(vp, at + QPoint(d, d))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    assert started and [c.title for c in started[0]] == ["Ben"]
    del pv.cards.startDrag
    assert pv.model.flags(ben_ix) & Qt.ItemFlag.ItemIsDragEnabled
    mime = pv.model.mimeData([ben_ix])
    assert mime.hasFormat(CARD_MIME) and keys_from_mime(mime) == [("person", ben.id)]

    asked = []
    pv.confirm_merge = lambda text: asked.append(text) or False
    assert not drop(pv.cards, mime, rows["Ben"])  # onto itself: refused, nothing asked
    assert not asked
    drop(pv.cards, mime, rows["Anna"])  # asked, and declined: nothing changes
    assert asked and asked[0].startswith("Merge Ben into Anna?")
    assert edits.person_by_name(w.session.conn, "Ben") == ben.id

    pv.confirm_merge = lambda text: True
    drop(pv.cards, mime, rows["Anna"])
    wait_people(qtbot, w)
    names = [p.name for p in w.session.people.snapshot.people]
    assert names == ["Anna"]
    assert w.session.people.snapshot.people[0].faces == anna.faces + ben.faces
    assert "Merge Ben into Anna" in w.undo_action.text()
    w.undo_action.trigger()
    wait_people(qtbot, w)
    assert sorted(p.name for p in w.session.people.snapshot.people) == ["Anna", "Ben"]


def test_drag_a_group_onto_a_person(qtbot, win):
    w, gv = win, win.groups_view
    if len(w.session.people.snapshot.clusters) < 2:
        pytest.skip("needs two groups")
    anna = name_largest_group(qtbot, w, "Anna")
    w.show_page("groups")
    assert gv.strip_box.isVisible() and [c.title for c in gv.people_model.cards] == ["Anna"]
    group = gv.model.cards[0]
    faces = edits.face_ids_of_cluster(w.session.conn, group.id)
    mime = gv.model.mimeData([gv.model.index(0)])
    assert keys_from_mime(mime) == [("group", group.id)]
    # Groups do not take drops (only people do).
    assert gv.cards.drop_target(mime, gv.cards.visualRect(gv.model.index(0)).center()) is None
    asked = []
    gv.confirm_merge = lambda text: asked.append(text) or True
    drop(gv.people_strip, mime, 0)
    n = f"{len(faces)} face" + ("s" if len(faces) != 1 else "")
    assert asked == [f"Add the {n} of 1 group to Anna?\n\nYou can undo this (Ctrl+Z)."]
    wait_people(qtbot, w)
    marks = ",".join("?" * len(faces))
    assert {r[0] for r in w.session.conn.execute(
        f"SELECT person_id FROM faces WHERE id IN ({marks})", faces)} == {anna.id}
    assert all(c.key != group.key for c in gv.model.cards)
