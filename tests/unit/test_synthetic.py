"""`latent-dash synth`: a seeded synthetic dataset + config, written atomically (small N)."""

from __future__ import annotations

import numpy as np
import pytest

from latent_dash.cli import main
from latent_dash.data import open_config
from latent_dash.synthetic import CONFIG_NAME, SynthSpec, synthesize


def test_synth_command_writes_a_loadable_config(tmp_path, capsys):
    out = tmp_path / "synth"
    assert main(["synth", "--n", "500", "--dims", "6", "--out", str(out), "--image-size", "8"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["images.npy", "latent.npy", "metadata.parquet", "params.npy", CONFIG_NAME]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder left
    latent = np.load(out / "latent.npy", mmap_mode="r")
    assert latent.shape == (500, 6) and latent.dtype == np.float32
    images = np.load(out / "images.npy", mmap_mode="r")
    assert images.shape == (500, 8, 8) and images.dtype == np.uint8
    loaded, dataset = open_config(out / CONFIG_NAME)
    assert dataset.n == 500 and dataset.dims == 6
    assert dataset.has_images and dataset.image_shape == (8, 8)
    assert {"label", "error"} <= set(dataset.metadata.columns)
    assert len(np.unique(dataset.column("label"))) > 1
    assert np.isfinite(dataset.latent).all()
    assert {v.kind for v in loaded.views} >= {"scatter", "parcoords", "embedding"}
    assert "OK" in capsys.readouterr().out


def test_synth_is_seeded_and_refuses_to_overwrite(tmp_path):
    spec = SynthSpec(n=300, dims=4, image_size=0, seed=3)
    synthesize(tmp_path / "a", spec)
    synthesize(tmp_path / "b", spec)
    a = np.load(tmp_path / "a" / "latent.npy")
    assert np.array_equal(a, np.load(tmp_path / "b" / "latent.npy"))
    assert not (tmp_path / "a" / "images.npy").exists()
    with pytest.raises(FileExistsError):
        synthesize(tmp_path / "a", spec)
    assert main(["synth", "--n", "300", "--dims", "4", "--out", str(tmp_path / "a")]) == 2
    synthesize(tmp_path / "a", SynthSpec(n=200, dims=4, image_size=0, seed=4), force=True)
    assert np.load(tmp_path / "a" / "latent.npy").shape == (200, 4)
    # an existing empty folder is fine
    (tmp_path / "empty").mkdir()
    synthesize(tmp_path / "empty", spec)
    assert (tmp_path / "empty" / CONFIG_NAME).is_file()
