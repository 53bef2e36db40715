"""Writers that race: matching and regrouping against the user's edits, library creation by many
processes at once. Every race is reproduced with real connections (threads or processes), the
interleaving forced at a known point (inside the job, after it has read and before it writes)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

import numpy as np

from kinfolk.core.people import edits
from kinfolk.core.cancel import CancelToken
from kinfolk.core.clustering.grouping import organize
from kinfolk.core.people.matching import match_faces
from kinfolk.db import folders as db_folders
from kinfolk.db import photos as db_photos
from kinfolk.db.connection import LATEST, connect, transaction

MODEL = "faceplugin_mbf512"


def _library(path, n_people=4, per_person=6, noise=0.25, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_people, 128)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    conn = connect(path)
    with transaction(conn):
        for p in range(n_people):
            for k in range(per_person):
                v = centres[p] + noise * rng.normal(size=128).astype(np.float32) / np.sqrt(128) * 3
                v /= np.linalg.norm(v)
                db_photos.write_photo(conn, db_photos.PhotoRecord(
                    path=f"/l/{p}_{k}.jpg", size=1, mtime_ns=1, scan_model=MODEL,
                    faces=[db_photos.FaceRecord(box=[0, 0, 90, 90], landmarks=np.zeros((5, 2), np.float32),
                                                score=0.9, quality=0.9, embedding=v)]))
    return conn


class _EditMidway(CancelToken):
    """Runs ``edit`` (the user, on their own connection) the first time the job checks for cancel:
    after the job has read the library, before it writes."""

    def __init__(self, edit) -> None:
        super().__init__()
        self.edit = edit

    def check(self) -> None:
        if self.edit is not None:
            edit, self.edit = self.edit, None
            edit()
        super().check()


def _named_half(tmp_path):
    """Two people named from half their faces; the other halves are unassigned, close to them."""
    conn = _library(tmp_path / "lib.sqlite")
    organize(conn)
    groups = edits.list_clusters(conn)
    ann = edits.face_ids_of_cluster(conn, groups[0].id)
    bob = edits.face_ids_of_cluster(conn, groups[1].id)
    edits.name_faces(conn, ann[:3], "Ann")
    edits.name_faces(conn, bob[:3], "Bob")
    return conn, ann[3:], bob[3:]


def _state(conn, face_id):
    return tuple(conn.execute("SELECT state, person_id FROM faces WHERE id = ?", (face_id,)).fetchone())


def test_decisions_made_while_matching_runs_are_kept(tmp_path):
    conn, ann_rest, bob_rest = _named_half(tmp_path)
    user = connect(tmp_path / "lib.sqlite")
    ann_id, bob_id = edits.resolve_person(user, "Ann"), edits.resolve_person(user, "Bob")

    def edit():
        edits.reject(user, [ann_rest[0]], "Ann")  # "not Ann"
        edits.move_faces(user, [ann_rest[1]], "Bob")  # the user says: that one is Bob

    report = match_faces(conn, MODEL, cancel=_EditMidway(edit))
    assert _state(conn, ann_rest[0]) == ("unassigned", None)
    assert _state(conn, ann_rest[1]) == ("confirmed", bob_id)
    assert _state(conn, ann_rest[2]) == ("auto", ann_id)  # what nobody touched is still matched
    assert report.assigned == len(bob_rest) + 1
    assert not conn.execute("SELECT 1 FROM suggestions WHERE face_id = ? AND person_id = ?",
                            (ann_rest[0], ann_id)).fetchone()


def test_person_merged_away_while_matching_runs(tmp_path):
    conn, ann_rest, bob_rest = _named_half(tmp_path)
    user = connect(tmp_path / "lib.sqlite")
    bob_id = edits.resolve_person(user, "Bob")

    match_faces(conn, MODEL, cancel=_EditMidway(lambda: edits.merge(user, "Ann", "Bob")))
    # Ann is gone: nothing was written for her (no foreign-key failure, no orphan); Bob's still match.
    assert conn.execute("SELECT COUNT(*) FROM persons").fetchone()[0] == 1
    assert [_state(conn, f) for f in bob_rest] == [("auto", bob_id)] * len(bob_rest)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_regrouping_never_shows_zero_groups_and_keeps_edits(tmp_path):
    conn = _library(tmp_path / "lib.sqlite")
    organize(conn)
    before = {c.id: set(edits.face_ids_of_cluster(conn, c.id)) for c in edits.list_clusters(conn)}
    assert len(before) == 4
    reader = connect(tmp_path / "lib.sqlite")
    seen = []
    named = next(iter(before.values()))
    named_face = min(named)

    def progress(done, total):
        seen.append(len(edits.list_clusters(reader)))  # another process's view, mid-clustering
        if len(seen) == 1:
            edits.name_faces(reader, [named_face], "Cleo")

    organize(conn, progress=progress)
    assert seen and min(seen) == 4
    # The face named meanwhile is Cleo's, in no group; every group kept its id.
    assert conn.execute("SELECT state, cluster_id FROM faces WHERE id = ?",
                        (named_face,)).fetchone()[:] == ("confirmed", None)
    after = {c.id: set(edits.face_ids_of_cluster(conn, c.id)) for c in edits.list_clusters(conn)}
    assert set(after) == set(before)
    assert after == {cid: faces - {named_face} for cid, faces in before.items()}


def test_naming_a_group_after_regrouping_names_the_same_faces(tmp_path):
    conn = _library(tmp_path / "lib.sqlite")
    organize(conn)
    groups = edits.list_clusters(conn)
    shown = {c.id: set(edits.face_ids_of_cluster(conn, c.id)) for c in groups}
    edits.name_cluster(conn, groups[0].id, "Ann")
    organize(conn)  # e.g. the app regroups after a scan while the user looks at the old list
    target = groups[1].id
    pid = edits.name_cluster(conn, target, "Bob").result
    assert set(edits.face_ids_of_person(conn, pid)) == shown[target]


CREATE = """
import sys, time
from kinfolk.db.connection import connect
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
conn = connect(sys.argv[1])
print(conn.execute("PRAGMA user_version").fetchone()[0])
"""


def test_many_processes_create_one_new_library_at_once(tmp_path):
    path = tmp_path / "new" / "lib.sqlite"
    start = time.time() + 3  # every process imported and waiting when the clock strikes
    procs = [subprocess.Popen([sys.executable, "-c", CREATE, str(path), str(start)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(16)]
    results = [(p.wait(timeout=120), p.stdout.read().strip(), p.stderr.read()) for p in procs]
    failures = [r for r in results if r[0] != 0]
    assert not failures, failures[0][2]
    assert {r[1] for r in results} == {str(LATEST)}
    conn = connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert not list(path.parent.glob("*.bak"))  # a new library is not "migrated", so no backup


UPGRADE = """
import sys, time
import kinfolk.db.connection as kc
kc.MIGRATIONS.append("CREATE TABLE added_by_v_next(x);\\nINSERT INTO added_by_v_next VALUES (1);")
kc.LATEST += 1  # this program knows one migration more than the file has
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
conn = kc.connect(sys.argv[1])
print(conn.execute("PRAGMA user_version").fetchone()[0])
"""


def test_many_processes_upgrade_one_library_at_once(tmp_path):
    path = tmp_path / "lib.sqlite"
    conn = connect(path)
    with transaction(conn):
        db_folders.add_folder(conn, "/photos")
    conn.close()
    start = time.time() + 3
    procs = [subprocess.Popen([sys.executable, "-c", UPGRADE, str(path), str(start)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(12)]
    results = [(p.wait(timeout=120), p.stdout.read().strip(), p.stderr.read()) for p in procs]
    assert [r for r in results if r[0] != 0] == []
    assert {r[1] for r in results} == {str(LATEST + 1)}
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT COUNT(*) FROM added_by_v_next").fetchone()[0] == 1  # applied once
    assert raw.execute("SELECT path FROM folders").fetchall() == [("/photos",)]
    backups = sorted(p.name for p in tmp_path.glob("*.bak*"))
    assert backups == [f"lib.sqlite.v{LATEST}.bak"]
    bak = sqlite3.connect(tmp_path / backups[0])
    assert bak.execute("PRAGMA user_version").fetchone()[0] == LATEST
