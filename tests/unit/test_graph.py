"""The k-NN graph of the samples and its relaxed RNG / Gabriel pruning (compute/graph.py)."""

from __future__ import annotations

import numpy as np
import pytest

from latent_dash.compute import graph as graphs


def edge_set(edges: np.ndarray) -> set[tuple[int, int]]:
    return {(int(i), int(j)) for i, j in edges}


def test_knn_graph_is_undirected_without_self_loops():
    points = np.random.default_rng(0).normal(size=(300, 5)).astype(np.float32)
    g = graphs.knn_graph(points, 6)
    assert g.edges.dtype == np.int32 and g.edges.shape[1] == 2
    assert (g.edges[:, 0] < g.edges[:, 1]).all()  # i < j: no self loops, each edge once
    assert len(edge_set(g.edges)) == g.size
    # every sample is linked to its 6 nearest others (brute force)
    d = np.linalg.norm(points[:, None] - points[None], axis=2)
    np.fill_diagonal(d, np.inf)
    nearest = np.argsort(d, axis=1)[:, :6]
    links = edge_set(g.edges)
    assert all((min(i, j), max(i, j)) in links for i in range(300) for j in nearest[i])
    assert len(links) <= 300 * 6
    np.testing.assert_allclose(g.lengths, d[g.edges[:, 0], g.edges[:, 1]], rtol=1e-6)
    assert graphs.degrees(g).min() >= 6


def test_collinear_points_lose_the_long_edge():
    points = np.array([[0.0, 0.0], [1.0, 0.0], [2.1, 0.0]], dtype=np.float32)
    assert edge_set(graphs.knn_graph(points, 2).edges) == {(0, 1), (0, 2), (1, 2)}
    for pruning in ("rng", "gabriel"):
        assert edge_set(graphs.knn_graph(points, 2, pruning).edges) == {(0, 1), (1, 2)}


def test_rng_prunes_more_than_gabriel():
    # a right-ish triangle: the third point is outside the circle on the long side (Gabriel
    # keeps it) but nearer to both ends than they are to each other (RNG drops it)
    points = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 1.2]], dtype=np.float32)
    assert edge_set(graphs.knn_graph(points, 2, "gabriel").edges) == {(0, 1), (0, 2), (1, 2)}
    assert edge_set(graphs.knn_graph(points, 2, "rng").edges) == {(0, 2), (1, 2)}
    # and with many points, RNG is a subgraph of Gabriel, a subgraph of the k-NN graph
    cloud = np.random.default_rng(1).uniform(size=(400, 2)).astype(np.float32)
    full, rng, gab = (edge_set(graphs.knn_graph(cloud, 8, p).edges) for p in graphs.PRUNINGS)
    assert rng < gab < full


def test_cached_and_validated(tmp_path, monkeypatch):
    points = np.random.default_rng(2).normal(size=(200, 3)).astype(np.float32)
    first = graphs.knn_graph(points, 5, "gabriel")
    graphs._MEMO.clear()  # from the disk cache now
    again = graphs.knn_graph(points.copy(), 5, "gabriel")
    np.testing.assert_array_equal(first.edges, again.edges)
    np.testing.assert_array_equal(first.lengths, again.lengths)
    assert first.key == again.key != graphs.knn_graph(points, 6, "gabriel").key
    with pytest.raises(ValueError, match="pruning"):
        graphs.knn_graph(points, 5, "beta")
    assert graphs.knn_graph(points[:1], 5).size == 0  # one sample: no edges
