"""Dated photo grids (month headers, sort orders, the scroll bar's date) and view choices that
survive a restart (thumbnail size, photo order, people sort, "Show hidden")."""

from __future__ import annotations

import random

import pytest
from PIL import Image
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QAbstractItemView, QToolTip

from kinfolk.core.people import edits
from kinfolk.gui.widgets.photo_grid import (UNDATED, CountRole, PhotoGridModel, PhotoGridView, PhotoItem,
                                            PhotoThumbnailStore, YearJump, section_label)

from .helpers import name_largest_group, wait_people

# File names carry the only dates (the copies are re-encoded without EXIF); the last two have
# none, so their date is the file's time: a guess, listed under "Date unknown".
NAMED = {
    "IMG_20190305_101500.jpg": "March 2019",
    "IMG_20190322_090000.jpg": "March 2019",
    "IMG_20190712_143005.jpg": "July 2019",
    "IMG-20201224-WA0001.jpg": "December 2020",
    "PXL_20210101_101010123.jpg": "January 2021",
    "copied.jpg": UNDATED,
    "scan from grandma.jpg": UNDATED,
}
NEWEST_FIRST = ["January 2021", "December 2020", "July 2019", "March 2019", UNDATED]


def grid_sections(model: PhotoGridModel) -> list[tuple[str, list[str]]]:
    """(header, file names of the photos under it), top to bottom, read row by row."""
    out: list[tuple[str, list[str]]] = []
    for row in range(model.rowCount()):
        it = model.photo_at(row)
        if it is None:
            out.append((model.data(model.index(row)), []))
        else:
            out[-1][1].append(it.path.rsplit("/", 1)[1])
    return out


@pytest.fixture
def dated_window(qtbot, tmp_path, faces_dir, labels, models_dir, pick_photos_fn):
    """The main window on a library of 7 real photos of one person, scanned with the real models,
    with dates only in their file names (two without: "Date unknown"); the person is "Anna"."""
    from kinfolk.core.faces.backend_choice import make_backend
    from kinfolk.core.scan.scanner import ScanOptions, Scanner
    from kinfolk.gui.main_window import MainWindow
    from kinfolk.gui.session import Session

    folder = tmp_path / "photos"
    folder.mkdir()
    for src, name in zip(pick_photos_fn(labels, per_identity=7, identities=1), NAMED):
        with Image.open(faces_dir / src) as im:
            im.convert("RGB").save(folder / name, quality=92)  # no EXIF: no camera date
    lib = tmp_path / "lib.sqlite"
    Scanner(lib, [folder], make_backend(models_dir=models_dir), ScanOptions(workers=2)).run()
    session = Session(lib, models_dir, workers=2)
    w = MainWindow(session, QSettings())
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitUntil(lambda: session.people.generation > 0 and not session.people.busy, timeout=20000)
    ids = [r[0] for r in session.conn.execute("SELECT MIN(id) FROM faces GROUP BY photo_id")]
    gen = session.people.generation
    session.edit("Name", lambda c: edits.name_faces(c, ids, "Anna"))
    wait_people(qtbot, w, gen)
    w.show_page("people")
    w.people_view.open_person(session.people.snapshot.people[0].id)
    page = w.people_view.person_page
    qtbot.waitUntil(lambda: not page.photos_loading and bool(page.photos_model.items), timeout=10000)
    w.with_face = {it.path.rsplit("/", 1)[1] for it in page.photos_model.items}
    assert len(w.with_face) >= 5, "the detector found a face in most of the photos"
    yield w
    w.close()


def expected(with_face: set[str], order: list[str]) -> list[tuple[str, list[str]]]:
    """The sections the grid must show: each month in ``order`` with its photos (newest first
    within a month when ``order`` is newest first, by name under "Date unknown")."""
    newest = order[0] != "March 2019"
    out = []
    for header in order:
        names = [n for n in NAMED if NAMED[n] == header and n in with_face]
        if header == UNDATED:
            names.sort(key=lambda n: n)  # by path
        else:
            names.sort(reverse=newest)  # the file names sort like their dates
        if names:
            out.append((header, names))
    return out


def test_person_and_search_grids_show_month_headers_newest_first_undated_last(qtbot, dated_window):
    w = dated_window
    page = w.people_view.person_page
    want = expected(w.with_face, NEWEST_FIRST)
    assert grid_sections(page.photos_model) == want
    assert page.photos_model.headers[-1] == UNDATED
    # A header says how many photos are under it (also to a screen reader).
    m = page.photos_model
    first, n = want[0][0], len(want[0][1])
    count = f"{n} photo" + ("" if n == 1 else "s")
    assert m.data(m.index(0)) == first and m.data(m.index(0), CountRole) == count
    assert m.data(m.index(0), Qt.ItemDataRole.AccessibleTextRole) == f"{first}, {count}"
    # Headers are not photos: not selectable, and Enter on the grid opens photos only.
    assert not page.photos_model.flags(page.photos_model.index(0))
    # The keyboard walks photos, never headers: End, Home, and Down into the next month.
    grid, items = page.photos, m.items
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_End)
    assert grid.current_item() is items[-1]
    qtbot.keyClick(grid, Qt.Key.Key_Home)
    assert grid.current_item() is items[0]
    qtbot.keyClick(grid, Qt.Key.Key_Down)  # January 2021 → the row of December 2020
    assert grid.current_item() is items[1]
    # "Go to year…" lists the years (newest first) on the Photos tab only.
    jump = page.year_jump
    assert [jump.itemText(i) for i in range(1, jump.count())] == ["2021", "2020", "2019"]
    assert jump.isVisible()
    page.tabs.setCurrentIndex(1)
    assert not jump.isVisible()
    page.tabs.setCurrentIndex(0)
    assert jump.isVisible()

    # Search results are grouped the same way.
    w.show_page("search")
    search = w.search_view
    search.with_edit.setText("Anna")
    search.search()
    qtbot.waitUntil(lambda: not search.searching, timeout=10000)
    assert grid_sections(search.model) == want


def test_sort_photos_oldest_first_and_by_file_name(qtbot, dated_window):
    """View → Sort Photos: oldest first keeps month headers (the undated still last); by file name
    has none. Both photo grids follow, and the current photo stays current."""
    w = dated_window
    page = w.people_view.person_page
    page.photos.setCurrentIndex(page.photos_model.photo_index(0))
    current = page.photos.current_item()
    w.photo_order_actions["oldest"].trigger()
    oldest = [h for h in reversed(NEWEST_FIRST) if h != UNDATED] + [UNDATED]
    assert grid_sections(page.photos_model) == expected(w.with_face, oldest)
    assert page.photos.current_item() == current
    w.photo_order_actions["name"].trigger()
    assert page.photos_model.headers == []
    names = [it.path.rsplit("/", 1)[1] for it in page.photos_model.items]
    assert names == sorted(w.with_face, key=str.casefold)
    assert page.photos_model.photo_at(0) is page.photos_model.items[0]  # no header row
    assert w.search_view.model.order == "name"
    w.photo_order_actions["newest"].trigger()
    assert grid_sections(page.photos_model) == expected(w.with_face, NEWEST_FIRST)


def test_large_grid_lays_out_in_batches_and_the_scroll_bar_knows_the_month(qtbot):
    """20,000 photos: the grid is laid out a batch at a time between events (the window never
    waits for all of it), every photo ends up under its month, and dragging the scroll bar can
    tell which month is on screen."""
    from kinfolk.gui.tasks import TaskRunner

    rnd = random.Random(7)
    items = []
    for i in range(20000):
        if i % 50 == 0:
            items.append(PhotoItem(i, f"/p/undated_{i:05d}.jpg", "2026-11-30T04:53:00", date_guess=True))
        else:
            items.append(PhotoItem(i, f"/p/{i:05d}.jpg",
                                   f"{rnd.randint(1960, 2025)}-{rnd.randint(1, 12):02d}-"
                                   f"{rnd.randint(1, 28):02d}T10:00:00"))
    runner = TaskRunner()
    model = PhotoGridModel(PhotoThumbnailStore(runner, 120))
    view = PhotoGridView(120)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.setModel(model)
    view.show()
    model.set_items(items)
    # Sections: months newest first, then the guesses; the counts add up; every photo's month.
    headers = model.headers
    assert headers[-1] == UNDATED and UNDATED not in headers[:-1]
    months = sorted({it.taken_at[:7] for it in items if it.dated}, reverse=True)
    assert headers[:-1] == [section_label(m) for m in months]
    label = ""
    for row in range(model.rowCount()):
        it = model.photo_at(row)
        if it is None:
            label = model.data(model.index(row))
        else:
            assert label == (section_label(it.taken_at[:7]) if it.dated else UNDATED)
    # Batched layout: the last photo has no place yet right after the first pass of events …
    last = model.photo_index(len(model.items) - 1)
    qtbot.wait(1)
    assert not view.visualRect(last).isValid()
    # … and gets one a few event-loop turns later.
    qtbot.waitUntil(lambda: view.visualRect(last).isValid(), timeout=30000)
    # The month at the top of the view, as the scroll bar's tooltip shows it.
    pos = next(i for i, it in enumerate(model.items) if i > 9000 and it.dated
               and model.photo_at(model.row_of_photo(i) - 1) is None)  # first of its month
    view.scrollTo(model.photo_index(pos), QAbstractItemView.ScrollHint.PositionAtTop)
    qtbot.wait(20)
    assert view.date_at_top() == section_label(model.items[pos].taken_at[:7])
    bar = view.verticalScrollBar()
    bar.sliderMoved.emit(bar.value())  # what dragging the handle does
    assert QToolTip.isVisible() and QToolTip.text() == view.date_at_top()
    QToolTip.hideText()
    # "Go to year…": 1987's first header at the top.
    jump = YearJump(view)
    assert view.years() == sorted({int(it.taken_at[:4]) for it in items if it.dated}, reverse=True)
    jump.activated.emit(jump.findData(1987))
    qtbot.waitUntil(lambda: view.date_at_top().endswith("1987"), timeout=5000)
    assert view.date_at_top() == next(h for h in headers if h.endswith("1987"))
    # Larger photos: the row at the top (here 1987's first header) stays at the top.
    top = view.top_row()
    assert model.photo_at(top) is None
    view.zoom(1)
    qtbot.waitUntil(lambda: view.top_row() == top, timeout=5000)
    view.close()
    runner.shutdown()


def test_view_choices_survive_a_restart(qtbot, win, tmp_path, models_dir):
    """Thumbnail size, photo order, the People sort and "Show hidden" come back in a new window
    on the same settings; nothing leaks out of this test's QSettings scope (conftest)."""
    from kinfolk.gui.main_window import MainWindow
    from kinfolk.gui.session import Session

    w, pv = win, win.people_view
    anna = name_largest_group(qtbot, w, "Anna")
    name_largest_group(qtbot, w, "Ben")
    w.show_page("people")
    w.zoom_in_action.trigger()  # 160 → 220
    w.photo_order_actions["oldest"].trigger()
    pv.sort.setCurrentText("Name")
    pv.show_hidden.setChecked(True)
    w.groups_view.split.setSizes([300, 200])
    split = w.groups_view.split.saveState()
    path = w.session.path
    w.close()

    session = Session(path, models_dir, workers=2)
    w2 = MainWindow(session, QSettings())
    qtbot.addWidget(w2)
    w2.show()
    qtbot.waitUntil(lambda: session.people.generation > 0 and not session.people.busy, timeout=20000)
    pv2 = w2.people_view
    for grid in (pv2.person_page.photos, w2.search_view.grid):
        assert grid.delegate.side == 220 and grid.iconSize().width() == 220
        assert grid.model().store.size == 220 and grid.model().order == "oldest"
    assert w2.photo_order_actions["oldest"].isChecked()
    assert pv2.sort.currentText() == "Name" and pv2.show_hidden.isChecked()
    assert [c.title for c in pv2.model.cards] == sorted(c.title for c in pv2.model.cards)
    assert w2.groups_view.split.saveState() == split
    # The restored order applies to what is shown next.
    pv2.open_person(anna.id)
    page = pv2.person_page
    qtbot.waitUntil(lambda: not page.photos_loading, timeout=10000)
    dated = [it.taken_at for it in page.photos_model.items if it.dated]
    assert dated == sorted(dated)
    # Larger / Smaller is saved when chosen, not only when the window closes.
    w2.zoom_out_action.trigger()
    assert int(QSettings().value("view/photo-size")) == 160
    w2.close()
