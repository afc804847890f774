"""The peak-shape slab (compute.peakshape) on constructed data with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from latent_dash.compute.peakshape import line_distances, slab


@pytest.fixture(scope="module")
def planted():
    """400 random samples in 5-D, plus 40 planted on the line through sample 0 along dim 2."""
    rng = np.random.default_rng(0)
    cloud = rng.normal(size=(400, 5))
    line = np.repeat(cloud[:1], 40, axis=0)
    line[:, 2] = np.linspace(-3, 3, 40)
    latent = np.vstack([cloud, line]).astype(np.float32)
    return latent, np.arange(400, 440)


def test_planted_line_is_inside_a_thin_slab(planted):
    latent, line = planted
    thin = slab(latent, 0, 2, width=41 / len(latent))  # the focus + its 40 line mates
    assert set(line.tolist()) | {0} == set(thin.rows.tolist())
    assert thin.radius == pytest.approx(0.0, abs=1e-6)
    assert (np.diff(thin.rows) > 0).all()
    # along another dim, a planted sample's distance is its offset along dim 2 (in SDs)
    x = latent.astype(np.float64)
    expected = np.abs(x[line, 2] - x[0, 2]) / x[:, 2].std()
    np.testing.assert_allclose(line_distances(latent, 0, 1)[line], expected, rtol=1e-9)


def test_distances_are_those_in_the_other_dims(planted):
    latent, _ = planted
    x = latent.astype(np.float64)
    others = [0, 1, 3, 4]
    raw = np.linalg.norm(x[:, others] - x[7, others], axis=1)
    np.testing.assert_allclose(line_distances(latent, 7, 2, standardise=False), raw, rtol=1e-12)
    scaled = (x[:, others] - x[7, others]) / x[:, others].std(axis=0)
    np.testing.assert_allclose(
        line_distances(latent, 7, 2), np.linalg.norm(scaled, axis=1), rtol=1e-12
    )
    rows = np.array([5, 1, 300])
    np.testing.assert_allclose(line_distances(latent, 7, 2, False, rows), raw[rows], rtol=1e-12)


def test_standardising_stops_a_wide_dim_from_dominating():
    rng = np.random.default_rng(1)
    latent = rng.normal(size=(500, 3)) * np.array([1.0, 1.0, 100.0])
    raw = line_distances(latent, 0, 0, standardise=False)
    scaled = line_distances(latent, 0, 0, standardise=True)
    wide = np.abs(latent[:, 2] - latent[0, 2])
    assert np.corrcoef(raw, wide)[0, 1] > 0.99
    assert np.corrcoef(scaled, wide)[0, 1] < 0.9


@pytest.mark.parametrize("width", [0.01, 0.1, 0.5, 1.0])
def test_width_is_the_fraction_kept_nearest_first(planted, width):
    latent, _ = planted
    n = len(latent)
    result = slab(latent, 3, 1, width, standardise=False)
    assert len(result.rows) == max(1, math.ceil(width * n))
    d = line_distances(latent, 3, 1, standardise=False)
    assert 3 in result.rows
    np.testing.assert_allclose(result.distances, d[result.rows])
    assert result.radius == pytest.approx(result.distances.max())
    outside = np.setdiff1d(np.arange(n), result.rows)
    if len(outside):
        assert d[outside].min() >= result.radius


def test_candidate_rows_and_bad_arguments(planted):
    latent, _ = planted
    rows = np.arange(100, 200)
    result = slab(latent, 0, 2, 0.2, rows=rows)
    assert len(result.rows) == 20 and set(result.rows.tolist()) <= set(rows.tolist())
    with pytest.raises(ValueError):
        slab(latent, 0, 2, 0.0)
    with pytest.raises(IndexError):
        slab(latent, 0, 5, 0.5)
    with pytest.raises(IndexError):
        slab(latent, len(latent), 0, 0.5)
