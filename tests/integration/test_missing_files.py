"""Issue 13, item 1: nothing the user made is deleted because files are missing.

Real photos, real models. A folder that goes away (unplugged drive), turns empty (unmounted share)
or loses some files keeps its photos, faces, names and decisions; they come back with the files, by
path or by content. Removing missing photos is an explicit, confirmed action. Forget records match
by content, so a copy of a forgotten person's photo does not bring them back.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from kinfolk.core.people import edits, forget
from kinfolk.core.scan import missing
from kinfolk.core.scan.scanner import ScanOptions, Scanner
from kinfolk.core.search import PhotoQuery, find_photos
from kinfolk.db import folders as db_folders
from kinfolk.db import photos as db_photos
from kinfolk.db.connection import connect

from .conftest import TEST_PACK, copy_photos


def scan(lib, folder, backend):
    return Scanner(lib, [folder], backend, ScanOptions(workers=2)).run()


def name_photo_faces(conn, path, name):
    ids = [r[0] for r in conn.execute("SELECT f.id FROM faces f JOIN photos p ON p.id = f.photo_id "
                                      "WHERE p.path = ?", (str(path),))]
    assert ids, f"no face found in {path}"
    edits.name_faces(conn, ids, name)
    return len(ids)


def person_faces(conn, name):
    return conn.execute("SELECT COUNT(*) FROM faces f JOIN persons p ON p.id = f.person_id "
                        "WHERE p.name = ? AND f.state = 'confirmed'", (name,)).fetchone()[0]


def kf(*args, lib, models):
    cmd = [sys.executable, "-m", "kinfolk.cli.main", "--library", str(lib), "--models", str(models),
           *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


def test_an_unplugged_or_emptied_folder_is_offline_and_loses_nothing(tmp_path, faces_dir, labels,
                                                                      onnx_backend, models_dir):
    pics = tmp_path / "drive" / "pics"
    photos = copy_photos(faces_dir, labels, pics, 6, where=lambda i: i not in ("none", "group"))
    lib = tmp_path / "lib.sqlite"
    scan(lib, pics, onnx_backend)
    conn = connect(lib)
    alice = name_photo_faces(conn, photos[0], "Alice")
    n_photos, n_faces = db_photos.counts(conn)["photos"], db_photos.counts(conn)["faces"]

    # Unplugged: the folder is gone.
    shutil.move(tmp_path / "drive", tmp_path / "away")
    s = scan(lib, pics, onnx_backend)
    assert [(r, why) for r, why, _ in s.offline] == [(str(pics), "gone")]
    assert s.missing == 0 and s.processed == 0
    assert (db_photos.counts(conn)["photos"], db_photos.counts(conn)["faces"]) == (n_photos, n_faces)
    # The CLI says so too, and still accepts the known folder; photos are listed as offline.
    r = kf("scan", str(pics), "--pack", TEST_PACK, lib=lib, models=models_dir)
    assert r.returncode == 0 and "offline" in r.stderr and str(pics) in r.stderr, r.stderr
    rows = json.loads(kf("photos", "--json", lib=lib, models=models_dir).stdout)
    assert {row["status"] for row in rows} == {"offline"} and len(rows) == n_photos
    folders = json.loads(kf("photos", "--folders", "--json", lib=lib, models=models_dir).stdout)
    assert folders == [{"path": str(pics), "status": "offline", "offline_since": folders[0]["offline_since"],
                        "reason": "gone"}]

    # Remounted: everything is as it was, nothing is redone.
    shutil.move(tmp_path / "away", tmp_path / "drive")
    s = scan(lib, pics, onnx_backend)
    assert not s.offline and s.processed == 0 and s.unchanged == len(photos)
    assert person_faces(conn, "Alice") == alice
    assert db_folders.folder_states(conn)[0].offline is False

    # An empty mount point (the share is not mounted): offline too.
    hidden = tmp_path / "hidden"
    shutil.move(pics, hidden)
    pics.mkdir()
    s = scan(lib, pics, onnx_backend)
    assert [(r, why) for r, why, _ in s.offline] == [(str(pics), "empty")] and s.missing == 0
    pics.rmdir()
    shutil.move(hidden, pics)
    s = scan(lib, pics, onnx_backend)
    assert s.processed == 0 and s.missing == 0 and person_faces(conn, "Alice") == alice


def test_missing_photos_keep_their_faces_and_come_back(tmp_path, faces_dir, labels, onnx_backend,
                                                         models_dir):
    pics = tmp_path / "pics"
    photos = copy_photos(faces_dir, labels, pics, 6, where=lambda i: i not in ("none", "group"))
    lib = tmp_path / "lib.sqlite"
    scan(lib, pics, onnx_backend)
    conn = connect(lib)
    alice = name_photo_faces(conn, photos[0], "Alice")
    bob = name_photo_faces(conn, photos[1], "Bob")
    aside = tmp_path / "aside"
    aside.mkdir()
    for p in photos[:2]:
        shutil.move(p, aside / p.name)

    s = scan(lib, pics, onnx_backend)
    assert s.missing == 2 and not s.offline
    rows = {r["path"]: db_photos.presence(r) for r in db_photos.photos(conn)}
    assert rows[str(photos[0])] == rows[str(photos[1])] == "missing"
    assert person_faces(conn, "Alice") == alice and person_faces(conn, "Bob") == bob
    # Search does not offer photos that cannot be opened; the people keep their faces.
    assert find_photos(conn, PhotoQuery(people=["Alice"])) == []
    r = kf("photos", "--missing", "--json", lib=lib, models=models_dir)
    assert sorted(x["path"] for x in json.loads(r.stdout)) == sorted(str(p) for p in photos[:2])

    # Alice's photo returns where it was; Bob's comes back under another name (a move).
    shutil.move(aside / photos[0].name, photos[0])
    (pics / "sub").mkdir()
    shutil.move(aside / photos[1].name, pics / "sub" / "bob-renamed.jpg")
    s = scan(lib, pics, onnx_backend)
    assert s.returned == 1 and s.moved == 1 and s.missing == 0
    assert person_faces(conn, "Alice") == alice and person_faces(conn, "Bob") == bob
    assert [h.path for h in find_photos(conn, PhotoQuery(people=["Alice"]))] == [str(photos[0])]
    assert db_photos.counts(conn)["missing"] == 0


def test_removing_missing_photos_is_explicit_and_says_what_it_removes(tmp_path, faces_dir, labels,
                                                                       onnx_backend, models_dir):
    pics = tmp_path / "pics"
    photos = copy_photos(faces_dir, labels, pics, 4, where=lambda i: i not in ("none", "group"))
    lib = tmp_path / "lib.sqlite"
    scan(lib, pics, onnx_backend)
    conn = connect(lib)
    name_photo_faces(conn, photos[0], "Alice")
    photos[0].unlink()
    scan(lib, pics, onnx_backend)
    plan = missing.plan(conn)
    assert plan.paths == [str(photos[0])] and plan.named == {"Alice": plan.faces}
    assert "Alice" in plan.describe() and str(photos[0]) in plan.describe()
    # Without a terminal and without --yes nothing is removed.
    r = kf("photos", "--remove-missing", lib=lib, models=models_dir)
    assert r.returncode == 1 and "--yes" in r.stderr and str(photos[0]) in r.stderr
    assert db_photos.counts(conn)["missing"] == 1
    r = kf("photos", "--remove-missing", "--yes", lib=lib, models=models_dir)
    assert r.returncode == 0 and "Removed 1 missing photo" in r.stderr, r.stderr
    assert db_photos.counts(conn)["missing"] == 0 and db_photos.counts(conn)["photos"] == 3
    assert person_faces(conn, "Alice") == 0


def test_a_copy_of_a_forgotten_persons_photo_does_not_bring_them_back(tmp_path, faces_dir, labels,
                                                                        onnx_backend):
    pics = tmp_path / "pics"
    photos = copy_photos(faces_dir, labels, pics, 3, where=lambda i: i not in ("none", "group"))
    lib = tmp_path / "lib.sqlite"
    scan(lib, pics, onnx_backend)
    conn = connect(lib)
    n = name_photo_faces(conn, photos[0], "Victim")
    faces_before = db_photos.counts(conn)["faces"]
    forget.forget(conn, forget.plan(conn, "Victim"))
    assert db_photos.counts(conn)["faces"] == faces_before - n
    # A copy elsewhere in the folder, and the original moved away and back under a new name.
    shutil.copyfile(photos[0], pics / "copy-of-victim.jpg")
    s = scan(lib, pics, onnx_backend)
    assert s.processed == 1
    assert conn.execute("SELECT COUNT(*) FROM faces f JOIN photos p ON p.id = f.photo_id "
                        "WHERE p.path = ?", (str(pics / "copy-of-victim.jpg"),)).fetchone()[0] == 0
    # Even once the original's row is removed for good, the record (by content) still holds.
    photos[0].unlink()
    scan(lib, pics, onnx_backend)
    missing.remove(conn, missing.plan(conn))
    shutil.copyfile(pics / "copy-of-victim.jpg", pics / "second-copy.jpg")
    scan(lib, pics, onnx_backend)
    assert db_photos.counts(conn)["faces"] == faces_before - n


def test_a_damaged_photo_keeps_its_names_until_it_is_restored(tmp_path, faces_dir, labels,
                                                               onnx_backend):
    pics = tmp_path / "pics"
    photos = copy_photos(faces_dir, labels, pics, 3, where=lambda i: i not in ("none", "group"))
    lib = tmp_path / "lib.sqlite"
    scan(lib, pics, onnx_backend)
    conn = connect(lib)
    alice = name_photo_faces(conn, photos[0], "Alice")
    original = photos[0].read_bytes()
    photos[0].write_bytes(original[: len(original) // 3])  # a bad copy from a failing card
    s = scan(lib, pics, onnx_backend)
    assert s.errors == 1
    row = next(r for r in db_photos.photos(conn) if r["path"] == str(photos[0]))
    assert (row["status"], row["error_reason"]) == ("error", "truncated")
    assert person_faces(conn, "Alice") == alice
    photos[0].write_bytes(original)  # restored from the backup
    s = scan(lib, pics, onnx_backend)
    assert s.errors == 0 and s.processed == 1
    assert person_faces(conn, "Alice") == alice
