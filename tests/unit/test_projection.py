"""Projection bases, the rotation between them, and the ranking of axis pairs (known answers)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from latent_dash.compute import projection as compute


def random_basis(rng, dims: int) -> np.ndarray:
    return np.linalg.qr(rng.normal(size=(dims, 2)))[0]


def planted_clusters(seed: int, n: int = 1000, dims: int = 8, pair=(2, 5)):
    """Four tight-ish clusters in dims `pair`, small Gaussian noise in every other dim."""
    rng = np.random.default_rng(seed)
    latent = 0.5 * rng.normal(size=(n, dims))
    labels = rng.integers(0, 4, n)
    centres = np.array([[-4, -4], [4, -4], [-4, 4], [4, 4]])
    latent[:, list(pair)] = centres[labels] + rng.normal(size=(n, 2))
    return latent.astype(np.float32), labels


def test_axis_basis_picks_exactly_those_dims():
    basis = compute.axis_basis(6, 4, 1)
    assert basis.shape == (6, 2) and compute.is_orthonormal(basis)
    expected = np.zeros((6, 2))
    expected[4, 0] = expected[1, 1] = 1
    assert np.array_equal(basis, expected)
    latent = np.random.default_rng(0).normal(size=(50, 6)).astype(np.float32)
    assert np.array_equal(latent @ basis, latent[:, [4, 1]])
    with pytest.raises(ValueError):
        compute.axis_basis(6, 2, 2)


def test_pca_basis_spans_the_top_components_of_an_anisotropic_gaussian():
    rng = np.random.default_rng(1)
    dims = 7
    rotation = np.linalg.qr(rng.normal(size=(dims, dims)))[0]
    scales = np.array([6.0, 3.0, 1.0, 0.8, 0.5, 0.3, 0.1])
    latent = (rng.normal(size=(5000, dims)) * scales) @ rotation.T + 2.0
    basis = compute.pca_basis(latent)
    assert compute.is_orthonormal(basis)
    for k in range(2):  # each column is the k-th principal direction (up to sign)
        assert abs(basis[:, k] @ rotation[:, k]) > 0.999
    # only the rows given count
    rows = np.arange(100)
    assert np.allclose(compute.pca_basis(latent, rows), compute.pca_basis(latent[rows]))


def test_aligned_direction_recovers_a_planted_direction():
    rng = np.random.default_rng(2)
    latent = rng.normal(size=(2000, 10)) * np.linspace(0.5, 3, 10)
    w = rng.normal(size=10)
    param = latent @ w + 0.01 * rng.normal(size=2000)
    direction = compute.aligned_direction(latent, param)
    assert direction @ (w / np.linalg.norm(w)) > 0.999
    basis = compute.aligned_basis(latent, param)
    assert compute.is_orthonormal(basis)
    assert np.allclose(basis[:, 0], direction)
    # y: the largest variance orthogonal to x
    centred = latent - latent.mean(axis=0)
    off = centred - np.outer(centred @ direction, direction)
    top = np.linalg.svd(off, full_matrices=False)[2][0]
    assert abs(basis[:, 1] @ top) > 0.999
    # the sign: the projection grows with the parameter
    assert np.corrcoef(latent @ basis[:, 0], param)[0, 1] > 0.99
    with pytest.raises(ValueError):
        compute.aligned_basis(latent, np.ones(2000))


def test_interpolation_is_orthonormal_continuous_and_ends_on_both_bases():
    rng = np.random.default_rng(3)
    dims = 6
    cases = []
    for _ in range(20):
        a, b = random_basis(rng, dims), random_basis(rng, dims)
        cases += [(a, b), (a, a[:, ::-1]), (a, a * [1, -1])]  # x <-> y swap, a mirror flip
    cases.append((compute.axis_basis(dims, 0, 1), compute.axis_basis(dims, 3, 1)))
    for a, b in cases:
        assert np.array_equal(compute.interpolate(a, b, 0), a)
        assert np.array_equal(compute.interpolate(a, b, 1), b)
        previous = a
        for t in np.linspace(0, 1, 51)[1:-1]:
            frame = compute.interpolate(a, b, t)
            assert compute.is_orthonormal(frame)
            assert np.abs(frame - previous).max() < 0.25  # no jump
            previous = frame
        assert np.abs(compute.interpolate(a, b, 1 - 1e-7) - b).max() < 1e-4


def test_basis_labels():
    names = ["z0", "z1", "z2", "z3"]
    assert compute.basis_label(compute.axis_basis(4, 3, 0), names) == ["z3", "z0"]
    basis = np.column_stack([[0.71, 0, -0.70, 0.05], [0, 0, 0, 1]])
    assert compute.basis_label(basis, names, top=2) == ["0.71·z0 - 0.70·z2 …", "z3"]


def test_ranking_puts_the_planted_cluster_pair_first():
    latent, labels = planted_clusters(seed=4)
    ranking = compute.rank_pairs(latent)
    assert ranking["pairs"].shape == (28, 2)
    assert tuple(ranking["pairs"][0]) == (2, 5)
    assert ranking["score"][0] > 2 * ranking["score"][1]
    assert np.all(np.diff(ranking["score"]) <= 0)
    assert np.isnan(ranking["separation"]).all()
    # by class separation (silhouette of the labels)
    separated = compute.rank_pairs(latent, labels=labels)
    assert tuple(separated["pairs"][0]) == (2, 5)
    assert separated["separation"][0] > 0.5 > separated["separation"][1]
    similarity = separated["similarity"]
    assert similarity.shape == (28, 28) and np.allclose(similarity, similarity.T)
    assert np.allclose(np.diag(similarity), 1)


def test_neighbour_sets_leave_out_the_anchor_itself():
    points = np.array([[0.0], [0.0], [1.0], [3.0]])  # a tie: 0 and 1 coincide
    found = compute.neighbour_sets(points, np.arange(4), 2)
    for a, row in enumerate(found):
        assert a not in row and len(set(row)) == 2
    assert set(found[3]) == {2, 0} or set(found[3]) == {2, 1}


def test_ranked_pairs_are_cached_and_follow_the_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_DASH_CACHE_DIR", str(tmp_path))
    latent, labels = planted_clusters(seed=5, n=400, dims=5, pair=(1, 3))
    first = compute.ranked_pairs(latent)
    real = compute.neighbourhood_scores
    calls = []
    monkeypatch.setattr(compute, "neighbourhood_scores", lambda *a, **k: calls.append(a))
    again = compute.ranked_pairs(latent)
    # separation of a column reuses the cached neighbourhood scores
    separated = compute.ranked_pairs(latent, labels=labels, label_name="label")
    assert not calls  # both from the cache
    for name in ("pairs", "neighbourhood", "score", "similarity"):
        assert np.allclose(first[name], again[name])
    monkeypatch.setattr(compute, "neighbourhood_scores", real)
    expected = compute.rank_pairs(latent, labels)
    for name in ("pairs", "neighbourhood", "separation", "score", "similarity"):
        assert np.allclose(separated[name], expected[name])
    subset = compute.ranked_pairs(latent, rows=np.arange(200))
    assert np.allclose(subset["score"], compute.rank_pairs(latent[:200])["score"])


def test_grid_layout_gives_each_view_its_own_cell_similar_ones_close():
    latent, _ = planted_clusters(seed=6, n=600, dims=6)
    similarity = compute.rank_pairs(latent)["similarity"][:12, :12]
    cells = compute.grid_layout(similarity)
    assert cells.shape == (12, 2)
    assert len({tuple(c) for c in cells}) == 12
    assert cells[:, 0].max() < 4 and cells[:, 1].max() < 4
    assert compute.grid_layout(np.ones((1, 1))).tolist() == [[0, 0]]


# --- the views' pure helpers ----------------------------------------------------------------------


def test_projection_helpers(small_config):
    from latent_dash.data import open_config
    from latent_dash.views import projection

    dataset = open_config(small_config)[1]
    basis, text = projection.target_basis(dataset, "axes", "z2", "z0", None)
    assert np.array_equal(basis, compute.axis_basis(4, 2, 0)) and "z2" in text
    data = projection.basis_data(dataset, basis, text)
    assert data["titles"] == ["z2", "z0"] and np.array_equal(data["basis"], basis)
    pca, _ = projection.target_basis(dataset, "pca", "z0", "z1", np.arange(50))
    assert np.allclose(pca, compute.pca_basis(dataset.latent, np.arange(50)))
    aligned, _ = projection.target_basis(dataset, "aligned:drive", "z0", "z1", None)
    assert compute.is_orthonormal(aligned)
    with pytest.raises(ValueError):
        projection.target_basis(dataset, "axes", "z1", "z1", None)
    rows = np.array([3, 5, 7])
    stored = projection.latent_data(dataset, rows, 500)
    latent = np.frombuffer(base64.b64decode(stored["latent"]["bdata"]), "<f4").reshape(3, 4)
    assert np.array_equal(latent, dataset.latent[rows])
    assert np.frombuffer(base64.b64decode(stored["rows"]["bdata"]), "<i4").tolist() == [3, 5, 7]
    assert "aligned:drive" in [o["value"] for o in projection.mode_options(dataset)]
    names = list(dataset.latent_names)
    assert projection.axis_dims(data, names) == ("z2", "z0")
    assert projection.axis_dims({"basis": pca.tolist()}, names) is None
    assert projection.axis_dims(None, names) is None


def test_viewgraph_thumbnail_pictures():
    from latent_dash.views import viewgraph

    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=500), rng.normal(size=500)
    for codes in (None, rng.integers(0, 3, 500)):
        image = Image.open(io.BytesIO(viewgraph.scatter_png(xs, ys, codes, 64)))
        pixels = np.asarray(image)
        assert pixels.shape == (64, 64, 3)
        assert (pixels < 250).any() and (pixels == 255).any()
    blank = Image.open(
        io.BytesIO(viewgraph.scatter_png(np.array([1.0]), np.array([1.0]), None, 32))
    )
    assert np.asarray(blank).shape == (32, 32, 3)


def test_silhouette_matches_scikit_learn():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(8)
    points = rng.normal(size=(300, 2)) * 5 + 100
    labels = rng.integers(0, 4, 300)
    points[:, 0] += 3 * labels
    labels[0] = 9  # a class of one sample scores 0, as in scikit-learn
    expected = silhouette_score(points, labels)
    assert compute.silhouette(points, labels) == pytest.approx(expected, abs=1e-6)
