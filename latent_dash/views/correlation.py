"""Correlation view (NDDAV's "FuncDistance", extended): what each latent dim has to do with the
physical parameters and the numeric metadata.

A heatmap of latent dims (rows) against targets (columns: parameters, then numeric metadata
columns, or the `targets` option) by Pearson, Spearman or mutual information, over all samples
or over the current selection; beside it, one bar per target: the cross-validated R^2 of
predicting it from the whole latent vector by ridge regression, i.e. which physical inputs the
latent space encodes. The numbers come from `compute.correlation` and are cached on disk, so a
measure or selection seen before answers at once.

Clicking a cell sets the x and y pickers of the FIRST scatter panel of the layout (in the
config's row/column order) to that pair: x = the latent dim, y = the target. Only the first, so
that a second scatter (say, of the physical inputs) keeps its axes. The heatmap's clickData
carries the cell's x and y category names, which is all that is needed. Clicking a target's R^2
bar rotates every dynamic projection of the page to the direction aligned with that target (the
ridge direction that predicts it: the bar's own regression, seen in two dims).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from pydantic import Field

from latent_dash import selection_store
from latent_dash.compute import correlation as corr
from latent_dash.data import Dataset
from latent_dash.kinds import View, ViewOptions, numeric_option
from latent_dash.page import (
    AXES_REQUEST,
    CONFIG_KEY,
    DATA,
    FILTER,
    PROJECTION_REQUEST,
    SELECTION,
    Page,
    Panel,
    PanelIds,
    panel_of,
)
from latent_dash.views.requests import aligned_with, axes_request, projection_request

KIND = "correlation"


class CorrelationOptions(ViewOptions):
    """Latent dims against the parameters and numeric metadata (NDDAV's FuncDistance)."""

    type: Literal["correlation"] = "correlation"

    measure: Literal["pearson", "spearman", "mi"] = Field(
        "pearson", description="Pearson, Spearman rank correlation or mutual information."
    )
    over: Literal["all", "selection"] = Field(
        "all", description="Compute over all samples or over the current selection."
    )
    targets: list[str] | None = numeric_option(
        "Numeric columns compared with the latent dims (default: every parameter and numeric"
        " metadata column)."
    )


ANNOTATE_MAX_CELLS = 300  # values written in the cells up to this many cells
DIVERGING_SCALE = "RdBu_r"  # negative blue, positive red, white at 0
MI_SCALE = "Viridis"
NO_TARGETS = (
    "This dataset has neither parameters nor numeric metadata columns, so there is nothing to "
    "relate the latent dims to. Add dataset.params (or a metadata table with numbers) to the "
    "config."
)
MEASURE_LABELS = {"pearson": "Pearson", "spearman": "Spearman", "mi": "Mutual information"}
OVER_LABELS = {"all": "all samples", "selection": "current selection"}


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every correlation panel."""

    kind = KIND

    @staticmethod
    def heatmap(view: Any) -> dict[str, Any]:
        return ids.part(view, "heatmap")

    @staticmethod
    def bars(view: Any) -> dict[str, Any]:
        return ids.part(view, "bars")


# ------------------------------------------------------------------ data of the view (no dash)


def target_names(dataset: Dataset, chosen: list[str] | None = None) -> list[str]:
    """The columns compared with the latent dims: the chosen numeric ones, else every
    parameter and numeric metadata column (integer class labels included, as codes)."""
    columns = dataset.columns
    if chosen:
        numeric = {c.name for c in columns if c.numeric}
        return [name for name in chosen if name in numeric]
    return [c.name for c in columns if c.numeric and c.source in ("param", "metadata")]


def target_matrix(dataset: Dataset, names: list[str]) -> np.ndarray:
    """(N, T) float64 of the targets; missing values are NaN."""
    matrix = np.empty((dataset.n, len(names)))
    for j, name in enumerate(names):
        values = pd.to_numeric(pd.Series(dataset.column(name)), errors="coerce")
        matrix[:, j] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return matrix


def rows_over(
    dataset: Dataset, over: str, selection: dict | None, visible: np.ndarray | None = None
) -> tuple[np.ndarray | None, str, str | None]:
    """(rows or None for all, what they are in words, a problem that stops the computation).

    `visible` (sample indices a filter lets through) restricts every choice to them.
    """
    n = dataset.n
    everyone = (
        (None, f"all {n:,} samples") if visible is None
        else (np.asarray(visible), f"the {len(visible):,} visible samples")
    )  # fmt: skip
    mask = selection_store.get((selection or {}).get("key"), n) if over == "selection" else None
    if over != "selection":
        return *everyone, None
    if visible is not None and mask is not None:
        mask = mask & np.isin(np.arange(n), visible)
    if mask is None or not mask.any():
        nothing = "nothing is selected" if visible is None else "nothing visible is selected"
        return everyone[0], f"{everyone[1]} ({nothing})", None
    count = int(mask.sum())
    rows = np.flatnonzero(mask)
    words = f"{count:,} selected samples"
    if count < corr.MIN_ROWS:
        advice = f"select at least {corr.MIN_ROWS} samples to compute over them"
        return rows, words, f"Only {count} selected: {advice}."
    return rows, words, None


def _cell_text(matrix: np.ndarray) -> list[list[str]]:
    return [["" if not np.isfinite(v) else f"{v:.2f}" for v in row] for row in matrix]


def heatmap_figure(
    matrix: np.ndarray | None, latent_names: list[str], targets: list[str], measure: str
) -> go.Figure:
    """Latent dims (rows, top down) against targets (columns), coloured by the measure."""
    d, t = len(latent_names), len(targets)
    figure = go.Figure()
    if matrix is not None:
        z = np.asarray(matrix, dtype=np.float32)
        if measure == "mi":
            top = float(np.nanmax(z)) if np.isfinite(z).any() else 0.0
            scale = {"colorscale": MI_SCALE, "zmin": 0.0, "zmax": max(top, 1e-6)}
        else:
            scale = {"colorscale": DIVERGING_SCALE, "zmin": -1.0, "zmax": 1.0, "zmid": 0.0}
        label = MEASURE_LABELS[measure] + (" (nats)" if measure == "mi" else "")
        trace = go.Heatmap(
            z=z,
            x=list(targets),
            y=list(latent_names),
            **scale,
            xgap=1,
            ygap=1,
            hoverongaps=False,
            hovertemplate=f"%{{y}} · %{{x}}<br>{MEASURE_LABELS[measure]} = %{{z:.3f}}"
            "<extra></extra>",
            colorbar={"title": {"text": label, "side": "right"}, "thickness": 12},
        )
        if d * t <= ANNOTATE_MAX_CELLS:
            trace.update(text=_cell_text(z), texttemplate="%{text}", textfont={"size": 11})
        figure.add_trace(trace)
    cell = 26 if d <= 20 else 16 if d <= 40 else 10
    figure.update_layout(
        template="plotly_white",
        height=int(min(max(90 + cell * d, 260), 900)),
        margin={"l": 60, "r": 10, "t": 10, "b": 70},
        xaxis={"type": "category", "fixedrange": True, "title": None},
        yaxis={"type": "category", "fixedrange": True, "autorange": "reversed", "title": None},
        uirevision="correlation",
    )
    return figure


def r2_figure(r2: np.ndarray | None, targets: list[str], height: int) -> go.Figure:
    """Horizontal bars: cross-validated R^2 of each target from the whole latent vector.

    The values are written right of each bar's whisker (a text trace), legible for short and
    negative bars alike.
    """
    figure = go.Figure()
    lowest = 0.0
    if r2 is not None:
        mean = np.asarray(r2[:, 0], dtype=np.float32)
        std = np.nan_to_num(np.asarray(r2[:, 1], dtype=np.float32))
        if np.isfinite(mean).any():
            lowest = min(0.0, float(np.nanmin(mean - std)))
        figure.add_trace(
            go.Bar(
                x=mean,
                y=list(targets),
                orientation="h",
                error_x={"type": "data", "array": std, "thickness": 1, "width": 3},
                marker={"color": "#4c78a8"},
                hovertemplate="%{y}: R² = %{x:.3f}<extra></extra>",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=np.maximum(np.nan_to_num(mean + std), 0.0).astype(np.float32) + 0.03,
                y=list(targets),
                mode="text",
                text=["n/a" if not np.isfinite(v) else f"{v:.2f}" for v in mean],
                textposition="middle right",
                textfont={"size": 11},
                hoverinfo="skip",
            )
        )
    figure.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 90, "r": 10, "t": 28, "b": 40},
        title={"text": "CV R², whole latent → target", "font": {"size": 12}, "x": 0.02},
        xaxis={
            "range": [max(lowest - 0.05, -1.0), 1.3],
            "tickvals": [0, 0.5, 1],
            "fixedrange": True,
            "zeroline": True,
        },
        yaxis={"type": "category", "fixedrange": True, "autorange": "reversed"},
        showlegend=False,
    )
    return figure


def caption(measure: str, words: str, rows: int, problem: str | None = None) -> str:
    """What the panel shows, over which samples."""
    if problem:
        return problem
    what = f"{MEASURE_LABELS[measure]} over {words}"
    if measure == "mi" and rows > corr.MI_MAX_ROWS:
        what += f" (a seeded random {corr.MI_MAX_ROWS:,} of them)"
    return (
        f"{what}. Bars: R² of each target predicted from all latent dims (ridge regression, "
        f"{corr.CV_FOLDS}-fold cross-validated, ± std over the folds); click a bar to turn a "
        "dynamic projection towards that target."
    )


def figures(
    dataset: Dataset,
    targets: list[str],
    measure: str,
    over: str,
    selection: dict | None,
    visible: np.ndarray | None = None,
) -> tuple[go.Figure, go.Figure, str]:
    """Heatmap, R^2 bars and caption for one state of the controls (over visible samples)."""
    rows, words, problem = rows_over(dataset, over, selection, visible)
    matrix = r2 = None
    if problem is None:
        values = target_matrix(dataset, targets)
        matrix = corr.cached_association(dataset.latent, values, measure, rows)[1]
        r2 = corr.cached_encoding_r2(dataset.latent, values, rows)[1]
    heat = heatmap_figure(matrix, dataset.latent_names, targets, measure)
    bars = r2_figure(r2, targets, heat.layout.height)
    count = dataset.n if rows is None else len(rows)
    return heat, bars, caption(measure, words, count, problem)


# ------------------------------------------------------------------ layout and callbacks


def _radio(panel: Panel, part: str, labels: dict[str, str], value: str) -> dbc.RadioItems:
    return dbc.RadioItems(
        id=ids.part(panel, part),
        options=[{"label": label, "value": key} for key, label in labels.items()],
        value=value,
        inline=True,
        className=f"correlation-{part}",
    )


def layout(panel: Panel, options: CorrelationOptions, dataset: Dataset) -> html.Div:
    """Controls, caption, then the heatmap with the R^2 bars beside it (built at once)."""
    targets = target_names(dataset, options.targets)
    if not targets:
        return html.Div(NO_TARGETS, className="correlation-none text-muted")
    measure = options.measure
    over = options.over
    heat, bars, text = figures(dataset, targets, measure, over, None)
    controls = html.Div(
        [
            _radio(panel, "measure", MEASURE_LABELS, measure),
            _radio(panel, "over", OVER_LABELS, over),
        ],
        className="correlation-controls view-controls",
    )
    graphs = html.Div(
        [
            dcc.Graph(
                id=ids.heatmap(panel),
                figure=heat,
                className="correlation-heatmap",
                config={"displaylogo": False, "displayModeBar": False},
            ),
            dcc.Graph(
                id=ids.bars(panel),
                figure=bars,
                className="correlation-bars",
                config={"displaylogo": False, "displayModeBar": False},
            ),
        ],
        className="correlation-figures",
    )
    return html.Div(
        [
            controls,
            html.Div(text, id=ids.part(panel, "caption"), className="correlation-caption"),
            dcc.Loading(graphs, delay_show=400, type="dot"),
            dcc.Store(id=ids.part(panel, "targets"), data=targets),
        ],
        className="view-body",
    )


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Recompute on a measure, subset or (when computing over it) selection change; clicks
    on a cell set the first scatter's axes."""

    @app.callback(
        Output(ids.heatmap(MATCH), "figure"),
        Output(ids.bars(MATCH), "figure"),
        Output(ids.part(MATCH, "caption"), "children"),
        Input(ids.part(MATCH, "measure"), "value"),
        Input(ids.part(MATCH, "over"), "value"),
        Input(SELECTION, DATA),
        Input(FILTER, DATA),
        State(ids.part(MATCH, "targets"), "data"),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def update(measure: str, over: str, selection, filtered, targets: list, config_key: str):
        if ctx.triggered_id == "selection" and over != "selection":
            raise PreventUpdate
        if measure not in MEASURE_LABELS or not targets:
            raise PreventUpdate
        page = Page(menu, config_key)
        dataset = page.dataset
        targets = [t for t in targets if t in {c.name for c in dataset.columns}]
        visible = page.visible(filtered)
        heat, bars, text = figures(dataset, targets, measure, over, selection, visible)
        only_measure = isinstance(ctx.triggered_id, dict) and ctx.triggered_id["part"] == "measure"
        return heat, no_update if only_measure else bars, text

    @app.callback(
        Output(AXES_REQUEST, DATA, allow_duplicate=True),
        Input(ids.heatmap(ALL), "clickData"),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def to_scatter(_clicks: list, config_key: str):
        """A cell (dim, target): the model's scatter plots show that dim against the target."""
        click = ctx.triggered[0]["value"] if ctx.triggered else None
        points = (click or {}).get("points") or []
        if not points or not isinstance(ctx.triggered_id, dict):
            raise PreventUpdate
        dim, target = points[0].get("y"), points[0].get("x")
        if not (isinstance(dim, str) and isinstance(target, str)):
            raise PreventUpdate
        page = Page(menu, config_key, model=panel_of(ctx.triggered_id).model)
        scatters = page.panels_of("scatter")
        if not scatters:
            raise PreventUpdate
        return axes_request(dim, target, page.model, scatters[0])  # the layout's first

    @app.callback(
        Output(PROJECTION_REQUEST, DATA, allow_duplicate=True),
        Input(ids.bars(ALL), "clickData"),
        prevent_initial_call=True,
    )
    def to_projection(_clicks: list):
        """A target's bar: the model's projections turn to the direction aligned with it."""
        click = ctx.triggered[0]["value"] if ctx.triggered else None
        points = (click or {}).get("points") or []
        target = points[0].get("y") if points else None
        if not isinstance(target, str) or not isinstance(ctx.triggered_id, dict):
            raise PreventUpdate
        return projection_request(aligned_with(target), panel_of(ctx.triggered_id).model)


class Correlation(View):
    kind = KIND
    label = "Correlation"
    aliases = ("FuncDistance",)
    Options = CorrelationOptions
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)
