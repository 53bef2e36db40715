"""Names that travel with the photos: regions written by ExifTool (MWG and Microsoft, embedded and in
both sidecar namings, rotated and not) and a hand-written ``.picasa.ini`` are imported by the real
scan, with the real models, on copies of the real labeled photos.

The fixtures' areas are written in the *stored* image's space (the MWG convention) by this file's
own orientation formulas, independent of ``kinfolk.core.metadata.regions``; for each rotated photo the test
first checks that reading the area without the orientation would miss the face, so it can fail.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from kinfolk.core.people import edits
from kinfolk.core.clustering.grouping import organize
from kinfolk.core.imaging.imageio import load_for_detection
from kinfolk.core.metadata.region_import import import_regions
from kinfolk.core.scan.scanner import ScanOptions, Scanner
from kinfolk.db.connection import connect

pytestmark = pytest.mark.skipif(shutil.which("exiftool") is None,
                                reason="ExifTool not installed (apt-get install libimage-exiftool-perl)")


def exiftool(*args) -> str:
    return subprocess.run(["exiftool", "-q", "-q", *map(str, args)], check=True,
                          capture_output=True, text=True).stdout


def largest_face(backend, path: Path) -> tuple[tuple[float, float, float, float], tuple[int, int]]:
    """The largest detected face in displayed (oriented) full-size pixels, and the displayed size."""
    photo = load_for_detection(path, min_long_side=backend.detect_size)
    dets = backend.detect(photo.rgb)
    assert dets, f"no face in {path}"
    d = max(dets, key=lambda d: d.size).scaled(photo.scale)
    return tuple(float(v) for v in d.box), photo.full_size


def loose(box, size, grow=0.25, shift=0.06):
    """A region as a person draws it: looser than a detector's box and a little off."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    x1, y1, x2, y2 = x1 - grow * w / 2 + shift * w, y1 - grow * h, x2 + grow * w / 2 + shift * w, y2 + grow * h / 2
    return (max(0, x1) / size[0], max(0, y1) / size[1], min(size[0], x2) / size[0], min(size[1], y2) / size[1])


def to_stored(nbox, orientation):
    """Displayed normalized box -> stored normalized box, written out per orientation."""
    x1, y1, x2, y2 = nbox
    if orientation == 1:
        return nbox
    if orientation == 3:
        return (1 - x2, 1 - y2, 1 - x1, 1 - y1)
    if orientation == 6:  # stored is the displayed turned 90° counter-clockwise
        return (y1, 1 - x2, y2, 1 - x1)
    if orientation == 8:  # stored is the displayed turned 90° clockwise
        return (1 - y2, x1, 1 - y1, x2)
    raise AssertionError(orientation)


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    i = ix * iy
    return i / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i)


def rotate_stored(src: Path, dst: Path, orientation: int) -> None:
    """Store an upright photo turned, with the EXIF Orientation that shows it upright again. The
    photo is first put in the top-left of a larger grey canvas, so its face is off-centre (a turn
    then moves it far away: reading the area in the wrong space cannot land on the face)."""
    photo = Image.open(src).convert("RGB")
    im = Image.new("RGB", (photo.width * 2, photo.height * 3 // 2), (128, 128, 128))
    im.paste(photo, (0, 0))
    method = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90,
              8: Image.Transpose.ROTATE_270}[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    im.transpose(method).save(dst, quality=95, exif=exif.tobytes())


def mwg_arg(name, sbox, stored_size):
    x1, y1, x2, y2 = sbox
    return ("-RegionInfo={AppliedToDimensions={W=%d,H=%d,Unit=pixel},RegionList=[{Area={X=%.6f,Y=%.6f,"
            "W=%.6f,H=%.6f,Unit=normalized},Name=%s,Type=Face}]}"
            % (stored_size[0], stored_size[1], (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, name))


def mp_arg(name, sbox):
    x1, y1, x2, y2 = sbox
    return ("-RegionInfoMP={Regions=[{PersonDisplayName=%s,Rectangle=%.6f|, %.6f|, %.6f|, %.6f}]}"
            % (name, x1, y1, x2 - x1, y2 - y1))


def rect64(sbox) -> str:
    return "".join(f"{round(v * 65535):04x}" for v in sbox).lstrip("0")


@pytest.fixture(scope="module")
def library(tmp_path_factory, faces_dir, onnx_backend):
    """One scanned library whose photos carry names in every supported way."""
    tmp = tmp_path_factory.mktemp("xmp")
    pics = tmp / "pics"
    pics.mkdir()
    cases = []  # (photo path, expected name, how)

    def add(src_rel, name, how, orientation=None, dest_name=None):
        dst = pics / (dest_name or src_rel.replace("/", "_"))
        if orientation:
            rotate_stored(faces_dir / src_rel, dst, orientation)
        else:
            shutil.copyfile(faces_dir / src_rel, dst)
        box, disp = largest_face(onnx_backend, dst)
        with Image.open(dst) as im:
            stored, o = im.size, im.getexif().get(0x0112, 1)
        nbox = loose(box, disp)
        sbox = to_stored(nbox, o)
        if o != 1:  # the test can fail: the stored area read as displayed misses the face
            assert iou(sbox, nbox) < 0.3, (dst, o)
        if how == "embedded-mwg":
            exiftool("-overwrite_original", mwg_arg(name, sbox, stored), dst)
        elif how == "sidecar-ext-mp":
            exiftool(mp_arg(name, sbox), f"{dst}.xmp")
        elif how == "sidecar-replace-mwg":
            exiftool(mwg_arg(name, sbox, stored), dst.with_suffix(".xmp"))
        elif how == "picasa":
            cid = f"{abs(hash(name)) & 0xFFFFFFFFFFFF:016x}"
            ini = pics / ".picasa.ini"
            with open(ini, "a") as f:
                f.write(f"[Contacts2]\n{cid}={name};;\n[{dst.name}]\n"
                        f"faces=rect64({rect64(sbox)}),{cid};rect64(10002000),ffffffffffffffff\n"
                        "backuphash=1234\n")
        cases.append((str(dst), name, how, o, box))

    # Real photos whose cameras stored them turned (EXIF 6 and 8), read from sidecars of both namings.
    add("deepface/pde_0001.jpg", "Matt Damon", "sidecar-ext-mp")            # orientation 6
    add("deepface/pde_0060.jpg", "Jennifer Aniston", "sidecar-replace-mwg")  # orientation 8
    # Upright photos, embedded MWG (as Lightroom / digiKam write into JPEGs).
    add("deepface/pde_0009.jpg", "Matt Damon", "embedded-mwg")
    add("deepface/pde_0006.jpg", "Jennifer Aniston", "embedded-mwg")
    # Upright photos stored turned by us, each orientation, each standard.
    add("deepface/pde_0011.jpg", "Angelina Jolie", "embedded-mwg", orientation=6, dest_name="aj6.jpg")
    add("deepface/pde_0017.jpg", "Angelina Jolie", "sidecar-ext-mp", orientation=8, dest_name="aj8.jpg")
    add("deepface/pde_0013.jpg", "Angelina Jolie", "sidecar-replace-mwg", orientation=3,
        dest_name="aj3.jpg")
    # Picasa.
    add("deepface/pde_0003.jpg", "Katy Perry", "picasa")
    add("deepface/pde_0005.jpg", "Katy Perry", "picasa")
    # A region where there is no face (the top-left corner): kept, reported.
    bg = pics / "background.jpg"
    shutil.copyfile(faces_dir / "deepface/pde_0036.jpg", bg)
    with Image.open(bg) as im:
        exiftool("-overwrite_original", mwg_arg("Nobody Here", (0.0, 0.0, 0.08, 0.06), im.size), bg)
    # Photos without metadata, for matching: more Matt Damon and Jennifer Aniston.
    for rel in ("deepface/pde_0028.jpg", "deepface/pde_0036.jpg", "deepface/pde_0047.jpg",
                "deepface/pde_0027.jpg"):
        shutil.copyfile(faces_dir / rel, pics / rel.replace("/", "_"))
    lib = tmp / "lib.sqlite"
    summary = Scanner(lib, [pics], onnx_backend, ScanOptions()).run()
    return lib, cases, summary, pics


def test_scan_names_faces_from_every_source(library):
    lib, cases, summary, _ = library
    conn = connect(lib)
    for path, name, how, orientation, box in cases:
        rows = conn.execute(
            "SELECT f.x1, f.y1, f.x2, f.y2, f.state, f.source FROM faces f JOIN persons p "
            "ON p.id = f.person_id JOIN photos ph ON ph.id = f.photo_id "
            "WHERE ph.path = ? AND p.name = ?", (path, name)).fetchall()
        assert len(rows) == 1, (how, orientation, path)
        x1, y1, x2, y2, state, source = rows[0]
        assert (state, source) == ("confirmed", "imported"), (how, path)
        assert iou((x1, y1, x2, y2), box) > 0.9, (how, orientation, path)  # the face under the region
    rep = summary.regions
    assert len(rep.named) == len(cases)
    assert {n["origin"] for n in rep.named} == {"mwg", "mp", "picasa"}
    assert rep.people == ["Angelina Jolie", "Jennifer Aniston", "Katy Perry", "Matt Damon"]
    assert not rep.errors and not rep.conflicts


def test_region_without_a_face_is_kept_and_reported(library):
    lib, _, summary, _ = library
    assert [u["name"] for u in summary.regions.unmatched] == ["Nobody Here"]
    conn = connect(lib)
    rows = conn.execute("SELECT name, status FROM imported_regions").fetchall()
    assert [tuple(r) for r in rows] == [("Nobody Here", "unmatched")]
    assert conn.execute("SELECT COUNT(*) FROM persons WHERE name = 'Nobody Here'").fetchone()[0] == 0


def test_imported_names_drive_matching(library):
    lib, _, _, pics = library
    conn = connect(lib)
    organize(conn)
    named = {r[0]: r[1] for r in conn.execute(
        "SELECT ph.path, COALESCE(p.name, (SELECT p2.name FROM suggestions s JOIN persons p2 "
        "ON p2.id = s.person_id WHERE s.face_id = f.id ORDER BY s.similarity DESC LIMIT 1)) "
        "FROM faces f JOIN photos ph ON ph.id = f.photo_id LEFT JOIN persons p ON p.id = f.person_id "
        "WHERE f.source = 'detected'")}
    # Photos that carried no metadata: matched (or suggested) to the imported people.
    assert named[str(pics / "deepface_pde_0028.jpg")] == "Matt Damon"
    assert named[str(pics / "deepface_pde_0047.jpg")] == "Jennifer Aniston"


def test_import_never_overwrites_the_users_decision(library):
    lib, cases, _, _ = library
    conn = connect(lib)
    path = next(c[0] for c in cases if c[2] == "embedded-mwg" and c[1] == "Matt Damon")
    fid = conn.execute("SELECT f.id FROM faces f JOIN photos p ON p.id = f.photo_id "
                       "WHERE p.path = ? AND f.source = 'imported'", (path,)).fetchone()[0]
    edits.move_faces(conn, [fid], edits.name_faces(conn, [], "Ben").result)
    assert conn.execute("SELECT source FROM faces WHERE id = ?", (fid,)).fetchone()[0] == "detected"
    pid = conn.execute("SELECT id FROM photos WHERE path = ?", (path,)).fetchone()[0]
    rep = import_regions(conn, [pid])
    assert not rep.named
    assert [(c["name"], c["kinfolk_name"], c["face"]) for c in rep.conflicts] == [("Matt Damon", "Ben", fid)]
    assert conn.execute("SELECT p.name, f.state FROM faces f JOIN persons p ON p.id = f.person_id "
                        "WHERE f.id = ?", (fid,)).fetchone()[:] == ("Ben", "confirmed")
    assert conn.execute("SELECT status FROM imported_regions WHERE face_id = ?", (fid,)).fetchone()[0] == "conflict"
    # Importing again is idempotent: the same single conflict, not two.
    import_regions(conn, [pid])
    assert conn.execute("SELECT COUNT(*) FROM imported_regions WHERE photo_id = ?", (pid,)).fetchone()[0] == 1


def test_cli_contract(library, capsys):
    import json

    from kinfolk.cli.main import main

    lib, cases, _, _ = library
    assert main(["--library", str(lib), "faces", "--json"]) == 0
    faces = json.loads(capsys.readouterr().out)
    assert {f["source"] for f in faces} == {"detected", "imported"}
    by_photo = {(f["photo"], f["person"]): f["source"] for f in faces}
    assert by_photo[(cases[0][0], "Matt Damon")] == "imported"
    assert main(["--library", str(lib), "xmp", "import", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert set(rep) >= {"named", "agreed", "unmatched", "conflicts", "errors", "people"}
    assert rep["agreed"] >= len(cases) - 1  # already imported by the scan
    assert [u["name"] for u in rep["unmatched"]] == ["Nobody Here"]


def test_embedded_regions_in_every_format(tmp_path, faces_dir, onnx_backend):
    """HEIC and PNG as they come, TIFF and WebP converted from a JPEG, and a HEIC stored turned
    (orientation 6: libheif hands over turned pixels, the region still refers to the stored image);
    ExifTool embeds the regions."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    pics = tmp_path / "pics"
    pics.mkdir()
    shutil.copyfile(faces_dir / "deepface/pde_0045.heic", pics / "dicaprio.heic")
    shutil.copyfile(faces_dir / "face_recognition/pfa_0005.png", pics / "miranda.png")
    with Image.open(faces_dir / "deepface/pde_0009.jpg") as im:
        im.convert("RGB").save(pics / "damon.tif")
        im.convert("RGB").save(pics / "damon.webp", quality=90)
    with Image.open(faces_dir / "deepface/pde_0011.jpg") as im:  # off-centre on a wider canvas
        canvas = Image.new("RGB", (im.width * 2, im.height * 3 // 2), (128, 128, 128))
        canvas.paste(im.convert("RGB"), (0, 0))
        exif = Image.Exif()
        exif[0x0112] = 6
        canvas.transpose(Image.Transpose.ROTATE_90).save(pics / "jolie6.heic", exif=exif.tobytes(),
                                                         quality=80)
    names = {"dicaprio.heic": "Leonardo", "miranda.png": "Lin-Manuel", "damon.tif": "Matt T",
             "damon.webp": "Matt W", "jolie6.heic": "Angelina"}
    boxes = {}
    for fname, name in names.items():
        p = pics / fname
        box, disp = largest_face(onnx_backend, p)
        o = int(exiftool("-n", "-s3", "-Orientation", p).strip() or 1)
        stored = tuple(int(v) for v in exiftool("-s3", "-ImageWidth", "-ImageHeight", p).split())
        if o != 1:
            assert iou(to_stored(loose(box, disp), o), loose(box, disp)) < 0.3
        exiftool("-overwrite_original", mwg_arg(name, to_stored(loose(box, disp), o), stored), p)
        boxes[fname] = box
    lib = tmp_path / "lib.sqlite"
    summary = Scanner(lib, [pics], onnx_backend, ScanOptions()).run()
    assert not summary.regions.errors
    conn = connect(lib)
    got = {Path(r[0]).name: (r[1], r[2:]) for r in conn.execute(
        "SELECT ph.path, p.name, f.x1, f.y1, f.x2, f.y2 FROM faces f JOIN persons p ON p.id = f.person_id "
        "JOIN photos ph ON ph.id = f.photo_id WHERE f.source = 'imported' AND f.state = 'confirmed'")}
    assert {k: v[0] for k, v in got.items()} == names
    for fname, (_, box) in got.items():
        assert iou(box, boxes[fname]) > 0.9, fname

