"""How long a config takes to load and draw, and how much memory it costs, as N grows.

    python benchmarks/load.py [--sizes 10000 100000 1000000]

Writes synthetic data (16 latent dims, 5 params, 3 metadata columns, 32x32 images) into a temp
folder, then, in a fresh subprocess per size: parses the config and loads the dataset
(memory-mapped), builds the scatter and parcoords figures, serialises them as Dash would, and
reports time, figure JSON size and the process's peak RSS. Ratios within one run are the figures
to trust; absolute times vary with the machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

CHILD = r"""
import json, sys, time
import plotly.io as pio

def peak_rss_mb():
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork + exec
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
t0 = time.perf_counter()
from latent_dash.data import open_config
from latent_dash.views import parcoords, scatter
t1 = time.perf_counter()
loaded, dataset = open_config(sys.argv[1])
t2 = time.perf_counter()
fig_s = scatter.build_figure(dataset, "z0", "z1", "drive")
json_s = pio.to_json(fig_s, validate=False)
t3 = time.perf_counter()
data_p = parcoords.panel_data(dataset, dataset.latent_names, "drive")  # what the canvas draws
json_p = json.dumps(data_p)
t4 = time.perf_counter()
print(json.dumps({
    "import_s": t1 - t0, "load_s": t2 - t1, "scatter_s": t3 - t2, "parcoords_s": t4 - t3,
    "scatter_mb": len(json_s) / 1e6, "parcoords_mb": len(json_p) / 1e6,
    "peak_rss_mb": peak_rss_mb(),
}))
"""


def write(folder: Path, n: int) -> Path:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    np.save(folder / "latent.npy", rng.normal(size=(n, 16)).astype(np.float32))
    np.save(folder / "params.npy", rng.uniform(size=(n, 5)).astype(np.float32))
    images = np.lib.format.open_memmap(folder / "images.npy", "w+", np.float32, (n, 32, 32))
    for start in range(0, n, 50_000):  # written in blocks: 1M images are 4 GB
        stop = min(n, start + 50_000)
        images[start:stop] = rng.random((stop - start, 32, 32), dtype=np.float32)
    images.flush()
    del images
    pd.DataFrame(
        {"label": rng.integers(0, 10, n), "error": rng.random(n), "kind": rng.choice(["a", "b"], n)}
    ).to_parquet(folder / "meta.parquet")
    config = folder / "bench.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "dataset": {
                    "latent": "latent.npy",
                    "params": "params.npy",
                    "images": "images.npy",
                    "param_names": ["drive", "p2", "p4", "offset", "temperature"],
                    "metadata": "meta.parquet",
                },
                "layout": {"row": ["scatter", "parcoords"]},
            }
        )
    )
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            config = write(Path(tmp) / str(n), n)
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(config)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            result["n"] = n
            result["wall_s"] = time.perf_counter() - start
            rows.append(result)
    print(
        "| N | load config + data | scatter figure (build + JSON) | scatter JSON | "
        "parcoords figure | parcoords JSON | peak RSS |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['n']:,} | {r['load_s'] * 1000:.0f} ms | {r['scatter_s'] * 1000:.0f} ms | "
            f"{r['scatter_mb']:.2f} MB | {r['parcoords_s'] * 1000:.0f} ms | "
            f"{r['parcoords_mb']:.2f} MB | {r['peak_rss_mb']:.0f} MB |"
        )


if __name__ == "__main__":
    main()
