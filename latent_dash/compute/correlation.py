"""How each latent dim relates to the physical parameters and metadata (NDDAV's "FuncDistance").

Two answers, both over all samples or over a subset of rows (the current selection):

- `association`: a (D, T) matrix, latent dims against targets (parameters and numeric metadata
  columns), by Pearson correlation, Spearman rank correlation or mutual information (scikit-learn's
  k-nearest-neighbour estimator, in nats). Mutual information uses at most `MI_MAX_ROWS` rows (a
  seeded random sample of them above that): its estimator costs O(n log n) per (dim, target) pair
  and is already stable at a few thousand samples.
- `encoding_r2`: for each target, the cross-validated R^2 of predicting it from the WHOLE latent
  vector with ridge regression (latent standardised on each training fold, the ridge penalty of
  each target chosen on the training fold by closed-form leave-one-out error, as RidgeCV does;
  `CV_FOLDS` shuffled, seeded folds); (T, 2) of mean and standard deviation over the folds:
  which physical inputs the latent space encodes, and how linearly.

Targets are given as one float64 matrix (N, T) in which NaN marks a missing value: each target
uses the rows where it is present. An undefined value (a constant column, too few rows) is NaN.
`cached_association` / `cached_encoding_r2` store results in compute.cache, keyed by the latent's
fingerprint, a hash of the targets and rows, the method and its parameters.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.stats import rankdata
from sklearn.feature_selection import mutual_info_regression
from sklearn.model_selection import KFold
from threadpoolctl import threadpool_limits

from latent_dash.compute.cache import cached_result, content_hash

Measure = Literal["pearson", "spearman", "mi"]
MEASURES: dict[str, str] = {
    "pearson": "Pearson correlation",
    "spearman": "Spearman rank correlation",
    "mi": "Mutual information",
}
MI_MAX_ROWS = 5_000  # mutual information above this many rows: a seeded random sample of them
MI_NEIGHBORS = 3  # scikit-learn's default k of the Kraskov estimator
CV_FOLDS = 5
RIDGE_ALPHAS = np.logspace(-3, 3, 13)
MIN_ROWS = 2 * CV_FOLDS  # fewer rows than this: every value is undefined (NaN)
VERSION = 1  # bump when a result would change for the same inputs

# The products here are tall and thin (n x D with D ~ 10): threads gain little on them, and on a
# busy machine OpenBLAS's threads wait for each other (measured with other work running: R^2 at
# N = 50,000 took 0.8-1.0 s on one BLAS thread against 4-9 s on the default two).
single_blas_thread = threadpool_limits.wrap(limits=1, user_api="blas")


def _digest(array: np.ndarray | None) -> str | None:
    return None if array is None else content_hash(array)


def _rows(rows: np.ndarray | list[int] | None, n: int) -> np.ndarray:
    return np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)


def _pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of every column of a (n, D) with b (n,); NaN where one is constant."""
    constant = (np.ptp(a, axis=0) == 0) | (np.ptp(b) == 0)
    a = a - a.mean(axis=0)
    b = b - b.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a.T @ b) / np.sqrt((a * a).sum(axis=0) * (b @ b))
    r[constant] = np.nan
    return np.clip(r, -1.0, 1.0)


def mi_sample(count: int, cap: int = MI_MAX_ROWS, seed: int = 0) -> np.ndarray:
    """Positions (sorted) among `count` rows that mutual information uses: all, or `cap`."""
    if count <= cap:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, cap, replace=False))


@single_blas_thread
def association(
    latent: np.ndarray,
    targets: np.ndarray,
    measure: Measure = "pearson",
    rows: np.ndarray | list[int] | None = None,
    seed: int = 0,
    mi_max_rows: int = MI_MAX_ROWS,
) -> np.ndarray:
    """(D, T) float64: each latent dim against each target over `rows` (None: all samples)."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    targets = np.asarray(targets, dtype=np.float64).reshape(len(latent), -1)
    rows = _rows(rows, len(latent))
    x_all = np.asarray(latent[rows], dtype=np.float64)
    y_all = targets[rows]
    out = np.full((x_all.shape[1], y_all.shape[1]), np.nan)
    ranked = rankdata(x_all, axis=0) if measure == "spearman" else None
    for j in range(y_all.shape[1]):
        present = np.isfinite(y_all[:, j])
        if present.sum() < MIN_ROWS:
            continue
        complete = bool(present.all())
        x, y = x_all[present], y_all[present, j]
        if measure == "pearson":
            out[:, j] = _pearson(x, y)
        elif measure == "spearman":
            xr = ranked if complete else rankdata(x, axis=0)
            out[:, j] = _pearson(xr, rankdata(y))
        else:
            if np.ptp(y) == 0:
                continue
            keep = mi_sample(len(y), mi_max_rows, seed)
            values = mutual_info_regression(
                x[keep], y[keep], n_neighbors=MI_NEIGHBORS, random_state=seed
            )
            spread = np.ptp(x[keep], axis=0) > 0
            out[:, j] = np.where(spread, values, np.nan)
    return out


def _ridge(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ridge fit of y (n, T) on x (n, D), standardised; the penalty chosen per target.

    The penalty of each target is the one of RIDGE_ALPHAS with the smallest leave-one-out error,
    in closed form from one eigendecomposition of x'x (what RidgeCV does, but O(n D^2) instead
    of seconds at n = 10,000). Returns (mean, std of x, coefficients (D, T)); the intercept is
    the mean of y, the prediction `((x - mean) / std) @ coef + y.mean(0)`.
    """
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    xs = (x - mean) / std
    yc = y - y.mean(axis=0)
    eigval, eigvec = np.linalg.eigh(xs.T @ xs)
    eigval = np.clip(eigval, 0.0, None)
    u = xs @ eigvec  # (n, D)
    uy = u.T @ yc  # (D, T)
    u2 = u * u
    best = np.full(y.shape[1], np.inf)
    shrink = np.zeros((len(eigval), y.shape[1]))
    for alpha in RIDGE_ALPHAS:
        d = 1.0 / (eigval + alpha)
        leverage = u2 @ d + 1.0 / len(x)  # diagonal of the hat matrix, intercept included
        residual = (yc - u @ (d[:, None] * uy)) / (1.0 - leverage)[:, None]
        error = (residual * residual).mean(axis=0)
        better = error < best
        best[better] = error[better]
        shrink[:, better] = d[:, None]
    return mean, std, eigvec @ (shrink * uy)


def _r2_folds(x: np.ndarray, y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """(folds, T): R^2 on each held-out fold of the ridge fit of y (n, T) on x (n, D)."""
    scores = np.full((folds, y.shape[1]), np.nan)
    for k, (train, test) in enumerate(KFold(folds, shuffle=True, random_state=seed).split(x)):
        mean, std, coef = _ridge(x[train], y[train])
        predicted = ((x[test] - mean) / std) @ coef + y[train].mean(axis=0)
        total = ((y[test] - y[test].mean(axis=0)) ** 2).sum(axis=0)
        error = ((y[test] - predicted) ** 2).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            scores[k] = np.where(total > 0, 1.0 - error / total, np.nan)
    return scores


@single_blas_thread
def encoding_r2(
    latent: np.ndarray,
    targets: np.ndarray,
    rows: np.ndarray | list[int] | None = None,
    folds: int = CV_FOLDS,
    seed: int = 0,
) -> np.ndarray:
    """(T, 2) float64: cross-validated R^2 (mean, std over folds) of each target from the latent.

    Targets without missing values are fitted together (one decomposition per fold); each
    target with missing values on its own rows.
    """
    targets = np.asarray(targets, dtype=np.float64).reshape(len(latent), -1)
    rows = _rows(rows, len(latent))
    x_all = np.asarray(latent[rows], dtype=np.float64)
    y_all = targets[rows]
    out = np.full((y_all.shape[1], 2), np.nan)
    present = np.isfinite(y_all)
    complete = np.flatnonzero(present.all(axis=0))
    groups = [(np.ones(len(rows), dtype=bool), complete)] if len(complete) else []
    groups += [(present[:, j], np.array([j])) for j in np.flatnonzero(~present.all(axis=0))]
    for keep, columns in groups:
        if keep.sum() < max(MIN_ROWS, 2 * folds):
            continue
        scores = _r2_folds(x_all[keep], y_all[np.ix_(keep, columns)], folds, seed)
        defined = np.isfinite(scores).all(axis=0)
        out[columns[defined], 0] = scores[:, defined].mean(axis=0)
        out[columns[defined], 1] = scores[:, defined].std(axis=0)
    return out


def cached_association(
    latent: np.ndarray,
    targets: np.ndarray,
    measure: Measure = "pearson",
    rows: np.ndarray | list[int] | None = None,
    seed: int = 0,
    mi_max_rows: int = MI_MAX_ROWS,
) -> tuple[str, np.ndarray]:
    """(key, matrix) of `association`, from the result cache when it was computed before.

    Pass the dataset's own latent array (its fingerprint is computed once per array object).
    """
    rows = None if rows is None else np.asarray(rows, dtype=np.int64)
    params = {
        "version": VERSION,
        "measure": measure,
        "targets": _digest(np.asarray(targets, dtype=np.float64)),
        "rows": _digest(rows),
        "seed": seed,
        "mi_max_rows": mi_max_rows if measure == "mi" else None,
    }
    return cached_result(
        "correlation.association",
        params,
        latent,
        lambda: association(latent, targets, measure, rows, seed, mi_max_rows),
    )


def cached_encoding_r2(
    latent: np.ndarray,
    targets: np.ndarray,
    rows: np.ndarray | list[int] | None = None,
    folds: int = CV_FOLDS,
    seed: int = 0,
) -> tuple[str, np.ndarray]:
    """(key, table) of `encoding_r2`, from the result cache when it was computed before."""
    rows = None if rows is None else np.asarray(rows, dtype=np.int64)
    params = {
        "version": VERSION,
        "targets": _digest(np.asarray(targets, dtype=np.float64)),
        "rows": _digest(rows),
        "folds": folds,
        "seed": seed,
        "alphas": [float(a) for a in RIDGE_ALPHAS],
    }
    return cached_result(
        "correlation.encoding_r2",
        params,
        latent,
        lambda: encoding_r2(latent, targets, rows, folds, seed),
    )
