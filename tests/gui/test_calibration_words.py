"""Settings ▸ Faces ▸ Measure on my confirmed faces, on a real library: a proposal measured on too
few faces says it is a guess instead of "Click OK to use these"."""

from __future__ import annotations

from kinfolk.core.people import edits


def test_a_proposal_from_few_faces_is_called_a_guess(qtbot, win):
    conn = win.session.conn
    for i, c in enumerate(edits.list_clusters(conn)[:3]):
        edits.name_cluster(conn, c.id, f"Person {i}")  # 3 people, 4 faces each: 48 different pairs
    dlg = win.open_settings()
    dlg.measure_button.click()
    qtbot.waitUntil(lambda: "Measured on" in dlg.thr_note.text(), timeout=20000)
    words = dlg.thr_note.text()
    # It said "told apart 100.0% of the time … about 0.001 mistakes … Click OK to use these."
    assert "rough guess" in words and "Click OK to use these" not in words, words
    assert "it takes 1,000" in words
    dlg.reject()
