"""Named selections of a config, kept for every user of the server and across restarts.

A selection is a mask in a page; naming it keeps it on the server's shared disk cache (the
"saved-selections" cache in storage's folder), so anyone on the server can recall it tomorrow,
and it can be exported to and imported from a CSV file of `index,selection` lines (index =
the row in the user's files, one line per sample and selection).

Per config key, the cache holds the list of names, name -> {"key", "count", "n", "saved"}:
the selection's content key (selection.mask_key), how many samples it has, over how many
samples it was made, and when it was saved (ISO 8601, UTC). The mask itself is put in
selection_store under its key, so pages pass the key around as for any selection. That store
drops its least recently stored masks when it grows past its size, so a copy of each saved
mask is also kept here, next to the names, and put back in selection_store when recalled.

Two gunicorn workers may save at once: each change of a config's names reads and writes them
in one diskcache transaction (an SQLite write lock across processes), so no save is lost.
A cache that cannot be read or written raises storage.CacheUnavailable, as selection_store.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import diskcache
import numpy as np
import pandas as pd

from latent_dash import selection_store
from latent_dash.storage import CACHE_ERRORS, CacheUnavailable, disk_cache, unavailable

CACHE_NAME = "saved-selections"
MAX_NAME = 80  # characters in a name
MAX_SAVED = 1_000  # names per config
MAX_IMPORT = 100  # selections in one imported file (each becomes an N-sample mask)
HEADER = ("index", "selection")
LOCK_TRIES = 2  # tries to lock before a busy cache is reported (SQLite waits 60 s in each)

Record = dict[str, Any]
FileRows = Callable[[np.ndarray], np.ndarray] | np.ndarray
PositionOf = Callable[[int], int | None] | np.ndarray


def _store() -> diskcache.Cache:
    return disk_cache(CACHE_NAME)


def _index_key(config_key: str) -> tuple[str, str]:
    return ("names", str(config_key))


def _mask_key(config_key: str, key: str) -> tuple[str, str, str]:
    return ("mask", str(config_key), key)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def clean_name(name: object) -> str:
    """The name as kept (stripped); raises ValueError unless it has 1-80 printable characters."""
    if not isinstance(name, str):
        raise ValueError("give the selection a name")
    name = name.strip()
    if not name:
        raise ValueError("give the selection a name")
    if len(name) > MAX_NAME:
        raise ValueError(f"the name has {len(name)} characters; at most {MAX_NAME}")
    if not name.isprintable():
        raise ValueError("the name holds a line break, tab or control character: remove it")
    return name


def _read(key: Any, default: Any = None) -> Any:
    try:
        return _store().get(key, default)
    except CACHE_ERRORS as error:
        raise unavailable(error) from error


@contextlib.contextmanager
def _transaction() -> Iterator[diskcache.Cache]:
    """The store, locked for this process until the block ends (then committed)."""
    store = _store()
    entered = False
    for attempt in range(LOCK_TRIES):
        try:
            with store.transact():
                entered = True
                yield store
            return
        except diskcache.Timeout:
            # BEGIN IMMEDIATE failed: busy past SQLite's timeout, or the folder is read-only
            if entered or attempt == LOCK_TRIES - 1:
                error = OSError("it stayed locked by another process or refused writing")
                raise unavailable(error) from None
        except CACHE_ERRORS as error:
            raise unavailable(error) from error


def _pack(mask: np.ndarray) -> bytes:
    return np.packbits(mask).tobytes() + int(mask.size).to_bytes(8, "big")


def _unpack(raw: bytes, n: int) -> np.ndarray | None:
    if int.from_bytes(raw[-8:], "big") != n:
        return None
    return np.unpackbits(np.frombuffer(raw[:-8], dtype=np.uint8), count=n).astype(bool)


def _as_mask(mask: np.ndarray) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.ndim != 1 or not (mask.dtype == np.bool_ or np.isin(mask, (0, 1)).all()):
        raise ValueError("a selection is a 1-D mask of True/False, one per sample")
    mask = mask.astype(bool)
    if not mask.any():
        raise ValueError("nothing is selected: select some samples before saving")
    return mask


def _save_many(config_key: str, named: list[tuple[str, np.ndarray]], replace: bool) -> list[Record]:
    """Save several masks in one transaction: all of them, or none when a name is taken."""
    keys = [selection_store.put(mask) for _, mask in named]  # content-addressed: harmless
    with _transaction() as store:
        index: dict[str, Record] = dict(store.get(_index_key(config_key), {}))
        taken = [name for name, _ in named if name in index]
        if taken and not replace:
            listed = ", ".join(repr(name) for name in taken)
            what = f"a selection named {listed} is" if len(taken) == 1 else f"{listed} are"
            raise ValueError(f"{what} already saved: choose another name, or replace it")
        if len(set(index) | {name for name, _ in named}) > MAX_SAVED:
            raise ValueError(f"at most {MAX_SAVED} selections can be saved: delete some first")
        saved = []
        for (name, mask), key in zip(named, keys, strict=True):
            old = index.pop(name, None)
            index[name] = {"key": key, "count": int(mask.sum()), "n": int(mask.size)}
            index[name]["saved"] = _now()
            store.set(_mask_key(config_key, key), _pack(mask))
            if old is not None:
                _forget_mask(store, config_key, index, old["key"])
            saved.append({"name": name, **index[name]})
        store.set(_index_key(config_key), index)
    return saved


def _forget_mask(store: diskcache.Cache, config_key: str, index: dict, key: str) -> None:
    """Drop the kept copy of a mask no name of the config uses any more."""
    if all(record["key"] != key for record in index.values()):
        store.delete(_mask_key(config_key, key))


def save(config_key: str, name: str, mask: np.ndarray, replace: bool = False) -> Record:
    """Save `mask` as `name`; returns its record. Raises ValueError (for the user) when the
    name is invalid or taken (unless `replace`) or nothing is selected."""
    return _save_many(config_key, [(clean_name(name), _as_mask(mask))], replace)[0]


def names(config_key: str) -> list[Record]:
    """The saved selections of a config, oldest first: {"name", "key", "count", "n", "saved"}."""
    index: dict[str, Record] = _read(_index_key(config_key), {})
    records = [{"name": name, **record} for name, record in index.items()]
    return sorted(records, key=lambda record: record["saved"])  # stable: ties keep save order


def mask(config_key: str, name: str, n: int) -> np.ndarray | None:
    """The saved mask, or None when no selection of that name is saved.

    Raises ValueError when it was saved over another number of samples (the data changed).
    """
    record = _read(_index_key(config_key), {}).get(str(name).strip())
    if record is None:
        return None
    if record["n"] != n:
        raise ValueError(
            f"{name!r} was saved over {record['n']} samples and the data now have {n}: "
            "it cannot be recalled; delete it"
        )
    found = selection_store.get(record["key"], n)
    if found is not None:
        return found
    raw = _read(_mask_key(config_key, record["key"]))
    found = None if raw is None else _unpack(raw, n)
    if found is None:
        raise CacheUnavailable(
            f"the samples of {name!r} are missing from the server's cache: delete it and "
            "save it again (or import it from an exported CSV file)"
        )
    with contextlib.suppress(CacheUnavailable):  # pages need it by key; recall works anyway
        selection_store.put(found)
    return found


def rename(config_key: str, old: str, new: str, replace: bool = False) -> Record:
    """Give a saved selection another name; returns its record. ValueError when `old` is not
    saved, or `new` is invalid or taken (unless `replace`)."""
    old, new = str(old).strip(), clean_name(new)
    with _transaction() as store:
        index: dict[str, Record] = dict(store.get(_index_key(config_key), {}))
        if old not in index:
            raise ValueError(f"no selection named {old!r} is saved (deleted meanwhile?)")
        if new == old:
            return {"name": new, **index[new]}
        if new in index and not replace:
            raise ValueError(
                f"a selection named {new!r} is already saved: choose another name, or replace it"
            )
        record = index.pop(old)  # keeps its save time, so its place in `names`
        displaced = index.pop(new, None)
        index[new] = record
        if displaced is not None:
            _forget_mask(store, config_key, index, displaced["key"])
        store.set(_index_key(config_key), index)
    return {"name": new, **record}


def delete(config_key: str, name: str) -> bool:
    """Forget a saved selection; False when there was none of that name."""
    name = str(name).strip()
    with _transaction() as store:
        index: dict[str, Record] = dict(store.get(_index_key(config_key), {}))
        record = index.pop(name, None)
        if record is None:
            return False
        _forget_mask(store, config_key, index, record["key"])
        store.set(_index_key(config_key), index)
    return True


def _file_rows(file_rows: FileRows, positions: np.ndarray) -> np.ndarray:
    if callable(file_rows):
        return np.asarray(file_rows(positions), dtype=np.int64)
    return np.asarray(file_rows, dtype=np.int64)[positions]


def to_csv(
    config_key: str, dataset_file_rows: FileRows, n: int, only: list[str] | None = None
) -> str:
    """CSV text `index,selection`, one line per (sample, saved selection), index = file row.

    `dataset_file_rows` maps positions to file rows: Dataset.file_rows, or its array over all
    positions. Selections in save order (`only`: these names), samples in file order.
    Selections saved over another number of samples than n cannot be mapped and are left out.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for record in names(config_key):
        if (only is not None and record["name"] not in only) or record["n"] != n:
            continue
        found = mask(config_key, record["name"], n)
        if found is None:  # deleted meanwhile
            continue
        rows = _file_rows(dataset_file_rows, np.flatnonzero(found))
        writer.writerows((int(row), record["name"]) for row in rows)
    return out.getvalue()


def _positions(position_of: PositionOf, file_rows: np.ndarray, n: int) -> np.ndarray:
    """Position of each file row, -1 where the dataset has none."""
    if callable(position_of):
        lookup: dict[int, int] = {}
        for row in np.unique(file_rows).tolist():
            at = position_of(row)
            lookup[row] = -1 if at is None else int(at)
        found = np.array([lookup[row] for row in file_rows.tolist()], dtype=np.int64)
    else:
        known = np.asarray(position_of, dtype=np.int64)  # the file row of each position, sorted
        if not len(known):
            return np.full(len(file_rows), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(known, file_rows), len(known) - 1)
        found = np.where(known[at] == file_rows, at, -1)
    return np.where((found >= 0) & (found < n), found, -1)


def _parse(text: str) -> tuple[np.ndarray, list[str]]:
    """(file rows, names) of an `index,selection` file; ValueError naming the line if malformed."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    rows: list[int] = []
    labels: list[str] = []
    header = False
    try:
        for fields in reader:
            line = reader.line_num
            if not fields or all(not field.strip() for field in fields):
                continue
            if not header:
                if tuple(field.strip().lower() for field in fields) != HEADER:
                    raise ValueError(
                        f"line {line}: expected the header 'index,selection', "
                        f"found {','.join(fields)[:60]!r}"
                    )
                header = True
                continue
            if len(fields) != 2:
                raise ValueError(
                    f"line {line}: expected 2 fields (index,selection), found {len(fields)}"
                )
            try:
                row = int(fields[0].strip())
            except ValueError:
                raise ValueError(
                    f"line {line}: the index {fields[0][:30]!r} is not a whole number"
                ) from None
            try:
                labels.append(clean_name(fields[1]))
            except ValueError as error:
                raise ValueError(f"line {line}: {error}") from None
            rows.append(row)
    except csv.Error as error:
        raise ValueError(f"line {reader.line_num}: not valid CSV ({error})") from None
    if not header:
        raise ValueError("the file is empty: expected the header 'index,selection' and rows")
    if not rows:
        raise ValueError("the file has a header but no rows: nothing to import")
    return np.asarray(rows, dtype=np.int64), labels


def from_csv(
    config_key: str, text: str, position_of: PositionOf, n: int, replace: bool = False
) -> tuple[list[Record], list[str]]:
    """Import the selections of an `index,selection` CSV text (as `to_csv` writes).

    `position_of` maps a file row to its position (Dataset.position_of), or is the array of
    the file row of every position (sorted). Returns (records saved, problems): rows the dataset
    does not have are left out and reported there. Raises ValueError, saving nothing, when the
    file is malformed (the message names the line) or a name is already saved (unless
    `replace`).
    """
    file_rows, labels = _parse(text)
    codes, order = pd.factorize(np.asarray(labels, dtype=object))  # names in the file's order
    if len(order) > MAX_IMPORT:
        raise ValueError(
            f"the file holds {len(order)} selections; at most {MAX_IMPORT} can be imported at once"
        )
    at = _positions(position_of, file_rows, n)
    problems: list[str] = []
    named: list[tuple[str, np.ndarray]] = []
    by_name = np.argsort(codes, kind="stable")
    groups = np.split(by_name, np.cumsum(np.bincount(codes, minlength=len(order)))[:-1])
    for name, lines in zip(order, groups, strict=True):
        positions = at[lines]
        missing = np.unique(file_rows[lines][positions < 0])
        if len(missing):
            shown = ", ".join(str(row) for row in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            problems.append(
                f"{name!r}: {len(missing)} row{'s' * (len(missing) != 1)} not in this "
                f"dataset {'was' if len(missing) == 1 else 'were'} left out ({shown}{more})"
            )
        if not (positions >= 0).any():
            problems.append(f"{name!r} was not imported: none of its rows are in this dataset")
            continue
        selected = np.zeros(n, dtype=bool)
        selected[positions[positions >= 0]] = True
        named.append((str(name), selected))
    saved = _save_many(config_key, named, replace) if named else []
    return saved, problems
