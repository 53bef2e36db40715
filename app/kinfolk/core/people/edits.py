"""People: name groups, rename, merge, move and reject faces, hide, cover, birth date — with undo.

Every decision the user makes is stored on the faces themselves (``person_id`` + ``state``) and in
``face_rejections``; clustering only ever touches ``cluster_id`` of unassigned faces, so re-clustering
never loses a name, a confirmation or a rejection.

Invariants kept here:
- one person appears at most once per photo (a face that would break this is left unassigned);
- a face rejected for a person is never assigned or suggested to that person again;
- naming with an existing name (case-insensitive) merges into that person;
- a person's cover (the face on their card) is stored and stays put: chosen by the user ("Use as
  cover"), else the best face the user confirmed when the person was created; only when that face
  leaves the person (moved, rejected, removed, not a face) is the best remaining confirmed face
  stored instead (``_keep_covers``). A better face matched or confirmed later never replaces it.

Each mutating function returns a ``Change``: ``change.undo(conn)`` restores exactly the rows it touched
(the GUI keeps these for undo; redo re-runs the operation).

Each operation is one transaction made of named statements of ``kinfolk.db`` (faces, people,
matches, groups, forgotten); the rules above and the journal are decided here, not there.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from kinfolk.db import faces as db_faces
from kinfolk.db import forgotten as db_forgotten
from kinfolk.db import groups as db_groups
from kinfolk.db import matches as db_matches
from kinfolk.db import people as db_people
from kinfolk.db.connection import transaction
from kinfolk.db.faces import FaceDecision, StoredFace
from kinfolk.db.matches import SuggestionRow
from kinfolk.db.people import PersonRow


class PeopleError(Exception):
    """An operation the user asked for cannot be done (unknown person, empty name, ...)."""


#: A named person with their counts, as the views and ``kinfolk people`` show them (the row
#: ``db.people.person_counts`` reads; one type, not a copy of it).
PersonSummary = db_people.PersonCounts


@dataclass
class ClusterSummary:
    id: int
    model_id: str
    faces: int
    photos: int
    cover_face_id: int | None  # None only when the group emptied meanwhile (another writer)


# ------------------------------------------------------------------------------------ undo journal

@dataclass
class Change:
    """Before-images of the rows an operation touched; ``undo`` puts them back."""

    description: str = ""
    faces: dict[int, FaceDecision] = field(default_factory=dict)  # face id -> its decision before
    persons_before: dict[int, PersonRow | None] = field(default_factory=dict)  # None = did not exist
    rejections_added: set[tuple[int, int]] = field(default_factory=set)
    rejections_removed: set[tuple[int, int]] = field(default_factory=set)
    suggestions_removed: list[SuggestionRow] = field(default_factory=list)
    result: object = None
    # A change made by matching, not by the user: undo only puts back faces that are still as
    # matching left them ('auto'), so it never overwrites a later decision of the user.
    automatic: bool = False
    note: str = ""  # what the user should know beyond the description ("2 faces left out: …")
    deleted_faces: list[tuple[StoredFace, bytes | None]] = field(default_factory=list)  # row, crop
    not_faces_added: list[int] = field(default_factory=list)  # rowids in not_faces
    faces_added: list[int] = field(default_factory=list)  # face rows the operation created

    def keep_faces(self, conn: sqlite3.Connection, face_ids: Iterable[int]) -> None:
        ids = [i for i in face_ids if i not in self.faces]
        self.faces.update(db_faces.decisions(conn, ids))

    def keep_person(self, conn: sqlite3.Connection, person_id: int | None) -> None:
        if person_id is None or person_id in self.persons_before:
            return
        self.persons_before[person_id] = db_people.person_row(conn, person_id)

    def keep_suggestions(self, rows: Iterable[SuggestionRow]) -> None:
        self.suggestions_removed += rows

    def undo(self, conn: sqlite3.Connection) -> None:
        with transaction(conn):
            for fid in self.faces_added:  # cascades their crop, suggestions, rejections
                db_faces.delete_face(conn, fid)
            for rowid in self.not_faces_added:
                db_forgotten.remove_not_face(conn, rowid)
            for row, jpeg in self.deleted_faces:  # before anything that points at them
                db_faces.restore_face(conn, row, jpeg)
            # Persons first (faces may point at a person that the operation deleted).
            for before in self.persons_before.values():
                if before is not None:
                    db_people.restore_person(conn, before)
            for fid, values in self.faces.items():
                db_faces.restore_decision(conn, fid, values, only_if_auto=self.automatic)
            for fid, pid in self.rejections_added:
                db_people.remove_rejection(conn, fid, pid)
            for fid, pid in self.rejections_removed:
                db_people.add_rejection(conn, fid, pid)
            for sugg in self.suggestions_removed:
                db_matches.restore_suggestion(conn, sugg)
            for pid, before in self.persons_before.items():
                if before is None:  # created by the operation
                    db_people.delete_person(conn, pid)


def journaled_match(conn: sqlite3.Connection, match: Callable[[sqlite3.Connection], object]) -> Change:
    """Run ``match(conn)`` (e.g. ``core.matching.match_faces`` for each model) and return what it
    did as an undoable ``Change``: the before-images of the faces it assigned automatically.

    Matching after an edit is a consequence of that edit: the GUI appends this change to the edit's
    undo step, so undoing a wrong "Yes" also takes back the faces that followed it. Suggestions are
    not journaled: they are rewritten by the next match (which runs after every undo)."""
    before = db_faces.decisions_in_state(conn, "unassigned")
    change = Change("Recognized automatically", automatic=True)
    change.result = match(conn)
    for fid in db_faces.ids_in_state(conn, "auto"):
        if fid in before:
            change.faces[fid] = before[fid]
    return change


# ------------------------------------------------------------------------------------------ reads

def list_people(conn: sqlite3.Connection, include_hidden: bool = False) -> list[PersonSummary]:
    """Named people with face and photo counts, most photos first."""
    return db_people.person_counts(conn, include_hidden)


def list_clusters(conn: sqlite3.Connection, min_faces: int = 1) -> list[ClusterSummary]:
    """Unnamed groups (clusters of unassigned faces), largest first."""
    return [ClusterSummary(g.id, g.model_id, g.faces, g.photos,
                           db_groups.best_face_of_group(conn, g.id))
            for g in db_groups.group_counts(conn, min_faces)]


def person_by_name(conn: sqlite3.Connection, name: str) -> int | None:
    return db_people.person_by_name(conn, name.strip())


def resolve_person(conn: sqlite3.Connection, ref: str | int) -> int:
    """A person id from an id or a name (CLI arguments accept either)."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        if db_people.person_exists(conn, int(ref)):
            return int(ref)
    pid = person_by_name(conn, str(ref))
    if pid is None:
        raise PeopleError(f"no person named {ref!r}")
    return pid


def face_ids_of_person(conn: sqlite3.Connection, person_id: int) -> list[int]:
    return db_faces.ids_of_person(conn, person_id)


def face_ids_of_cluster(conn: sqlite3.Connection, cluster_id: int) -> list[int]:
    return db_groups.face_ids_of_group(conn, cluster_id)


# ---------------------------------------------------------------------------------------- writes

def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise PeopleError("a name cannot be empty")
    return name


def _get_or_create(conn: sqlite3.Connection, name: str, change: Change) -> int:
    pid = person_by_name(conn, name)
    if pid is None:
        pid = db_people.add_person(conn, name)
        change.persons_before[pid] = None
    return pid


def _keep_covers(conn: sqlite3.Connection, change: Change, *person_ids: int) -> None:
    """Give every person the operation touched (``person_ids``, the persons journaled in
    ``change``, the former persons of its faces) a cover that is one of their own faces: a stored
    cover that still is stays; otherwise their best confirmed face is stored (journaled)."""
    touched = set(person_ids) | set(change.persons_before)
    touched |= {d.person_id for d in change.faces.values() if d.person_id is not None}
    touched |= {row.person_id for row, _ in change.deleted_faces if row.person_id is not None}
    for pid in sorted(touched):
        row = db_people.person_row(conn, pid)
        if row is None:  # merged away or never existed
            continue
        if row.cover_face_id is not None and db_faces.is_face_of(conn, row.cover_face_id, pid):
            continue
        cover = db_faces.cover_candidate(conn, pid)
        if cover != row.cover_face_id:
            change.keep_person(conn, pid)
            db_people.set_cover(conn, pid, cover)


def _drop_suggestions(conn: sqlite3.Connection, face_ids: Sequence[int], change: Change) -> None:
    """Every suggestion of the faces goes (journaled)."""
    change.keep_suggestions(db_matches.suggestions_of_faces(conn, face_ids))
    db_matches.delete_suggestions_of_faces(conn, face_ids)


def _assign(conn: sqlite3.Connection, face_ids: Sequence[int], person_id: int, change: Change,
            state: str = "confirmed", explicit: bool = False) -> list[int]:
    """Assign faces to a person, skipping a second face in one photo and, unless the user picked
    these very faces (``explicit``: that overrides an earlier "not this person"), faces rejected
    for them. Returns the faces actually assigned."""
    change.keep_faces(conn, face_ids)
    rejected = db_people.rejected_faces(conn, person_id)
    if explicit:
        for fid in set(face_ids) & rejected:
            db_people.remove_rejection(conn, fid, person_id)
            change.rejections_removed.add((fid, person_id))
        rejected -= set(face_ids)
    taken_photos = db_faces.photo_ids_of_person(conn, person_id)
    done = []
    same_photo = 0
    for fid, photo_id, current in db_faces.placements(conn, face_ids):
        if fid in rejected:
            continue
        if current != person_id and photo_id in taken_photos:
            same_photo += 1
            continue
        taken_photos.add(photo_id)
        db_faces.set_person(conn, fid, person_id, state)
        done.append(fid)
    if done:
        _drop_suggestions(conn, done, change)
    skipped = len(set(face_ids)) - len(done)
    if skipped:
        name = db_people.person_name(conn, person_id)
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
        db_groups.ungroup(conn, [f for f in faces if f not in done])
        _keep_covers(conn, change, pid)
    change.result = pid
    return change


def name_faces(conn: sqlite3.Connection, face_ids: Sequence[int], name: str) -> Change:
    """Assign individual faces to the person called ``name`` (created if new)."""
    name = _clean_name(name)
    change = Change(f"Name {'a face' if len(face_ids) == 1 else f'{len(face_ids)} faces'} {name}")
    with transaction(conn):
        pid = _get_or_create(conn, name, change)
        _assign(conn, face_ids, pid, change, explicit=True)
        _keep_covers(conn, change, pid)
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
        _keep_covers(conn, change, pid)
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
            if db_people.add_rejection(conn, fid, pid):
                change.rejections_added.add((fid, pid))
            change.keep_suggestions(db_matches.suggestions_of_pair(conn, fid, pid))
            db_matches.delete_suggestion(conn, fid, pid)
            db_faces.unassign_from(conn, fid, pid)
        _keep_covers(conn, change, pid)
    return change


def unassign(conn: sqlite3.Connection, face_ids: Sequence[int]) -> Change:
    """"Remove": faces go back to unassigned (no rejection remembered)."""
    change = Change("Remove faces")
    with transaction(conn):
        change.keep_faces(conn, face_ids)
        db_faces.unassign(conn, face_ids)
        _keep_covers(conn, change)
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
        db_people.rename_person(conn, pid, new_name)
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
        states = db_faces.states_of_person(conn, src)
        change.keep_faces(conn, faces)
        # Detach first so _assign's one-per-photo check sees only the target's photos.
        db_faces.detach_person(conn, src)
        _assign(conn, [f for f in faces if states[f] == "confirmed"], dst, change)
        _assign(conn, [f for f in faces if states[f] == "auto"], dst, change, "auto")
        for fid in db_people.rejected_faces(conn, src):
            change.rejections_removed.add((fid, src))
            if db_people.add_rejection(conn, fid, dst):
                change.rejections_added.add((fid, dst))
        change.keep_suggestions(db_matches.suggestions_of_person(conn, src))
        db_people.delete_person(conn, src)  # cascades rejections, suggestions
        _keep_covers(conn, change, dst)  # the target keeps their own cover
    change.result = dst
    return change


def set_hidden(conn: sqlite3.Connection, person: str | int, hidden: bool = True) -> Change:
    pid = resolve_person(conn, person)
    change = Change("Hide" if hidden else "Show")
    with transaction(conn):
        change.keep_person(conn, pid)
        db_people.set_person_hidden(conn, pid, hidden)
    return change


def hide_cluster(conn: sqlite3.Connection, cluster_id: int) -> Change:
    """Strangers: the group's faces are set aside ('ignored') and never clustered or suggested again."""
    change = Change("Hide group")
    with transaction(conn):
        faces = face_ids_of_cluster(conn, cluster_id)
        if not faces:
            raise PeopleError(f"no unnamed group {cluster_id}")
        change.keep_faces(conn, faces)
        _drop_suggestions(conn, faces, change)
        db_faces.set_ignored(conn, faces)
    return change


def unhide_strangers(conn: sqlite3.Connection) -> Change:
    """Bring back every face set aside by ``hide_cluster``: they are grouped again at the next
    clustering run."""
    change = Change("Show hidden groups")
    with transaction(conn):
        ids = db_faces.ids_in_state(conn, "ignored")
        change.keep_faces(conn, ids)
        db_faces.unignore_all(conn)
    change.result = len(ids)
    return change


def unhide_faces(conn: sqlite3.Connection, face_ids: Sequence[int]) -> Change:
    """Bring back some faces set aside by ``hide_cluster`` (not all strangers are strangers): they
    are unassigned again and grouped at the next clustering run."""
    change = Change("Show hidden faces")
    with transaction(conn):
        change.keep_faces(conn, face_ids)
        db_faces.unignore(conn, face_ids)
    change.result = len(face_ids)
    return change


def hidden_face_ids(conn: sqlite3.Connection) -> list[int]:
    """Faces of the groups the user hid ("Not someone I know"), best quality first."""
    return db_faces.ids_in_state(conn, "ignored", best_first=True)


def set_cover(conn: sqlite3.Connection, person: str | int, face_id: int) -> Change:
    pid = resolve_person(conn, person)
    if not db_faces.is_face_of(conn, face_id, pid):
        raise PeopleError("the cover must be one of the person's own faces")
    change = Change("Set cover")
    with transaction(conn):
        change.keep_person(conn, pid)
        db_people.set_cover(conn, pid, face_id)
    return change


def set_birth_date(conn: sqlite3.Connection, person: str | int, birth_date: str | None) -> Change:
    """ISO date (YYYY-MM-DD) or None. Faces in photos taken before it are never suggested."""
    pid = resolve_person(conn, person)
    if birth_date:
        import datetime as _dt

        try:
            born = _dt.date.fromisoformat(birth_date)
        except ValueError as exc:
            raise PeopleError(f"not a date (YYYY-MM-DD): {birth_date}") from exc
        if born > _dt.date.today():
            raise PeopleError(f"{birth_date} is in the future: a birth date must be a day that has passed")
    change = Change("Set birth date")
    with transaction(conn):
        change.keep_person(conn, pid)
        db_people.set_birth_date(conn, pid, birth_date)
        if birth_date:
            change.keep_suggestions(db_matches.suggestions_before(conn, pid, birth_date))
            db_matches.delete_suggestions_before(conn, pid, birth_date)
    return change


def mark_not_face(conn: sqlite3.Connection, face_ids: Sequence[int]) -> Change:
    """"Not a face" (a dog, a pattern the detector mistook): the faces are deleted with their
    embeddings and crops, and their boxes remembered in ``not_faces`` so a rescan does not bring
    them back. They leave every group, person and suggestion. Undoable."""
    change = Change("Not a face")
    with transaction(conn):
        for fid in face_ids:
            saved = db_faces.stored_face(conn, fid)
            if saved is None:
                continue
            row = saved[0]
            change.keep_suggestions(db_matches.suggestions_of_faces(conn, [fid]))
            change.rejections_removed |= db_people.rejections_of_face(conn, fid)
            for pid in db_people.persons_with_cover(conn, fid):
                change.keep_person(conn, pid)
            change.deleted_faces.append(saved)
            change.not_faces_added.append(
                db_forgotten.add_not_face(conn, row.photo_id, (row.x1, row.y1, row.x2, row.y2)))
            db_faces.delete_face(conn, fid)  # cascades crops, suggestions
        _keep_covers(conn, change)  # a deleted cover was set to NULL: the next best is stored
    n = len(change.deleted_faces)
    change.description = "Not a face" if n == 1 else f"{n} boxes are not faces"
    return change


def pull_out_of_group(conn: sqlite3.Connection, face_ids: Sequence[int]) -> Change:
    """Take faces out of their unnamed group (they were grouped with people they are not): they
    stay unassigned, in no group, and are reviewed one by one with the other single faces."""
    change = Change("Remove from group")
    with transaction(conn):
        change.keep_faces(conn, face_ids)
        db_groups.pull_out(conn, face_ids)
    return change


def single_face_ids(conn: sqlite3.Connection) -> list[int]:
    """Faces in no group, on no person and with no pending suggestion (a one-time guest, a face
    pulled out of a group), best quality first: what "Review single faces" walks through."""
    return db_groups.single_face_ids(conn)
