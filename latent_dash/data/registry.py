"""The per-process store of loaded datasets, shared read-only by every request and user.

A dataset is loaded once per process and reused until its config or one of its files changes,
so callbacks can ask for it on every request. A change is seen by modification time, size and
inode together: a file truncated with its time kept (a copy tool's `--preserve`) or replaced by
another of the same size is noticed, and the dataset loaded anew, before any request touches
the memory map of the old file (reading a mapped page past a truncated end kills the process
with SIGBUS). A file that no longer loads gives the loader's ConfigError, which pages show.
"""

from __future__ import annotations

import threading
from pathlib import Path

from latent_dash.config import LoadedCompare, LoadedConfig, parse_compare, parse_config
from latent_dash.data.dataset import Dataset, check_view_columns, load_dataset
from latent_dash.errors import ConfigError, Problem

_lock = threading.Lock()
_loaded: dict[Path, tuple[tuple, LoadedConfig, Dataset]] = {}
_parsed: dict[tuple[Path, bool], tuple[tuple, LoadedConfig | LoadedCompare]] = {}


def _stamp(loaded: LoadedConfig) -> tuple:
    cfg = loaded.config.dataset
    paths = [loaded.path] + [
        loaded.resolve(s.path) for s in (cfg.latent, cfg.images, cfg.params, cfg.metadata) if s
    ]
    if cfg.decoder and cfg.decoder.endswith(".npz"):  # a module:function decoder is code
        paths.append(loaded.resolve(cfg.decoder))
    return tuple(_file_stamp(p) for p in paths)


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None  # missing: the loader says so
    return info.st_mtime_ns, info.st_size, info.st_ino


def parsed(path: Path | str, compare: bool = False) -> LoadedConfig | LoadedCompare:
    """The config parsed and validated once per version of its file (modification time, size
    and inode), not on every callback: a parse costs about 10 ms. A config that does not parse
    is parsed again each time (its ConfigError says what to fix)."""
    file = Path(path).resolve()
    stamp = _file_stamp(file)
    hit = _parsed.get((file, compare))
    if stamp is not None and hit is not None and hit[0] == stamp:
        return hit[1]
    loaded = parse_compare(file) if compare else parse_config(file)
    if stamp is not None:
        _parsed[(file, compare)] = (stamp, loaded)
    return loaded


def open_config(path: Path | str) -> tuple[LoadedConfig, Dataset]:
    """The parsed config and its dataset; raises ConfigError with every problem found."""
    loaded = parsed(path)
    stamp = _stamp(loaded)
    with _lock:
        hit = _loaded.get(loaded.path)
        if hit is not None and hit[0] == stamp:
            return hit[1], hit[2]
        _loaded.pop(loaded.path, None)  # never serve the old files' maps once they changed
        dataset = load_dataset(loaded)
        _loaded[loaded.path] = (stamp, loaded, dataset)
        return loaded, dataset


def open_compare(path: Path | str) -> tuple[LoadedCompare, tuple[Dataset, ...]]:
    """A comparison config and its models' datasets, checked to describe the same samples.

    Every model's problems are reported together; the per-model views' columns must exist in
    every model, since each model draws the same views.
    """
    loaded = parsed(path, compare=True)
    file = str(loaded.path)
    datasets: list[Dataset] = []
    problems: list[Problem] = []
    for member in loaded.members:
        try:
            datasets.append(open_config(member)[1])
        except ConfigError as error:
            problems.extend(error.problems)
    if problems:
        raise ConfigError(problems)
    first = datasets[0]
    for i, dataset in enumerate(datasets[1:], start=1):
        if dataset.n != first.n:
            problems.append(
                Problem(
                    file,
                    f"compare.{i}",
                    f"{loaded.members[i].name} has {dataset.n:,} samples but "
                    f"{loaded.members[0].name} has {first.n:,}",
                    "compare models of the same samples: row i must be sample i in each",
                )
            )
    error_column = loaded.config.comparison.error
    for member, dataset in zip(loaded.members, datasets, strict=True):
        try:
            check_view_columns(loaded, dataset)
        except ConfigError as error:
            problems.extend(error.problems)
        if error_column and error_column not in {c.name for c in dataset.columns}:
            problems.append(
                Problem(
                    file,
                    "comparison.error",
                    f"{member.name} has no column named {error_column!r}",
                    "name a metadata column every model has, or leave it out",
                )
            )
    if problems:
        raise ConfigError(problems)
    return loaded, tuple(datasets)
