"""Sampling the latent space: a density fitted to the samples, drawn from, compared with them."""

from __future__ import annotations

import numpy as np
import pytest

from latent_dash.compute import sampling


def two_blobs(n: int = 400, seed: int = 3) -> np.ndarray:
    """Half the samples around (-10, 0), half around (10, 0), unit spread."""
    rng = np.random.default_rng(seed)
    centres = np.where(np.arange(n)[:, None] < n // 2, [-10.0, 0.0], [10.0, 0.0])
    return (centres + rng.normal(size=(n, 2))).astype(np.float32)


def test_draws_land_near_the_blobs_and_never_between_them():
    latent = two_blobs()
    model = sampling.fit_density(latent)
    assert model.components >= 2  # one Gaussian would put its mass between the blobs
    points = sampling.draw(model, 500, seed=1)
    assert points.shape == (500, 2)
    assert np.all(np.abs(points[:, 0]) > 5)  # nothing in the gap
    assert np.all(np.abs(np.abs(points[:, 0]) - 10) < 5)  # and near a centre
    left = (points[:, 0] < 0).mean()
    assert 0.4 < left < 0.6  # both blobs, in proportion
    assert np.array_equal(points, sampling.draw(model, 500, seed=1))  # repeatable
    assert not np.array_equal(points, sampling.draw(model, 500, seed=2))


def test_density_of_some_rows_draws_only_near_those_rows():
    latent = two_blobs()
    right = np.arange(200, 400)
    points = sampling.draw(sampling.fit_density(latent, rows=right), 200, seed=0)
    assert np.all(points[:, 0] > 5)
    mask = np.zeros(400, dtype=bool)
    mask[right] = True
    from_mask = sampling.draw(sampling.fit_density(latent, rows=mask), 200, seed=0)
    np.testing.assert_allclose(from_mask, points)


def test_a_wide_latent_keeps_its_spread_and_constant_dims():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(600, 40)) * np.linspace(0.5, 3.0, 40)
    latent[:, 7] = 2.5  # a dead unit
    model = sampling.fit_density(latent, components=1)
    assert model.fitted_dims == sampling.MAX_FIT_DIMS and model.dims == 40
    points = sampling.draw(model, 4000, seed=0)
    assert np.all(points[:, 7] == 2.5)
    spread = np.delete(points.std(axis=0), 7)
    expected = np.delete(latent.std(axis=0), 7)
    np.testing.assert_allclose(spread, expected, rtol=0.1)


def test_too_few_rows_say_what_to_do():
    latent = two_blobs()
    with pytest.raises(ValueError, match="select at least 3 samples"):
        sampling.fit_density(latent, rows=[0, 1])
    with pytest.raises(ValueError, match="select at least 3 samples"):
        sampling.fit_density(latent, rows=[])
    wide = np.random.default_rng(0).normal(size=(50, 5))
    with pytest.raises(ValueError, match="select at least 6 samples"):
        sampling.fit_density(wide, rows=np.arange(5))
    with pytest.raises(ValueError, match="choose 1 to"):
        sampling.fit_density(latent, rows=np.arange(10), components=8)
    with pytest.raises(ValueError, match="at most"):
        sampling.draw(sampling.fit_density(latent), sampling.MAX_COUNT + 1)


def test_a_chosen_component_count_is_used():
    model = sampling.fit_density(two_blobs(), components=3, seed=0)
    assert model.components == 3 and model.bic == {}


def test_nearest_real_is_exact_on_tiny_data():
    latent = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [5.0, 5.0]])
    points = np.array([[0.9, 0.1], [4.0, 4.0], [0.0, 1.5]])
    index, distance = sampling.nearest_real(latent, points, k=2)
    assert index.tolist() == [[1, 0], [3, 2], [2, 0]]
    np.testing.assert_allclose(distance[:, 0], [np.hypot(0.1, 0.1), np.sqrt(2), 0.5])
    np.testing.assert_allclose(distance[:, 1], [np.hypot(0.9, 0.1), np.hypot(4, 2), 1.5])
    # among some rows only: positions stay positions in the whole latent
    index, distance = sampling.nearest_real(latent, points, rows=[0, 3])
    assert index[:, 0].tolist() == [0, 3, 0]
    _, manhattan = sampling.nearest_real(latent, points[:1], metric="manhattan")
    assert manhattan[0, 0] == pytest.approx(0.2)
    with pytest.raises(ValueError, match="unknown metric"):
        sampling.nearest_real(latent, points, metric="chebyshev-ish")


def test_novelty_of_a_copy_is_zero_and_of_a_far_point_large():
    latent = np.random.default_rng(1).normal(size=(300, 3))
    points = np.vstack([latent[17], latent[17] + 1e-12, [40.0, 40.0, 40.0]])
    nearest, distance, ratio = sampling.novelty(latent, points)
    assert distance[2] == pytest.approx(np.linalg.norm(points[2] - latent[nearest[2]]))
    assert nearest[0] == 17 and nearest[1] == 17
    assert ratio[0] == pytest.approx(0.0, abs=1e-9) and ratio[1] < 1e-6
    assert ratio[2] > 50


def test_novelty_scale_ignores_duplicates():
    base = np.random.default_rng(2).normal(size=(100, 2))
    doubled = np.vstack([base, base])  # every sample twice: nearest other copy is at 0
    assert sampling.nn_scale(doubled) == pytest.approx(sampling.nn_scale(base), rel=0.3)
    assert sampling.nn_scale(doubled) > 0
    assert np.isnan(sampling.nn_scale(np.zeros((10, 2))))


def test_sample_latent_puts_it_together():
    latent = two_blobs()
    samples = sampling.sample_latent(latent, count=50, seed=4)
    assert samples.points.shape == (50, 2)
    index, distance = sampling.nearest_real(latent, samples.points)
    assert np.array_equal(samples.nearest, index[:, 0])
    np.testing.assert_allclose(samples.distance, distance[:, 0])
    assert np.median(samples.novelty) < 3  # drawn where the data are: as close as they are


def test_cached_sample_latent_is_computed_once(monkeypatch, tmp_path):
    monkeypatch.setenv("LATENT_DASH_CACHE_DIR", str(tmp_path))
    latent = two_blobs()
    key, first = sampling.cached_sample_latent(latent, rows=np.arange(200), count=20, seed=1)
    monkeypatch.setattr(sampling, "sample_latent", lambda *a, **k: pytest.fail("recomputed"))
    again_key, again = sampling.cached_sample_latent(latent, np.arange(200), 20, 1)
    assert again_key == key
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert again.nearest.dtype == np.int64 and np.all(again.nearest < 200)
