"""The k-NN graph: Kinfolk's inverted-file index against faiss-cpu (not collected; faiss is not a
dependency: ``pip install faiss-cpu`` into a scratch environment to run it).

    python tests/bench/bench_knn_faiss.py 100000 [--exact]

Synthetic 512-d faces (bench_clustering.synthetic_faces), k = 10; recall@10 against exact search on
2,000 sampled queries; wall and CPU seconds (all threads) per method. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT / "tests" / "bench"))


def main() -> None:
    import faiss

    from bench_clustering import synthetic_faces
    from kinfolk.core.clustering.knn import IndexParams, knn_graph

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int)
    ap.add_argument("--exact", action="store_true", help="also FAISS's exact IndexFlatIP")
    a = ap.parse_args()
    n, k = a.n, 10
    emb, _ = synthetic_faces(n)
    rng = np.random.default_rng(0)
    q = np.sort(rng.choice(n, 2000, replace=False))
    s = emb[q] @ emb.T
    s[np.arange(len(q)), q] = -np.inf
    truth = np.argsort(-s, axis=1)[:, :k]

    def drop_self(ids: np.ndarray) -> np.ndarray:
        return np.array([[j for j in row if j != i][:k] for i, row in enumerate(ids)])

    def timed(name, f) -> None:
        c, t = time.process_time(), time.perf_counter()
        idx = f()
        recall = np.mean([len(set(x) & set(y)) / k for x, y in zip(idx[q], truth)])
        print(f"{name:<38} wall {time.perf_counter() - t:7.1f} s  cpu {time.process_time() - c:7.1f} s  "
              f"recall@10 {recall:.4f}", flush=True)

    def ivf(nprobe: int) -> np.ndarray:
        nlist = max(2, n // 384)
        ix = faiss.IndexIVFFlat(faiss.IndexFlatIP(emb.shape[1]), emb.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
        ix.train(emb[np.sort(rng.choice(n, min(n, 48 * nlist), replace=False))])
        ix.add(emb)
        ix.nprobe = nprobe
        return drop_self(ix.search(emb, k + 1)[1])

    def hnsw(ef: int) -> np.ndarray:
        ix = faiss.IndexHNSWFlat(emb.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        ix.hnsw.efConstruction = 80
        ix.add(emb)
        ix.hnsw.efSearch = ef
        return drop_self(ix.search(emb, k + 1)[1])

    def flat() -> np.ndarray:
        ix = faiss.IndexFlatIP(emb.shape[1])
        ix.add(emb)
        return drop_self(ix.search(emb, k + 1)[1])

    timed("kinfolk IVF (384 per cell, probe 8)", lambda: knn_graph(emb, k, IndexParams(exact_limit=0))[0])
    for p in (8, 16):
        timed(f"faiss IVFFlat (n/384 lists, probe {p})", lambda p=p: ivf(p))
    timed("faiss HNSW32 (efSearch 64)", lambda: hnsw(64))
    if a.exact:
        timed("faiss exact IndexFlatIP", flat)


if __name__ == "__main__":
    main()
