"""View kinds, one module each, registered here by kind name.

A module gives `KIND`, `layout(view_id, options, dataset)` and `register_callbacks(app, menu)`.
Kinds of the catalogue (latent_dash.kinds) without a module yet are drawn as a labelled frame.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import dash_bootstrap_components as dbc
from dash import Dash, html

from latent_dash.config import ViewSpec
from latent_dash.data import Dataset
from latent_dash.kinds import kind_label
from latent_dash.views import (
    clusters,
    correlation,
    embedding,
    filters,
    images,
    interpolation,
    neighbors,
    parcoords,
    peakshape,
    projection,
    scatter,
    splom,
    table,
    topology,
    traversal,
    viewgraph,
)

VIEW_MODULES: dict[str, ModuleType] = {
    m.KIND: m
    for m in (
        scatter,
        parcoords,
        splom,
        table,
        images,
        neighbors,
        filters,
        correlation,
        clusters,
        traversal,
        interpolation,
        embedding,
        topology,
        peakshape,
        projection,
        viewgraph,
    )
}


def register_all(app: Dash, menu: dict[str, Path]) -> None:
    """Register each kind's callbacks once; they serve every panel of that kind."""
    for module in VIEW_MODULES.values():
        module.register_callbacks(app, menu)


def render_panel(spec: ViewSpec, dataset: Dataset) -> dbc.Card:
    """The framed panel of one view: a title bar and the kind's own content."""
    module = VIEW_MODULES.get(spec.kind)
    if module is not None:
        body = module.layout(spec.id, spec.options, dataset)
    else:
        body = html.Div(
            f"The {kind_label(spec.kind).lower()} view is not part of this version yet.",
            className="view-pending text-muted",
        )
    title = spec.options.get("title") or kind_label(spec.kind)
    return dbc.Card(
        [dbc.CardHeader(title, className="view-title"), dbc.CardBody(body)],
        id=f"{spec.id}-panel",
        className=f"view-panel view-{spec.kind}",
    )
