"""Import names from photo metadata: named regions become confirmed faces of people.

For each photo, the regions of ``core.photo_regions`` are put in Kinfolk's space and paired one to
one with the photo's detected faces, best overlap first, when IoU ≥ ``MATCH_IOU`` (0.3: a region
drawn by a person or another detector is usually looser than Kinfolk's tight box — digiKam and
Picasa boxes include hair and chin — so 0.5 would miss true pairs, while two different faces in one
photo almost never overlap by 0.3). Then, per pair:
- unassigned face, or an automatic match (Kinfolk's guess, not the user's decision) → the face
  becomes a *confirmed* face of the named person (created if needed) through ``core.people``, so
  matching and suggestions use it like a name typed in the app; ``faces.source = 'imported'``;
- the face already has that person → nothing to do ("agreed");
- the user confirmed another person, said "not this person", or hid the face as a stranger, or the
  person already has another face in the photo → nothing changes: a *conflict*, listed.
A region with no face under it is *unmatched*: kept in ``imported_regions`` and listed, not lost.
A region on the box of a forgotten face is skipped (forgetting is final; its name is not reported),
and so is a region Kinfolk itself wrote into a sidecar (``xmp_sidecars``): it tells nothing new, and
reading it back would undo a later "Remove" made while sidecar sync was off.
Importing again is idempotent: each photo's ``imported_regions`` rows are replaced.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from kinfolk.db import faces as db_faces
from kinfolk.db import forgotten as db_forgotten
from kinfolk.db import people as db_people
from kinfolk.db import photos as db_photos
from kinfolk.db import regions as db_regions
from kinfolk.db import sidecars as db_sidecars
from kinfolk.db.connection import transaction
from kinfolk.db.regions import NewRegion
from kinfolk.core.people import edits
from kinfolk.core.imaging.imageio import ImageLoadError
from kinfolk.core.metadata.photo_regions import PhotoHeader, photo_regions, read_header
from kinfolk.core.metadata.picasa_ini import PicasaFolder
from kinfolk.core.metadata.regions import Box, Region, iou, to_oriented_box
from kinfolk.core.metadata.xmp_regions import OwnedRegion

log = logging.getLogger(__name__)

MATCH_IOU = 0.3
FORGOTTEN_IOU = 0.3


@dataclass
class ImportReport:
    """What an import did; ``to_json()`` is the ``kinfolk xmp import --json`` contract."""

    photos: int = 0  # photos looked at
    photos_with_regions: int = 0
    named: list[dict[str, Any]] = field(default_factory=list)  # faces that got a person from metadata
    agreed: int = 0  # regions that said what Kinfolk already knew
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    forgotten: int = 0  # regions skipped because they lie on a forgotten face
    errors: list[dict[str, Any]] = field(default_factory=list)  # unreadable metadata (file, message)

    def merge(self, other: "ImportReport") -> None:
        self.photos += other.photos
        self.photos_with_regions += other.photos_with_regions
        self.named += other.named
        self.agreed += other.agreed
        self.unmatched += other.unmatched
        self.conflicts += other.conflicts
        self.forgotten += other.forgotten
        self.errors += other.errors

    @property
    def people(self) -> list[str]:
        return sorted({n["name"] for n in self.named}, key=str.casefold)

    def summary(self) -> str:
        return (f"{len(self.named)} face(s) named from photo metadata ({len(self.people)} people), "
                f"{self.agreed} already known, {len(self.unmatched)} region(s) without a detected "
                f"face, {len(self.conflicts)} conflict(s) with your own decisions"
                + (f", {len(self.errors)} unreadable metadata file(s)" if self.errors else ""))

    def to_json(self) -> dict[str, Any]:
        return {"photos": self.photos, "photos_with_regions": self.photos_with_regions,
                "named": self.named, "agreed": self.agreed, "unmatched": self.unmatched,
                "conflicts": self.conflicts, "forgotten": self.forgotten, "errors": self.errors,
                "people": self.people}


def _pairs(region_boxes: Sequence[Box], face_boxes: Sequence[Box]) -> tuple[dict[int, int], dict[int, float]]:
    """Greedy one-to-one pairing by IoU (best first). region index → face index, and its IoU."""
    cands = sorted(((iou(r, f), i, j) for i, r in enumerate(region_boxes)
                    for j, f in enumerate(face_boxes)), reverse=True)
    taken_r, taken_f, out, score = set(), set(), {}, {}
    for v, i, j in cands:
        if v < MATCH_IOU:
            break
        if i in taken_r or j in taken_f:
            continue
        taken_r.add(i)
        taken_f.add(j)
        out[i], score[i] = j, v
    return out, score


def import_photo(conn: sqlite3.Connection, photo_id: int, path: str, header: PhotoHeader,
                 picasa: PicasaFolder | None = None) -> ImportReport:
    rep = ImportReport(photos=1)
    found = photo_regions(path, header, picasa)
    rep.errors += [{"photo": path, "file": f, "message": m} for f, m in found.errors]
    if not found.regions:
        with transaction(conn):
            db_regions.replace_regions(conn, photo_id)
        return rep
    rep.photos_with_regions = 1
    size = header.oriented_size
    forgotten = db_forgotten.forgotten_boxes(conn, photo_id)
    owned: dict[str, list[OwnedRegion]] = {}
    for file in {r.file for r in found.regions}:
        record = db_sidecars.sidecar(conn, file)
        owned[file] = [OwnedRegion.from_json(v) for v in record.regions] if record else []
    regions, boxes = [], []
    for r in found.regions:
        if any(o.matches(r.name, r.box) for o in owned[r.file]):
            continue
        box = to_oriented_box(r, header.orientation, size)
        if any(iou(box, f) >= FORGOTTEN_IOU for f in forgotten):
            rep.forgotten += 1
            continue
        regions.append(r)
        boxes.append(box)
    faces = db_faces.named_faces_in_photo(conn, photo_id)
    pairs, overlap = _pairs(boxes, [f.box for f in faces])
    rows: list[tuple[Region, Box, str, int | None, str | None]] = []  # imported_regions rows
    for i, (r, box) in enumerate(zip(regions, boxes)):
        item: dict[str, object] = {"photo": path, "name": r.name, "origin": r.origin, "file": r.file,
                "box": [round(v, 1) for v in box]}
        if i not in pairs:
            rep.unmatched.append(item)
            rows.append((r, box, "unmatched", None, None))
            continue
        face = faces[pairs[i]]
        fid, pid, state, current = face.id, face.person_id, face.state, face.name
        item.update(face=fid, iou=round(overlap[i], 3))
        verdict = _decide(conn, fid, photo_id, pid, state, current, r.name)
        if verdict == "agreed":
            rep.agreed += 1
        elif verdict in ("assign", "replace"):
            change = edits.name_faces(conn, [fid], r.name)
            now = db_faces.person_of(conn, fid)
            if now != change.result:  # refused by people's rules after all: report, never force
                change.undo(conn)
                reason = f"{r.name} could not be given this face"
                item["reason"] = reason
                rep.conflicts.append(item)
                rows.append((r, box, "conflict", fid, reason))
                continue
            with transaction(conn):
                db_faces.mark_imported(conn, fid)
            if verdict == "replace" and current and current.casefold() != r.name.casefold():
                item["replaced_automatic_match"] = current
            rep.named.append(item)
        else:
            item["reason"] = verdict
            if current and current.casefold() != r.name.casefold():
                item["kinfolk_name"] = current
            rep.conflicts.append(item)
            rows.append((r, box, "conflict", fid, verdict))
    with transaction(conn):
        db_regions.replace_regions(conn, photo_id, [
            NewRegion(r.name, box, r.origin, r.file, status, fid, detail)
            for r, box, status, fid, detail in rows])
    return rep


def _decide(conn: sqlite3.Connection, face_id: int, photo_id: int, person_id: int | None,
            state: str, current: str | None, name: str) -> str:
    """'agreed', 'assign', 'replace' (an automatic match) or the reason for a conflict."""
    target = edits.person_by_name(conn, name)
    if person_id is not None and target == person_id:
        return "agreed" if state == "confirmed" else "replace"
    if state == "confirmed":
        return f"you named this face {current}"
    if state == "ignored":
        return "you hid this face as a stranger"
    if target is not None:
        if db_people.is_rejected(conn, face_id, target):
            return f"you said this face is not {name}"
        if db_faces.other_face_of_in_photo(conn, photo_id, target, face_id):
            return f"{name} already has another face in this photo"
    return "replace" if state == "auto" else "assign"


def import_regions(conn: sqlite3.Connection, photo_ids: Iterable[int] | None = None,
                   picasa_contacts: dict[str, str] | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   cancelled: Callable[[], bool] | None = None) -> ImportReport:
    """Import names from the metadata of ``photo_ids`` (default: every photo scanned without error).
    Safe to run again at any time. Metadata that cannot be read is reported, never fatal."""
    rows = db_photos.readable_photos(conn, photo_ids)
    report = ImportReport()
    folders: dict[str, PicasaFolder] = {}
    for n, (pid, path) in enumerate(rows):
        if cancelled and cancelled():
            break
        folder = os.path.dirname(path)
        if folder not in folders:
            folders[folder] = PicasaFolder(folder, picasa_contacts)
        picasa = folders[folder] if folders[folder].photos else None
        try:
            header = read_header(path)
        except ImageLoadError as exc:
            if exc.reason != "missing":
                report.errors.append({"photo": path, "file": path, "message": str(exc)})
            continue
        try:
            report.merge(import_photo(conn, pid, path, header, picasa))
        except sqlite3.Error:
            raise
        except Exception as exc:  # a bug on one odd file must not stop the others
            log.exception("importing regions of %s failed", path)
            report.errors.append({"photo": path, "file": path, "message": f"{type(exc).__name__}: {exc}"})
        if progress:
            progress(n + 1, len(rows))
    return report
