"""kinfolk.core.evaluation.lfw_pairs: the pairs file layout and the 10-fold protocol, on hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from kinfolk.core.evaluation.lfw_pairs import make_pairs, read_pairs, ten_fold_accuracy, write_pairs


def _files(people: dict[str, int]) -> list[str]:
    return [f"{n}/{n}_{i:04d}.jpg" for n, k in people.items() for i in range(1, k + 1)]


def test_make_pairs_round_trips_with_disjoint_folds(tmp_path):
    people = {f"P{i:02d}": 1 + i % 4 for i in range(40)}
    folds = make_pairs(_files(people), folds=4, per_fold=5, seed=1)
    write_pairs(folds, tmp_path / "pairs.txt")
    assert (tmp_path / "pairs.txt").read_text().splitlines()[0] == "4\t5"
    back = read_pairs(tmp_path / "pairs.txt")
    assert back == folds
    names = [{n for (a, _, b, _), _ in fold for n in (a, b)} for fold in folds]
    for i in range(4):
        for j in range(i + 1, 4):
            assert names[i].isdisjoint(names[j])  # LFW's folds hold disjoint people
    for fold in folds:
        assert [s for _, s in fold] == [True] * 5 + [False] * 5
        for (a, i, b, j), same in fold:
            assert (a == b) == same and (a, i) != (b, j)
            assert 1 <= i <= people[a] and 1 <= j <= people[b]


def test_read_pairs_rejects_a_wrong_layout(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("2\t1\nA\t1\t2\nA\t1\tB\t1\nC\t1\t2\n")
    with pytest.raises(ValueError, match="header promises"):
        read_pairs(bad)
    bad.write_text("1\t1\nA\t1\tB\t2\nA\t1\tB\t1\n")
    with pytest.raises(ValueError, match="line 2"):
        read_pairs(bad)


def test_ten_fold_accuracy_takes_each_threshold_from_the_other_folds():
    # two folds; fold 0 is separable at 0.5, fold 1 has one same-person pair at 0.3.
    s = [np.array([0.9, 0.6, 0.2, 0.1]), np.array([0.8, 0.3, 0.4, 0.0])]
    y = [np.array([True, True, False, False])] * 2
    # threshold for fold 0 from fold 1: best on fold 1 is any t in (0.0, 0.3] → lowest candidate 0.3
    # (scores 0.8, 0.3 same; 0.4 different is then accepted: 3/4) vs t in (0.4, 0.8] → 3/4 as well;
    # lowest wins: t = 0.3 → fold 0: 0.9, 0.6 accepted, 0.2, 0.1 rejected → 1.0
    # threshold for fold 1 from fold 0: t = 0.6 (lowest with 4/4) → fold 1: 0.8 yes, 0.3 no → 3/4
    mean, _, per = ten_fold_accuracy(s, y)
    assert per == [1.0, 0.75] and mean == pytest.approx(0.875)
