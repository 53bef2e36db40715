"""What the status bar says, and that its texts never lie on top of each other; Ctrl+5 opens Search
ready to type names. Real window, real models, real photos."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kinfolk.gui.main_window import MainWindow

SCAN_TIMEOUT = 60_000


def shown_texts(w: MainWindow) -> list[str]:
    """Every text the status bar's left side shows now: the temporary message and the visible
    normal widgets (the edit notice, the scan progress). More than one means they overlap."""
    texts = [w.statusBar().currentMessage()] if w.statusBar().currentMessage() else []
    if w.notice.isVisible():
        texts.append(w.notice.label.text())
    if w.scan_status.isVisible():
        texts.append(w.scan_status.label.text())
    return texts


def test_edit_notice_replaces_a_message_instead_of_overlapping_it(qtbot, win):
    gv = win.groups_view
    win.show_page("groups")
    qtbot.waitUntil(lambda: gv.model.rowCount() > 0, timeout=10000)
    win.statusBar().showMessage("Faces grouped: see Unnamed groups and Suggestions.", 8000)
    gv.name_edit.setFocus()
    qtbot.keyClicks(gv.name_edit, "Anna")
    qtbot.keyClick(gv.name_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.notice.isVisible(), timeout=10000)
    # Both used to be drawn at the same place: "Name group Anna" over "Faces grouped…".
    assert shown_texts(win) == [win.notice.label.text()] and "Anna" in win.notice.label.text()


def test_scan_summary_and_grouping_stay_readable_after_a_scan(qtbot, window, photo_folder):
    w = window
    w.library_view.choose_folder = lambda: str(photo_folder)
    w.add_folder_action.trigger()
    qtbot.waitUntil(lambda: w.session.scans.running, timeout=5000)
    # A message from before the scan would hide its progress (and both used to show at once).
    w.statusBar().showMessage("Something the user was told earlier", 20000)
    seen: list[list[str]] = []
    w.session.scans.progressed.connect(lambda p: seen.append(shown_texts(w)))
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=SCAN_TIMEOUT)
    assert all(len(texts) <= 1 for texts in seen), seen
    qtbot.waitUntil(lambda: not w.session.scans.running and not w.organizing, timeout=SCAN_TIMEOUT)
    said = w.statusBar().currentMessage()
    # The scan's outcome (one photo is a zero-byte file) used to be replaced at once by
    # "Grouping faces…", then by "Faces grouped: see Unnamed groups and Suggestions.".
    assert "1 could not be read" in said and "Faces grouped:" in said, said
    assert "unnamed group" in said and ".." not in said, said
    assert shown_texts(w) == [said]


def test_ctrl_5_opens_search_ready_to_type_names(qtbot, window):
    w = window
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow(), timeout=5000)
    w.view_actions["library"].trigger()
    w.view_actions["search"].trigger()  # Ctrl+5
    sv = w.search_view
    assert w.current_page() == "search"
    qtbot.waitUntil(lambda: sv.with_edit.hasFocus(), timeout=2000)
    mode = sv.mode.currentText()
    qtbot.keyClicks(w.focusWidget(), "Anna")
    # Typed names went to the All of / Any of box, which switched to "Any of" on the "A".
    assert sv.with_edit.text() == "Anna" and sv.mode.currentText() == mode


def test_after_an_undo_the_notice_says_so_and_offers_redo(qtbot, win):
    gv, stack = win.groups_view, win.undo_stack
    win.show_page("groups")
    qtbot.waitUntil(lambda: gv.model.rowCount() > 0, timeout=10000)
    gv.name_edit.setFocus()
    qtbot.keyClicks(gv.name_edit, "Anna")
    qtbot.keyClick(gv.name_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.notice.isVisible(), timeout=10000)
    named = stack.index()
    win.undo_action.trigger()  # Ctrl+Z / Edit ▸ Undo, not the notice's button
    assert stack.index() == named - 1
    # It used to keep saying "Name group Anna." beside an Undo button that undid an older edit.
    assert win.notice.label.text().startswith("Undone: ") and "Anna" in win.notice.label.text()
    assert win.notice.undo_button.text() == "Redo" and shown_texts(win) == [win.notice.label.text()]
    qtbot.mouseClick(win.notice.undo_button, Qt.MouseButton.LeftButton)
    assert stack.index() == named
    assert win.notice.label.text().startswith("Redone: ") and win.notice.undo_button.text() == "Undo"
    qtbot.mouseClick(win.notice.undo_button, Qt.MouseButton.LeftButton)
    assert stack.index() == named - 1 and win.notice.undo_button.text() == "Redo"


def test_a_stopped_scan_says_so_once(qtbot, window, many_photos):
    w = window
    w.library_view.choose_folder = lambda: str(many_photos)
    w.add_folder_action.trigger()
    qtbot.waitUntil(lambda: (w.session.scans.last_progress is not None
                             and w.session.scans.last_progress.done >= 1), timeout=SCAN_TIMEOUT)
    w.stop_action.trigger()  # Ctrl+.
    qtbot.waitUntil(lambda: not w.session.scans.running, timeout=SCAN_TIMEOUT)
    said = w.statusBar().currentMessage()
    assert said.startswith("Scan stopped after") and said.endswith("where it stopped."), said
    assert ".." not in said and shown_texts(w) == [said]


def test_naming_a_group_with_a_taken_name_says_it_joins_that_person(qtbot, win):
    gv = win.groups_view
    win.show_page("groups")
    qtbot.waitUntil(lambda: gv.model.rowCount() > 1, timeout=10000)
    gv.name_edit.setFocus()
    qtbot.keyClicks(gv.name_edit, "Anna")
    qtbot.keyClick(gv.name_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Anna" in win.session.people.snapshot.names, timeout=10000)
    gv.name_edit.setFocus()
    qtbot.keyClicks(gv.name_edit, "anna")  # another group, the same name in other letters
    qtbot.keyClick(gv.name_edit, Qt.Key.Key_Return)
    # It said "Name group anna." while the faces went to Anna.
    qtbot.waitUntil(lambda: win.notice.label.text().startswith("Add group to Anna"), timeout=10000)
    qtbot.waitUntil(lambda: win.session.people.snapshot.names == ["Anna"], timeout=10000)
