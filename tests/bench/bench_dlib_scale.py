"""Time dlib's clustering rules at scale (not collected by pytest).

    python tests/bench/bench_dlib_scale.py [--n 100000] [--shared 0.85]

dlib's similarities live on a compressed scale (different people ≈ 0.83, same person ≈ 0.96), where
its clustering takes more edges and runs a second pass (``ClusterParams.merge_spread``,
``rescue_similarity``; docs/evaluation.md, "dlib"). The synthetic faces of bench_clustering.py
(128-d) get a shared component so that cos' = s + (1 − s)·cos (``--shared`` s = 0.85: different
people ≈ 0.85, same ≈ 0.94), then are clustered with dlib's parameters and, in the same run, with
the plain average gate (the parameters before issue 9's dlib work) as the baseline.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_clustering import synthetic_faces  # noqa: E402  (sets up the app path)


def main() -> None:
    from kinfolk.core import metrics
    from kinfolk.core.clustering.agglomeration import cluster_embeddings
    from kinfolk.core.clustering.grouping import cluster_params_for

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--shared", type=float, default=0.85)
    args = ap.parse_args()
    emb, labels = synthetic_faces(args.n, d=128, seed=0)
    s = args.shared
    x = np.hstack([emb * np.float32(np.sqrt(1 - s)), np.full((args.n, 1), np.sqrt(s), np.float32)])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    new = cluster_params_for("dlib_resnet_v1")
    plain = dataclasses.replace(new, link_similarity=0.92, merge_similarity=0.935, pair_similarity=0.95,
                                attach_threshold=0.95, merge_spread=0.0, rescue_similarity=None)
    for name, p in [("plain average gate", plain), ("dlib default", new)]:
        t = time.perf_counter()
        pred = cluster_embeddings(x, params=p)
        secs = time.perf_counter() - t
        print(json.dumps({"n": args.n, "params": name, "seconds": round(secs, 2),
                          "bcubed": [round(v, 4) for v in metrics.bcubed(labels, pred)]}), flush=True)


if __name__ == "__main__":
    main()
