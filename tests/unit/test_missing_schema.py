"""Migration 2 (issue 13) on a version-1 library, and the lossless file-name storage."""

from __future__ import annotations

import os
import sqlite3

import numpy as np

from kinfolk.db import folders as db_folders
from kinfolk.db import photos as db_photos
from kinfolk.db.connection import connect, transaction
from kinfolk.db.migrations import MIGRATIONS


def v1_library(path):
    raw = sqlite3.connect(path)
    raw.executescript(MIGRATIONS[0])
    raw.execute("PRAGMA user_version = 1")
    raw.execute("INSERT INTO photos(id, path, size, mtime_ns, hash, status) "
                "VALUES (1, '/p/a.jpg', 1, 1, 'h1', 'ok')")
    raw.execute("INSERT INTO forgotten_faces VALUES (1, 0, 0, 10, 10)")
    raw.commit()
    raw.close()


def test_migration_keeps_forget_records_and_ties_them_to_content(tmp_path):
    lib = tmp_path / "lib.sqlite"
    v1_library(lib)
    conn = connect(lib)
    rows = lambda sql: [tuple(r) for r in conn.execute(sql)]  # noqa: E731
    assert rows("SELECT photo_id, photo_hash, x2 FROM forgotten_faces") == [(1, "h1", 10)]
    assert (tmp_path / "lib.sqlite.v1.bak").exists()
    # Removing the photo row no longer removes what was forgotten in it.
    with transaction(conn):
        db_photos.delete_photos(conn, [1])
    assert rows("SELECT photo_id, photo_hash FROM forgotten_faces") == [(None, "h1")]
    # A new copy with the same content gets no face on the forgotten box.
    rec = db_photos.PhotoRecord(path="/q/copy.jpg", size=1, mtime_ns=2, hash="h1", scan_model="m")
    rec.faces = [db_photos.FaceRecord([0, 0, 10, 10], np.zeros((5, 2), np.float32), 0.9, 0.9,
                                      np.ones(4, np.float32)),
                 db_photos.FaceRecord([50, 50, 60, 60], np.zeros((5, 2), np.float32), 0.9, 0.9,
                                      np.ones(4, np.float32))]
    with transaction(conn):
        db_photos.write_photo(conn, rec)
    assert rows("SELECT x1 FROM faces") == [(50.0,)]


def test_non_utf8_paths_round_trip_exactly(tmp_path):
    conn = connect(tmp_path / "lib.sqlite")
    root = os.fsdecode(b"/media/D\xfcsseldorf")
    path = os.fsdecode(b"/media/D\xfcsseldorf/caf\xe9.jpg")
    with transaction(conn):
        db_folders.add_folder(conn, root)
        db_photos.write_photo(conn, db_photos.PhotoRecord(path=path, size=1, mtime_ns=1, hash="h"))
        db_photos.write_photo(conn, db_photos.PhotoRecord(path="/media/other/x.jpg", size=1, mtime_ns=1))
    assert db_folders.list_folders(conn) == [root]
    assert list(db_photos.indexed_photos(conn, [root])) == [path]
    assert os.fsencode(next(iter(db_photos.indexed_photos(conn, [root])))) == b"/media/D\xfcsseldorf/caf\xe9.jpg"
    # Stored as the exact bytes, not as escapes.
    assert conn.execute("SELECT hex(path) FROM photos WHERE hash = 'h'").fetchone()[0] == \
        b"/media/D\xfcsseldorf/caf\xe9.jpg".hex().upper()
    # Rewriting finds the same row; removing the folder removes only its photos.
    with transaction(conn):
        db_photos.write_photo(conn, db_photos.PhotoRecord(path=path, size=2, mtime_ns=2, hash="h"))
    assert db_photos.counts(conn)["photos"] == 2
    assert db_folders.remove_folder(conn, root) == 1
    assert [r["path"] for r in db_photos.photos(conn)] == ["/media/other/x.jpg"]
