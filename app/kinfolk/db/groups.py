"""Unnamed groups: ``faces.cluster_id`` of unassigned faces, rewritten by every clustering run.

Only the group column of unassigned faces is written here, so names, confirmations and rejections
survive any regrouping. How group ids stay stable across runs is ``core.clustering.grouping``'s rule.
"""

from __future__ import annotations

import sqlite3
from typing import Iterable, NamedTuple, Sequence

from kinfolk.db.binding import each_chunk


class GroupCounts(NamedTuple):
    """An unnamed group: its model, face and photo counts."""

    id: int
    model_id: str
    faces: int
    photos: int


class ClusteringInput(NamedTuple):
    """What the quality gate and the one-face-per-photo constraint need of a face."""

    photo_id: int
    quality: float
    score: float


def group_counts(conn: sqlite3.Connection, min_faces: int = 1) -> list[GroupCounts]:
    """Unnamed groups with at least ``min_faces`` faces, largest first."""
    return [GroupCounts(r[0], r[1], r[2], r[3]) for r in conn.execute(
        "SELECT cluster_id, model_id, COUNT(*) AS n, COUNT(DISTINCT photo_id) AS photos "
        "FROM faces WHERE cluster_id IS NOT NULL AND state = 'unassigned' "
        "GROUP BY cluster_id HAVING n >= ? ORDER BY n DESC, cluster_id", (min_faces,))]


def best_face_of_group(conn: sqlite3.Connection, cluster_id: int) -> int | None:
    """The group's best-quality face (None: the group is empty)."""
    r = conn.execute("SELECT id FROM faces WHERE cluster_id = ? AND state = 'unassigned' "
                     "ORDER BY quality DESC, id LIMIT 1", (cluster_id,)).fetchone()
    return int(r[0]) if r else None


def face_ids_of_group(conn: sqlite3.Connection, cluster_id: int) -> list[int]:
    """The group's faces, best quality first."""
    return [int(r[0]) for r in conn.execute(
        "SELECT id FROM faces WHERE cluster_id = ? AND state = 'unassigned' ORDER BY quality DESC, id",
        (cluster_id,))]


def single_face_ids(conn: sqlite3.Connection) -> list[int]:
    """Unassigned faces in no group and with no pending suggestion, best quality first."""
    return [int(r[0]) for r in conn.execute(
        "SELECT id FROM faces f WHERE state = 'unassigned' AND cluster_id IS NULL AND NOT EXISTS "
        "(SELECT 1 FROM suggestions s WHERE s.face_id = f.id) ORDER BY quality DESC, id")]


def clustering_inputs(conn: sqlite3.Connection, model_id: str) -> dict[int, ClusteringInput]:
    """{face id: photo, quality, detector score} of the unassigned faces of ``model_id``."""
    return {int(r[0]): ClusteringInput(r[1], r[2], r[3]) for r in conn.execute(
        "SELECT id, photo_id, quality, score FROM faces WHERE model_id = ? AND state = 'unassigned'",
        (model_id,))}


def current_groups(conn: sqlite3.Connection) -> dict[int, int]:
    """{face id: group id} of every face in a group."""
    return {int(r[0]): int(r[1]) for r in conn.execute(
        "SELECT id, cluster_id FROM faces WHERE cluster_id IS NOT NULL")}


def clear_groups(conn: sqlite3.Connection, model_ids: Sequence[str]) -> None:
    """Every face of ``model_ids`` leaves its group."""
    models = list(model_ids)
    conn.execute(f"UPDATE faces SET cluster_id = NULL WHERE cluster_id IS NOT NULL AND model_id IN "
                 f"({','.join('?' * len(models))})", models)


def set_groups(conn: sqlite3.Connection, assignments: Iterable[tuple[int, int]]) -> None:
    """(group id, face id): each face joins the group if it is still unassigned."""
    conn.executemany(
        "UPDATE faces SET cluster_id = ? WHERE id = ? AND state = 'unassigned' AND person_id IS NULL",
        list(assignments))


def ungroup(conn: sqlite3.Connection, face_ids: Sequence[int]) -> None:
    """The faces leave their group (whatever their state)."""
    each_chunk(conn, "UPDATE faces SET cluster_id = NULL WHERE id IN ({})", face_ids)


def pull_out(conn: sqlite3.Connection, face_ids: Sequence[int]) -> None:
    """Those of the faces still unassigned leave their group."""
    each_chunk(conn, "UPDATE faces SET cluster_id = NULL WHERE state = 'unassigned' AND id IN ({})",
               face_ids)


