"""Time the structure views' computations: k-NN graph, extremum graph and simplified spine.

    python benchmarks/structure.py [--sizes 10000] [--dims 16] [--k 10]

Synthetic, seeded: latent vectors around 10 Gaussian cluster centres in `dims` dimensions, and a
function f = a sum of Gaussian bumps at 5 of the centres plus a little noise (many small maxima
for the simplification to merge). Each size runs with a fresh, empty LATENT_DASH_CACHE_DIR, so
"cold" computes the graph and "cached" reads it back from the disk cache (in a new process's
memory state: the in-process memo is cleared); the extremum graph and the simplification are
always computed (they are not cached: ~0.1 s at 10,000 samples).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def data(n: int, dims: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=3, size=(10, dims))
    latent = centres[rng.integers(0, 10, n)] + rng.normal(size=(n, dims))
    d2 = ((latent[:, None, :] - centres[None, :5]) ** 2).sum(axis=2)
    f = (np.linspace(1.0, 0.5, 5) * np.exp(-d2 / (2 * 4.0))).sum(axis=1)
    f += rng.normal(scale=0.01, size=n)
    return latent.astype(np.float32), f


def run(n: int, dims: int, k: int) -> list[tuple[str, str, float, float, str]]:
    from latent_dash.compute import graph as graphs
    from latent_dash.compute import topology

    latent, f = data(n, dims)
    rows = []
    for pruning in graphs.PRUNINGS:
        times = []
        for _ in ("cold", "cached"):
            graphs._MEMO.clear()
            start = time.perf_counter()
            g = graphs.knn_graph(latent, k, pruning)
            t_graph = time.perf_counter() - start
            start = time.perf_counter()
            spine = topology.extremum_graph(f, g)
            t_spine = time.perf_counter() - start
            start = time.perf_counter()
            simple = topology.simplify(spine, 0.05 * spine.span)
            t_simplify = time.perf_counter() - start
            times.append((t_graph, t_spine, t_simplify))
        (cg, cs, cx), (hg, hs, hx) = times
        note = f"{g.size:,} edges, {spine.count} maxima -> {simple.count} at 5 %"
        rows.append((pruning, "graph", cg, hg, note))
        rows.append((pruning, "extremum graph", cs, hs, ""))
        rows.append((pruning, "simplify", cx, hx, ""))
        rows.append((pruning, "total", cg + cs + cx, hg + hs + hx, ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--dims", type=int, default=16)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    print("| N | pruning | step | cold s | cached s | note |\n|---|---|---|---|---|---|")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            os.environ["LATENT_DASH_CACHE_DIR"] = folder
            for pruning, step, cold, cached, note in run(n, args.dims, args.k):
                print(f"| {n:,} | {pruning} | {step} | {cold:.3f} | {cached:.3f} | {note} |")


if __name__ == "__main__":
    main()
