"""Repository functions for folders, photos and faces: every SQL statement of the scan lives here.

Callers pass an open connection (``connection.connect``) and, for writes, wrap calls in
``connection.transaction`` where several must land together. Embeddings are stored as float32 blobs
with the id of the model that made them; readers always filter by model id.

File names are stored losslessly: a path that is not valid UTF-8 (``os.fsdecode`` gives it surrogate
escapes) is stored as its exact bytes in the TEXT column (bound through :func:`fs_text` and
``CAST(? AS TEXT)``) and read back by the connection's text factory as the very same ``str``.
Folder prefixes are matched with a byte range (:func:`under`), which also uses the path index.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

import numpy as np

from kinfolk.db.connection import inserted_id, transaction


@dataclass
class FaceRecord:
    """One face as the scanner found it, in full-size oriented pixel coordinates."""

    box: Sequence[float]  # x1, y1, x2, y2
    landmarks: np.ndarray  # (5, 2) float32
    score: float
    quality: float
    embedding: np.ndarray  # (d,) float32, unit norm
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
    id: int
    path: str
    size: int
    mtime_ns: int
    hash: str | None
    status: str
    scan_model: str | None
    error_reason: str | None = None
    missing: bool = False  # not found at the last scan of its (present) folder


def _indexed_photo(r: Sequence) -> IndexedPhoto:
    """An ``IndexedPhoto`` from a row of ``_INDEXED``."""
    return IndexedPhoto(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]))


_INDEXED = ("SELECT id, path, size, mtime_ns, hash, status, scan_model, error_reason, "
            "missing_since IS NOT NULL FROM photos")


def fs_text(path: str) -> str | bytes:
    """A file name as an SQL parameter for ``CAST(? AS TEXT)``: the str itself, or its exact bytes
    when it is not valid UTF-8 (sqlite3 cannot bind lone surrogates)."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape")


def under(column: str, folder: str) -> tuple[str, list]:
    """SQL condition "``column`` is ``folder`` or inside it", as a byte range on the path index."""
    prefix = folder.rstrip(os.sep) + os.sep
    upper = prefix[:-1] + chr(ord(os.sep) + 1)  # '/' + 1 = '0': every path starting with prefix
    return (f"({column} = CAST(? AS TEXT) OR ({column} >= CAST(? AS TEXT) "
            f"AND {column} < CAST(? AS TEXT)))",
            [fs_text(folder.rstrip(os.sep) or os.sep), fs_text(prefix), fs_text(upper)])


# ---------------------------------------------------------------------------------------- folders

@dataclass(frozen=True)
class FolderState:
    """A library folder and whether it could be read at the last scan (None = online)."""

    path: str
    offline_since: str | None
    offline_reason: str | None

    @property
    def offline(self) -> bool:
        return self.offline_since is not None


def add_folder(conn: sqlite3.Connection, path: str) -> None:
    conn.execute("INSERT OR IGNORE INTO folders(path) VALUES (CAST(? AS TEXT))", (fs_text(path),))


def list_folders(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT path FROM folders ORDER BY path")]


def folder_states(conn: sqlite3.Connection) -> list[FolderState]:
    return [FolderState(*r) for r in conn.execute(
        "SELECT path, offline_since, offline_reason FROM folders ORDER BY path")]


def set_folder_offline(conn: sqlite3.Connection, path: str, reason: str | None) -> None:
    """Record that a folder could (``reason`` None) or could not be read; keeps the first time it
    went offline."""
    if reason is None:
        conn.execute("UPDATE folders SET offline_since = NULL, offline_reason = NULL "
                     "WHERE path = CAST(? AS TEXT)", (fs_text(path),))
    else:
        conn.execute("UPDATE folders SET offline_since = coalesce(offline_since, datetime('now')), "
                     "offline_reason = ? WHERE path = CAST(? AS TEXT)", (reason, fs_text(path)))


def remove_folder(conn: sqlite3.Connection, path: str) -> int:
    """Forget a folder and every photo under it (faces cascade). Returns the number of photos removed."""
    cond, params = under("path", path)
    with transaction(conn):
        conn.execute("DELETE FROM folders WHERE path = CAST(? AS TEXT)", (fs_text(path),))
        ids = [r[0] for r in conn.execute(f"SELECT id FROM photos WHERE {cond}", params)]
        _delete_photo_ids(conn, ids)
    return len(ids)


# ----------------------------------------------------------------------------------------- photos

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
    return [_indexed_photo(r)
            for r in conn.execute(f"{_INDEXED} WHERE hash = ?", (digest,))]


def mark_missing(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """Photos not found in their (present) folder: kept with their faces, flagged until they return
    or the user removes them (:func:`delete_photos`)."""
    each_chunk(conn, "UPDATE photos SET missing_since = datetime('now') "
                      "WHERE missing_since IS NULL AND id IN ({})", ids)


def mark_present(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    each_chunk(conn, "UPDATE photos SET missing_since = NULL WHERE id IN ({})", ids)


def each_chunk(conn: sqlite3.Connection, sql: str, ids: Sequence[int]) -> None:
    """Run ``sql`` (with ``{}`` where the ``?`` list goes: ``... WHERE id IN ({})``) over ``ids`` in
    chunks of 500 (SQLite's host-parameter limit)."""
    for i in range(0, len(ids), 500):
        chunk = [int(x) for x in ids[i:i + 500]]
        conn.execute(sql.format(",".join("?" * len(chunk))), chunk)


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
    _delete_photo_ids(conn, ids)


def _delete_photo_ids(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
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
    an old face's box (IoU ≥ 0.5) inherits its person and state, so edits don't lose names. Faces on
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
        old_faces = conn.execute(
            "SELECT x1, y1, x2, y2, person_id, state FROM faces WHERE photo_id = ? "
            "AND person_id IS NOT NULL", (photo_id,)).fetchall()
        conn.execute("DELETE FROM faces WHERE photo_id = ?", (photo_id,))
    forgotten = conn.execute(
        "SELECT x1, y1, x2, y2 FROM forgotten_faces WHERE photo_id = ? OR photo_hash = ? UNION ALL "
        "SELECT x1, y1, x2, y2 FROM not_faces WHERE photo_id = ?",
        (photo_id, rec.hash, photo_id)).fetchall() if rec.faces else []
    for face in rec.faces:
        box = [float(v) for v in face.box]
        if any(_iou(box, tuple(f)) >= 0.5 for f in forgotten):
            continue
        person_id, state = None, "unassigned"
        for old in old_faces:
            if _iou(box, tuple(old)[:4]) >= 0.5:
                person_id, state = old["person_id"], old["state"]
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
    return photo_id


def photos(conn: sqlite3.Connection) -> Iterator[sqlite3.Row]:
    """Every photo with its face count and ``offline`` (1 when it lies in a library folder that
    was offline at the last scan), by path."""
    return conn.execute(
        "SELECT p.*, (SELECT COUNT(*) FROM faces f WHERE f.photo_id = p.id) AS faces, "
        "EXISTS (SELECT 1 FROM folders fo WHERE fo.offline_since IS NOT NULL AND "
        " p.path >= fo.path || ? AND p.path < fo.path || ?) AS offline "
        "FROM photos p ORDER BY p.path", (os.sep, chr(ord(os.sep) + 1)))


def presence(row) -> str:
    """A photo row's state for people: 'ok' | 'error' (could not be read) | 'missing' (not found at
    the last scan; faces kept) | 'offline' (its folder could not be read; untouched)."""
    if row["missing_since"]:
        return "missing"
    if row["offline"]:
        return "offline"
    return row["status"]


def faces(conn: sqlite3.Connection) -> Iterator[sqlite3.Row]:
    """Every face with its photo path and person name (no embeddings), by photo then position."""
    return conn.execute(
        "SELECT f.id, p.path AS photo, f.x1, f.y1, f.x2, f.y2, f.score, f.quality, f.model_id, "
        "f.cluster_id, f.state, f.person_id, ps.name AS person, f.match_similarity, f.source "
        "FROM faces f JOIN photos p ON p.id = f.photo_id "
        "LEFT JOIN persons ps ON ps.id = f.person_id ORDER BY p.path, f.x1")


def embeddings(conn: sqlite3.Connection, model_id: str,
               state: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(face ids, (n, d) float32 embeddings) of one model's faces, in id order; only faces in
    ``state`` (e.g. 'unassigned') when given."""
    if state is None:
        rows = conn.execute("SELECT id, embedding FROM faces WHERE model_id = ? ORDER BY id",
                            (model_id,)).fetchall()
    else:  # the (model_id, state) index
        rows = conn.execute("SELECT id, embedding FROM faces WHERE model_id = ? AND state = ? ORDER BY id",
                            (model_id, state)).fetchall()
    if not rows:
        return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
    ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    emb = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), -1)
    return ids, emb


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "photos": one("SELECT COUNT(*) FROM photos"),
        "errors": one("SELECT COUNT(*) FROM photos WHERE status = 'error' AND missing_since IS NULL"),
        "missing": one("SELECT COUNT(*) FROM photos WHERE missing_since IS NOT NULL"),
        "faces": one("SELECT COUNT(*) FROM faces"),
        "persons": one("SELECT COUNT(*) FROM persons"),
    }


def get_setting(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))


# ------------------------------------------------------------------------- reads for the views
# Plain SELECTs the GUI needs (thumbnails, the photo viewer, photo grids). They never write.

def thumbnails(conn: sqlite3.Connection, face_ids: Iterable[int]) -> dict[int, bytes]:
    """{face id: JPEG} for the ids that have a stored face crop."""
    ids = [int(i) for i in face_ids]
    out: dict[int, bytes] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for fid, jpeg in conn.execute(
                f"SELECT face_id, jpeg FROM thumbnails WHERE face_id IN ({marks})", chunk):
            out[int(fid)] = bytes(jpeg)
    return out


def face_ids(conn: sqlite3.Connection) -> list[int]:
    """Every face id, in the order faces were stored (a scan appends at the end)."""
    return [r[0] for r in conn.execute("SELECT id FROM faces ORDER BY id")]


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


@dataclass(frozen=True)
class FaceInPhoto:
    """One face of a photo: its box (full-size oriented pixels), who it is and how it got there.
    ``suggested`` is the most likely pending suggestion's person name for an unassigned face."""

    id: int
    box: tuple[float, float, float, float]
    person_id: int | None
    person: str | None
    state: str
    cluster_id: int | None
    suggested: str | None = None
    suggested_id: int | None = None


def photo_info(conn: sqlite3.Connection, photo_id: int) -> PhotoInfo | None:
    r = conn.execute("SELECT id, path, width, height, taken_at FROM photos WHERE id = ?",
                     (photo_id,)).fetchone()
    return PhotoInfo(*r) if r else None


def photo_of_face(conn: sqlite3.Connection, face_id: int) -> int | None:
    r = conn.execute("SELECT photo_id FROM faces WHERE id = ?", (face_id,)).fetchone()
    return int(r[0]) if r else None


def faces_in_photo(conn: sqlite3.Connection, photo_id: int) -> list[FaceInPhoto]:
    """Every face of a photo, left to right, with its person's name or best pending suggestion."""
    rows = conn.execute(
        "SELECT f.id, f.x1, f.y1, f.x2, f.y2, f.person_id, ps.name, f.state, f.cluster_id, "
        "(SELECT s.person_id FROM suggestions s WHERE s.face_id = f.id "
        " ORDER BY s.similarity DESC LIMIT 1) AS sugg "
        "FROM faces f LEFT JOIN persons ps ON ps.id = f.person_id WHERE f.photo_id = ? "
        "ORDER BY f.x1, f.id", (photo_id,)).fetchall()
    names = {}
    sugg_ids = {r[9] for r in rows if r[9] is not None}
    if sugg_ids:
        marks = ",".join("?" * len(sugg_ids))
        names = dict(conn.execute(f"SELECT id, name FROM persons WHERE id IN ({marks})",
                                  list(sugg_ids)).fetchall())
    return [FaceInPhoto(r[0], (r[1], r[2], r[3], r[4]), r[5], r[6], r[7], r[8],
                        names.get(r[9]), r[9]) for r in rows]


def photos_of_person(conn: sqlite3.Connection, person_id: int) -> list[tuple[int, str, str | None]]:
    """(photo id, path, taken_at) of every photo the person is in, oldest first (undated last)."""
    return [(r[0], r[1], r[2]) for r in conn.execute(
        "SELECT p.id, p.path, p.taken_at FROM photos p WHERE p.id IN "
        "(SELECT photo_id FROM faces WHERE person_id = ?) "
        "ORDER BY p.taken_at IS NULL, p.taken_at, p.path", (person_id,))]


def rejected_names(conn: sqlite3.Connection, face_id: int) -> list[str]:
    """Names of the people the user said a face is not ("Not <name>"), by name."""
    return [r[0] for r in conn.execute(
        "SELECT ps.name FROM face_rejections r JOIN persons ps ON ps.id = r.person_id "
        "WHERE r.face_id = ? ORDER BY ps.name", (face_id,))]
