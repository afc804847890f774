"""New instances by sampling the latent space: a density fitted to the latent vectors, drawn from.

A decoder turns a latent vector into an instance; this module supplies vectors that look like
the data's (all samples, or the current selection) without being copies of them:

- `fit_density`: a scikit-learn GaussianMixture with full covariances, its number of components
  chosen by BIC (`components="auto"`) among 1..`MAX_COMPONENTS`, capped by the rows. At most
  `MAX_ROWS` rows are used (a seeded random sample above that) so a fit stays about a second.
  The latent is standardised first, so `REG_COVAR` is relative to each dim's variance. Wide
  latents (more than `MAX_FIT_DIMS` dims) are rotated onto their principal axes: the mixture
  models the leading `MAX_FIT_DIMS` of them, the remaining directions are one Gaussian with
  their own variances (a full-covariance mixture in 256 dims took over a minute and had far
  more parameters than a selection has samples).
- `draw`: `count` new latent points from a fitted density, deterministic for a seed.
- `nearest_real`: the nearest real samples of given points (scikit-learn NearestNeighbors).
- `sample_latent`: all of it, plus a novelty ratio per point: its distance to the nearest real
  sample over the median nearest-neighbour distance among the real samples. About 0: a copy of
  a sample; about 1: as far from the data as samples are from each other; well above 1: far
  from anything seen (the decoder is extrapolating).

Indices returned are positions in the latent array (0..N-1); a page shows `Dataset.file_rows`
of them. `cached_sample_latent` keeps results in compute.cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from latent_dash.compute.cache import cached_result, content_hash

MAX_ROWS = 20_000  # rows a density is fitted to: a seeded random sample above that
BIC_ROWS = 5_000  # rows the number of components is chosen on (BIC), before the final fit
MAX_COMPONENTS = 6  # components="auto" tries 1..this many (fewer when rows are few)
ROWS_PER_COMPONENT = 10  # "auto" allows a component per this many rows per fitted dim
MAX_FIT_DIMS = 16  # dims the mixture models; the rest of a wider latent is one Gaussian
REG_COVAR = 1e-4  # added to each covariance's diagonal, in units of a dim's variance
MAX_ITER = 200
MAX_COUNT = 10_000  # points one call may draw
NOVELTY_QUERIES = 300  # real samples whose nearest-neighbour distance sets the novelty scale
METRICS = ("euclidean", "manhattan", "cosine")
VERSION = 1  # bump when a result would change for the same inputs

single_blas_thread = threadpool_limits.wrap(limits=1, user_api="blas")


@dataclass(frozen=True, eq=False)
class Density:
    """A fitted latent density: standardise, rotate, mixture on the leading dims."""

    mixture: GaussianMixture  # over the leading `fitted_dims` rotated dims
    mean: np.ndarray  # (D,) of the rows fitted
    scale: np.ndarray  # (D,) their standard deviations, 0 for a constant dim
    basis: np.ndarray  # (D, D) principal axes of the standardised rows, in columns
    rest_var: np.ndarray  # (D - fitted_dims,) variances along the axes not in the mixture
    rows: int  # how many rows were fitted
    bic: dict[int, float] = field(default_factory=dict)  # components -> BIC, when "auto"

    @property
    def dims(self) -> int:
        return len(self.mean)

    @property
    def fitted_dims(self) -> int:
        return self.dims - len(self.rest_var)

    @property
    def components(self) -> int:
        return int(self.mixture.n_components)


class Samples(NamedTuple):
    """What `sample_latent` returns, one entry per drawn point."""

    points: np.ndarray  # (count, D) float64 new latent vectors
    nearest: np.ndarray  # (count,) int64 position of the nearest real sample
    distance: np.ndarray  # (count,) float64 distance to it
    novelty: np.ndarray  # (count,) distance / median nearest-neighbour distance of real samples


def _rows(rows: np.ndarray | list[int] | None, n: int) -> np.ndarray:
    if rows is None:
        return np.arange(n)
    rows = np.asarray(rows)
    if rows.dtype == np.bool_:
        if rows.shape != (n,):
            raise ValueError(f"the row mask has {rows.size} entries, not {n}")
        return np.flatnonzero(rows)
    return np.asarray(rows, dtype=np.int64)


def min_rows(dims: int) -> int:
    """The fewest rows a density of a `dims`-D latent is fitted to."""
    return max(2, min(dims, MAX_FIT_DIMS) + 1)


def _subsample(rows: np.ndarray, cap: int, seed: int) -> np.ndarray:
    if len(rows) <= cap:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, cap, replace=False))


def _candidates(components: int | str, rows: int, fitted_dims: int) -> list[int]:
    if components == "auto":
        most = min(MAX_COMPONENTS, max(1, rows // (ROWS_PER_COMPONENT * (fitted_dims + 1))))
        return list(range(1, most + 1))
    if isinstance(components, bool) or not isinstance(components, int | np.integer):
        raise ValueError(f"components must be 'auto' or a whole number, not {components!r}")
    if not 1 <= components <= rows // 2:
        raise ValueError(
            f"{components} components cannot be fitted to {rows} samples: choose 1 to "
            f"{max(1, rows // 2)}, or 'auto'"
        )
    return [int(components)]


def _mixture(k: int, seed: int) -> GaussianMixture:
    return GaussianMixture(
        k, covariance_type="full", reg_covar=REG_COVAR, max_iter=MAX_ITER, random_state=seed
    )


@single_blas_thread
def fit_density(
    Z: np.ndarray,
    rows: np.ndarray | list[int] | None = None,
    components: int | Literal["auto"] = "auto",
    seed: int = 0,
) -> Density:
    """A Gaussian mixture fitted to the latent vectors of `rows` (None: all samples).

    Raises ValueError (saying what to do) when there are too few rows or they are not finite.
    """
    Z = np.asarray(Z)
    if Z.ndim != 2:
        raise ValueError(f"the latent must be a 2-D (samples, dims) array, not shape {Z.shape}")
    n, dims = Z.shape
    rows = _rows(rows, n)
    need = min_rows(dims)
    if len(rows) < need:
        raise ValueError(
            f"{len(rows)} sample{'s' * (len(rows) != 1)} cannot define a density in {dims} "
            f"dims: select at least {need} samples, or sample from all of them"
        )
    used = _subsample(rows, MAX_ROWS, seed)
    x = np.asarray(Z[used], dtype=np.float64)
    if not np.isfinite(x).all():
        raise ValueError("the latent vectors hold NaN or inf values: drop those samples first")
    mean, scale = x.mean(axis=0), x.std(axis=0)
    xs = (x - mean) / np.where(scale > 0, scale, 1.0)
    fitted = min(dims, MAX_FIT_DIMS)
    if fitted < dims:
        variances, basis = np.linalg.eigh(xs.T @ xs / len(xs))
        variances, basis = np.clip(variances[::-1], 0.0, None), basis[:, ::-1]
        y = xs @ basis
    else:
        basis, variances, y = np.eye(dims), np.zeros(dims), xs
    lead = y[:, :fitted]
    candidates = _candidates(components, len(used), fitted)
    bic: dict[int, float] = {}
    if len(candidates) > 1:
        probe = lead[_subsample(np.arange(len(lead)), BIC_ROWS, seed + 1)]
        for k in candidates:
            bic[k] = float(_mixture(k, seed).fit(probe).bic(probe))
        best = min(bic, key=lambda k: (bic[k], k))
    else:
        best = candidates[0]
    mixture = _mixture(best, seed).fit(lead)
    return Density(mixture, mean, scale, basis, variances[fitted:], len(used), bic)


def draw(model: Density, count: int, seed: int = 0) -> np.ndarray:
    """(count, D) float64 new latent points drawn from a fitted density."""
    if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 0:
        raise ValueError(f"count must be a whole number of points, not {count!r}")
    if count > MAX_COUNT:
        raise ValueError(f"at most {MAX_COUNT} points can be drawn at once, not {count}")
    rng = np.random.default_rng(seed)
    gm = model.mixture
    which = rng.choice(gm.n_components, size=count, p=gm.weights_ / gm.weights_.sum())
    lead = np.empty((count, model.fitted_dims))
    for k in range(gm.n_components):
        take = which == k
        chol = np.linalg.cholesky(gm.covariances_[k])
        lead[take] = gm.means_[k] + rng.standard_normal((int(take.sum()), len(chol))) @ chol.T
    rest = rng.standard_normal((count, len(model.rest_var))) * np.sqrt(model.rest_var)
    y = np.hstack([lead, rest])
    points = model.mean + (y @ model.basis.T) * model.scale  # a constant dim stays constant
    return points


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")


def nearest_real(
    Z: np.ndarray,
    points: np.ndarray,
    k: int = 1,
    metric: str = "euclidean",
    rows: np.ndarray | list[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(indices (m, k) int64, distances (m, k) float64): the k nearest real samples of each point.

    Searched among `rows` (None: all samples); indices are positions in Z, nearest first.
    """
    _check_metric(metric)
    Z = np.asarray(Z)
    rows = _rows(rows, len(Z))
    points = np.atleast_2d(np.asarray(points, dtype=np.float64))
    if points.shape[1] != Z.shape[1]:
        raise ValueError(f"the points have {points.shape[1]} dims, the latent {Z.shape[1]}")
    if not 1 <= k <= len(rows):
        raise ValueError(f"k must be 1 to {len(rows)} (the samples searched), not {k}")
    if len(points) == 0:
        return np.zeros((0, k), dtype=np.int64), np.zeros((0, k))
    search = NearestNeighbors(n_neighbors=k, metric=metric, n_jobs=1)
    search.fit(np.asarray(Z[rows], dtype=np.float64))
    distance, found = search.kneighbors(points)
    return rows[found].astype(np.int64), distance.astype(np.float64)


def _median_other(
    Z: np.ndarray, probe: np.ndarray, found: np.ndarray, distance: np.ndarray
) -> float:
    """The median distance from each probed sample to its nearest neighbour other than itself.

    The sample itself is among its neighbours (at 0, or a rounding error from it): it and its
    copies (closer than a millionth of the data's spread) are skipped.
    """
    spread = float(np.sqrt(np.var(np.asarray(Z[probe], dtype=np.float64), axis=0).sum()))
    other = (found != probe[:, None]) & (distance > 1e-6 * spread)
    first = np.where(other, distance, np.inf).min(axis=1)
    first = first[np.isfinite(first)]
    return float(np.median(first)) if len(first) else float("nan")


def nn_scale(
    Z: np.ndarray,
    rows: np.ndarray | list[int] | None = None,
    metric: str = "euclidean",
    seed: int = 0,
    queries: int = NOVELTY_QUERIES,
) -> float:
    """The median distance from a real sample to its nearest other real sample among `rows`.

    Estimated on `queries` seeded samples. Copies of a sample are left out, so duplicates do
    not make it 0; NaN when there are fewer than 2 distinct samples.
    """
    Z = np.asarray(Z)
    rows = _rows(rows, len(Z))
    if len(rows) < 2:
        return float("nan")
    probe = _subsample(rows, queries, seed)
    found, distance = nearest_real(Z, Z[probe], min(len(rows), 3), metric, rows)
    return _median_other(Z, probe, found, distance)


def novelty(
    Z: np.ndarray,
    points: np.ndarray,
    rows: np.ndarray | list[int] | None = None,
    metric: str = "euclidean",
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(nearest position, distance, novelty ratio) of each point against the real `rows`.

    The ratio is the distance over `nn_scale` (NaN when that is undefined); one search serves
    both, so the index over the real samples is built once.
    """
    Z = np.asarray(Z)
    rows = _rows(rows, len(Z))
    points = np.atleast_2d(np.asarray(points, dtype=np.float64))
    if points.shape[1] != Z.shape[1]:
        raise ValueError(f"the points have {points.shape[1]} dims, the latent {Z.shape[1]}")
    probe = _subsample(rows, NOVELTY_QUERIES, seed)
    k = min(len(rows), 3)
    found, distance = nearest_real(Z, np.vstack([points, Z[probe]]), k, metric, rows)
    m = len(points)
    scale = _median_other(Z, probe, found[m:], distance[m:]) if len(rows) > 1 else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = distance[:m, 0] / scale
    return found[:m, 0], distance[:m, 0], ratio


def sample_latent(
    Z: np.ndarray,
    rows: np.ndarray | list[int] | None = None,
    count: int = 16,
    seed: int = 0,
    components: int | Literal["auto"] = "auto",
    metric: str = "euclidean",
) -> Samples:
    """`count` new latent points drawn from the density of `rows`, with how new each one is."""
    _check_metric(metric)
    model = fit_density(Z, rows, components, seed)
    points = draw(model, count, seed)
    nearest, distance, ratio = novelty(Z, points, rows, metric, seed)
    return Samples(points, nearest, distance, ratio)


def cached_sample_latent(
    Z: np.ndarray,
    rows: np.ndarray | list[int] | None = None,
    count: int = 16,
    seed: int = 0,
    components: int | Literal["auto"] = "auto",
    metric: str = "euclidean",
) -> tuple[str, Samples]:
    """(key, samples) of `sample_latent`, from the result cache when drawn before.

    Pass the dataset's own latent array (its fingerprint is computed once per array object).
    """
    rows = None if rows is None else _rows(rows, len(Z))
    params = {
        "version": VERSION,
        "rows": None if rows is None else content_hash(rows),
        "count": int(count),
        "seed": int(seed),
        "components": components,
        "metric": metric,
        "limits": [MAX_ROWS, BIC_ROWS, MAX_COMPONENTS, MAX_FIT_DIMS, REG_COVAR, NOVELTY_QUERIES],
    }

    def compute() -> np.ndarray:
        s = sample_latent(Z, rows, count, seed, components, metric)
        return np.column_stack([s.points, s.nearest, s.distance, s.novelty])

    key, table = cached_result("sampling.sample_latent", params, Z, compute)
    dims = table.shape[1] - 3
    samples = Samples(
        table[:, :dims], table[:, dims].astype(np.int64), table[:, dims + 1], table[:, dims + 2]
    )
    return key, samples
