"""Matches: what matching reads (confirmed faces, who is in which photo) and writes (suggestions,
automatic assignments), and the reads that explain a match.

The writes of a match are *conditional*: ``assign_if_still_valid`` and ``suggest_if_still_valid``
change a row only if the face is still unassigned, the person still exists, the pair was not
rejected and (for an assignment) the person has no face in that photo yet — tested in the statement
itself, so a decision the user made while matching computed always wins. ``core.people.matching``
decides what to write; these statements only refuse what no longer holds.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple, Sequence

from kinfolk.db.binding import chunks, marks


class SuggestionRow(NamedTuple):
    """A ``suggestions`` row (kept so that undo can put it back)."""

    face_id: int
    person_id: int
    similarity: float
    evidence: str | None


class GalleryFace(NamedTuple):
    """A confirmed face of a named person: matching's evidence."""

    person_id: int
    face_id: int
    embedding: bytes
    hidden: bool
    birth_date: str | None


class ListedSuggestion(NamedTuple):
    face_id: int
    person_id: int
    person: str
    similarity: float
    photo: str
    evidence: str | None


class FaceMatch(NamedTuple):
    """A face's state, person and match columns (``evidence`` as stored: JSON)."""

    state: str
    person_id: int | None
    person: str | None
    similarity: float | None
    evidence: str | None
    cluster_id: int | None


class Candidate(NamedTuple):
    person: str
    similarity: float
    evidence: str | None


_SUGGESTION = "face_id, person_id, similarity, evidence"


# -------------------------------------------------------------------------------- matching reads

def gallery(conn: sqlite3.Connection, model_id: str) -> list[GalleryFace]:
    """The confirmed faces of ``model_id``, by person then face id."""
    return [GalleryFace(r[0], r[1], bytes(r[2]), bool(r[3]), r[4]) for r in conn.execute(
        "SELECT f.person_id, f.id, f.embedding, ps.hidden, ps.birth_date FROM faces f "
        "JOIN persons ps ON ps.id = f.person_id WHERE f.model_id = ? AND f.state = 'confirmed' "
        "ORDER BY f.person_id, f.id", (model_id,))]


def people_in_photos(conn: sqlite3.Connection) -> list[tuple[int, int]]:
    """Every (photo, person) pair where the person has a face in the photo."""
    return [(int(r[0]), int(r[1])) for r in conn.execute(
        "SELECT DISTINCT photo_id, person_id FROM faces WHERE person_id IS NOT NULL")]


def unassigned_photos(conn: sqlite3.Connection, model_id: str) -> dict[int, tuple[int, str | None]]:
    """{face id: (photo id, taken_at)} of the unassigned faces of ``model_id``."""
    return {int(r[0]): (int(r[1]), r[2]) for r in conn.execute(
        "SELECT f.id, f.photo_id, p.taken_at FROM faces f JOIN photos p ON p.id = f.photo_id "
        "WHERE f.model_id = ? AND f.state = 'unassigned'", (model_id,))}


def confirmed_embeddings(conn: sqlite3.Connection, model_id: str) -> list[tuple[int, bytes]]:
    """(person id, embedding) of every confirmed face of ``model_id``."""
    return [(int(r[0]), bytes(r[1])) for r in conn.execute(
        "SELECT person_id, embedding FROM faces WHERE model_id = ? AND state = 'confirmed'",
        (model_id,))]


def confirmed_embeddings_of(conn: sqlite3.Connection, person_id: int, model_id: str) -> list[bytes]:
    """The embeddings of the person's confirmed faces of ``model_id``."""
    return [bytes(r[0]) for r in conn.execute(
        "SELECT embedding FROM faces WHERE person_id = ? AND state = 'confirmed' AND model_id = ?",
        (person_id, model_id))]


def rejected_embeddings(conn: sqlite3.Connection, model_id: str) -> list[tuple[int, bytes]]:
    """(person id, embedding of the face) of each rejected (face, person) pair of ``model_id``
    whose person has confirmed faces of that model."""
    return [(int(r[0]), bytes(r[1])) for r in conn.execute(
        "SELECT r.person_id, f.embedding FROM face_rejections r JOIN faces f ON f.id = r.face_id "
        "WHERE f.model_id = ? AND EXISTS (SELECT 1 FROM faces g WHERE g.person_id = r.person_id "
        "AND g.state = 'confirmed' AND g.model_id = ?)", (model_id, model_id))]


# ------------------------------------------------------------------------------- matching writes

# A match is written only where it still holds when the statement runs (the user may have named,
# confirmed, rejected, merged or forgotten meanwhile): the face still unassigned, the person still
# there, no rejection of the pair, and (for an assignment) nobody's face in that photo already theirs.
_STILL_VALID = (
    "EXISTS (SELECT 1 FROM faces WHERE id = :face AND state = 'unassigned' AND person_id IS NULL) "
    "AND EXISTS (SELECT 1 FROM persons WHERE id = :person) "
    "AND NOT EXISTS (SELECT 1 FROM face_rejections WHERE face_id = :face AND person_id = :person)")


def clear_unassigned_suggestions(conn: sqlite3.Connection, model_id: str) -> None:
    """Drop the suggestions of every unassigned face of ``model_id`` (matching rewrites them)."""
    conn.execute("DELETE FROM suggestions WHERE face_id IN (SELECT id FROM faces WHERE "
                 "model_id = ? AND state = 'unassigned')", (model_id,))


def assign_if_still_valid(conn: sqlite3.Connection, face_id: int, person_id: int, similarity: float,
                          evidence: str) -> bool:
    """Assign the face to the person automatically ('auto', with its score and evidence) if that
    still holds (see the module doc); True if it was written."""
    return conn.execute(
        "UPDATE faces SET person_id = :person, state = 'auto', cluster_id = NULL, "
        "match_similarity = :sim, match_evidence = :ev WHERE id = :face AND "
        + _STILL_VALID + " AND NOT EXISTS (SELECT 1 FROM faces g WHERE g.photo_id = "
        # '+' keeps SQLite on the photo index (a photo has few faces, a person thousands)
        "faces.photo_id AND +g.person_id = :person)",
        {"face": face_id, "person": person_id, "sim": similarity, "ev": evidence}).rowcount > 0


def suggest_if_still_valid(conn: sqlite3.Connection, face_id: int, person_id: int,
                           similarity: float, evidence: str) -> bool:
    """Store (or replace) the suggestion if that still holds; True if it was written."""
    return conn.execute(
        "INSERT OR REPLACE INTO suggestions(face_id, person_id, similarity, evidence) "
        "SELECT :face, :person, :sim, :ev WHERE " + _STILL_VALID,
        {"face": face_id, "person": person_id, "sim": similarity, "ev": evidence}).rowcount > 0


# ----------------------------------------------------------------------------------- suggestions

def suggestions(conn: sqlite3.Connection, person_id: int | None = None) -> list[ListedSuggestion]:
    """Pending suggestions, most likely first (of one person when given)."""
    where, params = ("WHERE s.person_id = ?", (person_id,)) if person_id is not None else ("", ())
    return [ListedSuggestion(r[0], r[1], r[2], r[3], r[4], r[5]) for r in conn.execute(
        "SELECT s.face_id, s.person_id, ps.name, s.similarity, p.path, s.evidence FROM suggestions s "
        "JOIN persons ps ON ps.id = s.person_id JOIN faces f ON f.id = s.face_id "
        f"JOIN photos p ON p.id = f.photo_id {where} ORDER BY s.similarity DESC, s.face_id", params)]


def suggestion_count(conn: sqlite3.Connection, person_id: int) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM suggestions WHERE person_id = ?",
                            (person_id,)).fetchone()[0])


def suggestions_of_faces(conn: sqlite3.Connection, face_ids: Sequence[int]) -> list[SuggestionRow]:
    out: list[SuggestionRow] = []
    for chunk in chunks(face_ids):
        out += [SuggestionRow(*r) for r in conn.execute(
            f"SELECT {_SUGGESTION} FROM suggestions WHERE face_id IN ({marks(chunk)})", chunk)]
    return out


def suggestions_of_pair(conn: sqlite3.Connection, face_id: int, person_id: int) -> list[SuggestionRow]:
    return [SuggestionRow(*r) for r in conn.execute(
        f"SELECT {_SUGGESTION} FROM suggestions WHERE face_id = ? AND person_id = ?",
        (face_id, person_id))]


def suggestions_of_person(conn: sqlite3.Connection, person_id: int) -> list[SuggestionRow]:
    return [SuggestionRow(*r) for r in conn.execute(
        f"SELECT {_SUGGESTION} FROM suggestions WHERE person_id = ?", (person_id,))]


_BEFORE = ("person_id = ? AND face_id IN (SELECT f.id FROM faces f JOIN photos p "
           "ON p.id = f.photo_id WHERE p.taken_at < ?)")


def suggestions_before(conn: sqlite3.Connection, person_id: int, date: str) -> list[SuggestionRow]:
    """The person's suggestions of faces in photos taken before ``date``."""
    return [SuggestionRow(*r) for r in conn.execute(
        f"SELECT {_SUGGESTION} FROM suggestions WHERE {_BEFORE}", (person_id, date))]


def delete_suggestions_before(conn: sqlite3.Connection, person_id: int, date: str) -> None:
    conn.execute(f"DELETE FROM suggestions WHERE {_BEFORE}", (person_id, date))


def delete_suggestions_of_faces(conn: sqlite3.Connection, face_ids: Sequence[int]) -> None:
    for chunk in chunks(face_ids):
        conn.execute(f"DELETE FROM suggestions WHERE face_id IN ({marks(chunk)})", chunk)


def delete_suggestion(conn: sqlite3.Connection, face_id: int, person_id: int) -> None:
    conn.execute("DELETE FROM suggestions WHERE face_id = ? AND person_id = ?", (face_id, person_id))


def restore_suggestion(conn: sqlite3.Connection, row: SuggestionRow) -> None:
    """Put a suggestion back (nothing happens if it is there again)."""
    conn.execute(f"INSERT OR IGNORE INTO suggestions({_SUGGESTION}) VALUES (?, ?, ?, ?)", row)


# ---------------------------------------------------------------------------------- explanations

def match_of(conn: sqlite3.Connection, face_id: int) -> FaceMatch | None:
    """A face's state, person and match columns (None: no such face)."""
    r = conn.execute("SELECT f.state, f.person_id, ps.name, f.match_similarity, f.match_evidence, "
                     "f.cluster_id FROM faces f LEFT JOIN persons ps ON ps.id = f.person_id "
                     "WHERE f.id = ?", (face_id,)).fetchone()
    return FaceMatch(*r) if r else None


def candidates(conn: sqlite3.Connection, face_id: int) -> list[Candidate]:
    """The people suggested for a face, most likely first."""
    return [Candidate(*r) for r in conn.execute(
        "SELECT ps.name, s.similarity, s.evidence FROM suggestions s JOIN "
        "persons ps ON ps.id = s.person_id WHERE s.face_id = ? "
        "ORDER BY s.similarity DESC", (face_id,))]
