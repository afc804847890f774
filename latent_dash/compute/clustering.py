"""Clustering of latent vectors (or any (N, d) columns) with scikit-learn; no dash here.

Methods: k-means, DBSCAN, HDBSCAN, agglomerative (ward / average / complete linkage) and a
Gaussian mixture. Every method returns int32 labels of shape (N,), renumbered by cluster size
(0 is the largest cluster, ties by first sample) so that a result reads the same whatever the
method's internal numbering; the density methods (DBSCAN, HDBSCAN) mark noise as -1.
Results are deterministic for a given seed and cached on disk (compute.cache) by a hash of the
data, the method and its parameters, so a repeated run costs a disk read.

Agglomerative clustering builds the full linkage tree (memory O(N^2): N = 10,000 is 0.4 GB of
distances), so it is refused above AGGLOMERATIVE_LIMIT samples.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from latent_dash.compute import cache

METHODS: dict[str, str] = {
    "kmeans": "k-means",
    "gmm": "Gaussian mixture",
    "agglomerative": "Agglomerative",
    "dbscan": "DBSCAN",
    "hdbscan": "HDBSCAN",
}
LINKAGES = ("ward", "average", "complete")
COVARIANCES = ("full", "tied", "diag", "spherical")
# the parameters each method reads, with their defaults
PARAMETERS: dict[str, dict[str, Any]] = {
    "kmeans": {"k": 8, "seed": 0},
    "gmm": {"k": 8, "covariance": "full", "seed": 0},
    "agglomerative": {"k": 8, "linkage": "ward"},
    "dbscan": {"eps": None, "min_samples": 10},
    "hdbscan": {"min_cluster_size": 15, "min_samples": None},
}
DENSITY_METHODS = ("dbscan", "hdbscan")
AGGLOMERATIVE_LIMIT = 10_000  # the linkage tree needs N(N-1)/2 float64 distances
EPS_SAMPLE = 2_000  # samples whose neighbour distances estimate DBSCAN's eps
EPS_QUANTILE = 0.9
# BLAS / OpenMP threads per fit: measured on 2 busy cores, a Gaussian mixture of 10k x 16 took
# 6-10 s with the default threads and 0.2-0.4 s with one (small BLAS calls, threads spinning)
THREADS = 1
KMEANS_INIT = 1  # k-means++ runs (scikit-learn's default); more cost time for little gain


def parameters(method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The method's full parameter set: its defaults, overridden by the given ones (checked)."""
    if method not in METHODS:
        raise ValueError(f"unknown clustering method {method!r}; use one of {', '.join(METHODS)}")
    given = dict(params or {})
    unknown = set(given) - set(PARAMETERS[method])
    if unknown:
        raise ValueError(
            f"{METHODS[method]} takes {', '.join(PARAMETERS[method])}, not {', '.join(unknown)}"
        )
    full = {**PARAMETERS[method], **{k: v for k, v in given.items() if v is not None}}
    for name in ("k", "min_samples", "min_cluster_size", "seed"):
        if full.get(name) is not None:
            full[name] = int(full[name])
    if "k" in full and full["k"] < 1:
        raise ValueError("the number of clusters k must be at least 1")
    if full.get("min_cluster_size") is not None and full["min_cluster_size"] < 2:
        raise ValueError("min_cluster_size must be at least 2")
    if full.get("min_samples") is not None and full["min_samples"] < 1:
        raise ValueError("min_samples must be at least 1")
    if full.get("eps") is not None:
        full["eps"] = float(full["eps"])
        if not full["eps"] > 0:
            raise ValueError("eps must be positive")
    if method == "agglomerative" and full["linkage"] not in LINKAGES:
        raise ValueError(f"linkage must be one of {', '.join(LINKAGES)}")
    if method == "gmm" and full["covariance"] not in COVARIANCES:
        raise ValueError(f"covariance must be one of {', '.join(COVARIANCES)}")
    return full


def standardised(data: np.ndarray) -> np.ndarray:
    """Each column shifted to mean 0 and scaled to standard deviation 1 (constant ones: 0)."""
    data = np.asarray(data, dtype=np.float64)
    std = data.std(axis=0)
    return (data - data.mean(axis=0)) / np.where(std > 0, std, 1.0)


def by_size(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0, 1, ... from the largest cluster down (ties: first sample first).

    Noise (-1) stays -1.
    """
    labels = np.asarray(labels)
    out = np.full(labels.shape, -1, dtype=np.int32)
    kept = labels >= 0
    if not kept.any():
        return out
    values, first, codes, counts = np.unique(
        labels[kept], return_index=True, return_inverse=True, return_counts=True
    )
    order = np.lexsort((first, -counts))  # size descending, then first appearance
    rank = np.empty(len(values), dtype=np.int32)
    rank[order] = np.arange(len(values), dtype=np.int32)
    out[kept] = rank[codes]
    return out


def estimate_eps(data: np.ndarray, min_samples: int, seed: int = 0) -> float:
    """A DBSCAN radius from the data: the 90th percentile, over a seeded sample of points, of
    the distance to their min_samples-th neighbour (so ~90 % of points are core points)."""
    from sklearn.neighbors import NearestNeighbors

    data = np.asarray(data, dtype=np.float64)
    n = len(data)
    k = min(max(1, int(min_samples)), n - 1)
    if k < 1:
        return 1.0
    rng = np.random.default_rng(seed)
    probe = data if n <= EPS_SAMPLE else data[rng.choice(n, EPS_SAMPLE, replace=False)]
    distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(data).kneighbors(probe)
    eps = float(np.quantile(distances[:, k], EPS_QUANTILE))
    return eps if eps > 0 else 1e-9


def check_size(method: str, n: int) -> None:
    """Refuse a clustering that would not fit in memory (agglomerative above the limit)."""
    if method == "agglomerative" and n > AGGLOMERATIVE_LIMIT:
        raise ValueError(
            f"agglomerative clustering of {n:,} samples would need "
            f"{n * (n - 1) * 4 / 1e9:.1f} GB of pairwise distances; it is limited to "
            f"{AGGLOMERATIVE_LIMIT:,} samples. Use k-means (or a Gaussian mixture) instead."
        )


def cluster(data: np.ndarray, method: str, params: Mapping[str, Any] | None = None) -> np.ndarray:
    """int32 labels (N,) of `method` on the rows of `data` (N, d); -1 marks noise.

    Rows with NaN or infinite values are left out and labelled -1 as well.

    Raises ValueError for unknown methods, bad parameters, or agglomerative clustering above
    AGGLOMERATIVE_LIMIT samples.
    """
    p = parameters(method, params)
    data = np.asarray(data, dtype=np.float64)
    if data.ndim != 2 or len(data) == 0:
        raise ValueError("clustering needs a non-empty (N, d) array")
    finite = np.isfinite(data).all(axis=1)
    if not finite.all():  # e.g. an embedding of a selection: the others have no coordinates
        if not finite.any():
            raise ValueError("no sample has finite values to cluster")
        labels = np.full(len(data), -1, dtype=np.int32)
        labels[finite] = cluster(data[finite], method, p)
        return labels
    with threadpool_limits(limits=THREADS):
        return by_size(_fit(data, method, p))


def _fit(data: np.ndarray, method: str, p: dict[str, Any]) -> np.ndarray:
    """The method's raw labels on finite data (any numbering; -1 noise)."""
    n = len(data)
    if "k" in p and p["k"] > n:
        raise ValueError(f"k = {p['k']} is more than the {n} samples")
    if method == "kmeans":
        from sklearn.cluster import KMeans

        model = KMeans(n_clusters=p["k"], n_init=KMEANS_INIT, random_state=p["seed"])
        labels = model.fit_predict(data)
    elif method == "gmm":
        from sklearn.mixture import GaussianMixture

        model = GaussianMixture(
            n_components=p["k"], covariance_type=p["covariance"], random_state=p["seed"]
        )
        labels = model.fit(data).predict(data)
    elif method == "agglomerative":
        check_size(method, n)
        from sklearn.cluster import AgglomerativeClustering

        labels = AgglomerativeClustering(n_clusters=p["k"], linkage=p["linkage"]).fit_predict(data)
    elif method == "dbscan":
        from sklearn.cluster import DBSCAN

        eps = p["eps"] if p["eps"] is not None else estimate_eps(data, p["min_samples"])
        labels = DBSCAN(eps=eps, min_samples=p["min_samples"]).fit_predict(data)
    else:  # hdbscan
        from sklearn.cluster import HDBSCAN

        size = min(p["min_cluster_size"], n)
        if size < 2:
            return np.full(n, -1, dtype=np.int32)
        labels = HDBSCAN(
            min_cluster_size=size, min_samples=p["min_samples"], copy=True
        ).fit_predict(data)
    return labels


def _key_params(method: str, params: Mapping[str, Any] | None, standardise: bool) -> dict:
    return {**parameters(method, params), "standardise": bool(standardise), "version": 1}


def cache_key(
    data: np.ndarray,
    method: str,
    params: Mapping[str, Any] | None = None,
    standardise: bool = False,
    data_key: str | None = None,
) -> str:
    """The result key of a clustering (see cached_cluster), without computing anything."""
    data_id = cache.fingerprint(data) if data_key is None else f"result:{data_key}"
    return cache.result_key(
        f"clustering.{method}", _key_params(method, params, standardise), data_id
    )


def cached_cluster(
    data: np.ndarray,
    method: str,
    params: Mapping[str, Any] | None = None,
    standardise: bool = False,
    data_key: str | None = None,
) -> tuple[str, np.ndarray]:
    """(result key, labels) of `cluster`, from the disk cache when it was computed before.

    `standardise` scales the columns first (the cache is keyed on the raw data). `data_key`
    names the data instead of hashing it: give the result key of a cached array (an embedding)
    so that a freshly loaded copy of it is not hashed, and kept, on every call.
    """
    full = parameters(method, params)

    def compute() -> np.ndarray:
        return cluster(standardised(data) if standardise else data, method, full)

    if data_key is None:
        key_params = _key_params(method, params, standardise)
        key, labels = cache.cached_result(f"clustering.{method}", key_params, data, compute)
        return key, labels.astype(np.int32, copy=False)
    key = cache_key(data, method, params, standardise, data_key)
    hit = cache.load(key)
    if hit is not None:
        return key, hit.astype(np.int32, copy=False)
    labels = compute()
    cache.save(key, labels)
    return key, labels


def column_name(method: str, params: Mapping[str, Any], on: str | None = None) -> str:
    """A short computed-column name: "kmeans_k8", "ward_k5_std", "dbscan_eps0.3_m10"."""
    p = parameters(method, params)
    if method == "kmeans":
        name = f"kmeans_k{p['k']}"
    elif method == "gmm":
        name = f"gmm_{p['covariance']}_k{p['k']}"
    elif method == "agglomerative":
        name = f"{p['linkage']}_k{p['k']}"
    elif method == "dbscan":
        eps = "auto" if p["eps"] is None else f"{p['eps']:.3g}"
        name = f"dbscan_eps{eps}_m{p['min_samples']}"
    else:
        name = f"hdbscan_m{p['min_cluster_size']}"
        if p["min_samples"] is not None:
            name += f"_s{p['min_samples']}"
    if p.get("seed"):
        name += f"_seed{p['seed']}"
    return name + (f"_{on}" if on else "")


def cluster_sizes(labels: np.ndarray) -> list[tuple[int, int]]:
    """[(label, size)] from the largest cluster down (ties by label), noise (-1) last."""
    values, counts = np.unique(np.asarray(labels), return_counts=True)
    pairs = sorted(
        ((int(v), int(c)) for v, c in zip(values, counts, strict=True) if v >= 0),
        key=lambda pair: (-pair[1], pair[0]),
    )
    noise = [(int(v), int(c)) for v, c in zip(values, counts, strict=True) if v < 0]
    return pairs + noise
