"""The catalogue of view kinds: their names, NDDAV aliases and option models.

It lives apart from `views/` so that a config can be validated (`latent-dash validate`) without
building any Dash component. A kind's options are a pydantic model, so the YAML is checked and
documented by the same class; fields typed `ColumnRef` must name a column of the dataset.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

COLUMN_REF = "column"


def column_option(description: str) -> Any:
    """An optional option whose value must name a column of the dataset."""
    return Field(None, description=description, json_schema_extra={COLUMN_REF: True})


class ViewOptions(BaseModel):
    """Options every view accepts."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, description="Panel title; defaults to the kind's name.")


class ScatterOptions(ViewOptions):
    """A 2-D scatter plot of any two columns, coloured by a third."""

    x: str | None = column_option("Column on the x axis (default: the first latent dim).")
    y: str | None = column_option("Column on the y axis (default: the second latent dim).")
    color: str | None = column_option(
        "Column that colours the points (default: the first metadata column, if any)."
    )


class ParcoordsOptions(ViewOptions):
    """Parallel coordinates over chosen columns."""

    dims: list[str] | None = column_option(
        "Columns drawn as axes, in order (default: the latent dims, at most 60)."
    )
    color: str | None = column_option("Numeric column that colours the lines (default: none).")


class ImagesOptions(ViewOptions):
    """Mean and variance images of the selection, the focus sample, and a paged gallery."""

    cmap: Literal["gray", "viridis", "magma", "inferno", "cividis", "RdBu"] = Field(
        "gray", description="Colour map of one-channel images (see imaging.COLORMAPS)."
    )
    channel: str | None = Field(
        None, description='Channel shown: "rgb" or a channel number (default: the first choice).'
    )
    sort_by: str | None = column_option("Numeric column the gallery is sorted by (default: index).")
    descending: bool = Field(False, description="Sort the gallery from the largest value down.")
    page_size: int = Field(24, ge=6, le=96, description="Thumbnails per gallery page.")

    @field_validator("channel", mode="before")
    @classmethod
    def _channel_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class SplomOptions(ViewOptions):
    """A scatterplot matrix of chosen columns."""

    dims: list[str] | None = column_option(
        "Columns of the matrix (default: the first 5 latent dims)."
    )
    color: str | None = column_option("Column that colours the points (default: none).")


# canonical kind -> (human label, NDDAV and other aliases, options model)
KINDS: dict[str, tuple[str, tuple[str, ...], type[ViewOptions]]] = {
    "parcoords": ("Parallel coordinates", ("Parallel Coordinate", "parallel"), ParcoordsOptions),
    "scatter": ("Scatter plot", ("Scatter Plot", "scatterplot"), ScatterOptions),
    "splom": ("Scatterplot matrix", ("Scatterplot Matrix", "scatter matrix"), SplomOptions),
    "images": ("Images", ("Image", "gallery"), ImagesOptions),
    "table": ("Table", ("Table",), ViewOptions),
    "embedding": ("Embedding", ("DimReduction", "Dimension Reduction"), ViewOptions),
    "clusters": ("Clusters", ("Clustering",), ViewOptions),
    "neighbors": ("Neighbours", ("Neighborhood", "neighbours", "Neighbourhood"), ViewOptions),
    "filters": ("Filters", ("Filtering", "filter"), ViewOptions),
    "correlation": ("Correlation", ("FuncDistance",), ViewOptions),
    "topology": (
        "Topological spine",
        ("Topological Spine", "Topological Multi-Spine"),
        ViewOptions,
    ),
    "projection": ("Dynamic projection", ("DynamicProjection",), ViewOptions),
    "viewgraph": ("View graph", ("ViewGraph", "OptimalAxisAlign"), ViewOptions),
    "peakshape": ("Peak shape", ("PeakShape",), ViewOptions),
}


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


_LOOKUP: dict[str, str] = {}
for _kind, (_label, _aliases, _model) in KINDS.items():
    for _name in (_kind, _label, *_aliases):
        _LOOKUP[_norm(_name)] = _kind


def canonical_kind(name: str) -> str | None:
    """The canonical kind for a name or alias ("Scatter Plot" -> "scatter"), or None."""
    return _LOOKUP.get(_norm(name))


def kind_label(kind: str) -> str:
    return KINDS[kind][0]


def options_model(kind: str) -> type[ViewOptions]:
    return KINDS[kind][2]


def column_fields(model: type[BaseModel]) -> list[str]:
    """Names of the option fields that must name a dataset column."""
    return [
        name
        for name, f in model.model_fields.items()
        if isinstance(f.json_schema_extra, dict) and f.json_schema_extra.get(COLUMN_REF)
    ]
