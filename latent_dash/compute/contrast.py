"""How two groups of samples differ (issue 16's contrast view): the selection against the rest,
or one selection against another.

A lasso in a projection says "these samples"; the question that follows is "what sets them
apart?". Four answers, each over the two groups given as boolean masks a and b of length N:

- `dim_separation`: per latent dim, the standardised mean difference (Cohen's d, pooled SD) and
  the two-sample Kolmogorov-Smirnov statistic with its p-value. Dims are ranked by |d|, not by
  KS: d says how far apart the groups are in units of their spread and has a sign (which group is
  higher); KS also reacts to differences of shape, but at hundreds of thousands of samples
  every p-value is ~0 and KS statistics of small shifts crowd together, while d stays a size.
- `separability`: how well a linear classifier tells a from b from the whole latent vector
  (cross-validated balanced accuracy; chance is 0.5), with the plain accuracy and its chance
  level (the majority-class rate) alongside.
- `group_images`: mean and variance image of each group and the difference of the means,
  accumulated in chunks (a million 64 x 64 images are never copied whole).
- `histograms`: per numeric column, counts of each group on shared bin edges.

Rows in both groups: the descriptions of each group (d, KS, images, histograms) take every row
of the group, as a group is what the user selected; the classifier drops them, as a row cannot
be labelled both a and b. An undefined value (an empty group, one row, a constant dim) is NaN,
never an exception. `cached_contrast` keeps separation and separability in compute.cache, keyed
by the latent's fingerprint and content hashes of the masks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import ks_2samp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from latent_dash.compute.cache import cached_result, content_hash
from latent_dash.compute.correlation import single_blas_thread

CV_FOLDS = 5
MAX_ROWS = 20_000  # the classifier sees at most this many rows: a seeded, stratified sample
MIN_GROUP_ROWS = 1_000  # ... of which each group keeps at least this many (or all it has)
IMAGE_CHUNK = 256  # images read and accumulated per step (larger blocks fall out of the CPU cache:
# 20,000 images of 64 x 64 took 1.3 s in blocks of 4,096, 0.4 s in blocks of 256)
HIST_BINS = 30
VERSION = 1  # bump when a result would change for the same inputs

Images = np.ndarray | Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class DimSeparation:
    """Per latent dim (D,): Cohen's d of a against b (positive: a higher), KS statistic and its
    p-value; `order` lists the dims by decreasing |d| (undefined ones last)."""

    smd: np.ndarray
    ks: np.ndarray
    p: np.ndarray
    order: np.ndarray
    n_a: int
    n_b: int


@dataclass(frozen=True)
class Separability:
    """Cross-validated scores of a classifier telling a from b; NaN when undefined (`reason`).

    balanced_accuracy (chance 0.5) is the headline: a selection of 1% against the rest gets 99%
    plain accuracy by always answering "the rest". accuracy and its chance (majority-class rate
    of the rows used) are given too. *_sd: standard deviation over the folds. n_a, n_b: rows
    used of each group (after dropping rows in both and capping at MAX_ROWS); n_both: rows
    dropped for being in both groups."""

    balanced_accuracy: float
    balanced_sd: float
    accuracy: float
    accuracy_sd: float
    chance: float
    n_a: int
    n_b: int
    n_both: int
    capped: bool
    reason: str = ""

    @property
    def defined(self) -> bool:
        return bool(np.isfinite(self.balanced_accuracy))


@dataclass(frozen=True)
class GroupImages:
    """Mean and (population) variance image of each group and mean_a - mean_b, float32, shaped
    as one image; all NaN for an empty group."""

    mean_a: np.ndarray
    var_a: np.ndarray
    mean_b: np.ndarray
    var_b: np.ndarray
    diff: np.ndarray
    n_a: int
    n_b: int


@dataclass(frozen=True)
class Histograms:
    """Per column (T rows): shared bin edges (T, bins + 1) over both groups' finite values and
    the counts of each group (T, bins); n_a, n_b (T,): finite values counted. A column without
    finite values has NaN edges and zero counts."""

    edges: np.ndarray
    counts_a: np.ndarray
    counts_b: np.ndarray
    n_a: np.ndarray
    n_b: np.ndarray
    names: list[str] = field(default_factory=list)

    def density(self, which: str) -> np.ndarray:
        """Counts of group "a" or "b" as a density (integrates to 1 per column; NaN if empty)."""
        counts = self.counts_a if which == "a" else self.counts_b
        total = self.n_a if which == "a" else self.n_b
        with np.errstate(invalid="ignore", divide="ignore"):
            return counts / (total[:, None] * np.diff(self.edges, axis=1))


@dataclass(frozen=True)
class Contrast:
    """What `cached_contrast` returns: both results for one pair of groups."""

    separation: DimSeparation
    separability: Separability


def _masks(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=bool).reshape(-1)
    b = np.asarray(b, dtype=bool).reshape(-1)
    if len(a) != n or len(b) != n:
        raise ValueError(f"the masks have {len(a)} and {len(b)} entries for {n} samples")
    return a, b


def _rank(smd: np.ndarray) -> np.ndarray:
    """Dims by decreasing |d|, ties by index, undefined (NaN) last."""
    size = np.where(np.isfinite(smd), np.abs(smd), -1.0)
    return np.lexsort((np.arange(len(smd)), -size)).astype(np.int64)


def dim_separation(latent: np.ndarray, a: np.ndarray, b: np.ndarray) -> DimSeparation:
    """Cohen's d, KS statistic and p-value of every latent dim, a against b (see DimSeparation).

    d = (mean_a - mean_b) / pooled SD, the pooled SD from both groups' variances (ddof 1); NaN
    when a group has fewer than 2 rows or the pooled SD is 0. KS needs a row in each group.
    """
    a, b = _masks(a, b, len(latent))
    n_a, n_b = int(a.sum()), int(b.sum())
    dims = latent.shape[1]
    smd, ks, p = (np.full(dims, np.nan) for _ in range(3))
    for j in range(dims):
        column = np.asarray(latent[:, j], dtype=np.float64)
        xa, xb = column[a], column[b]
        if n_a >= 2 and n_b >= 2:
            pooled = ((n_a - 1) * xa.var(ddof=1) + (n_b - 1) * xb.var(ddof=1)) / (n_a + n_b - 2)
            if pooled > 0:
                smd[j] = (xa.mean() - xb.mean()) / np.sqrt(pooled)
        if n_a and n_b:
            result = ks_2samp(xa, xb)
            ks[j], p[j] = result.statistic, result.pvalue
    return DimSeparation(smd, ks, p, _rank(smd), n_a, n_b)


def _undefined(reason: str, n_a: int, n_b: int, n_both: int) -> Separability:
    nan = float("nan")
    return Separability(nan, nan, nan, nan, nan, n_a, n_b, n_both, False, reason)


def _cap(labels: np.ndarray, max_rows: int, seed: int) -> np.ndarray:
    """Positions of a seeded, stratified sample of at most ~max_rows rows (all when fewer);
    each group keeps at least MIN_GROUP_ROWS rows (or all it has)."""
    if len(labels) <= max_rows:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    keep = []
    for value in (False, True):
        where = np.flatnonzero(labels == value)
        share = round(max_rows * len(where) / len(labels))
        count = min(len(where), max(share, MIN_GROUP_ROWS))
        keep.append(rng.choice(where, count, replace=False))
    return np.sort(np.concatenate(keep))


@single_blas_thread
def separability(
    latent: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    folds: int = CV_FOLDS,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
) -> Separability:
    """Cross-validated scores of logistic regression (on the standardised latent, class weights
    balanced) telling a from b, in `folds` shuffled, seeded, stratified folds.

    Rows in both groups are dropped. Above `max_rows` rows a seeded stratified sample is used
    (each group keeps at least MIN_GROUP_ROWS): the fit then takes well under 2 s whatever N, and
    the scores barely move. Fewer rows than `folds` in a group: undefined (NaN), with a reason.
    """
    a, b = _masks(a, b, len(latent))
    both = a & b
    n_both = int(both.sum())
    a_only, b_only = a & ~both, b & ~both
    n_a, n_b = int(a_only.sum()), int(b_only.sum())
    if min(n_a, n_b) < max(folds, 2):
        which = "a" if n_a < n_b else "b"
        extra = f" ({n_both} rows in both groups are left out)" if n_both else ""
        reason = f"group {which} has {min(n_a, n_b)} rows; at least {max(folds, 2)} needed{extra}"
        return _undefined(reason, n_a, n_b, n_both)
    rows = np.flatnonzero(a_only | b_only)
    labels = a_only[rows]
    keep = _cap(labels, max_rows, seed)
    rows, labels = rows[keep], labels[keep]
    x = np.asarray(latent[rows], dtype=np.float64)
    model = make_pipeline(
        StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=1_000)
    )
    balanced, plain = [], []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, labels):
        model.fit(x[train], labels[train])
        predicted = model.predict(x[test])
        balanced.append(balanced_accuracy_score(labels[test], predicted))
        plain.append(accuracy_score(labels[test], predicted))
    share = labels.mean()
    return Separability(
        float(np.mean(balanced)),
        float(np.std(balanced)),
        float(np.mean(plain)),
        float(np.std(plain)),
        float(max(share, 1.0 - share)),
        int(labels.sum()),
        int((~labels).sum()),
        n_both,
        len(keep) < n_a + n_b,
    )


def _accumulate(
    images: Images, rows: np.ndarray, shape: tuple[int, ...] | None, chunk: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(mean, M2) over the images of `rows`, in chunks (Chan et al.'s pairwise update)."""
    mean = m2 = None
    count = 0
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        block = images(part) if callable(images) else images[part]
        block = np.asarray(block, dtype=np.float64)
        if shape is not None:
            block = block.reshape((len(part), *shape))
        block_mean = block.mean(axis=0)
        block_m2 = ((block - block_mean) ** 2).sum(axis=0)
        if mean is None or m2 is None:
            mean, m2, count = block_mean, block_m2, len(part)
            continue
        total = count + len(part)
        delta = block_mean - mean
        mean = mean + delta * (len(part) / total)
        m2 = m2 + block_m2 + delta**2 * (count * len(part) / total)
        count = total
    return mean, m2


def group_images(
    images: Images,
    a: np.ndarray,
    b: np.ndarray,
    image_shape: tuple[int, ...] | None = None,
    chunk: int = IMAGE_CHUNK,
) -> GroupImages:
    """Mean and variance image of each group and the difference of the means (float32).

    `images`: an array (N, H, W) or (N, H, W, C), possibly memory-mapped, or a function from
    sorted row positions to their images (e.g. `Dataset.images`, which maps kept rows to file
    rows); `image_shape` reshapes flat images. Only `chunk` images are in memory at a time.
    """
    n = len(a)
    if not callable(images) and len(images) != n:
        raise ValueError(f"{len(images)} images for masks of {n} samples")
    a, b = _masks(a, b, n)
    results: list[tuple[np.ndarray | None, np.ndarray | None]] = []
    for mask in (a, b):
        results.append(_accumulate(images, np.flatnonzero(mask), image_shape, chunk))
    shapes = [mean.shape for mean, _ in results if mean is not None]
    if shapes:
        shape = shapes[0]
    elif image_shape is not None:
        shape = tuple(image_shape)
    elif not callable(images):
        shape = tuple(images.shape[1:])
    else:
        shape = tuple(np.asarray(images(np.arange(1))).shape[1:])
    out = []
    for (mean, m2), count in zip(results, (int(a.sum()), int(b.sum())), strict=True):
        if mean is None or m2 is None:
            out += [np.full(shape, np.nan, np.float32)] * 2
        else:
            out += [mean.astype(np.float32), (m2 / count).astype(np.float32)]
    mean_a, var_a, mean_b, var_b = out
    return GroupImages(mean_a, var_a, mean_b, var_b, mean_a - mean_b, int(a.sum()), int(b.sum()))


def histograms(
    values: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    bins: int = HIST_BINS,
    names: Sequence[str] | None = None,
) -> Histograms:
    """Counts of each group per column of values (N, T) on `bins` equal-width bins spanning both
    groups' finite values (shared, so the two histograms overlay); NaN and inf are ignored."""
    values = np.asarray(values, dtype=np.float64)
    values = values.reshape(len(values), -1)
    a, b = _masks(a, b, len(values))
    columns = values.shape[1]
    edges = np.full((columns, bins + 1), np.nan)
    counts_a = np.zeros((columns, bins), dtype=np.int64)
    counts_b = np.zeros((columns, bins), dtype=np.int64)
    n_a = np.zeros(columns, dtype=np.int64)
    n_b = np.zeros(columns, dtype=np.int64)
    for j in range(columns):
        column = values[:, j]
        finite = np.isfinite(column)
        xa, xb = column[a & finite], column[b & finite]
        if not len(xa) + len(xb):
            continue
        edges[j] = np.histogram_bin_edges(np.concatenate([xa, xb]), bins=bins)
        counts_a[j] = np.histogram(xa, bins=edges[j])[0]
        counts_b[j] = np.histogram(xb, bins=edges[j])[0]
        n_a[j], n_b[j] = len(xa), len(xb)
    return Histograms(edges, counts_a, counts_b, n_a, n_b, list(names or []))


def contrast(
    latent: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    folds: int = CV_FOLDS,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
) -> Contrast:
    """`dim_separation` and `separability` of one pair of groups."""
    return Contrast(dim_separation(latent, a, b), separability(latent, a, b, folds, seed, max_rows))


_HEAD = 11  # leading entries of the packed form: Separability's numbers and the group sizes


def _pack(result: Contrast) -> np.ndarray:
    s, d = result.separability, result.separation
    head = [
        s.balanced_accuracy, s.balanced_sd, s.accuracy, s.accuracy_sd, s.chance,
        s.n_a, s.n_b, s.n_both, float(s.capped), d.n_a, d.n_b,
    ]  # fmt: skip
    return np.concatenate([np.asarray(head, dtype=np.float64), d.smd, d.ks, d.p])


def _unpack(packed: np.ndarray, reason: str) -> Contrast:
    head, rest = packed[:_HEAD], packed[_HEAD:]
    smd, ks, p = rest.reshape(3, -1)
    separation = DimSeparation(smd, ks, p, _rank(smd), int(head[9]), int(head[10]))
    balanced, balanced_sd, accuracy, accuracy_sd, chance = (float(v) for v in head[:5])
    separability_ = Separability(
        balanced, balanced_sd, accuracy, accuracy_sd, chance,
        int(head[5]), int(head[6]), int(head[7]), bool(head[8]), reason,
    )  # fmt: skip
    return Contrast(separation, separability_)


def cached_contrast(
    latent: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    folds: int = CV_FOLDS,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
) -> tuple[str, Contrast]:
    """(key, `contrast`), from the result cache when it was computed before.

    Pass the dataset's own latent array (its fingerprint is computed once per array object); the
    masks are keyed by content hash. An undefined separability's reason is not stored: it is
    rebuilt from the group sizes.
    """
    a, b = _masks(a, b, len(latent))
    params = {
        "version": VERSION,
        "a": content_hash(a),
        "b": content_hash(b),
        "folds": folds,
        "seed": seed,
        "max_rows": max_rows,
    }
    key, packed = cached_result(
        "contrast.contrast",
        params,
        latent,
        lambda: _pack(contrast(latent, a, b, folds, seed, max_rows)),
    )
    reason = ""
    if not np.isfinite(packed[0]):
        reason = separability(latent, a, b, folds, seed, max_rows).reason  # cheap: no fit
    return key, _unpack(packed, reason)
