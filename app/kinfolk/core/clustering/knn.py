"""The k-NN graph under the clustering: each face's ``k`` most similar faces, exact or indexed.

Exact blocked matrix products up to ``IndexParams.exact_limit`` faces. Above, an inverted-file
index in numpy: k-means (on a ``pca_dim`` PCA projection) splits the faces into cells of
~``cell_size``; each face is compared, with exact full-dimension cosine, to the faces of its own
``n_probe`` nearest cells. The loop runs over cells, so the BLAS does the work. FAISS was measured
against it at 100k and 1M faces (docs/benchmarks.md, "k-NN graph"): same recall, no clear gain, so
no extra dependency.
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from kinfolk.core.cancel import CancelFn, ProgressFn, raise_if_cancelled

F32 = npt.NDArray[np.float32]
Idx = npt.NDArray[np.int64]


@dataclass(frozen=True)
class IndexParams:
    """How the graph is searched; the results are deterministic for given parameters."""

    exact_limit: int = 12_000  # exact k-NN up to this many faces, the inverted-file index above
    cell_size: int = 384  # faces per k-means cell of the index
    n_probe: int = 8  # cells searched per cell
    pca_dim: int = 64  # dimension the k-means runs in
    seed: int = 0  # k-means sampling


def _topk(sim: F32, k: int) -> tuple[Idx, F32]:
    """Column indices and values of the k largest entries of each row, best first."""
    m = sim.shape[1]
    kk = min(k, m)
    part = np.argpartition(sim, m - kk, axis=1)[:, m - kk:]
    vals = np.take_along_axis(sim, part, 1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return np.take_along_axis(part, order, 1), np.take_along_axis(vals, order, 1)


def _pad(idx: Idx, sim: F32, k: int) -> tuple[Idx, F32]:
    if idx.shape[1] == k:
        return idx, sim
    extra = k - idx.shape[1]
    return (np.pad(idx, ((0, 0), (0, extra)), constant_values=-1),
            np.pad(sim, ((0, 0), (0, extra)), constant_values=-np.inf))


def _exact_knn(base: F32, queries: F32 | None, k: int, progress: ProgressFn | None, cancel: CancelFn | None
               ) -> tuple[Idx, F32]:
    self_join = queries is None
    q = base if queries is None else queries
    n, m = len(q), len(base)
    idx = np.full((n, k), -1, np.int64)
    sim = np.full((n, k), -np.inf, np.float32)
    block = max(1, min(n, (64 << 20) // max(1, 4 * m)))  # ~64 MB of similarities at a time
    for a in range(0, n, block):
        raise_if_cancelled(cancel)
        b = min(a + block, n)
        s = q[a:b] @ base.T
        if self_join:
            r = np.arange(a, b)
            s[r - a, r] = -np.inf
        i, v = _pad(*_topk(s, k), k)
        idx[a:b], sim[a:b] = i, v
        if progress:
            progress(b, n)
    return idx, sim


def _pca(x: F32, dim: int, rng: np.random.Generator, sample: int = 20_000) -> tuple[F32, F32]:
    s = x[np.sort(rng.choice(len(x), sample, replace=False))] if len(x) > sample else x
    mu = s.mean(axis=0, dtype=np.float64).astype(np.float32)
    c = s - mu
    cov = (c.T @ c) / np.float32(len(c))
    # One thread: a 512×512 eigh takes 0.03 s so, but seconds when OpenBLAS threads contend for a busy
    # machine's cores.
    with threadpool_limits(1):
        _, vecs = np.linalg.eigh(cov)
    return mu, np.ascontiguousarray(vecs[:, ::-1][:, :dim], dtype=np.float32)


def _project(x: F32, mu: F32, proj: F32, block: int = 65_536) -> F32:
    """(x − mu) @ proj, in blocks: no full-size temporary of x (2 GB at a million 512-d faces)."""
    out = np.empty((len(x), proj.shape[1]), np.float32)
    for a in range(0, len(x), block):
        out[a:a + block] = (x[a:a + block] - mu) @ proj
    return out


def _nearest_centroids(z: F32, cen: F32, m: int, block: int = 16_384) -> Idx:
    """(len(z), m) indices of the m nearest centroids of each row, nearest first."""
    out = np.empty((len(z), m), np.int64)
    c2 = np.einsum("ij,ij->i", cen, cen)
    for a in range(0, len(z), block):
        d = c2[None, :] - 2.0 * (z[a:a + block] @ cen.T)
        i, _ = _topk(-d, m)
        out[a:a + block] = i
    return out


def _kmeans(z: F32, n_cells: int, rng: np.random.Generator, iters: int = 8) -> F32:
    sample = z[np.sort(rng.choice(len(z), min(len(z), 48 * n_cells), replace=False))]
    cen: F32 = sample[np.sort(rng.choice(len(sample), n_cells, replace=False))].copy()
    for _ in range(iters):
        a = _nearest_centroids(sample, cen, 1)[:, 0]
        counts = np.bincount(a, minlength=n_cells)
        sums = np.zeros_like(cen)
        np.add.at(sums, a, sample)
        ok = counts > 0
        cen[ok] = sums[ok] / counts[ok, None]
    return cen


def _merge_topk(idx: Idx, sim: F32, new_idx: Idx, new_sim: F32, k: int) -> tuple[Idx, F32]:
    """Row-wise best k of two candidate lists (candidate sets are disjoint: cells do not overlap)."""
    i = np.concatenate([idx, new_idx], axis=1)
    v = np.concatenate([sim, new_sim], axis=1)
    top, vals = _topk(v, k)
    return np.take_along_axis(i, top, 1), vals


def _ivf_knn(base: F32, queries: F32 | None, k: int, p: IndexParams, progress: ProgressFn | None,
             cancel: CancelFn | None) -> tuple[Idx, F32]:
    """Approximate k-NN: each query is compared with the faces of its ``n_probe`` nearest cells.

    Loops over cells, not queries: every query probing cell c is compared with c's faces in one matrix
    product, and each query's running top k is merged with the result.
    """
    rng = np.random.default_rng(p.seed)
    self_join = queries is None
    q = base if queries is None else queries
    mu, proj = _pca(base, min(p.pca_dim, base.shape[1]), rng)
    zb = _project(base, mu, proj)
    n_cells = max(2, len(base) // p.cell_size)
    cen = _kmeans(zb, n_cells, rng)
    raise_if_cancelled(cancel)
    n_probe = min(p.n_probe, n_cells)
    cell_b = _nearest_centroids(zb, cen, 1)[:, 0]
    probes = _nearest_centroids(zb if self_join else _project(q, mu, proj), cen, n_probe)  # (n, n_probe)
    border = np.argsort(cell_b, kind="stable")
    bstart = np.searchsorted(cell_b[border], np.arange(n_cells + 1))
    flat = probes.ravel()
    porder = np.argsort(flat, kind="stable")
    pstart = np.searchsorted(flat[porder], np.arange(n_cells + 1))
    prow = porder // n_probe  # the query of each (query, probe) entry, grouped by probed cell
    del zb, probes, flat, porder
    n = len(q)
    idx = np.full((n, k), -1, np.int64)
    sim = np.full((n, k), -np.inf, np.float32)
    done, total = 0, n * n_probe
    for c in range(n_cells):
        members = border[bstart[c]:bstart[c + 1]]
        qi = prow[pstart[c]:pstart[c + 1]]
        if len(qi) == 0 or len(members) == 0:
            continue
        raise_if_cancelled(cancel)
        cb = base[members]
        for a in range(0, len(qi), 4096):  # bounds memory when a cell is unusually popular
            qa = qi[a:a + 4096]
            s = q[qa] @ cb.T
            if self_join:
                s[qa[:, None] == members[None, :]] = -np.inf
            i, v = _topk(s, k)
            idx[qa], sim[qa] = _merge_topk(idx[qa], sim[qa], members[i], v, k)
        done += len(qi)
        if progress:
            progress(done * n // total, n)
    return idx, sim


def knn_graph(emb: npt.ArrayLike, k: int, params: IndexParams = IndexParams(),
              queries: npt.ArrayLike | None = None, progress: ProgressFn | None = None,
              cancel: CancelFn | None = None) -> tuple[Idx, F32]:
    """The ``k`` most similar rows of ``emb`` for each row of ``queries`` (default: ``emb`` itself,
    excluding each row's own index). Returns ``(indices, similarities)``, both (n, k), best first;
    missing entries (fewer than k candidates) are index −1 with similarity −inf. Exact up to
    ``params.exact_limit`` base rows, approximate (inverted-file index) above."""
    base = np.ascontiguousarray(emb, dtype=np.float32)
    q = None if queries is None else np.ascontiguousarray(queries, dtype=np.float32)
    if len(base) <= max(params.exact_limit, 2 * params.cell_size):
        idx, sim = _exact_knn(base, q, k, progress, cancel)
    else:
        idx, sim = _ivf_knn(base, q, k, params, progress, cancel)
    idx[np.isneginf(sim)] = -1  # e.g. a row's own index, masked out, when too few candidates
    return idx, sim
