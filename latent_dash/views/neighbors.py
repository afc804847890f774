"""Neighbours view (NDDAV's "Neighborhood"): the focus sample's nearest neighbours.

When the shared `focus` holds a sample, the panel lists its k nearest other samples in latent
space (Euclidean or cosine) with their distances and thumbnails, beside its k nearest in
physical-parameter space (standardised parameters), and says how much the two sets overlap: a
latent space that keeps physically similar inputs together has a high overlap. "Select these"
makes the focus and its latent neighbours the selection (in the toolbar's mode), which is how
they are highlighted in every other view; clicking a neighbour moves the focus to it.

Neighbours are searched among all samples (compute/neighbors.py, exact, ~1 ms at N = 100,000);
those the page's filter hides are still listed, marked "hidden", but never selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate
from pydantic import Field

from latent_dash.compute import neighbors as nb
from latent_dash.data import Dataset
from latent_dash.imaging import channel_choices
from latent_dash.kinds import View, ViewOptions
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    FILTER,
    FOCUS,
    SELECTION,
    SELECTION_MASK,
    SELECTION_MODE,
    Page,
    Panel,
    PanelIds,
    new_selection,
    panel_of,
)
from latent_dash.routes import thumbnail_url
from latent_dash.views.common import labelled

KIND = "neighbors"


class NeighborsOptions(ViewOptions):
    """The focus sample's nearest neighbours in latent space and in parameter space."""

    type: Literal["neighbors"] = "neighbors"

    k: int = Field(10, ge=1, le=100, description="Number of neighbours listed.")
    metric: Literal["euclidean", "cosine"] = Field(
        "euclidean", description="Distance in latent space: euclidean or cosine."
    )


THUMB_SIZE = 48
MAX_K = 100
HINT = "Click a sample in any view (a point, a thumbnail, a table row) to see its neighbours."
METRIC_LABELS = {"euclidean": "Euclidean", "cosine": "cosine"}


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every neighbours panel."""

    kind = KIND

    @classmethod
    def item(cls, view, index: Any, space: Any) -> dict:
        """One listed neighbour; `space` is "latent" or "param" (a sample may be in both)."""
        return cls.part(view, "item", index=index, space=space)


# --- pure parts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Neighbourhood:
    """A focus sample's neighbours: indices and distances in both spaces (params may be None)."""

    focus: int
    k: int
    metric: str
    latent: np.ndarray
    latent_distances: np.ndarray
    params: np.ndarray | None
    param_distances: np.ndarray | None


def neighbourhood(dataset: Dataset, focus: int, k: int, metric: str) -> Neighbourhood:
    """The focus's k nearest in latent space (`metric`) and in standardised parameter space."""
    latent, latent_d = nb.nearest(dataset.latent, focus, k, metric)
    params = param_d = None
    if dataset.params is not None and dataset.params.shape[1] > 0:
        params, param_d = nb.nearest(dataset.params, focus, k, "euclidean", scaled=True)
    return Neighbourhood(focus, len(latent), metric, latent, latent_d, params, param_d)


def overlap_text(result: Neighbourhood) -> str:
    """ "4 of 10 latent neighbours are also parameter neighbours (Jaccard 0.25)"."""
    if result.params is None:
        return "No parameters in this dataset: no comparison with parameter space."
    shared, jaccard = nb.overlap(result.latent, result.params)
    return (
        f"{shared} of {result.k} latent neighbours are also parameter neighbours "
        f"(Jaccard {jaccard:.2f})"
    )


def clamp_k(k: Any, default: int = 10) -> int:
    try:
        return min(MAX_K, max(1, int(k)))
    except (TypeError, ValueError):
        return default


def _distance(value: float) -> str:
    return f"{value:.4g}"


def neighbour_list(
    dataset: Dataset,
    config_key: str,
    panel: Panel,
    space: str,
    indices: np.ndarray,
    distances: np.ndarray,
    hidden: set[int],
    shared: set[int],
) -> html.Ol:
    """The ordered list of neighbours: thumbnail (if images), index and distance, clickable."""
    channel = channel_choices(dataset)[0] if dataset.has_images else None
    items = []
    for rank, (i, d) in enumerate(zip(indices.tolist(), distances.tolist(), strict=True), 1):
        parts: list[Any] = [html.Span(f"{rank}.", className="neighbors-rank")]
        if channel is not None:
            parts.append(
                html.Img(
                    src=thumbnail_url(config_key, i, size=THUMB_SIZE, channel=channel),
                    alt=f"sample {dataset.file_row(i)}",
                    className="neighbors-thumb",
                )
            )
        parts.append(html.Span(f"#{dataset.file_row(i)}", className="neighbors-index"))
        name = dataset.sample_label(i)
        if name is not None:
            parts.append(html.Span(name, className="neighbors-label"))
        parts.append(html.Span(_distance(d), className="neighbors-distance"))
        if i in hidden:
            parts.append(html.Span("hidden", className="neighbors-flag"))
        label = dataset.sample_name(i, width=200)
        classes = "neighbors-item"
        classes += " neighbors-shared" if i in shared else ""
        classes += " neighbors-hidden" if i in hidden else ""
        items.append(
            html.Li(
                html.Button(
                    parts,
                    id=ids.item(panel, i, space),
                    n_clicks=0,
                    type="button",
                    title=label + (" (hidden by the filter)" if i in hidden else ""),
                    className=classes,
                )
            )
        )
    return html.Ol(items, className=f"neighbors-list neighbors-{space}")


def results(
    dataset: Dataset,
    config_key: str,
    panel: Panel,
    focus: Any,
    k: int,
    metric: str,
    visible: np.ndarray | None = None,
) -> list[Any]:
    """The panel's content for a focus (or the hint when there is none)."""
    if not isinstance(focus, int) or not 0 <= focus < dataset.n:
        return [html.Div(HINT, className="neighbors-hint text-muted")]
    result = neighbourhood(dataset, focus, k, metric)
    hidden: set[int] = set()
    if visible is not None:
        listed = result.latent if result.params is None else np.r_[result.latent, result.params]
        hidden = set(listed[~np.isin(listed, visible)].tolist())
    shared = (
        set()
        if result.params is None
        else set(result.latent.tolist()) & set(result.params.tolist())
    )
    heading: list[Any] = []
    if dataset.has_images:
        heading.append(
            html.Img(
                src=thumbnail_url(
                    config_key, focus, size=THUMB_SIZE, channel=channel_choices(dataset)[0]
                ),
                alt=f"sample {dataset.file_row(focus)}",
                className="neighbors-thumb",
            )
        )
    heading.append(
        html.Span(f"Neighbours of {dataset.sample_name(focus)}", className="fw-semibold")
    )
    latent = html.Div(
        [
            html.Div(f"Latent space ({METRIC_LABELS[metric]})", className="neighbors-space-title"),
            neighbour_list(
                dataset,
                config_key,
                panel,
                "latent",
                result.latent,
                result.latent_distances,
                hidden,
                shared,
            ),
        ],
        className="neighbors-column",
    )
    columns = [latent]
    if result.params is not None and result.param_distances is not None:
        columns.append(
            html.Div(
                [
                    html.Div(
                        "Parameter space (standardised)",
                        className="neighbors-space-title",
                    ),
                    neighbour_list(
                        dataset,
                        config_key,
                        panel,
                        "param",
                        result.params,
                        result.param_distances,
                        hidden,
                        shared,
                    ),
                ],
                className="neighbors-column",
            )
        )
    return [
        html.Div(heading, className="neighbors-heading"),
        html.Div(overlap_text(result), className="neighbors-overlap"),
        html.Div(columns, className="neighbors-columns"),
    ]


def selected_mask(
    dataset: Dataset, focus: int, k: int, metric: str, visible: np.ndarray | None = None
) -> np.ndarray:
    """The focus and its k latent neighbours as a mask, less any the filter hides."""
    mask = np.zeros(dataset.n, dtype=bool)
    mask[focus] = True
    mask[nb.nearest(dataset.latent, focus, k, metric)[0]] = True
    if visible is not None:
        shown = np.zeros(dataset.n, dtype=bool)
        shown[visible] = True
        mask &= shown
    return mask


# --- layout and callbacks -----------------------------------------------------------------------


def layout(panel: Panel, options: NeighborsOptions, dataset: Dataset) -> html.Div:
    """k, metric and "select these" above the lists (filled when a sample is focused)."""
    k = clamp_k(options.k)
    metric = options.metric
    # build the search structures while the page is drawn, not on the first click
    nb.prepare(dataset.latent, metric)
    if dataset.params is not None:
        nb.prepare(dataset.params, "euclidean", scaled=True)
    controls = dbc.Row(
        [
            dbc.Col(
                labelled(
                    "k",
                    dbc.Input(
                        id=ids.part(panel, "k"),
                        type="number",
                        min=1,
                        max=MAX_K,
                        step=1,
                        value=k,
                        debounce=True,
                        size="sm",
                        className="neighbors-k",
                    ),
                ),
                width="auto",
            ),
            dbc.Col(
                labelled(
                    "latent distance",
                    dbc.RadioItems(
                        id=ids.part(panel, "metric"),
                        value=metric,
                        options=[{"label": v, "value": m} for m, v in METRIC_LABELS.items()],
                        inline=True,
                        input_class_name="btn-check",
                        label_class_name="btn btn-outline-secondary btn-sm",
                        label_checked_class_name="active",
                        className="neighbors-metric",
                    ),
                ),
                width="auto",
            ),
            dbc.Col(
                dbc.Button(
                    "Select these",
                    id=ids.part(panel, "select"),
                    size="sm",
                    color="primary",
                    outline=True,
                    disabled=True,
                    title="select the focus sample and its latent neighbours",
                    className="neighbors-select",
                ),
                width="auto",
                className="d-flex align-items-end",
            ),
        ],
        className="g-2 view-controls",
    )
    body = html.Div(
        [html.Div(HINT, className="neighbors-hint text-muted")],
        id=ids.part(panel, "results"),
        className="neighbors-results",
    )
    return html.Div([controls, body], className="view-body neighbors-body")


# A click on a listed neighbour is a change of one n_clicks to a positive count; a redraw brings
# new items with n_clicks 0, several at once: those are ignored.
ITEM_CLICK = """
function (clicks) {
    const hits = (dash_clientside.callback_context.triggered || []);
    if (hits.length !== 1 || !hits[0].value) { return dash_clientside.no_update; }
    const prop = hits[0].prop_id;
    return JSON.parse(prop.slice(0, prop.lastIndexOf("."))).index;
}
"""


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Lists on focus / k / metric / filter (server); neighbour clicks move the focus."""

    @app.callback(
        Output(ids.part(MATCH, "results"), "children"),
        Output(ids.part(MATCH, "select"), "disabled"),
        Input(FOCUS, DATA),
        Input(ids.part(MATCH, "k"), "value"),
        Input(ids.part(MATCH, "metric"), "value"),
        Input(FILTER, DATA),
        State(ids.part(MATCH, "results"), "id"),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def show(focus, k, metric: str, filtered, results_id: dict, config_key: str):
        page = Page(menu, config_key)
        dataset = page.dataset
        config_key = page.model_key  # a comparison page: its model's
        if metric not in nb.METRICS:
            raise PreventUpdate
        visible = page.visible(filtered)
        children = results(
            dataset, config_key, panel_of(results_id), focus, clamp_k(k), metric, visible
        )
        return children, not (isinstance(focus, int) and 0 <= focus < dataset.n)

    @app.callback(
        Output(SELECTION_MASK, DATA, allow_duplicate=True),
        Output(SELECTION, DATA, allow_duplicate=True),
        Input(ids.part(ALL, "select"), "n_clicks"),
        State(ids.part(ALL, "k"), "value"),
        State(ids.part(ALL, "metric"), "value"),
        State(FOCUS, DATA),
        State(SELECTION, DATA),
        State(SELECTION_MODE, "value"),
        State(FILTER, DATA),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def select_these(clicks, ks, metrics, focus, current, mode: str, filtered, config_key: str):
        """The focus and its latent neighbours (those the filter shows), combined with the
        selection in the toolbar's mode."""
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks):
            raise PreventUpdate
        views = [panel_of(item["id"]) for item in ctx.inputs_list[0]]
        at = views.index(panel_of(trigger))
        if not clicks[at]:
            raise PreventUpdate
        page = Page(menu, config_key)
        dataset = page.dataset
        config_key = page.model_key  # a comparison page: its model's
        if not isinstance(focus, int) or not 0 <= focus < dataset.n:
            raise PreventUpdate
        metric = metrics[at] if metrics[at] in nb.METRICS else "euclidean"
        visible = page.visible(filtered)
        fresh = selected_mask(dataset, focus, clamp_k(ks[at]), metric, visible)
        return new_selection(fresh, current, mode, filtered, panel_of(trigger).source)

    app.clientside_callback(
        ITEM_CLICK,
        Output(FOCUS, DATA, allow_duplicate=True),
        Input(ids.item(ALL, ALL, ALL), "n_clicks"),
        prevent_initial_call=True,
    )


class Neighbors(View):
    kind = KIND
    label = "Neighbours"
    aliases = ("Neighborhood", "neighbours", "Neighbourhood")
    Options = NeighborsOptions
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)
