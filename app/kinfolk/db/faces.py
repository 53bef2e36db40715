"""Faces (``faces``, ``thumbnails``): the rows the scan and the user's edits write, and their reads.

A face's decision columns (``FaceDecision``: person, state, group, match score and evidence) are
what people operations change; ``core.people`` decides when (one person per photo, rejections) and
journals the before-images for undo. Statements here change exactly the rows named and never check
those rules. Boxes are full-size oriented pixels; embeddings float32 blobs tagged with ``model_id``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, dataclass, fields
from typing import Iterable, Iterator, NamedTuple, Sequence

import numpy as np
import numpy.typing as npt

from kinfolk.db.binding import chunks, each_chunk, marks
from kinfolk.db.connection import inserted_id

Box = tuple[float, float, float, float]


class FaceDecision(NamedTuple):
    """The columns of a face that people operations change (and undo puts back)."""

    person_id: int | None
    state: str  # unassigned | auto | confirmed | ignored
    cluster_id: int | None
    match_similarity: float | None
    match_evidence: str | None


_DECISION = "person_id, state, cluster_id, match_similarity, match_evidence"


@dataclass(frozen=True)
class StoredFace:
    """A whole face row (every column of ``faces``), kept to store the face again under its id."""

    id: int
    photo_id: int
    x1: float
    y1: float
    x2: float
    y2: float
    landmarks: bytes
    score: float
    quality: float
    model_id: str
    embedding: bytes
    cluster_id: int | None
    person_id: int | None
    state: str
    match_similarity: float | None
    match_evidence: str | None
    source: str


_STORED = ", ".join(f.name for f in fields(StoredFace))


class Placement(NamedTuple):
    """Where a face is and whose it is (for the one-person-per-photo rule)."""

    id: int
    photo_id: int
    person_id: int | None


class NamedFace(NamedTuple):
    """A face of one photo with its person's name (None if unassigned)."""

    id: int
    box: Box
    person_id: int | None
    state: str
    name: str | None


# ----------------------------------------------------------------------------------------- reads

def faces(conn: sqlite3.Connection) -> Iterator[sqlite3.Row]:
    """Every face with its photo path and person name (no embeddings), by photo then position; rows
    with the columns id, photo, x1, y1, x2, y2, score, quality, model_id, cluster_id, state,
    person_id, person, match_similarity, source (for ``kinfolk faces``)."""
    return conn.execute(
        "SELECT f.id, p.path AS photo, f.x1, f.y1, f.x2, f.y2, f.score, f.quality, f.model_id, "
        "f.cluster_id, f.state, f.person_id, ps.name AS person, f.match_similarity, f.source "
        "FROM faces f JOIN photos p ON p.id = f.photo_id "
        "LEFT JOIN persons ps ON ps.id = f.person_id ORDER BY p.path, f.x1")


def embeddings(conn: sqlite3.Connection, model_id: str,
               state: str | None = None) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
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


def model_ids(conn: sqlite3.Connection) -> list[str]:
    """Recognizer models with faces in the library, sorted."""
    return [str(r[0]) for r in conn.execute("SELECT DISTINCT model_id FROM faces ORDER BY model_id")]


def face_ids(conn: sqlite3.Connection) -> list[int]:
    """Every face id, in the order faces were stored (a scan appends at the end)."""
    return [int(r[0]) for r in conn.execute("SELECT id FROM faces ORDER BY id")]


def thumbnails(conn: sqlite3.Connection, face_ids: Iterable[int]) -> dict[int, bytes]:
    """{face id: JPEG} for the ids that have a stored face crop."""
    out: dict[int, bytes] = {}
    for chunk in chunks(face_ids):
        for fid, jpeg in conn.execute(
                f"SELECT face_id, jpeg FROM thumbnails WHERE face_id IN ({marks(chunk)})", chunk):
            out[int(fid)] = bytes(jpeg)
    return out


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


def photo_of_face(conn: sqlite3.Connection, face_id: int) -> int | None:
    """The photo a face is in (None: no such face)."""
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
    names: dict[int, str] = {}
    sugg_ids = sorted({int(r[9]) for r in rows if r[9] is not None})
    if sugg_ids:
        names = {int(r[0]): r[1] for r in conn.execute(
            f"SELECT id, name FROM persons WHERE id IN ({marks(sugg_ids)})", sugg_ids)}
    return [FaceInPhoto(r[0], (r[1], r[2], r[3], r[4]), r[5], r[6], r[7], r[8],
                        names.get(r[9]) if r[9] is not None else None, r[9]) for r in rows]


def named_faces_in_photo(conn: sqlite3.Connection, photo_id: int) -> list[NamedFace]:
    """Every face of a photo with its person's name, in id order."""
    return [NamedFace(r[0], (r[1], r[2], r[3], r[4]), r[5], r[6], r[7]) for r in conn.execute(
        "SELECT f.id, f.x1, f.y1, f.x2, f.y2, f.person_id, f.state, p.name FROM faces f "
        "LEFT JOIN persons p ON p.id = f.person_id WHERE f.photo_id = ? ORDER BY f.id",
        (photo_id,))]


def confirmed_in_photo(conn: sqlite3.Connection, photo_id: int) -> list[NamedFace]:
    """The confirmed named faces of a photo, left to right."""
    return [NamedFace(r[0], (r[1], r[2], r[3], r[4]), r[5], "confirmed", r[6]) for r in conn.execute(
        "SELECT f.id, f.x1, f.y1, f.x2, f.y2, f.person_id, p.name FROM faces f JOIN persons p "
        "ON p.id = f.person_id WHERE f.photo_id = ? AND f.state = 'confirmed' ORDER BY f.x1",
        (photo_id,))]


def person_of(conn: sqlite3.Connection, face_id: int) -> int | None:
    """The person a face is assigned to (None: nobody, or no such face)."""
    r = conn.execute("SELECT person_id FROM faces WHERE id = ?", (face_id,)).fetchone()
    return int(r[0]) if r and r[0] is not None else None


def is_face_of(conn: sqlite3.Connection, face_id: int, person_id: int) -> bool:
    """True if the face is assigned to that person."""
    return conn.execute("SELECT 1 FROM faces WHERE id = ? AND person_id = ?",
                        (face_id, person_id)).fetchone() is not None


def other_face_of_in_photo(conn: sqlite3.Connection, photo_id: int, person_id: int,
                           face_id: int) -> bool:
    """True if the person has a face in the photo other than ``face_id``."""
    return conn.execute("SELECT 1 FROM faces WHERE photo_id = ? AND person_id = ? AND id != ?",
                        (photo_id, person_id, face_id)).fetchone() is not None


def photo_ids_of_faces(conn: sqlite3.Connection, face_ids: Iterable[int]) -> set[int]:
    """The photos the faces are in."""
    out: set[int] = set()
    for chunk in chunks(face_ids):
        out |= {int(r[0]) for r in conn.execute(
            f"SELECT photo_id FROM faces WHERE id IN ({marks(chunk)})", chunk)}
    return out


def photo_ids_of_person(conn: sqlite3.Connection, person_id: int) -> set[int]:
    """The photos the person has a face in."""
    return {int(r[0]) for r in conn.execute(
        "SELECT DISTINCT photo_id FROM faces WHERE person_id = ?", (person_id,))}


def ids_of_person(conn: sqlite3.Connection, person_id: int) -> list[int]:
    """The person's faces, oldest photo first."""
    return [int(r[0]) for r in conn.execute(
        "SELECT f.id FROM faces f JOIN photos p ON p.id = f.photo_id WHERE f.person_id = ? "
        "ORDER BY p.taken_at, f.id", (person_id,))]


def states_of_person(conn: sqlite3.Connection, person_id: int) -> dict[int, str]:
    """{face id: state} of the person's faces."""
    return {int(r[0]): str(r[1]) for r in conn.execute(
        "SELECT id, state FROM faces WHERE person_id = ?", (person_id,))}


def count_of_person(conn: sqlite3.Connection, person_id: int) -> tuple[int, int]:
    """(faces, photos) of the person."""
    r = conn.execute("SELECT COUNT(*), COUNT(DISTINCT photo_id) FROM faces WHERE person_id = ?",
                     (person_id,)).fetchone()
    return int(r[0]), int(r[1])


def cover_candidate(conn: sqlite3.Connection, person_id: int) -> int | None:
    """The face a person's card should show when no cover is stored: their best-quality face the
    user confirmed, else (none confirmed) their best face; None: they have no face."""
    r = conn.execute("SELECT id FROM faces WHERE person_id = ? "
                     "ORDER BY state = 'confirmed' DESC, quality DESC, id LIMIT 1",
                     (person_id,)).fetchone()
    return int(r[0]) if r else None


def ids_in_state(conn: sqlite3.Connection, state: str, best_first: bool = False) -> list[int]:
    """Faces in ``state``: in storage order, or best quality first."""
    order = " ORDER BY quality DESC, id" if best_first else ""
    return [int(r[0]) for r in conn.execute(f"SELECT id FROM faces WHERE state = ?{order}", (state,))]


def placements(conn: sqlite3.Connection, face_ids: Sequence[int]) -> list[Placement]:
    """Photo and person of each face (ids that do not exist are left out), best quality first
    within each chunk of ids."""
    out: list[Placement] = []
    for chunk in chunks(face_ids):
        out += [Placement(r[0], r[1], r[2]) for r in conn.execute(
            f"SELECT id, photo_id, person_id FROM faces WHERE id IN ({marks(chunk)}) "
            "ORDER BY quality DESC", chunk)]
    return out


def decisions(conn: sqlite3.Connection, face_ids: Iterable[int]) -> dict[int, FaceDecision]:
    """{face id: its decision columns} for the faces that exist."""
    out: dict[int, FaceDecision] = {}
    for chunk in chunks(face_ids):
        for r in conn.execute(f"SELECT id, {_DECISION} FROM faces WHERE id IN ({marks(chunk)})", chunk):
            out[int(r[0])] = FaceDecision(*r[1:])
    return out


def decisions_in_state(conn: sqlite3.Connection, state: str) -> dict[int, FaceDecision]:
    """{face id: its decision columns} for every face in ``state``."""
    return {int(r[0]): FaceDecision(*r[1:]) for r in conn.execute(
        f"SELECT id, {_DECISION} FROM faces WHERE state = ?", (state,))}


def stored_face(conn: sqlite3.Connection, face_id: int) -> tuple[StoredFace, bytes | None] | None:
    """A face row and its crop (None: no such face)."""
    r = conn.execute(f"SELECT {_STORED} FROM faces WHERE id = ?", (face_id,)).fetchone()
    if r is None:
        return None
    thumb = conn.execute("SELECT jpeg FROM thumbnails WHERE face_id = ?", (face_id,)).fetchone()
    return StoredFace(*r), (bytes(thumb[0]) if thumb else None)


class LabeledFace(NamedTuple):
    """A face with its photo's path and size (for evaluation on labeled photos)."""

    id: int
    path: str
    box: Box
    photo_width: int | None
    photo_height: int | None
    embedding: bytes
    cluster_id: int | None


def faces_with_photos(conn: sqlite3.Connection) -> list[LabeledFace]:
    """Every face with its photo's path and size, in id order."""
    return [LabeledFace(r[0], r[1], (r[2], r[3], r[4], r[5]), r[6], r[7], bytes(r[8]), r[9])
            for r in conn.execute(
                "SELECT f.id, p.path, f.x1, f.y1, f.x2, f.y2, p.width, p.height, f.embedding, "
                "f.cluster_id FROM faces f JOIN photos p ON p.id = f.photo_id ORDER BY f.id")]


# ---------------------------------------------------------------------------------------- writes

def add_face(conn: sqlite3.Connection, photo_id: int, box: Box, landmarks: bytes, score: float,
             quality: float, model_id: str, embedding: bytes, jpeg: bytes) -> int:
    """Store a new unassigned face (in no group) and its crop; returns its id."""
    fid = inserted_id(conn.execute(
        "INSERT INTO faces(photo_id, x1, y1, x2, y2, landmarks, score, quality, model_id, "
        "embedding) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (photo_id, *box, landmarks, score, quality, model_id, embedding)))
    conn.execute("INSERT INTO thumbnails(face_id, jpeg) VALUES (?, ?)", (fid, jpeg))
    return fid


def restore_face(conn: sqlite3.Connection, face: StoredFace, jpeg: bytes | None) -> None:
    """Store a face saved by ``stored_face`` again, under its id, with its crop."""
    conn.execute(f"INSERT INTO faces({_STORED}) VALUES ({', '.join('?' * len(fields(StoredFace)))})",
                 astuple(face))
    if jpeg is not None:
        conn.execute("INSERT OR REPLACE INTO thumbnails(face_id, jpeg) VALUES (?, ?)", (face.id, jpeg))


def delete_face(conn: sqlite3.Connection, face_id: int) -> None:
    """Delete a face (its crop, suggestions and rejections cascade)."""
    conn.execute("DELETE FROM faces WHERE id = ?", (face_id,))


def delete_faces_of_person(conn: sqlite3.Connection, person_id: int) -> None:
    """Delete every face of the person (crops, suggestions and rejections cascade)."""
    conn.execute("DELETE FROM faces WHERE person_id = ?", (person_id,))


def restore_decision(conn: sqlite3.Connection, face_id: int, before: FaceDecision,
                     only_if_auto: bool = False) -> None:
    """Put a face's decision columns back (``only_if_auto``: only if it is still an automatic
    match, so a later decision of the user stays)."""
    guard = " AND state = 'auto'" if only_if_auto else ""
    conn.execute("UPDATE faces SET person_id = ?, state = ?, cluster_id = ?, match_similarity = ?, "
                 "match_evidence = ? WHERE id = ?" + guard, (*before, face_id))


def set_person(conn: sqlite3.Connection, face_id: int, person_id: int, state: str) -> None:
    """Give a face to a person (``state`` confirmed or auto): out of its group, no match evidence."""
    conn.execute("UPDATE faces SET person_id = ?, state = ?, cluster_id = NULL, "
                 "match_similarity = NULL, match_evidence = NULL WHERE id = ?",
                 (person_id, state, face_id))


def unassign(conn: sqlite3.Connection, face_ids: Sequence[int]) -> None:
    """Faces back to unassigned: no person, no group, no match evidence."""
    each_chunk(conn, "UPDATE faces SET person_id = NULL, state = 'unassigned', cluster_id = NULL, "
                     "match_similarity = NULL, match_evidence = NULL WHERE id IN ({})", face_ids)


def unassign_from(conn: sqlite3.Connection, face_id: int, person_id: int) -> None:
    """Like ``unassign``, only if the face is that person's."""
    conn.execute("UPDATE faces SET person_id = NULL, state = 'unassigned', cluster_id = NULL, "
                 "match_similarity = NULL, match_evidence = NULL "
                 "WHERE id = ? AND person_id = ?", (face_id, person_id))


def detach_person(conn: sqlite3.Connection, person_id: int) -> None:
    """Every face of the person becomes unassigned (group and evidence columns untouched)."""
    conn.execute("UPDATE faces SET person_id = NULL, state = 'unassigned' WHERE person_id = ?",
                 (person_id,))


def set_ignored(conn: sqlite3.Connection, face_ids: Sequence[int]) -> None:
    """Set faces aside as strangers ('ignored', in no group)."""
    each_chunk(conn, "UPDATE faces SET state = 'ignored', cluster_id = NULL WHERE id IN ({})", face_ids)


def unignore_all(conn: sqlite3.Connection) -> None:
    """Every face set aside as a stranger becomes unassigned again."""
    conn.execute("UPDATE faces SET state = 'unassigned' WHERE state = 'ignored'")


def unignore(conn: sqlite3.Connection, face_ids: Sequence[int]) -> None:
    """Those of ``face_ids`` set aside as strangers become unassigned again."""
    each_chunk(conn, "UPDATE faces SET state = 'unassigned' WHERE state = 'ignored' AND id IN ({})",
               face_ids)


def mark_imported(conn: sqlite3.Connection, face_id: int) -> None:
    """Record that the face's person came from photo metadata (``source = 'imported'``)."""
    conn.execute("UPDATE faces SET source = 'imported' WHERE id = ?", (face_id,))
