"""Time every analysis computation at N = 2k, 10k and 50k, cold and cached.

    python benchmarks/analysis.py [--sizes 2000 10000 50000] [--skip tsne umap]

Synthetic latent (16 dims, 10 Gaussian clusters) and 5 parameters, seeded. Each run uses a
fresh, empty cache folder, so "cold" is a real computation and "cached" the disk-cache answer.
UMAP's first call in the process includes loading its compiled code (warmed by the app at
start, see docs/architecture.md); it is reported as it is.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

CASES = [
    ("embedding", "pca", {}),
    ("embedding", "tsne", {}),
    ("embedding", "umap", {}),
    ("embedding", "isomap", {}),
    ("embedding", "mds", {}),
    ("clustering", "kmeans", {"k": 10}),
    ("clustering", "gmm", {"k": 10}),
    ("clustering", "agglomerative", {"k": 10}),
    ("clustering", "dbscan", {}),
    ("clustering", "hdbscan", {}),
    ("correlation", "pearson", {}),
    ("correlation", "spearman", {}),
    ("correlation", "mi", {}),
    ("correlation", "r2", {}),
]


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=4, size=(10, 16))
    latent = (centres[rng.integers(0, 10, n)] + rng.normal(size=(n, 16))).astype(np.float32)
    params = (latent[:, :5] @ rng.normal(size=(5, 5)) + rng.normal(size=(n, 5))).astype(
        np.float32
    )
    return latent, params


def run(kind: str, method: str, params: dict, latent: np.ndarray, targets: np.ndarray):
    from latent_dash.compute import clustering, correlation, embedding

    if kind == "embedding":
        return embedding.embed(latent, method, params or None)
    if kind == "clustering":
        return clustering.cached_cluster(latent, method, params or None)
    if method == "r2":
        return correlation.cached_encoding_r2(latent, targets)
    return correlation.cached_association(latent, targets, method)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 10_000, 50_000])
    parser.add_argument("--skip", nargs="*", default=[], help="methods to leave out")
    args = parser.parse_args()
    os.environ["LATENT_DASH_CACHE_DIR"] = tempfile.mkdtemp(prefix="latent-dash-bench-")
    from latent_dash.compute import neighbors

    print("| computation | " + " | ".join(f"N={n:,} cold / cached" for n in args.sizes) + " |")
    print("|---|" + "---|" * len(args.sizes))
    table = {n: data(n) for n in args.sizes}
    for kind, method, params in CASES:
        if method in args.skip:
            continue
        cells = []
        for n in args.sizes:
            latent, targets = table[n]
            try:
                start = time.perf_counter()
                run(kind, method, params, latent, targets)
                cold = time.perf_counter() - start
                start = time.perf_counter()
                run(kind, method, params, latent, targets)
                cached = time.perf_counter() - start
                cells.append(f"{cold:.2f} s / {cached * 1000:.1f} ms")
            except ValueError as exc:  # a documented size limit
                cells.append(f"refused ({str(exc).split('.')[0][:40]})")
        print(f"| {kind} {method} | " + " | ".join(cells) + " |", flush=True)
    cells = []
    for n in args.sizes:
        latent, _ = table[n]
        neighbors.nearest(latent, 0, 10)  # builds the per-data index once
        start = time.perf_counter()
        for i in range(20):
            neighbors.nearest(latent, i, 10)
        cells.append(f"{(time.perf_counter() - start) / 20 * 1000:.2f} ms a query")
    print("| neighbours k=10 | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
