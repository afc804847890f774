"""Reading one array or table from a file, read-only, with messages that say how to fix a failure.

.npy files are memory-mapped (mode "r"), so a million images cost no memory until viewed and a
user's file can never be written. Nothing here runs code from a file: pickles are refused.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from latent_dash.errors import ConfigError, Problem, did_you_mean

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


NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members; an empty zip
SHOWN_LINES = 5  # problem lines quoted in one message; the rest are counted


def _head(path: Path, key: str, size: int = 512) -> bytes:
    """The first bytes of a file, which say what it holds whatever its suffix."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise _fail(
            path, key, f"cannot read the file ({exc.strerror or exc})", "check its permissions"
        ) from None


def describe_content(path: Path, key: str = "") -> tuple[str, str]:
    """What a file that did not load as its suffix says actually holds, from its first bytes,
    and the fix: (e.g. "is a text file, not a NumPy .npy (it starts with 'z0,z1')", "...")."""
    head = _head(path, key)
    kind = {".npy": "a NumPy .npy", ".npz": "a NumPy .npz", ".csv": "a CSV file",
            ".parquet": "a Parquet file"}.get(path.suffix.lower(), "readable")  # fmt: skip
    if not head:
        return "is empty (0 bytes)", "write the data again (was the saving interrupted?)"
    if head.startswith(NPY_MAGIC):
        return f"is a NumPy .npy file, not {kind}", "rename it to .npy"
    if head.startswith(ZIP_MAGICS):
        return f"is a zip archive (a NumPy .npz?), not {kind}", "rename it to .npz"
    if head.startswith(b"PAR1"):
        return f"is a Parquet file, not {kind}", "rename it to .parquet"
    if head.startswith(b"\x89HDF"):
        return f"is an HDF5 file, not {kind}", "export the arrays with np.save or to .parquet"
    if head[:1] == b"\x80":
        return (
            "holds Python objects (a pickle), which are never loaded",
            "save a numeric array, e.g. np.save(path, np.asarray(x, dtype=np.float32))",
        )
    text = head.decode("utf-8", errors="replace")
    if "\x00" not in text and text.count("\ufffd") <= 1:
        first = text.splitlines()[0][:60] if text.strip() else ""
        fix = (
            "if it is a table, rename it to .csv (a header line, then one row per sample); "
            "else save the array with np.save"
        )
        return f"is a text file, not {kind} (it starts with {first!r})", fix
    return f"is not {kind} (its first bytes are {head[:8]!r})", "save the data again"


def _fail_as(path: Path, key: str) -> SourceError:
    what, fix = describe_content(path, key)
    return _fail(path, key, f"the file {what}", fix)


def _read_npy(path: Path, key: str) -> np.ndarray:
    if not _head(path, key, len(NPY_MAGIC)).startswith(NPY_MAGIC):
        raise _fail_as(path, key)
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Python objects" in str(exc) or "pickled" in str(exc):
            raise _fail(
                path,
                key,
                "the array holds Python objects (a pickle), which are never loaded",
                "save a numeric array, e.g. np.save(path, np.asarray(x, dtype=np.float32))",
            ) from None
        raise _fail(
            path,
            key,
            f"the .npy file is cut short or damaged ({exc})",
            "save it again with np.save (was the writing interrupted?)",
        ) from None
    except (EOFError, OSError) as exc:
        raise _fail(
            path,
            key,
            f"the .npy file is cut short or damaged ({exc or type(exc).__name__})",
            "save it again with np.save (was the writing interrupted?)",
        ) from None


def _read_npz(path: Path, key: str, member: str | None) -> np.ndarray:
    if not _head(path, key, 4).startswith(ZIP_MAGICS):
        raise _fail_as(path, key)
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if not names:
                raise _fail(
                    path,
                    key,
                    "the .npz file is empty: it holds no arrays",
                    "save the arrays into it, e.g. np.savez(path, latent=z)",
                )
            if member is None:
                if len(names) != 1:
                    raise _fail(
                        path,
                        f"{key}.key",
                        f"the .npz file holds {len(names)} arrays {names}",
                        f"say which one with `key:`, e.g. key: {names[0]}",
                    )
                member = names[0]
            if member not in names:
                raise _fail(
                    path,
                    f"{key}.key",
                    f"no array named {member!r} in the .npz file{did_you_mean(member, names)}",
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
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _fail(
            path, key, f"not a readable .npz file ({exc})", "re-save it with np.savez"
        ) from None


def csv_record_lines(path: Path) -> tuple[np.ndarray, list[tuple[int, int]], int]:
    """Scan a CSV as pandas reads it: the file line each data row starts on (1-based, so the
    header is line 1 and row 0 is usually line 2), the (line, field count) of rows with fewer
    fields than the header, and the header's field count. Blank lines are skipped, as pandas
    does; a quoted field may span lines."""
    starts: list[int] = []
    short: list[tuple[int, int]] = []
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        width = 0
        line = 1
        for record in reader:
            first = line
            line = reader.line_num + 1
            if not record:
                continue
            if not width:
                width = len(record)
                continue
            starts.append(first)
            if len(record) < width:
                short.append((first, len(record)))
    return np.asarray(starts, dtype=np.int64), short, width


def _lines_text(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:SHOWN_LINES])
    more = len(lines) - SHOWN_LINES
    return shown + (f" and {more} more" if more > 0 else "")


def _check_short_rows(path: Path, key: str, frame: pd.DataFrame) -> None:
    """pandas fills a row with fewer fields than the header with NaN, silently: refuse it."""
    if frame.shape[1] < 2 or not frame.iloc[:, -1].isna().any():
        return  # a short row leaves the last column empty
    _, short, width = csv_record_lines(path)
    if short:
        first_line, fields = short[0]
        lines = _lines_text([line for line, _ in short])
        raise _fail(
            path,
            key,
            f"line {lines} {'has' if len(short) == 1 else 'have'} fewer fields than the "
            f"header's {width} (line {first_line} has {fields}; they would be read as NaN)",
            "give every row one value per header column (leave a cell empty for a missing "
            "value, e.g. '1.0,,3.0')",
        )


def _numeric_columns(path: Path, key: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A CSV's columns as numbers: empty cells and 'nan'/'inf' are values; any other text in
    a column of numbers is refused with its lines (pandas would make it NaN, or the column
    text, silently)."""
    words: list[str] = []
    text_columns: list[str] = []
    bad_rows: dict[str, np.ndarray] = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            continue
        numbers = pd.to_numeric(column, errors="coerce")
        spelled = column.astype(str).str.strip().str.lower()
        missing = column.isna() | spelled.isin(["", "nan", "-nan", "+nan"])
        bad = numbers.isna() & ~missing
        if bad.any() and numbers.notna().sum() == 0:  # text, not numbers with a typo
            text_columns.append(str(name))
            continue
        if bad.any():
            bad_rows[str(name)] = np.flatnonzero(bad.to_numpy())
            words += [repr(w) for w in column[bad].astype(str).unique()[:3]]
        frame[name] = numbers
    if text_columns:
        raise _fail(
            path,
            key,
            f"non-numeric column(s) {', '.join(text_columns)}",
            f"list only numeric columns under {key}.columns, or move text to the metadata table",
        )
    if bad_rows:
        starts = csv_record_lines(path)[0]
        where = "; ".join(
            f"column {name}: line {_lines_text((starts[rows]).tolist())}"
            for name, rows in bad_rows.items()
        )
        raise _fail(
            path,
            key,
            f"text ({', '.join(dict.fromkeys(words))}) where numbers are expected, {where}",
            "write a number in each of these cells, or leave the cell empty for a missing value "
            "(that sample is then dropped with a warning)",
        )
    return frame


def read_table(
    path: Path,
    key: str,
    columns: list[str] | None = None,
    demo_hint: str = "",
    numeric: bool = False,
) -> pd.DataFrame:
    """A table from .csv or .parquet (or a 2-D array file, with columns named c0, c1, ...).

    `numeric`: the table holds numbers only (a latent or params table): a CSV's text cells in
    them are refused with their line numbers instead of read as NaN."""
    _check_exists(path, key, demo_hint)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".parquet") and path.stat().st_size == 0:
        raise _fail_as(path, key)
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, **({"keep_default_na": False, "na_values": [""]}
                                         if numeric else {}))  # fmt: skip
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
    except UnicodeDecodeError:
        raise _fail_as(path, key) from None
    except (ValueError, OSError, pd.errors.ParserError, ImportError) as exc:
        if suffix == ".parquet" and not _head(path, key, 4).startswith(b"PAR1"):
            raise _fail_as(path, key) from None
        raise _fail(
            path, key, f"cannot read the table ({exc})", "check the file's format"
        ) from None
    if suffix == ".csv":
        _check_short_rows(path, key, frame)
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            names = [str(c) for c in frame.columns]
            raise _fail(
                path,
                f"{key}.columns",
                f"no column named {', '.join(map(repr, missing))}"
                + did_you_mean(missing[0], names),
                f"use columns of the file: {', '.join(names)}",
            )
        frame = frame[columns]
    if numeric and suffix == ".csv":
        frame = _numeric_columns(path, key, frame.copy())
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
    frame = read_table(path, key, columns, numeric=True)
    bad = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise _fail(
            path,
            key,
            f"non-numeric column(s) {', '.join(bad)}",
            f"list only numeric columns under {key}.columns, or move text to the metadata table",
        )
    return frame.to_numpy(dtype=np.float64), [str(c) for c in frame.columns]
