"""Server-side copies of selections (and filters), addressed by content.

The browser sends a selection's mask to the server once; afterwards server views ask for it by
its key, so a selection change costs one N/8-byte transfer however many views react to it.
"""

from __future__ import annotations

import numpy as np

from latent_dash.selection import mask_key
from latent_dash.storage import CACHE_ERRORS, disk_cache, unavailable


def put(mask: np.ndarray) -> str:
    """Keep a mask; returns its key. Raises storage.CacheUnavailable when it cannot."""
    key = mask_key(mask)
    store = disk_cache("selections")
    try:
        store.set(key, np.packbits(mask).tobytes() + int(mask.size).to_bytes(8, "big"))
    except CACHE_ERRORS as error:
        if _kept(store, key):  # stored before the disk filled up: still there to read
            return key
        raise unavailable(error) from error
    return key


def _kept(store, key: str) -> bool:
    try:
        return key in store
    except CACHE_ERRORS:
        return False


def get(key: str | None, n: int) -> np.ndarray | None:
    """The mask kept under `key`, or None when unknown (never stored, evicted) or not over n."""
    if not key:
        return None
    try:
        raw = disk_cache("selections").get(key)
    except CACHE_ERRORS as error:
        raise unavailable(error) from error
    if raw is None or int.from_bytes(raw[-8:], "big") != n:
        return None
    return np.unpackbits(np.frombuffer(raw[:-8], dtype=np.uint8), count=n).astype(bool)
