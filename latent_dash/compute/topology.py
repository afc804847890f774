"""The extremum graph of a scalar function over the samples (NDDAV's "Topological Spine").

Given a function f (one value per sample) and a neighbourhood graph (compute/graph.py):

1. Steepest ascent: each sample points to the neighbour with larger f of steepest slope
   (f_j - f_i) / d_ij; a sample with no higher neighbour is a maximum. Following the pointers
   takes every sample to one maximum: its basin (an approximate ascending Morse cell).
2. Saddles: an edge ij between two basins is a pass at height min(f_i, f_j); each pair of
   adjacent basins keeps its highest pass (its lower end is the saddle sample). Maxima and
   these arcs are the extremum graph.
3. Persistence, by the elder rule: arcs by saddle height, highest first, union the basins'
   components (union-find); when two meet, the one whose maximum is lower dies into the other
   at that saddle: persistence = f(max) - f(saddle). A maximum that never dies (the global one,
   or the top of a disconnected part of the graph) gets the function's range and merges into
   nothing.
4. Simplification by a threshold: every maximum of persistence below it is merged into the one
   it died into (following the chain to a survivor), basins are unioned and arcs between the
   survivors keep the highest saddle of the merged pairs; so raising the threshold merges the
   maxima in order of persistence, lowest first.

"Higher" is the total order of (f, sample index): ties in f are broken by the index, so the
answer is deterministic. `descending=True` finds the minima and their descending basins (the
same computation on -f; values and persistence are reported for f itself). No dash or plotly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from latent_dash.compute.graph import Graph


@dataclass(frozen=True, eq=False)
class Spine:
    """Extrema of a function and the highest saddles between their basins.

    Extrema are ordered from the highest (lowest when descending) down; `labels[s]` is the
    position of sample s's extremum in that order. Arcs join extrema `arc_a` < `arc_b`
    (positions) through the saddle sample `arc_saddle` (value `arc_value`) of the graph edge
    (`arc_edge`, two sample indices). `merges_into[m]` is the extremum m dies into (-1: none).
    """

    extrema: np.ndarray  # (M,) sample index of each extremum
    values: np.ndarray  # (M,) f there
    sizes: np.ndarray  # (M,) basin sizes
    persistence: np.ndarray  # (M,) >= 0; the function's range for those that never die
    merges_into: np.ndarray  # (M,) position, or -1
    death: np.ndarray  # (M,) f at the saddle where it dies (nan if never)
    labels: np.ndarray  # (N,) basin of every sample (position in extrema)
    arc_a: np.ndarray  # (A,)
    arc_b: np.ndarray  # (A,)
    arc_value: np.ndarray  # (A,) f at the saddle
    arc_saddle: np.ndarray  # (A,) the saddle sample (the lower end of the edge)
    arc_edge: np.ndarray  # (A, 2) the edge's two samples
    descending: bool = False
    span: float = 0.0  # max f - min f over the samples

    @property
    def count(self) -> int:
        return len(self.extrema)

    def basin(self, position: int) -> np.ndarray:
        """Sample indices of one extremum's basin."""
        return np.flatnonzero(self.labels == position)


def order_of(f: np.ndarray) -> np.ndarray:
    """Each sample's rank in the total order (f, index): 0 the lowest, N - 1 the highest."""
    order = np.lexsort((np.arange(len(f)), f))
    rank = np.empty(len(f), dtype=np.int64)
    rank[order] = np.arange(len(f))
    return rank


def ascent(f: np.ndarray, graph: Graph, rank: np.ndarray) -> np.ndarray:
    """Each sample's steepest higher neighbour (itself for a maximum)."""
    n = len(f)
    parent = np.arange(n, dtype=np.int64)
    if graph.size == 0:
        return parent
    i = graph.edges[:, 0].astype(np.int64)
    j = graph.edges[:, 1].astype(np.int64)
    src, dst = np.r_[i, j], np.r_[j, i]
    length = np.tile(np.maximum(graph.lengths, 1e-300), 2)
    up = rank[dst] > rank[src]
    src, dst, length = src[up], dst[up], length[up]
    slope = (f[dst] - f[src]) / length
    # per source: steepest first, ties by the higher-ranked neighbour
    order = np.lexsort((-rank[dst], -slope, src))
    src, dst = src[order], dst[order]
    first = np.r_[True, src[1:] != src[:-1]]
    parent[src[first]] = dst[first]
    return parent


def _roots(parent: np.ndarray) -> np.ndarray:
    """Pointer jumping to the end of every ascent path."""
    root = parent.copy()
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            return root
        root = nxt


def _find(up: np.ndarray, x: int) -> int:
    while up[x] != x:
        up[x] = up[up[x]]
        x = up[x]
    return x


def extremum_graph(f: np.ndarray, graph: Graph, descending: bool = False) -> Spine:
    """The spine of f over the graph: maxima (minima if descending), basins, saddles and
    persistence."""
    values = np.asarray(f, dtype=np.float64).ravel()
    if len(values) != graph.n:
        raise ValueError(f"f has {len(values)} values for a graph of {graph.n} samples")
    if not np.isfinite(values).all():
        raise ValueError("f has missing or infinite values")
    g = -values if descending else values
    n = len(g)
    rank = order_of(g)
    root = _roots(ascent(g, graph, rank))
    tops = np.flatnonzero(root == np.arange(n))
    tops = tops[np.argsort(-rank[tops])]  # highest first
    position = np.full(n, -1, dtype=np.int64)
    position[tops] = np.arange(len(tops))
    labels = position[root]
    m = len(tops)
    span = float(values.max() - values.min()) if n else 0.0

    # the highest saddle of each pair of adjacent basins
    i = graph.edges[:, 0].astype(np.int64)
    j = graph.edges[:, 1].astype(np.int64)
    cross = labels[i] != labels[j]
    i, j = i[cross], j[cross]
    low = np.where(rank[i] < rank[j], i, j)  # the saddle sample: the lower end
    a, b = np.minimum(labels[i], labels[j]), np.maximum(labels[i], labels[j])
    order = np.lexsort((-rank[low], b, a))  # per pair, the highest saddle first
    a, b, low, i, j = a[order], b[order], low[order], i[order], j[order]
    first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])] if len(a) else np.zeros(0, bool)
    a, b, low = a[first], b[first], low[first]
    edge = np.stack([i[first], j[first]], axis=1) if len(a) else np.zeros((0, 2), np.int64)

    # elder rule: arcs from the highest saddle down
    merges = np.full(m, -1, dtype=np.int64)
    death = np.full(m, np.nan)
    persistence = np.full(m, span)
    up = np.arange(m)  # union-find; a component's root is its highest maximum (lowest position)
    for arc in np.argsort(-rank[low], kind="stable"):
        ra, rb = _find(up, int(a[arc])), _find(up, int(b[arc]))
        if ra == rb:
            continue
        elder, young = min(ra, rb), max(ra, rb)
        up[young] = elder
        merges[young] = elder
        death[young] = g[low[arc]]
        persistence[young] = g[tops[young]] - g[low[arc]]
    if descending:
        death = -death
    return Spine(
        extrema=tops,
        values=values[tops],
        sizes=np.bincount(labels, minlength=m),
        persistence=persistence,
        merges_into=merges,
        death=death,
        labels=labels,
        arc_a=a,
        arc_b=b,
        arc_value=values[low],
        arc_saddle=low,
        arc_edge=edge,
        descending=descending,
        span=span,
    )


def survivors(spine: Spine, threshold: float) -> np.ndarray:
    """Each extremum's representative after merging those with persistence below threshold."""
    keep = (spine.persistence >= threshold) | (spine.merges_into < 0)
    rep = np.arange(spine.count)
    for m in np.argsort(spine.persistence, kind="stable"):  # any order: chains end at keepers
        x = m
        while not keep[x]:
            x = spine.merges_into[x]
        rep[m] = x
    return rep


def simplify(spine: Spine, threshold: float) -> Spine:
    """The spine with every extremum of persistence below `threshold` merged away."""
    rep = survivors(spine, threshold)
    kept = np.flatnonzero(rep == np.arange(spine.count))  # still highest first
    new = np.full(spine.count, -1, dtype=np.int64)
    new[kept] = np.arange(len(kept))
    relabel = new[rep]
    labels = relabel[spine.labels]
    a, b = relabel[spine.arc_a], relabel[spine.arc_b]
    a, b = np.minimum(a, b), np.maximum(a, b)
    keep = a != b
    a, b = a[keep], b[keep]
    value, saddle, edge = spine.arc_value[keep], spine.arc_saddle[keep], spine.arc_edge[keep]
    height = -value if spine.descending else value
    order = np.lexsort((saddle, -height, b, a))  # highest saddle per pair (ties: lower index)
    a, b, value, saddle, edge = a[order], b[order], value[order], saddle[order], edge[order]
    first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])] if len(a) else np.zeros(0, bool)
    merges = spine.merges_into[kept]
    merges = np.where(merges >= 0, new[np.maximum(rep[np.maximum(merges, 0)], 0)], -1)
    return replace(
        spine,
        extrema=spine.extrema[kept],
        values=spine.values[kept],
        sizes=np.bincount(labels, minlength=len(kept)),
        persistence=spine.persistence[kept],
        merges_into=merges,
        death=spine.death[kept],
        labels=labels,
        arc_a=a[first],
        arc_b=b[first],
        arc_value=value[first],
        arc_saddle=saddle[first],
        arc_edge=edge[first],
    )


def tree_arcs(spine: Spine) -> np.ndarray:
    """Which arcs form the spine's backbone: the maximum spanning forest of the saddles (the
    arcs at which, going down, two groups of basins first meet; ties by saddle index)."""
    height = -spine.arc_value if spine.descending else spine.arc_value
    up = np.arange(spine.count)
    tree = np.zeros(len(spine.arc_a), dtype=bool)
    for arc in np.lexsort((spine.arc_saddle, -height)):
        ra, rb = _find(up, int(spine.arc_a[arc])), _find(up, int(spine.arc_b[arc]))
        if ra != rb:
            up[max(ra, rb)] = min(ra, rb)
            tree[arc] = True
    return tree


def spine_of(
    f: np.ndarray,
    graph: Graph,
    descending: bool = False,
    threshold: float = 0.0,
) -> Spine:
    """The extremum graph of f, simplified at an absolute persistence threshold."""
    spine = extremum_graph(f, graph, descending)
    return simplify(spine, threshold) if threshold > 0 else spine
