"""People (``persons``) and the user's "not this person" answers (``face_rejections``).

Statements change exactly the rows named; the rules (names are unique regardless of case and
cleaned by the caller, one person per photo, rejections honoured) are ``core.people``'s.
"""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, dataclass, fields
from typing import NamedTuple

from kinfolk.db.connection import inserted_id


@dataclass(frozen=True)
class PersonRow:
    """A whole ``persons`` row, kept so that undo can put it back."""

    id: int
    name: str
    hidden: int
    cover_face_id: int | None
    birth_date: str | None
    created_at: str


_PERSON = ", ".join(f.name for f in fields(PersonRow))


class PersonCounts(NamedTuple):
    """A person with their face, photo and pending-suggestion counts; ``cover_face_id`` is the
    stored cover, else (only until an edit stores one, e.g. its face's photo left the library)
    their best confirmed face, as ``faces.cover_candidate`` picks it; ``latest_photo`` when their newest photo with a
    real date (EXIF, XMP, file name) was taken."""

    id: int
    name: str
    hidden: bool
    faces: int
    photos: int
    cover_face_id: int | None
    birth_date: str | None
    suggestions: int
    latest_photo: str | None


# ----------------------------------------------------------------------------------------- reads

def person_counts(conn: sqlite3.Connection, include_hidden: bool = False) -> list[PersonCounts]:
    """Named people with their counts, most photos first, then by name."""
    rows = conn.execute(
        "SELECT p.id, p.name, p.hidden, "
        "coalesce(p.cover_face_id, (SELECT b.id FROM faces b WHERE b.person_id = p.id "
        " ORDER BY b.state = 'confirmed' DESC, b.quality DESC, b.id LIMIT 1)) AS cover, p.birth_date, "
        "COUNT(f.id) AS faces, COUNT(DISTINCT f.photo_id) AS photos, "
        "(SELECT COUNT(*) FROM suggestions s WHERE s.person_id = p.id) AS sugg, "
        "(SELECT MAX(ph.taken_at) FROM faces g JOIN photos ph ON ph.id = g.photo_id "
        " WHERE g.person_id = p.id AND ph.taken_at_source IN ('exif', 'xmp', 'filename')) AS latest "
        "FROM persons p LEFT JOIN faces f ON f.person_id = p.id "
        + ("" if include_hidden else "WHERE p.hidden = 0 ")
        + "GROUP BY p.id ORDER BY photos DESC, p.name").fetchall()
    return [PersonCounts(r["id"], r["name"], bool(r["hidden"]), r["faces"], r["photos"], r["cover"],
                         r["birth_date"], r["sugg"], r["latest"]) for r in rows]


def person_by_name(conn: sqlite3.Connection, name: str) -> int | None:
    """The id of the person called ``name`` (case-insensitive, as given), if any."""
    row = conn.execute("SELECT id FROM persons WHERE name = ? COLLATE NOCASE", (name,)).fetchone()
    return int(row[0]) if row else None


def person_exists(conn: sqlite3.Connection, person_id: int) -> bool:
    return conn.execute("SELECT 1 FROM persons WHERE id = ?", (person_id,)).fetchone() is not None


def person_name(conn: sqlite3.Connection, person_id: int) -> str | None:
    row = conn.execute("SELECT name FROM persons WHERE id = ?", (person_id,)).fetchone()
    return str(row[0]) if row else None


def person_row(conn: sqlite3.Connection, person_id: int) -> PersonRow | None:
    row = conn.execute(f"SELECT {_PERSON} FROM persons WHERE id = ?", (person_id,)).fetchone()
    return PersonRow(*row) if row else None


def persons_with_cover(conn: sqlite3.Connection, face_id: int) -> list[int]:
    """The people whose stored cover is that face."""
    return [int(r[0]) for r in conn.execute("SELECT id FROM persons WHERE cover_face_id = ?",
                                            (face_id,))]


# ---------------------------------------------------------------------------------------- writes

def add_person(conn: sqlite3.Connection, name: str) -> int:
    """Create a person; returns the id."""
    return inserted_id(conn.execute("INSERT INTO persons(name) VALUES (?)", (name,)))


def restore_person(conn: sqlite3.Connection, row: PersonRow) -> None:
    """Put a person back as ``row`` had them (re-created if deleted)."""
    cols = [f.name for f in fields(PersonRow)]
    conn.execute(f"INSERT INTO persons({_PERSON}) VALUES ({', '.join('?' * len(cols))}) "
                 "ON CONFLICT(id) DO UPDATE SET "
                 + ", ".join(f"{c} = excluded.{c}" for c in cols if c != "id"), astuple(row))


def delete_person(conn: sqlite3.Connection, person_id: int) -> None:
    """Delete a person (their rejections and suggestions cascade; their faces lose the person)."""
    conn.execute("DELETE FROM persons WHERE id = ?", (person_id,))


def rename_person(conn: sqlite3.Connection, person_id: int, name: str) -> None:
    conn.execute("UPDATE persons SET name = ? WHERE id = ?", (name, person_id))


def set_person_hidden(conn: sqlite3.Connection, person_id: int, hidden: bool) -> None:
    conn.execute("UPDATE persons SET hidden = ? WHERE id = ?", (int(hidden), person_id))


def set_cover(conn: sqlite3.Connection, person_id: int, face_id: int | None) -> None:
    conn.execute("UPDATE persons SET cover_face_id = ? WHERE id = ?", (face_id, person_id))


def set_birth_date(conn: sqlite3.Connection, person_id: int, birth_date: str | None) -> None:
    conn.execute("UPDATE persons SET birth_date = ? WHERE id = ?", (birth_date, person_id))


# ------------------------------------------------------------------------------------ rejections

def rejected_faces(conn: sqlite3.Connection, person_id: int) -> set[int]:
    """The faces the user said are not that person."""
    return {int(r[0]) for r in conn.execute(
        "SELECT face_id FROM face_rejections WHERE person_id = ?", (person_id,))}


def rejections(conn: sqlite3.Connection) -> list[tuple[int, int]]:
    """Every (face, person) pair the user rejected."""
    return [(int(r[0]), int(r[1])) for r in conn.execute(
        "SELECT face_id, person_id FROM face_rejections")]


def rejections_of_face(conn: sqlite3.Connection, face_id: int) -> set[tuple[int, int]]:
    return {(int(r[0]), int(r[1])) for r in conn.execute(
        "SELECT face_id, person_id FROM face_rejections WHERE face_id = ?", (face_id,))}


def is_rejected(conn: sqlite3.Connection, face_id: int, person_id: int) -> bool:
    return conn.execute("SELECT 1 FROM face_rejections WHERE face_id = ? AND person_id = ?",
                        (face_id, person_id)).fetchone() is not None


def rejected_names(conn: sqlite3.Connection, face_id: int) -> list[str]:
    """Names of the people the user said a face is not ("Not <name>"), by name."""
    return [str(r[0]) for r in conn.execute(
        "SELECT ps.name FROM face_rejections r JOIN persons ps ON ps.id = r.person_id "
        "WHERE r.face_id = ? ORDER BY ps.name", (face_id,))]


def add_rejection(conn: sqlite3.Connection, face_id: int, person_id: int) -> bool:
    """Remember "this face is not that person"; False if it was remembered already."""
    return conn.execute("INSERT OR IGNORE INTO face_rejections(face_id, person_id) VALUES (?, ?)",
                        (face_id, person_id)).rowcount > 0


def remove_rejection(conn: sqlite3.Connection, face_id: int, person_id: int) -> None:
    conn.execute("DELETE FROM face_rejections WHERE face_id = ? AND person_id = ?",
                 (face_id, person_id))
