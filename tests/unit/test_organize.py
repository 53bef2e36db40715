"""Organizing a library (match + cluster) never loses a decision; calibration from confirmed faces."""

import numpy as np
import pytest

from kinfolk.core.people import calibration, edits
from kinfolk.core.clustering.grouping import organize
from kinfolk.core.people.thresholds import thresholds_for
from kinfolk.db import photos as db_photos
from kinfolk.db.connection import connect, transaction

MODEL = "faceplugin_mbf512"  # measured thresholds: suggest 0.35, auto 0.46


def _library(tmp_path, n_people=4, per_person=6, noise=0.25, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_people, 128)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    conn = connect(tmp_path / "lib.sqlite")
    truth = {}
    with transaction(conn):
        for p in range(n_people):
            for k in range(per_person):
                v = centres[p] + noise * rng.normal(size=128).astype(np.float32) / np.sqrt(128) * 3
                v /= np.linalg.norm(v)
                pid = db_photos.write_photo(conn, db_photos.PhotoRecord(
                    path=f"/l/{p}_{k}.jpg", size=1, mtime_ns=1, scan_model=MODEL,
                    faces=[db_photos.FaceRecord(box=[0, 0, 90, 90], landmarks=np.zeros((5, 2), np.float32),
                                                score=0.9, quality=0.9, embedding=v)]))
                truth[pid] = p
    return conn, truth


def _identity_of(conn, truth, face_id):
    return truth[conn.execute("SELECT photo_id FROM faces WHERE id = ?", (face_id,)).fetchone()[0]]


def test_reorganizing_keeps_names_confirmations_and_rejections(tmp_path):
    conn, truth = _library(tmp_path)
    organize(conn)
    clusters = edits.list_clusters(conn)
    assert len(clusters) == 4 and all(c.faces == 6 for c in clusters)
    edits.name_cluster(conn, clusters[0].id, "Ann")
    ann_faces = edits.face_ids_of_person(conn, 1)
    edits.reject(conn, [ann_faces[0]], "Ann")
    before = conn.execute("SELECT id, person_id, state FROM faces WHERE person_id IS NOT NULL").fetchall()
    for _ in range(2):
        organize(conn)
    after = conn.execute("SELECT id, person_id, state FROM faces WHERE person_id IS NOT NULL").fetchall()
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    assert conn.execute("SELECT COUNT(*) FROM face_rejections").fetchone()[0] == 1
    # The rejected face is never given back to Ann by matching.
    assert conn.execute("SELECT person_id FROM faces WHERE id = ?", (ann_faces[0],)).fetchone()[0] is None
    # The other three people are still unnamed groups.
    assert len(edits.list_clusters(conn)) == 3


def test_new_faces_of_a_named_person_are_matched(tmp_path):
    conn, truth = _library(tmp_path)
    organize(conn)
    c = edits.list_clusters(conn)[0]
    ids = edits.face_ids_of_cluster(conn, c.id)
    edits.name_faces(conn, ids[:3], "Ben")  # name only half; the rest must follow by matching
    report = organize(conn)
    ben = set(edits.face_ids_of_person(conn, 1))
    assert set(ids) <= ben
    assert {_identity_of(conn, truth, f) for f in ben} == {_identity_of(conn, truth, ids[0])}
    # The report says who was recognized: the faces matching gave Ben, by name.
    assert report.recognized == [("Ben", len(ben) - 3)] and report.matched == len(ben) - 3
    assert organize(conn).recognized == []  # nothing new the second time


def test_look_alikes_of_a_person_named_once_are_reported_as_their_suggestions(tmp_path):
    conn, _ = _library(tmp_path)
    organize(conn)
    ids = edits.face_ids_of_cluster(conn, edits.list_clusters(conn)[0].id)
    edits.name_faces(conn, ids[:1], "Dee")  # one face: too little evidence to assign, so suggestions
    report = organize(conn)
    assert report.recognized == [] and report.suggested >= 3
    assert report.suggested_people == [("Dee", report.suggested)]


def test_recognized_people_are_listed_most_first_and_capped():
    from collections import Counter

    from kinfolk.core.clustering.grouping import names_with_counts, ranked

    people = ranked(Counter({"ben": 2, "Grandma": 1, "Anna": 5, "Carl": 2, "Zoe": 0}))
    assert people == [("Anna", 5), ("ben", 2), ("Carl", 2), ("Grandma", 1)]
    assert names_with_counts(people) == "Anna 5, ben 2, Carl 2, Grandma 1"
    assert names_with_counts(people, limit=2, form="{name} ({count})") == "Anna (5), ben (2) and 2 others"
    assert names_with_counts(people, limit=3) == "Anna 5, ben 2, Carl 2, Grandma 1"  # never "and 1 other"


def test_calibration_proposes_ordered_thresholds_and_apply_is_used(tmp_path):
    conn, truth = _library(tmp_path, n_people=5, per_person=8)
    organize(conn)
    for i, c in enumerate(edits.list_clusters(conn)):
        edits.name_cluster(conn, c.id, f"P{i}")
    cal = calibration.calibrate(conn, MODEL, target_far=1e-2)
    assert cal.people == 5 and cal.auc > 0.99
    t = cal.proposed
    assert t.suggest <= t.auto
    calibration.apply(conn, cal)
    assert thresholds_for(conn, MODEL) == t


def test_calibration_never_proposes_an_auto_threshold_the_users_no_answers_contradict(tmp_path):
    """Issue 14.2: a face the user said is not P must not be assigned to P by the proposal."""
    conn, truth = _library(tmp_path, n_people=5, per_person=8)
    organize(conn)
    clusters = edits.list_clusters(conn)
    for i, c in enumerate(clusters):
        edits.name_cluster(conn, c.id, f"P{i}")
    # "No": P0's best look-alike among P1's faces is not P0 (the user answered a suggestion).
    p0 = edits.face_ids_of_person(conn, edits.resolve_person(conn, "P0"))
    p1 = edits.face_ids_of_person(conn, edits.resolve_person(conn, "P1"))
    emb = {f: np.frombuffer(conn.execute("SELECT embedding FROM faces WHERE id = ?", (f,)).fetchone()[0],
                            np.float32) for f in p0 + p1}
    g = np.stack([emb[f] for f in p0])
    score = {f: float(np.sort(g @ emb[f])[::-1][:3].mean()) for f in p1}
    worst = max(score, key=score.get)
    edits.reject(conn, [worst], "P0")
    before = calibration.calibrate(conn, MODEL, target_far=0.05)  # a lax FAR target
    assert before.rejections == 1 and before.highest_rejected == pytest.approx(score[worst], abs=1e-4)
    assert before.proposed.auto > score[worst]
    assert before.proposed.suggest <= before.proposed.auto


def test_calibration_needs_enough_people(tmp_path):
    conn, _ = _library(tmp_path, n_people=1)
    with pytest.raises(calibration.CalibrationError):
        calibration.calibrate(conn, MODEL)


def test_cluster_params_per_model_and_derived_for_unmeasured_models():
    from kinfolk.core.clustering.grouping import MEASURED_CLUSTERING, cluster_params_for
    from kinfolk.core.people.thresholds import Thresholds

    p = cluster_params_for("sface_2021dec_int8")
    link, merge, pair, attach = MEASURED_CLUSTERING["sface_2021dec_int8"]
    assert (p.link_similarity, p.merge_similarity, p.pair_similarity, p.attach_threshold) == (link, merge, pair, attach)
    assert cluster_params_for("dlib_resnet_v1").link_similarity > 0.9  # dlib's compressed scale
    q = cluster_params_for("some_arcface", Thresholds(match=0.3, auto=0.5, suggest=0.35))
    assert q.link_similarity == 0.5 and 0.5 < q.merge_similarity < q.pair_similarity < 1.0
    # only dlib asks more of small merges and runs the second pass (docs/evaluation.md, "dlib")
    d = cluster_params_for("dlib_resnet_v1")
    assert d.merge_spread > 0 and d.rescue_similarity is not None and d.rescue_similarity < d.merge_similarity
    for model in ("sface_2021dec_int8", "faceplugin_mbf512", "some_arcface"):
        o = cluster_params_for(model)
        assert o.merge_spread == 0 and o.rescue_similarity is None
