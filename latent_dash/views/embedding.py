"""Embedding view (NDDAV's "DimReduction"): the latent vectors in 2-D, linked like a scatter.

A method (PCA, t-SNE, UMAP, Isomap, MDS; compute.embedding) with its parameters (only the
relevant controls are shown) runs on all samples or on the current selection; the coordinates
become computed columns of the page (`derived` store: "umap_1", "umap_2"; a run on a selection
gives "umap_sel_1", ...), so any scatter, splom or parcoords can plot them, and the panel draws
them with the scatter view's traces: box/lasso selection, highlight, click-focus and hover cards
work as in a scatter. Samples outside an embedded selection have no coordinates (not drawn).

How a Run goes:
1. `request` (a normal callback) checks the results cache first: a stored result, or PCA
   (instant), is shown at once, without any worker process.
2. Otherwise it writes a job (latent_dash.jobs.new_job) into the panel's `request` store, and
   the background run every computing kind shares takes over (views/background_runs.py: a
   supervised child process with progress by `set_props`, Cancel by token, a watch that says
   within seconds when a worker was killed or none took the job).

Why this shape (dash 4.4, checked in tests/browser/test_embedding.py): `progress=` and
`cancel=` refuse pattern-matching ids (WildcardInLongCallback); MATCH works in a background
callback's inputs, outputs and `running` outputs, and `set_props` reaches the panel's own
concrete ids from the worker. The background callback outputs only the `outcome` store: the
page's dcc.Loading targets the workspace's children alone, so a pending run blanks nothing.

Over a PCA of all samples, the latent points a samples panel drew (named by their result cache
key in the page's `samples-overlay` store) are shown as open diamonds, projected onto the
plane: a trace without sample indices, so never selected, focused or hover-carded; each new
draw replaces them (a clientside patch).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
import plotly.graph_objects as go
from dash import (
    ALL,
    MATCH,
    Dash,
    Input,
    Output,
    Patch,
    State,
    ctx,
    dcc,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate
from pydantic import Field

from latent_dash import background, jobs, selection_store
from latent_dash.compute import cache as result_cache
from latent_dash.compute import embedding as compute
from latent_dash.compute import sampling
from latent_dash.data import Dataset
from latent_dash.decoding import decode, has_decoder
from latent_dash.imaging import channel_choices
from latent_dash.kinds import View, ViewOptions, column_option
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    DERIVED,
    FILTER,
    SAMPLES_OVERLAY,
    SELECTION,
    Page,
    Panel,
    PanelIds,
    panel_of,
)
from latent_dash.views.background_runs import WATCH_MS, register_background_run
from latent_dash.views.common import column_options, labelled
from latent_dash.views.image_uris import decoded_uris
from latent_dash.views.linking import register_hover, register_linking
from latent_dash.views.points import point_traces, scatter_layout
from latent_dash.views.requests import follow_color

KIND = "embedding"


class EmbeddingOptions(ViewOptions):
    """A 2-D embedding of the latent vectors (PCA, t-SNE, UMAP, Isomap, MDS), linked views."""

    type: Literal["embedding"] = "embedding"

    method: Literal["pca", "tsne", "umap", "isomap", "mds"] = Field(
        "pca",
        description="Method shown when the panel opens; PCA is computed at once, the others only"
        " if already cached (`latent-dash precompute CONFIG`), else on Run.",
    )
    n_neighbors: int = Field(15, ge=2, le=200, description="UMAP and Isomap neighbours.")
    perplexity: float = Field(30.0, gt=0, le=500, description="t-SNE perplexity.")
    min_dist: float = Field(0.1, ge=0, le=1, description="UMAP minimum distance.")
    metric: Literal["euclidean", "cosine"] = Field(
        "euclidean", description="Distance between latent vectors (t-SNE, UMAP, Isomap, MDS)."
    )
    seed: int = Field(0, ge=0, description="Random seed (t-SNE, UMAP).")
    on: Literal["all", "selection"] = Field(
        "all", description="Embed all samples, or only the current selection (on Run)."
    )
    color: str | None = column_option(
        "Column that colours the points (default: the first metadata column, if any)."
    )


PARAMS = ("n_neighbors", "perplexity", "min_dist", "metric", "seed")
HIDDEN = {"display": "none"}
log = logging.getLogger(__name__)


GRID_STEPS = 40  # invisible click targets per axis over the PCA plane
DECODED_SIZE = 128
OVERLAY_MAX = 48  # drawn samples shown at most (a samples panel draws up to 48)


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every embedding panel."""

    kind = KIND

    @classmethod
    def box(cls, view, param: str) -> dict:
        """The labelled control of one parameter, hidden for methods that do not use it."""
        return cls.part(view, f"box-{param}")


# --- pure helpers (tested without a browser) -----------------------------------------------------


def column_names(dataset: Dataset, method: str, subset: bool) -> list[str]:
    """Names of the two computed columns: "umap_1", "umap_2" ("umap_sel_1" for a selection)."""
    stem = f"{method}_sel" if subset else method
    taken = {c.name for c in dataset.columns if c.source != "derived"}
    names = [f"{stem}_{i}" for i in (1, 2)]
    return [f"{name}_emb" if name in taken else name for name in names]


def result_of(
    dataset: Dataset,
    method: str,
    params: dict[str, Any],
    key: str,
    rows: np.ndarray | None,
    seconds: float | None,
) -> dict[str, Any]:
    """The panel's `result` store: what was embedded, and where the coordinates are."""
    return {
        "key": key,
        "method": method,
        "params": compute.method_params(method, params),
        "label": compute.describe(method, params),
        "count": dataset.n if rows is None else len(rows),
        "subset": rows is not None,
        "columns": column_names(dataset, method, rows is not None),
        "seconds": seconds,
    }


def _failure(text: str) -> html.Span:
    return html.Span(text, className="text-danger")


def status_text(result: dict[str, Any] | None) -> str:
    if not result:
        return ""
    what = f"{result['label']} of {result['count']:,} samples"
    took = result.get("seconds")
    when = "from the cache" if took is None else f"{took:.1f} s"
    return f"{what} ({when}) → columns {', '.join(result['columns'])}"


def build_figure(
    dataset: Dataset,
    coords: np.ndarray | None,
    columns: list[str] | None,
    color: str | None,
    visible: np.ndarray | None = None,
    revision: str = "",
    note: str | None = None,
) -> go.Figure:
    """The scatter of the embedding; samples without coordinates (outside a subset) not drawn."""
    if color is not None and color not in {c.name for c in dataset.columns}:
        color = None
    if coords is None:
        xs = ys = np.full(dataset.n, np.nan, dtype=np.float32)
        rows = np.zeros(0, dtype=np.int64)
    else:
        xs = np.ascontiguousarray(coords[:, 0], dtype=np.float32)
        ys = np.ascontiguousarray(coords[:, 1], dtype=np.float32)
        rows = np.flatnonzero(np.isfinite(xs) & np.isfinite(ys))
        if visible is not None:
            rows = np.intersect1d(rows, visible)
    figure = go.Figure(point_traces(dataset, xs, ys, color, rows))
    x_title, y_title = columns or ("", "")
    scatter_layout(figure, x_title, y_title, revision)
    if note:
        figure.add_annotation(
            text=note, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
            font={"color": "#6c757d", "size": 13},
        )  # fmt: skip
        figure.update_xaxes(showticklabels=False)
        figure.update_yaxes(showticklabels=False)
    return figure


def initial_result(
    dataset: Dataset, options: EmbeddingOptions
) -> tuple[dict | None, str | None, Any]:
    """(result, note on the empty graph, status) of the configured embedding at layout time.

    PCA is computed (instant); other methods are shown only when already cached.
    """
    method = options.method
    params = {p: getattr(options, p) for p in PARAMS}
    if options.on != "all":
        return None, "Select samples, then Run to embed them", ""
    label = compute.METHODS[method].label
    try:
        compute.check_size(method, dataset.n)
        if method == "pca":
            start = time.perf_counter()
            key, _ = compute.embed(dataset.latent, method, params)
            took = time.perf_counter() - start
            result = result_of(dataset, method, params, key, None, took)
            return result, None, status_text(result)
        key, hit = compute.lookup(dataset.latent, method, params)
    except ValueError as error:
        return None, f"{label} cannot run on all samples (see below)", _failure(str(error))
    if hit is None:
        return None, f"Press Run to compute {label}", ""
    result = result_of(dataset, method, params, key, None, None)
    return result, None, status_text(result)


def figure_of(
    dataset: Dataset,
    result: dict | None,
    color: str | None,
    visible: np.ndarray | None = None,
    note: str | None = None,
    overlay: dict | None = None,
) -> go.Figure:
    """The embedding's figure; over a PCA of all samples, the click grid (with a decoder) and
    the drawn samples' trace (`overlay`: {x, y, text} on the plane, or None), always last."""
    coords = result_cache.load(result["key"]) if result else None
    if result and coords is None:
        note = "The result left the cache: press Run to compute it again"
    if coords is not None and coords.shape != (dataset.n, 2):
        coords, note = None, "The result does not fit this dataset: press Run"
    columns = result["columns"] if result and coords is not None else None
    revision = result["key"] if result and coords is not None else "empty"
    figure = build_figure(dataset, coords, columns, color, visible, revision, note)
    if coords is not None and decodable(dataset, result):
        figure.add_trace(click_grid(coords))
    if coords is not None and on_pca_plane(result):
        figure.add_trace(overlay_trace(overlay))
    return figure


def on_pca_plane(result: dict | None) -> bool:
    """Any latent point has a place in this embedding: a PCA of all samples."""
    return bool(result) and result["method"] == "pca" and not result["subset"]


def overlay_points(
    dataset: Dataset, result: dict | None, overlay: Any, model: int, model_key: str | None
) -> dict | None:
    """The drawn samples of the page's `samples-overlay` on this panel's PCA plane: {x, y,
    text}, or None (another model's or config's points, no PCA of all samples, a bad value)."""
    if not isinstance(overlay, dict) or not on_pca_plane(result):
        return None
    key = overlay.get("key")
    if overlay.get("model") != model or overlay.get("config") != model_key:
        return None
    drawn = sampling.load_samples(key, dataset.dims) if isinstance(key, str) else None
    if drawn is None:  # left the cache, or a key of something else
        return None
    points = drawn.points[:OVERLAY_MAX]
    mean, axes = compute.pca_plane(dataset.latent)
    xy = (points - mean) @ axes.T  # the inverse of mean + [a, b] @ axes, as the plane is drawn
    return {
        "x": xy[:, 0].tolist(),
        "y": xy[:, 1].tolist(),
        "text": [f"drawn sample {i + 1} (not data)" for i in range(len(xy))],
    }


def overlay_trace(overlay: dict | None) -> go.Scatter:
    """Drawn samples as open diamonds above the points; no customdata: not samples."""
    overlay = overlay or {}
    opaque = {"marker": {"opacity": 1}}  # plotly's own selection never dims them
    return go.Scatter(
        x=overlay.get("x") or [], y=overlay.get("y") or [], text=overlay.get("text") or [],
        mode="markers", meta="samples", name="drawn samples", showlegend=bool(overlay),
        hovertemplate="%{text}<extra></extra>", selected=opaque, unselected=opaque,
        marker={"symbol": "diamond-open", "size": 11, "color": "#d62728", "line": {"width": 2}},
    )  # fmt: skip


# the drawn samples' trace of a figure (found by its meta) takes the panel's overlay points
PATCH_OVERLAY = """
function (overlay, figure) {
    const data = (figure && figure.data) || [];
    const at = data.findIndex((trace) => trace.meta === "samples");
    if (at < 0) { return dash_clientside.no_update; }
    const points = overlay || {x: [], y: [], text: []};
    const patch = new dash_clientside.Patch();
    patch.assign(["data", at, "x"], points.x);
    patch.assign(["data", at, "y"], points.y);
    patch.assign(["data", at, "text"], points.text);
    patch.assign(["data", at, "showlegend"], !!overlay);
    return patch.build();
}
"""


def decodable(dataset: Dataset, result: dict | None) -> bool:
    """Any point of this embedding can be decoded: a PCA of all samples, and a decoder."""
    return (
        bool(result) and result["method"] == "pca" and not result["subset"] and has_decoder(dataset)
    )


def click_grid(coords: np.ndarray, steps: int = GRID_STEPS) -> go.Scattergl:
    """Invisible points over the whole plane, so a click anywhere reports where it landed."""
    lo, hi = np.nanmin(coords, axis=0), np.nanmax(coords, axis=0)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps))
    invisible = {"marker": {"opacity": 0}}
    return go.Scattergl(
        x=gx.ravel().astype(np.float32), y=gy.ravel().astype(np.float32), mode="markers",
        meta="grid", showlegend=False, hoverinfo="none", marker={"size": 14, "opacity": 0},
        selected=invisible, unselected=invisible,
    )  # fmt: skip


def decoded_point(dataset: Dataset, config_key: str, x: float, y: float) -> html.Div:
    """The image the decoder makes of the latent point behind (x, y) of the PCA plane."""
    mean, axes = compute.pca_plane(dataset.latent)
    latent = mean + np.array([x, y]) @ axes
    image = decode(dataset, latent[None, :].astype(np.float32))
    [uri] = decoded_uris(dataset, image, channel_choices(dataset)[0], "gray", DECODED_SIZE)
    return html.Div(
        [
            html.Img(src=uri, className="embedding-decoded-image", alt="decoded point"),
            html.Small(f"decoded from the PCA plane at ({x:.3g}, {y:.3g})"),
        ],
        className="embedding-decoded-card",
    )


# --- layout --------------------------------------------------------------------------------------


def _param_controls(panel: Panel, options: EmbeddingOptions, method: str) -> dbc.Row:
    uses = compute.METHODS[method].params
    value = {p: getattr(options, p) for p in PARAMS}
    controls = {
        "n_neighbors": dbc.Input(
            type="number", min=2, max=200, step=1, value=value["n_neighbors"], size="sm"
        ),
        "perplexity": dbc.Input(
            type="number", min=1, max=500, step="any", value=value["perplexity"], size="sm"
        ),
        "min_dist": dbc.Input(
            type="number", min=0, max=1, step=0.05, value=value["min_dist"], size="sm"
        ),
        "metric": dcc.Dropdown(
            list(compute.METRICS), value["metric"], clearable=False, searchable=False
        ),
        "seed": dbc.Input(type="number", min=0, step=1, value=value["seed"], size="sm"),
    }
    labels = {"n_neighbors": "neighbours", "min_dist": "min dist"}
    cols = []
    for name, control in controls.items():
        control.id = ids.part(panel, name)
        cols.append(
            dbc.Col(
                labelled(labels.get(name, name), control),
                id=ids.box(panel, name),
                style=None if name in uses else HIDDEN,
                width=3 if name == "metric" else 2,
            )
        )
    return dbc.Row(cols, className="g-2 view-controls embedding-params")


def layout(panel: Panel, options: EmbeddingOptions, dataset: Dataset) -> html.Div:
    """Method, 'on', colour; the method's parameters; Run / Cancel / progress; the graph."""
    method = options.method
    meta = [c.name for c in dataset.columns if c.source == "metadata"]
    color = options.color if options.color is not None else meta[0] if meta else None
    result, note, status = initial_result(dataset, options)
    methods = [{"label": m.label, "value": name} for name, m in compute.METHODS.items()]
    top = dbc.Row(
        [
            dbc.Col(
                labelled(
                    "method",
                    dcc.Dropdown(
                        methods,
                        method,
                        id=ids.part(panel, "method"),
                        clearable=False,
                        searchable=False,
                    ),
                ),
                width=3,
            ),
            dbc.Col(
                labelled(
                    "on",
                    dbc.RadioItems(
                        options=[
                            {"label": "all samples", "value": "all"},
                            {"label": "current selection", "value": "selection"},
                        ],
                        value=options.on,
                        id=ids.part(panel, "on"),
                        inline=True,
                        className="embedding-on",
                    ),
                ),
                width=5,
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
    actions = html.Div(
        [
            dbc.Button("Run", id=ids.part(panel, "run"), size="sm", color="primary"),
            dbc.Button(
                "Cancel",
                id=ids.part(panel, "cancel"),
                size="sm",
                color="secondary",
                outline=True,
                className="embedding-cancel d-none",
            ),
            html.Div(id=ids.part(panel, "progress"), className="embedding-progress d-none"),
            html.Small(status, id=ids.part(panel, "status"), className="embedding-status"),
            dcc.Interval(id=ids.part(panel, "watch"), interval=WATCH_MS, disabled=True),
        ],
        className="embedding-actions",
    )
    decoded = None
    if has_decoder(dataset):
        decoded = html.Div(
            "With PCA of all samples, click anywhere on the plane to decode that point.",
            id=ids.part(panel, "decoded"), className="embedding-decoded text-muted small",
        )  # fmt: skip
    graph = dcc.Graph(
        id=ids.graph(panel),
        figure=figure_of(dataset, result, color, note=note),
        className="view-graph",
        config={"displaylogo": False},
        clear_on_unhover=True,
    )
    return html.Div(
        [
            top,
            _param_controls(panel, options, method),
            actions,
            graph,
            decoded,
            dcc.Store(id=ids.part(panel, "result"), data=result),
            dcc.Store(id=ids.part(panel, "request"), data=None),
            dcc.Store(id=ids.part(panel, "token"), data=None),
            dcc.Store(id=ids.part(panel, "outcome"), data=None),
            dcc.Tooltip(id=ids.part(panel, "tooltip")),
            dcc.Store(id=ids.part(panel, "hovered")),
            dcc.Store(id=ids.part(panel, "overlay"), data=None),
        ],
        className="view-body",
    )


# --- the work of a background run ------------------------------------------------------------


def embedding_work(menu: dict[str, Path]):
    """What a background run computes for a job (latent_dash.jobs runs it in a child)."""

    def work_of(job: dict[str, Any]) -> jobs.Work:
        def work(progress: jobs.Progress) -> dict[str, Any]:
            dataset = Page(menu, job["config"], model=job.get("model", 0)).dataset
            rows = _selected_rows(dataset, job["on"], job["selection"])
            method, params = job["method"], job["params"]
            start = time.perf_counter()
            key, _ = compute.embed(dataset.latent, method, params, rows, progress)
            seconds = time.perf_counter() - start
            return {"result": result_of(dataset, method, params, key, rows, seconds)}

        return work

    return work_of


def _selected_rows(dataset: Dataset, on: str, selection_key: str | None) -> np.ndarray | None:
    if on != "selection":
        return None
    mask = selection_store.get(selection_key, dataset.n)
    if mask is None or not mask.any():
        raise ValueError("Nothing is selected: select samples first, or choose all samples")
    return np.flatnonzero(mask)


# --- callbacks -----------------------------------------------------------------------------------

SHOW_PARAMS = """
function (method) {
    const uses = %s;
    const names = %s;
    return names.map((name) => ((uses[method] || []).includes(name) ? null : {display: "none"}));
}
"""


def progress_children(text: str, fraction: float | None) -> list:
    """The stage and a bar (striped and moving while the fraction is unknown)."""
    value = 100 if fraction is None else max(2, round(100 * fraction))
    return [
        html.Small(text, className="embedding-stage"),
        dbc.Progress(
            value=value,
            striped=fraction is None,
            animated=fraction is None,
            className="embedding-bar",
        ),
    ]


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Params shown per method; Run (cache check, then background job); draw; publish; link."""
    app.clientside_callback(
        SHOW_PARAMS
        % (
            json.dumps({name: list(m.params) for name, m in compute.METHODS.items()}),
            json.dumps(list(PARAMS)),
        ),
        [Output(ids.box(MATCH, name), "style") for name in PARAMS],
        Input(ids.part(MATCH, "method"), "value"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.part(MATCH, "result"), "data"),
        Output(ids.part(MATCH, "request"), "data"),
        Output(ids.part(MATCH, "token"), "data"),
        Output(ids.part(MATCH, "status"), "children"),
        Output(ids.part(MATCH, "progress"), "children"),
        Output(ids.part(MATCH, "watch"), "disabled"),
        Input(ids.part(MATCH, "run"), "n_clicks"),
        State(ids.part(MATCH, "method"), "value"),
        *(State(ids.part(MATCH, p), "value") for p in PARAMS),
        State(ids.part(MATCH, "on"), "value"),
        State(SELECTION, DATA),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def request(clicks, method: str, *rest):
        """A cached result (or PCA) at once; anything else goes to the background job."""
        *values, on, selection, config_key = rest
        if not clicks:
            raise PreventUpdate
        page = Page(menu, config_key)
        dataset = page.dataset
        params = {p: v for p, v in zip(PARAMS, values, strict=True) if v not in (None, "")}
        selection_key = (selection or {}).get("key")
        try:
            rows = _selected_rows(dataset, on, selection_key)
            compute.check_size(method, dataset.n if rows is None else len(rows))
            key, hit = compute.lookup(dataset.latent, method, params, rows)
            seconds = None
            if hit is None and method == "pca":
                start = time.perf_counter()
                key, _ = compute.embed(dataset.latent, method, params, rows)
                seconds = time.perf_counter() - start
        except ValueError as error:
            return no_update, no_update, no_update, _failure(str(error)), no_update, no_update
        if hit is not None or method == "pca":
            result = result_of(dataset, method, params, key, rows, seconds)
            return result, no_update, no_update, status_text(result), no_update, no_update
        problem = background.worker_problem()
        if problem:
            return no_update, no_update, no_update, _failure(problem), no_update, no_update
        job = jobs.new_job(
            method=method,
            params=params,
            on=on,
            selection=selection_key,
            config=config_key,
            model=page.model,
        )
        label = compute.METHODS[method].label
        starting = progress_children(f"{label}: starting", None)
        return no_update, job, job["token"], "", starting, False

    register_background_run(
        app,
        ids,
        work=embedding_work(menu),
        label=lambda job: compute.METHODS[job["method"]].label,
        status_of=status_text,
        running=[
            ("run", "disabled", True, False),
            ("cancel", "className", "embedding-cancel", "embedding-cancel d-none"),
            ("progress", "className", "embedding-progress", "embedding-progress d-none"),
        ],
        progress=progress_children,
    )

    @app.callback(
        Output(ids.part(MATCH, "decoded"), "children"),
        Input(ids.graph(MATCH), "clickData"),
        State(ids.part(MATCH, "result"), "data"),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def decode_click(click: dict | None, result: dict | None, config_key: str):
        """A click on the PCA plane (a sample or empty space) decodes the point under it."""
        page = Page(menu, config_key)
        dataset = page.dataset
        points = (click or {}).get("points") or []
        if not points or not decodable(dataset, result):
            raise PreventUpdate
        return decoded_point(dataset, config_key, float(points[0]["x"]), float(points[0]["y"]))

    @app.callback(
        Output(ids.graph(MATCH), "figure"),
        Input(ids.part(MATCH, "result"), "data"),
        Input(ids.color(MATCH), "value"),
        Input(FILTER, DATA),
        State(ids.part(MATCH, "method"), "value"),
        State(SELECTION, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        State(SAMPLES_OVERLAY, DATA),
        prevent_initial_call=True,
    )
    def draw(result: dict | None, color: str | None, filtered, method: str, selection, *rest):
        config_key, derived, drawn = rest
        page = Page(menu, config_key, derived)
        dataset = page.dataset
        visible = page.visible(filtered)
        label = compute.METHODS[method].label if method in compute.METHODS else "the embedding"
        note = None if result else f"Press Run to compute {label}"
        overlay = overlay_points(dataset, result, drawn, page.model, page.model_key)
        return figure_of(dataset, result, color, visible, note, overlay)

    @app.callback(
        Output(ids.part(MATCH, "overlay"), "data"),
        Input(SAMPLES_OVERLAY, DATA),
        State(ids.part(MATCH, "result"), "data"),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def place_samples(drawn, result: dict | None, config_key: str):
        """A samples panel drew new points: their place on this panel's PCA plane."""
        page = Page(menu, config_key)
        return overlay_points(page.dataset, result, drawn, page.model, page.model_key)

    app.clientside_callback(
        PATCH_OVERLAY,
        Output(ids.graph(MATCH), "figure", allow_duplicate=True),
        Input(ids.part(MATCH, "overlay"), "data"),
        State(ids.graph(MATCH), "figure"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(DERIVED, DATA, allow_duplicate=True),
        Input(ids.part(ALL, "result"), "data"),
        prevent_initial_call="initial_duplicate",
    )
    def publish(results: list):
        """Every panel's coordinates become columns of its model (also those built at
        layout): two models' PCA panels both make `pca_1`, each in its own model's columns."""
        patch = Patch()
        published = False
        for item, result in zip(ctx.inputs_list[0], results or [], strict=True):
            if result:
                model = str(panel_of(item["id"]).model)
                for j, name in enumerate(result["columns"]):
                    patch[model][name] = {"key": result["key"], "index": j}
                published = True
        if not published:
            raise PreventUpdate
        return patch

    register_linking(app, ids.graph(ALL))
    follow_color(app, menu, ids.color(MATCH), KIND)

    register_hover(
        app,
        menu,
        ids.graph(MATCH),
        ids.part(MATCH, "hovered"),
        ids.part(MATCH, "tooltip"),
        [State(ids.part(MATCH, "result"), "data"), State(ids.color(MATCH), "value")],
        lambda dataset, result, color: [*((result or {}).get("columns") or []), color],
    )


def warm_up() -> None:
    """Called by create_app: compile UMAP's code once per machine in a separate process."""
    compute.start_warm_up()


class Embedding(View):
    kind = KIND
    label = "Embedding"
    aliases = ("DimReduction", "Dimension Reduction")
    Options = EmbeddingOptions
    linked = (("method", ids.part(ALL, "method"), "value"), ("color", ids.color(ALL), "value"))
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)
