"""Matching faces to named people: a k-NN vote over each person's confirmed faces.

For every unassigned face of a model, the similarity to a person is the mean of its ``k`` highest
cosine similarities to that person's *confirmed* faces (auto-assigned faces are not used as evidence,
so mistakes don't snowball). Then, with the best person P (score s1) and the runner-up (s2):

- s1 ≥ ``auto`` and s1 − s2 ≥ ``margin`` and P has at least ``MIN_EVIDENCE`` confirmed faces →
  assigned to P (state ``auto``; a single named face is too little to name others without asking:
  naming one face names that face, and its look-alikes become suggestions);
- s1 ≥ ``suggest`` → a suggestion for each person scoring ≥ ``suggest``, best first;
- otherwise the face stays unassigned (and is clustered).

Never proposed: a person the face was rejected for, a hidden person (as a suggestion), a person who
already appears in that photo, a person born after the photo was taken. Two faces of one photo that
both match P: only the stronger one is assigned. Why each face was matched (``Evidence``: its score,
runner-up, nearest confirmed faces and the thresholds in force) is stored as JSON in
``faces.match_evidence`` / ``suggestions.evidence`` and handed to the front-ends typed.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from kinfolk.db import faces as db_faces
from kinfolk.db import matches as db_matches
from kinfolk.db import people as db_people
from kinfolk.db.connection import snapshot, transaction
from kinfolk.core.cancel import CancelToken
from kinfolk.core.people.thresholds import Thresholds, thresholds_for

K_NEIGHBOURS = 3
MARGIN = 0.05
MIN_EVIDENCE = 2  # confirmed faces a person needs before faces are assigned to them automatically
BLOCK = 4096


@dataclass(frozen=True)
class Neighbour:
    """A confirmed face close to the face being matched."""

    face: int
    person: int  # person id
    similarity: float


@dataclass(frozen=True)
class Evidence:
    """Why a face was matched (or suggested) to a person, as matching saw it: the person's k-NN
    score, the runner-up's, the nearest confirmed faces (most similar first) and the thresholds in
    force. Stored as JSON with the match, so "why is this face here?" shows what was decided then."""

    score: float
    runner_up: float | None
    neighbours: tuple[Neighbour, ...]
    auto: float
    suggest: float
    margin: float

    def to_json(self) -> str:
        return json.dumps({"score": self.score, "runner_up": self.runner_up,
                           "neighbours": [dataclasses.asdict(n) for n in self.neighbours],
                           "thresholds": {"auto": self.auto, "suggest": self.suggest, "margin": self.margin}})

    @classmethod
    def from_json(cls, text: str | None) -> "Evidence | None":
        """``None`` for a row without evidence (a face named by hand, or matched before evidence
        was stored)."""
        d = json.loads(text) if text else None
        if not d or "score" not in d:
            return None
        th = d.get("thresholds") or {}
        return cls(score=float(d["score"]), runner_up=d.get("runner_up"),
                   neighbours=tuple(Neighbour(int(n["face"]), int(n["person"]), float(n["similarity"]))
                                    for n in d.get("neighbours") or ()),
                   auto=float(th.get("auto", 1.0)), suggest=float(th.get("suggest", 1.0)),
                   margin=float(th.get("margin", MARGIN)))

    def closest_of(self, person_id: int) -> Neighbour | None:
        """The nearest confirmed face of that person (what a suggestion rests on)."""
        return next((n for n in self.neighbours if n.person == person_id), None)


_Auto = tuple[float, int, int, str, float]  # (score, face, person, evidence json, similarity)
_Suggest = tuple[int, int, float, str]  # (face, person, similarity, evidence json)


@dataclass
class MatchReport:
    """What one matching pass wrote. ``assigned_to`` / ``suggested_for``: per person's name, the
    faces newly given to them automatically / the new suggestions for them (so the front-ends can
    say *who* was recognized, not only how many)."""

    considered: int = 0
    assigned: int = 0
    suggested: int = 0
    assigned_to: Counter[str] = field(default_factory=Counter)
    suggested_for: Counter[str] = field(default_factory=Counter)

    def add(self, other: "MatchReport") -> None:
        """Add another pass's figures (e.g. another model's) to these."""
        self.considered += other.considered
        self.assigned += other.assigned
        self.suggested += other.suggested
        self.assigned_to.update(other.assigned_to)
        self.suggested_for.update(other.suggested_for)


def _person_scores(queries: np.ndarray, gallery: np.ndarray, bounds: np.ndarray,
                   k: int) -> tuple[np.ndarray, np.ndarray]:
    """(scores (q, people), sims (q, g)): per person, the mean of the top-k similarities to their
    gallery faces. The gallery is sorted by person; person p owns columns bounds[p]:bounds[p+1]."""
    sims = queries @ gallery.T
    scores = np.empty((len(queries), len(bounds) - 1), np.float32)
    for p in range(len(bounds) - 1):
        s = sims[:, bounds[p]:bounds[p + 1]]
        n = s.shape[1]
        kk = min(k, n)
        top = np.partition(s, n - kk, axis=1)[:, n - kk:] if kk < n else s
        scores[:, p] = top.mean(axis=1)
    return scores, sims


def _day(iso: str | None, missing: float) -> float:
    """An ISO date/time as a day number (for vectorized date comparisons)."""
    if not iso:
        return missing
    import datetime as _dt

    try:
        return float(_dt.date.fromisoformat(iso[:10]).toordinal())
    except ValueError:
        return missing


def match_faces(conn: sqlite3.Connection, model_id: str, thresholds: Thresholds | None = None,
                cancel: CancelToken | None = None) -> MatchReport:
    """Match every unassigned face of ``model_id`` against the named people; rewrite its suggestions.

    Safe while the user edits: everything is read in one snapshot, and the results are written in
    one transaction only where they still hold (the face still unassigned, the person still there,
    not rejected meanwhile, not already in that photo); a decision made meanwhile always wins."""
    th = thresholds or thresholds_for(conn, model_id)
    report = MatchReport()
    with snapshot(conn):
        autos, suggestions = _match(conn, model_id, th, cancel, report)
    return _write(conn, model_id, autos, suggestions, report)


def _match(conn: sqlite3.Connection, model_id: str, th: Thresholds, cancel: CancelToken | None,
           report: MatchReport) -> tuple[list[_Auto], list[_Suggest]]:
    """(automatic assignments, suggestions) as the snapshot read by ``conn`` has them."""
    people = db_matches.gallery(conn, model_id)
    if not people:
        return [], []
    owner_ids = np.array([r.person_id for r in people])
    person_ids = np.unique(owner_ids)  # sorted, as the gallery is
    pindex = {int(p): i for i, p in enumerate(person_ids)}
    bounds = np.array(np.searchsorted(owner_ids, person_ids).tolist() + [len(people)])
    enough = np.diff(bounds) >= MIN_EVIDENCE  # per person: may faces be assigned without asking?
    gallery_face_ids = np.array([r.face_id for r in people])
    gallery = np.frombuffer(b"".join(r.embedding for r in people), np.float32).reshape(len(people), -1)
    hidden = {r.person_id for r in people if r.hidden}
    birth = np.full(len(person_ids), -np.inf)
    for r in people:
        if r.birth_date:
            birth[pindex[r.person_id]] = _day(r.birth_date, -np.inf)
    rejected: dict[int, list[int]] = {}
    for fid, pid in db_people.rejections(conn):
        if pid in pindex:
            rejected.setdefault(fid, []).append(pindex[pid])
    present: dict[int, set[int]] = {}
    for photo_id, pid in db_matches.people_in_photos(conn):
        present.setdefault(photo_id, set()).add(pid)

    ids, emb = db_faces.embeddings(conn, model_id, state="unassigned")
    report.considered = len(ids)
    if not len(ids):
        return [], []
    meta = db_matches.unassigned_photos(conn, model_id)
    photo_of = np.array([meta[int(f)][0] for f in ids])
    taken = np.array([_day(meta[int(f)][1], np.inf) for f in ids])
    autos: list[_Auto] = []
    suggestions: list[_Suggest] = []
    for start in range(0, len(ids), BLOCK):
        if cancel is not None:
            cancel.check()
        stop = min(start + BLOCK, len(ids))
        scores, sims = _person_scores(emb[start:stop], gallery, bounds, K_NEIGHBOURS)
        # Who may this face be? Not someone born after the photo, rejected for it, or already in it.
        scores[taken[start:stop, None] < birth[None, :]] = -np.inf
        for row in range(stop - start):
            fid = int(ids[start + row])
            for p_i in rejected.get(fid, ()):
                scores[row, p_i] = -np.inf
            for pid in present.get(int(photo_of[start + row]), ()):
                if pid in pindex:
                    scores[row, pindex[pid]] = -np.inf
        order = np.argsort(-scores, axis=1)[:, :2] if scores.shape[1] > 1 else np.zeros((stop - start, 1), int)
        s1 = np.take_along_axis(scores, order[:, :1], axis=1)[:, 0]
        for row in np.flatnonzero(s1 >= th.suggest).tolist():
            fid = int(ids[start + row])
            p1 = int(order[row, 0])
            s2_raw = float(scores[row, order[row, 1]]) if order.shape[1] > 1 else -np.inf
            s2 = s2_raw if np.isfinite(s2_raw) else None
            top = np.argsort(-sims[row])[:5]
            evidence = Evidence(
                score=round(float(s1[row]), 4), runner_up=round(s2, 4) if s2 is not None else None,
                neighbours=tuple(Neighbour(int(gallery_face_ids[g]), int(owner_ids[g]),
                                           round(float(sims[row, g]), 4)) for g in top),
                auto=th.auto, suggest=th.suggest, margin=MARGIN)
            pid1 = int(person_ids[p1])
            if s1[row] >= th.auto and (s2 is None or s1[row] - s2 >= MARGIN) and enough[p1]:
                autos.append((float(s1[row]), fid, pid1, evidence.to_json(), float(s1[row])))
                continue
            for p_i in np.flatnonzero(scores[row] >= th.suggest).tolist():
                pid = int(person_ids[p_i])
                if pid in hidden:
                    continue
                ev = dataclasses.replace(evidence, score=round(float(scores[row, p_i]), 4))
                suggestions.append((fid, pid, float(scores[row, p_i]), ev.to_json()))
    return autos, suggestions


def _write(conn: sqlite3.Connection, model_id: str, autos: list[_Auto], suggestions: list[_Suggest],
           report: MatchReport) -> MatchReport:
    """Replace the suggestions of the model's unassigned faces and apply the automatic assignments,
    in one transaction (readers never see a moment without suggestions). Each is written only where
    it still holds (``db.matches``: the face still unassigned, the person still there, no
    rejection of the pair, and for an assignment nobody's face in that photo already theirs)."""
    assigned: Counter[int] = Counter()  # person id -> faces
    suggested: Counter[int] = Counter()
    with transaction(conn):
        db_matches.clear_unassigned_suggestions(conn, model_id)
        # Strongest first, so two faces of one photo never both go to the same person.
        for _s1, fid, pid, ev, sim in sorted(autos, reverse=True):
            if db_matches.assign_if_still_valid(conn, fid, pid, sim, ev):
                assigned[pid] += 1
        written = set()
        for fid, pid, sim, ev in suggestions:
            if db_matches.suggest_if_still_valid(conn, fid, pid, sim, ev):
                written.add(fid)
                suggested[pid] += 1
        report.assigned = sum(assigned.values())
        report.suggested = len(written)
        # Names as this transaction sees them (a person written to is still there).
        for counts, by_name in ((assigned, report.assigned_to), (suggested, report.suggested_for)):
            for pid, n in counts.items():
                by_name[db_people.person_name(conn, pid) or f"#{pid}"] += n
    return report


@dataclass
class Suggestion:
    face_id: int
    person_id: int
    person: str
    similarity: float
    photo: str
    evidence: Evidence | None


def list_suggestions(conn: sqlite3.Connection, person_id: int | None = None) -> list[Suggestion]:
    """Pending suggestions, most likely first (per person when given)."""
    return [Suggestion(r.face_id, r.person_id, r.person, r.similarity, r.photo,
                       Evidence.from_json(r.evidence))
            for r in db_matches.suggestions(conn, person_id)]


@dataclass(frozen=True)
class Candidate:
    """A person a face may be (a pending suggestion)."""

    person: str
    similarity: float
    evidence: Evidence | None


@dataclass(frozen=True)
class FaceExplanation:
    """Why a face is where it is. ``similarity`` and ``evidence`` are set for a face matched
    automatically; ``suggestions`` (best first) for a face still unassigned."""

    face: int
    state: str  # unassigned | auto | confirmed | ignored
    person: str | None
    cluster: int | None
    similarity: float | None = None
    evidence: Evidence | None = None
    suggestions: tuple[Candidate, ...] = ()


def explain(conn: sqlite3.Connection, face_id: int) -> FaceExplanation | None:
    """Why a face is where it is (``None``: no such face any more)."""
    r = db_matches.match_of(conn, face_id)
    if r is None:
        return None
    out = FaceExplanation(face=face_id, state=r.state, person=r.person, cluster=r.cluster_id)
    if r.state == "auto":
        return dataclasses.replace(out, similarity=r.similarity, evidence=Evidence.from_json(r.evidence))
    if r.state == "unassigned":
        return dataclasses.replace(out, suggestions=tuple(
            Candidate(c.person, c.similarity, Evidence.from_json(c.evidence))
            for c in db_matches.candidates(conn, face_id)))
    return out
