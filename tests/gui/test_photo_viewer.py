"""The photo viewer and the person page's photos, in the real window on a library scanned and
grouped with the real models (12 real photos of 3 people)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from kinfolk.core.people.matching import Evidence, FaceExplanation, Neighbour
from kinfolk.core.people.thresholds import Thresholds
from kinfolk.gui import preferences as prefs
from kinfolk.gui.widgets.face_panel import CROP_SIZE
from kinfolk.gui.widgets.face_words import explain_face, face_kind, face_label

from .helpers import name_largest_group, wait_people


def person_of(w, face_id: int) -> str | None:
    row = w.session.conn.execute("SELECT ps.name FROM faces f LEFT JOIN persons ps ON "
                                 "ps.id = f.person_id WHERE f.id = ?", (face_id,)).fetchone()
    return row[0]


def wait_viewer(qtbot, w):
    qtbot.waitUntil(lambda: w.viewer is not None and w.viewer.isVisible()
                    and not w.viewer.loading, timeout=10000)
    return w.viewer


def test_person_page_photos_by_date_open_the_viewer(qtbot, win):
    w, pv = win, win.people_view
    anna = name_largest_group(qtbot, w, "Anna")
    w.show_page("people")
    pv.open_person(anna.id)
    page = pv.person_page
    assert page.tabs.currentIndex() == 0 and page.tabs.tabText(0) == f"Photos ({anna.photos})"
    qtbot.waitUntil(lambda: not page.photos_loading, timeout=10000)  # read in the background
    items = page.photos_model.items
    assert len(items) == anna.photos
    dated = [it.taken_at for it in items if it.dated]
    assert dated == sorted(dated, reverse=True), "newest first"
    assert all(it.dated for it in items[:len(dated)]), "the undated last"
    # The photo thumbnails are decoded from the files, oriented, fitted in the cell.
    qtbot.waitUntil(lambda: all(page.photos_store.has(it.id) for it in items), timeout=15000)
    pm = page.photos_store.cache.get(items[0].id)
    side = round(160 * pm.devicePixelRatio())
    assert max(pm.width(), pm.height()) == side
    info = w.session.conn.execute("SELECT width, height FROM photos WHERE id = ?",
                                  (items[0].id,)).fetchone()
    assert abs(pm.width() / pm.height() - info[0] / info[1]) < 0.02

    # Double-click (here: the signal it emits) opens the viewer on that photo; → walks on.
    page.photos.photo_activated.emit(1)
    v = wait_viewer(qtbot, w)
    assert v.photo.id == items[1].id and f"2 of {len(items)}" in v.title.text()
    assert v.canvas.image is not None
    img = v.canvas.image
    assert abs(img.width() / img.height() - info[0] / info[1]) < 0.02  # EXIF-oriented like the boxes
    qtbot.keyClick(v.canvas, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: not v.loading, timeout=10000)
    assert v.photo.id == items[2].id
    qtbot.keyClick(v.canvas, Qt.Key.Key_Left)
    assert v.photo.id == items[1].id
    # Every face has a box inside the photo, and Anna's is labelled with her name.
    r = v.canvas.image_rect()
    assert v.faces and all(r.adjusted(-1, -1, 1, 1).contains(v.canvas.box_rect(f)) for f in v.faces)
    assert "Anna" in [face_label(f) for f in v.faces]


def test_name_reject_move_and_undo_in_the_viewer(qtbot, win):
    w = win
    anna = name_largest_group(qtbot, w, "Anna")
    gv = w.groups_view
    snap = w.session.people.snapshot
    assert snap.clusters, "two more people should be left in groups"
    w.show_page("groups")
    gv.cards.select_key(("group", snap.clusters[0].id))
    face = gv.faces_model.face_ids[0]
    gv.faces.face_activated.emit(face)  # what a double-click on the face does
    v = wait_viewer(qtbot, w)
    assert v.selected == face and v.canvas.selected == face
    f = v.face(face)
    assert face_label(f) == "Unnamed group" and face_kind(f) == "unknown"
    # The panel's crop is cut sharp from the original file.
    qtbot.waitUntil(lambda: v.sharp_crop == face, timeout=10000)
    assert v.panel.crop.pixmap().width() == round(CROP_SIZE * v.devicePixelRatioF())

    # Clicking an unnamed face puts the cursor in the name field; a typed name completes and names it.
    v.canvas.set_selected(None)
    center = v.canvas.box_rect(f).center().toPoint()
    qtbot.mouseClick(v.canvas, Qt.MouseButton.LeftButton, pos=center)
    assert v.selected == face
    qtbot.keyClicks(v.panel.name_edit, "Ben")
    qtbot.keyClick(v.panel.name_edit, Qt.Key.Key_Return)
    assert person_of(w, face) == "Ben"
    assert face_label(v.face(face)) == "Ben" and v.panel.name_label.text() == "Ben"
    # Undo from the viewer's own window (Ctrl+Z), then redo.
    undo = next(a for a in v.actions() if a.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo))
    undo.trigger()
    assert person_of(w, face) is None and face_label(v.face(face)) == "Unnamed group"
    w.redo_action.trigger()
    assert person_of(w, face) == "Ben"

    # "Move to…" an existing person, through the right-click menu of the box.
    v.choose_person = lambda title, prompt, names, existing: "Anna"
    menu = v.face_menu(face)
    texts = [a.text() for a in menu.actions()]
    assert "Not Ben" in texts and "Move to…" in texts and "Why is this face here?" in texts
    next(a for a in menu.actions() if a.text() == "Move to…").trigger()
    assert person_of(w, face) == "Anna"
    # "Not Anna": unassigned, and remembered.
    assert v.panel.not_button.text() == "Not Anna"
    v.panel.not_button.click()
    assert person_of(w, face) is None
    assert w.session.conn.execute("SELECT 1 FROM face_rejections WHERE face_id = ? AND person_id = ?",
                                  (face, anna.id)).fetchone()
    ex = v.explain_selected()
    assert "You said it is not Anna." in ex.text
    wait_people(qtbot, w)


def test_why_is_this_face_here(qtbot, win):
    w = win
    anna = name_largest_group(qtbot, w, "Anna")
    # Thresholds that suggest every other face for Anna and assign none (a library setting).
    model_id = w.session.conn.execute("SELECT model_id FROM faces LIMIT 1").fetchone()[0]
    prefs.write_thresholds(w.session.conn, model_id, Thresholds(match=0.3, auto=1.01, suggest=-1.0))
    w.session.people.schedule_rematch()
    qtbot.waitUntil(lambda: len(w.session.people.snapshot.suggestions) > 0
                    and not w.session.people.busy, timeout=20000)
    sv = w.suggestions_view
    w.show_page("suggestions")
    card = sv.model.cards[0]
    sv.show_face(card)  # what a double-click on the card does
    v = wait_viewer(qtbot, w)
    fid = card.key[1]
    assert v.selected == fid and face_label(v.face(fid)) == "Anna?"
    assert v.panel.yes_button.text() == "Yes, it's Anna" and v.panel.yes_button.isVisibleTo(v)
    v.panel.why_button.click()
    ex = v.explanation
    sugg = w.session.people.snapshot.suggestions[0]
    assert any(f"{w} Anna (similarity {sugg.similarity:.2f})" in ex.text
               for w in ("Very likely", "Probably", "Maybe"))
    confirmed = {r[0] for r in w.session.conn.execute(
        "SELECT id FROM faces WHERE person_id = ? AND state = 'confirmed'", (anna.id,))}
    assert ex.neighbours and {n[0] for n in ex.neighbours} <= confirmed
    assert all(n[1] == "Anna" for n in ex.neighbours)
    sims = [n[2] for n in ex.neighbours]
    assert sims == sorted(sims, reverse=True) and sims[0] >= sugg.similarity - 1e-3
    assert v.panel.neighbours.count() == len(ex.neighbours)
    qtbot.waitUntil(lambda: all(w.session.thumbnails(64).has(n[0]) for n in ex.neighbours),
                    timeout=10000)
    # Yes from the viewer confirms it.
    v.panel.yes_button.click()
    assert w.session.conn.execute("SELECT state FROM faces WHERE id = ?", (fid,)).fetchone()[0] == \
        "confirmed"
    assert v.explain_selected().text.startswith("You said this is Anna.")
    wait_people(qtbot, w)


def test_explanations_in_words():
    auto = FaceExplanation(face=3, state="auto", person="Anna", cluster=None, similarity=0.62,
                           evidence=Evidence(score=0.62, runner_up=0.31, neighbours=(Neighbour(7, 1, 0.71),),
                                             auto=0.5, suggest=0.35, margin=0.05))
    ex = explain_face(auto, {1: "Anna"}, {})
    assert "Recognized automatically as Anna: similarity 0.62 (automatic from 0.50" in ex.text
    assert "Runner-up (the next most similar person): 0.31." in ex.text
    assert ex.neighbours == [(7, "Anna", 0.71)]
    grouped = explain_face(FaceExplanation(face=3, state="unassigned", person=None, cluster=4), {}, {4: 6})
    assert "Not close enough to anyone you named." in grouped.text
    assert "Grouped with 5 similar faces in Unnamed groups." in grouped.text
    assert explain_face(None, {}, {}).text == "This face is no longer in the library."


def test_a_photo_that_cannot_be_read_still_shows_its_faces(qtbot, win):
    w = win
    conn = w.session.conn
    photo_id, path = conn.execute("SELECT p.id, p.path FROM photos p WHERE EXISTS (SELECT 1 FROM "
                                  "faces f WHERE f.photo_id = p.id) ORDER BY p.id").fetchone()
    # The file went missing since the scan (this test's copy of the library points elsewhere; the
    # photos themselves are shared by the session's tests).
    conn.execute("UPDATE photos SET path = ? WHERE id = ?", (path + ".gone.jpg", photo_id))
    w.session.show_photos([("photo", photo_id)])
    v = wait_viewer(qtbot, w)
    assert v.canvas.image is None and "cannot be shown" in v.canvas.message
    assert "cannot be shown" in v.status.text()
    assert v.faces and not v.canvas.image_rect().isEmpty()  # boxes from the library's sizes
    assert v.selected == v.faces[0].id or len(v.faces) > 1


def _fits(label) -> bool:
    """The whole text of ``label`` is drawn within it (wrapped when it wraps)."""
    room = label.contentsRect()
    if label.wordWrap():
        return label.heightForWidth(room.width()) <= room.height() + 1
    return label.fontMetrics().horizontalAdvance(label.text()) <= room.width()


def test_details_and_edit_notice_share_no_line_and_both_read_whole(qtbot, win):
    """QA: the photo's details (date, path) and the edit notice ("Named … · Undo") shared the
    bottom line and cut each other off. The notice has its own line above the details, wrapping;
    the details fit their width with the path elided in the middle (the file name stays), the
    full path in the tooltip — at the default size and at a narrow one."""
    from pathlib import Path

    from PySide6.QtCore import QRect

    from kinfolk.core.people import edits

    w = win
    face = edits.face_ids_of_cluster(w.session.conn, w.session.people.snapshot.clusters[0].id)[0]
    w.session.show_face(face)
    v = wait_viewer(qtbot, w)
    path = v.photo.path
    long_name = "Anna Maria Magdalena von Habsburg-Lothringen und Hohenzollern-Sigmaringen"
    gen = w.session.people.generation
    assert v.name_selected(long_name)
    wait_people(qtbot, w, gen)

    def in_viewer(widget) -> QRect:
        return QRect(widget.mapTo(v, widget.rect().topLeft()), widget.size())

    for width in (1100, 640):
        v.resize(width, 620)
        qtbot.waitUntil(lambda wanted=width: v.width() == wanted, timeout=5000)
        qtbot.wait(50)
        details, notice = v.status, v.notice
        assert details.isVisible() and notice.isVisible()
        assert long_name in notice.label.text()
        assert not in_viewer(details).intersects(in_viewer(notice)), width
        assert in_viewer(notice).bottom() < in_viewer(details).top(), "each on its own line"
        assert _fits(details), (width, details.text())
        assert _fits(notice.label), (width, notice.label.text())
        assert details.toolTip() == path
        assert details.text().endswith(Path(path).name), "the file name is never cut"
    assert "…" in v.status.text()  # 640 px cannot hold the whole path: elided in the middle
