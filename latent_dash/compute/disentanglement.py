"""What each latent dim means (issue 16's disentanglement view): how each dim relates to each
known factor of variation (physical parameters, labels), and the standard scores of how
disentangled the latent space is.

Per (dim, factor), matrices (D, K):

- `mutual_information`: in nats, scikit-learn's k-nearest-neighbour estimator (as
  compute.correlation's "mi", on at most `MAX_ROWS` seeded sampled rows).
- `explained_alone`: the cross-validated R^2 of predicting the factor from that one dim by the
  mean of the factor in equal-frequency bins of the dim. Binned means are a non-parametric 1-D
  regression: a non-monotone relation (a factor coded by |z|, or by a periodic z) counts fully,
  which a linear R^2 would miss, and it costs one sort and one bincount per fit. Clipped at 0.

Scores over the whole space:

- `mig`: the Mutual Information Gap (Chen et al. 2018, "Isolating sources of disentanglement in
  VAEs"): dims and factors discretised into equal-frequency bins, the plug-in mutual information
  of each pair, and per factor the gap between the two most informative dims over the factor's
  entropy; MIG is the mean gap over factors. 1: each factor lives in one dim alone.
- `dci`: disentanglement, completeness and informativeness (Eastwood & Williams 2018, "A
  framework for the quantitative evaluation of disentangled representations") from the
  feature importances of one random forest per factor. Disentanglement: does each dim capture
  at most one factor; completeness: is each factor captured by one dim; informativeness: the
  held-out R^2 of each forest.

Factors are one float64 matrix (N, K) in which NaN marks a missing value: each factor uses the
rows where it is present, at most `MAX_ROWS` of them (a seeded sample; `MIG_MAX_ROWS` for MIG,
whose plug-in estimate is cheap and biased upward by ~bins^2 / 2n nats). An undefined value (a
constant factor, too few rows, one factor or one dim where a score needs two) is NaN.
`cached_summary` keeps `summary` in compute.cache, keyed by the latent's fingerprint and a hash
of the factors (`stored_summary` reads it without computing); `cached_explained_alone` keeps
`explained_alone` over given rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import rankdata
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mutual_info_score
from sklearn.model_selection import KFold

from latent_dash.compute.cache import cached_result, content_hash, fingerprint, load, result_key
from latent_dash.compute.correlation import association, mi_sample, single_blas_thread

MAX_ROWS = 5_000  # MI, explained_alone and DCI: at most this many rows per factor (seeded)
MIG_MAX_ROWS = 20_000
MIG_BINS = 20
ALONE_BINS = 20  # at most; fewer when a training fold has under 20 rows a bin
CV_FOLDS = 5
MIN_ROWS = 20  # fewer rows with a factor present: that factor's values are undefined
FOREST = {"n_estimators": 30, "max_depth": 8, "min_samples_leaf": 5, "n_jobs": 1}
TEST_SHARE = 0.2  # DCI's informativeness: R^2 on this share of the rows, held out
VERSION = 1  # bump when a result would change for the same inputs


@dataclass(frozen=True)
class Mig:
    """MIG (mean over defined factors) and per factor (K,): the gap, the normalised MI of the
    best and second-best dims, and the best dim (-1 when undefined); mi (D, K): plug-in MI of
    the binned values, in nats; entropy (K,): of each binned factor."""

    score: float
    gaps: np.ndarray
    mi: np.ndarray
    entropy: np.ndarray
    best: np.ndarray


@dataclass(frozen=True)
class Dci:
    """importance (D, K): each forest's feature importances (a column sums to 1; NaN for an
    undefined factor). disentanglement (D,) per dim and `disentanglement_score` (weighted by
    each dim's share of the importance); completeness (K,) per factor and
    `completeness_score` (mean); informativeness (K,): held-out R^2 per factor."""

    importance: np.ndarray
    disentanglement: np.ndarray
    disentanglement_score: float
    completeness: np.ndarray
    completeness_score: float
    informativeness: np.ndarray


@dataclass(frozen=True)
class Summary:
    """Everything the disentanglement view shows for one latent and one set of factors."""

    names: list[str]
    mutual_information: np.ndarray  # (D, K) nats
    explained_alone: np.ndarray  # (D, K) R^2 in [0, 1]
    mig: Mig
    dci: Dci
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (K,) rows present


def _factors(latent: np.ndarray, factors: np.ndarray) -> np.ndarray:
    return np.asarray(factors, dtype=np.float64).reshape(len(latent), -1)


def _present(latent: np.ndarray, column: np.ndarray, cap: int, seed: int):
    """(x, y) over the rows where the factor is present, a seeded sample of `cap` of them, or
    None when fewer than MIN_ROWS are present or the factor is constant there."""
    rows = np.flatnonzero(np.isfinite(column))
    if len(rows) < MIN_ROWS or np.ptp(column[rows]) == 0:
        return None
    rows = rows[mi_sample(len(rows), cap, seed)]
    return np.asarray(latent[rows], dtype=np.float64), column[rows]


@single_blas_thread
def mutual_information(
    latent: np.ndarray, factors: np.ndarray, seed: int = 0, max_rows: int = MAX_ROWS
) -> np.ndarray:
    """(D, K) mutual information in nats of each dim with each factor (NaN: undefined)."""
    return association(latent, _factors(latent, factors), "mi", seed=seed, mi_max_rows=max_rows)


def _binned_r2(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> float:
    """Held-out R^2 of y from the training means of y in equal-frequency bins of x."""
    bins = int(min(ALONE_BINS, max(1, len(train) // 20)))
    inner = np.unique(np.quantile(x[train], np.linspace(0, 1, bins + 1)[1:-1]))
    where_train = np.searchsorted(inner, x[train], side="right")
    sums = np.bincount(where_train, y[train], minlength=len(inner) + 1)
    counts = np.bincount(where_train, minlength=len(inner) + 1)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), y[train].mean())
    predicted = means[np.searchsorted(inner, x[test], side="right")]
    total = ((y[test] - y[test].mean()) ** 2).sum()
    if total == 0:
        return float("nan")
    return float(1.0 - ((y[test] - predicted) ** 2).sum() / total)


def explained_alone(
    latent: np.ndarray,
    factors: np.ndarray,
    folds: int = CV_FOLDS,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
) -> np.ndarray:
    """(D, K): cross-validated R^2 (mean over `folds` shuffled, seeded folds, clipped at 0) of
    each factor from each dim alone by binned means (see the module docstring)."""
    factors = _factors(latent, factors)
    out = np.full((latent.shape[1], factors.shape[1]), np.nan)
    for k in range(factors.shape[1]):
        data = _present(latent, factors[:, k], max_rows, seed)
        if data is None:
            continue
        x, y = data
        splits = list(KFold(folds, shuffle=True, random_state=seed).split(x))
        for d in range(x.shape[1]):
            scores = [_binned_r2(x[:, d], y, train, test) for train, test in splits]
            out[d, k] = max(0.0, float(np.mean(scores))) if np.isfinite(scores).all() else np.nan
    return out


def _discretise(values: np.ndarray, bins: int) -> np.ndarray:
    """Equal-frequency bin of each value, 0..bins-1; tied values share a bin (a factor with
    three values gets three bins)."""
    ranks = rankdata(values, method="average")
    return np.minimum(((ranks - 0.5) / len(values) * bins).astype(np.int64), bins - 1)


def mig(
    latent: np.ndarray,
    factors: np.ndarray,
    bins: int = MIG_BINS,
    seed: int = 0,
    max_rows: int = MIG_MAX_ROWS,
) -> Mig:
    """The Mutual Information Gap of the latent against the factors (see Mig).

    Per factor k: (I(z_best; f_k) - I(z_second; f_k)) / H(f_k) on binned values (with one dim
    the second is 0); undefined (NaN) for a constant factor or too few rows.
    """
    factors = _factors(latent, factors)
    dims, count = latent.shape[1], factors.shape[1]
    mi = np.full((dims, count), np.nan)
    entropy, gaps = np.full(count, np.nan), np.full(count, np.nan)
    best = np.full(count, -1, dtype=np.int64)
    for k in range(count):
        data = _present(latent, factors[:, k], max_rows, seed)
        if data is None:
            continue
        x, y = data
        f = _discretise(y, bins)
        entropy[k] = mutual_info_score(f, f)
        for d in range(dims):
            mi[d, k] = mutual_info_score(_discretise(x[:, d], bins), f)
        top = np.sort(mi[:, k])[::-1]
        second = top[1] if dims > 1 else 0.0
        gaps[k] = (top[0] - second) / entropy[k]
        best[k] = int(np.argmax(mi[:, k]))
    score = float(np.nanmean(gaps)) if np.isfinite(gaps).any() else float("nan")
    return Mig(score, gaps, mi, entropy, best)


def _one_minus_entropy(p: np.ndarray, axis: int) -> np.ndarray:
    """1 - entropy of the distributions p along `axis`, in base (their length)."""
    size = p.shape[axis]
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(p > 0, p * np.log(p), 0.0)
    return 1.0 + terms.sum(axis=axis) / np.log(size)


@single_blas_thread
def dci(latent: np.ndarray, factors: np.ndarray, seed: int = 0, max_rows: int = MAX_ROWS) -> Dci:
    """Disentanglement, completeness and informativeness (see Dci).

    One random forest per factor (FOREST: 30 trees of depth <= 8, seeded; fast and insensitive
    to scale) fitted on 80% of at most `max_rows` rows; importance R (D, K) its impurity-based
    feature importances, informativeness its R^2 on the other 20%. With P = R normalised per
    dim over factors, disentanglement of dim i = 1 - H_K(P_i.), averaged with weights
    sum_k R_ik / sum R; with R normalised per factor over dims, completeness of factor k =
    1 - H_D(P_.k), averaged over factors. Needs two factors (disentanglement) and two dims
    (completeness), else NaN.
    """
    factors = _factors(latent, factors)
    dims, count = latent.shape[1], factors.shape[1]
    importance = np.full((dims, count), np.nan)
    informativeness = np.full(count, np.nan)
    rng = np.random.default_rng(seed)
    for k in range(count):
        data = _present(latent, factors[:, k], max_rows, seed)
        if data is None:
            continue
        x, y = data
        order = rng.permutation(len(y))
        cut = round(len(y) * (1 - TEST_SHARE))
        train, test = order[:cut], order[cut:]
        forest = RandomForestRegressor(random_state=seed, **FOREST).fit(x[train], y[train])
        importance[:, k] = forest.feature_importances_
        informativeness[k] = forest.score(x[test], y[test])
    defined = np.isfinite(importance).all(axis=0) & (importance.sum(axis=0) > 0)
    r = importance[:, defined]
    nan = float("nan")
    per_dim, per_factor = np.full(dims, nan), np.full(count, nan)
    disentanglement = completeness = nan
    if r.shape[1] >= 2:
        weight = r.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_dim = _one_minus_entropy(r / weight[:, None], axis=1)
        used = weight > 0
        per_dim[~used] = nan
        disentanglement = float((per_dim[used] * weight[used]).sum() / weight[used].sum())
    if r.shape[1] and dims >= 2:
        per_factor[defined] = _one_minus_entropy(r / r.sum(axis=0), axis=0)
        completeness = float(per_factor[defined].mean())
    return Dci(importance, per_dim, disentanglement, per_factor, completeness, informativeness)


def summary(
    latent: np.ndarray,
    factors: np.ndarray,
    names: Sequence[str] | None = None,
    seed: int = 0,
) -> Summary:
    """`mutual_information`, `explained_alone`, `mig` and `dci` of one latent and its factors;
    names (K) label the factors (default f0, f1, ...)."""
    factors = _factors(latent, factors)
    names = list(names) if names is not None else [f"f{k}" for k in range(factors.shape[1])]
    if len(names) != factors.shape[1]:
        raise ValueError(f"{len(names)} names for {factors.shape[1]} factors")
    return Summary(
        names,
        mutual_information(latent, factors, seed),
        explained_alone(latent, factors, seed=seed),
        mig(latent, factors, seed=seed),
        dci(latent, factors, seed),
        np.isfinite(factors).sum(axis=0).astype(np.int64),
    )


# The packed form of a Summary for the result cache: D x K blocks, then K-vectors, then D-vectors,
# then the three scores. Names are labels, not data: given again on reading.
_MATRICES = 4  # mutual_information, explained_alone, mig.mi, dci.importance
_FACTOR_VECTORS = 6  # gaps, entropy, best, completeness, informativeness, rows


def _pack(s: Summary) -> np.ndarray:
    parts = [s.mutual_information, s.explained_alone, s.mig.mi, s.dci.importance]
    parts += [s.mig.gaps, s.mig.entropy, s.mig.best, s.dci.completeness, s.dci.informativeness]
    parts += [s.rows, s.dci.disentanglement]
    scores = [s.mig.score, s.dci.disentanglement_score, s.dci.completeness_score]
    return np.concatenate([np.ravel(np.asarray(p, dtype=np.float64)) for p in parts] + [scores])


def _unpack(packed: np.ndarray, dims: int, count: int, names: list[str]) -> Summary:
    at = 0

    def take(size: int) -> np.ndarray:
        nonlocal at
        at += size
        return packed[at - size : at]

    mi, alone, mig_mi, importance = (
        take(dims * count).reshape(dims, count) for _ in range(_MATRICES)
    )
    gaps, entropy, best, completeness, informativeness, rows = (
        take(count) for _ in range(_FACTOR_VECTORS)
    )
    per_dim = take(dims)
    score, disentanglement, completeness_score = (float(v) for v in take(3))
    return Summary(
        names,
        mi,
        alone,
        Mig(score, gaps, mig_mi, entropy, best.astype(np.int64)),
        Dci(
            importance, per_dim, disentanglement, completeness, completeness_score, informativeness
        ),
        rows.astype(np.int64),
    )


def _summary_params(factors: np.ndarray, seed: int) -> dict:
    return {
        "version": VERSION,
        "factors": content_hash(factors),
        "seed": seed,
        "max_rows": [MAX_ROWS, MIG_MAX_ROWS],
        "bins": [MIG_BINS, ALONE_BINS],
        "forest": FOREST,
    }


def _names(names: Sequence[str] | None, count: int) -> list[str]:
    return list(names) if names is not None else [f"f{k}" for k in range(count)]


def cached_summary(
    latent: np.ndarray,
    factors: np.ndarray,
    names: Sequence[str] | None = None,
    seed: int = 0,
) -> tuple[str, Summary]:
    """(key, `summary`), from the result cache when it was computed before.

    Pass the dataset's own latent array (its fingerprint is computed once per array object).
    """
    factors = _factors(latent, factors)
    names = _names(names, factors.shape[1])
    key, packed = cached_result(
        "disentanglement.summary",
        _summary_params(factors, seed),
        latent,
        lambda: _pack(summary(latent, factors, names, seed)),
    )
    return key, _unpack(packed, latent.shape[1], factors.shape[1], names)


def stored_summary(
    latent: np.ndarray,
    factors: np.ndarray,
    names: Sequence[str] | None = None,
    seed: int = 0,
) -> Summary | None:
    """`cached_summary` when it is in the result cache, else None (never computes): a page
    shows a stored summary at once and computes a missing one in the background."""
    factors = _factors(latent, factors)
    key = result_key("disentanglement.summary", _summary_params(factors, seed), fingerprint(latent))
    packed = load(key)
    if packed is None:
        return None
    return _unpack(packed, latent.shape[1], factors.shape[1], _names(names, factors.shape[1]))


def cached_explained_alone(
    latent: np.ndarray,
    factors: np.ndarray,
    rows: np.ndarray | None = None,
    seed: int = 0,
) -> tuple[str, np.ndarray]:
    """(key, `explained_alone` over `rows` (None: all)), from the result cache when computed
    before. Pass the dataset's own latent array."""
    factors = _factors(latent, factors)
    rows = None if rows is None else np.asarray(rows, dtype=np.int64)
    params = {
        "version": VERSION,
        "factors": content_hash(factors),
        "rows": None if rows is None else content_hash(rows),
        "seed": seed,
        "max_rows": MAX_ROWS,
        "bins": ALONE_BINS,
        "folds": CV_FOLDS,
    }

    def compute() -> np.ndarray:
        if rows is None:
            return explained_alone(latent, factors, seed=seed)
        return explained_alone(np.asarray(latent[rows]), factors[rows], seed=seed)

    return cached_result("disentanglement.explained_alone", params, latent, compute)
