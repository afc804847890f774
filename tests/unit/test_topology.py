"""Extremum graphs (topological spines) against known answers (compute/topology.py)."""

from __future__ import annotations

import numpy as np
import pytest

from latent_dash.compute import graph as graphs
from latent_dash.compute import topology

AMPLITUDES = np.array([1.0, 0.7, 0.4])


def bumps(n: int, dims: int, seed: int = 0):
    """Samples around three far-apart centres; f = a sum of three Gaussian bumps there.

    Returns (points, f, bump of each sample: the one contributing most to f)."""
    rng = np.random.default_rng(seed)
    centres = np.zeros((3, dims))
    centres[0, 0], centres[1, 0], centres[2, 1] = -1.5, 1.5, 2.0
    which = rng.integers(0, 3, n)
    points = centres[which] + rng.normal(scale=0.6, size=(n, dims))
    each = AMPLITUDES * np.exp(-((points[:, None, :] - centres[None]) ** 2).sum(2) / (2 * 0.25))
    return points.astype(np.float32), each.sum(axis=1), each.argmax(axis=1)


@pytest.mark.parametrize("dims", [2, 5])
def test_three_bumps_give_three_persistent_maxima(dims):
    points, f, truth = bumps(3000, dims)
    g = graphs.knn_graph(points, 10)
    spine = topology.extremum_graph(f, g)
    assert spine.sizes.sum() == len(f) and spine.labels.min() == 0
    assert (np.diff(spine.values) <= 0).all()  # highest first
    span = f.max() - f.min()
    assert (spine.persistence > 0.15 * span).sum() == 3
    simple = topology.simplify(spine, 0.15 * span)
    assert simple.count == 3
    # the three peaks are the three bumps, highest bump first; basins match the bumps
    assert truth[simple.extrema].tolist() == [0, 1, 2]
    assert np.mean(simple.labels == truth) > 0.95
    assert simple.merges_into[0] == -1 and simple.persistence[0] == pytest.approx(span)
    # saddles join them pairwise, below both peaks
    pairs = {(int(a), int(b)) for a, b in zip(simple.arc_a, simple.arc_b, strict=True)}
    assert pairs <= {(0, 1), (0, 2), (1, 2)} and len(pairs) >= 2
    assert (simple.arc_value < simple.values[simple.arc_b]).all()
    assert np.isin(simple.arc_saddle, simple.arc_edge).all()
    tree = topology.tree_arcs(simple)  # the backbone: 2 arcs join 3 peaks
    assert tree.sum() == 2 and simple.arc_value[tree].min() >= simple.arc_value[~tree].max(
        initial=-np.inf
    )


def test_simplification_merges_lowest_persistence_first():
    points, f, truth = bumps(2000, 2, seed=1)
    spine = topology.extremum_graph(f, graphs.knn_graph(points, 10))
    p = np.r_[np.sort(spine.persistence)[::-1], 0.0]
    assert p[2] > 0.1 > p[3]
    three = topology.simplify(spine, (p[2] + p[3]) / 2)
    two = topology.simplify(spine, (p[1] + p[2]) / 2)
    one = topology.simplify(spine, p[1] * 1.01)
    assert [three.count, two.count, one.count] == [3, 2, 1]
    # the least persistent bump (the lowest, 2) goes first, into a neighbour: basins union
    assert truth[two.extrema].tolist() == [0, 1]
    for kept in range(2):
        assert set(three.basin(kept).tolist()) <= set(two.basin(kept).tolist())
    assert two.sizes.sum() == one.sizes.sum() == len(f)
    assert one.sizes.tolist() == [len(f)] and len(one.arc_a) == 0
    assert len(two.arc_a) == 1 and (two.arc_a[0], two.arc_b[0]) == (0, 1)
    # the merged basins are exactly unions of the unsimplified ones
    for survivor in range(two.count):
        members = np.unique(spine.labels[two.labels == survivor])
        assert np.isin(spine.labels, members).sum() == two.sizes[survivor]


def test_monotone_function_has_one_maximum():
    grid = np.stack(np.meshgrid(np.arange(20), np.arange(20)), -1).reshape(-1, 2)
    f = grid @ np.array([1.0, 0.3])
    spine = topology.extremum_graph(f, graphs.knn_graph(grid.astype(np.float32), 8))
    assert spine.count == 1
    assert spine.extrema[0] == np.argmax(f)
    assert len(spine.arc_a) == 0 and (spine.labels == 0).all()
    # a random cloud: points on the hull can top their few neighbours, but barely
    points = np.random.default_rng(3).uniform(size=(500, 3)).astype(np.float32)
    f = points @ np.array([1.0, 0.5, 0.25])
    spine = topology.extremum_graph(f, graphs.knn_graph(points, 8))
    simple = topology.simplify(spine, 0.05 * spine.span)
    assert simple.count == 1 and simple.extrema[0] == np.argmax(f)
    assert (simple.labels == 0).all()


def test_descending_finds_minima():
    points, f, truth = bumps(2000, 2, seed=2)
    g = graphs.knn_graph(points, 10)
    spine = topology.extremum_graph(-f, g, descending=True)  # the bumps are now pits
    simple = topology.simplify(spine, 0.15 * spine.span)
    assert simple.count == 3 and simple.descending
    assert (np.diff(simple.values) >= 0).all()  # lowest first
    assert simple.extrema[0] == np.argmin(-f)
    assert truth[simple.extrema].tolist() == [0, 1, 2]
    assert np.mean(simple.labels == truth) > 0.95
    assert (simple.arc_value > simple.values[simple.arc_b]).all()  # saddles above the pits
    ascending = topology.simplify(topology.extremum_graph(f, g), 0.15 * spine.span)
    np.testing.assert_array_equal(simple.labels, ascending.labels)
    np.testing.assert_allclose(simple.persistence, ascending.persistence)


def test_ties_are_broken_by_index_deterministically():
    # a path 0 - 1 - 2 - 3 - 4 with a flat function: the highest index is the one maximum
    points = np.arange(5, dtype=np.float32)[:, None]
    g = graphs.knn_graph(points, 1)
    spine = topology.extremum_graph(np.zeros(5), g)
    assert spine.extrema.tolist() == [4] and spine.labels.tolist() == [0] * 5
    # two equal peaks at the ends of a valley: both maxima, the higher index first
    f = np.array([1.0, 0.5, 0.0, 0.5, 1.0])
    spine = topology.extremum_graph(f, g)
    assert spine.extrema.tolist() == [4, 0]
    # the flat valley floor (2) climbs to 3: equal slopes, 3 ranks higher (index)
    assert spine.labels.tolist() == [1, 1, 0, 0, 0]
    assert spine.arc_saddle.tolist() == [2] and spine.arc_value.tolist() == [0.0]
    assert spine.persistence.tolist() == [1.0, 1.0]  # the younger dies at 0: 1 - 0


def test_disconnected_parts_never_merge():
    points = np.array([[0.0], [1.0], [2.0], [100.0], [101.0], [102.0]], dtype=np.float32)
    f = np.array([0.0, 2.0, 0.0, 0.0, 1.0, 0.0])
    spine = topology.extremum_graph(f, graphs.knn_graph(points, 2))
    assert spine.extrema.tolist() == [1, 4]
    assert spine.merges_into.tolist() == [-1, -1] and len(spine.arc_a) == 0
    assert topology.simplify(spine, 10.0).count == 2


def test_bad_input():
    g = graphs.knn_graph(np.zeros((4, 2), dtype=np.float32) + np.arange(4)[:, None], 2)
    with pytest.raises(ValueError, match="values"):
        topology.extremum_graph(np.zeros(3), g)
    with pytest.raises(ValueError, match="missing"):
        topology.extremum_graph(np.array([0, 1, np.nan, 2.0]), g)


def test_view_spines_follow_the_filter(small_config):
    """The panel's spines are computed on the visible samples; a basin is a set of them."""
    from latent_dash.data import open_config
    from latent_dash.views import topology as view

    dataset = open_config(small_config)[1]
    assert view.default_function(dataset) == "drive"  # the first parameter
    settings = view.settings_from({"second": "error", "k": 6, "fraction": 0.0}, dataset)
    assert settings.functions == ("drive", "error") and settings.k == 6
    visible = np.arange(0, dataset.n, 2)
    spines = view.spines(dataset, settings, visible)
    assert [s.name for s in spines] == ["drive", "error"]
    for panel, s in enumerate(spines):
        assert np.array_equal(s.rows, visible) and s.spine.sizes.sum() == len(visible)
        for position, sample in enumerate(s.rows[s.spine.extrema].tolist()):
            mask = view.basin_mask(dataset, spines, panel, sample)
            assert mask.sum() == s.spine.sizes[position] and not mask[1::2].any()
    figure = view.spine_figure(dataset, spines, np.ones(dataset.n, bool), "x")
    node_traces = [t for t in figure.data if t.meta == "nodes"]
    assert [len(t.x) for t in node_traces] == [s.spine.count for s in spines]
    assert all(np.all(np.asarray(t.marker.line.width) == 6) for t in node_traces)  # all selected
