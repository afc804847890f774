"""Where server-side values live: disk caches under one folder, shared by every process.

Everything kept here is addressed by content (a hash of the data, method and parameters, or of
a selection mask), so it is a cache of values, never per-user state: any gunicorn worker or
background worker that shares the folder can serve any request.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import diskcache

CACHE_ENV = "LATENT_DASH_CACHE_DIR"
SIZE_LIMIT = 2**31  # 2 GiB per cache; least recently used entries go first


def cache_dir() -> Path:
    """LATENT_DASH_CACHE_DIR, else .latent-dash-cache in the working directory."""
    return Path(os.environ.get(CACHE_ENV) or ".latent-dash-cache").resolve()


@cache
def _open(directory: Path, name: str) -> diskcache.Cache:
    return diskcache.Cache(
        str(directory / name), size_limit=SIZE_LIMIT, eviction_policy="least-recently-used"
    )


def disk_cache(name: str) -> diskcache.Cache:
    """The named cache ("selections", "results", ...) in the current cache folder."""
    return _open(cache_dir(), name)
