"""The correlation view's computations on constructed data with known answers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from latent_dash.compute import cache
from latent_dash.compute import correlation as corr
from latent_dash.kinds import options_model
from latent_dash.page import Panel

N = 600


@pytest.fixture(scope="module")
def data():
    """Latent z0 = 2 drive + 1, z1 = exp(3 drive) (monotone, not linear), z2 noise, z3 = -p2."""
    rng = np.random.default_rng(0)
    drive = rng.uniform(size=N)
    p2 = rng.uniform(size=N)
    latent = np.column_stack([2 * drive + 1, np.exp(3 * drive), rng.normal(size=N), -p2]).astype(
        np.float32
    )
    latent.flags.writeable = False
    targets = np.column_stack([drive, p2, rng.normal(size=N)])  # the last: independent noise
    return latent, targets


def test_pearson_of_an_exact_linear_relation_is_one_and_of_noise_near_zero(data):
    latent, targets = data
    r = corr.association(latent, targets, "pearson")
    assert r.shape == (4, 3)
    assert r[0, 0] == pytest.approx(1.0, abs=1e-6)
    assert r[3, 1] == pytest.approx(-1.0, abs=1e-6)
    assert abs(r[2, 0]) < 0.1 and abs(r[0, 2]) < 0.1 and abs(r[2, 2]) < 0.1
    assert r[1, 0] < 0.98  # exp is monotone but not linear


def test_spearman_of_a_monotone_relation_is_one_while_pearson_is_less(data):
    latent, targets = data
    rho = corr.association(latent, targets, "spearman")
    r = corr.association(latent, targets, "pearson")
    assert rho[1, 0] == pytest.approx(1.0, abs=1e-9)
    assert r[1, 0] < 0.98
    assert abs(rho[2, 0]) < 0.1


def test_mutual_information_of_dependent_exceeds_independent(data):
    latent, targets = data
    mi = corr.association(latent, targets, "mi")
    assert (mi >= 0).all()
    assert mi[0, 0] > 1.0 and mi[1, 0] > 1.0  # deterministic relations: large MI
    assert mi[2, 0] < 0.05 and mi[0, 2] < 0.05
    assert mi[0, 0] > 10 * max(mi[2, 0], 0.01)
    # seeded: the same answer twice
    np.testing.assert_array_equal(mi, corr.association(latent, targets, "mi"))


def test_mutual_information_uses_a_seeded_sample_above_the_cap(data):
    latent, targets = data
    capped = corr.association(latent, targets, "mi", mi_max_rows=200)
    keep = corr.mi_sample(N, 200, seed=0)
    assert len(keep) == 200 and np.all(np.diff(keep) > 0)
    direct = corr.association(latent[keep], targets[keep], "mi")
    np.testing.assert_allclose(capped, direct)


def test_subset_uses_only_the_rows_given():
    rng = np.random.default_rng(1)
    n = 400
    target = rng.uniform(size=n)
    z = rng.normal(size=n)
    rows = np.arange(0, n, 2)
    z[rows] = 3 * target[rows] - 2  # exactly linear on the even rows, noise on the others
    latent = np.column_stack([z, rng.normal(size=n)]).astype(np.float32)
    every = corr.association(latent, target[:, None], "pearson")
    subset = corr.association(latent, target[:, None], "pearson", rows=rows)
    assert every[0, 0] < 0.95
    assert subset[0, 0] == pytest.approx(1.0, abs=1e-6)
    odd = np.arange(1, n, 2)
    np.testing.assert_allclose(
        corr.association(latent, target[:, None], "spearman", rows=odd),
        corr.association(latent[odd], target[odd, None], "spearman"),
    )
    r2 = corr.encoding_r2(latent, target[:, None], rows=rows)
    assert r2[0, 0] > 0.99 > corr.encoding_r2(latent, target[:, None])[0, 0]


def test_r2_of_a_linear_target_is_one_and_of_noise_about_zero():
    rng = np.random.default_rng(2)
    latent = rng.normal(size=(800, 6)).astype(np.float32)
    linear = latent.astype(np.float64) @ rng.normal(size=6) + 5.0
    targets = np.column_stack([linear, rng.normal(size=800), 2 * latent[:, 0] + 1])
    r2 = corr.encoding_r2(latent, targets)
    assert r2.shape == (3, 2)
    assert r2[0, 0] > 0.99 and r2[2, 0] > 0.99
    assert r2[1, 0] <= 0.05
    assert (r2[:, 1] >= 0).all() and r2[0, 1] < 0.01  # std over the folds


def test_ridge_matches_scikit_learn_ridgecv():
    from sklearn.linear_model import RidgeCV
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(3)
    x = rng.normal(size=(80, 10)) * rng.uniform(0.1, 5, 10)
    y = np.column_stack([x @ rng.normal(size=10) + 3 * rng.normal(size=80), rng.normal(size=80)])
    mean, std, coef = corr._ridge(x, y)
    ours = ((x - mean) / std) @ coef + y.mean(axis=0)
    scaled = StandardScaler().fit_transform(x)
    theirs = RidgeCV(alphas=corr.RIDGE_ALPHAS, alpha_per_target=True).fit(scaled, y)
    np.testing.assert_allclose(ours, theirs.predict(scaled), atol=1e-9)


def test_missing_values_and_constant_columns_give_nan_not_errors():
    rng = np.random.default_rng(4)
    latent = rng.normal(size=(200, 3)).astype(np.float32)
    with_gaps = 2 * latent[:, 0].astype(np.float64) + 1
    with_gaps[::7] = np.nan
    targets = np.column_stack([with_gaps, np.full(200, 3.0)])
    for measure in corr.MEASURES:
        values = corr.association(latent, targets, measure)
        assert np.isnan(values[:, 1]).all()
        assert values[0, 0] > 0.99 if measure != "mi" else values[0, 0] > 1.0
    r2 = corr.encoding_r2(latent, targets)
    assert r2[0, 0] > 0.99 and np.isnan(r2[1]).all()
    # too few rows: undefined rather than a misleading number
    assert np.isnan(corr.association(latent, targets, "pearson", rows=[0, 1, 2])).all()
    assert np.isnan(corr.encoding_r2(latent, targets, rows=np.arange(5))).all()


def test_results_are_cached_and_keyed_by_measure_rows_and_targets(data, monkeypatch):
    latent, targets = data
    key, first = corr.cached_association(latent, targets, "spearman")
    calls = []
    monkeypatch.setattr(corr, "association", lambda *a, **k: calls.append(a) or first)
    key2, again = corr.cached_association(latent, targets, "spearman")
    assert key2 == key and calls == []
    np.testing.assert_array_equal(again, first)
    assert cache.load(key) is not None
    other_keys = {
        corr.cached_association(latent, targets, "pearson")[0],
        corr.cached_association(latent, targets, "spearman", rows=np.arange(100))[0],
        corr.cached_association(latent, targets[:, :2], "spearman")[0],
    }
    assert key not in other_keys and len(other_keys) == 3 and len(calls) == 3

    r2_key, r2 = corr.cached_encoding_r2(latent, targets)
    monkeypatch.setattr(corr, "encoding_r2", lambda *a, **k: calls.append(a) or r2)
    assert corr.cached_encoding_r2(latent, targets)[0] == r2_key
    assert len(calls) == 3


def test_unknown_measure_is_refused(data):
    latent, targets = data
    with pytest.raises(ValueError, match="pearson"):
        corr.association(latent, targets, "kendall")


# ---------------------------------------------------------------- the view's figures (no browser)


def _dataset(with_targets: bool = True):
    import pandas as pd

    from latent_dash.data import Dataset

    rng = np.random.default_rng(5)
    latent = rng.normal(size=(50, 3)).astype(np.float32)
    if not with_targets:
        meta = pd.DataFrame({"kind": rng.choice(["a", "b"], 50)})
        return Dataset("bare", latent, ["z0", "z1", "z2"], metadata=meta)
    params = np.column_stack([2 * latent[:, 0] + 1, rng.uniform(size=50)]).astype(np.float32)
    meta = pd.DataFrame(
        {"label": rng.integers(0, 3, 50), "error": rng.random(50), "kind": ["x"] * 50}
    )
    return Dataset("small", latent, ["z0", "z1", "z2"], params, ["drive", "p2"], meta)


def test_view_targets_are_params_then_numeric_metadata():
    from latent_dash.views import correlation as view

    dataset = _dataset()
    assert view.target_names(dataset) == ["drive", "p2", "label", "error"]
    assert view.target_names(dataset, ["error", "kind", "z1"]) == ["error", "z1"]
    matrix = view.target_matrix(dataset, ["drive", "label"])
    assert matrix.shape == (50, 2) and matrix.dtype == np.float64


def test_view_without_params_or_numeric_metadata_says_so():
    from latent_dash.views import correlation as view

    body = view.layout(Panel("c"), options_model(view.KIND)(), _dataset(with_targets=False))
    assert body.children == view.NO_TARGETS
    assert "neither parameters nor numeric metadata" in view.NO_TARGETS


def test_view_figures_scales_labels_and_caption():
    from latent_dash.views import correlation as view

    dataset = _dataset()
    targets = view.target_names(dataset)
    heat, bars, caption = view.figures(dataset, targets, "pearson", "all", None)
    trace = heat.data[0]
    assert (trace.zmin, trace.zmax, trace.zmid) == (-1.0, 1.0, 0.0)
    assert list(trace.x) == targets and list(trace.y) == ["z0", "z1", "z2"]
    assert trace.text[0][0] == "1.00"
    assert list(bars.data[0].y) == targets and bars.data[0].x[0] > 0.99
    assert caption.startswith("Pearson over all 50 samples")
    mi, _, caption = view.figures(dataset, targets, "mi", "all", None)
    assert mi.data[0].zmin == 0 and mi.data[0].zmax == pytest.approx(np.nanmax(mi.data[0].z))
    assert caption.startswith("Mutual information over all 50 samples")
    # "current selection" with nothing selected: all samples, and the caption says so
    _, _, caption = view.figures(dataset, targets, "pearson", "selection", None)
    assert "(nothing is selected)" in caption


def test_view_over_the_selection_uses_its_rows_or_says_it_is_too_small():
    from latent_dash import selection_store
    from latent_dash.views import correlation as view

    dataset = _dataset()
    targets = view.target_names(dataset)
    mask = np.zeros(50, dtype=bool)
    mask[:20] = True
    selection = {"key": selection_store.put(mask), "count": 20, "n": 50}
    heat, _, caption = view.figures(dataset, targets, "spearman", "selection", selection)
    assert caption.startswith("Spearman over 20 selected samples")
    expected = corr.association(
        dataset.latent, view.target_matrix(dataset, targets), "spearman", np.arange(20)
    )
    np.testing.assert_allclose(heat.data[0].z, expected.astype(np.float32))
    mask[3:] = False
    selection = {"key": selection_store.put(mask), "count": 3, "n": 50}
    heat, bars, caption = view.figures(dataset, targets, "pearson", "selection", selection)
    assert caption.startswith("Only 3 selected") and heat.data == () and bars.data == ()


def test_view_respects_the_filter():
    """With a filter, "all samples" means the visible ones, and a selection is cut to them."""
    from latent_dash import selection_store
    from latent_dash.views import correlation as view

    dataset = _dataset()
    visible = np.arange(0, 50, 2)  # 25 of the 50 samples
    rows, words, problem = view.rows_over(dataset, "all", None, visible)
    assert problem is None and words == "the 25 visible samples"
    np.testing.assert_array_equal(rows, visible)
    mask = np.zeros(50, dtype=bool)
    mask[:30] = True
    key = selection_store.put(mask)
    rows, words, _ = view.rows_over(dataset, "selection", {"key": key}, visible)
    np.testing.assert_array_equal(rows, np.arange(0, 30, 2))
    assert words == "15 selected samples"
    _, _, caption = view.figures(
        dataset, view.target_names(dataset), "pearson", "all", None, visible
    )
    assert caption.startswith("Pearson over the 25 visible samples")


# ------------------------------------------- what each dim means: explained alone, the summary


def _factor_models():
    """Three uniform parameters; `copy` puts each in its own dim (plus a noise dim), `rotated`
    is the same latent turned by a random rotation (a comparison's second model)."""
    from scipy.stats import special_ortho_group

    from latent_dash.data import Dataset

    rng = np.random.default_rng(0)
    n = 1_000
    params = rng.uniform(size=(n, 3)).astype(np.float32)
    copy = np.column_stack([params, rng.normal(size=n)]) + 0.005 * rng.normal(size=(n, 4))
    rotated = (copy - copy.mean(axis=0)) @ special_ortho_group.rvs(4, random_state=1)
    names = ["z0", "z1", "z2", "z3"]
    return tuple(
        Dataset(name, latent.astype(np.float32), names, params, ["a", "b", "c"])
        for name, latent in (("copy", copy), ("rotated", rotated))
    )


def test_explained_alone_heatmap_of_a_copied_latent_is_diagonal():
    from latent_dash.views import correlation as view

    copy, rotated = _factor_models()
    heat, _, caption = view.figures(copy, ["a", "b", "c"], "alone", "all", None)
    trace = heat.data[0]
    assert (trace.zmin, trace.zmax) == (0.0, 1.0)
    z = np.asarray(trace.z, dtype=float)
    assert z.shape == (4, 3)
    assert np.diag(z).min() > 0.95
    assert z[~np.eye(4, 3, dtype=bool)].max() < 0.05
    assert caption.startswith("Explained alone (R²) over all 1,000 samples")
    assert "one dim explains by itself" in caption
    turned = np.asarray(view.figures(rotated, ["a", "b", "c"], "alone", "all", None)[0].data[0].z)
    assert np.nanmax(turned) < 0.8  # no single dim of the rotation holds a whole parameter


def _texts(component) -> list[str]:
    """Every string in a Dash component tree, depth first."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        return [t for c in component for t in _texts(c)]
    children = getattr(component, "children", None)
    return [] if children is None else _texts(children)


def _score(children: list, key: str) -> str:
    from dash import html

    def walk(component):
        if isinstance(component, html.Td) and f"correlation-score-{key}" in (
            component.className or ""
        ):
            return component.children
        for child in _children(component):
            found = walk(child)
            if found is not None:
                return found
        return None

    return walk(children)


def _children(component) -> list:
    if isinstance(component, list | tuple):
        return list(component)
    children = getattr(component, "children", None)
    if children is None or isinstance(children, str):
        return []
    return children if isinstance(children, list | tuple) else [children]


def test_summary_of_a_copied_latent_scores_near_one_and_of_its_rotation_low():
    from latent_dash.views import correlation as view

    copy, rotated = _factor_models()
    targets = ["a", "b", "c"]
    assert view.stored_result(copy, targets) is None  # nothing computed yet: no work either
    body = view.layout(Panel("c"), options_model(view.KIND)(), copy)
    assert view.NOT_YET in _texts(body)
    good = view.summary_result(copy, targets)
    bad = view.summary_result(rotated, targets)
    assert good["mig"] > 0.75 and bad["mig"] < 0.2
    assert good["disentanglement"] > 0.8 > bad["disentanglement"]
    assert good["completeness"] > 0.8 > bad["completeness"]
    assert good["informativeness"] > 0.9  # both hold the parameters, one dim each or not
    assert good["best"] == ["z0", "z1", "z2"] and good["targets"] == targets
    json.dumps(good)  # the panel's store: plain JSON
    children = view.summary_children(good)
    assert _score(children, "mig") == f"{good['mig']:.2f}"
    assert _score(children, "completeness") == f"{good['completeness']:.2f}"
    shown = _texts(children)
    assert "DCI disentanglement" in shown and any("Good: near 1" in t for t in shown)
    assert view.summary_status(good).startswith(
        "Against the 3 targets, over all 1,000 samples, whatever the selection"
    )
    # stored now: the panel opens with the numbers, and the request callback has nothing to do
    stored = view.stored_result(copy, targets)
    assert stored is not None and stored["mig"] == good["mig"]
    body = view.layout(Panel("c"), options_model(view.KIND)(), copy)
    assert f"{good['mig']:.2f}" in _texts(body) and view.NOT_YET not in _texts(body)
