"""Time each model-comparison metric (compute.comparison) and the whole summary, cold.

    python benchmarks/comparison.py [--n 10000] [--da 10] [--db 16] [--p 5] [--anchors 2000]

Synthetic, seeded: 5 parameters drive both latents through random linear maps plus a smooth
nonlinearity and noise (A: Da dims, B: Db dims). Each line is one cold call (no result cache);
"cached_comparison (cold / warm)" uses a fresh, empty cache folder.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def data(n: int, da: int, db: int, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    params = rng.uniform(size=(n, p))

    def latent(d: int) -> np.ndarray:
        z = np.tanh(params @ rng.normal(size=(p, d))) + 0.1 * rng.normal(size=(n, d))
        return z.astype(np.float32)

    return latent(da), latent(db), params


def timed(label: str, call, rows: list) -> object:
    start = time.perf_counter()
    result = call()
    rows.append((label, time.perf_counter() - start))
    print(f"{label:<44} {rows[-1][1]:8.3f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--da", type=int, default=10)
    parser.add_argument("--db", type=int, default=16)
    parser.add_argument("--p", type=int, default=5)
    parser.add_argument("--anchors", type=int, default=2000)
    args = parser.parse_args()
    os.environ["LATENT_DASH_CACHE_DIR"] = tempfile.mkdtemp(prefix="latent-dash-bench-")

    from latent_dash.compute import comparison as cmp
    from latent_dash.compute.correlation import encoding_r2
    from latent_dash.compute.neighbors import standardise

    a, b, params = data(args.n, args.da, args.db, args.p)
    ks = (5, 10, 20, 50)
    print(f"N = {args.n}, Da = {args.da}, Db = {args.db}, p = {args.p}, anchors = {args.anchors}")
    rows: list = []
    timed("knn_sets(A, 10)", lambda: cmp.knn_sets(a, 10), rows)
    timed("knn_sets(B, 10)", lambda: cmp.knn_sets(b, 10), rows)
    timed("knn_overlap(A, B, 10)", lambda: cmp.knn_overlap(a, b, 10), rows)
    timed(
        "trustworthiness_continuity(A, B, 4 ks)",
        lambda: cmp.trustworthiness_continuity(a, b, ks, anchors=args.anchors),
        rows,
    )
    scaled = standardise(params)
    timed(
        "trustworthiness_continuity(P, A, 4 ks)",
        lambda: cmp.trustworthiness_continuity(scaled, a, ks, anchors=args.anchors),
        rows,
    )
    timed("cca(A, B) (numpy whitening + SVD)", lambda: cmp.cca(a, b), rows)
    try:
        from sklearn.cross_decomposition import CCA

        m = min(args.da, args.db)
        timed(
            f"  for comparison: sklearn CCA({m}).fit",
            lambda: CCA(n_components=m, max_iter=500).fit(a, b),
            rows,
        )
    except Exception as error:
        print("sklearn CCA failed:", error)
    timed("encoding_r2(A, P)", lambda: encoding_r2(a, params), rows)
    timed("encoding_r2(B, P)", lambda: encoding_r2(b, params), rows)
    timed(
        "compare_models(A, B, P) whole",
        lambda: cmp.compare_models(a, b, params, anchors=args.anchors),
        rows,
    )
    timed(
        "cached_comparison cold",
        lambda: cmp.cached_comparison(a, b, params, anchors=args.anchors),
        rows,
    )
    timed(
        "cached_comparison warm",
        lambda: cmp.cached_comparison(a, b, params, anchors=args.anchors),
        rows,
    )


if __name__ == "__main__":
    main()
