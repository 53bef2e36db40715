"""kinfolk.core.evaluation.metrics on hand-made cases whose answers are worked out in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kinfolk.core.evaluation import metrics


def test_bcubed_perfect_and_all_noise():
    t = ["a", "a", "b", "b", "b"]
    assert metrics.bcubed(t, [0, 0, 1, 1, 1]) == (1.0, 1.0, 1.0)
    # all noise: every face its own cluster → precision 1; recall = mean(1/|class|) = (2·½ + 3·⅓)/5
    p, r, f = metrics.bcubed(t, [-1] * 5)
    assert p == 1.0 and r == pytest.approx(2 / 5)
    assert f == pytest.approx(2 * 0.4 / 1.4)


def test_bcubed_hand_computed():
    # true: a a a b b ; pred: 0 0 1 1 -1
    # face: C(i)         L(i)      |C∩L|  P_i  R_i
    # a1   {a1,a2}       {a1..a3}  2      1    2/3
    # a2   {a1,a2}       {a1..a3}  2      1    2/3
    # a3   {a3,b1}       {a1..a3}  1      1/2  1/3
    # b1   {a3,b1}       {b1,b2}   1      1/2  1/2
    # b2   {b2} (noise)  {b1,b2}   1      1    1/2
    p, r, f = metrics.bcubed(["a", "a", "a", "b", "b"], [0, 0, 1, 1, -1])
    assert p == pytest.approx((1 + 1 + 0.5 + 0.5 + 1) / 5)
    assert r == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1 / 2 + 1 / 2) / 5)
    assert f == pytest.approx(2 * p * r / (p + r))


def test_bcubed_everything_in_one_cluster_and_custom_noise_label():
    # one cluster of 4 with classes 2+2: precision_i = 2/4, recall 1
    assert metrics.bcubed([1, 1, 2, 2], [7, 7, 7, 7])[:2] == (0.5, 1.0)
    # noise_label=None: the strings "x" are a normal cluster; None faces are singletons
    p, r, _ = metrics.bcubed([1, 1, 2], ["x", "x", None], noise_label=None)
    assert (p, r) == (1.0, 1.0)
    with pytest.raises(ValueError):
        metrics.bcubed([1, 2], [1])


def test_share_clustered():
    assert metrics.share_clustered([0, -1, 3, -1]) == 0.5
    assert math.isnan(metrics.share_clustered([]))


def test_roc_auc_hand_computed_with_ties():
    # positives 0.9, 0.5; negatives 0.5, 0.1 → pairs: (0.9>0.5) 1, (0.9>0.1) 1, (0.5=0.5) ½, (0.5>0.1) 1
    assert metrics.roc_auc([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]) == pytest.approx(3.5 / 4)
    assert metrics.roc_auc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0
    assert metrics.roc_auc([1, 2, 3, 4], [1, 1, 0, 0]) == 0.0
    assert math.isnan(metrics.roc_auc([1, 2], [1, 1]))


def test_eer_hand_computed():
    # same: 0.2 0.6 0.7 0.8 0.9 ; different: 0.1 0.3 0.4 0.5 0.65
    # threshold 0.6: FRR = 1/5 (0.2), FAR = 1/5 (0.65) → EER 0.2 at 0.6
    s = [0.2, 0.6, 0.7, 0.8, 0.9, 0.1, 0.3, 0.4, 0.5, 0.65]
    same = [1] * 5 + [0] * 5
    e, t = metrics.eer(s, same)
    assert e == pytest.approx(0.2)
    assert t == pytest.approx(0.6)
    # perfectly separated: EER 0 at a threshold between the groups
    e, t = metrics.eer([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0])
    assert e == 0.0 and 0.2 < t <= 0.8


def test_tar_at_far_hand_computed():
    # 10 different-person scores 0.0..0.9; same-person 0.55, 0.75, 0.85, 0.95
    neg = [i / 10 for i in range(10)]
    pos = [0.55, 0.75, 0.85, 0.95]
    s, same = pos + neg, [1] * 4 + [0] * 10
    # FAR ≤ 0.1 allows one false accept: threshold 0.9 (accepts 0.9 only) → TAR = 1/4 (0.95)
    # FAR ≤ 0.1 allows one false accept (0.9): the lowest threshold that keeps 0.8 out is the next
    # observed score, 0.85 → accepts 0.85 and 0.95 → TAR 2/4
    tar, thr = metrics.tar_at_far(s, same, 0.1)
    assert thr == pytest.approx(0.85) and tar == pytest.approx(2 / 4)
    # FAR ≤ 0.3: three false accepts allowed (0.7, 0.8, 0.9) → threshold 0.7 → TAR 3/4
    tar, thr = metrics.tar_at_far(s, same, 0.3)
    assert thr == pytest.approx(0.7) and tar == pytest.approx(3 / 4)
    # FAR 0: above every different-person score
    tar, thr = metrics.tar_at_far(s, same, 0.0)
    assert thr > 0.9 and tar == pytest.approx(1 / 4)
    with pytest.raises(ValueError):
        metrics.tar_at_far(s, same, 1.5)


def test_rank1_leave_one_out_and_gallery():
    e = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [0.7, 0.7]], np.float32)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    labels = ["a", "a", "b", "b", "c"]
    # a1↔a2 and b1↔b2 are each other's nearest; c has no other face → skipped
    assert metrics.rank1(e, labels) == 1.0
    wrong = ["a", "b", "a", "b", "c"]  # now every probe's nearest face has another label
    assert metrics.rank1(e, wrong) == 0.0
    # explicit gallery: probe c is absent from it and skipped
    g, gl = e[[0, 2]], ["a", "b"]
    assert metrics.rank1(e[[1, 3, 4]], ["a", "b", "c"], g, gl) == 1.0
    assert math.isnan(metrics.rank1(e[:1], ["z"], g, gl))


def test_pairwise_hand_computed():
    # true: a a a b b ; pred: 0 0 1 1 -1
    # predicted pairs: (a1,a2) from cluster 0, (a3,b1) from cluster 1 → 2 pairs, 1 truly together
    # true pairs: a: 3, b: 1 → 4; together and predicted: (a1,a2) → 1
    p, r, f = metrics.pairwise(["a", "a", "a", "b", "b"], [0, 0, 1, 1, -1])
    assert p == pytest.approx(1 / 2) and r == pytest.approx(1 / 4)
    assert f == pytest.approx(2 * 0.5 * 0.25 / 0.75)


def test_pairwise_noise_forms_no_pairs_and_degenerate_cases():
    assert metrics.pairwise(["a", "a"], [-1, -1])[:2] == (1.0, 0.0)  # nothing predicted: precision 1
    assert metrics.pairwise(["a", "a", "b"], [0, 0, 1]) == (1.0, 1.0, 1.0)
    assert math.isnan(metrics.pairwise(["a", "b"], [0, 0])[1])  # no true pair: recall undefined
    # one big wrong merge weighs quadratically: 3+3 faces in one cluster → 6 of 15 pairs right
    assert metrics.pairwise([1, 1, 1, 2, 2, 2], [0] * 6)[0] == pytest.approx(6 / 15)


def test_glued_singletons():
    # c and d are seen once; c is glued into cluster 0, d stays alone → 1 of 2
    assert metrics.glued_singletons(["a", "a", "c", "d"], [0, 0, 0, -1]) == 0.5
    assert math.isnan(metrics.glued_singletons(["a", "a"], [0, 0]))
