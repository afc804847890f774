"""Readable parallel coordinates for wide latents: which dims to show first, and how many fit.

A latent of hundreds of dims drawn as hundreds of parcoords axes is unreadable; the view shows
the first `axes_that_fit` of an order from `rank_dims`:

- by "variance": the dims that vary most first (dead or nearly constant units last);
- by "relation" to a target column: the dims that carry most about it first. A numeric target
  by |Spearman rank correlation| (any monotone relation); a categorical target by the ANOVA F
  statistic of the dim's ranks between the categories (the Kruskal-Wallis idea: rank-based, so
  it agrees with Spearman in being blind to monotone rescaling of a dim, and O(N D) cheap
  where mutual information costs a k-nearest-neighbour search per dim).

Rows whose target is missing are ignored; at most `MAX_ROWS` rows are used (a seeded random
sample). Ties and undefined scores (a constant dim, a constant target) fall back on variance,
so the order is always complete and deterministic.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.feature_selection import f_classif

MAX_ROWS = 20_000  # rows used to rank dims: a seeded random sample above that
MIN_ROWS = 3  # fewer rows with a target value: the relation is undefined (variance order)
By = Literal["variance", "relation"]


def _sample(rows: np.ndarray, cap: int, seed: int) -> np.ndarray:
    if len(rows) <= cap:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, cap, replace=False))


def _is_categorical(target: np.ndarray) -> bool:
    return not pd.api.types.is_numeric_dtype(target) or pd.api.types.is_bool_dtype(target)


def _variance(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.nanvar(x, axis=0) if len(x) else np.full(x.shape[1], np.nan)


def _spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|Spearman| of every column of x (n, D) with y (n,); NaN where either is constant."""
    xr = rankdata(x, axis=0) - (len(x) + 1) / 2
    yr = rankdata(y) - (len(y) + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xr.T @ yr) / np.sqrt((xr * xr).sum(axis=0) * (yr @ yr))
    return np.abs(r)


def _anova(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """ANOVA F of every column's ranks between the label groups; NaN when undefined."""
    _, codes = np.unique(labels, return_inverse=True)
    if codes.max(initial=0) < 1 or len(x) - codes.max() - 1 < 1:
        return np.full(x.shape[1], np.nan)  # one group, or no rows left for the within-variance
    with np.errstate(invalid="ignore", divide="ignore"):
        f, _ = f_classif(rankdata(x, axis=0), codes)
    return np.where(np.isfinite(f), f, np.nan)


def dim_scores(
    Z: np.ndarray,
    by: By = "variance",
    target: np.ndarray | pd.Series | None = None,
    categorical: bool | None = None,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
) -> np.ndarray:
    """(D,) float64: each dim's score for `rank_dims` (higher first); NaN where undefined.

    `categorical` says how to treat the target; None: text and booleans are categories,
    numbers are numeric (pass `Column.categorical` for integer labels).
    """
    Z = np.asarray(Z)
    if Z.ndim != 2:
        raise ValueError(f"the latent must be a 2-D (samples, dims) array, not shape {Z.shape}")
    if by == "variance":
        rows = _sample(np.arange(len(Z)), max_rows, seed)
        return _variance(np.asarray(Z[rows], dtype=np.float64))
    if by != "relation":
        raise ValueError(f"unknown order {by!r}; choose 'variance' or 'relation'")
    if target is None:
        raise ValueError("ordering by relation needs a target column: choose one")
    values = target.to_numpy() if isinstance(target, pd.Series) else np.asarray(target)
    if values.shape != (len(Z),):
        raise ValueError(f"the target has shape {values.shape}, the latent {len(Z)} rows")
    if categorical is None:
        categorical = _is_categorical(values)
    if categorical:
        present = ~pd.isna(values)
    else:
        values = np.asarray(values, dtype=np.float64)
        present = np.isfinite(values)
    rows = _sample(np.flatnonzero(present), max_rows, seed)
    x = np.asarray(Z[rows], dtype=np.float64)
    finite = np.isfinite(x).all(axis=1)  # a latent row with NaN (not loaded ones) is left out
    rows, x = rows[finite], x[finite]
    if len(rows) < MIN_ROWS:
        return np.full(Z.shape[1], np.nan)
    if categorical:
        return _anova(x, np.asarray(values[rows]).astype(str))
    return _spearman(x, values[rows])


def rank_dims(
    Z: np.ndarray,
    by: By = "variance",
    target: np.ndarray | pd.Series | None = None,
    categorical: bool | None = None,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
) -> np.ndarray:
    """(D,) int64: every dim's index, the most telling first (see `dim_scores`).

    Undefined scores go last; ties and undefined scores are broken by variance, then by index.
    """
    score = dim_scores(Z, by, target, categorical, seed, max_rows)
    variance = score if by == "variance" else dim_scores(Z, "variance", seed=seed)
    primary = np.where(np.isnan(score), -np.inf, score)
    secondary = np.where(np.isnan(variance), -np.inf, variance)
    # lexsort sorts by the last key first; negate for descending, index last for stability
    return np.lexsort((np.arange(len(score)), -secondary, -primary)).astype(np.int64)


def axes_that_fit(
    width_px: float | None, min_spacing_px: float = 40, low: int = 2, high: int = 60
) -> int:
    """How many parcoords axes fit in `width_px` with `min_spacing_px` between neighbours.

    n axes span n - 1 gaps; the count is clipped to [low, high]. An unknown or unusable width
    (None, NaN, not positive) gives `low`.
    """
    if low < 1 or high < low:
        raise ValueError(f"need 1 <= low <= high, not low={low}, high={high}")
    if min_spacing_px <= 0:
        raise ValueError(f"the spacing must be positive, not {min_spacing_px}")
    try:
        width = float(width_px)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return low
    if not math.isfinite(width) or width <= 0:
        return low
    return int(min(high, max(low, math.floor(width / min_spacing_px) + 1)))
