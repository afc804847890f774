"""Dims x samples heatmap: every latent value of the selection at once, for very wide latents.

A parcoords of 384 axes is unreadable; this view draws the latent dims as rows (those that vary
most over all samples first, `compute.axes.rank_dims`) and the samples of the selection as
columns (all visible samples when nothing is selected), so blocks of samples that share a
pattern of active dims show as bands. At most `samples` columns are drawn: a bigger selection is
represented by a seeded random sample of it (the same samples for the same selection), and the
caption says so. Columns are ordered by the samples' first principal component (of the drawn
samples' latent vectors), or by a chosen column (`sort_by`, or the panel's picker), so similar
samples sit side by side. Values are z-scores of each dim over all samples by default
(`standardise`), so a quiet dim's pattern shows as clearly as a loud one's, and the colours of
two selections compare.

Clicking a cell focuses its sample (the page's `focus`); the focus sample's column, when drawn,
is outlined.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
import plotly.graph_objects as go
from dash import ALL, MATCH, Dash, Input, Output, Patch, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from pydantic import Field

from latent_dash.compute.axes import rank_dims
from latent_dash.data import Dataset
from latent_dash.kinds import View, ViewOptions, column_option
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    DERIVED,
    FILTER,
    FOCUS,
    SELECTION,
    Page,
    Panel,
    PanelIds,
    panel_of,
)
from latent_dash.views.common import column_options, labelled
from latent_dash.views.palette import FOCUS_COLOR

KIND = "dimheatmap"
PC1 = "the first principal component"
STATS_BLOCK = 50_000  # rows of the latent summed at a time (float64 copies stay ~150 MB)
Z_LIMIT = 3.0  # z-scores beyond ±3 share the end colours
RAW_SCALE = "Viridis"
Z_SCALE = "RdBu_r"  # below the dim's mean blue, above red


class DimHeatmapOptions(ViewOptions):
    """Latent dims (rows) x the selection's samples (columns)."""

    type: Literal["dimheatmap"] = "dimheatmap"

    dims: int = Field(
        128, ge=2, le=1024, description="Latent dims drawn as rows, those that vary most first."
    )
    samples: int = Field(
        300,
        ge=10,
        le=2000,
        description="Samples drawn as columns at most: a seeded random sample of a bigger set.",
    )
    sort_by: str | None = column_option(
        "Column that orders the samples (default: their first principal component)."
    )
    standardise: bool = Field(
        True, description="Colour z-scores of each dim over all samples, not raw values."
    )


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every dimheatmap panel."""

    kind = KIND

    @classmethod
    def sort(cls, view: Any) -> dict[str, Any]:
        """The order picker: any column, or none for the first principal component. Its
        options follow computed columns through this kind's own callback."""
        return cls.part(view, "sort")

    @classmethod
    def samples(cls, view: Any) -> dict[str, Any]:
        """The sample drawn in each column, left to right."""
        return cls.part(view, "samples")


# ---------------------------------------------------------------- the matrix (pure, no dash)


@dataclass(frozen=True)
class Matrix:
    """What the heatmap draws: z[i, j] of dim `dims[i]` for sample `samples[j]`."""

    z: np.ndarray  # (len(dims), len(samples)) float32
    dims: list[str]
    samples: np.ndarray  # positions, in column order
    pool: int  # samples it represents (selected and visible, or visible)
    selected: bool  # the pool is a selection (else every visible sample)
    order: str  # what orders the columns, in words


_stats_of: weakref.WeakKeyDictionary[Dataset, tuple] = weakref.WeakKeyDictionary()


def dim_stats(dataset: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dims by variance, most first; each dim's mean; its standard deviation), over all
    samples, once per dataset."""
    if dataset not in _stats_of:
        total = np.zeros(dataset.dims)
        squares = np.zeros(dataset.dims)
        for start in range(0, dataset.n, STATS_BLOCK):  # float64 a block at a time: 1M x 384
            block = np.asarray(dataset.latent[start : start + STATS_BLOCK], dtype=np.float64)
            total += block.sum(axis=0)
            squares += (block * block).sum(axis=0)
        mean = total / dataset.n
        std = np.sqrt(np.maximum(squares / dataset.n - mean * mean, 0.0))
        scale = np.where(std > 1e-12 * np.maximum(np.abs(mean), 1.0), std, 1.0)
        _stats_of[dataset] = (rank_dims(dataset.latent, "variance"), mean, scale)
    return _stats_of[dataset]


def pool_rows(
    n: int, selected: np.ndarray | None, visible: np.ndarray | None
) -> tuple[np.ndarray, bool]:
    """(positions the view represents, whether they are a selection): the selected samples the
    filter shows, else every visible sample."""
    shown = np.ones(n, dtype=bool) if visible is None else np.asarray(visible, dtype=bool)
    if selected is None:
        return np.flatnonzero(shown), False
    return np.flatnonzero(np.asarray(selected, dtype=bool) & shown), True


def drawn_samples(pool: np.ndarray, limit: int) -> np.ndarray:
    """The pool, or a seeded random `limit` of it (sorted positions)."""
    if len(pool) <= limit:
        return np.asarray(pool)
    return np.sort(np.random.default_rng(0).choice(pool, limit, replace=False))


def first_component(x: np.ndarray) -> np.ndarray:
    """Each row's score on the first principal component of the rows of x (n, d); the sign
    makes the largest loading positive, so the order does not flip between runs."""
    if len(x) < 2:
        return np.zeros(len(x))
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    loading = vt[0]
    if loading[np.argmax(np.abs(loading))] < 0:
        loading = -loading
    return centred @ loading


def column_order(dataset: Dataset, samples: np.ndarray, sort_by: str | None) -> np.ndarray:
    """The drawn samples, reordered: by `sort_by` (missing values last; ties by position),
    else by their first principal component (of the latent as it is: standardising would
    lift dead units' noise to the weight of the dims that carry the structure)."""
    if sort_by is None:
        x = np.asarray(dataset.latent[samples], dtype=np.float64)
        return samples[np.argsort(first_component(x), kind="stable")]
    values = np.asarray(dataset.column(sort_by))[samples]
    try:
        numbers = np.asarray(values, dtype=np.float64)
        missing = ~np.isfinite(numbers)
        key = np.where(missing, 0.0, numbers)
        order = np.lexsort((key, missing))
    except (TypeError, ValueError):  # text: by its value as text
        text = np.array(["" if v is None else str(v) for v in values])
        missing = np.array([v is None or (isinstance(v, float) and v != v) for v in values])
        order = np.lexsort((text, missing))
    return samples[order]


def heat_matrix(
    dataset: Dataset,
    options: DimHeatmapOptions,
    selected: np.ndarray | None = None,
    visible: np.ndarray | None = None,
    sort_by: str | None = None,
) -> Matrix:
    """The dims x samples matrix for a selection (N bools, or None) and the visible samples
    (N bools, or None: all)."""
    ranked, mean, std = dim_stats(dataset)
    rows = ranked[: options.dims]
    pool, is_selection = pool_rows(dataset.n, selected, visible)
    samples = column_order(dataset, drawn_samples(pool, options.samples), sort_by)
    block = np.asarray(dataset.latent[samples][:, rows], dtype=np.float64)
    if options.standardise:
        block = (block - mean[rows]) / std[rows]
    return Matrix(
        z=np.ascontiguousarray(block.T, dtype=np.float32),
        dims=[dataset.latent_names[i] for i in rows],
        samples=samples,
        pool=len(pool),
        selected=is_selection,
        order=sort_by or PC1,
    )


def caption(matrix: Matrix, dataset: Dataset, options: DimHeatmapOptions) -> str:
    """What the heatmap shows, in words."""
    drawn = len(matrix.samples)
    what = "selected" if matrix.selected else "visible" if matrix.pool < dataset.n else ""
    if matrix.pool == 0:
        return "No sample to show: " + (
            "the selection has no visible sample." if matrix.selected else "the filter hides all."
        )
    group = f"{matrix.pool:,} {what} samples".replace("  ", " ")
    if drawn < matrix.pool:
        samples = f"a seeded random {drawn:,} of the {group}"
    else:
        samples = f"all {group}" if matrix.pool > 1 else f"the one {what} sample".replace("  ", " ")
    dims = len(matrix.dims)
    rows = f"all {dims} latent dims" if dims == dataset.dims else f"{dims} of {dataset.dims} dims"
    values = "z-scores over all samples" if options.standardise else "raw values"
    return (
        f"Rows: {rows}, the most varying first ({values}). Columns: {samples}, ordered by "
        f"{matrix.order}. Click a cell to focus its sample."
    )


def focus_shapes(samples: list[int] | np.ndarray | None, focus: Any) -> list[dict[str, Any]]:
    """An outline around the focus sample's column, when it is drawn."""
    if not isinstance(focus, int) or isinstance(focus, bool) or samples is None:
        return []
    where = np.flatnonzero(np.asarray(samples) == focus)
    if not len(where):
        return []
    j = int(where[0])
    return [
        {
            "type": "rect", "xref": "x", "yref": "paper", "x0": j - 0.5, "x1": j + 0.5,
            "y0": 0, "y1": 1, "line": {"color": FOCUS_COLOR, "width": 2},
        }
    ]  # fmt: skip


def heat_figure(matrix: Matrix, standardise: bool, focus: Any = None) -> go.Figure:
    """The heatmap: dims down, samples across (x = column number, which the click maps back)."""
    scale = (
        {"colorscale": Z_SCALE, "zmid": 0, "zmin": -Z_LIMIT, "zmax": Z_LIMIT}
        if standardise
        else {"colorscale": RAW_SCALE}
    )
    figure = go.Figure(
        go.Heatmap(
            z=matrix.z,
            x=np.arange(len(matrix.samples)),
            y=matrix.dims,
            **scale,
            colorbar={"thickness": 10, "title": {"text": "z" if standardise else "value"}},
            hovertemplate="%{y} · column %{x}: %{z:.3g}<extra></extra>",
        )
    )
    figure.update_layout(
        template="plotly_white",
        height=int(min(max(60 + 3 * len(matrix.dims), 300), 820)),
        margin={"l": 60, "r": 10, "t": 10, "b": 40},
        xaxis={"title": None, "showticklabels": False, "fixedrange": True, "showgrid": False},
        yaxis={
            "type": "category", "autorange": "reversed", "fixedrange": True, "showgrid": False,
        },
        shapes=focus_shapes(matrix.samples, focus),
        uirevision="dimheatmap",
    )  # fmt: skip
    return figure


# ---------------------------------------------------------------- layout and callbacks


def sort_options(dataset: Dataset) -> list[dict[str, str]]:
    return column_options(dataset)


def layout(panel: Panel, options: DimHeatmapOptions, dataset: Dataset) -> html.Div:
    matrix = heat_matrix(dataset, options, sort_by=options.sort_by)
    controls = dbc.Row(
        dbc.Col(
            labelled(
                "order the samples by",
                dcc.Dropdown(
                    sort_options(dataset),
                    options.sort_by,
                    placeholder=PC1,
                    id=ids.sort(panel),
                ),
            ),
            width=6,
        ),
        className="g-2 view-controls",
    )
    return html.Div(
        [
            controls,
            dcc.Graph(
                id=ids.graph(panel),
                figure=heat_figure(matrix, options.standardise),
                className="dimheatmap-graph",
                config={"displaylogo": False, "displayModeBar": False},
            ),
            html.Small(
                caption(matrix, dataset, options),
                id=ids.part(panel, "caption"),
                className="text-muted dimheatmap-caption",
            ),
            dcc.Store(id=ids.samples(panel), data=matrix.samples.tolist()),
            dcc.Store(id=ids.part(panel, "options"), data=options.model_dump()),
        ],
        className="view-body",
    )


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    @app.callback(
        Output(ids.graph(MATCH), "figure"),
        Output(ids.part(MATCH, "caption"), "children"),
        Output(ids.samples(MATCH), "data"),
        Input(SELECTION, DATA),
        Input(FILTER, DATA),
        Input(ids.sort(MATCH), "value"),
        State(ids.part(MATCH, "options"), "data"),
        State(FOCUS, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def redraw(selection, filtered, sort_by, stored, focus, config_key, derived):
        """A new selection, filter or order: the matrix again."""
        page = Page(menu, config_key, derived)
        dataset = page.dataset
        try:
            options = DimHeatmapOptions.model_validate(stored)
        except ValueError:
            raise PreventUpdate from None
        if sort_by is not None and sort_by not in {c.name for c in dataset.columns}:
            sort_by = None
        matrix = heat_matrix(
            dataset, options, page.selected(selection), page.visible_mask(filtered), sort_by
        )
        figure = heat_figure(matrix, options.standardise, page.focus(focus))
        return figure, caption(matrix, dataset, options), matrix.samples.tolist()

    @app.callback(
        Output(ids.sort(ALL), "options"),
        Input(DERIVED, DATA),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def refresh_sort(derived, config_key):
        """Computed columns (cluster labels, embedding coordinates) can order the samples."""
        return [
            sort_options(Page(menu, config_key, derived, model=panel_of(item["id"]).model).dataset)
            for item in ctx.outputs_list
        ]

    @app.callback(
        Output(ids.graph(MATCH), "figure", allow_duplicate=True),
        Input(FOCUS, DATA),
        State(ids.samples(MATCH), "data"),
        prevent_initial_call=True,
    )
    def mark_focus(focus, samples):
        """The focus sample's column outlined, without sending the figure again."""
        patch = Patch()
        patch["layout"]["shapes"] = focus_shapes(samples, focus)
        return patch

    @app.callback(
        Output(FOCUS, DATA, allow_duplicate=True),
        Input(ids.graph(ALL), "clickData"),
        State(ids.samples(ALL), "data"),
        prevent_initial_call=True,
    )
    def focus_clicked(_clicks, all_samples):
        """A cell's column is a sample: it becomes the page's focus."""
        trigger = ctx.triggered_id
        click = ctx.triggered[0]["value"] if ctx.triggered else None
        points = (click or {}).get("points") or []
        if not points or not isinstance(trigger, dict):
            raise PreventUpdate
        panels = [panel_of(item["id"]) for item in ctx.states_list[0]]
        samples = all_samples[panels.index(panel_of(trigger))] or []
        column = points[0].get("x")
        if not isinstance(column, int) or isinstance(column, bool):
            raise PreventUpdate
        if not 0 <= column < len(samples):
            raise PreventUpdate
        return int(samples[column])


class DimHeatmap(View):
    kind = KIND
    label = "Dims x samples heatmap"
    aliases = ("DimHeatmap", "dim heatmap", "latent heatmap")
    Options = DimHeatmapOptions
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)
