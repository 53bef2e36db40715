"""Write the names of confirmed faces into XMP sidecars (MWG + Microsoft regions), never the photos.

Contract:
- Only *confirmed* faces are written (named by the user, or imported from metadata); automatic
  matches are Kinfolk's guesses and other tools would take them as facts.
- A sidecar that exists is merged into (``core.xmp_regions.merge``): only the regions Kinfolk wrote
  there before (recorded in ``xmp_sidecars``) are replaced; everything else survives. A sidecar that
  cannot be parsed is left alone and reported.
- Files are replaced atomically (temp file in the same folder, fsync, ``os.replace``), so a crash
  leaves either the old or the new sidecar, never half of one. Unchanged content is not rewritten.
- ``forget_person`` removes a forgotten person's regions from every sidecar Kinfolk wrote.
- The library setting ``xmp.sync_sidecars`` ("1") asks the app to keep sidecars in sync after edits
  (``sync_after_edit``); ``xmp.sidecar_naming`` is ``ext`` (photo.jpg.xmp) or ``replace`` (photo.xmp).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from kinfolk.db import faces as db_faces
from kinfolk.db import people as db_people
from kinfolk.db import photos as db_photos
from kinfolk.db import sidecars as db_sidecars
from kinfolk.db.connection import transaction
from kinfolk.db.settings import get_setting, set_setting
from kinfolk.core.imaging.imageio import ImageLoadError
from kinfolk.core.people.edits import resolve_person
from kinfolk.core.metadata.photo_regions import read_header, read_sidecar, sidecar_path
from kinfolk.core.metadata.regions import from_oriented_box, iou
from kinfolk.core.metadata.xmp_regions import OwnedRegion, XmpError, has_content, merge, parse

log = logging.getLogger(__name__)

SYNC_SETTING = "xmp.sync_sidecars"
NAMING_SETTING = "xmp.sidecar_naming"
NAMINGS = ("ext", "replace")


def sync_enabled(conn: sqlite3.Connection) -> bool:
    return get_setting(conn, SYNC_SETTING, "0") == "1"


def sidecar_naming(conn: sqlite3.Connection) -> str:
    v = get_setting(conn, NAMING_SETTING, "ext")
    return v if v in NAMINGS else "ext"


def set_sync(conn: sqlite3.Connection, enabled: bool, naming: str | None = None) -> None:
    with transaction(conn):
        set_setting(conn, SYNC_SETTING, "1" if enabled else "0")
        if naming is not None:
            if naming not in NAMINGS:
                raise ValueError(f"sidecar naming must be one of {NAMINGS}")
            set_setting(conn, NAMING_SETTING, naming)


@dataclass
class WriteReport:
    written: list[dict[str, Any]] = field(default_factory=list)  # {photo, sidecar, names}
    unchanged: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {photo, sidecar, reason}
    errors: list[dict[str, Any]] = field(default_factory=list)  # {photo, sidecar, message}

    def summary(self) -> str:
        return (f"{len(self.written)} sidecar(s) written, {self.unchanged} already up to date"
                + (f", {len(self.skipped)} skipped" if self.skipped else "")
                + (f", {len(self.errors)} could not be written" if self.errors else ""))

    def to_json(self) -> dict[str, Any]:
        return {"written": self.written, "unchanged": self.unchanged, "skipped": self.skipped,
                "errors": self.errors}


def _owned(conn: sqlite3.Connection, path: str) -> list[OwnedRegion]:
    record = db_sidecars.sidecar(conn, path)
    return [OwnedRegion.from_json(v) for v in record.regions] if record else []


def _record(conn: sqlite3.Connection, path: str, photo_id: int | None, owned: list[OwnedRegion],
            created: bool) -> None:
    with transaction(conn):
        db_sidecars.record(conn, path, photo_id, [o.to_json() for o in owned], created)


def atomic_write(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, keeping the old file's permissions."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        except FileNotFoundError:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _rewrite(conn: sqlite3.Connection, photo_id: int | None, photo: str, sidecar: str,
             remove: list[OwnedRegion], add: list[OwnedRegion], keep: list[OwnedRegion],
             stored_size: tuple[int, int], orientation: int, report: WriteReport) -> None:
    """Merge one sidecar and record what Kinfolk owns in it afterwards."""
    exists = os.path.exists(sidecar)
    record = db_sidecars.sidecar(conn, sidecar)
    created = (not exists) or bool(record and record.created)
    try:
        old = read_sidecar(sidecar) if exists else None
        new, written = merge(old, remove, add, stored_size, orientation)
    except (OSError, XmpError) as exc:
        report.errors.append({"photo": photo, "sidecar": sidecar,
                              "message": f"left as it is: {exc}"})
        return
    root, _ = parse(new)
    try:
        if not has_content(root) and created:
            if exists:
                os.unlink(sidecar)  # Kinfolk made it and nothing is left in it
        elif old is None and not written:
            pass  # nothing to say: never create an empty sidecar
        elif old is not None and _same(old, new):
            report.unchanged += 1
        else:
            atomic_write(sidecar, new)
            report.written.append({"photo": photo, "sidecar": sidecar,
                                   "names": [o.name for o in keep + written]})
    except OSError as exc:
        report.errors.append({"photo": photo, "sidecar": sidecar, "message": str(exc)})
        return
    _record(conn, sidecar, photo_id, keep + written, created)


def _same(old: bytes, new: bytes) -> bool:
    return old.strip() == new.strip()


def write_sidecars(conn: sqlite3.Connection, person: str | int | None = None, naming: str = "ext",
                   photo_ids: Iterable[int] | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   cancelled: Callable[[], bool] | None = None) -> WriteReport:
    """Write the regions of confirmed named faces into sidecars (``naming``: ext | replace).

    ``person``: only that person's regions are added or updated (others Kinfolk wrote stay as they
    are). ``photo_ids``: only those photos. Default: every photo with a confirmed named face, and
    every photo whose sidecar holds regions Kinfolk wrote before (so removed names disappear)."""
    if naming not in NAMINGS:
        raise ValueError(f"sidecar naming must be one of {NAMINGS}")
    pid = resolve_person(conn, person) if person is not None else None
    pname = db_people.person_name(conn, pid) if pid else None
    if photo_ids is not None:
        ids = sorted(set(photo_ids))
    else:
        ids = db_sidecars.photos_to_write(conn, pid)
    report = WriteReport()
    used: dict[str, str] = {}
    for n, photo_id in enumerate(ids):
        if cancelled and cancelled():
            break
        if progress:
            progress(n, len(ids))
        photo = db_photos.photo_path(conn, photo_id, readable_only=True)
        if photo is None:
            continue
        sidecar = sidecar_path(photo, naming)
        if sidecar in used and used[sidecar] != photo:
            report.skipped.append({"photo": photo, "sidecar": sidecar,
                                   "reason": f"the sidecar is shared with {used[sidecar]}"})
            continue
        used[sidecar] = photo
        faces = db_faces.confirmed_in_photo(conn, photo_id)
        if pid is not None:
            faces = [f for f in faces if f.person_id == pid]
        owned = _owned(conn, sidecar)
        if not faces and not owned:
            continue
        try:
            header = read_header(photo)
        except ImageLoadError as exc:
            report.skipped.append({"photo": photo, "sidecar": sidecar, "reason": str(exc)})
            continue
        desired = [OwnedRegion(str(f.name), from_oriented_box(f.box, header.orientation,
                                                              header.oriented_size)) for f in faces]
        if pid is None:
            keep: list[OwnedRegion] = []
        else:
            assert pname is not None  # read above whenever pid is given
            keep = [o for o in owned if o.name.casefold() != pname.casefold()
                    and not any(iou(o.box, d.box) >= 0.5 for d in desired)]
        remove = [o for o in owned if o not in keep]
        _rewrite(conn, photo_id, photo, sidecar, remove, desired, keep, header.stored_size,
                 header.orientation, report)
    if progress:
        progress(len(ids), len(ids))
    return report


def forget_person(conn: sqlite3.Connection, name: str) -> list[dict[str, str]]:
    """Remove ``name``'s regions from every sidecar Kinfolk wrote. Returns the failures
    ({sidecar, message}); the caller tells the user which files still hold the name."""
    failures: list[dict[str, str]] = []
    folded = name.casefold()
    for path, photo_id, regions, _created in db_sidecars.sidecars(conn):
        owned = [OwnedRegion.from_json(v) for v in regions]
        gone = [o for o in owned if o.name.casefold() == folded]
        if not gone:
            continue
        keep = [o for o in owned if o not in gone]
        if not os.path.exists(path):
            _record(conn, path, photo_id, keep, False)
            continue
        report = WriteReport()
        try:
            h = read_header(_photo_path(conn, photo_id, path))
            size, orientation = h.stored_size, h.orientation
        except ImageLoadError:
            size, orientation = (0, 0), 1  # only needed when adding regions
        _rewrite(conn, photo_id, path, path, gone, [], keep, size, orientation, report)
        failures += [{"sidecar": e["sidecar"], "message": e["message"]} for e in report.errors]
    return failures


def _photo_path(conn: sqlite3.Connection, photo_id: int | None, sidecar: str) -> str:
    path = db_photos.photo_path(conn, photo_id) if photo_id else None
    return path or sidecar


def sync_after_edit(conn: sqlite3.Connection, face_ids: Iterable[int] = (),
                    person_ids: Iterable[int] = (), old_names: Iterable[str] = ()) -> WriteReport | None:
    """If the user asked for it (``xmp.sync_sidecars``), rewrite the sidecars of the photos an edit
    touched: the photos of ``face_ids`` and of every face of ``person_ids`` (a rename or merge), plus
    photos whose Kinfolk regions carry one of ``old_names`` (the names before the edit). None when
    sync is off."""
    if not sync_enabled(conn):
        return None
    ids = db_faces.photo_ids_of_faces(conn, face_ids)
    for p in person_ids:
        ids |= db_faces.photo_ids_of_person(conn, p)
    folded = {n.casefold() for n in old_names}
    if folded:  # a renamed or merged person: sidecars still holding the old name
        ids |= {s.photo_id for s in db_sidecars.sidecars(conn) if s.photo_id is not None
                and any(str(r[0]).casefold() in folded for r in s.regions)}
    if not ids:
        return WriteReport()
    return write_sidecars(conn, naming=sidecar_naming(conn), photo_ids=ids)
