"""The LFW verification protocol: a pairs file, 10-fold accuracy (``kinfolk evaluate --pairs``).

Pairs file (LFW's ``pairs.txt`` layout): a header ``FOLDS<TAB>N``, then per fold N same-person lines
``name<TAB>i<TAB>j`` followed by N different-person lines ``name1<TAB>i<TAB>name2<TAB>j``; image ``i``
of ``name`` is ``ROOT/name/name_000i.jpg``. In LFW's file the folds hold disjoint people.

Protocol (LFW's "unrestricted, labeled outside data" reading): each image is scanned like any photo,
the face whose box centre is nearest the image centre is embedded (LFW centres the named person), a
pair scores the cosine similarity of its two faces; for each fold the threshold is the one with the
best accuracy on the other nine, and the reported accuracy is the mean over folds of the held-out
accuracy. An image where no face is found scores −1 (the pair is judged "different").

``make_pairs`` writes such a file from an LFW-layout labeled folder (people split into disjoint folds),
so a part of LFW can be evaluated without bringing in LFW's own pairs file.
"""

from __future__ import annotations

import os
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import numpy.typing as npt

from kinfolk.core.cancel import ProgressFn
from kinfolk.core.faces.backend import Detection, FaceBackend

Pair = tuple[str, int, str, int]  # (name1, image1, name2, image2); name1 == name2 for same-person


def image_path(root: str | os.PathLike[str], name: str, number: int) -> Path:
    return Path(root) / name / f"{name}_{number:04d}.jpg"


def read_pairs(path: str | os.PathLike[str]) -> list[list[tuple[Pair, bool]]]:
    """Folds of ((name1, i, name2, j), same) from a pairs file. Raises ``ValueError`` when the
    layout is not LFW's (the message says which line)."""
    lines = [ln.split() for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip()]
    if not lines or len(lines[0]) != 2 or not all(t.isdigit() for t in lines[0]):
        raise ValueError(f"{path}: the first line must be 'FOLDS<TAB>PAIRS_PER_FOLD' (LFW pairs.txt layout)")
    folds, per = int(lines[0][0]), int(lines[0][1])
    if len(lines) - 1 != folds * 2 * per:
        raise ValueError(f"{path}: header promises {folds} folds of 2 x {per} pairs, "
                         f"found {len(lines) - 1} pair lines")
    out: list[list[tuple[Pair, bool]]] = []
    for f in range(folds):
        fold = []
        for k in range(2 * per):
            no = 1 + f * 2 * per + k
            t = lines[no]
            try:
                if k < per and len(t) == 3:
                    fold.append(((t[0], int(t[1]), t[0], int(t[2])), True))
                elif k >= per and len(t) == 4:
                    fold.append(((t[0], int(t[1]), t[2], int(t[3])), False))
                else:
                    raise ValueError
            except ValueError:
                kind = "name i j" if k < per else "name1 i name2 j"
                raise ValueError(f"{path}, line {no + 1}: expected '{kind}', got {' '.join(t)!r}") from None
        out.append(fold)
    return out


def make_pairs(files: list[str], folds: int = 10, per_fold: int = 300, seed: int = 0
               ) -> list[list[tuple[Pair, bool]]]:
    """Folds in LFW's layout from LFW-style relative paths (``Name/Name_0001.jpg``).

    People are shuffled (``seed``) and dealt into ``folds`` disjoint groups; each fold gets up to
    ``per_fold`` same-person pairs (drawn round-robin over its people with 2+ images, so no one person
    dominates) and as many different-person pairs between its people. Every fold gets the same count:
    the smallest fold's, so the header stays truthful.
    """
    people: dict[str, list[int]] = {}
    for rel in files:
        name, stem = Path(rel).parent.name, Path(rel).stem
        num = stem.rsplit("_", 1)[-1]
        if name and num.isdigit() and stem == f"{name}_{num}":
            people.setdefault(name, []).append(int(num))
    rng = random.Random(seed)
    names = sorted(people)
    rng.shuffle(names)
    groups = [sorted(names[f::folds]) for f in range(folds)]
    same_f, diff_f = [], []
    for g in groups:
        pools = []
        for name in g:
            nums = sorted(people[name])
            cand = [(name, a, name, b) for ia, a in enumerate(nums) for b in nums[ia + 1:]]
            rng.shuffle(cand)
            if cand:
                pools.append(cand)
        same: list[Pair] = []
        while len(same) < per_fold and any(pools):
            for pool in pools:
                if pool and len(same) < per_fold:
                    same.append(pool.pop())
        diff: set[Pair] = set()
        tries = 0
        while len(diff) < per_fold and len(g) > 1 and tries < 100 * per_fold:
            tries += 1
            a, b = sorted(rng.sample(g, 2))
            diff.add((a, rng.choice(people[a]), b, rng.choice(people[b])))
        same_f.append(same)
        diff_f.append(sorted(diff))
    n = min(min(len(s) for s in same_f), min(len(d) for d in diff_f))
    return [[(p, True) for p in sorted(s[:n])] + [(p, False) for p in d[:n]] for s, d in zip(same_f, diff_f)]


def write_pairs(folds: list[list[tuple[Pair, bool]]], path: str | os.PathLike[str]) -> None:
    per = sum(1 for _, same in folds[0] if same)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{len(folds)}\t{per}\n")
        for fold in folds:
            for (a, i, b, j), same in fold:
                f.write(f"{a}\t{i}\t{j}\n" if same else f"{a}\t{i}\t{b}\t{j}\n")


def ten_fold_accuracy(scores: list[npt.NDArray[np.float64]], same: list[npt.NDArray[np.bool_]]
                      ) -> tuple[float, float, list[float]]:
    """(mean, std, per-fold) held-out accuracy; each fold's threshold is the best on the others
    (ties: the lowest such threshold; a pair is "same" when its score ≥ the threshold)."""
    accs, thresholds = [], []
    for f in range(len(scores)):
        tr_s = np.concatenate([s for g, s in enumerate(scores) if g != f])
        tr_y = np.concatenate([y for g, y in enumerate(same) if g != f])
        cand = np.unique(tr_s)
        cand = np.concatenate([cand, [np.nextafter(cand[-1], np.inf)]])
        order = np.sort(tr_s[tr_y])
        neg = np.sort(tr_s[~tr_y])
        correct = (len(order) - np.searchsorted(order, cand, "left")) + np.searchsorted(neg, cand, "left")
        t = float(cand[int(np.argmax(correct))])
        thresholds.append(t)
        accs.append(float(np.mean((scores[f] >= t) == same[f])))
    return float(np.mean(accs)), float(np.std(accs)), accs


def centre_face(detections: Sequence[Detection], shape: tuple[int, ...]) -> int | None:
    """Index of the detection whose box centre is nearest the image centre (None if there is none)."""
    if not detections:
        return None
    h, w = shape[:2]
    d = [((det.box[0] + det.box[2]) / 2 - w / 2) ** 2 + ((det.box[1] + det.box[3]) / 2 - h / 2) ** 2
         for det in detections]
    return int(np.argmin(d))


@dataclass
class PairsReport:
    model_id: str
    folds: int = 0
    pairs: int = 0
    images: int = 0
    images_without_face: list[str] = field(default_factory=list)
    accuracy: float = 0.0
    accuracy_std: float = 0.0
    fold_accuracies: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_pairs(pairs_file: str | os.PathLike[str], root: str | os.PathLike[str], backend: FaceBackend,
                   progress: ProgressFn | None = None) -> PairsReport:
    """Run the protocol (module docstring) with ``backend``. Raises ``ValueError`` for a malformed
    pairs file and ``FileNotFoundError`` naming the first image the pairs need that is missing."""
    from kinfolk.core.imaging.imageio import ImageLoadError, load_for_detection

    folds = read_pairs(pairs_file)
    needed = sorted({(a, i) for fold in folds for (a, i, _, _), _ in fold}
                    | {(b, j) for fold in folds for (_, _, b, j), _ in fold})
    for name, num in needed:
        if not image_path(root, name, num).is_file():
            raise FileNotFoundError(f"{image_path(root, name, num)} (named in {pairs_file}) does not exist")
    report = PairsReport(model_id=backend.model_id, folds=len(folds), pairs=sum(map(len, folds)),
                         images=len(needed))
    emb: dict[tuple[str, int], npt.NDArray[np.float32]] = {}
    for n, key in enumerate(needed):
        path = image_path(root, *key)
        try:
            photo = load_for_detection(path, min_long_side=backend.detect_size)
        except ImageLoadError:
            report.images_without_face.append(str(path))
            continue
        dets = backend.detect(photo.rgb)
        i = centre_face(dets, photo.rgb.shape)
        if i is None:
            report.images_without_face.append(str(path))
            continue
        emb[key] = backend.embed([backend.crop(photo.rgb, dets[i])])[0]
        if progress:
            progress(n + 1, len(needed))

    def score(a: str, i: int, b: str, j: int) -> float:
        ea, eb = emb.get((a, i)), emb.get((b, j))
        return -1.0 if ea is None or eb is None else float(ea @ eb)

    scores = [np.array([score(*p) for p, _ in fold]) for fold in folds]
    same = [np.array([s for _, s in fold]) for fold in folds]
    report.accuracy, report.accuracy_std, report.fold_accuracies = ten_fold_accuracy(scores, same)
    return report
