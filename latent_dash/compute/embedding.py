"""2-D embeddings of the latent vectors: PCA, t-SNE, UMAP, Isomap, MDS.

Pure numpy / scikit-learn / umap-learn / openTSNE (no dash). Every result is float32 (N, 2),
deterministic for a given seed, and stored in the results cache (compute.cache), so the same
request from any process or user comes back at once.

Methods and their limits (samples embedded; above it the method is refused with a ValueError
that names the limit and a faster method):

| method | parameters | limit | notes |
|---|---|---|---|
| `pca` | - | none | exact, instant (0.01 s at 100k) |
| `tsne` | perplexity, metric, seed | 200,000 | openTSNE (FFT gradients, 2 threads) |
| `umap` | n_neighbors, min_dist, metric, seed | none | numba; compiled code cached on disk |
| `isomap` | n_neighbors, metric | 5,000 | geodesic distances: N x N float64 |
| `mds` | metric | 3,000 | SMACOF on all N x N distances |

t-SNE is openTSNE rather than scikit-learn's: faster on 2 cores (11 s against 15 s at 5k, 31 s
against 85 s at 20k, shared/reference/dash-notes.md) and it reports progress while it optimises.

UMAP compiles its numba functions on first use in every process (20-60 s here). umap-learn and
pynndescent mostly do not ask numba to cache that code on disk; `prepare_umap` turns numba's
on-disk cache on for their functions, so only the first process ever on a machine compiles
(`warm_up_umap`, run in a separate process by `start_warm_up` when the app starts) and every
later process loads the machine code in 1-2 s. See docs/configs.md (`embedding`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from latent_dash.compute import cache

log = logging.getLogger(__name__)

Progress = Callable[[str, float | None], None]  # (stage text, fraction done or None)


@dataclass(frozen=True)
class Method:
    label: str
    params: tuple[str, ...]  # the parameters this method uses
    limit: int | None  # most samples it accepts
    suggestion: str = "PCA or UMAP"


METHODS: dict[str, Method] = {
    "pca": Method("PCA", (), None),
    "tsne": Method("t-SNE", ("perplexity", "metric", "seed"), 200_000, "UMAP or PCA"),
    "umap": Method("UMAP", ("n_neighbors", "min_dist", "metric", "seed"), None),
    "isomap": Method("Isomap", ("n_neighbors", "metric"), 5_000),
    "mds": Method("MDS", ("metric",), 3_000),
}
DEFAULTS: dict[str, Any] = {
    "n_neighbors": 15,
    "perplexity": 30.0,
    "min_dist": 0.1,
    "metric": "euclidean",
    "seed": 0,
}
METRICS = ("euclidean", "cosine")
TSNE_THREADS = 2  # openTSNE with 2 threads: repeatable (checked) and ~1.5x faster than 1
MIN_SAMPLES = 5


def method_params(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The parameters `method` uses, defaults filled in, typed; others are dropped.

    This is what enters the cache key: a parameter the method ignores never changes it.
    """
    if method not in METHODS:
        raise ValueError(f"unknown embedding method {method!r}; use one of {', '.join(METHODS)}")
    given = {k: v for k, v in (params or {}).items() if v is not None}
    out: dict[str, Any] = {}
    for name in METHODS[method].params:
        value = given.get(name, DEFAULTS[name])
        if name in ("n_neighbors", "seed"):
            value = int(value)
        elif name in ("perplexity", "min_dist"):
            value = float(value)
        elif value not in METRICS:
            raise ValueError(f"metric {value!r} is not supported; use one of {', '.join(METRICS)}")
        out[name] = value
    if "n_neighbors" in out and out["n_neighbors"] < 2:
        raise ValueError("n_neighbors must be at least 2")
    if "perplexity" in out and out["perplexity"] <= 0:
        raise ValueError("perplexity must be positive")
    if "min_dist" in out and not 0 <= out["min_dist"] <= 1:
        raise ValueError("min_dist must be between 0 and 1")
    return out


def check_size(method: str, n: int) -> None:
    """Refuse a method on more samples than it can handle here (or fewer than it needs)."""
    info = METHODS[method]
    if n < MIN_SAMPLES:
        raise ValueError(f"{info.label} needs at least {MIN_SAMPLES} samples, got {n}")
    if info.limit is not None and n > info.limit:
        raise ValueError(
            f"{info.label} is limited to {info.limit:,} samples (its cost grows as N²); "
            f"got {n:,}. Use {info.suggestion}, or run it on a selection of at most "
            f"{info.limit:,} samples."
        )


def describe(method: str, params: dict[str, Any]) -> str:
    """'UMAP (n_neighbors=15, min_dist=0.1, metric=euclidean, seed=0)'."""
    used = method_params(method, params)
    inner = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in used.items())
    return f"{METHODS[method].label} ({inner})" if inner else METHODS[method].label


# --- the methods ---------------------------------------------------------------------------------


def _nothing(text: str, fraction: float | None = None) -> None:
    pass


def _sign_fixed(y: np.ndarray) -> np.ndarray:
    """Each axis flipped so its largest-magnitude coordinate is positive (eigenvector signs)."""
    y = np.array(y, dtype=np.float64)
    for j in range(y.shape[1]):
        if y[np.argmax(np.abs(y[:, j])), j] < 0:
            y[:, j] = -y[:, j]
    return y


def _pca(x: np.ndarray, p: dict[str, Any], progress: Progress) -> np.ndarray:
    from sklearn.decomposition import PCA

    return PCA(n_components=2, svd_solver="full").fit_transform(x)


def pca_plane(latent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean (D,), axes (2, D)) of the PCA plane as drawn: a point (a, b) of the PCA embedding
    of all samples is the latent vector mean + [a, b] @ axes (the inverse transform)."""
    from sklearn.decomposition import PCA

    key = cache.fingerprint(latent)
    if key not in _PLANES:
        # fitted exactly as compute_embedding fits it, so the axes match the drawn coordinates
        model = PCA(n_components=2, svd_solver="full").fit(np.ascontiguousarray(latent, np.float32))
        _PLANES[key] = (model.mean_.astype(np.float64), model.components_.astype(np.float64))
    return _PLANES[key]


_PLANES: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def _tsne(x: np.ndarray, p: dict[str, Any], progress: Progress) -> np.ndarray:
    from openTSNE import TSNE

    n = len(x)
    perplexity = min(p["perplexity"], (n - 1) / 3)
    total = 250 + 500  # early exaggeration + normal phase (openTSNE's defaults)
    calls = [0]

    def report(iteration: int, error: float, embedding: np.ndarray) -> bool:
        calls[0] += 1
        done = min(calls[0] * 50, total)
        progress(f"optimising: iteration {done} of {total}", done / total)
        return False  # never stop early

    progress("nearest neighbours and affinities", 0.0)
    model = TSNE(
        perplexity=perplexity,
        metric=p["metric"],
        random_state=p["seed"],
        n_jobs=TSNE_THREADS,  # fixed, not "all cores": the same picture on every machine
        callbacks=report,
        callbacks_every_iters=50,
        verbose=False,
    )
    return np.asarray(model.fit(x))


class _UmapLog(io.TextIOBase):
    """Turns UMAP's verbose printout (stages, tqdm epoch bar) into progress calls."""

    STAGES = (
        ("nearest neighbor", "nearest neighbours"),
        ("fuzzy simplicial", "neighbour graph"),
        ("construct embedding", "layout"),
    )

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def write(self, text: str) -> int:
        lower = text.lower()
        epochs = re.search(r"(\d+)/(\d+)", text)
        if "epoch" in lower and epochs:
            done, total = int(epochs.group(1)), max(int(epochs.group(2)), 1)
            self.progress(f"layout: epoch {done} of {total}", 0.3 + 0.7 * done / total)
        else:
            for needle, stage in self.STAGES:
                if needle in lower:
                    self.progress(stage, 0.3 if stage == "layout" else 0.05)
                    break
        return len(text)


def _umap(x: np.ndarray, p: dict[str, Any], progress: Progress) -> np.ndarray:
    wait_for_warm_up(p["metric"], len(x), progress)
    progress("loading UMAP's compiled code", 0.0)
    umap = prepare_umap()
    quiet = progress is _nothing
    stream = None if quiet else _UmapLog(progress)
    model = umap.UMAP(
        n_neighbors=min(p["n_neighbors"], len(x) - 1),
        min_dist=p["min_dist"],
        metric=p["metric"],
        random_state=p["seed"],  # deterministic; it also makes UMAP single-threaded
        n_jobs=1,
        verbose=not quiet,
        tqdm_kwds={"desc": "epochs", "mininterval": 0.5, "file": stream, "disable": quiet},
    )
    if quiet:
        return model.fit_transform(x)
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        return model.fit_transform(x)


@contextlib.contextmanager
def _seeded_global_rng(seed: int):
    """scikit-learn's Isomap draws ARPACK's start vector from numpy's global generator."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _isomap(x: np.ndarray, p: dict[str, Any], progress: Progress) -> np.ndarray:
    from sklearn.manifold import Isomap

    progress("neighbour graph, geodesic distances, eigenvectors", None)
    neighbours = min(p["n_neighbors"], len(x) - 1)
    model = Isomap(n_neighbors=neighbours, n_components=2, metric=p["metric"])
    with _seeded_global_rng(0):
        return _sign_fixed(model.fit_transform(x))


def _mds(x: np.ndarray, p: dict[str, Any], progress: Progress) -> np.ndarray:
    from sklearn.manifold import MDS
    from sklearn.metrics import pairwise_distances

    progress("pairwise distances", 0.0)
    distances = pairwise_distances(np.asarray(x, dtype=np.float64), metric=p["metric"])
    progress("stress majorisation (SMACOF)", 0.1)
    model = MDS(
        n_components=2,
        metric="precomputed",
        init="classical_mds",
        n_init=1,
        random_state=0,
        normalized_stress="auto",
    )
    return _sign_fixed(model.fit_transform(distances))


_COMPUTE: dict[str, Callable[[np.ndarray, dict[str, Any], Progress], np.ndarray]] = {
    "pca": _pca,
    "tsne": _tsne,
    "umap": _umap,
    "isomap": _isomap,
    "mds": _mds,
}


def compute_embedding(
    x: np.ndarray,
    method: str,
    params: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> np.ndarray:
    """The 2-D embedding of the rows of x, float32 (len(x), 2). Not cached (see `embed`)."""
    p = method_params(method, params)
    check_size(method, len(x))
    x = np.ascontiguousarray(x, dtype=np.float32)
    y = _COMPUTE[method](x, p, progress or _nothing)
    y = np.asarray(y, dtype=np.float32)
    if y.shape != (len(x), 2):
        raise RuntimeError(f"{method} returned shape {y.shape}, expected ({len(x)}, 2)")
    return y


# --- cached, on all samples or a subset ----------------------------------------------------------


def _rows(rows: np.ndarray | list[int] | None, n: int) -> np.ndarray | None:
    if rows is None:
        return None
    rows = np.unique(np.asarray(rows, dtype=np.int64))
    if len(rows) and (rows[0] < 0 or rows[-1] >= n):
        raise ValueError(f"row indices must lie in 0..{n - 1}")
    return None if len(rows) == n else rows


def _cache_params(method: str, params: dict[str, Any] | None, rows: np.ndarray | None) -> dict:
    p = method_params(method, params)
    if rows is not None:  # hashed here, not with cache.fingerprint (which keeps arrays alive)
        p["rows"] = hashlib.blake2b(rows.tobytes(), digest_size=16).hexdigest()
    return p


def embedding_key(
    latent: np.ndarray,
    method: str,
    params: dict[str, Any] | None = None,
    rows: np.ndarray | list[int] | None = None,
) -> str:
    """The results-cache key of an embedding (it changes with the data, params and rows)."""
    rows = _rows(rows, len(latent))
    return cache.result_key(
        f"embedding.{method}", _cache_params(method, params, rows), cache.fingerprint(latent)
    )


def lookup(
    latent: np.ndarray,
    method: str,
    params: dict[str, Any] | None = None,
    rows: np.ndarray | list[int] | None = None,
) -> tuple[str, np.ndarray | None]:
    """(key, stored result or None): never computes."""
    key = embedding_key(latent, method, params, rows)
    return key, cache.load(key)


def embed(
    latent: np.ndarray,
    method: str,
    params: dict[str, Any] | None = None,
    rows: np.ndarray | list[int] | None = None,
    progress: Progress | None = None,
) -> tuple[str, np.ndarray]:
    """(key, float32 (N, 2) coordinates) of the embedding of all samples, or of `rows` only.

    With `rows`, only those samples are embedded; the others get NaN coordinates (not drawn).
    The result comes from the results cache when any process computed it before.
    """
    n = len(latent)
    rows = _rows(rows, n)
    check_size(method, n if rows is None else len(rows))

    def compute() -> np.ndarray:
        if rows is None:
            return compute_embedding(latent, method, params, progress)
        coords = np.full((n, 2), np.nan, dtype=np.float32)
        coords[rows] = compute_embedding(latent[rows], method, params, progress)
        return coords

    key, result = cache.cached_result(
        f"embedding.{method}", _cache_params(method, params, rows), latent, compute
    )
    return key, np.asarray(result, dtype=np.float32)


# --- UMAP's compiled code: on-disk numba cache and a one-time warm-up ---------------------------

WARM_UP_ENV = "LATENT_DASH_WARM_UP"  # "0": never start the warm-up process


def numba_cache_dir() -> Path:
    """Where numba keeps compiled code: NUMBA_CACHE_DIR, else a per-user folder.

    Compiled code depends on the library versions and the CPU, not on any dataset, so it is
    shared by every cache folder (LATENT_DASH_CACHE_DIR) and every process of the user.
    """
    given = os.environ.get("NUMBA_CACHE_DIR")
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "latent-dash" / "numba"


_umap_module = None


def prepare_umap():
    """Import umap with numba's on-disk cache on for umap's and pynndescent's functions.

    Most of their jitted functions are not declared `cache=True`, so every new process
    compiles them again (30-45 s); with the cache on, only the first process ever does.
    """
    global _umap_module
    if _umap_module is not None:
        return _umap_module
    import numba
    from numba.core.registry import CPUDispatcher

    folder = numba_cache_dir()
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    if not numba.config.CACHE_DIR and os.access(folder, os.W_OK):
        numba.config.CACHE_DIR = str(folder)
    if not os.environ.get("NUMBA_THREADING_LAYER"):
        # numba's default (OpenMP here) makes any process forked after a UMAP run abort
        # ("fork() called from a process already using GNU OpenMP"); UMAP with a seed runs
        # single-threaded anyway, and "workqueue" survives forks (measured)
        numba.config.THREADING_LAYER = "workqueue"
    import umap

    enabled = 0
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(("umap.", "pynndescent.")):
            continue
        for obj in list(vars(module).values()):
            if isinstance(obj, CPUDispatcher):
                with contextlib.suppress(Exception):  # not cacheable (closures): compiled anew
                    obj.enable_caching()
                    enabled += 1
    log.debug("numba disk cache on for %d umap/pynndescent functions in %s", enabled, folder)
    _umap_module = umap
    return umap


def _versions() -> str:
    from importlib.metadata import version

    parts = [f"{p}-{version(p)}" for p in ("numba", "umap-learn", "pynndescent")]
    return "_".join([*parts, f"py{sys.version_info[0]}{sys.version_info[1]}"])


EXACT_BELOW = 4096  # umap-learn finds exact neighbours below this many samples, else NN-descent
# UMAP's code paths in the order the warm-up compiles them (the likeliest first)
WARM_PATHS = (
    ("euclidean", False),
    ("euclidean", True),
    ("cosine", False),
    ("cosine", True),
)


def warm_up_marker(metric: str | None = None, approximate: bool = False) -> Path:
    """Exists once UMAP's compiled code (of one path, or all) is in the disk cache."""
    what = "" if metric is None else f"-{metric}-{'nndescent' if approximate else 'exact'}"
    return numba_cache_dir() / f"warm-{_versions()}{what}.done"


def _lock_file() -> Path:
    return numba_cache_dir() / "warm-up.lock"


def warm_up_umap() -> float:
    """Compile (or load) every UMAP code path the app uses; returns the seconds it took.

    Holds an exclusive lock meanwhile and marks each path when done, so a UMAP run that starts
    during the warm-up waits for its own path (`wait_for_warm_up`) instead of compiling the
    same functions a second time, in competition for the same cores.
    """
    import fcntl

    start = time.perf_counter()
    numba_cache_dir().mkdir(parents=True, exist_ok=True)
    with open(_lock_file(), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another process is warming up
            return time.perf_counter() - start
        umap = prepare_umap()
        x = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
        for metric, approximate in WARM_PATHS:
            umap.UMAP(
                n_neighbors=10,
                metric=metric,
                random_state=0,
                n_jobs=1,
                n_epochs=20,
                force_approximation_algorithm=approximate,
            ).fit_transform(x)
            warm_up_marker(metric, approximate).touch()
        warm_up_marker().touch()
    return time.perf_counter() - start


def _warming_up() -> bool:
    """True while a warm-up process holds the lock."""
    import fcntl

    try:
        with open(_lock_file()) as lock:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return False


def wait_for_warm_up(metric: str, n: int, progress: Progress | None = None) -> None:
    """Block while a warm-up process compiles the UMAP path this run needs.

    Waiting is quicker than compiling the same code at the same time on the same cores.
    """
    marker = warm_up_marker(metric, n >= EXACT_BELOW)
    if warm_up_marker().exists() or marker.exists():
        return
    told = False
    while _warming_up() and not marker.exists():
        if progress and not told:
            progress("waiting for UMAP's one-time compilation (started with the server)", None)
            told = True
        time.sleep(0.5)


def start_warm_up() -> subprocess.Popen | None:
    """Compile UMAP's code into the disk cache in a separate process.

    Does nothing when the cache already holds it (the usual case after the first start) or
    when LATENT_DASH_WARM_UP=0. A separate process, not a thread: the server forks the
    background-callback workers, and a fork taken while a thread compiles (numba's compiler
    lock) or after numba started OpenMP threads is unsafe (measured: "Terminating: fork()
    called from a process already using GNU OpenMP").
    """
    if os.environ.get(WARM_UP_ENV, "1") == "0":
        return None
    try:
        if warm_up_marker().exists():
            return None
    except Exception:  # umap-learn or numba missing: UMAP will report it when asked for
        return None
    return subprocess.Popen(
        [sys.executable, "-m", "latent_dash.compute.embedding", "--warm-up"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


if __name__ == "__main__" and sys.argv[1:] == ["--warm-up"]:
    import warnings

    warnings.simplefilter("ignore")
    print(f"UMAP warm-up: {warm_up_umap():.1f} s")
