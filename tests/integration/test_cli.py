"""The ``kinfolk`` command contract on real photos: JSON shapes, exit codes, people workflow."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import TEST_PACK, copy_photos


def kf(*args, lib, models, input=None):
    cmd = [sys.executable, "-m", "kinfolk.cli.main", "--library", str(lib), "--models", str(models), *args]
    return subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=300)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, faces_dir, labels, models_dir):
    """A library of ~40 real photos: 6 identities with 4+ photos each, a group photo, a no-face photo."""
    counts = {}
    for ident in labels.values():
        counts[ident] = counts.get(ident, 0) + 1
    chosen = sorted(i for i, c in counts.items() if c >= 5 and ";" not in i and i not in ("none", "group"))[:6]
    pics = tmp_path_factory.mktemp("pics")
    copy_photos(faces_dir, labels, pics, where=lambda i: i in chosen)
    copy_photos(faces_dir, labels, pics, 1, where=lambda i: i == "none")
    (pics / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 10)
    lib = tmp_path_factory.mktemp("lib") / "lib.sqlite"
    r = kf("scan", str(pics), "--pack", TEST_PACK, lib=lib, models=models_dir)
    assert r.returncode == 0, r.stderr
    assert "photos/s" in r.stderr
    return lib, pics, chosen


def test_faces_and_photos_json_contract(scanned, models_dir):
    lib, pics, _ = scanned
    faces = json.loads(kf("faces", "--json", lib=lib, models=models_dir).stdout)
    assert faces and set(faces[0]) >= {"photo", "box", "score", "quality", "model", "cluster", "person"}
    for f in faces:
        x1, y1, x2, y2 = f["box"]
        assert 0 <= x1 < x2 and 0 <= y1 < y2 and f["model"] == "faceplugin_mbf512"
        assert f["photo"].startswith(str(pics))
    photos = json.loads(kf("photos", "--json", lib=lib, models=models_dir).stdout)
    assert {"path", "status", "error", "faces", "taken_at"} <= set(photos[0])
    broken = [p for p in photos if p["path"].endswith("broken.jpg")]
    assert broken[0]["status"] == "error" and broken[0]["error"]


def test_exit_codes(scanned, models_dir, tmp_path):
    lib, pics, _ = scanned
    assert kf("photos", "--bogus", lib=lib, models=models_dir).returncode == 2
    r = kf("faces", "--json", lib=tmp_path / "none.sqlite", models=models_dir)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "no library" in r.stderr
    r = kf("scan", str(tmp_path / "missing"), lib=lib, models=models_dir)
    assert r.returncode == 1 and "not a folder" in r.stderr
    r = kf("scan", str(pics), "--pack", "buffalo_l", lib=lib, models=models_dir)
    assert r.returncode == 1 and "not installed" in r.stderr


def test_cluster_name_search_forget(scanned, models_dir):
    lib, pics, chosen = scanned
    r = kf("cluster", lib=lib, models=models_dir)
    assert r.returncode == 0, r.stderr
    people = json.loads(kf("people", "--json", lib=lib, models=models_dir).stdout)
    clusters = people["clusters"]
    assert len(clusters) >= 4, clusters
    biggest = clusters[0]["id"]
    assert kf("name", str(biggest), "Grandma", lib=lib, models=models_dir).returncode == 0
    faces = json.loads(kf("faces", "--json", lib=lib, models=models_dir).stdout)
    hers = {f["photo"] for f in faces if f["person"] == "Grandma"}
    assert len(hers) >= clusters[0]["photos"]
    found = json.loads(kf("photos", "--person", "Grandma", "--json", lib=lib, models=models_dir).stdout)
    assert {p["path"] for p in found} == hers
    # Forgetting needs confirmation: without --yes and without a terminal nothing is deleted.
    r = kf("forget", "Grandma", lib=lib, models=models_dir, input="")
    assert r.returncode == 1 and "--yes" in r.stderr
    assert kf("forget", "Grandma", "--yes", lib=lib, models=models_dir).returncode == 0
    faces = json.loads(kf("faces", "--json", lib=lib, models=models_dir).stdout)
    assert not any(f["person"] == "Grandma" for f in faces)
    left_in_her_photos = sum(f["photo"] in hers for f in faces)
    r = kf("photos", "--person", "Grandma", "--json", lib=lib, models=models_dir)
    assert r.returncode == 1 and "no person named" in r.stderr
    # A rescan (even of changed files) does not bring her faces back.
    for path in hers:
        with open(path, "ab") as f:
            f.write(b"\0")
    r = kf("scan", str(pics), "--pack", TEST_PACK, lib=lib, models=models_dir)
    assert r.returncode == 0 and f"{len(hers)} scanned" in r.stderr
    faces = json.loads(kf("faces", "--json", lib=lib, models=models_dir).stdout)
    assert sum(f["photo"] in hers for f in faces) == left_in_her_photos


def test_verify_same_and_different_people(faces_dir, labels, models_dir, tmp_path):
    by_person = {}
    for rel, ident in sorted(labels.items()):
        by_person.setdefault(ident, []).append(faces_dir / rel)
    a1, a2 = by_person["colin_powell"][:2]
    b1 = by_person["tony_blair"][0]
    same = json.loads(kf("verify", str(a1), str(a2), "--json", lib=tmp_path / "l", models=models_dir).stdout)
    diff = json.loads(kf("verify", str(a1), str(b1), "--json", lib=tmp_path / "l", models=models_dir).stdout)
    assert same["same_person"] is True and diff["same_person"] is False
    assert same["similarity"] > same["threshold"] > diff["similarity"]
    r = kf("verify", str(a1), str(faces_dir / "labels.csv"), lib=tmp_path / "l", models=models_dir)
    assert r.returncode == 1 and "labels.csv" in r.stderr


def test_set_birth_date_and_cover(scanned, models_dir):
    lib, _, _ = scanned
    kf("cluster", lib=lib, models=models_dir)
    people = json.loads(kf("people", "--json", lib=lib, models=models_dir).stdout)
    group = people["clusters"][0]["id"]
    assert kf("name", str(group), "Cleo", lib=lib, models=models_dir).returncode == 0
    faces = [f for f in json.loads(kf("faces", "--json", lib=lib, models=models_dir).stdout)
             if f["person"] == "Cleo"]
    r = kf("set", "Cleo", "--born", "1990-05-06", "--cover", str(faces[-1]["id"]), lib=lib, models=models_dir)
    assert r.returncode == 0, r.stderr
    cleo = [p for p in json.loads(kf("people", "--json", lib=lib, models=models_dir).stdout)["people"]
            if p["name"] == "Cleo"][0]
    assert cleo["birth_date"] == "1990-05-06" and cleo["cover_face_id"] == faces[-1]["id"]
    r = kf("set", "Cleo", "--born", "May 1990", lib=lib, models=models_dir)
    assert r.returncode == 1 and "not a date" in r.stderr


def test_scan_matches_new_photos_of_named_people(faces_dir, labels, models_dir, tmp_path):
    """Name a group, then scan a folder with more photos of her: the scan itself recognizes them
    (as the app does after every scan), without a separate 'kinfolk cluster'."""
    first, later = tmp_path / "2019", tmp_path / "2020"
    powell = copy_photos(faces_dir, labels, first, where=lambda i: i == "colin_powell")
    copy_photos(faces_dir, labels, first, where=lambda i: i in ("tony_blair", "katy_perry"))
    later.mkdir()
    for p in powell[6:]:
        p.rename(later / p.name)
    lib = tmp_path / "lib.sqlite"
    r = kf("scan", str(first), "--pack", TEST_PACK, lib=lib, models=models_dir)
    assert r.returncode == 0 and "unnamed groups" in r.stderr, r.stderr
    faces = json.loads(kf("faces", "--json", lib=lib, models=models_dir).stdout)
    groups = {f["cluster"] for f in faces if f["photo"] in map(str, powell[:6]) and f["cluster"] is not None}
    assert len(groups) == 1, faces  # the scan grouped the faces: no 'kinfolk cluster' needed
    assert kf("name", str(groups.pop()), "Colin", lib=lib, models=models_dir).returncode == 0
    colin_before = {f["id"] for f in json.loads(kf("faces", "--json", lib=lib, models=models_dir).stdout)
                    if f["person"] == "Colin"}

    r = kf("scan", str(later), "--pack", TEST_PACK, lib=lib, models=models_dir)
    assert r.returncode == 0, r.stderr
    assert "recognized as named people" in r.stderr
    faces = json.loads(kf("faces", "--json", lib=lib, models=models_dir).stdout)
    new = [f for f in faces if f["photo"].startswith(str(later))]
    assert len(new) >= 3
    assert all(f["person"] == "Colin" for f in new), new
    # The scan says who was recognized, with how many faces it gave them.
    given = {f["id"] for f in faces if f["person"] == "Colin"} - colin_before
    assert f"Recognized: Colin {len(given)}\n" in r.stderr, r.stderr
