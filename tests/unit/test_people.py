"""People logic on a small synthetic library (synthetic unit vectors; the real-photo path is in
tests/integration)."""

import numpy as np
import pytest

from kinfolk.core.people import edits, forget
from kinfolk.core.people.matching import explain, list_suggestions, match_faces
from kinfolk.core.search import PhotoQuery, find_photos
from kinfolk.core.people.thresholds import Thresholds
from kinfolk.db import photos as db_photos
from kinfolk.db.connection import connect, transaction

DIM = 16
TH = Thresholds(match=0.5, auto=0.8, suggest=0.5)


def _unit(v):
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture
def lib(tmp_path):
    """Identities A, B, C as orthogonal axes; photos 1-6 hold faces near them."""
    conn = connect(tmp_path / "lib.sqlite")
    axes = np.eye(DIM, dtype=np.float32)
    rng = np.random.default_rng(1)

    def face(axis, x, noise=0.1):
        return db_photos.FaceRecord(box=[x, 0, x + 40, 40], landmarks=np.zeros((5, 2), np.float32),
                                    score=0.9, quality=0.9,
                                    embedding=_unit(axes[axis] + noise * rng.normal(size=DIM)))

    layout = {  # photo -> identities in it
        "/lib/2019/1.jpg": [0], "/lib/2019/2.jpg": [0, 1], "/lib/2020/3.jpg": [1],
        "/lib/2020/4.jpg": [0, 1, 2], "/lib/2021/5.jpg": [2], "/lib/2021/6.jpg": [0],
    }
    with transaction(conn):
        for i, (path, ids) in enumerate(layout.items()):
            db_photos.write_photo(conn, db_photos.PhotoRecord(
                path=path, size=1, mtime_ns=1, scan_model="m", taken_at=f"20{19 + i // 2}-0{i + 1}-01T10:00:00",
                faces=[face(a, 100 * k) for k, a in enumerate(ids)]))
    # A ground-truth map from face id to identity, for assertions.
    truth = {}
    for fid, path, x1 in conn.execute("SELECT f.id, p.path, f.x1 FROM faces f JOIN photos p ON p.id = f.photo_id"):
        truth[fid] = layout[path][int(x1 // 100)]
    TRUTH.clear()
    TRUTH.update(truth)
    return conn


TRUTH: dict[int, int] = {}


def faces_of(conn, identity):
    return sorted(f for f, t in TRUTH.items() if t == identity)


def test_naming_and_matching_assigns_new_faces(lib):
    a = faces_of(lib, 0)
    edits.name_faces(lib, a[:2], "Anna")
    report = match_faces(lib, "m", TH)
    assert report.assigned == len(a) - 2
    assigned = {r[0] for r in lib.execute("SELECT id FROM faces WHERE person_id = 1")}
    assert assigned == set(a)
    # The evidence says why.
    ev = explain(lib, a[-1])
    assert ev.state == "auto" and ev.evidence.neighbours[0].person == 1


def test_suggestions_between_thresholds_and_rejection_is_remembered(lib):
    b = faces_of(lib, 1)
    edits.name_faces(lib, b[:1], "Ben")
    match_faces(lib, "m", Thresholds(match=0.5, auto=0.999, suggest=0.5))
    sugg = list_suggestions(lib)
    assert {s.face_id for s in sugg} == set(b[1:])
    assert [s.similarity for s in sugg] == sorted((s.similarity for s in sugg), reverse=True)
    edits.reject(lib, [b[1]], "Ben")
    match_faces(lib, "m", Thresholds(match=0.5, auto=0.5, suggest=0.5))
    # Even with a permissive auto threshold the rejected face is not given back to Ben.
    assert lib.execute("SELECT person_id FROM faces WHERE id = ?", (b[1],)).fetchone()[0] is None
    # Matching leaves the rejected face out; the user moving that very face to Ben overrides the old
    # rejection (and undo restores it).
    change = edits.move_faces(lib, [b[1]], "Ben")
    assert lib.execute("SELECT person_id FROM faces WHERE id = ?", (b[1],)).fetchone()[0] == 1
    change.undo(lib)
    assert lib.execute("SELECT COUNT(*) FROM face_rejections WHERE face_id = ?", (b[1],)).fetchone()[0] == 1


def test_one_person_per_photo(lib):
    # Name two faces of photo 2 (A and B) as the same person: only one may be assigned.
    photo2 = [r[0] for r in lib.execute("SELECT f.id FROM faces f JOIN photos p ON p.id = f.photo_id "
                                        "WHERE p.path = '/lib/2019/2.jpg'")]
    edits.name_faces(lib, photo2, "Anna")
    n = lib.execute("SELECT COUNT(*) FROM faces WHERE person_id IS NOT NULL").fetchone()[0]
    assert n == 1


def test_name_with_existing_name_merges_and_undo_restores(lib):
    a = faces_of(lib, 0)
    edits.name_faces(lib, a[:2], "Anna")
    lib.execute("UPDATE faces SET cluster_id = 7 WHERE id IN (?, ?)", (a[2], a[3]))
    change = edits.name_cluster(lib, 7, "anna")  # case-insensitive: same person
    assert lib.execute("SELECT COUNT(*) FROM persons").fetchone()[0] == 1
    assert lib.execute("SELECT COUNT(*) FROM faces WHERE person_id = 1").fetchone()[0] == 4
    change.undo(lib)
    assert lib.execute("SELECT COUNT(*) FROM faces WHERE person_id = 1").fetchone()[0] == 2
    assert {r[0] for r in lib.execute("SELECT id FROM faces WHERE cluster_id = 7")} == {a[2], a[3]}


def test_merge_and_undo(lib):
    a, b = faces_of(lib, 0), faces_of(lib, 1)
    edits.name_faces(lib, a[:2], "Anna")
    edits.name_faces(lib, [b[0]], "Ben")
    edits.reject(lib, [b[1]], "Ben")
    change = edits.merge(lib, "Ben", "Anna")
    assert [p.name for p in edits.list_people(lib)] == ["Anna"]
    # Ben's rejection moved to Anna.
    assert lib.execute("SELECT COUNT(*) FROM face_rejections WHERE face_id = ? AND person_id = 1",
                       (b[1],)).fetchone()[0] == 1
    change.undo(lib)
    names = sorted(p.name for p in edits.list_people(lib))
    assert names == ["Anna", "Ben"]
    ben = edits.resolve_person(lib, "Ben")
    assert edits.face_ids_of_person(lib, ben) == [b[0]]
    assert lib.execute("SELECT COUNT(*) FROM face_rejections WHERE person_id = ?", (ben,)).fetchone()[0] == 1


def test_rename_hide_birth_date(lib):
    a = faces_of(lib, 0)
    edits.name_faces(lib, a[:1], "Anna")
    edits.rename(lib, "Anna", "Anna K")
    assert edits.resolve_person(lib, "anna k") == 1
    edits.set_hidden(lib, "Anna K")
    assert edits.list_people(lib) == []
    assert len(edits.list_people(lib, include_hidden=True)) == 1
    edits.set_birth_date(lib, 1, "2022-01-01")
    edits.set_hidden(lib, 1, False)
    match_faces(lib, "m", Thresholds(match=0.5, auto=0.999, suggest=0.3))
    assert list_suggestions(lib) == []  # every photo predates the birth date
    with pytest.raises(edits.PeopleError):
        edits.set_birth_date(lib, 1, "not a date")
    with pytest.raises(edits.PeopleError, match="in the future"):  # a typo for 1990 would hide every photo
        edits.set_birth_date(lib, 1, "2990-01-01")


def test_search_all_any_not_only_dates_folder(lib):
    for identity, name in ((0, "Anna"), (1, "Ben"), (2, "Cleo")):
        edits.name_faces(lib, faces_of(lib, identity), name)
    paths = lambda q: sorted(h.path.rsplit("/", 1)[1] for h in find_photos(lib, q))  # noqa: E731
    assert paths(PhotoQuery(people=["Anna", "Ben"])) == ["2.jpg", "4.jpg"]
    assert paths(PhotoQuery(people=["Ben", "Cleo"], any_of=True)) == ["2.jpg", "3.jpg", "4.jpg", "5.jpg"]
    assert paths(PhotoQuery(people=["Anna"], exclude=["Ben"])) == ["1.jpg", "6.jpg"]
    assert paths(PhotoQuery(people=["Anna", "Ben"], only=True)) == ["2.jpg"]
    assert paths(PhotoQuery(people=["Anna"], folder="/lib/2021")) == ["6.jpg"]
    got = paths(PhotoQuery(people=["Anna"], date_from="2020-01-01", date_to="2020-12-31"))
    assert got and all(p in ("4.jpg", "6.jpg", "2.jpg", "1.jpg") for p in got)
    # A date that is only the file's time is a guess (shown under "Date unknown"): no date range
    # finds that photo, a search without dates still does.
    lib.execute("UPDATE photos SET taken_at_source = 'file' WHERE path LIKE '%/' || ?", (got[0],))
    assert got[0] not in paths(PhotoQuery(people=["Anna"], date_from="2020-01-01", date_to="2020-12-31"))
    assert got[0] not in paths(PhotoQuery(people=["Anna"], date_from="1900-01-01"))
    assert got[0] in paths(PhotoQuery(people=["Anna"]))
    with pytest.raises(edits.PeopleError):
        find_photos(lib, PhotoQuery(people=["Nobody"]))


def test_forget_removes_person_faces_and_thumbnails(lib):
    a = faces_of(lib, 0)
    edits.name_faces(lib, a, "Anna")
    plan = forget.plan(lib, "Anna")
    assert plan.faces == len(a) and "cannot be undone" in plan.describe()
    forget.forget(lib, plan)
    assert lib.execute("SELECT COUNT(*) FROM persons").fetchone()[0] == 0
    assert lib.execute("SELECT COUNT(*) FROM faces WHERE id IN (%s)" % ",".join(map(str, a))).fetchone()[0] == 0
    assert lib.execute("SELECT COUNT(*) FROM forgotten_faces").fetchone()[0] == len(a)


def test_hide_a_group_of_strangers_and_bring_them_back(lib):
    c = faces_of(lib, 2)
    lib.execute("UPDATE faces SET cluster_id = 5 WHERE id IN (%s)" % ",".join(map(str, c)))
    edits.hide_cluster(lib, 5)
    assert edits.list_clusters(lib) == []
    assert {r[0] for r in lib.execute("SELECT state FROM faces WHERE id IN (%s)" % ",".join(map(str, c)))} == {"ignored"}
    # Hidden faces are never suggested.
    edits.name_faces(lib, faces_of(lib, 0)[:1], "Anna")
    match_faces(lib, "m", Thresholds(match=0.0, auto=0.999, suggest=-1.0))
    assert not set(c) & {s.face_id for s in list_suggestions(lib)}
    change = edits.unhide_strangers(lib)
    assert change.result == len(c)
    assert lib.execute("SELECT COUNT(*) FROM faces WHERE state = 'ignored'").fetchone()[0] == 0


def test_one_named_face_gives_suggestions_not_automatic_names(lib):
    """Naming one face names only that face: its look-alikes are asked about, not assigned."""
    a = faces_of(lib, 0)
    edits.name_faces(lib, a[:1], "Anna")
    report = match_faces(lib, "m", Thresholds(match=0.5, auto=0.5, suggest=0.5))
    assert report.assigned == 0
    assert {s.face_id for s in list_suggestions(lib)} == set(a[1:])


def test_journaled_match_undoes_what_matching_assigned(lib):
    a = faces_of(lib, 0)
    edits.name_faces(lib, a[:2], "Anna")
    before = lib.execute("SELECT id, person_id, state, cluster_id FROM faces ORDER BY id").fetchall()
    change = edits.journaled_match(lib, lambda c: match_faces(c, "m", TH))
    assert set(change.faces) == set(a[2:]) and change.automatic
    # A later decision of the user on one of those faces is never overwritten by the undo.
    edits.move_faces(lib, [a[2]], "Anna")
    change.undo(lib)
    after = {r[0]: tuple(r[1:]) for r in lib.execute("SELECT id, person_id, state, cluster_id FROM faces")}
    assert after[a[2]][1] == "confirmed"
    assert all(after[r[0]] == tuple(r[1:]) for r in before if r[0] != a[2])


def test_merging_a_group_takes_all_its_faces_and_leaves_no_remnant_group(lib):
    """Issue 14.4: merge means merge. Faces once rejected for the person go too (the user named the
    faces they saw); a face in a photo the person is already in is left out, leaves the group, and
    the change says so."""
    a, b = faces_of(lib, 0), faces_of(lib, 1)
    photo_of = dict(lib.execute("SELECT id, photo_id FROM faces").fetchall())
    named = next(f for f in a if any(photo_of[g] == photo_of[f] for g in b))
    clash = next(g for g in b if photo_of[g] == photo_of[named])  # B's face in Anna's photo
    rest = [f for f in a if f != named]
    edits.name_faces(lib, [named], "Anna")
    edits.reject(lib, [rest[0]], "Anna")
    group = rest + [clash]
    lib.execute(f"UPDATE faces SET cluster_id = 7 WHERE id IN ({','.join('?' * len(group))})", group)
    change = edits.name_cluster(lib, 7, "anna")
    anna = {r[0] for r in lib.execute("SELECT id FROM faces WHERE person_id = 1")}
    assert anna == set(a)
    assert edits.face_ids_of_cluster(lib, 7) == []
    assert change.note == "1 face left out: Anna is already in that photo."
    change.undo(lib)
    assert sorted(edits.face_ids_of_cluster(lib, 7)) == sorted(group)


def test_not_a_face_is_deleted_remembered_on_rescan_and_undoable(lib):
    """Issue 14.5: "Not a face" removes the face from groups, people and suggestions, a rescan of
    the photo does not bring it back, and undo restores it exactly."""
    a = faces_of(lib, 0)
    edits.name_faces(lib, a[:2], "Anna")
    match_faces(lib, "m", Thresholds(match=0.5, auto=0.999, suggest=0.5))
    victim = a[2]
    assert any(s.face_id == victim for s in list_suggestions(lib))
    before = lib.execute("SELECT * FROM faces WHERE id = ?", (victim,)).fetchone()
    photo = lib.execute("SELECT path FROM photos WHERE id = ?", (before["photo_id"],)).fetchone()[0]
    change = edits.mark_not_face(lib, [victim])
    assert lib.execute("SELECT 1 FROM faces WHERE id = ?", (victim,)).fetchone() is None
    assert not any(s.face_id == victim for s in list_suggestions(lib))
    change.undo(lib)
    assert tuple(lib.execute("SELECT * FROM faces WHERE id = ?", (victim,)).fetchone()) == tuple(before)
    assert any(s.face_id == victim for s in list_suggestions(lib))
    edits.mark_not_face(lib, [victim])
    # A rescan finds the same faces in the photo again: the one that is not a face stays out.
    boxes = lib.execute("SELECT x1, y1, x2, y2, embedding FROM faces WHERE photo_id = ?",
                        (before["photo_id"],)).fetchall()
    faces = [db_photos.FaceRecord(box=[b[0], b[1], b[2], b[3]], landmarks=np.zeros((5, 2), np.float32),
                                  score=0.9, quality=0.9, embedding=np.frombuffer(b[4], np.float32))
             for b in boxes]
    faces.append(db_photos.FaceRecord(box=[before["x1"], before["y1"], before["x2"], before["y2"]],
                                      landmarks=np.zeros((5, 2), np.float32), score=0.9, quality=0.9,
                                      embedding=np.frombuffer(before["embedding"], np.float32)))
    with transaction(lib):
        db_photos.write_photo(lib, db_photos.PhotoRecord(path=photo, size=2, mtime_ns=2, scan_model="m",
                                                         faces=faces))
    n = lib.execute("SELECT COUNT(*) FROM faces WHERE photo_id = ?", (before["photo_id"],)).fetchone()[0]
    assert n == len(boxes)


def _quality(conn, qualities):
    conn.executemany("UPDATE faces SET quality = ? WHERE id = ?", [(q, f) for f, q in qualities.items()])


def _card_face(conn, name):
    """The face on the person's card, as the People view shows it."""
    return next(p.cover_face_id for p in edits.list_people(conn, include_hidden=True) if p.name == name)


def _stored_cover(conn, name):
    return conn.execute("SELECT cover_face_id FROM persons WHERE name = ?", (name,)).fetchone()[0]


def test_cover_stays_put_when_a_better_face_is_matched_or_confirmed(lib):
    """QA: the card's face jumped to every better face found. Naming stores the best face the user
    named; later, better faces (matched, confirmed, named into the person) do not replace it."""
    a = faces_of(lib, 0)
    _quality(lib, {a[0]: 0.5, a[1]: 0.6, a[2]: 0.99, a[3]: 0.95})
    edits.name_faces(lib, a[:2], "Anna")
    assert _stored_cover(lib, "Anna") == a[1]
    assert match_faces(lib, "m", TH).assigned == 2  # a[2] and a[3], better than both named faces
    assert _card_face(lib, "Anna") == a[1]
    edits.confirm(lib, [a[2]], "Anna")
    assert _card_face(lib, "Anna") == a[1]
    edits.name_faces(lib, [a[3]], "anna")
    assert _card_face(lib, "Anna") == a[1]
    # The user's own choice is kept the same way.
    edits.set_cover(lib, "Anna", a[0])
    edits.confirm(lib, [a[3]], "Anna")
    assert _card_face(lib, "Anna") == a[0]


def test_naming_a_group_stores_its_best_face_and_a_merge_keeps_the_targets_cover(lib):
    """QA: after merging a wrong person into Angelina, her card showed the other person's face."""
    a, b = faces_of(lib, 0), faces_of(lib, 1)
    _quality(lib, {a[0]: 0.4, a[1]: 0.8, a[2]: 0.6, b[0]: 0.5, b[1]: 0.99})
    lib.execute("UPDATE faces SET cluster_id = 7 WHERE id IN (?, ?, ?)", (a[0], a[1], a[2]))
    edits.name_cluster(lib, 7, "Angelina")
    assert _stored_cover(lib, "Angelina") == a[1]
    lib.execute("UPDATE faces SET cluster_id = 8 WHERE id IN (?, ?)", (b[0], b[1]))
    edits.name_cluster(lib, 8, "Katy")
    assert _stored_cover(lib, "Katy") == b[1]
    change = edits.merge(lib, "Katy", "Angelina")
    assert _card_face(lib, "Angelina") == a[1]
    change.undo(lib)
    assert (_card_face(lib, "Angelina"), _card_face(lib, "Katy")) == (a[1], b[1])


def test_cover_falls_back_to_the_best_remaining_confirmed_face_and_undo_restores_it(lib):
    a, b = faces_of(lib, 0), faces_of(lib, 1)  # a[0] is alone in photo 1, b[0] in photo 2
    _quality(lib, {a[0]: 0.7, a[1]: 0.5, a[2]: 0.6, a[3]: 0.99, b[0]: 0.3})
    edits.name_faces(lib, a[:3], "Anna")
    edits.name_faces(lib, [b[0]], "Ben")
    match_faces(lib, "m", TH)
    assert lib.execute("SELECT state FROM faces WHERE id = ?", (a[3],)).fetchone()[0] == "auto"
    assert _card_face(lib, "Anna") == a[0]

    def leaves(change, fallback):
        # The best confirmed face left is stored (not the better automatic match a[3]) ...
        assert _stored_cover(lib, "Anna") == _card_face(lib, "Anna") == fallback
        change.undo(lib)  # ... and undo brings the old cover back with its face.
        assert _stored_cover(lib, "Anna") == a[0]
        assert edits.resolve_person(lib, "Anna") == lib.execute(
            "SELECT person_id FROM faces WHERE id = ?", (a[0],)).fetchone()[0]

    leaves(edits.reject(lib, [a[0]], "Anna"), a[2])
    leaves(edits.unassign(lib, [a[0]]), a[2])
    leaves(edits.mark_not_face(lib, [a[0]]), a[2])
    moved = edits.move_faces(lib, [a[0]], "Ben")
    assert _stored_cover(lib, "Ben") == b[0]  # the better face moved in does not replace Ben's
    leaves(moved, a[2])
    leaves(edits.reject(lib, [a[0], a[2]], "Anna"), a[1])
    # No confirmed face left: the best face they still have.
    leaves(edits.reject(lib, a[:3], "Anna"), a[3])


def test_migration_stores_a_cover_for_people_of_an_older_library(tmp_path):
    """People of a library made before stored covers get one, once: their best confirmed face."""
    import sqlite3

    from kinfolk.db.migrations import MIGRATIONS

    number = next(i for i, m in enumerate(MIGRATIONS) if "UPDATE persons SET cover_face_id" in m)
    path = tmp_path / "old.sqlite"
    raw = sqlite3.connect(path)
    for m in MIGRATIONS[:number]:
        raw.executescript(m)
    raw.execute(f"PRAGMA user_version = {number}")
    raw.execute("INSERT INTO photos(id, path, size, mtime_ns, status) VALUES (1, '/a.jpg', 1, 1, 'ok'), "
                "(2, '/b.jpg', 1, 1, 'ok'), (3, '/c.jpg', 1, 1, 'ok')")
    raw.execute("INSERT INTO persons(id, name, cover_face_id) VALUES (1, 'Anna', NULL), (2, 'Ben', 3), "
                "(3, 'Cleo', NULL)")
    for fid, photo, quality, person, state in [(1, 1, 0.5, 1, "confirmed"), (2, 2, 0.9, 1, "auto"),
                                               (3, 3, 0.1, 2, "confirmed"), (4, 1, 0.9, 2, "confirmed")]:
        raw.execute("INSERT INTO faces(id, photo_id, x1, y1, x2, y2, landmarks, score, quality, model_id, "
                    "embedding, person_id, state) VALUES (?, ?, 0, 0, 1, 1, x'', 1, ?, 'm', x'', ?, ?)",
                    (fid, photo, quality, person, state))
    raw.commit()
    raw.close()
    conn = connect(path)
    covers = dict(conn.execute("SELECT name, cover_face_id FROM persons").fetchall())
    assert covers == {"Anna": 1, "Ben": 3, "Cleo": None}


def test_cover_stays_on_its_box_when_its_photo_is_rescanned(lib):
    """A rescanned photo (edited, another model) gets fresh face rows; the cover moves to the new
    face on the same box instead of being lost (the card would fall back to another face)."""
    a = faces_of(lib, 0)
    _quality(lib, {a[0]: 0.9, a[1]: 0.5})
    edits.name_faces(lib, a[:2], "Anna")
    edits.set_cover(lib, "Anna", a[1])
    old = lib.execute("SELECT photo_id, x1, y1, x2, y2 FROM faces WHERE id = ?", (a[1],)).fetchone()
    photo = lib.execute("SELECT path FROM photos WHERE id = ?", (old["photo_id"],)).fetchone()[0]
    rows = lib.execute("SELECT x1, y1, x2, y2, embedding FROM faces WHERE photo_id = ?",
                       (old["photo_id"],)).fetchall()
    with transaction(lib):
        db_photos.write_photo(lib, db_photos.PhotoRecord(
            path=photo, size=2, mtime_ns=2, scan_model="m",
            faces=[db_photos.FaceRecord(box=list(r[:4]), landmarks=np.zeros((5, 2), np.float32),
                                        score=0.9, quality=0.5,
                                        embedding=np.frombuffer(r[4], np.float32)) for r in rows]))
    new = lib.execute("SELECT id FROM faces WHERE photo_id = ? AND x1 = ?",
                      (old["photo_id"], old["x1"])).fetchone()[0]
    assert new != a[1]
    assert _stored_cover(lib, "Anna") == _card_face(lib, "Anna") == new
