"""People, Unnamed groups, Suggestions, Search and Forget in the real window, on a library scanned
and grouped with the real models (12 real photos of 3 people)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from kinfolk.core.people import edits
from kinfolk.core.people.thresholds import Thresholds
from kinfolk.gui import preferences as prefs

from .helpers import identities_of, wait_people


def test_name_a_group_by_typing_then_undo_and_redo(qtbot, win):
    w, gv = win, win.groups_view
    w.show_page("groups")
    snap = w.session.people.snapshot
    assert snap.clusters, "the real models should group 12 photos of 3 people"
    assert [c.faces for c in snap.clusters] == sorted((c.faces for c in snap.clusters), reverse=True)
    first = snap.clusters[0]
    assert gv.model.rowCount() == len(snap.clusters)
    assert gv.cards.current_card().key == ("group", first.id)
    # The faces of the selected group are shown, and they really are one person.
    assert sorted(gv.faces_model.face_ids) == sorted(edits.face_ids_of_cluster(w.session.conn,
                                                                                first.id))
    assert len(identities_of(w, gv.faces_model.face_ids)) == 1
    assert w.sidebar.item(2).text() == f"Unnamed groups ({len(snap.clusters)})"

    gen = w.session.people.generation
    qtbot.keyClicks(gv.name_edit, "Anna")
    qtbot.keyClick(gv.name_edit, Qt.Key.Key_Return)
    wait_people(qtbot, w, gen)
    anna = [p for p in w.session.people.snapshot.people if p.name == "Anna"]
    assert len(anna) == 1 and anna[0].faces >= first.faces
    assert gv.name_edit.text() == ""
    assert w.people_view.model.cards[0].title == "Anna"
    assert w.sidebar.item(1).text() == "People (1)"
    if len(snap.clusters) > 1:  # the next group is selected, ready for the next name
        assert gv.cards.current_card().key != ("group", first.id)

    assert w.undo_action.isEnabled() and "Name group Anna" in w.undo_action.text()
    gen = w.session.people.generation
    w.undo_action.trigger()
    wait_people(qtbot, w, gen)
    assert w.session.people.snapshot.people == []
    assert any(c.id == first.id for c in w.session.people.snapshot.clusters)
    gen = w.session.people.generation
    w.redo_action.trigger()
    wait_people(qtbot, w, gen)
    assert [p.name for p in w.session.people.snapshot.people] == ["Anna"]


def test_merge_rename_hide_and_the_person_page(qtbot, win):
    w, gv, pv = win, win.groups_view, win.people_view
    clusters = w.session.people.snapshot.clusters
    if len(clusters) < 2:
        pytest.skip("needs two groups")
    gv.cards.select_key(("group", clusters[0].id))
    assert gv.name_selected("Anna")
    wait_people(qtbot, w)
    gv.cards.select_key(("group", clusters[1].id))
    # "Merge into…" names the group after an existing person.
    gv.choose_person = lambda names: names[0]
    assert gv.merge_selected()
    wait_people(qtbot, w)
    snap = w.session.people.snapshot
    assert [p.name for p in snap.people] == ["Anna"]
    assert snap.people[0].faces >= clusters[0].faces + clusters[1].faces - 1

    # Person page: faces, "Not Anna" on one face, cover.
    w.show_page("people")
    pv.open_person(snap.people[0].id)
    page = pv.person_page
    assert pv.stack.currentWidget() is page and page.title.text() == "Anna"
    ids = page.faces_model.face_ids
    assert len(ids) == snap.people[0].faces
    page.faces.selectionModel().select(page.faces_model.index(0),
                                       page.faces.selectionModel().SelectionFlag.Select)
    assert page.reject_button.isEnabled() and page.reject_button.text() == "Not Anna"
    rejected = ids[0]
    page.reject_selected()
    wait_people(qtbot, w)
    conn = w.session.conn
    assert conn.execute("SELECT person_id FROM faces WHERE id = ?", (rejected,)).fetchone()[0] is None
    assert conn.execute("SELECT 1 FROM face_rejections WHERE face_id = ?", (rejected,)).fetchone()
    assert rejected not in page.faces_model.face_ids

    # Rename, hide (and the hidden filter), all through injected dialogs.
    pv.ask_new_name = lambda current, others: "Anna Maria"
    assert pv.rename(w.session.people.snapshot.people[0])
    wait_people(qtbot, w)
    assert page.title.text() == "Anna Maria"
    assert pv.toggle_hidden(w.session.people.snapshot.people[0])
    wait_people(qtbot, w)
    assert pv.model.rowCount() == 0 and w.sidebar.item(1).text() == "People"
    pv.show_hidden.setChecked(True)
    assert pv.model.rowCount() == 1 and pv.model.cards[0].muted


def test_suggestions_yes_and_no(qtbot, win):
    w, sv = win, win.suggestions_view
    clusters = w.session.people.snapshot.clusters
    w.groups_view.cards.select_key(("group", clusters[0].id))
    assert w.groups_view.name_selected("Anna")
    # Thresholds that suggest every other face and assign none (a library setting the user owns).
    model_id = w.session.conn.execute("SELECT model_id FROM faces LIMIT 1").fetchone()[0]
    prefs.write_thresholds(w.session.conn, model_id, Thresholds(match=0.3, auto=1.01, suggest=-1.0))
    w.session.people.schedule_rematch()
    qtbot.waitUntil(lambda: len(w.session.people.snapshot.suggestions) > 0
                    and not w.session.people.busy, timeout=20000)
    w.show_page("suggestions")
    n = len(w.session.people.snapshot.suggestions)
    assert sv.model.rowCount() == n and sv.model.cards[0].title == "Anna?"
    assert w.sidebar.item(3).text() == f"Suggestions ({n})"
    first, second = sv.model.cards[0], sv.model.cards[1] if n > 1 else None
    sv.cards.select_key(first.key)
    assert sv.accept_selected()
    wait_people(qtbot, w)
    conn = w.session.conn
    assert conn.execute("SELECT state FROM faces WHERE id = ?", (first.key[1],)).fetchone()[0] == \
        "confirmed"
    if second is not None:
        assert sv.cards.select_key(second.key)
        qtbot.keyClick(sv.cards, Qt.Key.Key_N)  # the keyboard answer (a shortcut: clicks shortly)
        qtbot.waitUntil(lambda: conn.execute("SELECT 1 FROM face_rejections WHERE face_id = ?",
                                             (second.key[1],)).fetchone() is not None, timeout=5000)
        wait_people(qtbot, w)
        assert all(c.key != second.key for c in sv.model.cards)


def test_search_and_forget(qtbot, win):
    w, search, pv = win, win.search_view, win.people_view
    c0 = w.session.people.snapshot.clusters[0]
    w.groups_view.cards.select_key(("group", c0.id))
    assert w.groups_view.name_selected("Anna")
    wait_people(qtbot, w)
    anna = w.session.people.snapshot.people[0]

    w.find_action.trigger()
    assert w.current_page() == "search"
    search.with_edit.setText("Anna")
    search.search()
    qtbot.waitUntil(lambda: not search.searching, timeout=10000)
    assert len(search.results) == anna.photos
    assert len(search.model.items) == anna.photos
    assert search.status.text() == f"{anna.photos} photos found"
    search.with_edit.setText("Nobody Known")
    search.search()
    qtbot.waitUntil(lambda: not search.searching, timeout=10000)
    assert "no person named" in search.status.text()

    # Forget: confirmation text says what goes; afterwards no trace and no undo.
    face_ids = edits.face_ids_of_person(w.session.conn, anna.id)
    store = w.session.thumbnails(96)
    w.show_page("people")
    pv.open_person(anna.id)
    pv.person_page.tabs.setCurrentIndex(1)  # her faces
    qtbot.waitUntil(lambda: all(store.has(f) for f in face_ids), timeout=10000)  # on screen
    asked, told = [], []
    pv.confirm_forget = lambda text: asked.append(text) or True
    w.session.notice.connect(told.append)
    assert pv.forget(anna)
    qtbot.waitUntil(lambda: w.session.people.snapshot.people == [] and not w.session.people.busy,
                    timeout=20000)
    # Afterwards the status bar says it is done (it said nothing before).
    assert told == [f"Anna is forgotten: {len(face_ids)} faces and the name are erased from the library."]
    assert w.statusBar().currentMessage() == told[0]
    assert "Forget Anna" in asked[0] and "cannot be undone" in asked[0]
    conn = w.session.conn
    assert conn.execute("SELECT COUNT(*) FROM persons").fetchone()[0] == 0
    marks = ",".join("?" * len(face_ids))
    assert conn.execute(f"SELECT COUNT(*) FROM faces WHERE id IN ({marks})", face_ids).fetchone()[0] == 0
    assert not any(store.has(f) for f in face_ids)
    assert not w.undo_action.isEnabled()  # undoing "Name Anna" must not bring her back
    assert pv.stack.currentWidget() is pv.list_page


def test_typing_on_a_selected_group_starts_naming_it(qtbot, win):
    w, gv = win, win.groups_view
    w.show_page("groups")
    assert gv.cards.selectionModel().hasSelection()
    gv.cards.setFocus()
    qtbot.keyClicks(gv.cards, "Zoe")
    assert gv.name_edit.text() == "Zoe" and gv.name_edit.hasFocus()


def test_settings_measure_thresholds_on_confirmed_faces(qtbot, win):
    w = win
    conn = w.session.conn
    clusters = edits.list_clusters(conn)
    assert len(clusters) >= 2
    for i, c in enumerate(clusters[:3]):
        edits.name_cluster(conn, c.id, f"Person {i}")
    dlg = w.open_settings()
    assert dlg.measure_button.isEnabled()
    before = dlg.thresholds()
    dlg.measure_button.click()
    qtbot.waitUntil(lambda: "Measured on" in dlg.thr_note.text(), timeout=20000)
    after = dlg.thresholds()
    assert after != before and after.suggest <= after.auto
    dlg.reject()


def test_birth_date_on_the_person_page(qtbot, win):
    w, gv, pv = win, win.groups_view, win.people_view
    clusters = w.session.people.snapshot.clusters
    gv.cards.select_key(("group", clusters[0].id))
    assert gv.name_selected("Anna")
    wait_people(qtbot, w)
    w.show_page("people")
    person = w.session.people.snapshot.people[0]
    pv.open_person(person.id)
    page = pv.person_page
    page.ask_birth_date = lambda name, current: "1950-02-03"
    assert page.edit_birth_date()
    wait_people(qtbot, w)
    assert "born 1950-02-03" in page.detail.text()
    assert w.session.conn.execute("SELECT birth_date FROM persons WHERE id = ?",
                                  (person.id,)).fetchone()[0] == "1950-02-03"
    errors = []
    pv.error = errors.append
    page.ask_birth_date = lambda name, current: "soon"
    assert not page.edit_birth_date() and "not a date" in errors[0]


def test_hidden_strangers_come_back_from_the_edit_menu(qtbot, win):
    w, gv = win, win.groups_view
    n_groups = len(w.session.people.snapshot.clusters)
    assert gv.hide_selected()
    wait_people(qtbot, w)
    assert len(w.session.people.snapshot.clusters) == n_groups - 1
    w.unhide_action.trigger()
    assert w.hidden_dialog.isVisible() and w.hidden_dialog.model.face_ids
    w.hidden_dialog.all_button.click()
    qtbot.waitUntil(lambda: not w.organizing, timeout=20000)
    wait_people(qtbot, w)
    assert len(w.session.people.snapshot.clusters) == n_groups
    assert w.session.conn.execute("SELECT COUNT(*) FROM faces WHERE state = 'ignored'").fetchone()[0] == 0
