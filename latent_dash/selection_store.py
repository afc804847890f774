"""Server-side copies of selections (and filters), addressed by content.

The browser sends a selection's mask to the server once; afterwards server views ask for it by
its key, so a selection change costs one N/8-byte transfer however many views react to it.
"""

from __future__ import annotations

import numpy as np

from latent_dash.selection import mask_key
from latent_dash.storage import disk_cache


def put(mask: np.ndarray) -> str:
    """Keep a mask; returns its key."""
    key = mask_key(mask)
    disk_cache("selections").set(
        key, np.packbits(mask).tobytes() + int(mask.size).to_bytes(8, "big")
    )
    return key


def get(key: str | None, n: int) -> np.ndarray | None:
    """The mask kept under `key`, or None when unknown (never stored, evicted) or not over n."""
    if not key:
        return None
    raw = disk_cache("selections").get(key)
    if raw is None or int.from_bytes(raw[-8:], "big") != n:
        return None
    return np.unpackbits(np.frombuffer(raw[:-8], dtype=np.uint8), count=n).astype(bool)
