"""Where server-side values live: disk caches under one folder, shared by every process.

Everything kept here is addressed by content (a hash of the data, method and parameters, or of
a selection mask), so it is a cache of values, never per-user state: any gunicorn worker or
background worker that shares the folder can serve any request.

The folder is LATENT_DASH_CACHE_DIR, else `.latent-dash-cache` in the folder of the configs
being served or precomputed: the server and `latent-dash precompute` of the same configs then
share it from whatever working directory each was started in.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import diskcache

CACHE_ENV = "LATENT_DASH_CACHE_DIR"
CACHE_FOLDER = ".latent-dash-cache"
SIZE_LIMIT = 2**31  # 2 GiB per cache; least recently used entries go first

_configs: dict[str, Path] = {}  # "folder": the folder of the configs this process serves


def use_config_folder(folder: Path | str) -> None:
    """Make `<folder>/.latent-dash-cache` this process's cache (unless LATENT_DASH_CACHE_DIR
    is set): create_app and `latent-dash precompute` call it with their configs' folder."""
    _configs["folder"] = Path(folder).resolve()


def cache_dir() -> Path:
    """LATENT_DASH_CACHE_DIR, else .latent-dash-cache in the configs' folder (see
    use_config_folder), else in the working directory (a process that serves no config)."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given).resolve()
    return (_configs.get("folder", Path.cwd()) / CACHE_FOLDER).resolve()


def describe_cache() -> str:
    """Which cache folder is used and why, for the terminal."""
    why = (
        f"from {CACHE_ENV}"
        if os.environ.get(CACHE_ENV)
        else (f"beside the configs; set {CACHE_ENV} to choose another")
    )
    return f"cache: {cache_dir()} ({why})"


@cache
def _open(directory: Path, name: str) -> diskcache.Cache:
    return diskcache.Cache(
        str(directory / name), size_limit=SIZE_LIMIT, eviction_policy="least-recently-used"
    )


def disk_cache(name: str) -> diskcache.Cache:
    """The named cache ("selections", "results", ...) in the current cache folder."""
    return _open(cache_dir(), name)
