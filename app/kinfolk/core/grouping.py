"""Organize the library after a scan: match faces to named people, then group the rest.

``organize`` is what ``kinfolk cluster`` and the app run after every scan, per recognizer model
(never mixing models): first ``matching.match_faces`` (named people win), then the remaining
unassigned faces are clustered (``clustering.cluster_embeddings``) and their ``cluster_id`` rewritten.
Only ``cluster_id`` of unassigned faces changes, so names, confirmations and rejections survive.
Faces below the quality gate are kept but do not seed groups.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import numpy as np

from ..db import repo
from ..db.connection import transaction
from .cancel import CancelToken
from .clustering import ClusterParams, cluster_embeddings
from .matching import MatchReport, match_faces
from .quality import is_good_for_clustering
from .thresholds import Thresholds, thresholds_for


def cluster_params_for(th: Thresholds, base: ClusterParams | None = None) -> ClusterParams:
    """Clustering similarities on the model's own scale, from its measured thresholds.

    Faces are linked only above ``th.cluster_link`` (by default ``auto``: above every
    different-person pair measured; lower, a crowd's one-off faces pair up with look-alikes: on a
    synthetic crowd, a link at the FAR 1e-3 level glued 26 % of the one-off faces, at ``auto`` 0.1 %).
    Pairs above ``auto`` plus a sixth of the way to 1 count as surely the same person (no finer
    split; low-quality faces attach there). ArcFace-scale models land near the ``ClusterParams``
    defaults (0.45 / 0.55).
    """
    import dataclasses

    base = base or ClusterParams()
    sure = th.auto + (1 - th.auto) / 6
    return dataclasses.replace(base, link_similarity=th.cluster_link, min_similarity=sure,
                               attach_threshold=sure)


@dataclass
class OrganizeReport:
    models: dict[str, dict] = field(default_factory=dict)  # model id -> figures

    @property
    def clusters(self) -> int:
        return sum(m["clusters"] for m in self.models.values())


def models_in_library(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT model_id FROM faces ORDER BY model_id")]


def cluster_model(conn: sqlite3.Connection, model_id: str, first_id: int,
                  params: ClusterParams | None = None, progress=None,
                  cancel: CancelToken | None = None) -> int:
    """Cluster the unassigned faces of one model; ids start at ``first_id``. Returns #clusters."""
    ids, emb = repo.embeddings(conn, model_id, "state = 'unassigned'")
    with transaction(conn):
        conn.execute("UPDATE faces SET cluster_id = NULL WHERE model_id = ? AND cluster_id IS NOT NULL",
                     (model_id,))
    if len(ids) < 2:
        return 0
    meta = dict((r[0], (r[1], r[2])) for r in conn.execute(
        "SELECT id, photo_id, quality FROM faces WHERE model_id = ? AND state = 'unassigned'",
        (model_id,)))
    photo_ids = np.array([meta[int(i)][0] for i in ids], np.int64)
    good = np.array([is_good_for_clustering(meta[int(i)][1]) for i in ids], bool)
    params = params or cluster_params_for(thresholds_for(conn, model_id))
    labels = cluster_embeddings(emb, photo_ids=photo_ids, good=good, params=params,
                                progress=progress, cancel=cancel)
    n = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    with transaction(conn):
        conn.executemany("UPDATE faces SET cluster_id = ? WHERE id = ?",
                         [(first_id + int(lab), int(fid)) for fid, lab in zip(ids, labels) if lab >= 0])
    return n


def organize(conn: sqlite3.Connection, params: ClusterParams | None = None, progress=None,
             cancel: CancelToken | None = None) -> OrganizeReport:
    """Match, then cluster, for every model in the library."""
    report = OrganizeReport()
    next_id = 1
    for model_id in models_in_library(conn):
        m: MatchReport = match_faces(conn, model_id, cancel=cancel)
        n = cluster_model(conn, model_id, next_id, params, progress, cancel)
        next_id += n
        report.models[model_id] = {"matched": m.assigned, "suggested": m.suggested, "clusters": n}
    return report
