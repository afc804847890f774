"""The per-process store of loaded datasets, shared read-only by every request and user.

A dataset is loaded once per process and reused until its config or one of its files changes
(the key holds their modification times), so callbacks can ask for it on every request.
"""

from __future__ import annotations

import threading
from pathlib import Path

from latent_dash.config import LoadedConfig, parse_config
from latent_dash.data.dataset import Dataset, load_dataset

_lock = threading.Lock()
_loaded: dict[Path, tuple[tuple[float, ...], LoadedConfig, Dataset]] = {}


def _stamp(loaded: LoadedConfig) -> tuple[float, ...]:
    cfg = loaded.config.dataset
    paths = [loaded.path] + [
        loaded.resolve(s.path) for s in (cfg.latent, cfg.images, cfg.params, cfg.metadata) if s
    ]
    if cfg.decoder and cfg.decoder.endswith(".npz"):  # a module:function decoder is code
        paths.append(loaded.resolve(cfg.decoder))
    return tuple(p.stat().st_mtime if p.exists() else -1.0 for p in paths)


def open_config(path: Path | str) -> tuple[LoadedConfig, Dataset]:
    """The parsed config and its dataset; raises ConfigError with every problem found."""
    loaded = parse_config(path)
    stamp = _stamp(loaded)
    with _lock:
        hit = _loaded.get(loaded.path)
        if hit is not None and hit[0] == stamp:
            return hit[1], hit[2]
        dataset = load_dataset(loaded)
        _loaded[loaded.path] = (stamp, loaded, dataset)
        return loaded, dataset
