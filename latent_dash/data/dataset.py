"""A loaded, validated, read-only dataset: latent vectors plus what describes each sample.

All arrays share one row order. Rows whose latent or parameter values are NaN or inf are dropped
(a warning says how many and which); `source_rows` maps the kept rows back to the files, so the
images stay memory-mapped and are indexed lazily instead of copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from latent_dash.config import (
    Config,
    DatasetConfig,
    LoadedCompare,
    LoadedConfig,
    Source,
    parse_config,
    raw_views,
    read_yaml,
)
from latent_dash.data.loaders import SourceError, csv_record_lines, read_matrix, read_table
from latent_dash.decoding import Decoder, load_decoder
from latent_dash.errors import ConfigError, Problem, did_you_mean
from latent_dash.kinds import LATENT, NUMERIC, column_fields

MAX_CATEGORIES = 20  # an integer column with at most this many values is a category (labels)
LABEL_WIDTH = 60  # characters of a sample's label shown in lists and titles


def shorten(text: str, width: int) -> str:
    """`text` on one line, cut to `width` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(1, width - 1)].rstrip() + "\u2026"


@dataclass(frozen=True)
class Column:
    """A column any view may plot or colour by."""

    name: str
    source: str  # "latent", "param", "metadata"
    numeric: bool
    categorical: bool


def _readonly(array: np.ndarray) -> np.ndarray:
    if array.flags.writeable:
        array = array.view()
        array.flags.writeable = False
    return array


@dataclass(eq=False)
class Dataset:
    """The arrays of one config. Never modified after loading."""

    name: str
    latent: np.ndarray  # (N, D) float32
    latent_names: list[str]
    params: np.ndarray | None = None  # (N, P) float32
    param_names: list[str] = field(default_factory=list)
    metadata: pd.DataFrame | None = None
    raw_images: np.ndarray | None = None  # as in the file (possibly memory-mapped), all rows
    image_shape: tuple[int, ...] | None = None  # (H, W) or (H, W, C)
    source_rows: np.ndarray | None = None  # kept row -> file row, when rows were dropped
    warnings: list[str] = field(default_factory=list)
    derived: dict[str, np.ndarray] = field(default_factory=dict)  # computed columns, (N,) each
    decoder: Decoder | None = None  # dataset.decoder, loaded and checked (latent_dash.decoding)
    label_column: str | None = None  # dataset.label: the metadata column naming each sample
    text_columns: tuple[str, ...] = ()  # dataset.text: metadata columns of text, as given

    def sample_label(self, position: int, width: int = LABEL_WIDTH) -> str | None:
        """The sample's name from the label column, shortened to `width` characters (None:
        no label column, or a missing value)."""
        if self.label_column is None:
            return None
        value = self.column(self.label_column)[position]
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        return shorten(str(value), width)

    def sample_name(self, position: int, width: int = LABEL_WIDTH) -> str:
        """What a user calls the sample: "sample 223", or "223 · its label" with a label."""
        label = self.sample_label(position, width)
        row = self.file_row(position)
        return f"sample {row}" if label is None else f"{row} · {label}"

    @property
    def first_columns(self) -> list[str]:
        """The label and text columns a config names, label first: shown before the latent
        dims (the table) and in hover cards. [] without dataset.label and dataset.text."""
        named = ([self.label_column] if self.label_column else []) + list(self.text_columns)
        return list(dict.fromkeys(named))

    @property
    def searchable(self) -> list[str]:
        """The columns a text search looks in: the label and dataset.text, else every
        non-numeric metadata column."""
        if self.first_columns:
            return self.first_columns
        return [c.name for c in self.columns if c.source == "metadata" and not c.numeric]

    def with_derived(self, columns: dict[str, np.ndarray]) -> Dataset:
        """The same dataset plus computed columns (cluster labels, embedding coordinates)."""
        if not columns:
            return self
        for name, values in columns.items():
            if values.shape != (self.n,):
                raise ValueError(f"derived column {name!r} has shape {values.shape}, not N")
        return replace(self, derived={**self.derived, **columns})

    @property
    def n(self) -> int:
        return int(self.latent.shape[0])

    @property
    def dims(self) -> int:
        return int(self.latent.shape[1])

    @property
    def has_images(self) -> bool:
        return self.raw_images is not None

    def file_rows(self, positions: np.ndarray | list[int]) -> np.ndarray:
        """The rows in the user's files of the given positions (int64).

        Views and masks work on positions (0..n-1, after NaN rows were dropped); every id a
        user sees or exports is the file row, so that it can be joined back to the files.
        """
        positions = np.asarray(positions, dtype=np.int64)
        return positions if self.source_rows is None else self.source_rows[positions]

    def file_row(self, position: int) -> int:
        """The row in the user's files of one position: the sample's id in the page."""
        return int(position if self.source_rows is None else self.source_rows[position])

    def position_of(self, file_row: int) -> int | None:
        """The position of a file row, or None when that row was dropped or does not exist."""
        if self.source_rows is None:
            return int(file_row) if 0 <= file_row < self.n else None
        at = int(np.searchsorted(self.source_rows, file_row))
        found = at < self.n and int(self.source_rows[at]) == file_row
        return at if found else None

    def images(self, rows: np.ndarray | list[int]) -> np.ndarray:
        """Images of the given (kept-order) rows, shaped (len(rows), *image_shape), float32."""
        if self.raw_images is None or self.image_shape is None:
            raise LookupError(f"dataset {self.name!r} has no images")
        rows = np.asarray(rows, dtype=np.int64)
        file_rows = self.file_rows(rows)
        block = np.asarray(self.raw_images[np.sort(file_rows)], dtype=np.float32)
        order = np.argsort(np.argsort(file_rows))
        return block[order].reshape((len(rows), *self.image_shape))

    @cached_property
    def columns(self) -> list[Column]:
        """Every column with its kind; computed once (counting distinct values of a million
        rows takes milliseconds, and callbacks ask often)."""
        cols = [Column(n, "latent", True, False) for n in self.latent_names]
        cols += [Column(n, "param", True, False) for n in self.param_names]
        if self.metadata is not None:
            for name in self.metadata.columns:
                series = self.metadata[name]
                numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(
                    series
                )
                categorical = not numeric or (
                    pd.api.types.is_integer_dtype(series) and series.nunique() <= MAX_CATEGORIES
                )
                cols.append(Column(str(name), "metadata", numeric, categorical))
        for name, values in self.derived.items():
            integer = np.issubdtype(values.dtype, np.integer)
            few = integer and len(np.unique(values)) <= MAX_CATEGORIES
            cols.append(Column(name, "derived", True, bool(few)))
        return cols

    def column(self, name: str) -> np.ndarray:
        """The values of one column, in row order (float32 for latent and params)."""
        if name in self.latent_names:
            return self.latent[:, self.latent_names.index(name)]
        if name in self.param_names and self.params is not None:
            return self.params[:, self.param_names.index(name)]
        if self.metadata is not None and name in self.metadata.columns:
            return self.metadata[name].to_numpy()
        if name in self.derived:
            return self.derived[name]
        raise KeyError(f"no column {name!r} in dataset {self.name!r}")


def _names(
    file: str,
    key: str,
    given: list[str] | None,
    from_table: list[str] | None,
    count: int,
    prefix: str,
) -> tuple[list[str], list[Problem]]:
    if given is not None:
        if len(given) != count:
            return [], [
                Problem(
                    file,
                    key,
                    f"{len(given)} names given for {count} columns",
                    f"give exactly {count} names, or remove {key} to use {prefix}0, {prefix}1, ...",
                )
            ]
        if len(set(given)) != len(given):
            return [], [Problem(file, key, "names repeat", "give each column its own name")]
        return [str(n) for n in given], []
    return (from_table or [f"{prefix}{i}" for i in range(count)]), []


def _as_2d(array: np.ndarray, path: Path, key: str) -> np.ndarray:
    if array.ndim == 1:
        return array[:, None]
    if array.ndim != 2:
        raise SourceError(
            Problem(
                str(path),
                key,
                f"expected a 2-D (N, D) array, got shape {array.shape}",
                "reshape it to (samples, dims) before saving",
            )
        )
    return array


def _numeric(array: np.ndarray, path: Path, key: str) -> np.ndarray:
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise SourceError(
            Problem(
                str(path),
                key,
                f"the values are not numeric (dtype {array.dtype})",
                "save numbers (np.asarray(x, dtype=np.float32)); put text in the metadata table",
            )
        )
    return array


def _image_shape(
    file: str, raw: np.ndarray, given: list[int] | None, path: Path
) -> tuple[tuple[int, ...] | None, list[Problem]]:
    if raw.ndim in (3, 4):
        shape = tuple(int(s) for s in raw.shape[1:])
        if given is not None and tuple(given) != shape:
            return None, [
                Problem(
                    file,
                    "dataset.image_shape",
                    f"says {list(given)} but {path.name} holds images of shape {list(shape)}",
                    "remove image_shape (it is only needed for flat images)",
                )
            ]
        return shape, []
    if raw.ndim == 2:
        if given is None:
            return None, [
                Problem(
                    file,
                    "dataset.image_shape",
                    f"{path.name} holds flat images ({raw.shape[1]} "
                    "values a row) and no image_shape says how to fold them",
                    f"add image_shape: [H, W] or [H, W, C] whose product is {raw.shape[1]}",
                )
            ]
        if len(given) not in (2, 3) or int(np.prod(given)) != raw.shape[1]:
            return None, [
                Problem(
                    file,
                    "dataset.image_shape",
                    f"{list(given)} does not fit rows of {raw.shape[1]} values in {path.name}",
                    f"give [H, W] or [H, W, C] whose product is {raw.shape[1]}",
                )
            ]
        return tuple(int(g) for g in given), []
    return None, [
        Problem(
            file,
            "dataset.images",
            f"{path.name} has shape {list(raw.shape)}",
            "save images as (N, H, W), (N, H, W, C), or flat (N, H*W*C) with image_shape",
        )
    ]


def _describe_rows(rows: np.ndarray) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:10])
    return shown + (f", ... ({len(rows) - 10} more)" if len(rows) > 10 else "")


def _csv_lines(path: Path, name: str, rows: np.ndarray) -> str:
    """'; lines 7, 19 of params.csv' for rows of a CSV (row 0 is on line 2, after the
    header, unless blank or multi-line records shift it), else ''."""
    if path.suffix.lower() != ".csv":
        return ""
    starts = csv_record_lines(path)[0]
    lines = starts[rows[rows < len(starts)]]
    return f"; lines {_describe_rows(lines)} of {name}"


def load_dataset(loaded: LoadedConfig) -> Dataset:
    """Read and check every array a config names; raises ConfigError listing all problems."""
    cfg = loaded.config.dataset
    file = str(loaded.path)
    problems: list[Problem] = []
    hint = f" or build the demo data with `latent-dash demo {cfg.demo}`" if cfg.demo else ""

    def read(source: Source | None, key: str, table: bool = False):
        if source is None:
            return None, None
        path = loaded.resolve(source.path)
        try:
            if table:
                return read_table(path, key, source.columns, hint), None
            return read_matrix(path, key, source.key, source.columns, hint)
        except SourceError as exc:  # its key may be finer: dataset.latent.key, .columns
            problem = exc.problem
            problems.append(
                Problem(file, problem.key, f"{problem.file}: {problem.message}", problem.fix)
            )
            return None, None

    latent, latent_table_names = read(cfg.latent, "dataset.latent")
    params, param_table_names = read(cfg.params, "dataset.params")
    raw_images, _ = read(cfg.images, "dataset.images")
    metadata, _ = read(cfg.metadata, "dataset.metadata", table=True)

    def check(fn, array, source, key):
        if array is None:
            return None
        try:
            return fn(array, loaded.resolve(source.path), key)
        except SourceError as exc:
            problems.append(
                Problem(file, key, f"{exc.problem.file}: {exc.problem.message}", exc.problem.fix)
            )
            return None

    latent = check(
        _numeric, check(_as_2d, latent, cfg.latent, "dataset.latent"), cfg.latent, "dataset.latent"
    )
    params = check(
        _numeric, check(_as_2d, params, cfg.params, "dataset.params"), cfg.params, "dataset.params"
    )
    if raw_images is not None:
        raw_images = check(_numeric, raw_images, cfg.images, "dataset.images")

    latent_names: list[str] = []
    if latent is not None:
        if latent.shape[1] < 2:
            problems.append(
                Problem(
                    file,
                    "dataset.latent",
                    f"the latent has {latent.shape[1]} dim; at least 2 are needed",
                    "point dataset.latent at the (N, D) bottleneck activations, D >= 2",
                )
            )
        latent_names, more = _names(
            file, "dataset.latent_names", cfg.latent_names, latent_table_names, latent.shape[1], "z"
        )
        problems += more
    param_names: list[str] = []
    if params is not None:
        param_names, more = _names(
            file, "dataset.param_names", cfg.param_names, param_table_names, params.shape[1], "p"
        )
        problems += more
    elif cfg.param_names is not None:
        problems.append(
            Problem(
                file,
                "dataset.param_names",
                "names given but no params",
                "add dataset.params, or remove param_names",
            )
        )

    image_shape = None
    if raw_images is not None:
        image_shape, more = _image_shape(
            file, raw_images, cfg.image_shape, loaded.resolve(cfg.images.path)
        )
        problems += more

    counts = {
        key: len(a)
        for key, a in (
            ("dataset.latent", latent),
            ("dataset.params", params),
            ("dataset.images", raw_images),
            ("dataset.metadata", metadata),
        )
        if a is not None
    }
    if latent is not None and len(set(counts.values())) > 1:
        n = counts["dataset.latent"]
        sources = {"dataset.latent": cfg.latent, "dataset.params": cfg.params,
                   "dataset.images": cfg.images, "dataset.metadata": cfg.metadata}  # fmt: skip
        for key, count in counts.items():
            if count != n:
                problems.append(
                    Problem(
                        file,
                        key,
                        f"has {count:,} rows in {sources[key].path} but dataset.latent has "
                        f"{n:,} in {cfg.latent.path}",
                        "every array must hold one row per sample, in the same order",
                    )
                )

    all_names = (
        latent_names
        + param_names
        + ([str(c) for c in metadata.columns] if metadata is not None else [])
    )
    duplicates = sorted({n for n in all_names if all_names.count(n) > 1})
    if duplicates:
        problems.append(
            Problem(
                file,
                "dataset",
                f"column name(s) {', '.join(duplicates)} appear in more than one of "
                "latent, params and metadata",
                "rename them (latent_names, param_names or the "
                "metadata header) so every column has its own name",
            )
        )
    problems += _text_problems(file, cfg, metadata)
    if problems or latent is None:
        raise ConfigError(problems)

    warnings: list[str] = []
    finite = np.isfinite(latent).all(axis=1)
    if params is not None:
        finite &= np.isfinite(params).all(axis=1)
    source_rows = None
    if not finite.all():
        dropped = np.flatnonzero(~finite)
        warnings.append(
            f"{len(dropped)} of {len(finite)} samples dropped because their latent or parameter "
            f"values are NaN or inf (file rows {_describe_rows(dropped)}"
            + "".join(
                _csv_lines(loaded.resolve(s.path), s.path, dropped)
                for s in (cfg.latent, cfg.params)
                if s
            )
            + ")"
        )
        source_rows = np.flatnonzero(finite)
        latent = latent[source_rows]
        params = params[source_rows] if params is not None else None
        if metadata is not None:
            metadata = metadata.iloc[source_rows].reset_index(drop=True)
        if len(source_rows) == 0:
            raise ConfigError(
                [
                    Problem(
                        file,
                        "dataset.latent",
                        "every sample has NaN or inf values",
                        "check the arrays were saved correctly",
                    )
                ]
            )

    dataset = Dataset(
        name=cfg.name or loaded.path.stem,
        latent=_readonly(np.ascontiguousarray(latent, dtype=np.float32)),
        latent_names=latent_names,
        params=None if params is None else _readonly(np.ascontiguousarray(params, np.float32)),
        param_names=param_names,
        metadata=metadata,
        raw_images=raw_images,
        image_shape=image_shape,
        source_rows=source_rows,
        warnings=warnings,
        label_column=cfg.label,
        text_columns=tuple(cfg.text or ()),
    )
    if cfg.decoder is not None:  # tried on the first latent row; only a config names one
        dataset.decoder = load_decoder(
            cfg.decoder, loaded.folder, dataset.latent, image_shape, file
        )
    check_view_columns(loaded, dataset)
    return dataset


def _text_problems(file: str, cfg: DatasetConfig, metadata: pd.DataFrame | None) -> list[Problem]:
    """dataset.label and dataset.text must name columns of the metadata table."""
    problems = []
    names = [] if metadata is None else [str(c) for c in metadata.columns]
    named = [("dataset.label", cfg.label)] if cfg.label is not None else []
    named += [("dataset.text", name) for name in cfg.text or []]
    for key, name in named:
        if metadata is None and cfg.metadata is None:
            problems.append(
                Problem(file, key, f"names {name!r} but there is no metadata table",
                        "add dataset.metadata (a .csv or .parquet with the column), or remove "
                        f"{key}")
            )  # fmt: skip
        elif metadata is not None and name not in names:
            problems.append(
                Problem(file, key, f"no metadata column named {name!r}" + did_you_mean(name, names),
                        f"use one of: {', '.join(names)}")
            )  # fmt: skip
    return problems


def with_data_problems(path: Path | str, error: ConfigError) -> ConfigError:
    """`error` (from open_config) plus, when the config itself has problems, those of the data
    it names, so that one pass shows them all: what `latent-dash validate` and the page
    report. When the config parses, `error` already holds the data's problems."""
    try:
        parse_config(path)
    except ConfigError:
        return ConfigError(error.problems + data_problems(path))
    return error


def data_problems(path: Path | str) -> list[Problem]:
    """The problems of the data a config names, read even though the config itself has
    problems elsewhere (a typo'd key, an unknown view); [] when its `dataset` section is
    itself invalid (those problems are already reported) or the data load."""
    path = Path(path).resolve()
    try:
        raw = read_yaml(path)
        dataset = DatasetConfig.model_validate((raw or {}).get("dataset"))
    except (ConfigError, ValidationError, AttributeError):
        return []
    views = raw_views(path, raw)
    loaded = LoadedConfig(path, Config.model_construct(dataset=dataset), None, views)
    try:
        load_dataset(loaded)
    except ConfigError as error:
        return error.problems
    return []


def check_view_columns(loaded: LoadedConfig | LoadedCompare, dataset: Dataset) -> None:
    """Every view option that names a column (a numeric one, a latent dim) must name one the
    dataset has."""
    allowed = {
        "any": ("column", [c.name for c in dataset.columns]),
        NUMERIC: ("numeric column", [c.name for c in dataset.columns if c.numeric]),
        LATENT: ("latent dim", list(dataset.latent_names)),
    }
    problems = []
    for spec in loaded.views:
        for option, kind in column_fields(type(spec.options)).items():
            what, names = allowed[kind]
            value = getattr(spec.options, option)
            for name in value if isinstance(value, list) else [value]:
                if name is not None and name not in names:
                    problems.append(
                        Problem(
                            str(loaded.path),
                            f"views.{spec.id}.{option}",
                            f"no {what} named {name!r}" + did_you_mean(str(name), names),
                            f"use one of: {', '.join(names)}",
                        )
                    )
    if problems:
        raise ConfigError(problems)
