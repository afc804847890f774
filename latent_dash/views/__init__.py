"""View kinds, one module each; importing the package imports them all, which registers them.

A module defines one `latent_dash.kinds.View` subclass (its kind, options, layout and
callbacks); modules that define none (shared helpers such as linking or points) are imported
too, harmlessly. A new kind is one new file here, nothing else to register.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import dash_bootstrap_components as dbc
from dash import Dash, html

from latent_dash.config import ViewSpec
from latent_dash.data import Dataset
from latent_dash.kinds import registry
from latent_dash.page import Panel

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")


def register_all(app: Dash, menu: dict[str, Path]) -> None:
    """Register each kind's callbacks once; they serve every panel of that kind."""
    for view in registry().values():
        view.register_callbacks(app, menu)


def render_panel(
    spec: ViewSpec, dataset: Dataset, model: int = 0, changed: dict | None = None
) -> dbc.Card:
    """The framed panel of one view: a title bar and the kind's own content; `changed`: the
    options a link changed (View.linked), applied when they fit the dataset."""
    view = registry()[spec.kind]
    panel = Panel(spec.id, model)
    options, dropped = view.with_changes(spec.options, changed, {c.name for c in dataset.columns})
    body = view.layout(panel, options, dataset)
    if dropped:
        note = f"The link's {', '.join(dropped)} no longer fit this config: left as configured."
        body = html.Div([html.Div(note, className="link-note text-warning small"), body])
    return dbc.Card(
        [
            dbc.CardHeader(spec.options.title or view.label, className="view-title"),
            dbc.CardBody(body),
        ],
        id=f"m{model}-{spec.id}-panel" if model else f"{spec.id}-panel",
        className=f"view-panel view-{spec.kind}",
    )
