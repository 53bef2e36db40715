"""``kinfolk evaluate``: the accuracy report we and users judge Kinfolk by.

Scans a labeled folder (``labels.csv``: ``file,identity``; ``none`` = no face, ``a;b`` = group,
``group`` = unnamed people) into a temporary library with the chosen backend, then reports:

- detection: labeled single-person photos where no face was found (misses); faces found in ``none``
  photos;
- verification over the labeled face (the one nearest the centre) of every single-person photo,
  all pairs: ROC AUC, EER (and its threshold), TAR at FAR 1e-2 and 1e-3, rank-1 identification
  (each face against all others);
- clustering (the same ``grouping.organize`` the app runs, over *all* faces of the folder, group photos
  included) scored on those labeled faces: BCubed and pairwise precision/recall/F1 (an unclustered
  face counts as its own singleton), the share of labeled faces that landed in a group, and the share
  of identities seen in one photo only whose face was glued into a group anyway (a stranger merged
  with someone).

The LFW verification protocol (``kinfolk evaluate --pairs``) lives in ``lfw_pairs``.
"""

from __future__ import annotations

import csv
import math
import os
import sqlite3
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from kinfolk.db import faces as db_faces
from kinfolk.db import photos as db_photos
from kinfolk.core.evaluation import metrics
from kinfolk.core.faces.backend import FaceBackend
from kinfolk.core.clustering.agglomeration import ClusterParams
from kinfolk.core.scan.scanner import ScanOptions, ScanProgress, Scanner
from kinfolk.core.people.thresholds import Thresholds


@dataclass
class EvalReport:
    model_id: str
    photos: int = 0
    single_person_photos: int = 0
    detection_misses: list[str] = field(default_factory=list)
    faces_in_no_face_photos: int = 0
    identities: int = 0
    pairs_same: int = 0
    pairs_different: int = 0
    auc: float = 0.0
    eer: float = 0.0
    eer_threshold: float = 0.0
    tar_at_far_1e2: float = 0.0
    threshold_at_far_1e2: float = 0.0
    tar_at_far_1e3: float = 0.0
    threshold_at_far_1e3: float = 0.0
    rank1: float = 0.0
    impostor_max: float = 0.0
    proposed_thresholds: dict[str, float | None] = field(default_factory=dict)
    bcubed_precision: float = 0.0
    bcubed_recall: float = 0.0
    bcubed_f1: float = 0.0
    pairwise_precision: float = 0.0
    pairwise_recall: float = 0.0
    pairwise_f1: float = 0.0
    one_photo_identities: int = 0
    glued_one_photo: float = 0.0
    share_clustered: float = 0.0
    clusters: int = 0
    scan_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def proposed_thresholds(r: EvalReport) -> Thresholds:
    """The rule behind ``thresholds.MEASURED`` (docs/evaluation.md): match = EER threshold;
    suggest = the FAR 1e-3 threshold; auto = just above the most similar different-person pair;
    suggest and auto rounded up to 0.01."""
    def up(v: float) -> float:
        return math.ceil(v * 100 - 1e-9) / 100

    return Thresholds(match=round(r.eer_threshold, 3), auto=up(r.impostor_max),
                      suggest=up(r.threshold_at_far_1e3))


def read_labels(path: str | os.PathLike[str]) -> dict[str, str]:
    """``file`` → ``identity`` from a CSV with those two columns (paths relative to the photo
    folder). Raises ``ValueError``, with words for the user, for a file that is not one."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            columns = set(reader.fieldnames or [])
            if not {"file", "identity"} <= columns:
                found = ", ".join(sorted(columns)) or "nothing"
                raise ValueError(f"{path} is not a labels file: its first line must name the columns "
                                 f"file,identity (it names {found})")
            return {row["file"]: (row["identity"] or "").strip() for row in reader if row["file"]}
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path} is not a labels file (a UTF-8 CSV with columns file,identity): "
                         f"{exc}") from None


def is_single(identity: str) -> bool:
    return identity not in ("none", "group", "") and ";" not in identity


def labeled_faces(conn: sqlite3.Connection, folder: Path) -> dict[str, tuple[int, np.ndarray, int | None]]:
    """Relative path → (face id, embedding, cluster id) of the face each photo's label names: the
    one whose box centre is nearest the photo's centre (LFW's convention, and where a photographer
    puts the subject; the largest face, used before, picked a bystander in some LFW photos)."""
    out: dict[str, tuple[int, np.ndarray, int | None]] = {}
    best: dict[str, float] = {}
    for fid, path, (x1, y1, x2, y2), w, h, emb, cl in db_faces.faces_with_photos(conn):
        rel = Path(path).relative_to(folder).as_posix()
        d = ((x1 + x2) / 2 - (w or 0) / 2) ** 2 + ((y1 + y2) / 2 - (h or 0) / 2) ** 2
        if rel not in best or d < best[rel]:
            best[rel] = d
            out[rel] = (fid, np.frombuffer(emb, np.float32), cl)
    return out


def evaluate(labels_csv: str | os.PathLike[str], folder: str | os.PathLike[str] | None,
             backend: FaceBackend, library: str | os.PathLike[str] | None = None,
             params: ClusterParams | None = None, workers: int | None = None,
             progress: Callable[[ScanProgress], None] | None = None) -> EvalReport:
    """Scan ``folder`` (default: the labels file's folder) and measure; see the module docstring."""
    from kinfolk.db.connection import opened
    from kinfolk.core.clustering.grouping import organize

    labels_csv = Path(labels_csv)
    folder = Path(folder or labels_csv.parent).resolve()
    labels = read_labels(labels_csv)
    report = EvalReport(model_id=backend.model_id, photos=len(labels))
    with tempfile.TemporaryDirectory(prefix="kinfolk-eval-") as tmp:
        lib = Path(library) if library else Path(tmp) / "eval.sqlite"
        opts = ScanOptions()
        if workers:
            opts.workers = workers
        summary = Scanner(lib, [folder], backend, opts, progress=progress).run()
        report.scan_seconds = round(summary.elapsed, 2)
        with opened(lib) as conn:
            org = organize(conn, params)
            report.clusters = org.clusters
            faces = labeled_faces(conn, folder)
            report.faces_in_no_face_photos = sum(
                db_photos.faces_at_path(conn, str(folder / rel))
                for rel, ident in labels.items() if ident == "none")
    singles = {rel: ident for rel, ident in labels.items() if is_single(ident)}
    report.single_person_photos = len(singles)
    report.detection_misses = sorted(rel for rel in singles if rel not in faces)
    found = [rel for rel in sorted(singles) if rel in faces]
    if len(found) < 2:
        return report
    ident = np.array([singles[rel] for rel in found])
    emb = np.stack([faces[rel][1] for rel in found])
    report.identities = len(set(ident))
    sims = emb @ emb.T
    iu = np.triu_indices(len(found), 1)
    scores = sims[iu]
    same = (ident[:, None] == ident[None, :])[iu]
    report.pairs_same, report.pairs_different = int(same.sum()), int((~same).sum())
    report.auc = metrics.roc_auc(scores, same)
    report.eer, report.eer_threshold = metrics.eer(scores, same)
    report.tar_at_far_1e2, report.threshold_at_far_1e2 = metrics.tar_at_far(scores, same, 1e-2)
    report.tar_at_far_1e3, report.threshold_at_far_1e3 = metrics.tar_at_far(scores, same, 1e-3)
    report.rank1 = metrics.rank1(emb, ident)
    report.impostor_max = float(scores[~same].max())
    report.proposed_thresholds = asdict(proposed_thresholds(report))
    clusters = np.array([faces[rel][2] if faces[rel][2] is not None else -1 for rel in found])
    report.bcubed_precision, report.bcubed_recall, report.bcubed_f1 = metrics.bcubed(ident, clusters)
    report.pairwise_precision, report.pairwise_recall, report.pairwise_f1 = metrics.pairwise(ident, clusters)
    report.one_photo_identities = int(np.sum(np.unique(ident, return_counts=True)[1] == 1))
    report.glued_one_photo = metrics.glued_singletons(ident, clusters)
    report.share_clustered = float(np.mean(clusters >= 0))
    return report
