"""Helpers shared by the GUI tests (fixtures live in ``conftest.py``)."""

from __future__ import annotations

import sqlite3


def wait_people(qtbot, w, after: int | None = None) -> None:
    """Until the people snapshot is fresh (newer than generation ``after``) and nothing is pending."""
    data = w.session.people
    qtbot.waitUntil(lambda: (after is None or data.generation > after) and not data.busy,
                    timeout=20000)


def identities_of(w, face_ids) -> set[str]:
    """The true labels of the photos these faces are in."""
    conn = sqlite3.connect(w.session.path)
    paths = [conn.execute("SELECT p.path FROM faces f JOIN photos p ON p.id = f.photo_id "
                          "WHERE f.id = ?", (fid,)).fetchone()[0] for fid in face_ids]
    conn.close()
    return {w.truth[p] for p in paths}


def name_largest_group(qtbot, w, name: str):
    """Name the largest unnamed group ``name`` through the Unnamed groups view; the person."""
    c0 = w.session.people.snapshot.clusters[0]
    w.groups_view.cards.select_key(("group", c0.id))
    assert w.groups_view.name_selected(name)
    wait_people(qtbot, w)
    return next(p for p in w.session.people.snapshot.people if p.name == name)
