"""Server-side copies of selections, addressed by content, shared by every worker process.

The browser sends a selection's mask to the server once; afterwards server views ask for it by
its key, so a selection change costs one N/8-byte transfer however many views react to it.
Keys are content hashes, so this is a cache of values, not per-user state: any process that
shares the cache folder (one machine) can serve any request.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import diskcache
import numpy as np

from latent_dash.selection import mask_key

CACHE_ENV = "LATENT_DASH_CACHE_DIR"
SIZE_LIMIT = 2**30  # 1 GiB of masks: ~80,000 selections at N = 100k


def cache_dir() -> Path:
    """LATENT_DASH_CACHE_DIR, else .latent-dash-cache in the working directory."""
    return Path(os.environ.get(CACHE_ENV) or ".latent-dash-cache").resolve()


@cache
def _store(directory: Path) -> diskcache.Cache:
    return diskcache.Cache(str(directory / "selections"), size_limit=SIZE_LIMIT)


def put(mask: np.ndarray) -> str:
    """Keep a mask; returns its key."""
    key = mask_key(mask)
    _store(cache_dir()).set(key, np.packbits(mask).tobytes() + int(mask.size).to_bytes(8, "big"))
    return key


def get(key: str | None, n: int) -> np.ndarray | None:
    """The mask kept under `key`, or None when unknown (never stored, evicted) or not over n."""
    if not key:
        return None
    raw = _store(cache_dir()).get(key)
    if raw is None or int.from_bytes(raw[-8:], "big") != n:
        return None
    return np.unpackbits(np.frombuffer(raw[:-8], dtype=np.uint8), count=n).astype(bool)
