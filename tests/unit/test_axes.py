"""Parcoords defaults for wide latents: which dims first, how many axes fit."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from latent_dash.compute import axes


def latent(n: int = 500, dims: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, dims))


def test_variance_order_puts_the_widest_dim_first_and_dead_ones_last():
    z = latent()
    z[:, 5] *= 10
    z[:, 2] *= 3
    z[:, 6] = 1.0  # a dead unit
    order = axes.rank_dims(z, "variance")
    assert order[:2].tolist() == [5, 2]
    assert order[-1] == 6
    assert sorted(order.tolist()) == list(range(8))


def test_relation_puts_the_dim_that_copies_a_numeric_target_first():
    z = latent()
    target = np.exp(z[:, 4])  # monotone in dim 4: Spearman 1, Pearson less
    z[:, 1] *= 20  # the widest dim, unrelated
    order = axes.rank_dims(z, "relation", target)
    assert order[0] == 4
    assert axes.dim_scores(z, "relation", target)[4] == pytest.approx(1.0)
    assert axes.rank_dims(z, "variance")[0] == 1


def test_relation_ignores_rows_without_a_target_value():
    z = latent()
    target = z[:, 3].copy()
    target[::3] = np.nan
    z[::3, 0] = 1e6 * np.arange(len(z))[::3]  # garbage exactly where the target is missing
    scores = axes.dim_scores(z, "relation", target)
    assert scores[3] == pytest.approx(1.0)
    assert axes.rank_dims(z, "relation", target)[0] == 3


def test_relation_to_a_categorical_target():
    z = latent(n=600)
    labels = np.array(["round", "oval", "flat"], dtype=object)[np.arange(600) % 3]
    z[:, 6] += np.where(labels == "round", 4.0, 0.0) + np.where(labels == "flat", -4.0, 0.0)
    labels[::50] = None  # missing labels are left out
    assert axes.rank_dims(z, "relation", labels)[0] == 6
    series = pd.Series(np.arange(600) // 3 % 2)  # integer labels: say they are categories
    z[:, 2] += 5.0 * (series.to_numpy() == 1)
    assert axes.rank_dims(z, "relation", series, categorical=True)[0] == 2


def test_an_undefined_relation_falls_back_on_variance():
    z = latent()
    z[:, 7] *= 5
    assert axes.rank_dims(z, "relation", np.ones(len(z)))[0] == 7  # constant target
    assert axes.rank_dims(z, "relation", np.full(len(z), "same"))[0] == 7  # one category
    assert axes.rank_dims(z, "relation", np.full(len(z), np.nan))[0] == 7  # no values


def test_bad_arguments_say_what_to_do():
    z = latent()
    with pytest.raises(ValueError, match="needs a target"):
        axes.rank_dims(z, "relation")
    with pytest.raises(ValueError, match="unknown order"):
        axes.rank_dims(z, "size")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="500 rows"):
        axes.rank_dims(z, "relation", np.zeros(3))


def test_wide_and_tall_latents_are_ranked_on_a_sample_quickly():
    z = latent(n=25_000, dims=200, seed=1).astype(np.float32)
    target = z[:, 123] * 2 + 1
    started = time.perf_counter()
    order = axes.rank_dims(z, "relation", target)
    assert time.perf_counter() - started < 8  # ~1 s; generous for a busy machine
    assert order[0] == 123
    assert np.array_equal(order, axes.rank_dims(z, "relation", target))  # seeded


@pytest.mark.parametrize(
    ("width", "expected"),
    [(400, 11), (39, 2), (0, 2), (None, 2), (float("nan"), 2), (-5, 2), (10_000, 60), (81, 3)],
)
def test_axes_that_fit(width, expected):
    assert axes.axes_that_fit(width) == expected


def test_axes_that_fit_follows_its_limits():
    assert axes.axes_that_fit(400, min_spacing_px=100) == 5
    assert axes.axes_that_fit(400, low=3, high=4) == 4
    with pytest.raises(ValueError):
        axes.axes_that_fit(400, low=5, high=4)
