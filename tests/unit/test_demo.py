"""Tests of the demo builder on small, fast builds (n=300, few epochs, 16x16 implosions)."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from latent_dash.demo import (
    DEMOS,
    LATENT_SIZES,
    autoencoder,
    build,
    build_demo,
    demo_root,
    ensure_demos,
    implosion,
    is_built,
)
from latent_dash.demo.autoencoder import decode, decoder_arrays, encode, train_autoencoder

SMALL = {
    # Fewer digits epochs leave a saturated (near-constant) tanh unit in the 10-D bottleneck.
    "digits": {"n": 300, "hidden": 64, "max_iter": 300},
    "implosion": {"n": 300, "size": 16, "max_iter": 100},
}
# For tests of caching and interruption, where the quality of the models does not matter.
TINY = {
    "digits": {"n": 100, "hidden": 16, "max_iter": 5},
    "implosion": {"n": 100, "size": 16, "hidden": 16, "max_iter": 5},
}
SHAPES = {"digits": (8, 8), "implosion": (16, 16)}
METADATA_COLUMNS = {
    "digits": ["label", "recon_error"],
    "implosion": ["yield", "hotspot_radius", "asymmetry", "peak_brightness", "recon_error"],
}


@pytest.fixture(scope="module")
def small_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both demos built once, small, shared by the read-only tests."""
    root = tmp_path_factory.mktemp("demos")
    for name, overrides in SMALL.items():
        build_demo(name, root, progress=False, **overrides)
    return root


def _mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(((a.astype(np.float64) - b) ** 2).mean())


@pytest.mark.parametrize("name", list(DEMOS))
def test_files_shapes_and_dtypes(small_root: Path, name: str) -> None:
    folder = small_root / name
    n, shape = SMALL[name]["n"], SHAPES[name]
    stamp = json.loads((folder / "demo.json").read_text())
    assert stamp["name"] == name and stamp["n"] == n and stamp["image_shape"] == list(shape)
    assert stamp["params"] == {**DEMOS[name].defaults, **SMALL[name]}
    assert stamp["seconds"] > 0
    assert sorted(stamp["files"]) == sorted(
        p.name for p in folder.iterdir() if p.name != "demo.json"
    )

    images = np.load(folder / "images.npy")
    assert images.shape == (n, *shape) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    for d in LATENT_SIZES:
        latent = np.load(folder / f"latent-{d}d.npy")
        assert latent.shape == (n, d) and latent.dtype == np.float32
        recon = np.load(folder / f"reconstructions-{d}d.npy")
        assert recon.shape == (n, *shape) and recon.dtype == np.float32
        assert recon.min() >= 0 and recon.max() <= 1
        with np.load(folder / f"decoder-{d}d.npz", allow_pickle=False) as npz:
            assert {"W0", "b0", "W1", "b1", "activation", "image_shape"} <= set(npz.files)
            assert npz["W0"].shape[0] == d and npz["activation"].shape == ()
            assert tuple(npz["image_shape"]) == shape
        table = pd.read_csv(folder / f"metadata-{d}d.csv")
        assert list(table.columns) == METADATA_COLUMNS[name] and len(table) == n
        assert np.allclose(table["recon_error"], ((recon - images) ** 2).mean(axis=(1, 2)))

    if name == "digits":
        assert set(pd.read_csv(folder / "metadata-10d.csv")["label"]) == set(range(10))
    else:
        params = np.load(folder / "params.npy")
        assert params.shape == (n, 5) and params.dtype == np.float32
        assert stamp["param_names"] == ["drive", "p2", "p4", "offset", "temperature"]


@pytest.mark.parametrize("name", list(DEMOS))
def test_autoencoders_beat_mean_image_and_16d_beats_10d(small_root: Path, name: str) -> None:
    folder = small_root / name
    images = np.load(folder / "images.npy")
    baseline = _mse(images, images.mean(axis=0))
    mse = {d: _mse(np.load(folder / f"reconstructions-{d}d.npy"), images) for d in LATENT_SIZES}
    for d in LATENT_SIZES:
        assert mse[d] < baseline / 2, (d, mse[d], baseline)
    assert mse[16] <= mse[10]
    stamp = json.loads((folder / "demo.json").read_text())
    assert stamp["mse"]["16"] == pytest.approx(mse[16], rel=1e-4)


@pytest.mark.parametrize("name", list(DEMOS))
def test_latent_dims_all_vary(small_root: Path, name: str) -> None:
    for d in LATENT_SIZES:
        latent = np.load(small_root / name / f"latent-{d}d.npy")
        assert latent.std(axis=0).min() > 1e-3


@pytest.mark.parametrize("name", list(DEMOS))
def test_saved_decoder_reproduces_reconstructions(small_root: Path, name: str) -> None:
    folder = small_root / name
    for d in LATENT_SIZES:
        latent = np.load(folder / f"latent-{d}d.npy")
        recon = np.load(folder / f"reconstructions-{d}d.npy")
        np.testing.assert_allclose(decode(latent, folder / f"decoder-{d}d.npz"), recon, atol=1e-6)


def test_encode_decode_match_sklearn_forward_pass() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((60, 12)).astype(np.float32)
    model = train_autoencoder(x, 3, hidden=8, epochs=5, learning_rate=0.01, seed=0)
    out = decode(encode(model, x), decoder_arrays(model, (3, 4)))
    expected = np.clip(model.predict(x), 0, 1).reshape(60, 3, 4)
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_interrupt_inside_an_epoch_is_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self: object, x: np.ndarray, y: np.ndarray) -> None:
        warnings.warn("Training interrupted by user.", stacklevel=1)

    monkeypatch.setattr(autoencoder.MLPRegressor, "partial_fit", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train_autoencoder(np.zeros((4, 4)), 2, hidden=3, epochs=2, learning_rate=0.01, seed=0)


@pytest.mark.parametrize("name", list(DEMOS))
def test_builds_are_deterministic(small_root: Path, tmp_path: Path, name: str) -> None:
    again = build_demo(name, tmp_path, progress=False, **SMALL[name])
    for path in sorted((small_root / name).iterdir()):
        if path.suffix == ".npy":
            np.testing.assert_array_equal(np.load(path), np.load(again / path.name))
        elif path.suffix == ".csv":
            assert path.read_text() == (again / path.name).read_text()


def _sweep(index: int, low: float, high: float, size: int = 48) -> pd.DataFrame:
    """Scalars of shots that differ only in one parameter (others at mid-range)."""
    params = np.tile([1.0, 0.0, 0.0, 0.0, 1.0], (5, 1))
    params[:, index] = np.linspace(low, high, 5)
    images = implosion.simulate(params, size)
    table = implosion.scalars(params, images)
    col_profile = images.sum(axis=1)
    table["centroid_x"] = col_profile @ np.arange(size) / col_profile.sum(axis=1)
    table["image"] = list(images)
    return table


def test_simulator_responds_to_every_parameter() -> None:
    drive = _sweep(0, 0.5, 1.5)
    assert drive["hotspot_radius"].is_monotonic_decreasing
    assert drive["peak_brightness"].is_monotonic_increasing
    assert drive["yield"].is_monotonic_increasing
    p2 = _sweep(1, -0.3, 0.3)
    assert p2["asymmetry"].is_monotonic_increasing
    assert p2["asymmetry"].iloc[0] < -0.1 < 0.1 < p2["asymmetry"].iloc[-1]
    p4 = _sweep(2, -0.2, 0.2)
    square, diamond = p4["image"].iloc[0], p4["image"].iloc[-1]
    assert np.abs(square - diamond).mean() > 0.01
    # P4 is an even mode: it keeps the left-right and up-down mirror symmetry.
    assert np.allclose(square, np.fliplr(square), atol=0.1)
    assert np.allclose(diamond, np.flipud(diamond), atol=0.1)
    offset = _sweep(3, -0.15, 0.15)
    assert offset["centroid_x"].is_monotonic_increasing
    assert offset["centroid_x"].iloc[-1] - offset["centroid_x"].iloc[0] > 0.25 * 48
    temperature = _sweep(4, 0.5, 1.5)
    assert temperature["peak_brightness"].is_monotonic_increasing
    assert temperature["yield"].is_monotonic_increasing


def test_simulator_output_range_and_reproducibility() -> None:
    params = implosion.sample_params(50, seed=3)
    assert params.shape == (50, 5) and params.dtype == np.float32
    for i, key in enumerate(implosion.PARAM_NAMES):
        low, high = implosion.PARAM_RANGES[key]
        assert low <= params[:, i].min() and params[:, i].max() <= high
    images = implosion.simulate(params, 20, seed=1)
    assert images.shape == (50, 20, 20) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    np.testing.assert_array_equal(images, implosion.simulate(params, 20, seed=1))
    np.testing.assert_array_equal(params, implosion.sample_params(50, seed=3))


def test_override_builds_are_cached_but_not_taken_for_the_default(tmp_path: Path) -> None:
    folder = build_demo("digits", tmp_path, progress=False, **TINY["digits"])
    stamp_time = (folder / "demo.json").stat().st_mtime_ns
    assert not is_built("digits", tmp_path)
    assert build_demo("digits", tmp_path, progress=False, **TINY["digits"]) == folder
    assert (folder / "demo.json").stat().st_mtime_ns == stamp_time
    build_demo("digits", tmp_path, progress=False, force=True, **TINY["digits"])
    assert (folder / "demo.json").stat().st_mtime_ns != stamp_time


def _tiny_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the default builds tiny, so ensure_demos runs in a test."""
    for name, overrides in TINY.items():
        small = dataclasses.replace(DEMOS[name], defaults={**DEMOS[name].defaults, **overrides})
        monkeypatch.setitem(DEMOS, name, small)


def test_ensure_demos_builds_missing_then_skips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _tiny_defaults(monkeypatch)
    folders = ensure_demos(root=tmp_path)
    assert folders == [tmp_path / "digits", tmp_path / "implosion"]
    assert all(is_built(name, tmp_path) for name in DEMOS)
    assert "built digits, implosion in" in capsys.readouterr().err

    def fail(params: object) -> None:
        raise AssertionError("rebuilt a demo that was already built")

    for name in TINY:
        monkeypatch.setitem(DEMOS, name, dataclasses.replace(DEMOS[name], make=fail))
    assert ensure_demos(root=tmp_path, progress=False) == folders


def test_interrupted_build_leaves_nothing_that_looks_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tiny_defaults(monkeypatch)
    real_train = build.train_autoencoder
    calls = []

    def train_then_interrupt(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:  # after the first model's files are written
            raise KeyboardInterrupt
        return real_train(*args, **kwargs)

    monkeypatch.setattr(build, "train_autoencoder", train_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        build_demo("implosion", tmp_path, progress=False)
    assert not is_built("implosion", tmp_path)
    assert list(tmp_path.iterdir()) == []

    # A rebuild that is interrupted keeps the previous complete build.
    monkeypatch.setattr(build, "train_autoencoder", real_train)
    folder = build_demo("implosion", tmp_path, progress=False)
    stamp = (folder / "demo.json").read_text()
    calls.clear()
    monkeypatch.setattr(build, "train_autoencoder", train_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        build_demo("implosion", tmp_path, progress=False, force=True)
    assert is_built("implosion", tmp_path)
    assert (folder / "demo.json").read_text() == stamp
    assert [p.name for p in tmp_path.iterdir()] == ["implosion"]


def test_bad_names_and_overrides_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="known demos: digits, implosion"):
        build_demo("mnist", tmp_path)
    with pytest.raises(TypeError, match="epochs"):
        build_demo("digits", tmp_path, epochs=3)


def test_demo_root_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LATENT_DASH_DEMO_DIR", str(tmp_path))
    assert demo_root() == tmp_path
    monkeypatch.delenv("LATENT_DASH_DEMO_DIR")
    assert demo_root() == Path(build.__file__).resolve().parents[2] / "demo-data"
