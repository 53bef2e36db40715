"""The library file when the environment is hostile: a newer schema, a damaged file, a read-only
folder, a full disk. Each gives one clear line and never writes into (or changes) the file."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import subprocess

import numpy as np
import pytest

from kinfolk.cli.main import main as kinfolk
from kinfolk.core.people import edits
from kinfolk.core.clustering.grouping import organize
from kinfolk.core.scan.scanner import Scanner
from kinfolk.db import photos as db_photos
from kinfolk.db.connection import (LATEST, LibraryCorruptError, LibraryReadOnlyError, SchemaTooNewError,
                                   connect, is_read_only, transaction)

from ..fs_helpers import read_only_folder


def _fill(conn, n=400, dim=128, seed=0):
    rng = np.random.default_rng(seed)
    with transaction(conn):
        for i in range(n):
            v = rng.normal(size=dim).astype(np.float32)
            db_photos.write_photo(conn, db_photos.PhotoRecord(
                path=f"/p/{i:05d}.jpg", size=1, mtime_ns=1, scan_model="m",
                faces=[db_photos.FaceRecord(box=[0, 0, 90, 90], landmarks=np.zeros((5, 2), np.float32),
                                            score=0.9, quality=0.9, embedding=v / np.linalg.norm(v),
                                            thumbnail=b"t" * 300)]))


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(capsys, *args):
    rc = kinfolk(list(args))
    return rc, capsys.readouterr().err


def test_newer_schema_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "lib.sqlite"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE future(x)")
    raw.execute(f"PRAGMA user_version = {LATEST + 1}")
    raw.close()
    header = path.read_bytes()[:100]
    assert header[18:20] == b"\x01\x01"  # rollback journal, as a newer Kinfolk might have left it
    before = _digest(path)
    with pytest.raises(SchemaTooNewError, match="newer Kinfolk"):
        connect(path)
    assert _digest(path) == before  # not switched to WAL, not touched
    assert not (tmp_path / "lib.sqlite-wal").exists()


def test_damage_in_the_middle_is_noticed_and_nothing_is_written(tmp_path, capsys):
    path = tmp_path / "lib.sqlite"
    conn = connect(path)
    _fill(conn)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    pages = path.stat().st_size // 4096
    with open(path, "r+b") as f:  # a few sectors of garbage in the middle of the file
        f.seek(pages // 2 * 4096)
        f.write(np.random.default_rng(1).bytes(3 * 4096))
    before = _digest(path)
    with pytest.raises(LibraryCorruptError, match="damaged"):
        connect(path, check=True)
    with pytest.raises(LibraryCorruptError, match="will not write"):
        Scanner(path, [tmp_path], backend=None).run()
    rc, err = _run(capsys, "--library", str(path), "people")
    assert rc == 1 and err.count("\n") == 1 and "damaged" in err
    assert _digest(path) == before


def test_library_in_a_read_only_folder_can_be_viewed(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "lib.sqlite"
    conn = connect(path)
    _fill(conn, 30)
    organize(conn)
    edits.name_cluster(conn, edits.list_clusters(conn)[0].id, "Ann") if edits.list_clusters(conn) else None
    conn.execute("INSERT INTO persons(name) VALUES ('Zoe')")
    conn.close()
    assert not (folder / "lib.sqlite-wal").exists()
    with read_only_folder(folder):
        conn = connect(path, check=True)
        assert is_read_only(conn)
        assert "Zoe" in [p.name for p in edits.list_people(conn)]
        with pytest.raises(LibraryReadOnlyError, match=r"folder .* cannot be written"):
            edits.rename(conn, "Zoe", "Zoey")
        conn.close()
        rc, err = _run(capsys, "--library", str(path), "people")
        assert rc == 0 and "read-only" in err
        rc, err = _run(capsys, "--library", str(path), "rename", "Zoe", "Zoey")
        assert rc == 1 and "read-only" in err and str(folder) in err
        assert "Traceback" not in err


def _mount_small_disk(where, size="2m") -> bool:
    if os.geteuid() != 0:
        return False
    where.mkdir()
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def test_full_disk_gives_one_line_in_every_command(tmp_path, capsys):
    disk = tmp_path / "disk"
    if not _mount_small_disk(disk):
        pytest.skip("needs root and tmpfs mounts to make a small disk")
    try:
        path = disk / "lib.sqlite"
        conn = connect(path)
        _fill(conn, 60)
        organize(conn)
        conn.close()
        with open(disk / "filler", "wb", buffering=0) as f:  # the rest of the disk fills up
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * 4096)
        commands = [["people"], ["photos"], ["faces", "--json"], ["cluster"],
                    ["name", "1", "Ann"], ["suggestions"]]
        for cmd in commands:
            rc, err = _run(capsys, "--library", str(path), *cmd)
            assert "Traceback" not in err and "disk I/O error" not in err, (cmd, err)
            # SQLite cannot even grow its shared-memory file: every command stops at the open.
            assert rc == 1 and err.count("\n") == 1 and "disk holding the library is full" in err, (cmd, err)
    finally:
        capsys.readouterr()
        subprocess.run(["umount", "-l", str(disk)], check=True)
