"""Results of computations, cached on disk by a hash of (data, method, parameters).

Any process and any user asking for the same computation on the same data gets the stored
result at once; changing the data or one parameter changes the key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from latent_dash.storage import CACHE_ERRORS, disk_cache, unavailable

_fingerprints: dict[int, tuple[np.ndarray, str]] = {}


def content_hash(array: np.ndarray) -> str:
    """A hash of an array's shape, dtype and bytes. Not kept: for arrays built per request
    (targets, row sets, the filter's visible rows), where `fingerprint` would keep each alive."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{array.shape}|{array.dtype.str}|".encode())
    digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def fingerprint(array: np.ndarray) -> str:
    """The content hash of a dataset's array, computed once per array object."""
    hit = _fingerprints.get(id(array))
    if hit is not None and hit[0] is array:
        return hit[1]
    value = content_hash(array)
    _fingerprints[id(array)] = (array, value)  # keeps the array alive: datasets are few
    return value


def result_key(method: str, params: dict[str, Any], *fingerprints: str) -> str:
    """The cache key of `method` with `params` on data with the given fingerprints."""
    text = json.dumps(
        {"method": method, "params": params, "data": fingerprints}, sort_keys=True, default=str
    )
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def load(key: str) -> np.ndarray | None:
    """The stored result, or None; raises storage.CacheUnavailable when the cache is sick."""
    try:
        value = disk_cache("results").get(key)
    except CACHE_ERRORS as error:
        raise unavailable(error) from error
    return None if value is None else np.asarray(value)


def save(key: str, array: np.ndarray) -> None:
    """Keep a result (pages fetch it by key); raises storage.CacheUnavailable when it cannot."""
    try:
        disk_cache("results").set(key, np.asarray(array))
    except CACHE_ERRORS as error:
        raise unavailable(error) from error


def cached_result(
    method: str, params: dict[str, Any], data: np.ndarray, compute: Callable[[], np.ndarray]
) -> tuple[str, np.ndarray]:
    """(key, result): the stored result, or compute(), store and return it."""
    key = result_key(method, params, fingerprint(data))
    hit = load(key)
    if hit is not None:
        return key, hit
    result = np.asarray(compute())
    save(key, result)
    return key, result
