"""A synthetic large dataset and its config, for scale tests: `latent-dash synth`.

Seeded and deterministic. The latent vectors lie on curved 2-D sheets, one per cluster, bent
into `dims` dimensions with a little noise, so scatters, embeddings and brushes show structure
(not a Gaussian blob). Alongside them: 5 parameters that drive the sheets, a metadata table with
a `label` (the cluster) and an `error` column, and optional small uint8 images (a blob whose
position and width follow the parameters).

Everything is written in blocks straight into memory-mapped .npy files, so memory stays bounded
at any N (1M samples x 16 dims: 64 MB latent, 256 MB of 16x16 images). The folder appears
atomically: it is built under a temporary name next to the target and renamed at the end.
No dash or plotly here.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

DEFAULT_FOLDER = Path("synthetic-data")
CONFIG_NAME = "synthetic.yaml"
BLOCK = 50_000  # samples generated at a time: bounded memory at any N
PARAM_NAMES = ["drive", "spread", "twist", "temperature", "offset"]
LAYOUT = {
    "row": [
        {"column": ["scatter", "parcoords"]},
        {"column": ["embedding", "images", "table"]},
    ]
}


@dataclass(frozen=True)
class SynthSpec:
    n: int = 1_000_000
    dims: int = 16
    clusters: int = 12
    image_size: int = 16  # 0: no images
    seed: int = 0


def default_folder(n: int, dims: int) -> Path:
    return DEFAULT_FOLDER / f"synth-{n}x{dims}"


def _sheets(spec: SynthSpec) -> tuple[np.ndarray, np.ndarray]:
    """Per cluster: a centre (dims,) and a map (4, dims) of the sheet's features into latent."""
    rng = np.random.default_rng(spec.seed)
    centres = rng.normal(scale=3.0, size=(spec.clusters, spec.dims)).astype(np.float32)
    maps = rng.normal(scale=1.0, size=(spec.clusters, 4, spec.dims)).astype(np.float32)
    return centres, maps


def _block(spec: SynthSpec, start: int, stop: int, centres, maps) -> dict[str, np.ndarray]:
    """Samples start..stop: latent, params, label, error (and images)."""
    rng = np.random.default_rng([spec.seed, start])  # each block its own stream: reproducible
    m = stop - start
    label = rng.integers(0, spec.clusters, m)
    u = rng.uniform(-1, 1, m).astype(np.float32)
    v = rng.uniform(-1, 1, m).astype(np.float32)
    features = np.stack([u, v, np.sin(np.pi * u) * 0.8, u * v], axis=1)  # (m, 4): a bent sheet
    noise_scale = rng.gamma(2.0, 0.03, m).astype(np.float32)
    noise = rng.normal(size=(m, spec.dims)).astype(np.float32) * noise_scale[:, None]
    latent = centres[label] + np.einsum("mk,mkd->md", features, maps[label]) + noise
    params = np.stack(
        [
            u,
            (v + 1) / 2,
            features[:, 2],
            rng.uniform(0.5, 2.0, m).astype(np.float32),
            label.astype(np.float32) / max(1, spec.clusters - 1) + rng.normal(0, 0.02, m),
        ],
        axis=1,
    ).astype(np.float32)
    out = {
        "latent": latent.astype(np.float32),
        "params": params,
        "label": label.astype(np.int16),
        "error": (noise_scale * np.sqrt(spec.dims)).astype(np.float32),
    }
    if spec.image_size:
        s = spec.image_size
        grid = (np.arange(s, dtype=np.float32) + 0.5) / s
        cx = (0.5 + 0.3 * u)[:, None, None]
        cy = (0.5 + 0.3 * v)[:, None, None]
        width = (0.08 + 0.02 * (label % 4)).astype(np.float32)[:, None, None]
        blob = np.exp(
            -((grid[None, None, :] - cx) ** 2 + (grid[None, :, None] - cy) ** 2) / (2 * width**2)
        )
        out["images"] = np.clip(blob * 255, 0, 255).astype(np.uint8)
    return out


def config_dict(spec: SynthSpec) -> dict:
    dataset = {
        "name": f"synthetic-{spec.n}x{spec.dims}",
        "latent": "latent.npy",
        "params": "params.npy",
        "param_names": PARAM_NAMES,
        "metadata": "metadata.parquet",
    }
    if spec.image_size:
        dataset["images"] = "images.npy"
    return {
        "title": f"Synthetic ({spec.clusters} curved clusters, seed {spec.seed})",
        "dataset": dataset,
        "layout": LAYOUT,
        "views": {
            "scatter": {"x": "z0", "y": "z1", "color": "label"},
            "parcoords": {"color": "drive"},
            "embedding": {"method": "pca", "color": "label"},
        },
    }


def write_files(folder: Path, spec: SynthSpec) -> None:
    """Every array, the metadata table and the config, into an existing empty folder."""
    centres, maps = _sheets(spec)
    latent = np.lib.format.open_memmap(folder / "latent.npy", "w+", np.float32, (spec.n, spec.dims))
    params = np.lib.format.open_memmap(
        folder / "params.npy", "w+", np.float32, (spec.n, len(PARAM_NAMES))
    )
    images = None
    if spec.image_size:
        images = np.lib.format.open_memmap(
            folder / "images.npy", "w+", np.uint8, (spec.n, spec.image_size, spec.image_size)
        )
    labels = np.empty(spec.n, np.int16)
    errors = np.empty(spec.n, np.float32)
    for start in range(0, spec.n, BLOCK):
        stop = min(spec.n, start + BLOCK)
        block = _block(spec, start, stop, centres, maps)
        latent[start:stop] = block["latent"]
        params[start:stop] = block["params"]
        labels[start:stop] = block["label"]
        errors[start:stop] = block["error"]
        if images is not None:
            images[start:stop] = block["images"]
    for array in (latent, params, images):
        if array is not None:
            array.flush()
    del latent, params, images
    pd.DataFrame({"label": labels, "error": errors}).to_parquet(
        folder / "metadata.parquet", index=False
    )
    (folder / CONFIG_NAME).write_text(yaml.safe_dump(config_dict(spec), sort_keys=False))


def synthesize(out: Path, spec: SynthSpec, force: bool = False) -> Path:
    """Write the dataset and config into `out` atomically; returns the config's path.

    Refuses (FileExistsError) a folder that exists and is not empty, unless `force`.
    """
    if spec.n < 1 or spec.dims < 2:
        raise ValueError("need at least 1 sample and 2 latent dims")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise FileExistsError(f"{out} exists and is not empty")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        write_files(tmp, spec)
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / CONFIG_NAME
