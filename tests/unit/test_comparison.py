"""Comparison of two latent spaces (compute.comparison) on constructed cases with known answers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.manifold import trustworthiness

from latent_dash.compute import comparison as cmp
from latent_dash.compute.correlation import encoding_r2

N = 600


@pytest.fixture(scope="module")
def space():
    return np.random.default_rng(0).normal(size=(N, 6))


def rotation(d: int, seed: int = 1) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q


def test_knn_sets_are_the_nearest_others_nearest_first(space):
    sets = cmp.knn_sets(space, 5)
    assert sets.shape == (N, 5) and sets.dtype == np.int32
    d = np.linalg.norm(space[:, None] - space[None], axis=2)
    np.fill_diagonal(d, np.inf)
    np.testing.assert_array_equal(sets, np.argsort(d, axis=1)[:, :5])


def test_identical_spaces_agree_perfectly(space):
    assert (cmp.knn_overlap(space, space, 10) == 1.0).all()
    t, c = cmp.trustworthiness_continuity(space, space, (5, 10, 20), anchors=None)
    np.testing.assert_array_equal(t, 1.0)
    np.testing.assert_array_equal(c, 1.0)


def test_shuffled_rows_are_at_chance_level(space):
    shuffled = space[np.random.default_rng(2).permutation(N)]
    k = 10
    overlap = cmp.knn_overlap(space, shuffled, k)
    assert overlap.mean() < 3 * k / N
    t, c = cmp.trustworthiness_continuity(space, shuffled, (5, 10), anchors=None)
    np.testing.assert_allclose(t, 0.5, atol=0.03)
    np.testing.assert_allclose(c, 0.5, atol=0.03)


def test_a_rotation_keeps_neighbours_and_is_fully_canonically_correlated(space):
    turned = space @ rotation(space.shape[1])
    assert (cmp.knn_overlap(space, turned, 10) == 1.0).all()
    t, c = cmp.trustworthiness_continuity(space, turned, (5, 10, 50), anchors=None)
    np.testing.assert_allclose(t, 1.0, atol=1e-12)
    np.testing.assert_allclose(c, 1.0, atol=1e-12)
    correlations, matching = cmp.cca(space, turned)
    assert correlations.shape == (6,)
    np.testing.assert_allclose(correlations, 1.0, atol=1e-6)
    assert matching.shape == (6, 6)


def test_extra_independent_dims_with_small_noise_keep_neighbours(space):
    rng = np.random.default_rng(3)
    wider = np.hstack([space, 0.05 * rng.normal(size=(N, 4))])
    assert cmp.knn_overlap(space, wider, 10).mean() > 0.8
    correlations, matching = cmp.cca(space, wider)
    assert correlations.shape == (6,) and matching.shape == (6, 10)
    np.testing.assert_allclose(correlations, 1.0, atol=1e-2)


def test_cca_of_independent_gaussians_is_near_zero():
    rng = np.random.default_rng(4)
    correlations, matching = cmp.cca(rng.normal(size=(5000, 4)), rng.normal(size=(5000, 5)))
    assert correlations.shape == (4,)
    assert (np.diff(correlations) <= 0).all()  # descending
    assert correlations.max() < 0.1
    assert np.abs(matching).max() < 0.1


def test_cca_matching_maps_each_dim_to_its_counterpart(space):
    """B = A with dims permuted, one sign flipped and rescaled: the matching is that signed
    permutation (the cross-correlation), also when B has a constant extra dim."""
    order = np.array([2, 0, 1, 5, 3, 4])
    other = space[:, order] * np.array([1, -1, 3, 1, 0.5, 1])
    other = np.hstack([other, np.ones((N, 1))])
    correlations, matching = cmp.cca(space, other)
    expected = np.zeros((6, 7))
    expected[order, np.arange(6)] = [1, -1, 1, 1, 1, 1]
    empirical = np.corrcoef(space.T, other[:, :6].T)[:6, 6:]
    np.testing.assert_allclose(matching[:, :6], empirical, atol=1e-6)
    np.testing.assert_allclose(matching, expected, atol=0.15)
    np.testing.assert_allclose(correlations, 1.0, atol=1e-6)
    # the strongest pair only: a rank-one part of the cross-correlation
    _, one = cmp.cca(space, other, n_components=1)
    assert np.linalg.matrix_rank(one, tol=1e-6) == 1


@pytest.mark.parametrize("k", [3, 10, 40])
def test_trustworthiness_matches_scikit_learn_on_all_anchors(k):
    rng = np.random.default_rng(5)
    reference = rng.normal(size=(250, 5))
    embedded = reference[:, :2] + 0.3 * rng.normal(size=(250, 2))
    t, c = cmp.trustworthiness_continuity(reference, embedded, [k], anchors=None)
    assert t[0] == pytest.approx(trustworthiness(reference, embedded, n_neighbors=k), abs=1e-3)
    assert c[0] == pytest.approx(trustworthiness(embedded, reference, n_neighbors=k), abs=1e-3)


def test_anchor_subset_estimates_the_full_value_and_is_seeded():
    rng = np.random.default_rng(6)
    reference = rng.normal(size=(1000, 5))
    embedded = reference[:, :3]
    full = cmp.trustworthiness_continuity(reference, embedded, (5, 20), anchors=None)
    some = cmp.trustworthiness_continuity(reference, embedded, (5, 20), anchors=300, seed=1)
    np.testing.assert_allclose(some, full, atol=0.02)
    again = cmp.trustworthiness_continuity(reference, embedded, (5, 20), anchors=300, seed=1)
    np.testing.assert_array_equal(some, again)
    with pytest.raises(ValueError):
        cmp.trustworthiness_continuity(reference, embedded, (500,), anchors=None)


def test_compare_models_summary_is_plain_json_with_every_piece():
    rng = np.random.default_rng(7)
    params = rng.uniform(size=(400, 3))
    params[:, 2] = 1.0  # constant: R^2 undefined -> None
    a = np.column_stack([params[:, :2] @ rng.normal(size=(2, 2)), rng.normal(size=(400, 2))])
    b = np.column_stack([a, 0.05 * rng.normal(size=(400, 3))])
    summary = cmp.compare_models(a, b, params, k=5, ks=(5, 10), anchors=150)
    json.dumps(summary, allow_nan=False)
    assert summary["dims"] == [4, 7] and summary["ks"] == [5, 10] and summary["n"] == 400
    assert summary["knn_overlap"]["mean"] > 0.5
    assert set(summary["trust"]) == {"a_vs_b", "a_vs_params", "b_vs_params"}
    assert len(summary["trust"]["a_vs_params"]["continuity"]) == 2
    assert len(summary["cca"]["correlations"]) == 4
    assert np.array(summary["cca"]["matching"]).shape == (4, 7)
    expected = encoding_r2(a, params)[:, 0]
    assert summary["r2"]["a"][:2] == pytest.approx(expected[:2])
    assert summary["r2"]["a"][0] > 0.99 and summary["r2"]["a"][2] is None
    plain = cmp.compare_models(a, b, k=5, ks=(5,), anchors=None)
    assert plain["r2"] is None and list(plain["trust"]) == ["a_vs_b"]


def test_cached_comparison_equals_the_direct_one():
    rng = np.random.default_rng(8)
    a, b, params = rng.normal(size=(300, 3)), rng.normal(size=(300, 4)), rng.normal(size=(300, 2))
    direct = cmp.compare_models(a, b, params, k=5, ks=(5,), anchors=100)
    assert cmp.cached_comparison(a, b, params, k=5, ks=(5,), anchors=100) == direct
    assert cmp.cached_comparison(a, b, params, k=5, ks=(5,), anchors=100) == direct  # stored


def test_rows_missing_a_parameter_leave_only_the_parameter_curves():
    rng = np.random.default_rng(9)
    a, b, params = rng.normal(size=(300, 3)), rng.normal(size=(300, 4)), rng.normal(size=(300, 2))
    holes = params.copy()
    holes[:30, 1] = np.nan
    full = cmp.compare_models(a, b, params, k=5, ks=(5, 10), anchors=None)
    partial = cmp.compare_models(a, b, holes, k=5, ks=(5, 10), anchors=None)
    assert list(full["trust"]) == list(partial["trust"]) == ["a_vs_b", "a_vs_params", "b_vs_params"]
    assert partial["trust"]["a_vs_b"] == full["trust"]["a_vs_b"]  # over all rows either way
    assert partial["param_rows"] == 270 and full["param_rows"] == 300
    expected = cmp.trustworthiness_continuity(
        (params[30:] - params[30:].mean(0)) / params[30:].std(0), a[30:], (5, 10), anchors=None
    )
    np.testing.assert_allclose(partial["trust"]["a_vs_params"]["trustworthiness"], expected[0])
    np.testing.assert_allclose(partial["trust"]["a_vs_params"]["continuity"], expected[1])
    json.dumps(partial, allow_nan=False)


# ------------------------------------------------- the comparison page's table: interpretability


def test_summary_table_has_disentanglement_rows_with_the_copy_model_in_bold():
    """Model A copies each parameter into its own dim, model B is a rotation of A: the table
    shows MIG, DCI disentanglement and completeness of each, A's in bold; a per-model output
    (a reconstruction error) is not a factor."""
    import pandas as pd
    from dash import html
    from scipy.stats import special_ortho_group

    from latent_dash.config import ComparisonOptions
    from latent_dash.data import Dataset
    from latent_dash.views import comparison as view

    rng = np.random.default_rng(0)
    n = 600
    params = rng.uniform(size=(n, 3)).astype(np.float32)
    copy = np.column_stack([params, rng.normal(size=n)]) + 0.005 * rng.normal(size=(n, 4))
    rotated = (copy - copy.mean(axis=0)) @ special_ortho_group.rvs(4, random_state=1)
    label = rng.integers(0, 3, n)
    models = [
        Dataset(
            name, latent.astype(np.float32), ["z0", "z1", "z2", "z3"], params, ["a", "b", "c"],
            pd.DataFrame({"label": label, "recon_error": rng.random(n)}),
        )
        for name, latent in (("copy", copy), ("rotated", rotated))
    ]  # fmt: skip
    assert view.shared_targets(*models) == ["a", "b", "c", "label"]
    errors = tuple(np.asarray(m.column("recon_error"), dtype=float) for m in models)
    options = ComparisonOptions(k=10, ks=[5, 10])
    assert view.disentanglement_scores(*models, stored_only=True) is None  # not computed yet
    result = view.compare(*models, ("A: copy", "B: rotated"), options, errors, "recon_error")
    assert not any("MIG" in label for label, *_ in result["rows"])  # the page's job adds them
    meaning = view.disentanglement_values(view.disentanglement_scores(*models))
    json.dumps(meaning)  # the job's result: plain JSON
    result = view.compare(
        *models, ("A: copy", "B: rotated"), options, errors, "recon_error", meaning
    )
    rows = {label: values for label, values, _ in result["rows"]}
    labels = [label for label, *_ in view.DISENTANGLEMENT_ROWS]
    assert labels == ["MIG (mutual information gap)", "DCI disentanglement", "DCI completeness"]
    for label in labels:
        good, bad = rows[label]
        assert good > bad + 0.3, label
    assert rows[labels[0]][0] > 0.5  # near 1 on the three parameters; the label is noise
    table = view.summary_table(result["rows"], ("A: copy", "B: rotated"))
    body = table.children[0].children[1].children
    for tr in body:
        label, *cells = tr.children
        if label.children in labels:
            assert [c.className for c in cells] == ["fw-bold", None], label.children
            assert (
                isinstance(cells[0], html.Td)
                and cells[0].children == f"{rows[label.children][0]:.4g}"
            )
    assert sum(tr.children[0].children in labels for tr in body) == 3
    # stored: the page's next visit (or one after `latent-dash precompute`) has them at once
    again = view.disentanglement_scores(*models, stored_only=True)
    assert again is not None and again[0].mig.score == pytest.approx(rows[labels[0]][0])
