"""kinfolk.core.clustering.agglomeration on small synthetic embeddings (real-photo accuracy: tests/integration)."""

from __future__ import annotations

import numpy as np
import pytest

from kinfolk.core.evaluation import metrics
from kinfolk.core.cancel import Cancelled
from kinfolk.core.clustering.agglomeration import ClusterParams, cluster_embeddings
from kinfolk.core.clustering.knn import IndexParams, knn_graph

D = 128


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def people(sizes, seed=0, spread=0.5, d=D):
    """Faces of len(sizes) people: random unit centres + noise; same-person cosine ≈ 1 / (1 + spread)
    (0.67 here, like real ArcFace pairs), different people ≈ 0 ± 1/sqrt(d)."""
    rng = np.random.default_rng(seed)
    centres = unit(rng.standard_normal((len(sizes), d)))
    labels = np.repeat(np.arange(len(sizes)), sizes)
    emb = unit(centres[labels] + rng.standard_normal((len(labels), d)) * np.sqrt(spread / d))
    return emb, labels


def near(v: np.ndarray, cos: float, rng) -> np.ndarray:
    """A unit vector at cosine ``cos`` from unit vector ``v``."""
    r = rng.standard_normal(v.shape)
    r -= (r @ v) * v
    return unit(cos * v + np.sqrt(1 - cos**2) * unit(r))


def test_blobs_are_recovered_and_singletons_stay_noise():
    emb, labels = people([30, 20, 12, 8, 5, 3, 2] + [1] * 40, seed=1)
    pred = cluster_embeddings(emb)
    single = np.bincount(labels)[labels] == 1
    assert np.all(pred[single] == -1)
    p, r, f1 = metrics.bcubed(labels, pred)
    assert p == 1.0 and f1 > 0.98, (p, r, f1)
    assert pred.max() + 1 == 7  # one cluster per person seen at least twice


def test_labels_are_numbered_by_descending_size():
    emb, labels = people([3, 9, 5], seed=2)
    pred = cluster_embeddings(emb)
    sizes = np.bincount(pred[pred >= 0])
    assert list(sizes) == [9, 5, 3]
    assert np.all(pred[labels == 1] == 0)


def test_crowd_of_strangers_forms_no_cluster():
    """500 different people seen once each: every face is noise, nothing is glued together."""
    emb, _ = people([1] * 500, seed=3)
    assert np.all(cluster_embeddings(emb) == -1)


def test_same_photo_faces_never_share_a_cluster():
    """A couple always photographed together, looking alike enough to merge without the constraint."""
    rng = np.random.default_rng(1004)
    a = unit(rng.standard_normal(D))
    b = near(a, 0.8, rng)
    faces_a = unit(a + rng.standard_normal((12, D)) * np.sqrt(0.6 / D))
    faces_b = unit(b + rng.standard_normal((12, D)) * np.sqrt(0.6 / D))
    emb = np.vstack([faces_a, faces_b])
    truth = np.repeat([0, 1], 12)
    photos = np.r_[np.arange(12), np.arange(12)]  # photo i shows a_i and b_i
    merged = cluster_embeddings(emb)
    assert len(set(merged.tolist())) == 1  # the test needs a couple that does merge unconstrained
    pred = cluster_embeddings(emb, photo_ids=photos)
    assert metrics.bcubed(truth, pred)[2] == 1.0


def test_same_photo_constraint_on_a_library():
    emb, labels = people([25, 15, 10, 6, 4, 2, 2] + [1] * 20, seed=5)
    rng = np.random.default_rng(1005)
    photos = rng.integers(0, 40, len(emb))  # many photos with several faces
    pred = cluster_embeddings(emb, photo_ids=photos)
    for c in range(pred.max() + 1):
        ph = photos[pred == c]
        assert len(np.unique(ph)) == len(ph)
    # at most one face per (person, photo) can stay; nothing is merged across people
    assert metrics.bcubed(labels, pred)[0] == 1.0


def test_explicit_cannot_link_pairs_and_groups():
    emb, labels = people([10, 8], seed=6)
    plain = cluster_embeddings(emb)
    assert plain[0] == plain[1] == plain[2] == plain[3]
    pred = cluster_embeddings(emb, cannot_link=[(0, 1), (2, 3, 4)])
    assert pred[0] == -1 or pred[0] != pred[1]
    trio = pred[[2, 3, 4]]
    trio = trio[trio >= 0]
    assert len(np.unique(trio)) == len(trio)
    assert metrics.bcubed(labels, pred)[0] == 1.0
    with pytest.raises(ValueError):
        cluster_embeddings(emb, cannot_link=[(0, 99)])


def test_low_quality_faces_do_not_seed_but_may_attach():
    rng = np.random.default_rng(1007)
    emb, labels = people([8], seed=7)
    centre = unit(emb.mean(axis=0))
    close = near(centre, 0.9, rng)  # very close to the cluster: attaches
    far = near(centre, 0.35, rng)  # plausible but not close enough: stays noise
    stranger = unit(rng.standard_normal(D))
    # four low-quality faces of one other person: alike, but they may not found a cluster
    other = unit(rng.standard_normal(D))
    blurry = unit(other + rng.standard_normal((4, D)) * np.sqrt(0.2 / D))
    emb = np.vstack([emb, close, far, stranger, blurry])
    good = np.r_[np.ones(8, bool), np.zeros(7, bool)]
    pred = cluster_embeddings(emb, good=good)
    assert np.all(pred[:8] == 0)
    assert pred[8] == 0  # close low-quality face attached
    assert np.all(pred[9:] == -1)  # far one, stranger and the blurry group stay noise
    # the same low-quality face is not attached when a constraint forbids it
    pred = cluster_embeddings(emb, good=good, cannot_link=[(8, 0)])
    assert pred[8] == -1


def test_cancel_raises_between_stages_and_inside_the_graph():
    emb, _ = people([20] * 10, seed=8)
    with pytest.raises(Cancelled):
        cluster_embeddings(emb, cancel=lambda: True)
    calls = {"n": 0}

    def later():
        calls["n"] += 1
        return calls["n"] > 2

    with pytest.raises(Cancelled):
        cluster_embeddings(emb, cancel=later)
    # approximate-index path too
    calls["n"] = 0
    with pytest.raises(Cancelled):
        cluster_embeddings(emb, params=ClusterParams(exact_limit=0, cell_size=16), cancel=later)


def test_progress_is_monotonic_and_completes():
    emb, _ = people([15] * 20, seed=9)
    seen = []
    cluster_embeddings(emb, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1]
    dones = [d for d, _ in seen]
    assert dones == sorted(dones)
    assert len({t for _, t in seen}) == 1


@pytest.mark.parametrize("exact_limit", [100_000, 0])
def test_deterministic(exact_limit):
    emb, _ = people([40, 30, 20, 10, 5, 2, 2] + [1] * 50, seed=10)
    p = ClusterParams(exact_limit=exact_limit, cell_size=32)
    a = cluster_embeddings(emb, params=p)
    b = cluster_embeddings(emb.copy(), params=p)
    assert np.array_equal(a, b)


def test_approximate_graph_matches_exact():
    """The inverted-file k-NN finds nearly all true neighbours, and clusters the same."""
    emb, labels = people([60, 40, 30, 20, 10] + [5] * 40 + [2] * 100 + [1] * 300, seed=11, spread=0.6)
    exact_i, exact_s = knn_graph(emb, 5, IndexParams(exact_limit=10**9))
    approx_i, approx_s = knn_graph(emb, 5, IndexParams(exact_limit=0, cell_size=64))
    recall = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(exact_i, approx_i)])
    assert recall > 0.9
    assert np.all(approx_s <= exact_s + 1e-5)  # never better than the truth
    pe = cluster_embeddings(emb, params=ClusterParams(exact_limit=10**9))
    pa = cluster_embeddings(emb, params=ClusterParams(exact_limit=0, cell_size=64))
    assert metrics.bcubed(labels, pe)[2] > 0.98
    assert metrics.bcubed(labels, pa)[2] > 0.97


def test_knn_graph_excludes_self_and_handles_queries():
    emb, _ = people([5, 5], seed=12)
    idx, sim = knn_graph(emb, 3)
    assert not np.any(idx == np.arange(len(emb))[:, None])
    assert np.all(np.diff(sim, axis=1) <= 1e-6)
    idx, sim = knn_graph(emb[:4], 6, queries=emb[4:6])  # fewer base rows than k
    assert idx.shape == (2, 6) and np.all(idx[:, 4:] == -1) and np.all(np.isinf(sim[:, 4:]))


def test_tiny_and_degenerate_inputs():
    assert cluster_embeddings(np.zeros((0, D), np.float32)).shape == (0,)
    assert list(cluster_embeddings(unit(np.ones((1, D))))) == [-1]
    dup = unit(np.ones((3, D)))  # exact duplicates (distance 0) cluster
    assert list(cluster_embeddings(dup)) == [0, 0, 0]
    emb, _ = people([4], seed=13)
    assert np.all(cluster_embeddings(emb, good=np.zeros(4, bool)) == -1)
    with pytest.raises(ValueError):
        cluster_embeddings(emb, photo_ids=np.arange(3))
    with pytest.raises(ValueError):
        ClusterParams(min_cluster_size=1)


def test_look_alike_groups_stay_apart_despite_one_close_pair():
    """Two tight groups of different people whose closest faces are very alike (siblings, a bridge of
    single linkage) but who are not alike as wholes stay two groups (issue 9, item 2)."""
    rng = np.random.default_rng(1014)
    a = unit(rng.standard_normal(D))
    b = near(a, 0.3, rng)
    faces_a = unit(a + rng.standard_normal((10, D)) * np.sqrt(0.3 / D))
    faces_b = unit(b + rng.standard_normal((10, D)) * np.sqrt(0.3 / D))
    faces_a[0] = unit(a + 0.3 * b)  # the two look most alike in one photo each
    faces_b[0] = unit(b + 0.3 * a)
    emb = np.vstack([faces_a, faces_b])
    cross = faces_a @ faces_b.T
    p = ClusterParams()
    assert cross.max() > p.pair_similarity + 0.1 and cross.mean() < p.merge_similarity - 0.1
    pred = cluster_embeddings(emb, params=p)
    truth = np.repeat([0, 1], 10)
    assert metrics.bcubed(truth, pred)[0] == 1.0
    assert len(set(pred[pred >= 0].tolist())) == 2
    # single linkage over the same edges (no average gate) joins them through that pair
    loose = ClusterParams(merge_similarity=-1.0, pair_similarity=p.link_similarity)
    assert len(set(cluster_embeddings(emb, params=loose).tolist())) == 1


def test_lone_faces_pair_up_only_when_very_alike():
    """A crowd of one-off strangers with a few look-alike pairs (similarity between the link and the
    pair level) and a few true pairs: only the true pairs form groups."""
    rng = np.random.default_rng(1015)
    p = ClusterParams()
    crowd = unit(rng.standard_normal((200, D)))
    lookalike = np.stack([near(v, (p.link_similarity + p.pair_similarity) / 2, rng) for v in crowd[:20]])
    twins = np.stack([near(v, p.pair_similarity + 0.15, rng) for v in crowd[20:30]])
    emb = np.vstack([crowd, lookalike, twins])
    pred = cluster_embeddings(emb, params=p)
    assert np.all(pred[:20] == -1) and np.all(pred[200:220] == -1)  # look-alike strangers stay alone
    assert np.all(pred[20:30] >= 0) and np.array_equal(pred[20:30], pred[220:230])  # true pairs group
    assert np.all(pred[30:200] == -1)


def around(centre: np.ndarray, avg: float, members: np.ndarray, rng) -> np.ndarray:
    """A unit vector whose average cosine with the unit rows ``members`` is exactly ``avg``, leaning
    towards ``centre``'s direction from their mean."""
    s = members.sum(axis=0)
    u = unit(s)
    alpha = avg * len(members) / np.linalg.norm(s)
    r = rng.standard_normal(len(u))
    r -= (r @ u) * u
    return unit(alpha * u + np.sqrt(1 - alpha**2) * unit(r))


def test_merge_spread_asks_more_of_an_average_over_few_pairs():
    """The same average similarity (0.48, above merge 0.45) is weak evidence between a stranger and a
    pair of photos (2 cross pairs) and strong between a face and a group of 16 (16 pairs): with
    merge_spread 0.1 the bar is 0.45 + 0.1/√2 = 0.52 for the first and 0.475 for the second."""
    rng = np.random.default_rng(1016)
    a1 = unit(rng.standard_normal(D))
    pair = np.stack([a1, near(a1, 0.8, rng)])
    stranger = around(a1, 0.48, pair, rng)
    group, _ = people([16], seed=17)
    member = around(group[0], 0.48, group, rng)
    emb = np.vstack([pair, stranger, group, member])
    plain = cluster_embeddings(emb)
    assert plain[2] == plain[0] == plain[1] >= 0 and plain[-1] == plain[3] >= 0  # both join at spread 0
    pred = cluster_embeddings(emb, params=ClusterParams(merge_spread=0.1))
    assert pred[0] == pred[1] >= 0 and pred[2] == -1  # the stranger stays alone
    assert np.all(pred[3:] == pred[3]) and pred[3] >= 0  # the face with 16 pairs of evidence joins


def test_rescue_joins_only_a_clear_preference():
    """Second pass: a face 0.40 alike on average to a group (below merge 0.45, above rescue 0.35)
    joins it when nothing else is near (a family's sparse library), and stays alone when another
    group is nearly as alike (0.37: a crowd of look-alikes); two lone faces 0.50 alike pair up only
    when each clearly prefers the other, not when a third is as close to both."""
    rng = np.random.default_rng(1017)
    crowd = unit(rng.standard_normal((60, D)))  # unrelated people: every face has neighbours
    group, _ = people([6], seed=18, spread=0.3)
    face = around(group[0], 0.40, group, rng)
    q = rng.standard_normal(D)
    q = unit(q - (q @ face) * face)
    rival = np.stack([unit(0.37 * face + np.sqrt(1 - 0.37**2) * unit(q + 0.05 * rng.standard_normal(D)))
                      for _ in range(6)])  # a tight group, each face ≈ 0.37 alike to ``face``
    p = ClusterParams(rescue_similarity=0.35, rescue_margin=0.05)
    sparse = np.vstack([crowd, group, face])
    assert cluster_embeddings(sparse)[-1] == -1  # the first pass alone leaves it out
    pred = cluster_embeddings(sparse, params=p)
    assert pred[-1] >= 0 and np.all(pred[60:-1] == pred[-1])
    pred = cluster_embeddings(np.vstack([sparse, rival]), params=p)
    assert pred[66] == -1 and np.all(pred[60:66] == pred[60]) and pred[60] >= 0
    # lone faces
    u = unit(rng.standard_normal(D))
    v = near(u, 0.50, rng)
    assert np.all(cluster_embeddings(np.vstack([crowd, u, v]))[-2:] == -1)  # below pair 0.55
    pred = cluster_embeddings(np.vstack([crowd, u, v]), params=p)
    assert pred[-1] == pred[-2] >= 0
    t = around(u, 0.50, np.stack([u, v]), rng)  # a third face as alike to both
    pred = cluster_embeddings(np.vstack([crowd, u, v, t]), params=p)
    assert np.all(pred[-3:] == -1)


def test_rescue_into_a_big_group_weighs_every_other_group():
    """A face whose k nearest all belong to one big group (a person with many photos) cannot be
    judged by its k-th neighbour (it is in that group too): the second pass compares its average to
    every other group's. It joins when no group elsewhere is nearly as alike, and stays alone when
    one is (here a tight group, each face 0.37 alike: none among its k nearest, 0.37 on average)."""
    rng = np.random.default_rng(1019)
    crowd = unit(rng.standard_normal((60, D)))
    group, _ = people([30], seed=19)
    face = around(group[0], 0.40, group, rng)
    q = rng.standard_normal(D)
    q = unit(q - (q @ face) * face)
    rival = np.stack([unit(0.37 * face + np.sqrt(1 - 0.37**2) * unit(q + 0.05 * rng.standard_normal(D)))
                      for _ in range(6)])
    p = ClusterParams(rescue_similarity=0.35, rescue_margin=0.05)
    emb = np.vstack([crowd, group, face, rival])
    nbrs, _ = knn_graph(emb, p.k)
    assert set(nbrs[90].tolist()) <= set(range(60, 90))  # its k nearest are all in the big group
    plain = cluster_embeddings(emb[:91])
    assert plain[90] == -1 and np.all(plain[60:90] == plain[60])  # the first pass leaves it out
    pred = cluster_embeddings(emb[:91], params=p)
    assert pred[90] == pred[60] >= 0
    pred = cluster_embeddings(emb, params=p)
    assert pred[90] == -1 and np.all(pred[91:] == pred[91]) and pred[91] >= 0 and pred[60] != pred[91]
