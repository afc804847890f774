"""The YAML config: which arrays to load, how to lay out the views, and each view's options.

Parsing is strict (unknown keys are errors, since a typo silently ignored is worse than a
message) and every failure becomes a `Problem` naming the file, the key and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from latent_dash.errors import ConfigError, Problem, did_you_mean
from latent_dash.kinds import ViewOptions, canonical_kind, options_model, registry


class Source(BaseModel):
    """A file to read: `path` relative to the config file; `key` picks an .npz member."""

    model_config = ConfigDict(extra="forbid")
    path: str = Field(description="File path, relative to the config file's folder.")
    key: str | None = Field(None, description="Member of an .npz file.")
    columns: list[str] | None = Field(None, description="Columns of a .csv/.parquet file to use.")


class DatasetConfig(BaseModel):
    """The arrays of one model over N samples, row i of each describing sample i."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, description="Short name shown in the header.")
    demo: Literal["digits", "implosion"] | None = Field(
        None, description="Built-in demo whose files `latent-dash demo` builds when missing."
    )
    latent: Source = Field(description="(N, D) latent vectors: .npy, .npz, .csv or .parquet.")
    latent_names: list[str] | None = Field(None, description="Names of the D latent dims.")
    images: Source | None = Field(None, description="(N,H,W), (N,H,W,C) or flat (N,H*W*C).")
    image_shape: list[int] | None = Field(None, description="(H, W) or (H, W, C) of flat images.")
    params: Source | None = Field(None, description="(N, P) physical input parameters.")
    param_names: list[str] | None = Field(None, description="Names of the P parameters.")
    metadata: Source | None = Field(None, description="Table of per-sample labels and outputs.")
    decoder: str | None = Field(
        None,
        description="Decoder of latent points to images: a demo-style .npz or "
        "package.module:function (which runs that code; see docs/configs.md).",
    )
    label: str | None = Field(
        None,
        description="Metadata column naming each sample (a title, a sentence): shown in hover "
        "cards, neighbour lists, cluster cards, image titles and the table's first columns.",
    )
    text: list[str] | None = Field(
        None,
        description="Metadata columns of text shown beside the label (the table's first "
        "columns, hover cards) and searched (default: every non-numeric metadata column).",
    )

    @field_validator("latent", "images", "params", "metadata", mode="before")
    @classmethod
    def _path_shorthand(cls, value: Any) -> Any:
        """`latent: z.npy` is short for `latent: {path: z.npy}`."""
        return {"path": value} if isinstance(value, str) else value


ACCESS_NAME = r"[A-Za-z0-9][A-Za-z0-9._@+-]*"
GROUP_PREFIX = "group:"
_ACCESS_ENTRY = re.compile(rf"^(?:{re.escape(GROUP_PREFIX)})?{ACCESS_NAME}$")
ACCESS_HELP = (
    "Who may open this config when the server authenticates its users (README, 'Who may see "
    "what'): user names and `group:NAME` entries. Without it, every signed-in user may."
)


def check_access_list(value: Any) -> Any:
    """`access: alice` is short for `[alice]`; each entry is a user name or `group:NAME`.
    Raises PydanticCustomError (a ValueError) saying what is wrong."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise PydanticCustomError(
            "access_list",
            "access must be a list of user names and group:NAME entries, e.g. "
            "[alice, group:physics]; remove the key to let every signed-in user in",
        )
    for entry in value:
        if not isinstance(entry, str) or not _ACCESS_ENTRY.match(entry):
            hint = ""
            if isinstance(entry, str) and ":" in entry and not entry.startswith(GROUP_PREFIX):
                hint = f" (did you mean {GROUP_PREFIX}{entry.split(':', 1)[1]}?)"
            raise PydanticCustomError(
                "access_list",
                f"{entry!r} is neither a user name nor group:NAME{hint}; names are letters, "
                "digits and . _ @ + -",
            )
    return value


class Config(BaseModel):
    """A whole config file."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, description="Name of this config in the menu.")
    description: str | None = Field(None, description="One line shown under the title.")
    access: list[str] | None = Field(None, description=ACCESS_HELP)
    dataset: DatasetConfig
    layout: Any = Field(
        default_factory=lambda: {"row": [{"column": ["scatter"]}]},
        description="NDDAV-style nesting of {row: [...]} and {column: [...]} around view names.",
    )
    views: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Options per view, keyed by view id or kind."
    )

    @field_validator("access", mode="before")
    @classmethod
    def _access_list(cls, value: Any) -> Any:
        return None if value is None else check_access_list(value)


class ComparisonOptions(BaseModel):
    """The metrics panel under the models of a comparison page."""

    model_config = ConfigDict(extra="forbid")
    k: int = Field(10, ge=1, le=100, description="Neighbours of the k-NN overlap.")
    ks: list[int] = Field(
        [5, 10, 20, 50], min_length=1, description="Neighbourhood sizes of the T&C curves."
    )
    error: str | None = Field(
        None,
        description="Metadata column holding each model's per-sample reconstruction error "
        "(default: the first column whose name contains 'error', if any).",
    )


class CompareConfig(BaseModel):
    """A comparison page: two or more model configs over the same samples, side by side."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, description="Name of this config in the menu.")
    description: str | None = Field(None, description="One line shown under the title.")
    access: list[str] | None = Field(
        None, description=ACCESS_HELP + " A user also needs access to each compared model."
    )
    compare: list[str] = Field(
        min_length=2,
        description="Configs of the models, relative to this file; row i is sample i in each.",
    )
    layout: Any = Field(
        default_factory=lambda: {"column": ["embedding", "parcoords"]},
        description="The views drawn for each model, in a column per model.",
    )
    views: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Options per view, keyed by view id or kind."
    )
    comparison: ComparisonOptions = Field(
        default_factory=ComparisonOptions, description="Options of the metrics panel."
    )

    @field_validator("access", mode="before")
    @classmethod
    def _access_list(cls, value: Any) -> Any:
        return None if value is None else check_access_list(value)


@dataclass(frozen=True)
class ViewSpec:
    """One panel of the layout: a unique id, its kind and its validated options."""

    id: str
    kind: str
    options: ViewOptions


@dataclass(frozen=True)
class LoadedConfig:
    """A parsed config with its layout resolved into view specs."""

    path: Path
    config: Config
    layout: Any  # the layout tree with leaves replaced by view ids
    views: tuple[ViewSpec, ...]

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def title(self) -> str:
        return self.config.title or self.path.stem

    def resolve(self, relative: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        return (self.folder / relative).resolve()


@dataclass(frozen=True)
class LoadedCompare:
    """A parsed comparison config: its models' config files and the per-model views."""

    path: Path
    config: CompareConfig
    layout: Any
    views: tuple[ViewSpec, ...]
    members: tuple[Path, ...]

    @property
    def title(self) -> str:
        return self.config.title or self.path.stem


def _key(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if not str(p).startswith(("function-", "str", "dict")))


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds (through `X | None`), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, UnionType):
        for arg in get_args(annotation):
            if (model := _model_of(arg)) is not None:
                return model
    return None


def _keys_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at `loc` (a pydantic error's location) under `model`."""
    for part in loc:
        field = model.model_fields.get(str(part)) if model is not None else None
        model = _model_of(field.annotation) if field is not None else None
    return list(model.model_fields) if model is not None else []


def _fix_for(error: dict[str, Any], model: type[BaseModel] | None = None) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _keys_at(model, tuple(error["loc"][:-1]))
        if not allowed:
            return "remove or rename this key (see docs/configs.md for the keys that exist)"
        return f"rename or remove it; the keys here are {', '.join(allowed)}"
    if kind == "missing":
        return "add this key"
    if kind == "literal_error":
        return f"use one of: {error['ctx']['expected']}"
    return "correct the value (see docs/configs.md)"


def _pydantic_problems(
    file: str, exc: ValidationError, prefix: str = "", model: type[BaseModel] | None = None
) -> list[Problem]:
    """One Problem a key; `model` (the validated class) lets a typo'd key get "did you mean"."""
    problems = []
    seen = set()
    for error in exc.errors():
        key = _key((prefix, *error["loc"]) if prefix else error["loc"])
        if key in seen:  # a union reports each alternative; one line a key is enough
            continue
        seen.add(key)
        message = error["msg"].lower()
        if error["type"] == "extra_forbidden":  # a typo, most often: name the key it resembles
            allowed = _keys_at(model, tuple(error["loc"][:-1]))
            message = "unknown key" + did_you_mean(str(error["loc"][-1]), allowed)
        problems.append(Problem(file, key, message, _fix_for(error, model)))
    return problems


MAX_CONFIG_BYTES = 2**20  # a config is a page of text; the largest shipped one is ~3 KB
MAX_CONFIG_NODES = 100_000  # values once aliases are expanded; shipped configs hold < 500


def _expanded_size(value: Any, sizes: dict[int, int], open_ids: set[int]) -> int:
    """How many values `value` holds once every YAML alias in it is expanded (memoised: an
    alias is one shared object after loading, so this is linear in the file, not in the bomb)."""
    if not isinstance(value, dict | list):
        return 1
    key = id(value)
    if key in sizes:
        return sizes[key]
    if key in open_ids:
        raise ValueError("an alias refers to the value that contains it")
    open_ids.add(key)
    items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
    size = 1
    for item in items:
        size += _expanded_size(item, sizes, open_ids)
        if size > MAX_CONFIG_NODES:
            break
    open_ids.discard(key)
    sizes[key] = size
    return size


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely: no code runs (safe loader), and no file can make the app build
    something huge from a few bytes: at most MAX_CONFIG_BYTES of text, and MAX_CONFIG_NODES
    values with aliases expanded (a 416-byte "billion laughs" file expands to 10^9 strings).
    Every YAML file the app reads goes through here; failures are a Problem naming the file."""
    if not path.is_file():
        raise ConfigError([Problem(str(path), "", "config file not found", "check the path")])
    file = str(path)
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(
            [Problem(file, "", f"the file is over {MAX_CONFIG_BYTES // 2**20} MB: not a config",
                     "point LATENT_DASH_CONFIG at a config (see docs/configs.md)")]
        )  # fmt: skip
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        raise ConfigError(
            [Problem(file, "", f"not valid YAML{line}: {exc}", "fix the YAML syntax")]
        ) from None
    try:
        size = _expanded_size(raw, {}, set())
    except ValueError as exc:
        raise ConfigError([Problem(file, "", str(exc), "remove the recursive alias")]) from None
    if size > MAX_CONFIG_NODES:
        raise ConfigError(
            [Problem(file, "", f"its aliases expand to over {MAX_CONFIG_NODES:,} values",
                     "write the values out, or use fewer nested aliases (&name / *name)")]
        )  # fmt: skip
    return raw


def _resolve_layout(
    file: str,
    node: Any,
    views: dict[str, dict[str, Any]],
    specs: list[ViewSpec],
    problems: list[Problem],
    key: str,
) -> Any:
    """Replace each leaf name with the id of a ViewSpec, creating the specs in layout order."""
    if isinstance(node, dict):
        if (
            len(node) != 1
            or next(iter(node)) not in ("row", "column")
            or not isinstance(next(iter(node.values())), list)
        ):
            problems.append(
                Problem(
                    file,
                    key,
                    f"expected a view name or a {{row: [...]}} / {{column: [...]}} "
                    f"mapping, got {node!r}",
                    "see the layout examples in docs/configs.md",
                )
            )
            return None
        ((direction, children),) = node.items()
        return {
            direction: [
                _resolve_layout(file, child, views, specs, problems, f"{key}.{direction}.{i}")
                for i, child in enumerate(children)
            ]
        }
    if not isinstance(node, str):
        problems.append(
            Problem(
                file,
                key,
                f"expected a view name, got {node!r}",
                "write a view kind such as scatter",
            )
        )
        return None
    name = node
    used = {s.id for s in specs}
    if name not in views and canonical_kind(name) in views and canonical_kind(name) not in used:
        name = str(canonical_kind(name))  # layout says "Scatter Plot", options under views.scatter
    if name in views and name in used:  # a views entry configures one panel, the first placed
        if canonical_kind(name) is None:
            problems.append(
                Problem(
                    file,
                    key,
                    f"view {name!r} is placed twice",
                    f"place it once, or add a second entry under views with kind: {name}",
                )
            )
            return None
        views = {}
    options = dict(views.get(name, {}))
    kind_name = options.pop("kind", name)
    kind = canonical_kind(str(kind_name))
    if kind is None:
        problems.append(
            Problem(
                file,
                key if name not in views else f"views.{name}.kind",
                f"unknown view kind {kind_name!r}"
                + did_you_mean(
                    str(kind_name), [n for k, v in registry().items() for n in (k, *v.aliases)]
                ),
                f"use one of: {', '.join(registry())} (or an NDDAV name such as 'Scatter Plot')",
            )
        )
        return None
    view_id = name if name in views else kind
    if any(s.id == view_id for s in specs):
        n = 2
        while any(s.id == f"{view_id}-{n}" for s in specs):
            n += 1
        view_id = f"{view_id}-{n}"
    model = options_model(kind)
    try:
        validated = model.model_validate(options)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(file, exc, prefix=f"views.{name}", model=model))
        validated = model()  # the problems are raised together; the spec is never used
    specs.append(ViewSpec(view_id, kind, validated))
    return view_id


def _read_mapping(path: Path) -> dict[str, Any]:
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(
            [
                Problem(
                    str(path),
                    "",
                    "the file must be a mapping with a 'dataset' key (or a 'compare' list)",
                    "start from one of the configs in configs/ (see docs/configs.md)",
                )
            ]
        )
    return raw


def is_compare(path: Path | str) -> bool:
    """Whether a config file is a comparison page (it has a `compare` key); False if unreadable."""
    try:
        return "compare" in _read_mapping(Path(path))
    except ConfigError:
        return False


def parse_config(path: Path | str) -> LoadedConfig:
    """Read and validate a config file (not its data); raises ConfigError listing every problem."""
    path = Path(path).resolve()
    file = str(path)
    raw = _read_mapping(path)
    if "compare" in raw:
        raise ConfigError(
            [
                Problem(
                    file,
                    "compare",
                    "this config compares models: it has no dataset of its own",
                    "open it in the app (latent-dash run --config it), or name one of its models",
                )
            ]
        )
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        problems = _pydantic_problems(file, exc, model=Config)
        raise ConfigError(problems + _layout_problems(file, raw, problems)) from None
    layout, specs = _parse_layout(file, config.layout, config.views)
    return LoadedConfig(path, config, layout, specs)


def raw_views(path: Path, raw: Any) -> tuple[ViewSpec, ...]:
    """The views of a config read as a plain mapping (one whose other keys are wrong), or ()
    when its layout or views are wrong themselves: lets the data's column checks run too."""
    if not isinstance(raw, dict):
        return ()
    views = raw.get("views") or {}
    if not isinstance(views, dict) or not all(isinstance(v, dict) for v in views.values()):
        return ()
    layout = raw.get("layout", Config.model_fields["layout"].get_default(call_default_factory=True))
    try:
        return _parse_layout(str(path), layout, views)[1]
    except ConfigError:
        return ()


def _layout_problems(file: str, raw: dict[str, Any], found: list[Problem]) -> list[Problem]:
    """The layout's and views' problems of a config whose other keys are wrong, so that one
    pass reports them all (none when the layout or views themselves failed the schema)."""
    if any(p.key.startswith(("layout", "views")) for p in found):
        return []
    views = raw.get("views") or {}
    if not isinstance(views, dict) or not all(isinstance(v, dict) for v in views.values()):
        return []
    layout = raw.get("layout", Config.model_fields["layout"].get_default(call_default_factory=True))
    try:
        _parse_layout(file, layout, views)
    except ConfigError as error:
        return error.problems
    return []


def parse_compare(path: Path | str) -> LoadedCompare:
    """Read and validate a comparison config (not its models' data)."""
    path = Path(path).resolve()
    file = str(path)
    try:
        config = CompareConfig.model_validate(_read_mapping(path))
    except ValidationError as exc:
        raise ConfigError(_pydantic_problems(file, exc, model=CompareConfig)) from None
    members = tuple((path.parent / member).resolve() for member in config.compare)
    problems = [
        Problem(file, f"compare.{i}", f"no config file at {member}", "check the path")
        for i, member in enumerate(members)
        if not member.is_file()
    ]
    if len(set(members)) < len(members):
        problems.append(
            Problem(file, "compare", "a model is listed twice", "list each model config once")
        )
    problems += [
        Problem(file, f"compare.{i}", "a comparison cannot contain another comparison",
                "list model configs, each with a dataset")
        for i, member in enumerate(members)
        if member.is_file() and is_compare(member)
    ]  # fmt: skip
    if problems:
        raise ConfigError(problems)
    layout, specs = _parse_layout(file, config.layout, config.views)
    return LoadedCompare(path, config, layout, specs, members)


def _parse_layout(
    file: str, tree: Any, views: dict[str, dict[str, Any]]
) -> tuple[Any, tuple[ViewSpec, ...]]:
    problems: list[Problem] = []
    specs: list[ViewSpec] = []
    layout = _resolve_layout(file, tree, views, specs, problems, "layout")
    placed = {s.id for s in specs}
    for name in views:
        if name not in placed:
            problems.append(
                Problem(
                    file,
                    f"views.{name}",
                    "this view is not placed in the layout",
                    f"add '{name}' to the layout, or remove views.{name}",
                )
            )
    if not specs and not problems:
        problems.append(Problem(file, "layout", "the layout holds no view", "name a view kind"))
    if problems:
        raise ConfigError(problems)
    return layout, tuple(specs)


def list_configs(folder: Path | str) -> list[Path]:
    """The menu: every YAML config in a folder, default first, then by name."""
    files = [p for p in Path(folder).glob("*.y*ml") if p.suffix in (".yaml", ".yml")]
    return sorted(files, key=lambda p: (p.stem != "default", p.stem))


MAX_TITLE = 200  # characters of a menu label


def read_access(path: Path) -> tuple[str, ...] | None:
    """A config's `access` list, None when it has none or its YAML cannot be read (then no data
    of it can be served either). Raises ValueError when the list is malformed."""
    try:
        raw = read_yaml(path)
    except ConfigError:
        return None
    value = raw.get("access") if isinstance(raw, dict) else None
    return None if value is None else tuple(check_access_list(value))


def config_title(path: Path) -> str:
    """The menu label of a config, cheap and never failing (a broken file still gets a label)."""
    try:
        raw = read_yaml(path)
        title = raw.get("title") if isinstance(raw, dict) else None
    except ConfigError:
        title = None
    text = str(title) if isinstance(title, str | int | float) else ""
    return text[:MAX_TITLE] if text.strip() else path.stem
