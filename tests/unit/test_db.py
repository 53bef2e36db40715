"""The library file: schema, migrations, refusal of newer schemas, transactions, error taxonomy."""

import os
import sqlite3

import numpy as np
import pytest

from kinfolk.db import folders as db_folders
from kinfolk.db import photos as db_photos
from kinfolk.db import settings as db_settings
from kinfolk.db.connection import (LATEST, LibraryFullError, LibraryReadOnlyError, SchemaTooNewError, connect,
                                   transaction)


def _face(x=10.0, dim=8, seed=0):
    v = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return db_photos.FaceRecord(box=[x, 10, x + 50, 60], landmarks=np.zeros((5, 2), np.float32), score=0.9,
                                quality=0.8, embedding=v / np.linalg.norm(v), thumbnail=b"jpeg")


def test_new_library_has_latest_schema_and_pragmas(tmp_path):
    conn = connect(tmp_path / "lib.sqlite")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "lib.sqlite"
    connect(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {LATEST + 1}")
    raw.close()
    with pytest.raises(SchemaTooNewError, match="newer Kinfolk"):
        connect(path)


def test_write_photo_replaces_faces_and_keeps_names(tmp_path):
    conn = connect(tmp_path / "lib.sqlite")
    rec = db_photos.PhotoRecord(path="/p/a.jpg", size=1, mtime_ns=1, scan_model="m", faces=[_face(10), _face(200)])
    with transaction(conn):
        pid = db_photos.write_photo(conn, rec)
    conn.execute("INSERT INTO persons(name) VALUES ('Ann')")
    conn.execute("UPDATE faces SET person_id = 1, state = 'confirmed' WHERE x1 = 10")
    # Re-scan (content changed): the face on the same box keeps its person; the other is new.
    rec2 = db_photos.PhotoRecord(path="/p/a.jpg", size=2, mtime_ns=2, scan_model="m",
                                 faces=[_face(12), _face(400)])
    with transaction(conn):
        assert db_photos.write_photo(conn, rec2) == pid
    rows = conn.execute("SELECT x1, person_id, state FROM faces ORDER BY x1").fetchall()
    assert [tuple(r) for r in rows] == [(12.0, 1, "confirmed"), (400.0, None, "unassigned")]
    assert conn.execute("SELECT COUNT(*) FROM thumbnails").fetchone()[0] == 2


def test_forgotten_boxes_are_not_recreated(tmp_path):
    conn = connect(tmp_path / "lib.sqlite")
    with transaction(conn):
        pid = db_photos.write_photo(conn, db_photos.PhotoRecord(path="/p/a.jpg", size=1, mtime_ns=1, scan_model="m"))
        conn.execute("INSERT INTO forgotten_faces(photo_id, x1, y1, x2, y2) VALUES (?, 10, 10, 60, 60)", (pid,))
        db_photos.write_photo(conn, db_photos.PhotoRecord(path="/p/a.jpg", size=2, mtime_ns=2, scan_model="m",
                                                          faces=[_face(11), _face(300)]))
    assert [r[0] for r in conn.execute("SELECT x1 FROM faces")] == [300.0]


def test_transaction_rolls_back_on_error(tmp_path):
    conn = connect(tmp_path / "lib.sqlite")
    with pytest.raises(RuntimeError):
        with transaction(conn):
            db_folders.add_folder(conn, "/x")
            raise RuntimeError("boom")
    assert db_folders.list_folders(conn) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file modes")
def test_read_only_library_gives_a_clear_error(tmp_path):
    path = tmp_path / "lib.sqlite"
    connect(path).close()
    os.chmod(path, 0o444)
    conn = connect(path)
    with pytest.raises(LibraryReadOnlyError, match="read-only"):
        with transaction(conn):
            db_folders.add_folder(conn, "/x")


def test_read_only_database_error_is_translated(tmp_path):
    # Works as root too: SQLite's own read-only mode.
    path = tmp_path / "lib.sqlite"
    connect(path).close()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    with pytest.raises(LibraryReadOnlyError):
        with transaction(conn):
            conn.execute("INSERT INTO folders(path) VALUES ('/x')")


def test_remove_folder_removes_its_photos_only(tmp_path):
    conn = connect(tmp_path / "lib.sqlite")
    with transaction(conn):
        db_folders.add_folder(conn, "/a")
        db_folders.add_folder(conn, "/ab")
        for p in ("/a/1.jpg", "/a/sub/2.jpg", "/ab/3.jpg"):
            db_photos.write_photo(conn, db_photos.PhotoRecord(path=p, size=1, mtime_ns=1, scan_model="m",
                                                              faces=[_face()]))
    assert db_folders.remove_folder(conn, "/a") == 2
    assert [r["path"] for r in db_photos.photos(conn)] == ["/ab/3.jpg"]
    assert conn.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 1


def test_full_disk_is_reported_and_leaves_the_library_intact(tmp_path):
    # max_page_count makes SQLite hit "database or disk is full" exactly as a full disk does.
    conn = connect(tmp_path / "lib.sqlite")
    with transaction(conn):
        db_photos.write_photo(conn, db_photos.PhotoRecord(path="/p/first.jpg", size=1, mtime_ns=1, scan_model="m",
                                                          faces=[_face()]))
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    big = _face()
    big.thumbnail = os.urandom(200_000)
    with pytest.raises(LibraryFullError, match="full"):
        with transaction(conn):
            db_photos.write_photo(conn, db_photos.PhotoRecord(path="/p/big.jpg", size=1, mtime_ns=1,
                                                              scan_model="m", faces=[big]))
    assert [r["path"] for r in db_photos.photos(conn)] == ["/p/first.jpg"]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_transactions_nest_as_savepoints(tmp_path):
    """An inner transaction that fails rolls back alone; nothing commits before the outer block ends."""
    conn = connect(tmp_path / "lib.sqlite")
    other = connect(tmp_path / "lib.sqlite")
    with transaction(conn):
        db_settings.set_setting(conn, "a", "1")
        with pytest.raises(ValueError), transaction(conn):
            db_settings.set_setting(conn, "b", "2")
            raise ValueError("inner step fails")
        with transaction(conn):
            db_settings.set_setting(conn, "c", "3")
        assert db_settings.get_setting(other, "a") is None  # not committed yet
    assert [db_settings.get_setting(other, k) for k in "abc"] == ["1", None, "3"]
    with pytest.raises(ValueError), transaction(conn):
        with transaction(conn):
            db_settings.set_setting(conn, "d", "4")
        raise ValueError("outer fails after the inner block ended")
    assert db_settings.get_setting(other, "d") is None


def test_sql_lives_in_db():
    """Issue 8: every SQL statement is a named function of ``kinfolk.db``; core, the CLI and the
    GUI call those and never execute SQL themselves."""
    import re
    from pathlib import Path

    import kinfolk

    root = Path(kinfolk.__file__).parent
    sql = re.compile(r"\.execute(many|script)?\(|\bfetch(one|all)\(|\"(SELECT|INSERT|UPDATE|DELETE) ")
    outside = [f"{p.relative_to(root)}:{n}" for p in sorted(root.rglob("*.py"))
               if p.relative_to(root).parts[0] != "db"
               for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if sql.search(line)]
    assert outside == []


def test_whole_rows_kept_for_undo_have_every_column(tmp_path):
    """Undo stores whole face and person rows again; a column added by a migration must be added to
    ``StoredFace`` / ``PersonRow`` too, or undo would drop its value."""
    from dataclasses import fields

    from kinfolk.db.faces import StoredFace
    from kinfolk.db.people import PersonRow

    conn = connect(tmp_path / "lib.sqlite")
    for table, row in (("faces", StoredFace), ("persons", PersonRow)):
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        assert sorted(columns) == sorted(f.name for f in fields(row)), table
