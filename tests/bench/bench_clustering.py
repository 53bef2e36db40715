"""Benchmark ``kinfolk.core.clustering.agglomeration`` on synthetic face embeddings (not collected by pytest).

    python tests/bench/bench_clustering.py                 # 5k, 20k, 100k + naive hdbscan at 5k
    python tests/bench/bench_clustering.py --n 100000      # one size (repeatable: --n 5000 --n 20000)
    python tests/bench/bench_clustering.py --million       # adds 1,000,000 faces (needs ~6 GB free)
    python tests/bench/bench_clustering.py --no-naive      # skip the naive baseline
    python tests/bench/bench_clustering.py --real scrfd_sface_int8   # real embeddings (labeled photos)
    python tests/bench/bench_clustering.py --real scrfd_sface_int8 --folder ../shared/data/lfw-dev \
        --library /tmp/lfw-dev-sface.sqlite              # the crowd; the library is reused next time
    python tests/bench/bench_clustering.py --real dlib --param merge_spread=0 --param rescue_similarity=none
                                                         # the model's parameters with some changed

Each size runs in a child process, so "peak RSS" is that size's own: the whole process (Python,
numpy, the embeddings themselves) at its highest, read from ``resource.getrusage``; "RSS before" is
the peak once the synthetic data exists, before clustering starts. With ``--trace`` a second, traced
run reports the most memory numpy/Python held at once during clustering (tracemalloc; it doubles the
run time, so the timed run is never traced; BLAS scratch is not counted).

Synthetic data — what the generator models and why:
- identities are unit centres in d = 512 dims drawn from a 48-dim correlated subspace plus an
  isotropic part, so different people's faces have cosine ≈ 0 ± 0.09 (real ArcFace/SFace: ≈ 0 ± 0.09);
- each identity's faces come from a few "sessions" (events: same day, light, camera); a face =
  centre + session offset + face noise, scaled per identity so that same-person cosines are ≈ 0.5–0.7
  (median ≈ 0.6) and the nearest same-person face is at ≈ 0.78 (the project's real photos: same-person
  median 0.72, nearest 0.78);
- 10 % of faces are burst shots: a near-duplicate of the previous face of the same session;
- cluster sizes follow a Zipf law (exponent 1.6, capped), so there are many singletons — one-off faces
  that must stay noise — next to a few people with hundreds of faces. ``--zipf 2.5`` makes a crowd.
Labels are the identities; BCubed counts every noise face as its own singleton cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "app"))


def synthetic_faces(n: int, d: int = 512, seed: int = 0, zipf: float = 1.6, max_size: int | None = None,
                    burst: float = 0.1, eff_dim: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings (n, d) float32 unit rows, identity labels (n,)); see the module docstring."""
    rng = np.random.default_rng(seed)
    max_size = max_size or max(10, min(2000, n // 20))
    sizes = []
    total = 0
    while total < n:
        s = int(min(rng.zipf(zipf), max_size, n - total))
        sizes.append(s)
        total += s
    sizes = np.asarray(sizes)
    m = len(sizes)
    basis = rng.standard_normal((eff_dim, d)).astype(np.float32) / np.float32(np.sqrt(eff_dim))
    centres = rng.standard_normal((m, eff_dim)).astype(np.float32) @ basis
    centres += np.float32(0.5 / np.sqrt(d)) * rng.standard_normal((m, d)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = rng.permutation(np.repeat(np.arange(m), sizes))  # faces in random order
    n_sessions = 1 + rng.poisson(sizes / 8.0)
    session = labels * 1000 + np.floor(rng.random(n) * n_sessions[labels]).astype(np.int64)
    uniq, sess_idx = np.unique(session, return_inverse=True)
    sess_seed = rng.integers(0, 2**63, len(uniq))
    spread = rng.uniform(0.6, 1.6, m).astype(np.float32)  # d·σ² of session offset and of face noise ×3
    sigma = np.sqrt(spread / 3 / d)[labels]
    emb = np.empty((n, d), np.float32)
    chunk = 8192
    for a in range(0, n, chunk):  # chunked: the 1M-face set must not need 3 × 2 GB of temporaries
        b = min(a + chunk, n)
        su, si = np.unique(sess_idx[a:b], return_inverse=True)
        offs = np.stack([np.random.default_rng(int(sess_seed[j])).standard_normal(d, dtype=np.float32)
                         for j in su])[si]
        noise = rng.standard_normal((b - a, d), dtype=np.float32)
        e = centres[labels[a:b]] + (offs + noise) * sigma[a:b, None]
        emb[a:b] = e / np.linalg.norm(e, axis=1, keepdims=True)
    # bursts: a face becomes a near-copy of the session's previous face (previous in index order)
    by_session = np.argsort(sess_idx, kind="stable")
    prev = np.full(n, -1)
    same = sess_idx[by_session[1:]] == sess_idx[by_session[:-1]]
    prev[by_session[1:][same]] = by_session[:-1][same]
    for i in by_session[(rng.random(n) < burst)[by_session] & (prev[by_session] >= 0)]:
        e = emb[prev[i]] + rng.standard_normal(d, dtype=np.float32) * np.float32(0.15 / np.sqrt(d))
        emb[i] = e / np.linalg.norm(e)
    return emb, labels


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def run_one(n: int, naive: bool, zipf: float, trace: bool) -> dict:
    from kinfolk.core.evaluation import metrics
    from kinfolk.core.clustering.agglomeration import ClusterParams, cluster_embeddings

    emb, labels = synthetic_faces(n, zipf=zipf)
    import hdbscan  # noqa: F401  (import cost is not clustering time)

    out: dict = {"n": n, "zipf": zipf, "identities": int(labels.max() + 1),
                 "singletons": int(np.sum(np.bincount(labels) == 1)), "rss_before_mb": round(_peak_rss_mb())}
    t, c = time.perf_counter(), time.process_time()
    pred = cluster_embeddings(emb, params=ClusterParams())
    out["seconds"] = round(time.perf_counter() - t, 2)
    out["cpu_seconds"] = round(time.process_time() - c, 2)  # all threads: wall time on a shared machine lies
    out["peak_rss_mb"] = round(_peak_rss_mb())
    out["traced_peak_mb"] = None
    if trace:
        tracemalloc.start()
        again = cluster_embeddings(emb, params=ClusterParams())
        out["traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
        out["deterministic"] = bool(np.array_equal(pred, again))
    p, r, f = metrics.bcubed(labels, pred)
    single = np.bincount(labels)[labels] == 1
    out.update(precision=round(p, 4), recall=round(r, 4), f1=round(f, 4), clusters=int(pred.max() + 1),
               share_clustered=round(metrics.share_clustered(pred), 4),
               singletons_clustered=round(float(np.mean(pred[single] >= 0)), 4) if single.any() else None)
    if naive:
        import hdbscan

        t = time.perf_counter()
        base = hdbscan.HDBSCAN(min_cluster_size=2, min_samples=1).fit_predict(emb)
        out["naive_seconds"] = round(time.perf_counter() - t, 2)
        p, r, f = metrics.bcubed(labels, base)
        out.update(naive_precision=round(p, 4), naive_recall=round(r, 4), naive_f1=round(f, 4))
        out["speedup_vs_naive"] = round(out["naive_seconds"] / max(out["seconds"], 1e-9), 1)
    return out


def real_faces(library: Path, folder: Path) -> dict:
    """Every face of a scanned labeled folder: embeddings, photo ids, quality, and the labeled subset
    (the face nearest the centre of each single-person photo, as evaluation.labeled_faces) with its identities."""
    from kinfolk.core.evaluation.labeled_set import is_single, read_labels
    from kinfolk.db.connection import connect

    labels = read_labels(folder / "labels.csv")
    conn = connect(library)
    rows = conn.execute("SELECT f.embedding, f.photo_id, f.quality, p.path, f.model_id, f.score, "
                        "-(((f.x1 + f.x2) - p.width) * ((f.x1 + f.x2) - p.width) + "
                        "((f.y1 + f.y2) - p.height) * ((f.y1 + f.y2) - p.height)) AS centred FROM faces f "
                        "JOIN photos p ON p.id = f.photo_id ORDER BY f.id").fetchall()
    conn.close()
    emb = np.frombuffer(b"".join(r[0] for r in rows), np.float32).reshape(len(rows), -1)
    largest: dict[str, int] = {}
    for i, r in enumerate(rows):
        rel = Path(r[3]).relative_to(folder).as_posix()
        if is_single(labels.get(rel, "none")) and (rel not in largest or r[6] > rows[largest[rel]][6]):
            largest[rel] = i
    idx = np.array(sorted(largest.values()), np.int64)
    return {"emb": emb, "photo": np.array([r[1] for r in rows]), "quality": np.array([r[2] for r in rows]),
            "score": np.array([r[5] for r in rows]),
            "model_id": rows[0][4] if rows else "", "idx": idx,
            "truth": np.array([labels[Path(rows[i][3]).relative_to(folder).as_posix()] for i in idx])}


def parse_params(items: list[str]) -> dict:
    """``NAME=VALUE`` pairs of ``ClusterParams`` fields (``none``: None) for ``dataclasses.replace``."""
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        out[name] = None if value.lower() == "none" else float(value) if "." in value or "e" in value else int(value)
    return out


def run_real(pack: str, folder: Path, library: Path | None, naive: bool, overrides: dict | None = None) -> None:
    """Real embeddings: every face of a labeled folder (group photos and background faces included),
    embedded by ``pack`` through the real scan pipeline (``--library``: kept and rescanned, so a
    second run only reads it back); clustered the way the app does (the model's measured parameters)
    and scored on the labeled faces. ``--naive`` adds hdbscan.HDBSCAN(2, 1) and the plain DBSCAN
    (cosine distance 0.4, min 2) the issue compared against."""
    import dataclasses
    import tempfile

    from kinfolk.core.evaluation import metrics
    from kinfolk.core.faces.backend_choice import make_backend
    from kinfolk.core.clustering.agglomeration import cluster_embeddings
    from kinfolk.core.clustering.grouping import cluster_params_for
    from kinfolk.core.faces.quality import is_good_for_clustering
    from kinfolk.core.scan.scanner import ScanOptions, Scanner

    shared = Path(__file__).resolve().parents[3] / "shared"
    os.environ.setdefault("KINFOLK_MODELS", str(shared / "models"))
    folder = folder.resolve()
    backend = make_backend("dlib") if pack == "dlib" else make_backend("onnx", pack=pack)
    with tempfile.TemporaryDirectory() as tmp:
        lib = library or Path(tmp) / "lib.sqlite"
        t = time.perf_counter()
        Scanner(lib, [folder], backend, ScanOptions(thumbnails=False)).run()
        scan = time.perf_counter() - t
        d = real_faces(lib, folder)
    emb, idx, truth = d["emb"], d["idx"], d["truth"]
    good = np.array([is_good_for_clustering(q, s, d["model_id"]) for q, s in zip(d["quality"], d["score"])])
    params = dataclasses.replace(cluster_params_for(backend.model_id), **(overrides or {}))

    def line(name: str, pred: np.ndarray, secs: float) -> str:
        p, r, f = metrics.bcubed(truth, pred[idx])
        pp, pr, pf = metrics.pairwise(truth, pred[idx])
        glued = metrics.glued_singletons(truth, pred[idx])
        return (f"  {name:<28} {secs:7.2f} s  BCubed P {p:.4f} R {r:.4f} F {f:.4f} | pairwise P {pp:.4f} "
                f"R {pr:.4f} F {pf:.4f} | one-photo people grouped {glued:.1%}")

    print(f"{folder.name}, {backend.model_id}: {len(emb)} faces, {len(idx)} labeled, "
          f"{len(set(truth.tolist()))} people (scan {scan:.0f} s)")
    t = time.perf_counter()
    pred = cluster_embeddings(emb, photo_ids=d["photo"], good=good, params=params)
    print(line(f"kinfolk (link {params.link_similarity:.4g}, merge {params.merge_similarity:.4g})", pred,
               time.perf_counter() - t))
    if naive:
        import hdbscan
        from sklearn.cluster import DBSCAN

        t = time.perf_counter()
        base = hdbscan.HDBSCAN(min_cluster_size=2, min_samples=1).fit_predict(emb.astype(np.float64))
        print(line("naive HDBSCAN(2, 1)", base, time.perf_counter() - t))
        t = time.perf_counter()
        base = DBSCAN(eps=0.4, min_samples=2, metric="cosine").fit_predict(emb)
        print(line("DBSCAN(cosine 0.4, min 2)", base, time.perf_counter() - t))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, action="append", help="number of faces (repeatable)")
    ap.add_argument("--million", action="store_true", help="also run 1,000,000 faces")
    ap.add_argument("--no-naive", action="store_true", help="skip naive hdbscan.HDBSCAN at 5,000")
    ap.add_argument("--zipf", type=float, default=1.6, help="cluster-size exponent (2.5: a crowd)")
    ap.add_argument("--trace", action="store_true", help="also measure tracemalloc's peak (a second run)")
    ap.add_argument("--real", metavar="PACK", help="cluster a labeled folder's real embeddings instead")
    ap.add_argument("--folder", type=Path, default=ROOT.parent / "shared" / "data" / "faces",
                    help="with --real: the labeled folder (e.g. ../shared/data/lfw-dev)")
    ap.add_argument("--library", type=Path, help="with --real: keep the scanned library here (reused)")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="with --real: override a ClusterParams field (repeatable; none = None)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: one size, JSON out
    ap.add_argument("--naive", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.real:
        run_real(args.real, args.folder, args.library, not args.no_naive, parse_params(args.param))
        return
    if args.one:
        print(json.dumps(run_one(args.one, args.naive, args.zipf, args.trace)))
        return
    sizes = args.n or [5_000, 20_000, 100_000]
    if args.million:
        sizes.append(1_000_000)
    print(f"cores: {os.cpu_count()}  zipf: {args.zipf}  (one child process per size)")
    hdr = (f"{'n':>9} {'seconds':>8} {'CPU s':>7} {'RSS before MB':>13} {'peak RSS MB':>11} {'traced MB':>9} {'P':>6} "
           f"{'R':>6} {'F1':>6} {'clusters':>8} {'singletons clustered':>20}")
    print(hdr)
    for n in sizes:
        cmd = [sys.executable, __file__, "--one", str(n), "--zipf", str(args.zipf)]
        if args.trace:
            cmd.append("--trace")
        if n == 5_000 and not args.no_naive:
            cmd.append("--naive")
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            print(f"{n:>9} failed:\n{res.stderr}")
            continue
        r = json.loads(res.stdout.strip().splitlines()[-1])
        print(f"{n:>9} {r['seconds']:>8} {r['cpu_seconds']:>7} {r['rss_before_mb']:>13} {r['peak_rss_mb']:>11} "
              f"{str(r['traced_peak_mb']):>9} {r['precision']:>6} {r['recall']:>6} {r['f1']:>6} "
              f"{r['clusters']:>8} {str(r['singletons_clustered']):>20}")
        if "naive_seconds" in r:
            print(f"{'':>9} naive hdbscan.HDBSCAN(min_cluster_size=2, min_samples=1): "
                  f"{r['naive_seconds']} s, "
                  f"F1 {r['naive_f1']} (P {r['naive_precision']} R {r['naive_recall']}); "
                  f"k-NN graph version is {r['speedup_vs_naive']}x faster")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
