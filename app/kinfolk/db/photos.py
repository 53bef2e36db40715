"""Photos (``photos``): what the scan writes for each file, and the reads that list photos.

Callers pass an open connection (``connection.connect``) and, for writes, wrap calls in
``connection.transaction`` where several must land together. A scanned photo is written with its
faces and crops (``write_photo``): embeddings are float32 blobs with the id of the model that made
them. File names are bound losslessly (``binding.fs_text``).

Nothing is deleted because a file is missing: ``mark_missing`` flags it; only ``delete_photos``
(the user's explicit removal) deletes, and faces, crops and suggestions cascade.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from typing import Iterable, Iterator, NamedTuple, Sequence

import numpy as np
import numpy.typing as npt

from kinfolk.db.binding import chunks, each_chunk, fs_text, marks, under
from kinfolk.db.connection import inserted_id


@dataclass
class FaceRecord:
    """One face as the scanner found it, in full-size oriented pixel coordinates."""

    box: Sequence[float]  # x1, y1, x2, y2
    landmarks: npt.NDArray[np.float32]  # (5, 2)
    score: float
    quality: float
    embedding: npt.NDArray[np.float32]  # (d,), unit norm
    thumbnail: bytes | None = None


@dataclass
class PhotoRecord:
    """The outcome of scanning one file: its identity on disk, metadata, and faces or an error."""

    path: str
    size: int
    mtime_ns: int
    hash: str | None = None
    status: str = "ok"  # 'ok' | 'error'
    error_reason: str | None = None
    error: str | None = None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    taken_at: str | None = None
    taken_at_source: str | None = None
    scan_model: str | None = None
    faces: list[FaceRecord] = field(default_factory=list)


@dataclass(frozen=True)
class IndexedPhoto:
    """A photo as the scan's walk compares it with the file on disk."""

    id: int
    path: str
    size: int
    mtime_ns: int
    hash: str | None
    status: str
    scan_model: str | None
    error_reason: str | None = None
    missing: bool = False  # not found at the last scan of its (present) folder


def _indexed_photo(r: sqlite3.Row) -> IndexedPhoto:
    """An ``IndexedPhoto`` from a row of ``_INDEXED``."""
    return IndexedPhoto(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]))


_INDEXED = ("SELECT id, path, size, mtime_ns, hash, status, scan_model, error_reason, "
            "missing_since IS NOT NULL FROM photos")


# ------------------------------------------------------------------------------- the scan's walk

def indexed_photos(conn: sqlite3.Connection, roots: Iterable[str]) -> dict[str, IndexedPhoto]:
    """Every indexed photo under any of ``roots`` (absolute paths), keyed by path."""
    out: dict[str, IndexedPhoto] = {}
    for root in roots:
        cond, params = under("path", root)
        for r in conn.execute(f"{_INDEXED} WHERE {cond}", params):
            out[r[1]] = _indexed_photo(r)
    return out


def missing_photos(conn: sqlite3.Connection) -> list[IndexedPhoto]:
    """Every photo marked missing, anywhere in the library (candidates for a move)."""
    return [_indexed_photo(r)
            for r in conn.execute(f"{_INDEXED} WHERE missing_since IS NOT NULL")]


def find_by_hash(conn: sqlite3.Connection, digest: str) -> list[IndexedPhoto]:
    """Photos whose content hash is ``digest``."""
    return [_indexed_photo(r)
            for r in conn.execute(f"{_INDEXED} WHERE hash = ?", (digest,))]


def mark_missing(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """Photos not found in their (present) folder: kept with their faces, flagged until they return
    or the user removes them (:func:`delete_photos`)."""
    each_chunk(conn, "UPDATE photos SET missing_since = datetime('now') "
                     "WHERE missing_since IS NULL AND id IN ({})", ids)


def mark_present(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """Photos found again: no longer missing."""
    each_chunk(conn, "UPDATE photos SET missing_since = NULL WHERE id IN ({})", ids)


def move_photo(conn: sqlite3.Connection, photo_id: int, path: str, size: int, mtime_ns: int) -> None:
    """A file that moved keeps its faces, names and decisions: only its path changes."""
    conn.execute("UPDATE photos SET path = CAST(? AS TEXT), size = ?, mtime_ns = ?, "
                 "missing_since = NULL WHERE id = ?", (fs_text(path), size, mtime_ns, photo_id))


def touch_photo(conn: sqlite3.Connection, photo_id: int, size: int, mtime_ns: int) -> None:
    """Same content, new mtime (e.g. copied back): record the new stat so it isn't hashed again."""
    conn.execute("UPDATE photos SET size = ?, mtime_ns = ?, missing_since = NULL WHERE id = ?",
                 (size, mtime_ns, photo_id))


def delete_photos(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """Delete photos (faces, thumbnails and suggestions cascade). Call inside ``transaction``."""
    each_chunk(conn, "DELETE FROM photos WHERE id IN ({})", ids)


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def write_photo(conn: sqlite3.Connection, rec: PhotoRecord) -> int:
    """Insert or replace one scanned photo and its faces. Call inside ``transaction``.

    An error record for a photo already indexed keeps its faces (see below).
    A re-scanned photo (content changed, or another model) gets fresh faces; a new face that lands on
    an old face's box (IoU ≥ 0.5) inherits its person and state, so edits don't lose names (and stays
    its person's cover if the old face was, so the card does not change). Faces on
    the box of a forgotten face (of this photo row, or of any photo with the same content hash) are
    not stored at all: neither a rescan nor a copy of the file brings a forgotten person back; nor
    are faces on a box the user said is not a face (``not_faces``).
    """
    row = conn.execute("SELECT id FROM photos WHERE path = CAST(? AS TEXT)",
                       (fs_text(rec.path),)).fetchone()
    values = (rec.size, rec.mtime_ns, rec.hash, rec.width, rec.height, rec.format, rec.taken_at,
              rec.taken_at_source, rec.status, rec.error_reason, rec.error, rec.scan_model)
    if row is None:
        cur = conn.execute(
            "INSERT INTO photos(size, mtime_ns, hash, width, height, format, taken_at, "
            "taken_at_source, status, error_reason, error, scan_model, path) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,CAST(? AS TEXT))", values + (fs_text(rec.path),))
        photo_id = inserted_id(cur)
        old_faces: list[sqlite3.Row] = []
    elif rec.status == "error":
        # A photo that was read before and cannot be read now (damaged copy, permissions, a link
        # to an unplugged drive) keeps the faces, names and content hash it had: the error is
        # recorded, and when the file is fixed the rescan's faces inherit the names (IoU below).
        photo_id = int(row[0])
        conn.execute("UPDATE photos SET size=?, mtime_ns=?, status='error', error_reason=?, error=?, "
                     "scanned_at=datetime('now'), missing_since=NULL WHERE id=?",
                     (rec.size, rec.mtime_ns, rec.error_reason, rec.error, photo_id))
        return photo_id
    else:
        photo_id = int(row[0])
        conn.execute(
            "UPDATE photos SET size=?, mtime_ns=?, hash=?, width=?, height=?, format=?, taken_at=?, "
            "taken_at_source=?, status=?, error_reason=?, error=?, scan_model=?, "
            "scanned_at=datetime('now'), missing_since=NULL WHERE id=?", values + (photo_id,))
        old_faces = conn.execute(  # is_cover: the card face of its person, which stays on the box
            "SELECT x1, y1, x2, y2, person_id, state, EXISTS (SELECT 1 FROM persons ps WHERE "
            "ps.id = faces.person_id AND ps.cover_face_id = faces.id) AS is_cover FROM faces "
            "WHERE photo_id = ? AND person_id IS NOT NULL", (photo_id,)).fetchall()
        conn.execute("DELETE FROM faces WHERE photo_id = ?", (photo_id,))
    forgotten = conn.execute(
        "SELECT x1, y1, x2, y2 FROM forgotten_faces WHERE photo_id = ? OR photo_hash = ? UNION ALL "
        "SELECT x1, y1, x2, y2 FROM not_faces WHERE photo_id = ?",
        (photo_id, rec.hash, photo_id)).fetchall() if rec.faces else []
    for face in rec.faces:
        box = [float(v) for v in face.box]
        if any(_iou(box, tuple(f)) >= 0.5 for f in forgotten):
            continue
        person_id, state, is_cover = None, "unassigned", False
        for old in old_faces:
            if _iou(box, tuple(old)[:4]) >= 0.5:
                person_id, state, is_cover = old["person_id"], old["state"], bool(old["is_cover"])
                break
        cur = conn.execute(
            "INSERT INTO faces(photo_id, x1, y1, x2, y2, landmarks, score, quality, model_id, "
            "embedding, person_id, state) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (photo_id, *box, np.asarray(face.landmarks, np.float32).tobytes(), float(face.score),
             float(face.quality), rec.scan_model, np.asarray(face.embedding, np.float32).tobytes(),
             person_id, state))
        if face.thumbnail:
            conn.execute("INSERT INTO thumbnails(face_id, jpeg) VALUES (?, ?)",
                         (cur.lastrowid, face.thumbnail))
        if is_cover:
            conn.execute("UPDATE persons SET cover_face_id = ? WHERE id = ?", (cur.lastrowid, person_id))
    return photo_id


# ----------------------------------------------------------------------------------------- reads

def photos(conn: sqlite3.Connection) -> Iterator[sqlite3.Row]:
    """Every photo row (all columns) with its face count (``faces``) and ``offline`` (1 when it lies
    in a library folder that was offline at the last scan), by path. For listings (``kinfolk
    photos``); ``presence`` reads its state."""
    return conn.execute(
        "SELECT p.*, (SELECT COUNT(*) FROM faces f WHERE f.photo_id = p.id) AS faces, "
        "EXISTS (SELECT 1 FROM folders fo WHERE fo.offline_since IS NOT NULL AND "
        " p.path >= fo.path || ? AND p.path < fo.path || ?) AS offline "
        "FROM photos p ORDER BY p.path", (os.sep, chr(ord(os.sep) + 1)))


def presence(row: sqlite3.Row) -> str:
    """A ``photos()`` row's state for people: 'ok' | 'error' (could not be read) | 'missing' (not
    found at the last scan; faces kept) | 'offline' (its folder could not be read; untouched)."""
    if row["missing_since"]:
        return "missing"
    if row["offline"]:
        return "offline"
    return str(row["status"])


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many photos, unreadable photos, missing photos, faces and people the library holds."""
    def one(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    return {
        "photos": one("SELECT COUNT(*) FROM photos"),
        "errors": one("SELECT COUNT(*) FROM photos WHERE status = 'error' AND missing_since IS NULL"),
        "missing": one("SELECT COUNT(*) FROM photos WHERE missing_since IS NOT NULL"),
        "faces": one("SELECT COUNT(*) FROM faces"),
        "persons": one("SELECT COUNT(*) FROM persons"),
    }


def error_photos(conn: sqlite3.Connection, limit: int = 10000) -> list[tuple[str, str, str]]:
    """(path, reason code, message) of photos that could not be read, by path."""
    return [(r[0], r[1] or "", r[2] or "") for r in conn.execute(
        "SELECT path, error_reason, error FROM photos WHERE status = 'error' "
        "AND missing_since IS NULL ORDER BY path LIMIT ?",
        (limit,))]


@dataclass(frozen=True)
class PhotoInfo:
    """A photo as the viewer needs it; ``width``/``height`` are the full-size oriented pixels the
    face boxes are measured in (None if the photo was never read)."""

    id: int
    path: str
    width: int | None
    height: int | None
    taken_at: str | None


def photo_info(conn: sqlite3.Connection, photo_id: int) -> PhotoInfo | None:
    """The photo ``photo_id``, or None if it is not in the library."""
    r = conn.execute("SELECT id, path, width, height, taken_at FROM photos WHERE id = ?",
                     (photo_id,)).fetchone()
    return PhotoInfo(r[0], r[1], r[2], r[3], r[4]) if r else None


class ReadablePhoto(NamedTuple):
    """A photo that was read without error: its file, full-size oriented pixels and scan model."""

    path: str
    width: int | None
    height: int | None
    scan_model: str | None


def readable_photo(conn: sqlite3.Connection, photo_id: int) -> ReadablePhoto | None:
    """The photo ``photo_id`` if it is in the library and was read without error, else None."""
    r = conn.execute("SELECT path, width, height, scan_model FROM photos WHERE id = ? AND "
                     "status = 'ok'", (photo_id,)).fetchone()
    return ReadablePhoto(r[0], r[1], r[2], r[3]) if r else None


def photo_path(conn: sqlite3.Connection, photo_id: int, readable_only: bool = False) -> str | None:
    """The file of photo ``photo_id`` (None if unknown, or, with ``readable_only``, not read
    without error)."""
    r = conn.execute("SELECT path, status FROM photos WHERE id = ?", (photo_id,)).fetchone()
    if r is None or (readable_only and r[1] != "ok"):
        return None
    return str(r[0])


def photo_id_at(conn: sqlite3.Connection, path: str) -> int | None:
    """The id of the photo stored at ``path``, if any."""
    r = conn.execute("SELECT id FROM photos WHERE path = CAST(? AS TEXT)", (fs_text(path),)).fetchone()
    return int(r[0]) if r else None


def readable_photos(conn: sqlite3.Connection,
                    photo_ids: Iterable[int] | None = None) -> list[tuple[int, str]]:
    """(id, path) of the photos read without error (only ``photo_ids`` when given), by path (per
    chunk of ids)."""
    if photo_ids is None:
        return [(r[0], r[1]) for r in conn.execute(
            "SELECT id, path FROM photos WHERE status = 'ok' ORDER BY path")]
    rows: list[tuple[int, str]] = []
    for chunk in chunks(photo_ids):
        rows += [(r[0], r[1]) for r in conn.execute(
            f"SELECT id, path FROM photos WHERE status = 'ok' AND id IN ({marks(chunk)}) "
            "ORDER BY path", chunk)]
    return rows


def taken_at_sources(conn: sqlite3.Connection, photo_ids: Iterable[int]) -> dict[int, str | None]:
    """{photo id: where its capture date came from ('exif', 'xmp', 'filename', 'mtime', None)}."""
    out: dict[int, str | None] = {}
    for chunk in chunks(photo_ids):
        out.update((r[0], r[1]) for r in conn.execute(
            f"SELECT id, taken_at_source FROM photos WHERE id IN ({marks(chunk)})", chunk))
    return out


def photos_of_person(conn: sqlite3.Connection, person_id: int) -> list[tuple[int, str, str | None]]:
    """(photo id, path, taken_at) of every photo the person is in, oldest first (undated last)."""
    return [(r[0], r[1], r[2]) for r in conn.execute(
        "SELECT p.id, p.path, p.taken_at FROM photos p WHERE p.id IN "
        "(SELECT photo_id FROM faces WHERE person_id = ?) "
        "ORDER BY p.taken_at IS NULL, p.taken_at, p.path", (person_id,))]


def faces_at_path(conn: sqlite3.Connection, path: str) -> int:
    """How many faces the photo stored at ``path`` has (0 if there is no such photo)."""
    return int(conn.execute("SELECT COUNT(*) FROM faces f JOIN photos p ON p.id = f.photo_id "
                            "WHERE p.path = ?", (path,)).fetchone()[0])


# ---------------------------------------------------------------------- removing missing photos

def missing_under(conn: sqlite3.Connection, folder: str | None = None) -> list[tuple[int, str]]:
    """(id, path) of the photos marked missing (under ``folder`` if given), by path."""
    where = "p.missing_since IS NOT NULL"
    params: list[str | bytes] = []
    if folder:
        cond, params = under("p.path", folder)
        where += f" AND {cond}"
    return [(r[0], r[1]) for r in conn.execute(
        f"SELECT p.id, p.path FROM photos p WHERE {where} ORDER BY p.path", params)]


def face_count(conn: sqlite3.Connection, photo_ids: Sequence[int]) -> int:
    """How many faces the photos ``photo_ids`` hold."""
    return sum(int(conn.execute(f"SELECT COUNT(*) FROM faces WHERE photo_id IN ({marks(chunk)})",
                                chunk).fetchone()[0]) for chunk in chunks(photo_ids))


def named_face_counts(conn: sqlite3.Connection, photo_ids: Sequence[int]) -> dict[str, int]:
    """{person name: how many of their faces the photos ``photo_ids`` hold}."""
    named: dict[str, int] = {}
    for chunk in chunks(photo_ids):
        for name, n in conn.execute(
                f"SELECT ps.name, COUNT(*) FROM faces f JOIN persons ps ON ps.id = f.person_id "
                f"WHERE f.photo_id IN ({marks(chunk)}) GROUP BY ps.name", chunk):
            named[name] = named.get(name, 0) + n
    return named


def still_missing(conn: sqlite3.Connection, photo_ids: Sequence[int]) -> list[int]:
    """Those of ``photo_ids`` that are still marked missing."""
    out: list[int] = []
    for chunk in chunks(photo_ids):
        out += [int(r[0]) for r in conn.execute(
            f"SELECT id FROM photos WHERE missing_since IS NOT NULL AND id IN ({marks(chunk)})", chunk)]
    return out


# ---------------------------------------------------------------------------------------- search

class FoundPhoto(NamedTuple):
    """A photo found by ``search``: the names of the people recognized in it, sorted."""

    id: int
    path: str
    taken_at: str | None
    people: list[str]


def search(conn: sqlite3.Connection, *, with_people: Sequence[int] = (), any_of: bool = False,
           without: Sequence[int] = (), only: bool = False, date_from: str | None = None,
           date_to: str | None = None, folder: str | None = None) -> list[FoundPhoto]:
    """Photos read without error and not missing, newest first: with all (``any_of``: at least one)
    of the people ``with_people`` (``only``: and no other recognized person), none of ``without``,
    taken in ``date_from``..``date_to`` (ISO dates, inclusive; a date that is only the file's time
    matches no range), under ``folder`` (absolute)."""
    where = ["p.status = 'ok'", "p.missing_since IS NULL"]
    params: list[object] = []
    want = [int(p) for p in with_people]
    avoid = [int(p) for p in without]
    if want:
        q = marks(want)
        if any_of:
            where.append(f"p.id IN (SELECT photo_id FROM faces WHERE person_id IN ({q}))")
            params += want
        else:
            where.append(f"p.id IN (SELECT photo_id FROM faces WHERE person_id IN ({q}) "
                         f"GROUP BY photo_id HAVING COUNT(DISTINCT person_id) = ?)")
            params += [*want, len(set(want))]
        if only:
            where.append(f"NOT EXISTS (SELECT 1 FROM faces o WHERE o.photo_id = p.id AND "
                         f"o.person_id IS NOT NULL AND o.person_id NOT IN ({q}))")
            params += want
    if avoid:
        where.append(f"p.id NOT IN (SELECT photo_id FROM faces WHERE person_id IN ({marks(avoid)}))")
        params += avoid
    if date_from or date_to:  # a file's time is only a guess: such photos show under "Date unknown"
        where.append("p.taken_at_source IS NOT 'file'")
    if date_from:
        where.append("p.taken_at >= ?")
        params.append(date_from)
    if date_to:
        where.append("p.taken_at < date(?, '+1 day')")
        params.append(date_to)
    if folder:
        cond, cparams = under("p.path", folder)
        where.append(cond)
        params += cparams
    rows = conn.execute(
        "SELECT p.id, p.path, p.taken_at, (SELECT group_concat(DISTINCT ps.name) FROM faces f "
        "JOIN persons ps ON ps.id = f.person_id WHERE f.photo_id = p.id) AS names "
        f"FROM photos p WHERE {' AND '.join(where)} ORDER BY p.taken_at DESC, p.path", params)
    return [FoundPhoto(r[0], r[1], r[2], sorted((r[3] or "").split(",")) if r[3] else [])
            for r in rows]
