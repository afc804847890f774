"""The contrast view's computations on constructed groups with known differences."""

from __future__ import annotations

import numpy as np
import pytest

from latent_dash.compute import cache
from latent_dash.compute import contrast as ct

N = 600
D = 6


@pytest.fixture(scope="module")
def groups():
    """Two Gaussian groups of 300 that differ only in dim 3 (by 2 SD)."""
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(N, D)).astype(np.float32)
    a = np.zeros(N, dtype=bool)
    a[rng.choice(N, N // 2, replace=False)] = True
    latent[a, 3] += 2.0
    latent.flags.writeable = False
    return latent, a


def test_the_dim_that_differs_ranks_first_with_the_right_size_and_sign(groups):
    latent, a = groups
    sep = ct.dim_separation(latent, a, ~a)
    assert sep.order[0] == 3
    assert sep.smd[3] == pytest.approx(2.0, abs=0.25)
    others = np.delete(np.arange(D), 3)
    assert np.abs(sep.smd[others]).max() < 0.25
    assert sep.ks[3] > 0.5 and sep.p[3] < 1e-20
    assert sep.ks[others].max() < 0.15 and sep.p[others].min() > 1e-3
    assert (sep.n_a, sep.n_b) == (N // 2, N // 2)
    # swapping the groups flips the sign, not the ranking
    swapped = ct.dim_separation(latent, ~a, a)
    np.testing.assert_allclose(swapped.smd, -sep.smd)
    assert swapped.order[0] == 3


def test_cohens_d_matches_a_hand_computation():
    x = np.array([[1.0], [2.0], [3.0], [6.0], [8.0]])
    a = np.array([True, True, True, False, False])
    pooled = np.sqrt((2 * np.var([1, 2, 3], ddof=1) + 1 * np.var([6, 8], ddof=1)) / 3)
    sep = ct.dim_separation(x, a, ~a)
    assert sep.smd[0] == pytest.approx((2.0 - 7.0) / pooled)
    assert sep.ks[0] == pytest.approx(1.0)


def test_a_classifier_tells_the_groups_apart_well_above_chance(groups):
    latent, a = groups
    result = ct.separability(latent, a, ~a)
    assert result.defined and result.reason == ""
    # a 2-SD shift in one dim: the best possible balanced accuracy is Phi(1) = 0.84
    assert 0.75 < result.balanced_accuracy < 0.92
    assert result.accuracy > 0.75 and result.chance == pytest.approx(0.5)
    assert 0 < result.balanced_sd < 0.1
    assert (result.n_a, result.n_b, result.n_both, result.capped) == (300, 300, 0, False)
    # seeded: the same numbers twice
    assert ct.separability(latent, a, ~a) == result


def test_identical_groups_score_near_chance():
    rng = np.random.default_rng(1)
    latent = rng.normal(size=(N, D))
    a = rng.random(N) < 0.5
    result = ct.separability(latent, a, ~a)
    assert abs(result.balanced_accuracy - 0.5) < 0.1


def test_a_small_selection_against_the_rest_is_judged_by_balanced_accuracy(groups):
    latent, _ = groups
    a = np.zeros(N, dtype=bool)
    a[:30] = True  # 5%: always answering "the rest" would score 95% plain accuracy
    result = ct.separability(latent, a, ~a)
    assert result.chance == pytest.approx(0.95)
    assert abs(result.balanced_accuracy - 0.5) < 0.15


def test_a_small_selection_that_differs_is_found_despite_the_imbalance():
    rng = np.random.default_rng(6)
    latent = rng.normal(size=(N, D))
    a = np.zeros(N, dtype=bool)
    a[:40] = True
    latent[a, 2] += 1.5  # the best balanced accuracy is Phi(0.75) = 0.77
    result = ct.separability(latent, a, ~a)
    # an unweighted classifier would answer "the rest" nearly always (balanced accuracy ~0.55)
    assert result.balanced_accuracy > 0.65
    assert result.chance == pytest.approx(560 / 600)


def test_rows_in_both_groups_are_dropped_by_the_classifier_only(groups):
    latent, a = groups
    b = ~a
    b[np.flatnonzero(a)[:50]] = True  # 50 rows of a are also in b
    result = ct.separability(latent, a, b)
    assert (result.n_a, result.n_b, result.n_both) == (250, 300, 50)
    assert ct.dim_separation(latent, a, b).n_b == 350
    # the same group twice: nothing left to tell apart
    same = ct.separability(latent, a, a)
    assert not same.defined and "both groups" in same.reason


def test_the_row_cap_uses_a_stratified_seeded_sample(groups):
    latent, a = groups
    result = ct.separability(latent, a, ~a, max_rows=200)
    # each group keeps at least MIN_GROUP_ROWS (1,000) rows: here all of them
    assert not result.capped and result.n_a + result.n_b == 600
    big = np.repeat(np.asarray(latent), 40, axis=0)  # 24,000 rows
    big_a = np.repeat(a, 40)
    capped = ct.separability(big, big_a, ~big_a)
    assert capped.capped and capped.n_a + capped.n_b == ct.MAX_ROWS
    assert 0.75 < capped.balanced_accuracy < 0.92


@pytest.mark.parametrize("count", [0, 1, 4])
def test_too_small_groups_are_undefined_not_errors(groups, count):
    latent, _ = groups
    a = np.zeros(N, dtype=bool)
    a[:count] = True
    result = ct.separability(latent, a, ~a)
    assert not result.defined and np.isnan(result.accuracy) and np.isnan(result.chance)
    assert f"group a has {count} rows" in result.reason
    sep = ct.dim_separation(latent, a, ~a)
    assert np.isnan(sep.smd).all() == (count < 2)
    assert np.isnan(sep.ks).all() == (count == 0)
    assert sorted(sep.order) == list(range(D))


def test_a_constant_dim_has_undefined_d_and_ranks_last():
    rng = np.random.default_rng(2)
    latent = np.column_stack([np.ones(N), rng.normal(size=N)])
    a = rng.random(N) < 0.5
    sep = ct.dim_separation(latent, a, ~a)
    assert np.isnan(sep.smd[0]) and np.isfinite(sep.smd[1])
    assert list(sep.order) == [1, 0]


def test_group_images_are_exact_on_tiny_arrays():
    rng = np.random.default_rng(3)
    images = rng.uniform(0, 255, size=(7, 3, 2, 3)).astype(np.uint8)
    a = np.array([1, 0, 1, 1, 0, 0, 1], dtype=bool)
    b = ~a
    b[0] = True  # a row in both groups counts in both
    result = ct.group_images(images, a, b, chunk=2)  # several chunks per group
    x = images.astype(np.float64)
    np.testing.assert_allclose(result.mean_a, x[a].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(result.var_a, x[a].var(axis=0), rtol=1e-5)
    np.testing.assert_allclose(result.mean_b, x[b].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(result.var_b, x[b].var(axis=0), rtol=1e-5)
    np.testing.assert_allclose(result.diff, x[a].mean(axis=0) - x[b].mean(axis=0), rtol=1e-5)
    assert result.diff.dtype == np.float32 and result.diff.shape == (3, 2, 3)
    assert (result.n_a, result.n_b) == (4, 4)


def test_group_images_from_a_row_function_and_flat_images():
    images = np.arange(5 * 4, dtype=np.float32).reshape(5, 4)  # flat 2 x 2 images
    calls = []

    def read(rows):
        calls.append(list(rows))
        return images[rows]

    a = np.array([True, True, False, False, False])
    result = ct.group_images(read, a, ~a, image_shape=(2, 2), chunk=2)
    np.testing.assert_array_equal(result.mean_a, [[2, 3], [4, 5]])
    np.testing.assert_array_equal(result.mean_b, [[12, 13], [14, 15]])
    np.testing.assert_array_equal(result.var_a, np.full((2, 2), 4.0))
    np.testing.assert_array_equal(result.diff, np.full((2, 2), -10.0))
    assert calls == [[0, 1], [2, 3], [4]]  # never more than `chunk` images at once


def test_group_images_of_an_empty_group_are_nan():
    images = np.ones((4, 2, 2))
    result = ct.group_images(images, np.zeros(4, dtype=bool), np.ones(4, dtype=bool))
    assert np.isnan(result.mean_a).all() and np.isnan(result.diff).all()
    np.testing.assert_array_equal(result.mean_b, np.ones((2, 2)))
    assert result.mean_a.shape == (2, 2) and result.n_a == 0


def test_histograms_share_edges_and_count_every_finite_value():
    rng = np.random.default_rng(4)
    values = rng.normal(size=(N, 3))
    values[::7, 1] = np.nan
    values[:, 2] = np.nan  # nothing to count
    a = rng.random(N) < 0.3
    h = ct.histograms(values, a, ~a, bins=12, names=["x", "y", "z"])
    assert h.edges.shape == (3, 13) and h.counts_a.shape == (3, 12)
    assert h.counts_a[0].sum() == a.sum() and h.counts_b[0].sum() == (~a).sum()
    finite = np.isfinite(values[:, 1])
    assert h.counts_a[1].sum() == (a & finite).sum() == h.n_a[1]
    assert h.counts_b[1].sum() == (~a & finite).sum() == h.n_b[1]
    assert h.edges[0, 0] == values[:, 0].min() and h.edges[0, -1] == values[:, 0].max()
    assert np.isnan(h.edges[2]).all() and h.counts_a[2].sum() == 0 and h.n_a[2] == 0
    widths = np.diff(h.edges[0])
    assert (h.density("a")[0] * widths).sum() == pytest.approx(1.0)
    assert h.names == ["x", "y", "z"]


def test_contrast_is_cached_by_latent_and_masks(groups, monkeypatch):
    latent, a = groups
    key, first = ct.cached_contrast(latent, a, ~a)
    calls = []
    monkeypatch.setattr(ct, "contrast", lambda *args, **kw: calls.append(args) or first)
    key2, again = ct.cached_contrast(latent, a, ~a)
    assert key2 == key and calls == []
    assert cache.load(key) is not None
    assert again.separability == first.separability
    np.testing.assert_array_equal(again.separation.smd, first.separation.smd)
    np.testing.assert_array_equal(again.separation.order, first.separation.order)
    assert again.separation.order[0] == 3
    b = ~a
    b[0] = not b[0]
    other_keys = {
        ct.cached_contrast(latent, a, b)[0],
        ct.cached_contrast(latent, ~a, a)[0],
        ct.cached_contrast(latent, a, ~a, folds=3)[0],
        ct.cached_contrast(latent, a, ~a, seed=1)[0],
    }
    assert key not in other_keys and len(other_keys) == 4 and len(calls) == 4


def test_an_undefined_cached_result_keeps_its_reason(groups):
    latent, _ = groups
    a = np.zeros(N, dtype=bool)
    a[:2] = True
    for _ in range(2):  # computed, then from the cache
        _, result = ct.cached_contrast(latent, a, ~a)
        assert not result.separability.defined
        assert "group a has 2 rows" in result.separability.reason
