"""Reading one array or table from a file, read-only, with messages that say how to fix a failure.

.npy files are memory-mapped (mode "r"), so a million images cost no memory until viewed and a
user's file can never be written. Nothing here runs code from a file: pickles are refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from latent_dash.errors import ConfigError, Problem

ARRAY_FORMATS = (".npy", ".npz", ".csv", ".parquet")


class SourceError(ConfigError):
    """A single source failed; `problem` is the one Problem it carries."""

    def __init__(self, problem: Problem):
        super().__init__([problem])
        self.problem = problem


def _fail(file: Path | str, key: str, message: str, fix: str) -> SourceError:
    return SourceError(Problem(str(file), key, message, fix))


def _check_exists(path: Path, key: str, demo_hint: str) -> None:
    if not path.is_file():
        fix = "check the path (it is relative to the config file's folder)" + demo_hint
        raise _fail(path, key, "file not found", fix)
    if path.suffix.lower() not in ARRAY_FORMATS:
        raise _fail(
            path,
            key,
            f"unsupported format {path.suffix!r}",
            f"save the data as one of {', '.join(ARRAY_FORMATS)}",
        )


def _read_npy(path: Path, key: str) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Python objects" in str(exc):
            raise _fail(
                path,
                key,
                "the array holds Python objects (a pickle), which are never loaded",
                "save a numeric array, e.g. np.save(path, np.asarray(x, dtype=np.float32))",
            ) from None
        raise _fail(
            path, key, f"not a readable .npy file ({exc})", "re-save it with np.save"
        ) from None
    except OSError as exc:
        raise _fail(path, key, f"cannot read the file ({exc})", "check it is a .npy file") from None


def _read_npz(path: Path, key: str, member: str | None) -> np.ndarray:
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if member is None:
                if len(names) != 1:
                    raise _fail(
                        path,
                        f"{key}.key",
                        f"the .npz file holds {len(names)} arrays {names}",
                        f"say which one with `key:`, e.g. key: {names[0] if names else 'latent'}",
                    )
                member = names[0]
            if member not in names:
                raise _fail(
                    path,
                    f"{key}.key",
                    f"no array named {member!r} in the .npz file",
                    f"use one of: {', '.join(names)}",
                )
            return archive[member]
    except SourceError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc):
            raise _fail(
                path,
                key,
                "the array holds Python objects (a pickle), which are never loaded",
                "save numeric arrays with np.savez",
            ) from None
        raise _fail(
            path, key, f"not a readable .npz file ({exc})", "re-save it with np.savez"
        ) from None
    except OSError as exc:
        raise _fail(
            path, key, f"not a readable .npz file ({exc})", "re-save it with np.savez"
        ) from None


def read_table(
    path: Path, key: str, columns: list[str] | None = None, demo_hint: str = ""
) -> pd.DataFrame:
    """A table from .csv or .parquet (or a 2-D array file, with columns named c0, c1, ...)."""
    _check_exists(path, key, demo_hint)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            array = _read_npy(path, key) if suffix == ".npy" else _read_npz(path, key, None)
            if array.ndim == 1:
                array = array[:, None]
            frame = pd.DataFrame(
                np.asarray(array), columns=[f"c{i}" for i in range(array.shape[1])]
            )
    except SourceError:
        raise
    except (ValueError, OSError, pd.errors.ParserError, ImportError) as exc:
        raise _fail(
            path, key, f"cannot read the table ({exc})", "check the file's format"
        ) from None
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise _fail(
                path,
                f"{key}.columns",
                f"no column named {', '.join(map(repr, missing))}",
                f"use columns of the file: {', '.join(map(str, frame.columns))}",
            )
        frame = frame[columns]
    return frame


def read_matrix(
    path: Path,
    key: str,
    member: str | None = None,
    columns: list[str] | None = None,
    demo_hint: str = "",
) -> tuple[np.ndarray, list[str] | None]:
    """An array (memory-mapped where possible) and, for tables, its column names."""
    _check_exists(path, key, demo_hint)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return _read_npy(path, key), None
    if suffix == ".npz":
        return _read_npz(path, key, member), None
    frame = read_table(path, key, columns)
    bad = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise _fail(
            path,
            key,
            f"non-numeric column(s) {', '.join(bad)}",
            f"list only numeric columns under {key}.columns, or move text to the metadata table",
        )
    return frame.to_numpy(dtype=np.float64), [str(c) for c in frame.columns]
