"""XMP and Picasa region parsing on small synthetic inputs: RDF forms, hostile XML, orientation."""

from __future__ import annotations

import pytest

from kinfolk.core.metadata.picasa_ini import PicasaFolder
from kinfolk.core.metadata.regions import Region, from_oriented_box, to_oriented_box
from kinfolk.core.metadata.xmp_regions import OwnedRegion, XmpError, merge, read_regions

HEAD = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" '
        'xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#" '
        'xmlns:MP="http://ns.microsoft.com/photo/1.2/" xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#" '
        'xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmp:Rating="3">')
TAIL = "</rdf:Description></rdf:RDF></x:xmpmeta>"


def test_attribute_form_and_nested_description():
    # digiKam/Exiv2 write structs as rdf:Description with attributes; this must read like ExifTool's form.
    xmp = HEAD + (
        '<mwg-rs:Regions><rdf:Description><mwg-rs:AppliedToDimensions stDim:w="400" stDim:h="300" '
        'stDim:unit="pixel"/><mwg-rs:RegionList><rdf:Bag>'
        '<rdf:li><rdf:Description mwg-rs:Name="Anna" mwg-rs:Type="Face"><mwg-rs:Area stArea:x="0.5" '
        'stArea:y="0.5" stArea:w="0.2" stArea:h="0.4" stArea:unit="normalized"/></rdf:Description></rdf:li>'
        '<rdf:li><rdf:Description mwg-rs:Name="A pet" mwg-rs:Type="Pet"><mwg-rs:Area stArea:x="0.1" '
        'stArea:y="0.1" stArea:w="0.1" stArea:h="0.1" stArea:unit="normalized"/></rdf:Description></rdf:li>'
        '</rdf:Bag></mwg-rs:RegionList></rdf:Description></mwg-rs:Regions>'
        '<MP:RegionInfo><rdf:Description><MPRI:Regions><rdf:Bag>'
        '<rdf:li><rdf:Description MPReg:PersonDisplayName="Anna" MPReg:Rectangle="0.4, 0.3, 0.2, 0.4"/></rdf:li>'
        '<rdf:li><rdf:Description MPReg:PersonDisplayName="Ben" MPReg:Rectangle="0.0, 0.0, 0.1, 0.1"/></rdf:li>'
        '<rdf:li><rdf:Description MPReg:Rectangle="0.7, 0.7, 0.1, 0.1"/></rdf:li>'
        '</rdf:Bag></MPRI:Regions></rdf:Description></MP:RegionInfo>') + TAIL
    regions = read_regions(xmp, "f.xmp")
    # Anna once (MWG; MP's copy is the same face), Ben from MP only; the pet and the unnamed face skipped.
    assert [(r.name, r.origin) for r in regions] == [("Anna", "mwg"), ("Ben", "mp")]
    assert regions[0].box == pytest.approx((0.4, 0.3, 0.6, 0.7))


@pytest.mark.parametrize("bad", [
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><x>&b;</x>',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    "<x:xmpmeta this is not xml",
    "\x00garbage<",
])
def test_hostile_or_broken_packets_are_refused(bad):
    with pytest.raises(XmpError):
        read_regions(bad, "f.xmp")
    with pytest.raises(XmpError):  # and a sidecar holding them is never rewritten
        merge(bad, [], [OwnedRegion("A", (0.1, 0.1, 0.2, 0.2))], (10, 10))


def test_areas_refer_to_the_stored_image_unless_dimensions_say_otherwise():
    # A 400x300 stored photo with orientation 6 is shown 300x400. A face at the stored top-left
    # is shown at the top-right.
    r = Region("Anna", (0.0, 0.0, 0.25, 0.5), "mwg", "f")
    assert to_oriented_box(r, 6, (300, 400)) == pytest.approx((150, 0, 300, 100))
    assert from_oriented_box((150, 0, 300, 100), 6, (300, 400)) == pytest.approx(r.box)
    for o in range(1, 9):
        assert from_oriented_box(to_oriented_box(r, o, (300, 400)), o, (300, 400)) == pytest.approx(r.box)
    # AppliedToDimensions equal to the displayed size of a turned photo: written in displayed space.
    xmp = HEAD + (
        '<mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:AppliedToDimensions stDim:w="300" stDim:h="400" '
        'stDim:unit="pixel"/><mwg-rs:RegionList><rdf:Bag><rdf:li rdf:parseType="Resource">'
        '<mwg-rs:Name>Anna</mwg-rs:Name><mwg-rs:Area stArea:x="0.5" stArea:y="0.5" stArea:w="0.2" '
        'stArea:h="0.2" stArea:unit="normalized"/></rdf:li></rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>') + TAIL
    assert read_regions(xmp, "f", stored_size=(400, 300), orientation=6)[0].displayed
    assert not read_regions(xmp, "f", stored_size=(300, 400), orientation=6)[0].displayed
    assert not read_regions(xmp, "f", stored_size=(400, 300), orientation=1)[0].displayed


def test_merge_keeps_everything_else_and_escapes_names():
    xmp = HEAD + (
        '<mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag><rdf:li rdf:parseType="Resource">'
        '<mwg-rs:Name>Other</mwg-rs:Name><mwg-rs:Type>Face</mwg-rs:Type><mwg-rs:Area stArea:x="0.2" '
        'stArea:y="0.2" stArea:w="0.1" stArea:h="0.1" stArea:unit="normalized"/></rdf:li></rdf:Bag>'
        '</mwg-rs:RegionList></mwg-rs:Regions>') + TAIL
    mine = OwnedRegion('A & <B> "c"', (0.5, 0.5, 0.7, 0.8))
    out, written = merge(xmp, [], [mine, OwnedRegion("other", (0.15, 0.15, 0.25, 0.25))], (100, 100))
    assert written == [mine]  # the same face under the same name is not written twice
    names = [r.name for r in read_regions(out, "f")]
    assert names == ["Other", 'A & <B> "c"']
    assert b'xmp:Rating="3"' in out
    out2, _ = merge(out, [mine], [], (100, 100))
    assert [r.name for r in read_regions(out2, "f")] == ["Other"]


def test_picasa_ini(tmp_path):
    (tmp_path / ".picasa.ini").write_text(
        "[Contacts2]\n8e62398ebda8c1a5=Anna Smith;;\n[IMG_1.JPG]\n"
        "faces=rect64(4000400080008000),8e62398ebda8c1a5;rect64(1000100020002000),ffffffffffffffff;"
        "rect64(c000c000),deadbeefdeadbeef\nbackuphash=1\n")
    regions = PicasaFolder(tmp_path).regions("img_1.jpg")  # file names match case-insensitively
    assert [(r.name, r.origin) for r in regions] == [("Anna Smith", "picasa")]
    assert regions[0].box == pytest.approx((0.25, 0.25, 0.5, 0.5), abs=1e-4)
    # Leading zeros dropped by Picasa: rect64(c000c000) = left 0, top 0, right 0.75, bottom 0.75.
    named = PicasaFolder(tmp_path, {"deadbeefdeadbeef": "Ben"}).regions("IMG_1.JPG")
    assert named[1].name == "Ben" and named[1].box == pytest.approx((0, 0, 0.75, 0.75), abs=1e-4)


def test_migration_from_a_library_without_sources(tmp_path):
    """A library made before this feature: its faces become 'detected'; an imported face that gets
    another person becomes 'detected' again (the trigger)."""
    import sqlite3

    from kinfolk.db.connection import connect
    from kinfolk.db.migrations import MIGRATIONS

    path = tmp_path / "old.sqlite"
    raw = sqlite3.connect(path)
    raw.executescript(MIGRATIONS[0])
    raw.execute("PRAGMA user_version = 1")
    raw.execute("INSERT INTO photos(id, path, size, mtime_ns, status) VALUES (1, '/a.jpg', 1, 1, 'ok')")
    raw.execute("INSERT INTO persons(id, name) VALUES (1, 'Anna'), (2, 'Ben')")
    raw.execute("INSERT INTO faces(id, photo_id, x1, y1, x2, y2, landmarks, score, quality, model_id, "
                "embedding, person_id, state) VALUES (1, 1, 0, 0, 1, 1, x'', 1, 1, 'm', x'', 1, 'confirmed')")
    raw.commit()
    raw.close()
    conn = connect(path)
    assert conn.execute("SELECT source FROM faces WHERE id = 1").fetchone()[0] == "detected"
    conn.execute("UPDATE faces SET source = 'imported' WHERE id = 1")
    conn.execute("UPDATE faces SET state = 'confirmed' WHERE id = 1")  # same person: still imported
    assert conn.execute("SELECT source FROM faces WHERE id = 1").fetchone()[0] == "imported"
    conn.execute("UPDATE faces SET person_id = 2 WHERE id = 1")
    assert conn.execute("SELECT source FROM faces WHERE id = 1").fetchone()[0] == "detected"
    assert conn.execute("SELECT COUNT(*) FROM imported_regions").fetchone()[0] == 0


def test_picasa_contacts_xml(tmp_path):
    from kinfolk.core.metadata.picasa_ini import contacts_from_xml

    (tmp_path / "contacts.xml").write_text(
        '<contacts><contact id="ABCDEF0123456789" name="Carl Nilsson" modified_time="x" '
        'local_contact="1"/></contacts>')
    assert contacts_from_xml(tmp_path / "contacts.xml") == {"abcdef0123456789": "Carl Nilsson"}
    (tmp_path / "evil.xml").write_text(
        '<!DOCTYPE c [<!ENTITY e SYSTEM "file:///etc/passwd">]><contacts><contact id="1" name="&e;"/>'
        '</contacts>')
    assert contacts_from_xml(tmp_path / "evil.xml") == {}


def test_forget_drops_imported_regions_but_not_someone_elses_face(tmp_path):
    from kinfolk.core.people import forget
    from kinfolk.db.connection import connect

    conn = connect(tmp_path / "lib.sqlite")
    conn.execute("INSERT INTO photos(id, path, size, mtime_ns, status) VALUES (1, '/a.jpg', 1, 1, 'ok')")
    conn.execute("INSERT INTO persons(id, name) VALUES (1, 'Anna'), (2, 'Ben')")
    conn.execute("INSERT INTO faces(id, photo_id, x1, y1, x2, y2, landmarks, score, quality, model_id, "
                 "embedding, person_id, state) VALUES (1, 1, 10, 10, 50, 50, x'', 1, 1, 'm', x'', 2, 'confirmed')")
    conn.executemany("INSERT INTO imported_regions(photo_id, name, x1, y1, x2, y2, origin, file, status, "
                     "face_id) VALUES (1, ?, ?, ?, ?, ?, 'mwg', '/a.jpg', ?, ?)",
                     [("Anna", 10, 10, 50, 50, "conflict", 1), ("anna", 200, 200, 240, 240, "unmatched", None),
                      ("Carl", 300, 300, 340, 340, "unmatched", None)])
    conn.commit()
    forget.forget(conn, forget.plan(conn, "Anna"))
    assert [r[0] for r in conn.execute("SELECT name FROM imported_regions")] == ["Carl"]
    # Only the unmatched region's box is remembered; Ben's face (under the conflicting one) is not.
    assert [tuple(r) for r in conn.execute("SELECT x1, y1, x2, y2 FROM forgotten_faces")] == [(200, 200, 240, 240)]
    assert conn.execute("SELECT person_id FROM faces WHERE id = 1").fetchone()[0] == 2
