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
2. Otherwise it hands the job to `run_job`, a background callback (the app's DiskcacheManager
   forks a worker process). The `running` outputs disable Run and show Cancel and the progress
   line meanwhile; the worker reports its stage and progress with `set_props`.
3. The worker returns the outcome (result or error) into the panel's `outcome` store;
   `finish` turns it into the result (drawn, published) and the status line.

Why this shape (dash 4.4, checked in tests/browser/test_embedding.py):
- `progress=` and `cancel=` refuse pattern-matching ids (WildcardInLongCallback); MATCH works
  in a background callback's inputs, outputs and `running` outputs, and `set_props` reaches
  the panel's own concrete ids from the worker. So progress goes through `set_props`.
- `run_job` outputs only the `outcome` store: the page's dcc.Loading targets the workspace's
  children alone, so a pending run blanks nothing. Without an output, Dash answers a
  cancelled job with an error (500) and calls the callback whenever its panel appears.
- Cancel is a normal callback: it marks the request's token in a disk cache shared by every
  worker (`jobs`); the supervising worker, on this machine or a Celery worker elsewhere, sees
  the mark within 0.2 s and kills its computing process, and the job ends "Cancelled."
  (`running` outputs reset). Each panel cancels only its own job.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import time
import uuid
from pathlib import Path
from typing import Any

import dash_bootstrap_components as dbc
import numpy as np
import plotly.graph_objects as go
import psutil
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
    set_props,
)
from dash.exceptions import PreventUpdate

from latent_dash import selection_store
from latent_dash.compute import cache as result_cache
from latent_dash.compute import embedding as compute
from latent_dash.data import Dataset
from latent_dash.decoding import decode, has_decoder
from latent_dash.imaging import channel_choices
from latent_dash.storage import disk_cache
from latent_dash.views.common import (
    PanelIds,
    column_options,
    dataset_for,
    labelled,
    visible_rows,
)
from latent_dash.views.scatter import (
    point_traces,
    register_hover,
    register_linking,
    scatter_layout,
)
from latent_dash.views.traversal import decoded_uris

KIND = "embedding"
POLL_MS = 400  # how often the browser asks a running job for progress
PROGRESS_EVERY = 0.3  # seconds between progress reports of a job
PARAMS = ("n_neighbors", "perplexity", "min_dist", "metric", "seed")
HIDDEN = {"display": "none"}
CANCELLED = "cancelled"
RUNNING = "running"
log = logging.getLogger(__name__)


GRID_STEPS = 40  # invisible click targets per axis over the PCA plane
DECODED_SIZE = 128


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every embedding panel."""

    kind = KIND

    @staticmethod
    def box(view: Any, param: str) -> dict[str, Any]:
        """The labelled control of one parameter, hidden for methods that do not use it."""
        return {"kind": KIND, "part": f"box-{param}", "view": view}


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
    dataset: Dataset, options: dict[str, Any]
) -> tuple[dict | None, str | None, Any]:
    """(result, note on the empty graph, status) of the configured embedding at layout time.

    PCA is computed (instant); other methods are shown only when already cached.
    """
    method = options.get("method", "pca")
    params = {p: options[p] for p in PARAMS if p in options}
    if options.get("on", "all") != "all":
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
) -> go.Figure:
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
    return figure


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


def _param_controls(view_id: str, options: dict[str, Any], method: str) -> dbc.Row:
    uses = compute.METHODS[method].params
    value = {p: options.get(p, compute.DEFAULTS[p]) for p in PARAMS}
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
        control.id = ids.part(view_id, name)
        cols.append(
            dbc.Col(
                labelled(labels.get(name, name), control),
                id=ids.box(view_id, name),
                style=None if name in uses else HIDDEN,
                width=3 if name == "metric" else 2,
            )
        )
    return dbc.Row(cols, className="g-2 view-controls embedding-params")


def layout(view_id: str, options: dict[str, Any], dataset: Dataset) -> html.Div:
    """Method, 'on', colour; the method's parameters; Run / Cancel / progress; the graph."""
    method = options.get("method", "pca")
    meta = [c.name for c in dataset.columns if c.source == "metadata"]
    color = options.get("color", meta[0] if meta else None)
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
                        id=ids.part(view_id, "method"),
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
                        value=options.get("on", "all"),
                        id=ids.part(view_id, "on"),
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
                        column_options(dataset), color, id=ids.color(view_id), placeholder="none"
                    ),
                ),
                width=4,
            ),
        ],
        className="g-2 view-controls",
    )
    actions = html.Div(
        [
            dbc.Button("Run", id=ids.part(view_id, "run"), size="sm", color="primary"),
            dbc.Button(
                "Cancel",
                id=ids.part(view_id, "cancel"),
                size="sm",
                color="secondary",
                outline=True,
                className="embedding-cancel d-none",
            ),
            html.Div(id=ids.part(view_id, "progress"), className="embedding-progress d-none"),
            html.Small(status, id=ids.part(view_id, "status"), className="embedding-status"),
        ],
        className="embedding-actions",
    )
    decoded = None
    if has_decoder(dataset):
        decoded = html.Div(
            "With PCA of all samples, click anywhere on the plane to decode that point.",
            id=ids.part(view_id, "decoded"), className="embedding-decoded text-muted small",
        )  # fmt: skip
    graph = dcc.Graph(
        id=ids.graph(view_id),
        figure=figure_of(dataset, result, color, note=note),
        className="view-graph",
        config={"displaylogo": False},
        clear_on_unhover=True,
    )
    return html.Div(
        [
            top,
            _param_controls(view_id, options, method),
            actions,
            graph,
            decoded,
            dcc.Store(id=ids.part(view_id, "result"), data=result),
            dcc.Store(id=ids.part(view_id, "request"), data=None),
            dcc.Store(id=ids.part(view_id, "token"), data=None),
            dcc.Store(id=ids.part(view_id, "outcome"), data=None),
            dcc.Tooltip(id=ids.part(view_id, "tooltip")),
            dcc.Store(id=ids.part(view_id, "hovered")),
        ],
        className="view-body",
    )


# --- running jobs: a supervised computing process per Run ----------------------------------------


class jobs:
    """Running embeddings by request token, so Cancel can end them from anywhere.

    Kept in a disk cache shared by every web and background worker (the cache folder). Cancel
    only marks the token; the supervising process, wherever it runs (a process forked by this
    server, or a Celery worker on another machine), sees the mark at its next poll and kills its
    own computing process. No process id crosses machines.
    """

    @staticmethod
    def _store():
        return disk_cache("embedding-jobs")

    @classmethod
    def register(cls, token: str) -> bool:
        """Mark `token` as computing; False if Cancel came first."""
        store = cls._store()
        with store.transact():
            if store.get(token) == CANCELLED:
                return False
            store.set(token, RUNNING, expire=24 * 3600)
        return True

    @classmethod
    def running(cls, token: str) -> bool:
        """Registered and not cancelled."""
        return cls._store().get(token) == RUNNING

    @classmethod
    def forget(cls, token: str) -> None:
        cls._store().delete(token)

    @classmethod
    def cancel(cls, token: str) -> bool:
        """Ask the job `token` to stop; False when it was already cancelled.

        A token not registered yet is marked too: its supervisor stops as soon as it starts."""
        store = cls._store()
        with store.transact():
            if store.get(token) == CANCELLED:
                return False
            store.set(token, CANCELLED, expire=3600)
        return True


def _kill(process: multiprocessing.process.BaseProcess) -> None:
    """The computing process and any process it started (numba or BLAS helpers)."""
    with contextlib.suppress(psutil.NoSuchProcess):
        for child in psutil.Process(process.pid).children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
    process.kill()


def _compute_in_child(pipe, menu: dict[str, Path], job: dict[str, Any]) -> None:
    """The computing process: embed, report progress and the outcome through `pipe`."""
    method, params = job["method"], job["params"]
    try:
        dataset = dataset_for(menu, job["config"])
        rows = _selected_rows(dataset, job["on"], job["selection"])
        start = time.perf_counter()
        key, _ = compute.embed(
            dataset.latent, method, params, rows, lambda t, f: pipe.send(("progress", t, f))
        )
        seconds = time.perf_counter() - start
        pipe.send(("outcome", {"result": result_of(dataset, method, params, key, rows, seconds)}))
    except ValueError as error:
        pipe.send(("outcome", {"error": str(error)}))
    except BaseException as error:  # shown in the panel, not as a callback error
        log.exception("embedding %s failed", method)
        label = compute.METHODS[method].label
        pipe.send(("outcome", {"error": f"{label} failed: {error}"}))
    finally:
        pipe.close()


def _ended(job: dict[str, Any]) -> dict[str, Any]:
    """The outcome of a computing process that ended without one: cancelled, or it died."""
    if not jobs.running(job["token"]):
        return {"cancelled": True}
    label = compute.METHODS[job["method"]].label
    return {"error": f"{label} stopped unexpectedly (out of memory?); try fewer samples or PCA"}


def supervise(menu: dict[str, Path], job: dict[str, Any], report: compute.Progress) -> dict:
    """Run the job in a child process, relay its progress; the outcome, or cancelled.

    The child does the work so that a Cancel can end it while this process (the background
    callback's) ends normally, answering "cancelled" to the page.
    """
    receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=_compute_in_child, args=(send, menu, job), daemon=True
    )
    child.start()
    send.close()
    if not jobs.register(job["token"]):
        _kill(child)
    try:
        while True:
            if child.is_alive() and not jobs.running(job["token"]):
                _kill(child)  # Cancel was clicked, on whichever server
            try:
                if not receive.poll(0.2):
                    if not child.is_alive() and not receive.poll(0):
                        return _ended(job)
                    continue
                kind, *message = receive.recv()
            except (EOFError, OSError):
                return _ended(job)
            if kind == "progress":
                report(*message)
            else:
                return message[0]
    finally:
        jobs.forget(job["token"])
        child.join(timeout=1)


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


def _reporter(view_id: str):
    """A compute.Progress that shows the stage in the panel (throttled)."""
    last = {"at": 0.0, "stage": None}

    def report(text: str, fraction: float | None) -> None:
        now, stage = time.monotonic(), text.split(":")[0]
        if stage == last["stage"] and now - last["at"] < PROGRESS_EVERY:
            return  # a new stage is always shown; steps within one at most every 0.3 s
        last.update(at=now, stage=stage)
        set_props(ids.part(view_id, "progress"), {"children": progress_children(text, fraction)})

    return report


def _selected_rows(dataset: Dataset, on: str, selection_key: str | None) -> np.ndarray | None:
    if on != "selection":
        return None
    mask = selection_store.get(selection_key, dataset.n)
    if mask is None or not mask.any():
        raise ValueError("Nothing is selected: select samples first, or choose all samples")
    return np.flatnonzero(mask)


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
        Input(ids.part(MATCH, "run"), "n_clicks"),
        State(ids.part(MATCH, "method"), "value"),
        *(State(ids.part(MATCH, p), "value") for p in PARAMS),
        State(ids.part(MATCH, "on"), "value"),
        State("selection", "data"),
        State("config-key", "data"),
        prevent_initial_call=True,
    )
    def request(clicks, method: str, *rest):
        """A cached result (or PCA) at once; anything else goes to the background job."""
        *values, on, selection, config_key = rest
        if not clicks:
            raise PreventUpdate
        dataset = dataset_for(menu, config_key)
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
            return no_update, no_update, no_update, _failure(str(error)), no_update
        if hit is not None or method == "pca":
            result = result_of(dataset, method, params, key, rows, seconds)
            return result, no_update, no_update, status_text(result), no_update
        job = {
            "method": method,
            "params": params,
            "on": on,
            "selection": selection_key,
            "config": config_key,
            "token": uuid.uuid4().hex,  # names the worker process, for Cancel
        }
        label = compute.METHODS[method].label
        return no_update, job, job["token"], "", progress_children(f"{label}: starting", None)

    @app.callback(
        Output(ids.part(MATCH, "outcome"), "data"),
        Input(ids.part(MATCH, "request"), "data"),
        background=True,
        interval=POLL_MS,
        running=[
            (Output(ids.part(MATCH, "run"), "disabled"), True, False),
            (
                Output(ids.part(MATCH, "cancel"), "className"),
                "embedding-cancel",
                "embedding-cancel d-none",
            ),
            (
                Output(ids.part(MATCH, "progress"), "className"),
                "embedding-progress",
                "embedding-progress d-none",
            ),
        ],
        prevent_initial_call=True,
    )
    def run_job(job: dict | None) -> dict:
        """Supervise the computing process (stage and progress go by set_props); its outcome.

        The callback has an output on purpose: Dash answers a cancelled job of a no-output
        background callback with an error (500), and calls it when its panel appears.
        """
        if not job:
            raise PreventUpdate
        return supervise(menu, job, _reporter(ctx.triggered_id["view"]))

    @app.callback(
        Output(ids.part(MATCH, "result"), "data", allow_duplicate=True),
        Output(ids.part(MATCH, "status"), "children", allow_duplicate=True),
        Input(ids.part(MATCH, "outcome"), "data"),
        prevent_initial_call=True,
    )
    def finish(outcome: dict | None):
        """A finished job's result (or error) becomes the panel's result and status."""
        if not outcome:
            raise PreventUpdate
        if outcome.get("cancelled"):
            return no_update, "Cancelled."
        if "error" in outcome:
            return no_update, _failure(outcome["error"])
        return outcome["result"], status_text(outcome["result"])

    @app.callback(
        Output(ids.part(MATCH, "status"), "children", allow_duplicate=True),
        Input(ids.part(MATCH, "cancel"), "n_clicks"),
        State(ids.part(MATCH, "token"), "data"),
        prevent_initial_call=True,
    )
    def cancel(clicks, token: str | None):
        """Kill the panel's computing process; its supervisor then reports "Cancelled."."""
        if not clicks or not token:
            raise PreventUpdate
        return "Cancelling…" if jobs.cancel(token) else no_update

    @app.callback(
        Output(ids.part(MATCH, "decoded"), "children"),
        Input(ids.graph(MATCH), "clickData"),
        State(ids.part(MATCH, "result"), "data"),
        State("config-key", "data"),
        prevent_initial_call=True,
    )
    def decode_click(click: dict | None, result: dict | None, config_key: str):
        """A click on the PCA plane (a sample or empty space) decodes the point under it."""
        dataset = dataset_for(menu, config_key)
        points = (click or {}).get("points") or []
        if not points or not decodable(dataset, result):
            raise PreventUpdate
        return decoded_point(dataset, config_key, float(points[0]["x"]), float(points[0]["y"]))

    @app.callback(
        Output(ids.graph(MATCH), "figure"),
        Input(ids.part(MATCH, "result"), "data"),
        Input(ids.color(MATCH), "value"),
        Input("filter", "data"),
        State(ids.part(MATCH, "method"), "value"),
        State("selection", "data"),
        State("config-key", "data"),
        State("derived", "data"),
        prevent_initial_call=True,
    )
    def draw(result: dict | None, color: str | None, filtered, method: str, selection, *rest):
        config_key, derived = rest
        dataset = dataset_for(menu, config_key, derived)
        visible = visible_rows(dataset, filtered)
        label = compute.METHODS[method].label if method in compute.METHODS else "the embedding"
        note = None if result else f"Press Run to compute {label}"
        return figure_of(dataset, result, color, visible, note)

    @app.callback(
        Output("derived", "data", allow_duplicate=True),
        Input(ids.part(ALL, "result"), "data"),
        prevent_initial_call="initial_duplicate",
    )
    def publish(results: list):
        """Every panel's coordinates become columns of the page (also those built at layout)."""
        patch = Patch()
        published = False
        for result in results or []:
            if result:
                for j, name in enumerate(result["columns"]):
                    patch[name] = {"key": result["key"], "index": j}
                published = True
        if not published:
            raise PreventUpdate
        return patch

    register_linking(app, ids.graph(ALL))

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
