"""The view contract: a view kind is one class, registered by being defined.

A module of `latent_dash/views` defines `class Scatter(View)` with its `kind`, `label`, NDDAV
`aliases`, its pydantic `Options` (with `type: Literal[kind]`; the same class checks the YAML
and documents it in docs/configs.md), `layout(panel, options, dataset)` and
`register_callbacks(app, menu)`. Defining the class registers the kind; the package imports
every module of views/, so a new kind is one file. Option fields made with `column_option` (and
its numeric and latent twins) must name a column of the dataset.

This module imports no Dash: `data/` checks option columns with `column_fields`.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

COLUMN_REF = "column"
LATENT = "latent"
NUMERIC = "numeric"


def column_option(description: str) -> Any:
    """An optional option whose value must name a column of the dataset."""
    return Field(None, description=description, json_schema_extra={COLUMN_REF: True})


def latent_option(description: str) -> Any:
    """An optional option whose value must name a latent dim of the dataset."""
    return Field(None, description=description, json_schema_extra={COLUMN_REF: LATENT})


def numeric_option(description: str) -> Any:
    """An optional option whose value must name a numeric column of the dataset."""
    return Field(None, description=description, json_schema_extra={COLUMN_REF: NUMERIC})


class ViewOptions(BaseModel):
    """Options every view accepts."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, description="Panel title; defaults to the kind's name.")


ColorMap = Literal["gray", "viridis", "magma", "inferno", "cividis", "RdBu"]  # imaging.COLORMAPS


class DecodedImageOptions(ViewOptions):
    """How the views of decoded images (traversal, interpolation) draw them."""

    cmap: Literal["gray", "viridis", "magma", "inferno", "cividis", "RdBu"] = Field(
        "gray", description="Colour map of one-channel images."
    )
    channel: str | None = Field(
        None, description='Channel shown: "rgb" or a channel number (default: the first choice).'
    )
    size: int = Field(64, ge=24, le=256, description="Width in pixels of each image.")

    @field_validator("channel", mode="before")
    @classmethod
    def _channel_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class View:
    """A view kind. Subclass it with the class attributes below; defining it registers it."""

    kind: ClassVar[str]
    label: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    Options: ClassVar[type[ViewOptions]] = ViewOptions
    # options a user changes in the panel whose values a link carries (ui/link_state.py):
    # (option name, the control's id pattern over ALL panels, the property holding the value)
    linked: ClassVar[tuple[tuple[str, dict[str, Any], str], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" not in cls.__dict__:
            return
        declared = cls.Options.model_fields.get("type")
        if declared is None or declared.default != cls.kind:
            raise TypeError(f"{cls.__name__}.Options needs type: Literal[{cls.kind!r}]")
        if cls.kind in _REGISTRY and _REGISTRY[cls.kind] is not cls:
            raise TypeError(f"view kind {cls.kind!r} is defined twice")
        _REGISTRY[cls.kind] = cls
        for name in (cls.kind, cls.label, *cls.aliases):
            _LOOKUP[_norm(name)] = cls.kind

    @classmethod
    def with_changes(
        cls, options: ViewOptions, changed: dict[str, Any] | None, columns: set[str]
    ) -> tuple[ViewOptions, list[str]]:
        """The options with a link's changes to linked options applied, and the names of
        those that could not be (not linked, a column not in `columns`, a refused value)."""
        if not changed:
            return options, []
        allowed = {name for name, _, _ in cls.linked}
        checked = column_fields(type(options))
        kept, dropped = {}, []
        for name, value in changed.items():
            values = value if isinstance(value, list) else [value]
            unknown = name in checked and any(v is not None and v not in columns for v in values)
            if name not in allowed or unknown:
                dropped.append(name)
            else:
                kept[name] = value
        try:
            merged = type(options).model_validate(
                {**options.model_dump(exclude_unset=True), **kept}
            )
        except ValidationError:
            return options, sorted(changed)
        return merged, dropped

    @staticmethod
    def layout(panel: Any, options: Any, dataset: Any) -> Any:
        """The panel's body, its figures already built (no round trip at first paint)."""
        raise NotImplementedError

    @staticmethod
    def register_callbacks(app: Any, menu: Any) -> None:
        """Register the kind's callbacks once (MATCH / ALL: they serve every panel of it)."""
        raise NotImplementedError


_REGISTRY: dict[str, type[View]] = {}
_LOOKUP: dict[str, str] = {}


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


def registry() -> dict[str, type[View]]:
    """Every view kind, by canonical name, in the order their modules define them."""
    import latent_dash.views  # noqa: F401  (imports every module of views/, which registers)

    return _REGISTRY


def canonical_kind(name: str) -> str | None:
    """The canonical kind for a name or alias ("Scatter Plot" -> "scatter"), or None."""
    registry()
    return _LOOKUP.get(_norm(name))


def view_class(kind: str) -> type[View]:
    return registry()[kind]


def kind_label(kind: str) -> str:
    return view_class(kind).label


def options_model(kind: str) -> type[ViewOptions]:
    return view_class(kind).Options


def column_fields(model: type[BaseModel]) -> dict[str, str]:
    """The option fields that must name a dataset column: {name: "any", NUMERIC or LATENT}."""
    return {
        name: "any" if f.json_schema_extra[COLUMN_REF] is True else f.json_schema_extra[COLUMN_REF]
        for name, f in model.model_fields.items()
        if isinstance(f.json_schema_extra, dict) and f.json_schema_extra.get(COLUMN_REF)
    }
