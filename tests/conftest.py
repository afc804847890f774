"""Shared fixtures: small datasets written to a temporary folder, and headless Chromium."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Server-side caches of the test session live in a temporary folder, not the work tree."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LATENT_DASH_CACHE_DIR", str(folder))
        yield folder


def pytest_setup_options():
    """Debian's Chromium, headless, for dash_duo (no browser is ever downloaded)."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--window-size=1400,1000",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
    ):
        options.add_argument(flag)
    return options


def write_dataset(folder: Path, n: int = 120, dims: int = 4, seed: int = 0) -> dict[str, str]:
    """Latent, images, params and a metadata table for n samples; returns their file names."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "latent.npy", rng.normal(size=(n, dims)).astype(np.float32))
    np.save(folder / "images.npy", rng.random((n, 6, 5)).astype(np.float32))
    np.save(folder / "params.npy", rng.uniform(size=(n, 3)).astype(np.float32))
    pd.DataFrame(
        {
            "label": rng.integers(0, 3, n),
            "error": rng.random(n),
            "kind": rng.choice(["round", "oval"], n),
        }
    ).to_csv(folder / "metadata.csv", index=False)
    return {
        "latent": "latent.npy",
        "images": "images.npy",
        "params": "params.npy",
        "metadata": "metadata.csv",
    }


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture
def small_config(tmp_path: Path) -> Path:
    """A valid config over a small dataset, with every optional part given."""
    files = write_dataset(tmp_path / "data")
    return write_config(
        tmp_path / "small.yaml",
        {
            "title": "Small model",
            "dataset": {
                "name": "small",
                "latent": f"data/{files['latent']}",
                "images": f"data/{files['images']}",
                "params": f"data/{files['params']}",
                "param_names": ["drive", "p2", "temperature"],
                "metadata": f"data/{files['metadata']}",
            },
            "layout": {"row": [{"column": ["Scatter Plot"]}, {"column": ["Parallel Coordinate"]}]},
            "views": {"scatter": {"x": "z0", "y": "drive", "color": "label"}},
        },
    )
