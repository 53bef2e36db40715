"""Accuracy metrics for face verification, identification and clustering (pure numpy).

Conventions shared by every function here:

- ``scores`` are similarities (higher = more alike, e.g. cosine) of face pairs and ``same`` says
  whether each pair shows one person. A pair is *accepted* when ``score >= threshold``.
- FAR (false accept rate) = accepted different-person pairs / all different-person pairs; FRR = rejected
  same-person pairs / all same-person pairs; TAR = 1 − FRR.
- Clustering labels use ``noise_label`` (−1) for faces left out of every cluster. BCubed scores each
  such face as **its own singleton cluster**: it costs recall (its person's other faces are not with
  it) but never precision. That is the standard reading and the one the project's targets use; it
  means "cluster nothing" scores precision 1.0 and a recall of roughly 1 / (faces per person).

Degenerate inputs (no same-person or no different-person pair) give ``nan`` rather than raising, so an
evaluation over a tiny folder still reports its other figures.
"""

from __future__ import annotations

import math
from typing import Hashable

import numpy as np
import numpy.typing as npt

Codes = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def _codes(values: npt.NDArray[np.generic]) -> tuple[list[Hashable], Codes]:
    """(distinct values, int64 code per item). Works for mixed object arrays (e.g. str and None)."""
    try:
        uniq, codes = np.unique(values, return_inverse=True)
        return uniq.tolist(), codes.ravel().astype(np.int64)
    except TypeError:  # unorderable mix: encode in order of first appearance
        table: dict[Hashable, int] = {}
        codes = np.fromiter((table.setdefault(v, len(table)) for v in values.tolist()), np.int64, len(values))
        return list(table), codes


def _cluster_codes(labels_pred: npt.NDArray[np.generic], noise_label: Hashable) -> Codes:
    """Integer cluster codes of predicted labels; each noise face gets a code of its own (above every
    real one), i.e. counts as a singleton cluster."""
    uniq, cp = _codes(labels_pred)
    is_noise_code = np.array([u == noise_label for u in uniq], dtype=bool)
    noise = is_noise_code[cp]
    if noise.any():
        cp[noise] = len(uniq) + np.arange(int(noise.sum()))
    return cp


def _contingency(ca: Codes, cb: Codes) -> npt.NDArray[np.intp]:
    """Per item, how many items share both its code in ``ca`` and its code in ``cb``."""
    cell = ca * (int(cb.max(initial=0)) + 1) + cb
    _, cinv, ccount = np.unique(cell, return_inverse=True, return_counts=True)
    shared: npt.NDArray[np.intp] = ccount[cinv.ravel()]
    return shared


def bcubed(labels_true: npt.ArrayLike, labels_pred: npt.ArrayLike, noise_label: Hashable = -1
           ) -> tuple[float, float, float]:
    """BCubed (precision, recall, F1) of a clustering against the true identities.

    Per face i with predicted cluster C(i) and true class L(i): precision_i = |C(i) ∩ L(i)| / |C(i)|,
    recall_i = |C(i) ∩ L(i)| / |L(i)|; both are averaged over faces, F1 is their harmonic mean.
    Faces whose ``labels_pred`` equals ``noise_label`` each form their own singleton cluster.
    ``labels_true`` may hold any hashable comparable values (names, ints); it has no noise value.
    """
    t = np.asarray(labels_true)
    p = np.asarray(labels_pred)
    if t.shape != p.shape or t.ndim != 1:
        raise ValueError(f"labels must be two 1-D arrays of one length, got {t.shape} and {p.shape}")
    n = len(t)
    if n == 0:
        return math.nan, math.nan, math.nan
    cp = _cluster_codes(p, noise_label)
    _, ct = _codes(t)
    both = _contingency(ct, cp)
    size_true = np.bincount(ct)[ct]
    size_pred = np.bincount(cp)[cp]
    precision = float(np.mean(both / size_pred))
    recall = float(np.mean(both / size_true))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


def pairwise(labels_true: npt.ArrayLike, labels_pred: npt.ArrayLike, noise_label: Hashable = -1
             ) -> tuple[float, float, float]:
    """Pairwise (precision, recall, F1): over all pairs of faces, a pair is *predicted* together when
    both share a (non-noise) cluster and *truly* together when both show one person.

    precision = true-together pairs among predicted pairs, recall = predicted among true-together
    pairs. Unlike BCubed it weighs big clusters quadratically, so one wrong merge of two large groups
    costs far more here. Noise faces are singletons (they form no pair). No predicted pair → precision
    1.0; no true pair → recall ``nan``.
    """
    t = np.asarray(labels_true)
    p = np.asarray(labels_pred)
    if t.shape != p.shape or t.ndim != 1:
        raise ValueError(f"labels must be two 1-D arrays of one length, got {t.shape} and {p.shape}")
    cp = _cluster_codes(p, noise_label)
    _, ct = _codes(t)

    def pairs(codes: npt.NDArray[np.integer]) -> float:
        c = np.bincount(codes).astype(np.float64)
        return float(np.sum(c * (c - 1) / 2))

    cell = ct * (int(cp.max(initial=0)) + 1) + cp
    together = pairs(np.unique(cell, return_inverse=True)[1].ravel())
    predicted, true = pairs(cp), pairs(ct)
    precision = together / predicted if predicted else 1.0
    recall = together / true if true else math.nan
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


def glued_singletons(labels_true: npt.ArrayLike, labels_pred: npt.ArrayLike, noise_label: Hashable = -1) -> float:
    """Share of identities seen only once (one face in ``labels_true``) whose face was put in a
    group anyway — a stranger glued to someone (``nan`` when there are none)."""
    t = np.asarray(labels_true)
    p = np.asarray(labels_pred)
    _, ct = _codes(t)
    single = np.bincount(ct)[ct] == 1
    if not single.any():
        return math.nan
    return float(np.mean(p[single] != noise_label))


def share_clustered(labels_pred: npt.ArrayLike, noise_label: Hashable = -1) -> float:
    """Fraction of faces that landed in some cluster (not noise)."""
    p = np.asarray(labels_pred)
    return float(np.mean(p != noise_label)) if len(p) else math.nan


def _split(scores: npt.ArrayLike, same: npt.ArrayLike) -> tuple[Floats, Floats]:
    s = np.asarray(scores, dtype=np.float64).ravel()
    m = np.asarray(same, dtype=bool).ravel()
    if s.shape != m.shape:
        raise ValueError(f"scores and same differ in length: {s.shape} vs {m.shape}")
    return np.sort(s[m]), np.sort(s[~m])


def roc_auc(scores: npt.ArrayLike, same: npt.ArrayLike) -> float:
    """Area under the ROC curve: P(a same-person pair scores above a different-person pair),
    ties counting one half (the Mann–Whitney statistic)."""
    pos, neg = _split(scores, same)
    if len(pos) == 0 or len(neg) == 0:
        return math.nan
    below = np.searchsorted(neg, pos, side="left")  # negatives strictly below each positive
    ties = np.searchsorted(neg, pos, side="right") - below
    return float((below.sum() + 0.5 * ties.sum()) / (len(pos) * len(neg)))


def _rates(pos: Floats, neg: Floats, thresholds: Floats) -> tuple[Floats, Floats]:
    """(FAR, FRR) at each threshold (accept when score >= threshold)."""
    far = (len(neg) - np.searchsorted(neg, thresholds, side="left")) / len(neg)
    frr = np.searchsorted(pos, thresholds, side="left") / len(pos)
    return far, frr


def _thresholds(pos: Floats, neg: Floats) -> Floats:
    """Every observed score, and one just above the highest (where nothing is accepted)."""
    return np.unique(np.concatenate([pos, neg, [np.nextafter(max(pos[-1], neg[-1]), np.inf)]]))


def eer(scores: npt.ArrayLike, same: npt.ArrayLike) -> tuple[float, float]:
    """Equal error rate and its threshold.

    Thresholds run over the observed scores; at the threshold where FAR and FRR are closest the EER is
    their mean (the exact crossing lies between them). Returns ``(eer, threshold)``.
    """
    pos, neg = _split(scores, same)
    if len(pos) == 0 or len(neg) == 0:
        return math.nan, math.nan
    thr = _thresholds(pos, neg)
    far, frr = _rates(pos, neg, thr)
    i = int(np.argmin(np.abs(far - frr)))
    return float((far[i] + frr[i]) / 2), float(thr[i])


def tar_at_far(scores: npt.ArrayLike, same: npt.ArrayLike, far: float) -> tuple[float, float]:
    """True accept rate at the lowest threshold whose FAR does not exceed ``far``.

    Returns ``(tar, threshold)``. With fewer than 1 / far different-person pairs the threshold is just
    above the highest different-person score (FAR 0), so small sets give conservative figures.
    """
    if not 0.0 <= far <= 1.0:
        raise ValueError(f"far must be in [0, 1], got {far}")
    pos, neg = _split(scores, same)
    if len(pos) == 0 or len(neg) == 0:
        return math.nan, math.nan
    thr = _thresholds(pos, neg)
    fa, fr = _rates(pos, neg, thr)
    ok = np.nonzero(fa <= far + 1e-12)[0]  # fa falls as the threshold rises: ok is a suffix
    i = int(ok[0])
    return float(1.0 - fr[i]), float(thr[i])


def rank1(probe_emb: npt.ArrayLike, probe_labels: npt.ArrayLike, gallery_emb: npt.ArrayLike | None = None,
          gallery_labels: npt.ArrayLike | None = None, block: int = 4096) -> float:
    """Rank-1 identification rate: share of probes whose most similar gallery face has their label.

    Embeddings are L2-normalized rows compared by cosine. Without a gallery, every face is a probe
    against all the *other* faces (leave-one-out) and probes whose identity has no other face are
    skipped, since they cannot be identified. With a gallery, probes whose identity is absent from it
    are skipped likewise.
    """
    q = np.asarray(probe_emb, dtype=np.float32)
    ql = np.asarray(probe_labels)
    loo = gallery_emb is None
    g = q if loo else np.asarray(gallery_emb, dtype=np.float32)
    gl = ql if loo else np.asarray(gallery_labels)
    if len(q) != len(ql) or len(g) != len(gl):
        raise ValueError("embeddings and labels differ in length")
    _, codes = np.unique(np.concatenate([ql, gl]), return_inverse=True)
    qc, gc = codes[: len(ql)], codes[len(ql):]
    counts = np.bincount(gc, minlength=int(codes.max(initial=0)) + 1)
    present = counts[qc] > (1 if loo else 0)
    if not present.any():
        return math.nan
    hits = 0
    for a in range(0, len(q), block):
        s = q[a : a + block] @ g.T
        if loo:
            r = np.arange(a, min(a + block, len(q)))
            s[r - a, r] = -np.inf
        best = np.argmax(s, axis=1)
        ok = gc[best] == qc[a : a + block]
        hits += int(np.sum(ok & present[a : a + block]))
    return hits / int(present.sum())
