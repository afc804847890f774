"""Linear 2-D projections of the latent space and the ranking of axis-aligned views.

Pure numpy / scikit-learn (no dash, no plotly). A projection is an orthonormal basis: a (D, 2)
float64 array B whose columns are the x and y directions; a sample z is drawn at z @ B.

Targets (NDDAV's DynamicProjection):
- `axis_basis(d, i, j)`: latent dims i and j (exactly those unit vectors).
- `pca_basis(latent)`: the top two principal directions of the (visible) samples.
- `aligned_basis(latent, values)`: x is the ridge direction that best predicts a parameter
  linearly from the latent vector; y is the direction of largest remaining variance orthogonal
  to it (the top principal direction of the samples projected off x). That is always defined
  (a second parameter may not exist, or be collinear with the first) and spreads the points
  along the second axis as much as any orthogonal direction can.
- `interpolate(a, b, t)`: the geodesic-like rotation between two bases that the browser animates
  (latent_dash/assets/projection.js does the same computation; this twin is the tested one):
  principal angles between the two planes, each principal vector of A rotated towards its
  partner in B (Givens rotations in the span of the two bases), combined with the in-plane
  rotation that brings the frames into register. Every intermediate frame is orthonormal.
  Two bases of one plane that are mirror images (x and y swapped) need a half turn of one
  axis out of the plane, through a direction orthogonal to both; with only 2 latent dims there
  is none and the frame jumps at the end. In such degenerate cases (equal principal angles)
  the principal vectors are not unique and the browser may take another, equally short path.

Ranking of axis pairs (NDDAV's OptimalAxisAlign / ViewGraph, simplified):
- neighbourhood preservation: for a seeded sample of at most 2,000 anchor samples, the k = 10
  nearest neighbours among all samples in the 2-D view (dims i, j) and in the full latent space;
  the score is the mean Jaccard overlap of those sets (1 = the view keeps every neighbourhood).
- separation (optional): the silhouette of a categorical column in the 2-D view (over a seeded
  sample of at most 800 samples), used for the ranking when a column is chosen.
- similarity between views: the mean of (a) the correlation of their per-anchor overlap
  profiles (which neighbourhoods each view keeps) and (b) the Jaccard overlap of their dim
  pairs; `grid_layout` places views on a grid so that similar views are near each other
  (classical MDS of 1 - similarity, then an optimal assignment of views to grid cells).
Results are cached on disk (compute.cache) by the data, the rows, the seed and parameters; the
neighbourhood scores and a column's separation are cached apart, so picking a column reuses the
neighbourhood part.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from latent_dash.compute import cache

K_NEIGHBOURS = 10
MAX_ANCHORS = 2_000
MAX_SILHOUETTE = 800
RIDGE = 1e-3


# --- bases ----------------------------------------------------------------------------------------


def _sign_fixed(basis: np.ndarray) -> np.ndarray:
    """Each column with its largest-magnitude loading positive (a deterministic orientation)."""
    basis = np.array(basis, dtype=np.float64)
    for c in range(basis.shape[1]):
        if basis[np.argmax(np.abs(basis[:, c])), c] < 0:
            basis[:, c] *= -1
    return basis


def axis_basis(dims: int, i: int, j: int) -> np.ndarray:
    """The projection onto latent dims i (x) and j (y)."""
    if i == j or not (0 <= i < dims and 0 <= j < dims):
        raise ValueError(f"need two different dims below {dims}, got {i} and {j}")
    basis = np.zeros((dims, 2))
    basis[i, 0] = basis[j, 1] = 1.0
    return basis


def _top_directions(centred: np.ndarray, count: int) -> np.ndarray:
    """The `count` leading principal directions (columns) of already centred data."""
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return vt[:count].T


def pca_basis(latent: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """The top two principal directions of the samples `rows` (default: all)."""
    data = np.asarray(latent if rows is None else latent[rows], dtype=np.float64)
    if data.shape[0] < 2 or data.shape[1] < 2:
        raise ValueError("PCA needs at least two samples and two dims")
    return _sign_fixed(_top_directions(data - data.mean(axis=0), 2))


def aligned_direction(
    latent: np.ndarray, values: np.ndarray, rows: np.ndarray | None = None, ridge: float = RIDGE
) -> np.ndarray:
    """The unit latent direction w whose projection best predicts `values` (ridge regression).

    The ridge penalty is relative to the mean latent variance, so it does not depend on scale.
    The sign makes the projection grow with the parameter.
    """
    z = np.asarray(latent if rows is None else latent[rows], dtype=np.float64)
    p = np.asarray(values if rows is None else values[rows], dtype=np.float64)
    keep = np.isfinite(p) & np.all(np.isfinite(z), axis=1)
    z, p = z[keep], p[keep]
    if len(p) < 2 or np.ptp(p) == 0:
        raise ValueError("the parameter is constant (or missing) on these samples")
    z = z - z.mean(axis=0)
    p = p - p.mean()
    gram = z.T @ z
    penalty = ridge * np.trace(gram) / gram.shape[0]
    w = np.linalg.solve(gram + penalty * np.eye(gram.shape[0]), z.T @ p)
    norm = np.linalg.norm(w)
    if norm == 0:
        raise ValueError("the parameter has no linear relation to the latent vectors")
    return w / norm


def aligned_basis(
    latent: np.ndarray, values: np.ndarray, rows: np.ndarray | None = None, ridge: float = RIDGE
) -> np.ndarray:
    """x: the direction that best predicts `values`; y: the largest variance orthogonal to x."""
    x = aligned_direction(latent, values, rows, ridge)
    data = np.asarray(latent if rows is None else latent[rows], dtype=np.float64)
    centred = data - data.mean(axis=0)
    off = centred - np.outer(centred @ x, x)
    y = _top_directions(off, 1)[:, 0]
    y = y - (y @ x) * x  # exact orthogonality despite rounding
    y = _sign_fixed(y[:, None])[:, 0] / np.linalg.norm(y)
    return np.column_stack([x, y])


def is_orthonormal(basis: np.ndarray, tol: float = 1e-8) -> bool:
    basis = np.asarray(basis, dtype=np.float64)
    return bool(np.allclose(basis.T @ basis, np.eye(basis.shape[1]), atol=tol))


def _rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def interpolate(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """The frame a fraction t of the way from basis a to basis b (t=0: a, t=1: b).

    With A^T B = U S V^T (SVD), the principal vectors A U and B V are paired at principal angles
    arccos(S). When U V^T is a reflection, one pair is flipped (its angle becomes obtuse) so that
    the whole path is a rotation. Each principal vector of A turns towards its partner in the
    plane they span; the 2x2 in-plane part turns from U^T to V^T.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if t <= 0:
        return a.copy()
    if t >= 1:
        return b.copy()
    u, s, vt = np.linalg.svd(a.T @ b)
    v = vt.T
    if np.linalg.det(u @ v.T) < 0:
        v[:, 1] *= -1
        s = s * np.array([1.0, -1.0])
    pa, pb = a @ u, b @ v
    frame = np.empty_like(a)
    for k in range(2):
        cos = float(np.clip(s[k], -1.0, 1.0))
        angle = np.arccos(cos)
        towards = pb[:, k] - cos * pa[:, k]
        norm = np.linalg.norm(towards)
        if norm < 1e-9 and cos < 0:  # a mirror flip: turn through a direction off both planes
            towards = _off_both(a, b)
            norm = np.linalg.norm(towards)
        if norm < 1e-9:  # already there (or no room to turn in: jumps at the end)
            frame[:, k] = pa[:, k]
            continue
        frame[:, k] = np.cos(t * angle) * pa[:, k] + np.sin(t * angle) * towards / norm
    in_plane = u @ v.T  # a rotation by phi (det +1 after the flip above)
    phi = np.arctan2(in_plane[1, 0], in_plane[0, 0])
    return frame @ (u.T @ _rotation(phi * t))


def _off_both(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A unit vector orthogonal to the columns of a and b (zero if there is none)."""
    span = np.hstack([a, b])
    for d in np.argsort(np.abs(span).sum(axis=1), kind="stable"):
        e = np.zeros(len(a))
        e[d] = 1.0
        for _ in range(2):
            q, _r = np.linalg.qr(span)
            e = e - q @ (q.T @ e)
        if np.linalg.norm(e) > 1e-6:
            return e / np.linalg.norm(e)
    return np.zeros(len(a))


def basis_label(basis: np.ndarray, names: list[str], top: int = 3, tol: float = 1e-6) -> list[str]:
    """Axis titles: "z3" for an axis-aligned axis, else the top loadings "0.71·z0 + 0.70·z2 …"."""
    labels = []
    for c in range(basis.shape[1]):
        column = np.asarray(basis[:, c], dtype=np.float64)
        order = np.argsort(-np.abs(column), kind="stable")
        if abs(abs(column[order[0]]) - 1) < tol:
            sign = "-" if column[order[0]] < 0 else ""
            labels.append(f"{sign}{names[order[0]]}")
            continue
        terms = []
        for d in order[:top]:
            if abs(column[d]) < 0.005:
                break
            value = f"{abs(column[d]):.2f}·{names[d]}"
            terms.append(value if not terms else ("- " if column[d] < 0 else "+ ") + value)
            if len(terms) == 1 and column[d] < 0:
                terms[0] = "-" + terms[0]
        more = " …" if np.sum(np.abs(column) >= 0.005) > len(terms) else ""
        labels.append(" ".join(terms) + more)
    return labels


# --- ranking of axis pairs ----------------------------------------------------------------------


def anchor_rows(n: int, count: int = MAX_ANCHORS, seed: int = 0) -> np.ndarray:
    """A fixed random sample of at most `count` of n positions (sorted)."""
    if n <= count:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, count, replace=False))


def _without_self(found: np.ndarray, anchors: np.ndarray, k: int) -> np.ndarray:
    """The k first neighbours of each anchor other than itself (from k + 1 found)."""
    order = np.argsort(found == anchors[:, None], axis=1, kind="stable")
    return np.take_along_axis(found, order, axis=1)[:, :k]


def neighbour_sets(points: np.ndarray, anchors: np.ndarray, k: int) -> np.ndarray:
    """(len(anchors), k) indices of each anchor's k nearest other points."""
    from sklearn.neighbors import KDTree, NearestNeighbors

    points = np.ascontiguousarray(points, dtype=np.float64)
    kk = min(k + 1, len(points))
    if points.shape[1] <= 3:
        tree = KDTree(points, leaf_size=30)
        found = tree.query(points[anchors], k=kk, return_distance=False)
    else:
        search = NearestNeighbors(n_neighbors=kk, algorithm="brute").fit(points)
        found = search.kneighbors(points[anchors], return_distance=False)
    return _without_self(found, anchors, min(k, len(points) - 1))


def overlap(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per-row Jaccard overlap of two (m, k) neighbour-index sets."""
    common = (first[:, :, None] == second[:, None, :]).sum(axis=(1, 2))
    return common / (first.shape[1] + second.shape[1] - common)


def _codes(labels: np.ndarray) -> np.ndarray:
    return np.unique(np.asarray(labels).astype(str), return_inverse=True)[1]


def all_pairs(dims: int) -> np.ndarray:
    """(P, 2) every pair i < j of `dims` dims, in order."""
    return np.array(list(combinations(range(dims), 2)), dtype=np.int64).reshape(-1, 2)


def neighbourhood_scores(
    latent: np.ndarray, k: int = K_NEIGHBOURS, anchors: int = MAX_ANCHORS, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(neighbourhood score, view similarity) of every pair of all_pairs order.

    The score of pair (i, j) is the mean over the anchors of the Jaccard overlap between the k
    nearest neighbours in the view (dims i, j) and in the full latent space.
    """
    z = np.asarray(latent, dtype=np.float64)
    n, dims = z.shape
    if dims < 2 or n < 3:
        raise ValueError("ranking needs at least 3 samples and 2 dims")
    k = min(k, n - 1)
    where = anchor_rows(n, anchors, seed)
    full = neighbour_sets(z, where, k)
    pairs = all_pairs(dims)
    profiles = np.empty((len(pairs), len(where)))
    for p, (i, j) in enumerate(pairs):
        profiles[p] = overlap(neighbour_sets(z[:, [i, j]], where, k), full)
    return profiles.mean(axis=1), view_similarity(pairs, profiles)


def separation_scores(latent: np.ndarray, labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """Silhouette of the label classes in every pair view (all_pairs order); NaN if undefined.

    Over a fixed random sample of at most MAX_SILHOUETTE samples.
    """
    z = np.asarray(latent, dtype=np.float64)
    n, dims = z.shape
    pairs = all_pairs(dims)
    separation = np.full(len(pairs), np.nan)
    codes = _codes(labels)
    sample = anchor_rows(n, MAX_SILHOUETTE, seed + 1)
    if len(np.unique(codes[sample])) < 2 or len(np.unique(codes)) >= n:
        return separation
    for p, (i, j) in enumerate(pairs):
        separation[p] = silhouette(z[np.ix_(sample, [i, j])], codes[sample])
    return separation


def ordered(
    neighbourhood: np.ndarray, similarity: np.ndarray, separation: np.ndarray | None
) -> dict[str, np.ndarray]:
    """The ranking: pairs best first by separation when given (and defined), else neighbourhood.

    Returns {"pairs": (P, 2) int, "neighbourhood": (P,), "separation": (P,) (NaN without
    labels), "score": (P,) the ranking score, "similarity": (P, P) view similarity}.
    """
    count = len(neighbourhood)
    dims = round(float((1 + np.sqrt(1 + 8 * count)) / 2))
    pairs = all_pairs(dims)
    if separation is None:
        separation = np.full(count, np.nan)
    score = separation if np.isfinite(separation).any() else neighbourhood
    order = np.lexsort((np.arange(count), -np.nan_to_num(score, nan=-np.inf)))
    return {
        "pairs": pairs[order],
        "neighbourhood": neighbourhood[order],
        "separation": separation[order],
        "score": score[order],
        "similarity": similarity[np.ix_(order, order)],
    }


def rank_pairs(
    latent: np.ndarray,
    labels: np.ndarray | None = None,
    k: int = K_NEIGHBOURS,
    anchors: int = MAX_ANCHORS,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Score every pair (i < j) of latent dims; best first (see `ordered`). Not cached."""
    neighbourhood, similarity = neighbourhood_scores(latent, k, anchors, seed)
    separation = None if labels is None else separation_scores(latent, labels, seed)
    return ordered(neighbourhood, similarity, separation)


def silhouette(points: np.ndarray, codes: np.ndarray) -> float:
    """Mean silhouette of class codes in a 2-D view (Euclidean), as sklearn's silhouette_score.

    Dense and without BLAS (m x m distances, class sums by reduceat over class-sorted columns):
    a few ms for the at most MAX_SILHOUETTE samples it is used on, and no thread contention
    on a busy machine.
    """
    points = np.asarray(points, dtype=np.float64)
    _, codes = np.unique(codes, return_inverse=True)
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    p = (points[order] - points.mean(axis=0)).astype(np.float32)
    distances = np.hypot(p[:, None, 0] - p[None, :, 0], p[:, None, 1] - p[None, :, 1])
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sums = np.add.reduceat(distances, starts, axis=1).astype(np.float64)  # (m, classes)
    sizes = np.diff(np.r_[starts, len(codes)]).astype(np.float64)
    m = len(codes)
    own = sizes[codes] - 1
    a = np.where(own > 0, sums[np.arange(m), codes] / np.maximum(own, 1), 0.0)
    means = sums / sizes
    means[np.arange(m), codes] = np.inf
    b = means.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(own > 0, (b - a) / np.maximum(a, b), 0.0)
    return float(np.nan_to_num(values).mean())


def view_similarity(pairs: np.ndarray, profiles: np.ndarray) -> np.ndarray:
    """(P, P) in [-1, 1]: mean of the profiles' correlation and the dim pairs' Jaccard overlap."""
    spread = profiles - profiles.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(spread, axis=1)
    norms[norms == 0] = 1.0
    unit = spread / norms[:, None]
    correlation = unit @ unit.T
    shared = (pairs[:, None, :, None] == pairs[None, :, None, :]).sum(axis=(2, 3))
    jaccard = shared / (4 - shared)
    similarity = 0.5 * (correlation + jaccard)
    np.fill_diagonal(similarity, 1.0)
    return similarity


def ranked_pairs(
    latent: np.ndarray,
    rows: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    label_name: str | None = None,
    k: int = K_NEIGHBOURS,
    anchors: int = MAX_ANCHORS,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """rank_pairs of the samples `rows` (default: all), cached on disk.

    The key is the fingerprint of the whole `latent` (remembered per array: pass the dataset's
    own array) with digests of `rows` and the label codes (not remembered: they change with
    every filter).
    """
    data = np.ascontiguousarray(latent if rows is None else latent[rows], dtype=np.float32)
    chosen = "all" if rows is None else cache.content_hash(np.asarray(rows))
    base = [cache.fingerprint(latent), chosen]
    params = {"k": k, "anchors": anchors, "seed": seed, "version": 1}
    key = cache.result_key("viewgraph-neighbourhood", params, *base)
    hit = cache.load(key)
    if hit is None:
        hit = np.column_stack(neighbourhood_scores(data, k, anchors, seed))
        cache.save(key, hit)
    neighbourhood, similarity = hit[:, 0], hit[:, 1:]
    separation = None
    if labels is not None:
        codes = _codes(np.asarray(labels if rows is None else labels[rows]))
        params = {"seed": seed, "sample": MAX_SILHOUETTE, "labels": label_name, "version": 1}
        key = cache.result_key("viewgraph-separation", params, *base, cache.content_hash(codes))
        separation = cache.load(key)
        if separation is None:
            separation = separation_scores(data, codes, seed)
            cache.save(key, separation)
    return ordered(neighbourhood, similarity, separation)


# --- layout of views --------------------------------------------------------------------------


def classical_mds(dissimilarity: np.ndarray, dims: int = 2) -> np.ndarray:
    """Classical (Torgerson) MDS coordinates of a symmetric dissimilarity matrix."""
    d2 = np.asarray(dissimilarity, dtype=np.float64) ** 2
    m = len(d2)
    centre = np.eye(m) - np.full((m, m), 1.0 / m)
    gram = -0.5 * centre @ d2 @ centre
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1][:dims]
    coords = vectors[:, order] * np.sqrt(np.clip(values[order], 0, None))
    if coords.shape[1] < dims:
        coords = np.hstack([coords, np.zeros((m, dims - coords.shape[1]))])
    return _sign_fixed(coords.T).T if m else coords


def grid_layout(similarity: np.ndarray, columns: int | None = None) -> np.ndarray:
    """(P, 2) integer (row, column) cells: similar views in nearby cells.

    Views are placed by classical MDS of 1 - similarity, then matched to the cells of a grid
    (`columns` wide, default about square) by a minimum-cost assignment of positions to cells.
    """
    from scipy.optimize import linear_sum_assignment

    count = len(similarity)
    if count == 0:
        return np.zeros((0, 2), dtype=np.int64)
    columns = columns or int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    coords = classical_mds(np.clip(1.0 - np.asarray(similarity), 0, None))
    spread = coords.max(axis=0) - coords.min(axis=0)
    spread[spread == 0] = 1.0
    unit = (coords - coords.min(axis=0)) / spread  # in [0, 1]^2; x -> columns, y -> rows
    cells = np.array([(r, c) for r in range(rows) for c in range(columns)], dtype=np.int64)
    centres = np.column_stack([(cells[:, 1] + 0.5) / columns, (cells[:, 0] + 0.5) / rows])
    cost = ((unit[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    views, chosen = linear_sum_assignment(cost)
    placed = np.zeros((count, 2), dtype=np.int64)
    placed[views] = cells[chosen]
    return placed
