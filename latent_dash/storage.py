"""Where server-side values live: disk caches under one folder, shared by every process.

Everything kept here is addressed by content (a hash of the data, method and parameters, or of
a selection mask), so it is a cache of values, never per-user state: any gunicorn worker or
background worker that shares the folder can serve any request.

The folder is LATENT_DASH_CACHE_DIR, else `.latent-dash-cache` in the folder of the configs
being served or precomputed: the server and `latent-dash precompute` of the same configs then
share it from whatever working directory each was started in.

A sick cache folder must not take the server down:
- Reads never write: entries are evicted least-recently-*stored* (diskcache's least-recently-
  used policy writes its bookkeeping on every read, so on a full disk every read failed and
  every page was blank). What is stored stays readable on a full or read-only disk.
- No memory map of the database (`sqlite_mmap_size=0`): a mapped file that cannot be written
  kills the process with SIGBUS instead of raising an error.
- A folder that cannot be opened at all (read-only, missing rights) is replaced by a folder
  for this machine under the system's temporary folder, with an error in the log; `health()`
  (/healthz, the page's banner) keeps saying what is wrong until the folder is fixed.
- A write that fails (disk full, made read-only under a running server) raises CacheUnavailable
  with what happened and what to do; the request that needed it answers 503 with that message.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import shutil
import sqlite3
import tempfile
import uuid
from functools import cache
from pathlib import Path

import diskcache

CACHE_ENV = "LATENT_DASH_CACHE_DIR"
CACHE_FOLDER = ".latent-dash-cache"
SIZE_LIMIT = 2**31  # 2 GiB per cache; least recently stored entries go first
CACHE_ERRORS = (OSError, sqlite3.Error)
FULL_BELOW = 2**20  # bytes free under which a failed write is put down to a full disk
log = logging.getLogger(__name__)


class CacheUnavailable(RuntimeError):
    """The cache folder cannot keep a value: the message says why and what to do."""


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


def fallback_dir(directory: Path) -> Path:
    """The stand-in for an unusable cache folder: one per folder and machine, so the workers
    of one server still share it."""
    digest = hashlib.blake2b(str(directory).encode(), digest_size=6).hexdigest()
    return Path(tempfile.gettempdir()) / f"latent-dash-cache-{os.getuid()}-{digest}"


def _cache(folder: Path) -> diskcache.Cache:
    return diskcache.Cache(
        str(folder),
        size_limit=SIZE_LIMIT,
        eviction_policy="least-recently-stored",
        sqlite_mmap_size=0,
    )


@cache
def _open(directory: Path, name: str) -> diskcache.Cache:
    try:
        return _cache(directory / name)
    except CACHE_ERRORS as error:
        fallback = fallback_dir(directory)
        log.error(
            "cannot open the cache %s (%s); using %s on this machine meanwhile. Fix: make %s "
            "writable (%s), then restart",
            directory / name, error, fallback / name, directory, CACHE_ENV,
        )  # fmt: skip
        return _cache(fallback / name)


def disk_cache(name: str) -> diskcache.Cache:
    """The named cache ("selections", "results", ...) in the current cache folder."""
    return _open(cache_dir(), name)


def unavailable(error: Exception) -> CacheUnavailable:
    """The CacheUnavailable to raise for a failed cache write, with what to do."""
    full = "full" in str(error).lower() or getattr(error, "errno", None) == errno.ENOSPC
    if not full:  # SQLite says "disk I/O error" when its journal cannot grow
        with contextlib.suppress(OSError):
            full = shutil.disk_usage(cache_dir()).free < FULL_BELOW
    what = "is full" if full else f"cannot be written ({error})"
    fix = "free space on its disk" if full else "make it writable"
    return CacheUnavailable(
        f"The server's cache folder {cache_dir()} {what}: this cannot be kept. "
        f"Nothing you had is lost; ask the administrator to {fix} ({CACHE_ENV}), then try again."
    )


def health() -> str | None:
    """None when the cache folder takes what pages need (store, read back, delete an entry),
    else what is wrong. Tested on the folder itself, not on a stand-in."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _cache(folder / "health") as probe:
            key, value = uuid.uuid4().hex, os.urandom(64 * 2**10)  # past diskcache's inline size
            probe.set(key, value)
            if probe.get(key) != value:
                return f"the cache folder {folder} does not read back what it stored"
            probe.delete(key)
    except CACHE_ERRORS as error:
        return str(unavailable(error)).split(": this")[0]
    if _open(folder, "selections").directory != str(folder / "selections"):
        return f"the cache folder {folder} could not be opened at start; restart the server"
    return None
