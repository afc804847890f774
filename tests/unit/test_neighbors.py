"""Neighbours: exact k nearest in latent and parameter space (vs brute force), overlap, view."""

from __future__ import annotations

import time

import numpy as np
import pytest
from dash import html

from latent_dash.compute import neighbors as nb
from latent_dash.data import open_config
from latent_dash.kinds import options_model, registry
from latent_dash.page import Panel
from latent_dash.views import neighbors as view
from latent_dash.views.neighbors import NeighborsOptions


def brute(data: np.ndarray, query: int, k: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest others by a full sort on (distance, index), in float64."""
    x = np.asarray(data, dtype=np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1)
        norms[norms == 0] = 1.0
        d = 1.0 - (x @ x[query]) / (norms * norms[query])
    else:
        d = np.sqrt(((x - x[query]) ** 2).sum(axis=1))
    others = np.delete(np.arange(len(x)), query)
    order = np.lexsort((others, d[others]))[:k]
    return others[order], d[others][order]


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("dims", [2, 7, 40])
def test_matches_brute_force(metric: str, dims: int):
    rng = np.random.default_rng(dims)
    data = rng.normal(size=(300, dims)).astype(np.float32)
    for query in (0, 17, 299):
        got, dist = nb.nearest(data, query, 10, metric)
        want, want_d = brute(data, query, 10, metric)
        assert got.tolist() == want.tolist()
        np.testing.assert_allclose(dist, want_d, rtol=1e-6, atol=1e-9)
        assert query not in got


def test_several_queries_and_k_capped():
    rng = np.random.default_rng(3)
    data = rng.normal(size=(50, 4)).astype(np.float32)
    idx, dist = nb.nearest(data, [4, 9, 4], 5)
    assert idx.shape == dist.shape == (3, 5)
    assert idx[0].tolist() == idx[2].tolist() == brute(data, 4, 5, "euclidean")[0].tolist()
    assert idx[1].tolist() == brute(data, 9, 5, "euclidean")[0].tolist()
    assert np.all(np.diff(dist, axis=1) >= 0)
    everyone, _ = nb.nearest(data, 7, 500)  # k > N - 1: everyone else, nearest first
    assert sorted(everyone.tolist()) == [i for i in range(50) if i != 7]
    with pytest.raises(IndexError):
        nb.nearest(data, 50, 3)
    with pytest.raises(ValueError, match="metric"):
        nb.nearest(data, 0, 3, "manhattan")


def test_ties_break_by_index_and_duplicates_are_neighbours():
    # a 5 x 5 integer grid: the centre (12) has 4 neighbours at distance 1, 4 at sqrt 2
    grid = np.array([(x, y) for x in range(5) for y in range(5)], dtype=np.float32)
    got, dist = nb.nearest(grid, 12, 6)
    assert got.tolist() == [7, 11, 13, 17, 6, 8]
    np.testing.assert_allclose(dist, [1, 1, 1, 1, np.sqrt(2), np.sqrt(2)])
    for k in (1, 3, 4, 5, 8, 9):
        assert nb.nearest(grid, 12, k)[0].tolist() == brute(grid, 12, k, "euclidean")[0].tolist()
    # exact copies of the query are its nearest (distance 0), itself still excluded
    copies = np.vstack([grid, grid[12], grid[12], grid[12]])  # rows 25, 26, 27
    got, dist = nb.nearest(copies, 26, 3)
    assert got.tolist() == [12, 25, 27] and dist.tolist() == [0, 0, 0]
    # cosine: same direction, any length, is distance 0; ties by index
    rays = np.array([[1, 0], [2, 0], [0, 1], [3, 0], [0, 5], [-1, 0]], dtype=np.float32)
    got, dist = nb.nearest(rays, 0, 4, "cosine")
    assert got.tolist() == [1, 3, 2, 4]
    np.testing.assert_allclose(dist, [0, 0, 1, 1], atol=1e-12)
    assert nb.nearest(rays, 0, 5, "cosine")[1][-1] == pytest.approx(2.0)


def test_parameter_space_is_standardised():
    rng = np.random.default_rng(5)
    params = np.column_stack([rng.uniform(size=200), 1000 * rng.uniform(size=200)])
    got, dist = nb.nearest(params, 3, 8, scaled=True)
    want, want_d = brute(nb.standardise(params), 3, 8, "euclidean")
    assert got.tolist() == want.tolist()
    np.testing.assert_allclose(dist, want_d, rtol=1e-6)
    # without scaling the big column decides alone
    plain = nb.nearest(params, 3, 8)[0]
    assert plain.tolist() == brute(params[:, 1:], 3, 8, "euclidean")[0].tolist()
    # a constant column is ignored, not a division by zero
    constant = np.column_stack([params[:, 0], np.full(200, 7.0)])
    alone = nb.nearest(params[:, :1], 3, 5, scaled=True)[0]
    assert nb.nearest(constant, 3, 5, scaled=True)[0].tolist() == alone.tolist()


def test_standardise():
    values = np.array([[1.0, 5.0], [3.0, 5.0]])
    np.testing.assert_allclose(nb.standardise(values), [[-1.0, 0.0], [1.0, 0.0]])


def test_overlap():
    assert nb.overlap([1, 2, 3, 4], [3, 4, 5, 6]) == (2, pytest.approx(2 / 6))
    assert nb.overlap([1, 2], [3, 4]) == (0, 0.0)
    assert nb.overlap([], []) == (0, 1.0)
    # the same points in both spaces: identical neighbour sets, Jaccard 1
    rng = np.random.default_rng(2)
    data = rng.normal(size=(80, 3)).astype(np.float32)
    latent = nb.nearest(data, 11, 10)[0]
    params = nb.nearest(data.astype(np.float64), 11, 10)[0]  # same values, another array
    assert nb.overlap(latent, params) == (10, 1.0)


def test_index_is_built_once_per_content():
    rng = np.random.default_rng(8)
    data = rng.normal(size=(400, 6)).astype(np.float32)
    nb.nearest(data, 0, 3)
    before = nb._indexed.cache_info().hits
    nb.nearest(data.copy(), 1, 3)  # a different object with the same content: a hit
    assert nb._indexed.cache_info().hits == before + 1


def test_query_at_100k_is_fast():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(100_000, 16)).astype(np.float32)
    nb.prepare(data)
    times = []
    for q in range(5):
        start = time.perf_counter()
        nb.nearest(data, q * 997, 10)
        times.append(time.perf_counter() - start)
    assert min(times) < 0.05


# --- the view's pure parts ----------------------------------------------------------------------


def test_options_and_registration(small_config):
    assert options_model("neighbors") is NeighborsOptions
    assert NeighborsOptions().k == 10 and NeighborsOptions().metric == "euclidean"
    with pytest.raises(ValueError):
        NeighborsOptions(k=0)
    assert registry()["neighbors"].layout is view.layout
    dataset = open_config(small_config)[1]
    body = view.layout(Panel("nb"), options_model(view.KIND)(), dataset)
    assert isinstance(body, html.Div)


def test_panel_content(small_config):
    dataset = open_config(small_config)[1]
    result = view.neighbourhood(dataset, 5, 4, "euclidean")
    want = brute(dataset.latent, 5, 4, "euclidean")[0]
    assert result.latent.tolist() == want.tolist()
    assert (
        result.params.tolist()
        == brute(nb.standardise(dataset.params), 5, 4, "euclidean")[0].tolist()
    )
    shared = len(set(result.latent.tolist()) & set(result.params.tolist()))
    text = view.overlap_text(result)
    assert text.startswith(f"{shared} of 4 latent neighbours are also parameter neighbours")
