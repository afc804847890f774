"""Compare two latent spaces of the same samples (issue 5: is the 10-D latent as good as the 16-D?).

Two models encode the same N samples (row i = sample i) as A (N, Da) and B (N, Db); optionally
physical parameters P (N, p). The questions and their answers here:

- Do the two spaces agree locally? `knn_overlap`: per sample, the Jaccard index of its k nearest
  neighbours in A and in B (1 = same neighbourhood; k / N is chance).
- Does one space keep the other's neighbourhoods? `trustworthiness_continuity` (Venna & Kaski):
  trustworthiness T(k) penalises neighbours in the embedded space that are far in the reference
  (false neighbours), continuity C(k) neighbours of the reference lost in the embedded space.
  Against standardised parameters: how well each latent keeps the physical neighbourhoods.
- Do they encode the same linear information? `cca`: canonical correlations, and a Da x Db
  matrix that matches A's dims to B's dims.
- How well does each encode each parameter? compute.correlation.encoding_r2, side by side.

`compare_models` bundles everything into a plain-JSON dict; `cached_comparison` is the same
with each array piece stored in compute.cache. k-NN sets come from scikit-learn's brute force
(fastest measured at N = 10,000, D = 10-16); trustworthiness ranks from exact float64 distances
of blocks of anchor rows against all samples. Ties between equal distances are arbitrary.
No dash or plotly here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.neighbors import NearestNeighbors

from latent_dash.compute.cache import cached_result, content_hash
from latent_dash.compute.correlation import encoding_r2, single_blas_thread
from latent_dash.compute.neighbors import standardise

VERSION = 1  # bump when a result would change for the same inputs
BLOCK_CELLS = 2_000_000  # distance entries per block (16 MB of float64): bounded memory
CCA_RIDGE = 1e-8  # relative ridge on each covariance before whitening (rank-deficient latents)


# --------------------------------------------------------------------------- neighbour search


def _as_points(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x[:, None] if x.ndim == 1 else x


def _block_rows(n: int) -> int:
    return max(1, BLOCK_CELLS // max(n, 1))


def _squared_distances(x: np.ndarray, squares: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(len(rows), N) squared distances of some rows to all, self set to +inf."""
    d2 = squares[rows, None] - 2.0 * (x[rows] @ x.T) + squares[None, :]
    np.maximum(d2, 0.0, out=d2)
    d2[np.arange(len(rows)), rows] = np.inf
    return d2


def _smallest(d2: np.ndarray, k: int) -> np.ndarray:
    """(rows, k) column indices of the k smallest of each row, by (value, index)."""
    first = np.argpartition(d2, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(d2, first, axis=1)
    order = np.lexsort((first, values), axis=1)  # distance first, then index
    return np.take_along_axis(first, order, axis=1)


def knn_sets(x: np.ndarray, k: int) -> np.ndarray:
    """(N, k) int32: each sample's k nearest other samples (Euclidean, self excluded), nearest
    first.

    scikit-learn's chunked brute force (NearestNeighbors(algorithm="brute")): measured at
    N = 10,000 on two cores 0.10-0.20 s for D = 10-16, against 0.5 s for a numpy float64 block
    brute force, 0.2-0.66 s for its trees (auto) and 0.9 s for compute.neighbors' per-query loop.
    """
    x = np.ascontiguousarray(_as_points(x), dtype=np.float32)
    n = len(x)
    if not 0 < k < n:
        raise ValueError(f"k must be in 1..{n - 1}, got {k}")
    search = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(x)
    return search.kneighbors(return_distance=False).astype(np.int32)  # X=None: self excluded


def knn_overlap(a: np.ndarray, b: np.ndarray, k: int = 10) -> np.ndarray:
    """(N,) float32: Jaccard index |Na & Nb| / |Na | Nb| of each sample's k-NN sets in a and b.

    Agreement of local structure, independent of scale and rotation; chance level ~ k / N.
    """
    if len(a) != len(b):
        raise ValueError("a and b must have the same samples (rows)")
    na, nb = knn_sets(a, k), knn_sets(b, k)
    shared = (na[:, :, None] == nb[:, None, :]).any(axis=2).sum(axis=1)
    return (shared / (2 * k - shared)).astype(np.float32)


# --------------------------------------------------------------- trustworthiness / continuity


def _anchor_rows(n: int, anchors: int | None, seed: int) -> np.ndarray:
    """The query samples: all, or a seeded random subset of `anchors` of them (sorted)."""
    if anchors is None or anchors >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, int(anchors), replace=False))


def _check_ks(ks: Sequence[int], n: int) -> list[int]:
    ks = [int(k) for k in ks]
    for k in ks:
        if not 1 <= k < n / 2:  # the normalisation needs 2n - 3k - 1 > 0 (as scikit-learn)
            raise ValueError(f"each k must be in 1..{math.ceil(n / 2) - 1} for N = {n}, got {k}")
    return ks


@single_blas_thread
def _trust_pairs(
    spaces: Sequence[np.ndarray],
    pairs: Sequence[tuple[int, int]],
    ks: Sequence[int],
    anchors: int | None,
    seed: int,
) -> np.ndarray:
    """(len(pairs), len(ks)) trustworthiness of embedded = spaces[e] w.r.t. reference = spaces[r]
    for each pair (r, e), sharing each space's distances between pairs.

    For each anchor i and each j among its k nearest in the embedded space, r(i, j) is j's exact
    rank (1 = nearest) among all N - 1 others in the reference space, found by searching j's
    reference distance in the sorted distances of i; the penalty is sum(max(0, r(i, j) - k)).
    The sum over anchors is scaled by N / anchors: an unbiased estimate of the sum over all.
    """
    points = [_as_points(s) for s in spaces]
    n = len(points[0])
    ks = _check_ks(ks, n)
    kmax = max(ks)
    rows_all = _anchor_rows(n, anchors, seed)
    refs = sorted({r for r, _ in pairs})
    embs = sorted({e for _, e in pairs})
    squares = [np.einsum("ij,ij->i", p, p) for p in points]
    penalty = np.zeros((len(pairs), len(ks)))
    step = _block_rows(n)
    for start in range(0, len(rows_all), step):
        rows = rows_all[start : start + step]
        d2 = {s: _squared_distances(points[s], squares[s], rows) for s in set(refs) | set(embs)}
        near = {e: _smallest(d2[e], kmax) for e in embs}
        ordered = {r: np.sort(d2[r], axis=1) for r in refs}
        for p, (r, e) in enumerate(pairs):
            values = np.take_along_axis(d2[r], near[e], axis=1)  # reference d2 of emb. neighbours
            ranks = np.empty(values.shape, dtype=np.int64)
            for i in range(len(rows)):
                ranks[i] = np.searchsorted(ordered[r][i], values[i], side="left") + 1
            for q, k in enumerate(ks):
                penalty[p, q] += np.maximum(ranks[:, :k] - k, 0).sum()
    scale = n / len(rows_all)
    norm = np.array([2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)) for k in ks])
    return 1.0 - norm * penalty * scale


def trustworthiness_continuity(
    reference: np.ndarray,
    embedded: np.ndarray,
    ks: Sequence[int],
    anchors: int | None = 2000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(T, C), each (len(ks),) float64: trustworthiness and continuity of `embedded` w.r.t.
    `reference` (Venna & Kaski; C is T with the two spaces swapped).

    T(k) = 1 - 2 / (n k (2n - 3k - 1)) sum_i sum_{j in U_k(i)} (r(i, j) - k), U_k(i) the
    embedded k-NN of i that are not reference k-NN, r the reference rank. Ranks are exact against
    all N samples; the sum runs over a seeded random subset of `anchors` samples (None = all,
    then T equals sklearn.manifold.trustworthiness) so it stays about a second at N = 10,000.
    Nothing is standardised here: the caller scales e.g. physical parameters.
    """
    if len(reference) != len(embedded):
        raise ValueError("reference and embedded must have the same samples (rows)")
    both = _trust_pairs([reference, embedded], [(0, 1), (1, 0)], ks, anchors, seed)
    return both[0], both[1]


# ------------------------------------------------------------------------------------ CCA


def _inverse_sqrt(cov: np.ndarray) -> np.ndarray:
    """cov^(-1/2) with a tiny relative ridge, so constant or collinear dims do not blow up."""
    ridge = CCA_RIDGE * max(float(np.trace(cov)) / len(cov), 1e-300)
    values, vectors = np.linalg.eigh(cov + ridge * np.eye(len(cov)))
    return (vectors / np.sqrt(np.clip(values, ridge, None))) @ vectors.T


@single_blas_thread
def cca(
    a: np.ndarray, b: np.ndarray, n_components: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(correlations, matching): canonical correlations, descending, length min(Da, Db), and
    the (Da, Db) matching matrix of A's dims against B's dims.

    Closed form: whiten each centred space (inverse square root of its covariance, tiny ridge)
    and take the singular values of the whitened cross-covariance; one SVD of a Da x Db matrix,
    milliseconds at N = 10,000 where scikit-learn's iterative CCA takes seconds.

    The matching matrix is corr(A_i, B_j) rebuilt from the `n_components` strongest canonical
    pairs; with None (all pairs) it IS the plain cross-correlation matrix. We chose the
    cross-correlation over loadings on canonical variates because a heatmap of it reads
    directly as "dim i of model A is (anti-)dim j of model B" in the models' own dims, with
    signs, in [-1, 1]; canonical variates are rotations that mean nothing to a user. Truncating
    keeps only what the two spaces share most strongly (noise pairs dropped).
    """
    a, b = _as_points(a), _as_points(b)
    if len(a) != len(b):
        raise ValueError("a and b must have the same samples (rows)")
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    n = len(a)
    saa, sbb, sab = a.T @ a / n, b.T @ b / n, a.T @ b / n
    wa, wb = _inverse_sqrt(saa), _inverse_sqrt(sbb)
    u, s, vt = np.linalg.svd(wa @ sab @ wb, full_matrices=False)
    correlations = np.clip(s, 0.0, 1.0)
    r = len(s) if n_components is None else max(0, min(int(n_components), len(s)))
    # Sab = Saa^(1/2) U S V' Sbb^(1/2): the cross-covariance carried by the first r pairs
    ha, hb = np.linalg.inv(wa), np.linalg.inv(wb)  # Saa^(1/2), Sbb^(1/2)
    covariance = ha @ (u[:, :r] * s[:r]) @ vt[:r] @ hb
    sda, sdb = np.sqrt(np.diag(saa)), np.sqrt(np.diag(sbb))
    with np.errstate(invalid="ignore", divide="ignore"):
        matching = covariance / np.outer(sda, sdb)
    matching[~np.isfinite(matching)] = 0.0  # a constant dim correlates with nothing
    return correlations, np.clip(matching, -1.0, 1.0)


# ------------------------------------------------------------------------------- summary


def _digest(array: np.ndarray | None) -> str | None:
    return None if array is None else content_hash(array)


def _floats(values: np.ndarray) -> list:
    """Nested lists of floats with None for NaN (plain JSON)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 0:
        return None if not np.isfinite(values) else float(values)  # type: ignore[return-value]
    return [
        _floats(v) if values.ndim > 1 else (float(v) if np.isfinite(v) else None) for v in values
    ]


Piece = Callable[[str, dict[str, Any], Callable[[], np.ndarray]], np.ndarray]


def _direct(_name: str, _params: dict[str, Any], compute: Callable[[], np.ndarray]) -> np.ndarray:
    return np.asarray(compute())


def _summary(
    piece: Piece,
    a: np.ndarray,
    b: np.ndarray,
    params: np.ndarray | None,
    k: int,
    ks: Sequence[int],
    anchors: int | None,
    seed: int,
) -> dict[str, Any]:
    if len(a) != len(b) or (params is not None and len(params) != len(a)):
        raise ValueError("a, b and params must have the same samples (rows)")
    ks = [int(v) for v in ks]
    overlap = piece("overlap", {"k": k}, lambda: knn_overlap(a, b, k))
    correlations = piece("cca", {}, lambda: cca(a, b)[0])
    matching = piece("cca.matching", {}, lambda: cca(a, b)[1])
    out: dict[str, Any] = {
        "n": len(a),
        "dims": [int(_as_points(a).shape[1]), int(_as_points(b).shape[1])],
        "k": int(k),
        "ks": ks,
        "anchors": None if anchors is None else int(min(anchors, len(a))),
        "knn_overlap": {
            "mean": float(overlap.mean()),
            "median": float(np.median(overlap)),
            "chance": k / (len(a) - 1),
        },
        "cca": {"correlations": _floats(correlations), "matching": _floats(matching)},
        "trust": {},
        "r2": None,
    }
    trust_params = {"ks": ks, "anchors": anchors, "seed": seed}
    p = None if params is None else _as_points(params)
    keep = None if p is None else np.isfinite(p).all(axis=1)  # T/C need every parameter
    if p is None or not keep.all():  # A vs B over all rows
        tc = piece(
            "trust.ab",
            trust_params,
            lambda: _trust_pairs([a, b], [(0, 1), (1, 0)], ks, anchors, seed),
        )
        out["trust"]["a_vs_b"] = {"trustworthiness": _floats(tc[0]), "continuity": _floats(tc[1])}
    if p is None:
        return out
    pa, pb, ps = _as_points(a)[keep], _as_points(b)[keep], standardise(p[keep])
    # A vs B shares its distances with the parameter pairs when every row has every parameter
    pairs = [(2, 0), (0, 2), (2, 1), (1, 2)] + ([(0, 1), (1, 0)] if keep.all() else [])
    tc = piece(
        "trust.params",
        {**trust_params, "rows": int(keep.sum()), "pairs": pairs},
        lambda: _trust_pairs([pa, pb, ps], pairs, ks, anchors, seed),
    )
    names = {"a_vs_params": (0, 1), "b_vs_params": (2, 3)}
    if keep.all():
        names["a_vs_b"] = (4, 5)
    for name, (t, c) in names.items():
        out["trust"][name] = {"trustworthiness": _floats(tc[t]), "continuity": _floats(tc[c])}
    order = ("a_vs_b", "a_vs_params", "b_vs_params")
    out["trust"] = {name: out["trust"][name] for name in order}
    r2a = piece("r2.a", {}, lambda: encoding_r2(a, p, seed=seed))
    r2b = piece("r2.b", {}, lambda: encoding_r2(b, p, seed=seed))
    out["r2"] = {
        "a": _floats(r2a[:, 0]),
        "b": _floats(r2b[:, 0]),
        "a_std": _floats(r2a[:, 1]),
        "b_std": _floats(r2b[:, 1]),
    }
    out["param_rows"] = int(keep.sum())
    return out


def compare_models(
    a: np.ndarray,
    b: np.ndarray,
    params: np.ndarray | None = None,
    k: int = 10,
    ks: Sequence[int] = (5, 10, 20, 50),
    anchors: int | None = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """A plain-JSON summary (floats, lists; None for undefined) comparing latent a with b.

    Keys: n, dims [Da, Db], k, ks, anchors; knn_overlap {mean, median, chance};
    cca {correlations, matching (Da x Db lists)}; trust {a_vs_b, and with params a_vs_params,
    b_vs_params: {trustworthiness, continuity} lists over ks}; r2 (None without params, else
    {a, b, a_std, b_std}: cross-validated ridge R^2 of each parameter column, from
    compute.correlation.encoding_r2); param_rows (rows with every parameter, used by T/C).
    In a_vs_b A is the reference and B the embedded space; in *_vs_params the standardised
    parameters are the reference and the latent the embedded space (T: latent neighbours are
    physical neighbours; C: physical neighbours stay latent neighbours).
    """
    return _summary(_direct, a, b, params, k, ks, anchors, seed)


def cached_comparison(
    a: np.ndarray,
    b: np.ndarray,
    params: np.ndarray | None = None,
    k: int = 10,
    ks: Sequence[int] = (5, 10, 20, 50),
    anchors: int | None = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """`compare_models`, each array piece stored in compute.cache (keyed by the fingerprint of
    a, which should be the dataset's own latent array, and content hashes of b and params)."""

    others = _others(b, params)  # hashed once, not once a piece

    def piece(name: str, extra: dict[str, Any], compute: Callable[[], np.ndarray]) -> np.ndarray:
        return _cached_piece(a, others, name, extra, compute)[1]

    return _summary(piece, a, b, params, k, ks, anchors, seed)


def cached_overlap(
    a: np.ndarray, b: np.ndarray, params: np.ndarray | None = None, k: int = 10
) -> tuple[str, np.ndarray]:
    """(cache key, knn_overlap) as `cached_comparison` stores it, so either computes it once;
    the key lets a page use the per-sample values as a column."""
    others = _others(b, params)
    return _cached_piece(a, others, "overlap", {"k": k}, lambda: knn_overlap(a, b, k))


def _others(b: np.ndarray, params: np.ndarray | None) -> dict[str, str | None]:
    """Content hashes of b and params: with a's fingerprint, they key every cached piece."""
    return {"b": _digest(np.asarray(b)), "params": _digest(None if params is None else params)}


def _cached_piece(
    a: np.ndarray,
    others: dict[str, str | None],
    name: str,
    extra: dict[str, Any],
    compute: Callable[[], np.ndarray],
) -> tuple[str, np.ndarray]:
    settings = {"version": VERSION, **others, **extra}
    return cached_result(f"comparison.{name}", settings, a, compute)


def compare_pair(
    a: np.ndarray, b: np.ndarray, params: np.ndarray | None, k: int, ks: Sequence[int]
) -> tuple[str, np.ndarray, dict[str, Any]]:
    """What a comparison page shows for models a and b, from the cache when computed before:
    (the per-sample overlap's cache key, the overlap, `cached_comparison`'s summary). Values of
    ks that trustworthiness cannot take (k >= N/2) are left out."""
    usable = [q for q in ks if q < len(a) / 2]
    key, overlap = cached_overlap(a, b, params, k)
    return key, overlap, cached_comparison(a, b, params, k=k, ks=usable)
