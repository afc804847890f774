"""A small sentence-embedding-like dataset: a wide latent, a title per sample, text and a
category column with more values than a legend used to hold (issue 16, part 5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

TOPICS = ["physics", "biology", "music", "cooking", "history"]
LOUD = 30  # the dim that varies most
MODULES = 61  # categories of `module`: more than MAX_LEGEND_CATEGORIES


def title(i: int) -> str:
    return f"Sentence {i} about {TOPICS[i % len(TOPICS)]}"


def write_text_dataset(folder: Path, n: int = 150, dims: int = 48, seed: int = 0) -> dict:
    """Files of n samples: latent.npy (n, dims) whose dim variances fall with the index, but
    for dim LOUD, which varies most; metadata.csv with title, body, module, score.

    Module m holds samples i with i % MODULES == m, except that module "m00" also gets every
    sample i >= n - 30: it is the most frequent."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    scale = np.linspace(3.0, 0.1, dims)
    scale[[0, LOUD]] = [scale[LOUD], 6.0]  # dim LOUD varies most by far
    latent = rng.normal(size=(n, dims)) * scale
    np.save(folder / "latent.npy", latent.astype(np.float32))
    modules = [f"m{i % MODULES:02d}" for i in range(n)]
    modules[n - 30 :] = ["m00"] * 30
    pd.DataFrame(
        {
            "title": [title(i) for i in range(n)],
            "body": [f"Body text {i}: {'long words ' * 20}end" for i in range(n)],
            "module": modules,
            "score": rng.random(n),
        }
    ).to_csv(folder / "metadata.csv", index=False)
    return {"latent": "latent.npy", "metadata": "metadata.csv"}
