"""The catalogue of view kinds: their names, NDDAV aliases and option models.

It lives apart from `views/` so that a config can be validated (`latent-dash validate`) without
building any Dash component. A kind's options are a pydantic model, so the YAML is checked and
documented by the same class; fields typed `ColumnRef` must name a column of the dataset.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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


# canonical kind -> (human label, NDDAV and other aliases, options model)
KINDS: dict[str, tuple[str, tuple[str, ...], type[ViewOptions]]] = {
    "parcoords": ("Parallel coordinates", ("Parallel Coordinate", "parallel"), ViewOptions),
    "scatter": ("Scatter plot", ("Scatter Plot", "scatterplot"), ScatterOptions),
    "splom": ("Scatterplot matrix", ("Scatterplot Matrix", "scatter matrix"), ViewOptions),
    "images": ("Images", ("Image", "gallery"), ViewOptions),
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
