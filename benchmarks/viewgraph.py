"""Time the view graph's ranking of latent dim pairs, cold and cached, and the projection targets.

    python benchmarks/viewgraph.py [--sizes 10000 50000] [--dims 16] [--reps 3]

Synthetic latent (D dims, 10 Gaussian clusters, seeded) with a categorical column (the cluster
id). Each size uses a fresh, empty cache folder, so "cold" is a real computation (k-NN sets of
at most 2,000 anchors in the full space and in every one of the D(D-1)/2 pair views) and
"cached" the disk-cache answer. "+ separation" then ranks by the silhouette of the cluster id
in every pair view (at most 800 samples; the neighbourhood part comes from the cache, as in
the app when a `separate_by` column is picked). The projection targets (PCA, aligned basis) and one
interpolated frame are timed too: they run in a callback on every target change.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def data(n: int, dims: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=4, size=(10, dims))
    labels = rng.integers(0, 10, n)
    latent = (centres[labels] + rng.normal(size=(n, dims))).astype(np.float32)
    return latent, labels


def timed(function, reps: int = 1) -> float:
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def measure(n: int, dims: int, reps: int) -> list[tuple[str, float]]:
    """(case, seconds) at one size, in the current (fresh) cache folder."""
    from latent_dash.compute import projection as compute

    latent, labels = data(n, dims)
    values = labels.astype(float)

    def rank():
        return compute.ranked_pairs(latent)

    def separate():
        return compute.ranked_pairs(latent, None, labels, "cluster")

    return [
        ("ranking, cold", timed(rank)),
        ("ranking, cached", timed(rank, reps)),
        ("+ separation, cold", timed(separate)),
        ("+ separation, cached", timed(separate, reps)),
        ("PCA basis", timed(lambda: compute.pca_basis(latent), reps)),
        ("aligned basis", timed(lambda: compute.aligned_basis(latent, values), reps)),
        (
            "grid layout of 12 views",
            timed(lambda: compute.grid_layout(rank()["similarity"][:12, :12]), reps),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--dims", type=int, default=16)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    pairs = args.dims * (args.dims - 1) // 2
    print(f"{'N':>8} {'D':>3} {'pairs':>5} {'case':<28} {'seconds':>9}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            os.environ["LATENT_DASH_CACHE_DIR"] = folder
            for case, seconds in measure(n, args.dims, args.reps):
                print(f"{n:>8} {args.dims:>3} {pairs:>5} {case:<28} {seconds:>9.3f}")


if __name__ == "__main__":
    main()
