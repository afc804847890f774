"""The selection value: which of N samples are selected, as a compact, JSON-safe value.

A dense selection travels as an `np.packbits` mask in urlsafe base64 (N/8 bytes, the floor for
an arbitrary subset); a sparse one as a short index list, whichever is smaller. The browser-side
twin of these functions is `assets/selection.js`; both must agree bit for bit.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, Literal

import numpy as np

Mode = Literal["replace", "add", "intersect", "subtract"]
MODES: tuple[Mode, ...] = ("replace", "add", "intersect", "subtract")


def encode(mask: np.ndarray) -> dict[str, Any]:
    """{"n": N, "bits": base64} for dense masks, {"n": N, "idx": [...]} for sparse ones."""
    mask = np.asarray(mask, dtype=bool)
    n = int(mask.size)
    index = np.flatnonzero(mask)
    # an index costs about its digit count plus a comma; the mask costs N/8 * 4/3 characters
    index_chars = len(index) * (len(str(n)) + 1)
    if index_chars < (n + 7) // 8 * 4 // 3:
        return {"n": n, "idx": index.tolist()}
    bits = base64.urlsafe_b64encode(np.packbits(mask).tobytes()).decode("ascii")
    return {"n": n, "bits": bits}


def decode(value: dict[str, Any] | None, n: int) -> np.ndarray | None:
    """The boolean mask of an encoded selection, or None for "no selection".

    Raises ValueError when the value does not describe a selection over n samples, so a stale
    or forged value is refused rather than misread.
    """
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("n") != n:
        raise ValueError(f"selection is not over {n} samples")
    mask = np.zeros(n, dtype=bool)
    if "idx" in value:
        index = np.asarray(value["idx"], dtype=np.int64)
        if index.size and (index.min() < 0 or index.max() >= n):
            raise ValueError("selection index out of range")
        mask[index] = True
        return mask
    raw = base64.urlsafe_b64decode(str(value["bits"]).encode("ascii"))
    if len(raw) != (n + 7) // 8:
        raise ValueError("selection mask has the wrong length")
    return np.unpackbits(np.frombuffer(raw, dtype=np.uint8), count=n).astype(bool)


def combine(current: np.ndarray | None, fresh: np.ndarray, mode: Mode) -> np.ndarray:
    """A new selection made in `mode` against the current one.

    With nothing selected yet (None) every mode takes the fresh selection as it is.
    """
    if mode not in MODES:
        raise ValueError(f"unknown selection mode {mode!r}")
    if current is None or mode == "replace":
        return fresh
    if mode == "add":
        return current | fresh
    if mode == "intersect":
        return current & fresh
    return current & ~fresh


def mask_key(mask: np.ndarray) -> str:
    """A content address for a mask: equal selections get equal keys, in any process."""
    packed = np.packbits(np.asarray(mask, dtype=bool)).tobytes()
    return hashlib.blake2b(packed + str(mask.size).encode(), digest_size=12).hexdigest()
