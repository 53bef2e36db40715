"""Kinfolk writes names into XMP sidecars; ExifTool, the independent reader, checks names and areas.

Real scan, real models, copies of real photos (one stored turned by its camera, one turned by us).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from kinfolk.cli.main import main
from kinfolk.core.people import edits, forget
from kinfolk.core.scan.scanner import ScanOptions, Scanner
from kinfolk.core.metadata.sidecar_writer import write_sidecars
from kinfolk.db.connection import connect

from .test_xmp_import import exiftool, rotate_stored, to_stored

pytestmark = pytest.mark.skipif(shutil.which("exiftool") is None,
                                reason="ExifTool not installed (apt-get install libimage-exiftool-perl)")

ZOE = "Zoë & <Ann> \"Z\""


def read_regions(sidecar: Path) -> dict:
    """ExifTool's reading of a sidecar: MWG and MP regions as structures, plus two other tags."""
    out = subprocess.run(["exiftool", "-j", "-struct", "-XMP-mwg-rs:RegionInfo", "-XMP-MP:RegionInfoMP",
                          "-XMP-xmp:Rating", "-XMP-dc:Subject", str(sidecar)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)[0]


def mwg(info: dict) -> dict[str, tuple]:
    out = {}
    for r in info.get("RegionInfo", {}).get("RegionList", []):
        a = r["Area"]
        x, y, w, h = (float(a[k]) for k in "XYWH")
        out[r["Name"]] = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
    return out


def mp(info: dict) -> dict[str, tuple]:
    out = {}
    for r in info.get("RegionInfoMP", {}).get("Regions", []):
        x, y, w, h = (float(v) for v in str(r["Rectangle"]).split(","))
        out[r["PersonDisplayName"]] = (x, y, x + w, y + h)
    return out


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture()
def named(tmp_path, faces_dir, onnx_backend):
    pics = tmp_path / "pics"
    pics.mkdir()
    shutil.copyfile(faces_dir / "deepface/pde_0001.jpg", pics / "damon6.jpg")  # camera: orientation 6
    shutil.copyfile(faces_dir / "deepface/pde_0009.jpg", pics / "damon.jpg")
    rotate_stored(faces_dir / "deepface/pde_0006.jpg", pics / "aniston8.jpg", 8)
    # Another tool's sidecar, with a rating, a keyword and its own region (MWG + MP).
    exiftool("-XMP-xmp:Rating=4", "-XMP-dc:Subject=holiday",
             "-RegionInfo={AppliedToDimensions={W=1000,H=1500,Unit=pixel},RegionList=[{Area={X=0.9,"
             "Y=0.9,W=0.05,H=0.05,Unit=normalized},Name=Zed,Type=Face}]}",
             "-RegionInfoMP={Regions=[{PersonDisplayName=Zed,Rectangle=0.875|, 0.875|, 0.05|, 0.05}]}",
             pics / "damon.jpg.xmp")
    lib = tmp_path / "lib.sqlite"
    Scanner(lib, [pics], onnx_backend, ScanOptions()).run()
    conn = connect(lib)

    def biggest(name):
        return conn.execute("SELECT f.id FROM faces f JOIN photos p ON p.id = f.photo_id WHERE p.path = ? "
                            "ORDER BY (f.x2 - f.x1) * (f.y2 - f.y1) DESC LIMIT 1",
                            (str(pics / name),)).fetchone()[0]

    edits.name_faces(conn, [biggest("damon6.jpg"), biggest("damon.jpg")], "Matt Damon")
    edits.name_faces(conn, [biggest("aniston8.jpg")], ZOE)
    hashes = {p.name: digest(p) for p in pics.glob("*.jpg")}
    return lib, conn, pics, hashes


def expected_area(conn, photo: Path, name: str) -> tuple:
    """Where the named face must be in the stored image, from its box and this test's formulas."""
    x1, y1, x2, y2, w, h = conn.execute(
        "SELECT f.x1, f.y1, f.x2, f.y2, p.width, p.height FROM faces f JOIN photos p ON p.id = f.photo_id "
        "JOIN persons ps ON ps.id = f.person_id WHERE p.path = ? AND ps.name = ?", (str(photo), name)).fetchone()
    with Image.open(photo) as im:
        o = im.getexif().get(0x0112, 1)
    return to_stored((x1 / w, y1 / h, x2 / w, y2 / h), o)


def test_sidecars_hold_names_and_areas_exiftool_reads(named):
    lib, conn, pics, hashes = named
    rep = write_sidecars(conn, naming="ext")
    assert not rep.errors and len(rep.written) == 3
    for photo, name in (("damon6.jpg", "Matt Damon"), ("damon.jpg", "Matt Damon"), ("aniston8.jpg", ZOE)):
        info = read_regions(pics / f"{photo}.xmp")
        want = expected_area(conn, pics / photo, name)
        for got in (mwg(info)[name], mp(info)[name]):
            assert all(abs(a - b) < 1e-4 for a, b in zip(got, want)), (photo, got, want)
    with Image.open(pics / "damon6.jpg") as im:  # AppliedToDimensions: the stored image
        assert read_regions(pics / "damon6.jpg.xmp")["RegionInfo"]["AppliedToDimensions"] == {
            "W": im.width, "H": im.height, "Unit": "pixel"}
    # The other tool's sidecar kept its rating, keyword and region.
    info = read_regions(pics / "damon.jpg.xmp")
    assert info["Rating"] == 4 and info["Subject"] == ["holiday"]
    assert set(mwg(info)) == {"Zed", "Matt Damon"} and set(mp(info)) == {"Zed", "Matt Damon"}
    # The photos themselves are untouched.
    assert {p.name: digest(p) for p in pics.glob("*.jpg")} == hashes
    # Writing again changes nothing.
    before = {p.name: p.stat().st_mtime_ns for p in pics.glob("*.xmp")}
    again = write_sidecars(conn, naming="ext")
    assert again.unchanged == 3 and not again.written
    assert {p.name: p.stat().st_mtime_ns for p in pics.glob("*.xmp")} == before


def test_edits_replace_only_kinfolks_regions(named):
    lib, conn, pics, _ = named
    write_sidecars(conn, naming="ext")
    edits.rename(conn, "Matt Damon", "Matthew")
    write_sidecars(conn, naming="ext")
    info = read_regions(pics / "damon.jpg.xmp")
    assert set(mwg(info)) == {"Zed", "Matthew"} and set(mp(info)) == {"Zed", "Matthew"}
    assert info["Rating"] == 4
    # A face taken away from a person disappears from the file; a sidecar Kinfolk created and that
    # says nothing any more is removed.
    fid = conn.execute("SELECT f.id FROM faces f JOIN persons p ON p.id = f.person_id "
                       "WHERE p.name = ?", (ZOE,)).fetchone()[0]
    edits.unassign(conn, [fid])
    write_sidecars(conn, naming="ext")
    assert not (pics / "aniston8.jpg.xmp").exists()


def test_names_travel_to_a_new_library(named, tmp_path, onnx_backend):
    lib, conn, pics, _ = named
    write_sidecars(conn, naming="replace")
    assert (pics / "damon6.xmp").exists() and not (pics / "damon6.jpg.xmp").exists()
    other = tmp_path / "other.sqlite"
    Scanner(other, [pics], onnx_backend, ScanOptions()).run()
    c2 = connect(other)
    got = {(Path(r[0]).name, r[1]) for r in c2.execute(
        "SELECT p.path, ps.name FROM faces f JOIN photos p ON p.id = f.photo_id JOIN persons ps "
        "ON ps.id = f.person_id WHERE f.state = 'confirmed' AND f.source = 'imported'")}
    assert {("damon6.jpg", "Matt Damon"), ("damon.jpg", "Matt Damon"), ("aniston8.jpg", ZOE)} <= got


def test_forget_removes_the_name_from_sidecars(named):
    lib, conn, pics, _ = named
    write_sidecars(conn, naming="ext")
    failures = forget.forget(conn, forget.plan(conn, "Matt Damon"))
    assert failures == []
    info = read_regions(pics / "damon.jpg.xmp")
    assert set(mwg(info)) == {"Zed"} and set(mp(info)) == {"Zed"} and info["Rating"] == 4
    assert not (pics / "damon6.jpg.xmp").exists()  # Kinfolk created it; nothing is left in it
    assert ZOE in set(mwg(read_regions(pics / "aniston8.jpg.xmp")))
    assert b"Matt Damon" not in lib.read_bytes()


def test_person_filter_and_unreadable_sidecar(named, capsys):
    lib, conn, pics, _ = named
    (pics / "damon6.jpg.xmp").write_text("<x:xmpmeta this is not xml")
    assert main(["--library", str(lib), "xmp", "write", "--person", "Matt Damon", "--json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert [Path(w["sidecar"]).name for w in rep["written"]] == ["damon.jpg.xmp"]
    assert [Path(e["sidecar"]).name for e in rep["errors"]] == ["damon6.jpg.xmp"]
    assert (pics / "damon6.jpg.xmp").read_text() == "<x:xmpmeta this is not xml"  # left alone
    assert not (pics / "aniston8.jpg.xmp").exists()  # not this person



def test_kinfolks_own_sidecar_does_not_undo_a_removal(named):
    from kinfolk.core.metadata.region_import import import_regions

    lib, conn, pics, _ = named
    write_sidecars(conn, naming="ext")  # sync is off: the sidecars keep the name after the edit
    fid = conn.execute("SELECT f.id FROM faces f JOIN persons p ON p.id = f.person_id JOIN photos ph "
                       "ON ph.id = f.photo_id WHERE ph.path = ?", (str(pics / "damon6.jpg"),)).fetchone()[0]
    edits.unassign(conn, [fid])
    rep = import_regions(conn)
    assert not rep.named and [u["name"] for u in rep.unmatched] == ["Zed"]  # the other app's region
    assert conn.execute("SELECT person_id FROM faces WHERE id = ?", (fid,)).fetchone()[0] is None
