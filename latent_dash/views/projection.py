"""Dynamic projection view (NDDAV's DynamicProjection): a linear 2-D projection of the latent
vectors that rotates smoothly from one view to the next.

The points are the latent vectors z of the drawn samples at (z · b_x, z · b_y) for an orthonormal
basis B (D x 2, compute.projection). The target is picked in the panel: two latent dims (x, y),
PCA of the visible samples, or "aligned with <parameter>" (x predicts the parameter best, y is
the largest variance orthogonal to it); a view-graph thumbnail sets it too, through this view's
`target` store ({"x": dim, "y": dim} or {"mode": ...}), which every view-graph click writes to
with an ALL id, so no global store is needed.

What goes over the wire:
- once per draw (panel built, colour or filter change): the figure (scatter-like traces made
  by views.scatter.point_traces, so box/lasso selection, highlight, click focus and hover cards
  work as in a scatter) and the drawn samples' latent vectors as float32 bytes in the panel's
  `latent` store, with their sample indices;
- per target: only the target basis (D x 2 numbers) and its axis titles, in the `basis` store.
The browser (assets/projection.js, `animateProjection`) then rotates from the shown basis to the
target along the principal-angle geodesic (compute.projection.interpolate is its tested twin)
in about `duration` ms with requestAnimationFrame, calling Plotly.restyle on x and y only (the
selection stays highlighted), and ends exactly on x = z @ target, which it also writes back
into the figure (a Patch) so later highlight updates do not undo the motion.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
import plotly.graph_objects as go
from dash import (
    ALL,
    MATCH,
    ClientsideFunction,
    Dash,
    Input,
    Output,
    State,
    ctx,
    dcc,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate
from pydantic import Field

from latent_dash.compute import projection as compute
from latent_dash.data import Dataset
from latent_dash.kinds import View, ViewOptions, column_option, latent_option
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    DERIVED,
    FILTER,
    FOCUS,
    PROJECTION_REQUEST,
    SELECTION,
    Page,
    Panel,
    PanelIds,
)
from latent_dash.views.common import column_options, drawn_note, drawn_rows, labelled
from latent_dash.views.linking import register_hover, register_linking
from latent_dash.views.points import point_traces, scatter_layout
from latent_dash.views.requests import ALIGNED, addressed_to, follow_color

KIND = "projection"


class ProjectionOptions(ViewOptions):
    """A linear 2-D projection of the latent vectors that rotates smoothly to a new target."""

    type: Literal["projection"] = "projection"

    x: str | None = latent_option("Latent dim on the x axis at start (default: the first).")
    y: str | None = latent_option("Latent dim on the y axis at start (default: the second).")
    color: str | None = column_option(
        "Column that colours the points (default: the first metadata column, if any)."
    )
    duration: int = Field(
        1000, ge=0, le=10_000, description="Length of the rotation to a new target, in ms."
    )
    max_points: int = Field(
        20_000, ge=100, le=200_000,
        description="Most points drawn (a fixed random sample of the visible samples above it).",
    )  # fmt: skip


MAX_POINTS = 20_000  # default drawn-point limit (a fixed random sample of the visible samples)
DURATION_MS = 1_000


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every projection panel."""

    kind = KIND

    @classmethod
    def target(cls, view) -> dict:
        """Where other views (the view graph) send a target: {"x", "y"} or {"mode"}."""
        return cls.part(view, "target")


# --- pure helpers ---------------------------------------------------------------------------------


def parameter_columns(dataset: Dataset) -> list[str]:
    """Columns a direction can be aligned with: numeric parameters and metadata."""
    return [c.name for c in dataset.columns if c.numeric and c.source in ("param", "metadata")]


def mode_options(dataset: Dataset) -> list[dict[str, str]]:
    options = [
        {"label": "two latent dims", "value": "axes"},
        {"label": "PCA (top 2 components)", "value": "pca"},
    ]
    options += [
        {"label": f"aligned with {name}", "value": f"{ALIGNED}{name}"}
        for name in parameter_columns(dataset)
    ]
    return options


def target_basis(
    dataset: Dataset, mode: str, x: str, y: str, visible: np.ndarray | None
) -> tuple[np.ndarray, str]:
    """(basis, what it is) of a target; ValueError when it cannot be made."""
    names = list(dataset.latent_names)
    rows = visible
    count = dataset.n if rows is None else len(rows)
    of = f"{count:,} visible samples" if rows is not None else f"all {count:,} samples"
    if mode == "pca":
        return compute.pca_basis(dataset.latent, rows), f"PCA of {of}"
    if mode.startswith(ALIGNED):
        name = mode[len(ALIGNED) :]
        if name not in {c.name for c in dataset.columns}:
            raise ValueError(f"no column {name}")
        values = np.asarray(dataset.column(name), dtype=np.float64)
        basis = compute.aligned_basis(dataset.latent, values, rows)
        return basis, (
            f"x: the latent direction that best predicts {name} (ridge fit over {of}); "
            "y: the largest variance orthogonal to it"
        )
    if x not in names or y not in names:
        raise ValueError("pick two latent dims")
    if x == y:
        raise ValueError("pick two different latent dims")
    return compute.axis_basis(len(names), names.index(x), names.index(y)), f"latent dims {x}, {y}"


def basis_data(dataset: Dataset, basis: np.ndarray, describe: str) -> dict[str, Any]:
    """The `basis` store: the target the browser rotates to, with its axis titles."""
    x_title, y_title = compute.basis_label(basis, list(dataset.latent_names))
    return {
        "basis": np.asarray(basis, dtype=np.float64).round(12).tolist(),
        "titles": [x_title, y_title],
        "label": describe,
    }


def _typed(array: np.ndarray, dtype: str) -> dict[str, str]:
    """An array as plotly's typed-array spec ({dtype, bdata}), which the browser decodes."""
    data = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<"))
    return {"dtype": dtype.lstrip("<"), "bdata": base64.b64encode(data.tobytes()).decode()}


def latent_data(dataset: Dataset, rows: np.ndarray, duration: int) -> dict[str, Any]:
    """The `latent` store: the drawn samples' latent vectors (float32 bytes), sent once a draw."""
    return {
        "rows": _typed(rows.astype(np.int32), "i4"),
        "latent": _typed(dataset.latent[rows].astype(np.float32), "f4"),
        "dims": int(dataset.dims),
        "duration": int(duration),
    }


def project(dataset: Dataset, rows: np.ndarray, basis: np.ndarray) -> tuple[np.ndarray, ...]:
    """Full-length x and y (NaN for samples not drawn) of the drawn samples."""
    xs = np.full(dataset.n, np.nan, dtype=np.float32)
    ys = np.full(dataset.n, np.nan, dtype=np.float32)
    coords = dataset.latent[rows].astype(np.float64) @ np.asarray(basis, dtype=np.float64)
    xs[rows], ys[rows] = coords[:, 0], coords[:, 1]
    return xs, ys


def build_figure(
    dataset: Dataset,
    basis: dict[str, Any],
    rows: np.ndarray,
    color: str | None,
) -> go.Figure:
    if color is not None and color not in {c.name for c in dataset.columns}:
        color = None
    xs, ys = project(dataset, rows, np.asarray(basis["basis"]))
    figure = go.Figure(point_traces(dataset, xs, ys, color, rows))
    scatter_layout(figure, *basis["titles"], revision="projection")
    figure.update_layout(meta={"basis": basis["basis"]})
    return figure


def initial_target(dataset: Dataset, options: dict[str, Any]) -> tuple[str, str, str]:
    """(mode, x, y) of a new panel: the configured dims, else the first two latent dims."""
    names = list(dataset.latent_names)
    x = options.x if options.x in names else names[0]
    y = options.y if options.y in names else names[1 if x != names[1] else 0]
    return "axes", x, y


# --- layout ---------------------------------------------------------------------------------------


def layout(panel: Panel, options: ProjectionOptions, dataset: Dataset) -> html.Div:
    """Target (mode, x, y) and colour pickers, the basis in words, the graph and its stores."""
    if dataset.dims < 2:
        return html.Div("A projection needs at least two latent dims.", className="text-muted")
    mode, x, y = initial_target(dataset, options)
    meta = [c.name for c in dataset.columns if c.source == "metadata"]
    color = options.color if options.color is not None else meta[0] if meta else None
    limit = int(options.max_points)
    duration = int(options.duration)
    basis, describe = target_basis(dataset, mode, x, y, None)
    basis = basis_data(dataset, basis, describe)
    rows = drawn_rows(dataset.n, limit)
    dims = list(dataset.latent_names)
    controls = dbc.Row(
        [
            dbc.Col(
                labelled(
                    "target",
                    dcc.Dropdown(
                        mode_options(dataset),
                        mode,
                        id=ids.part(panel, "mode"),
                        clearable=False,
                        searchable=False,
                    ),
                ),
                width=4,
            ),
            dbc.Col(
                labelled("x", dcc.Dropdown(dims, x, id=ids.part(panel, "x"), clearable=False)),
                width=2,
            ),
            dbc.Col(
                labelled("y", dcc.Dropdown(dims, y, id=ids.part(panel, "y"), clearable=False)),
                width=2,
            ),
            dbc.Col(
                labelled(
                    "colour",
                    dcc.Dropdown(
                        column_options(dataset), color, id=ids.color(panel), placeholder="none"
                    ),
                ),
                width=4,
            ),
        ],
        className="g-2 view-controls",
    )
    graph = dcc.Graph(
        id=ids.graph(panel),
        figure=build_figure(dataset, basis, rows, color),
        className="view-graph",
        config={"displaylogo": False},
        clear_on_unhover=True,
    )
    return html.Div(
        [
            controls,
            html.Small(describe, id=ids.part(panel, "status"), className="projection-status"),
            graph,
            html.Small(
                drawn_note(len(rows), dataset.n, None),
                id=ids.part(panel, "note"),
                className="projection-note text-muted",
            ),
            dcc.Store(id=ids.part(panel, "latent"), data=latent_data(dataset, rows, duration)),
            dcc.Store(id=ids.part(panel, "basis"), data=basis),
            dcc.Store(id=ids.part(panel, "settings"), data={"limit": limit}),
            dcc.Store(id=ids.target(panel), data=None),
            dcc.Tooltip(id=ids.part(panel, "tooltip")),
            dcc.Store(id=ids.part(panel, "hovered")),
        ],
        className="view-body",
    )


# --- callbacks ------------------------------------------------------------------------------------


def axis_dims(shown: dict | None, names: list[str]) -> tuple[str, str] | None:
    """(x, y) dim names of an axis-aligned `basis` store value, else None."""
    if not shown or not shown.get("basis"):
        return None
    basis = np.asarray(shown["basis"], dtype=np.float64)
    if basis.shape != (len(names), 2) or not np.all(np.isin(basis, (0.0, 1.0))):
        return None
    if not np.all(basis.sum(axis=0) == 1):
        return None
    i, j = np.argmax(basis, axis=0)
    return names[int(i)], names[int(j)]


def _target_from(value: Any, dataset: Dataset) -> tuple[str, str | None, str | None] | None:
    """(mode, x, y) of a `target` store value, or None when it does not fit this dataset."""
    if not isinstance(value, dict):
        return None
    names = list(dataset.latent_names)
    if value.get("x") in names and value.get("y") in names and value["x"] != value["y"]:
        return "axes", value["x"], value["y"]
    mode = value.get("mode")
    if mode == "pca" or (isinstance(mode, str) and mode.startswith(ALIGNED)):
        return mode, None, None
    return None


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Target -> basis (server, tiny); rotate (browser); redraw on colour/filter; link; hover."""
    register_linking(app, ids.graph(ALL))
    follow_color(app, menu, ids.color(MATCH), KIND)

    @app.callback(
        Output(ids.target(MATCH), "data"),
        Input(PROJECTION_REQUEST, DATA),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def follow_target(value: dict | None, config_key: str):
        """A "project onto" request to this panel's model (correlation, view graph)."""
        if not addressed_to(value, Page(menu, config_key), KIND):
            raise PreventUpdate
        return value.get("target")

    @app.callback(
        Output(ids.part(MATCH, "mode"), "value"),
        Output(ids.part(MATCH, "x"), "value"),
        Output(ids.part(MATCH, "y"), "value"),
        Output(ids.part(MATCH, "basis"), "data"),
        Output(ids.part(MATCH, "status"), "children"),
        Input(ids.part(MATCH, "mode"), "value"),
        Input(ids.part(MATCH, "x"), "value"),
        Input(ids.part(MATCH, "y"), "value"),
        Input(ids.target(MATCH), "data"),
        State(ids.part(MATCH, "basis"), "data"),
        State(FILTER, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def choose(mode, x, y, target, shown, filtered, config_key, derived):
        """A new target from the pickers or another view: send only its basis."""
        page = Page(menu, config_key, derived)
        dataset = page.dataset
        part = (ctx.triggered_id or {}).get("part")
        out_mode = out_x = out_y = no_update
        if part == "target":
            picked = _target_from(target, dataset)
            if picked is None:
                raise PreventUpdate
            mode, tx, ty = picked
            out_mode = mode
            if tx is not None:
                x, y, out_x, out_y = tx, ty, tx, ty
        elif part in ("x", "y"):
            if mode != "axes":
                mode = out_mode = "axes"
            before = axis_dims(shown, list(dataset.latent_names))
            if x == y and before is not None:  # picking the other axis's dim swaps the two
                if part == "x":
                    y = out_y = before[0]
                else:
                    x = out_x = before[1]
        try:
            basis, describe = target_basis(dataset, mode, x, y, page.visible(filtered))
        except ValueError as error:
            return out_mode, out_x, out_y, no_update, html.Span(str(error), className="text-danger")
        return out_mode, out_x, out_y, basis_data(dataset, basis, describe), describe

    @app.callback(
        Output(ids.graph(MATCH), "figure"),
        Output(ids.part(MATCH, "latent"), "data"),
        Output(ids.part(MATCH, "basis"), "data", allow_duplicate=True),
        Output(ids.part(MATCH, "note"), "children"),
        Output(ids.part(MATCH, "status"), "children", allow_duplicate=True),
        Input(ids.color(MATCH), "value"),
        Input(FILTER, DATA),
        State(ids.part(MATCH, "mode"), "value"),
        State(ids.part(MATCH, "x"), "value"),
        State(ids.part(MATCH, "y"), "value"),
        State(ids.part(MATCH, "basis"), "data"),
        State(ids.part(MATCH, "latent"), "data"),
        State(ids.part(MATCH, "settings"), "data"),
        State(SELECTION, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def redraw(
        color, filtered, mode, x, y, shown, latent, settings, selection, config_key, derived
    ):
        """A colour or filter change: new points (and their latent vectors) at the target."""
        page = Page(menu, config_key, derived)
        dataset = page.dataset
        visible = page.visible(filtered)
        basis, status = shown, no_update
        try:
            if mode != "axes":  # PCA and aligned bases depend on which samples are visible
                basis = basis_data(dataset, *target_basis(dataset, mode, x, y, visible))
                status = basis["label"]
        except ValueError as error:
            status = html.Span(str(error), className="text-danger")
        limit = int((settings or {}).get("limit", MAX_POINTS))
        rows = drawn_rows(dataset.n, limit, visible)
        figure = build_figure(dataset, basis, rows, color)
        duration = int((latent or {}).get("duration", DURATION_MS))
        return (
            figure,
            latent_data(dataset, rows, duration),
            basis if basis is not shown else no_update,
            drawn_note(len(rows), dataset.n, visible),
            status,
        )

    app.clientside_callback(
        ClientsideFunction("latent_dash", "animateProjection"),
        Output(ids.graph(MATCH), "figure", allow_duplicate=True),
        Input(ids.part(MATCH, "basis"), "data"),
        State(ids.graph(MATCH), "figure"),
        State(ids.part(MATCH, "latent"), "data"),
        State(FOCUS, DATA),
        prevent_initial_call=True,
    )

    def hover_columns(dataset: Dataset, color: str | None, basis: dict | None) -> list:
        """The dims that load most on each axis of the current basis, and the colour."""
        if not basis or not basis.get("basis"):
            return [color]
        loadings = np.abs(np.asarray(basis["basis"]))
        return [*(dataset.latent_names[int(d)] for d in np.argmax(loadings, axis=0)), color]

    register_hover(
        app,
        menu,
        ids.graph(MATCH),
        ids.part(MATCH, "hovered"),
        ids.part(MATCH, "tooltip"),
        [State(ids.color(MATCH), "value"), State(ids.part(MATCH, "basis"), "data")],
        hover_columns,
    )


class Projection(View):
    kind = KIND
    label = "Dynamic projection"
    aliases = ("DynamicProjection",)
    Options = ProjectionOptions
    linked = (("color", ids.color(ALL), "value"),)
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)
