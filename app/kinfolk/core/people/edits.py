"""People: name groups, rename, merge, move and reject faces, hide, cover, birth date — with undo.

Every decision the user makes is stored on the faces themselves (``person_id`` + ``state``) and in
``face_rejections``; clustering only ever touches ``cluster_id`` of unassigned faces, so re-clustering
never loses a name, a confirmation or a rejection.

Invariants kept here:
- one person appears at most once per photo (a face that would break this is left unassigned);
- a face rejected for a person is never assigned or suggested to that person again;
- naming with an existing name (case-insensitive) merges into that person.

Each mutating function returns a ``Change``: ``change.undo(conn)`` restores exactly the rows it touched
(the GUI keeps these for undo; redo re-runs the operation).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from kinfolk.db import repo
from kinfolk.db.connection import inserted_id, transaction


class PeopleError(Exception):
    """An operation the user asked for cannot be done (unknown person, empty name, ...)."""


@dataclass
class PersonSummary:
    id: int
    name: str
    hidden: bool
    faces: int
    photos: int
    cover_face_id: int | None
    birth_date: str | None
    suggestions: int = 0
    latest_photo: str | None = None  # when their newest photo was taken (real dates only)


@dataclass
class ClusterSummary:
    id: int
    model_id: str
    faces: int
    photos: int
    cover_face_id: int | None  # None only when the group emptied meanwhile (another writer)


# ------------------------------------------------------------------------------------ undo journal

_FACE_COLS = ("person_id", "state", "cluster_id", "match_similarity", "match_evidence")


@dataclass
class Change:
    """Before-images of the rows an operation touched; ``undo`` puts them back."""

    description: str = ""
    faces: dict[int, tuple] = field(default_factory=dict)  # face id -> _FACE_COLS values
    persons_before: dict[int, dict | None] = field(default_factory=dict)  # None = did not exist
    rejections_added: set[tuple[int, int]] = field(default_factory=set)
    rejections_removed: set[tuple[int, int]] = field(default_factory=set)
    suggestions_removed: list[tuple] = field(default_factory=list)
    result: object = None
    # A change made by matching, not by the user: undo only puts back faces that are still as
    # matching left them ('auto'), so it never overwrites a later decision of the user.
    automatic: bool = False
    note: str = ""  # what the user should know beyond the description ("2 faces left out: …")
    deleted_faces: list[tuple[dict, bytes | None]] = field(default_factory=list)  # row, thumbnail
    not_faces_added: list[int] = field(default_factory=list)  # rowids in not_faces
    faces_added: list[int] = field(default_factory=list)  # face rows the operation created

    def keep_faces(self, conn: sqlite3.Connection, face_ids: Iterable[int]) -> None:
        ids = [i for i in face_ids if i not in self.faces]
        for chunk in _chunks(ids):
            q = ",".join("?" * len(chunk))
            for r in conn.execute(f"SELECT id, {', '.join(_FACE_COLS)} FROM faces WHERE id IN ({q})",
                                  chunk):
                self.faces[r[0]] = tuple(r[1:])

    def keep_person(self, conn: sqlite3.Connection, person_id: int | None) -> None:
        if person_id is None or person_id in self.persons_before:
            return
        row = conn.execute("SELECT * FROM persons WHERE id = ?", (person_id,)).fetchone()
        self.persons_before[person_id] = dict(row) if row else None

    def keep_suggestions(self, conn: sqlite3.Connection, where: str, params: Sequence) -> None:
        self.suggestions_removed += [tuple(r) for r in conn.execute(
            f"SELECT face_id, person_id, similarity, evidence FROM suggestions WHERE {where}", params)]

    def undo(self, conn: sqlite3.Connection) -> None:
        with transaction(conn):
            for fid in self.faces_added:  # cascades their crop, suggestions, rejections
                conn.execute("DELETE FROM faces WHERE id = ?", (fid,))
            for rowid in self.not_faces_added:
                conn.execute("DELETE FROM not_faces WHERE rowid = ?", (rowid,))
            for row, jpeg in self.deleted_faces:  # before anything that points at them
                cols = list(row)
                conn.execute(f"INSERT INTO faces({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                             [row[c] for c in cols])
                if jpeg is not None:
                    conn.execute("INSERT OR REPLACE INTO thumbnails(face_id, jpeg) VALUES (?, ?)",
                                 (row["id"], jpeg))
            # Persons first (faces may point at a person that the operation deleted).
            for before in self.persons_before.values():
                if before is not None:
                    cols = list(before)
                    conn.execute(
                        f"INSERT INTO persons({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                        f"ON CONFLICT(id) DO UPDATE SET "
                        + ", ".join(f"{c} = excluded.{c}" for c in cols if c != "id"),
                        [before[c] for c in cols])
            guard = " AND state = 'auto'" if self.automatic else ""
            for fid, values in self.faces.items():
                conn.execute(f"UPDATE faces SET {', '.join(c + ' = ?' for c in _FACE_COLS)} "
                             "WHERE id = ?" + guard, (*values, fid))
            for fid, pid in self.rejections_added:
                conn.execute("DELETE FROM face_rejections WHERE face_id = ? AND person_id = ?",
                             (fid, pid))
            for fid, pid in self.rejections_removed:
                conn.execute("INSERT OR IGNORE INTO face_rejections(face_id, person_id) VALUES (?, ?)",
                             (fid, pid))
            for sugg in self.suggestions_removed:
                conn.execute("INSERT OR IGNORE INTO suggestions(face_id, person_id, similarity, "
                             "evidence) VALUES (?, ?, ?, ?)", sugg)
            for pid, before in self.persons_before.items():
                if before is None:  # created by the operation
                    conn.execute("DELETE FROM persons WHERE id = ?", (pid,))


def journaled_match(conn: sqlite3.Connection, match: Callable[[sqlite3.Connection], object]) -> Change:
    """Run ``match(conn)`` (e.g. ``core.matching.match_faces`` for each model) and return what it
    did as an undoable ``Change``: the before-images of the faces it assigned automatically.

    Matching after an edit is a consequence of that edit: the GUI appends this change to the edit's
    undo step, so undoing a wrong "Yes" also takes back the faces that followed it. Suggestions are
    not journaled: they are rewritten by the next match (which runs after every undo)."""
    before = {r[0]: tuple(r[1:]) for r in conn.execute(
        f"SELECT id, {', '.join(_FACE_COLS)} FROM faces WHERE state = 'unassigned'")}
    change = Change("Recognized automatically", automatic=True)
    change.result = match(conn)
    for (fid,) in conn.execute("SELECT id FROM faces WHERE state = 'auto'"):
        if fid in before:
            change.faces[fid] = before[fid]
    return change


def _chunks(ids: Sequence[int], n: int = 500):
    ids = list(ids)
    for i in range(0, len(ids), n):
        yield ids[i:i + n]


# ------------------------------------------------------------------------------------------ reads

def list_people(conn: sqlite3.Connection, include_hidden: bool = False) -> list[PersonSummary]:
    """Named people with face and photo counts, most photos first."""
    rows = conn.execute(
        "SELECT p.id, p.name, p.hidden, p.cover_face_id, p.birth_date, "
        "COUNT(f.id) AS faces, COUNT(DISTINCT f.photo_id) AS photos, "
        "(SELECT COUNT(*) FROM suggestions s WHERE s.person_id = p.id) AS sugg, "
        "(SELECT MAX(ph.taken_at) FROM faces g JOIN photos ph ON ph.id = g.photo_id "
        " WHERE g.person_id = p.id AND ph.taken_at_source IN ('exif', 'xmp', 'filename')) AS latest "
        "FROM persons p LEFT JOIN faces f ON f.person_id = p.id "
        + ("" if include_hidden else "WHERE p.hidden = 0 ")
        + "GROUP BY p.id ORDER BY photos DESC, p.name").fetchall()
    out = []
    for r in rows:
        cover = r["cover_face_id"] or _best_face(conn, "person_id = ?", (r["id"],))
        out.append(PersonSummary(r["id"], r["name"], bool(r["hidden"]), r["faces"], r["photos"],
                                 cover, r["birth_date"], r["sugg"], r["latest"]))
    return out


def list_clusters(conn: sqlite3.Connection, min_faces: int = 1) -> list[ClusterSummary]:
    """Unnamed groups (clusters of unassigned faces), largest first."""
    rows = conn.execute(
        "SELECT cluster_id, model_id, COUNT(*) AS n, COUNT(DISTINCT photo_id) AS photos "
        "FROM faces WHERE cluster_id IS NOT NULL AND state = 'unassigned' "
        "GROUP BY cluster_id HAVING n >= ? ORDER BY n DESC, cluster_id", (min_faces,)).fetchall()
    return [ClusterSummary(r[0], r[1], r[2], r[3],
                           _best_face(conn, "cluster_id = ? AND state = 'unassigned'", (r[0],)))
            for r in rows]


def _best_face(conn: sqlite3.Connection, where: str, params: Sequence) -> int | None:
    row = conn.execute(f"SELECT id FROM faces WHERE {where} ORDER BY quality DESC, id LIMIT 1",
                       params).fetchone()
    return row[0] if row else None


def person_by_name(conn: sqlite3.Connection, name: str) -> int | None:
    row = conn.execute("SELECT id FROM persons WHERE name = ? COLLATE NOCASE", (name.strip(),)).fetchone()
    return row[0] if row else None


def resolve_person(conn: sqlite3.Connection, ref: str | int) -> int:
    """A person id from an id or a name (CLI arguments accept either)."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        row = conn.execute("SELECT id FROM persons WHERE id = ?", (int(ref),)).fetchone()
        if row:
            return row[0]
    pid = person_by_name(conn, str(ref))
    if pid is None:
        raise PeopleError(f"no person named {ref!r}")
    return pid


def face_ids_of_person(conn: sqlite3.Connection, person_id: int) -> list[int]:
    return [r[0] for r in conn.execute(
        "SELECT f.id FROM faces f JOIN photos p ON p.id = f.photo_id WHERE f.person_id = ? "
        "ORDER BY p.taken_at, f.id", (person_id,))]


def face_ids_of_cluster(conn: sqlite3.Connection, cluster_id: int) -> list[int]:
    return [r[0] for r in conn.execute(
        "SELECT id FROM faces WHERE cluster_id = ? AND state = 'unassigned' ORDER BY quality DESC, id",
        (cluster_id,))]


# ---------------------------------------------------------------------------------------- writes

def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise PeopleError("a name cannot be empty")
    return name


def _get_or_create(conn: sqlite3.Connection, name: str, change: Change) -> int:
    pid = person_by_name(conn, name)
    if pid is None:
        pid = inserted_id(conn.execute("INSERT INTO persons(name) VALUES (?)", (name,)))
        change.persons_before[pid] = None
    return pid


def _assign(conn: sqlite3.Connection, face_ids: Sequence[int], person_id: int, change: Change,
            state: str = "confirmed", explicit: bool = False) -> list[int]:
    """Assign faces to a person, skipping a second face in one photo and, unless the user picked
    these very faces (``explicit``: that overrides an earlier "not this person"), faces rejected
    for them. Returns the faces actually assigned."""
    change.keep_faces(conn, face_ids)
    rejected = {r[0] for r in conn.execute(
        "SELECT face_id FROM face_rejections WHERE person_id = ?", (person_id,))}
    if explicit:
        for fid in set(face_ids) & rejected:
            conn.execute("DELETE FROM face_rejections WHERE face_id = ? AND person_id = ?",
                         (fid, person_id))
            change.rejections_removed.add((fid, person_id))
        rejected -= set(face_ids)
    taken_photos = {r[0] for r in conn.execute(
        "SELECT DISTINCT photo_id FROM faces WHERE person_id = ?", (person_id,))}
    done = []
    rows = []
    same_photo = 0
    for chunk in _chunks(face_ids):
        q = ",".join("?" * len(chunk))
        rows += conn.execute(f"SELECT id, photo_id, person_id FROM faces WHERE id IN ({q}) "
                             "ORDER BY quality DESC", chunk).fetchall()
    for fid, photo_id, current in rows:
        if fid in rejected:
            continue
        if current != person_id and photo_id in taken_photos:
            same_photo += 1
            continue
        taken_photos.add(photo_id)
        conn.execute("UPDATE faces SET person_id = ?, state = ?, cluster_id = NULL, "
                     "match_similarity = NULL, match_evidence = NULL WHERE id = ?",
                     (person_id, state, fid))
        done.append(fid)
    if done:
        for chunk in _chunks(done):
            q = ",".join("?" * len(chunk))
            change.keep_suggestions(conn, f"face_id IN ({q})", chunk)
            conn.execute(f"DELETE FROM suggestions WHERE face_id IN ({q})", chunk)
    skipped = len(set(face_ids)) - len(done)
    if skipped:
        name = conn.execute("SELECT name FROM persons WHERE id = ?", (person_id,)).fetchone()[0]
        why = []
        if same_photo:
            why.append(f"{name} is already in {'that photo' if same_photo == 1 else 'those photos'}")
        if skipped - same_photo:
            why.append(f"you said {'it is' if skipped - same_photo == 1 else 'they are'} not {name}")
        change.note = (f"{skipped} face{'s' if skipped != 1 else ''} left out: " + "; ".join(why)
                       + ".")
    return done


def name_cluster(conn: sqlite3.Connection, cluster_id: int, name: str) -> Change:
    """Give a group a name: its faces become confirmed faces of that person (an existing name merges).
    The user named the faces they saw, so all of them go (an earlier "not this person" for one of
    them is lifted); only a face in a photo the person is already in is left out (one person per
    photo), and it leaves the group too, so a merge never leaves a remnant group behind
    (``change.note`` says so). ``change.result`` is the person id."""
    name = _clean_name(name)
    change = Change(f"Name group as {name}")
    with transaction(conn):  # the group's faces read under the write lock: regrouping cannot interleave
        faces = face_ids_of_cluster(conn, cluster_id)
        if not faces:
            raise PeopleError(f"no unnamed group {cluster_id}")
        pid = _get_or_create(conn, name, change)
        done = set(_assign(conn, faces, pid, change, explicit=True))
        left = [f for f in faces if f not in done]
        repo.each_chunk(conn, "UPDATE faces SET cluster_id = NULL WHERE id IN ({})", left)
    change.result = pid
    return change


def name_faces(conn: sqlite3.Connection, face_ids: Sequence[int], name: str) -> Change:
    """Assign individual faces to the person called ``name`` (created if new)."""
    name = _clean_name(name)
    change = Change(f"Name {'a face' if len(face_ids) == 1 else f'{len(face_ids)} faces'} {name}")
    with transaction(conn):
        pid = _get_or_create(conn, name, change)
        _assign(conn, face_ids, pid, change, explicit=True)
    change.result = pid
    return change


def move_faces(conn: sqlite3.Connection, face_ids: Sequence[int], person: str | int,
               description: str = "Move faces") -> Change:
    """Move faces to an existing person, confirmed (the user chose them: an earlier rejection of
    these very faces for that person is lifted)."""
    pid = resolve_person(conn, person)
    change = Change(description)
    with transaction(conn):
        _assign(conn, face_ids, pid, change, explicit=True)
    change.result = pid
    return change


def confirm(conn: sqlite3.Connection, face_ids: Sequence[int], person: str | int) -> Change:
    """Accept suggestions (or auto matches): the faces become confirmed faces of the person."""
    return move_faces(conn, face_ids, person, "Confirm")


def reject(conn: sqlite3.Connection, face_ids: Sequence[int], person: str | int) -> Change:
    """"Not this person": unassign the faces from the person (if assigned), drop the suggestion, and
    remember the rejection so neither matching nor naming puts them back."""
    pid = resolve_person(conn, person)
    change = Change("Not this person")
    with transaction(conn):
        change.keep_faces(conn, face_ids)
        for fid in face_ids:
            if conn.execute("INSERT OR IGNORE INTO face_rejections(face_id, person_id) VALUES (?, ?)",
                            (fid, pid)).rowcount:
                change.rejections_added.add((fid, pid))
            change.keep_suggestions(conn, "face_id = ? AND person_id = ?", (fid, pid))
            conn.execute("DELETE FROM suggestions WHERE face_id = ? AND person_id = ?", (fid, pid))
            conn.execute("UPDATE faces SET person_id = NULL, state = 'unassigned', cluster_id = NULL, "
                         "match_similarity = NULL, match_evidence = NULL "
                         "WHERE id = ? AND person_id = ?", (fid, pid))
    return change


def unassign(conn: sqlite3.Connection, face_ids: Sequence[int]) -> Change:
    """"Remove": faces go back to unassigned (no rejection remembered)."""
    change = Change("Remove faces")
    with transaction(conn):
        change.keep_faces(conn, face_ids)
        repo.each_chunk(conn, "UPDATE faces SET person_id = NULL, state = 'unassigned', cluster_id = NULL, "
                        "match_similarity = NULL, match_evidence = NULL WHERE id IN ({})", face_ids)
    return change


def rename(conn: sqlite3.Connection, person: str | int, new_name: str) -> Change:
    """Rename a person; renaming to another person's name merges into them."""
    pid = resolve_person(conn, person)
    new_name = _clean_name(new_name)
    other = person_by_name(conn, new_name)
    if other is not None and other != pid:
        return merge(conn, pid, other)
    change = Change(f"Rename to {new_name}")
    with transaction(conn):
        change.keep_person(conn, pid)
        conn.execute("UPDATE persons SET name = ? WHERE id = ?", (new_name, pid))
    change.result = pid
    return change


def merge(conn: sqlite3.Connection, source: str | int, target: str | int) -> Change:
    """Merge ``source`` into ``target``: faces, rejections and suggestions move; source is deleted.
    Where both have a face in the same photo, the source's face is left unassigned (one person per
    photo)."""
    src, dst = resolve_person(conn, source), resolve_person(conn, target)
    if src == dst:
        raise PeopleError("cannot merge a person into themselves")
    change = Change("Merge")
    with transaction(conn):
        change.keep_person(conn, src)
        change.keep_person(conn, dst)
        faces = face_ids_of_person(conn, src)
        states = dict(conn.execute("SELECT id, state FROM faces WHERE person_id = ?", (src,)).fetchall())
        change.keep_faces(conn, faces)
        # Detach first so _assign's one-per-photo check sees only the target's photos.
        conn.execute("UPDATE faces SET person_id = NULL, state = 'unassigned' WHERE person_id = ?", (src,))
        assigned = set(_assign(conn, [f for f in faces if states[f] == "confirmed"], dst, change))
        assigned |= set(_assign(conn, [f for f in faces if states[f] == "auto"], dst, change, "auto"))
        for fid, pid in conn.execute("SELECT face_id, person_id FROM face_rejections WHERE person_id = ?",
                                     (src,)).fetchall():
            change.rejections_removed.add((fid, pid))
            if conn.execute("INSERT OR IGNORE INTO face_rejections(face_id, person_id) VALUES (?, ?)",
                            (fid, dst)).rowcount:
                change.rejections_added.add((fid, dst))
        change.keep_suggestions(conn, "person_id = ?", (src,))
        conn.execute("DELETE FROM persons WHERE id = ?", (src,))  # cascades rejections, suggestions
    change.result = dst
    return change


def set_hidden(conn: sqlite3.Connection, person: str | int, hidden: bool = True) -> Change:
    pid = resolve_person(conn, person)
    change = Change("Hide" if hidden else "Show")
    with transaction(conn):
        change.keep_person(conn, pid)
        conn.execute("UPDATE persons SET hidden = ? WHERE id = ?", (int(hidden), pid))
    return change


def hide_cluster(conn: sqlite3.Connection, cluster_id: int) -> Change:
    """Strangers: the group's faces are set aside ('ignored') and never clustered or suggested again."""
    change = Change("Hide group")
    with transaction(conn):
        faces = face_ids_of_cluster(conn, cluster_id)
        if not faces:
            raise PeopleError(f"no unnamed group {cluster_id}")
        change.keep_faces(conn, faces)
        for chunk in _chunks(faces):
            q = ",".join("?" * len(chunk))
            change.keep_suggestions(conn, f"face_id IN ({q})", chunk)
            conn.execute(f"DELETE FROM suggestions WHERE face_id IN ({q})", chunk)
            conn.execute(f"UPDATE faces SET state = 'ignored', cluster_id = NULL WHERE id IN ({q})", chunk)
    return change


def unhide_strangers(conn: sqlite3.Connection) -> Change:
    """Bring back every face set aside by ``hide_cluster``: they are grouped again at the next
    clustering run."""
    change = Change("Show hidden groups")
    with transaction(conn):
        ids = [r[0] for r in conn.execute("SELECT id FROM faces WHERE state = 'ignored'")]
        change.keep_faces(conn, ids)
        conn.execute("UPDATE faces SET state = 'unassigned' WHERE state = 'ignored'")
    change.result = len(ids)
    return change


def unhide_faces(conn: sqlite3.Connection, face_ids: Sequence[int]) -> Change:
    """Bring back some faces set aside by ``hide_cluster`` (not all strangers are strangers): they
    are unassigned again and grouped at the next clustering run."""
    change = Change("Show hidden faces")
    with transaction(conn):
        change.keep_faces(conn, face_ids)
        repo.each_chunk(conn, "UPDATE faces SET state = 'unassigned' WHERE state = 'ignored' AND id IN ({})",
                        face_ids)
    change.result = len(face_ids)
    return change


def hidden_face_ids(conn: sqlite3.Connection) -> list[int]:
    """Faces of the groups the user hid ("Not someone I know"), best quality first."""
    return [r[0] for r in conn.execute("SELECT id FROM faces WHERE state = 'ignored' "
                                       "ORDER BY quality DESC, id")]


def set_cover(conn: sqlite3.Connection, person: str | int, face_id: int) -> Change:
    pid = resolve_person(conn, person)
    if not conn.execute("SELECT 1 FROM faces WHERE id = ? AND person_id = ?", (face_id, pid)).fetchone():
        raise PeopleError("the cover must be one of the person's own faces")
    change = Change("Set cover")
    with transaction(conn):
        change.keep_person(conn, pid)
        conn.execute("UPDATE persons SET cover_face_id = ? WHERE id = ?", (face_id, pid))
    return change


def set_birth_date(conn: sqlite3.Connection, person: str | int, birth_date: str | None) -> Change:
    """ISO date (YYYY-MM-DD) or None. Faces in photos taken before it are never suggested."""
    pid = resolve_person(conn, person)
    if birth_date:
        import datetime as _dt

        try:
            _dt.date.fromisoformat(birth_date)
        except ValueError as exc:
            raise PeopleError(f"not a date (YYYY-MM-DD): {birth_date}") from exc
    change = Change("Set birth date")
    with transaction(conn):
        change.keep_person(conn, pid)
        conn.execute("UPDATE persons SET birth_date = ? WHERE id = ?", (birth_date, pid))
        if birth_date:
            change.keep_suggestions(
                conn, "person_id = ? AND face_id IN (SELECT f.id FROM faces f JOIN photos p "
                "ON p.id = f.photo_id WHERE p.taken_at < ?)", (pid, birth_date))
            conn.execute("DELETE FROM suggestions WHERE person_id = ? AND face_id IN (SELECT f.id "
                         "FROM faces f JOIN photos p ON p.id = f.photo_id WHERE p.taken_at < ?)",
                         (pid, birth_date))
    return change


def mark_not_face(conn: sqlite3.Connection, face_ids: Sequence[int]) -> Change:
    """"Not a face" (a dog, a pattern the detector mistook): the faces are deleted with their
    embeddings and crops, and their boxes remembered in ``not_faces`` so a rescan does not bring
    them back. They leave every group, person and suggestion. Undoable."""
    change = Change("Not a face")
    with transaction(conn):
        for fid in face_ids:
            row = conn.execute("SELECT * FROM faces WHERE id = ?", (fid,)).fetchone()
            if row is None:
                continue
            row = dict(row)
            thumb = conn.execute("SELECT jpeg FROM thumbnails WHERE face_id = ?", (fid,)).fetchone()
            change.keep_suggestions(conn, "face_id = ?", (fid,))
            change.rejections_removed |= {(r[0], r[1]) for r in conn.execute(
                "SELECT face_id, person_id FROM face_rejections WHERE face_id = ?", (fid,))}
            for (pid,) in conn.execute("SELECT id FROM persons WHERE cover_face_id = ?", (fid,)):
                change.keep_person(conn, pid)
            change.deleted_faces.append((row, thumb[0] if thumb else None))
            change.not_faces_added.append(inserted_id(conn.execute(
                "INSERT INTO not_faces(photo_id, x1, y1, x2, y2) VALUES (?, ?, ?, ?, ?)",
                (row["photo_id"], row["x1"], row["y1"], row["x2"], row["y2"]))))
            conn.execute("DELETE FROM faces WHERE id = ?", (fid,))  # cascades crops, suggestions
    n = len(change.deleted_faces)
    change.description = "Not a face" if n == 1 else f"{n} boxes are not faces"
    return change


def pull_out_of_group(conn: sqlite3.Connection, face_ids: Sequence[int]) -> Change:
    """Take faces out of their unnamed group (they were grouped with people they are not): they
    stay unassigned, in no group, and are reviewed one by one with the other single faces."""
    change = Change("Remove from group")
    with transaction(conn):
        change.keep_faces(conn, face_ids)
        repo.each_chunk(conn, "UPDATE faces SET cluster_id = NULL WHERE state = 'unassigned' AND id IN ({})",
                        face_ids)
    return change


def single_face_ids(conn: sqlite3.Connection) -> list[int]:
    """Faces in no group, on no person and with no pending suggestion (a one-time guest, a face
    pulled out of a group), best quality first: what "Review single faces" walks through."""
    return [r[0] for r in conn.execute(
        "SELECT id FROM faces f WHERE state = 'unassigned' AND cluster_id IS NULL AND NOT EXISTS "
        "(SELECT 1 FROM suggestions s WHERE s.face_id = f.id) ORDER BY quality DESC, id")]
