"""Clusters view (NDDAV's "Clustering"): cluster the latent space, colour every view by cluster,
and see what each cluster looks like.

A method (k-means, Gaussian mixture, agglomerative, DBSCAN, HDBSCAN) runs on the latent vectors,
the standardised latent vectors, or the coordinates of an embedding computed on the page. Its
labels are cached on disk (compute.clustering) and become a computed column of the panel's
model (`derived` store, e.g. "kmeans_k8"); a "colour by" request (views/requests.py) switches
every colour picker of that model to it, so scatter, splom and parcoords recolour at once.
Beside the controls, one card per cluster (largest first, noise last) gives its size and its
mean image; clicking a card selects the cluster's samples in the toolbar's mode.

How a Run goes:
1. `request` (a normal callback) answers at once with a stored result, or runs k-means itself
   (about 1 s at 100k samples); it refuses what cannot work (agglomerative above its limit).
2. Anything else becomes a job (latent_dash.jobs.new_job) in the panel's `request` store: the
   background run every computing kind shares (views/background_runs.py) supervises it in a
   child process, with Cancel by token and a watch that says when a worker was killed. A
   dcc.Loading around the panel would count the job's outputs as loading for the whole run.
Callbacks whose outputs are page-wide (`derived`, the colour request, the selection) take ALL
panels.
"""

from __future__ import annotations

import json
import logging
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
from dash import ALL, MATCH, Dash, Input, Output, Patch, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from pydantic import Field

from latent_dash import background, jobs
from latent_dash.compute import cache as result_cache
from latent_dash.compute import clustering
from latent_dash.data import Dataset
from latent_dash.data.dataset import MAX_CATEGORIES
from latent_dash.imaging import (
    channel_choices,
    display_range,
    image_blocks,
    mean_variance,
    png_bytes,
    summary_rows,
    to_rgb,
)
from latent_dash.kinds import View, ViewOptions
from latent_dash.page import (
    COLOR_REQUEST,
    CONFIG_KEY,
    DATA,
    DERIVED,
    FILTER,
    SELECTION,
    SELECTION_MASK,
    SELECTION_MODE,
    Page,
    Panel,
    PanelIds,
    model_columns,
    new_selection,
    panel_of,
)
from latent_dash.views.background_runs import WATCH_MS, register_background_run
from latent_dash.views.common import labelled
from latent_dash.views.image_uris import data_uri
from latent_dash.views.palette import CATEGORY_COLORS
from latent_dash.views.requests import color_request

KIND = "clusters"


class ClustersOptions(ViewOptions):
    """Clustering of the latent vectors; cluster labels become a column that colours every view."""

    type: Literal["clusters"] = "clusters"

    method: Literal["kmeans", "gmm", "agglomerative", "dbscan", "hdbscan"] = Field(
        "kmeans", description="Clustering method chosen when the panel opens."
    )
    on: Literal["latent", "standardised"] = Field(
        "latent", description="Cluster the latent vectors as they are, or standardised per dim."
    )
    k: int = Field(8, ge=1, le=100, description="Number of clusters (k-means, GMM, agglomerative).")
    eps: float | None = Field(
        None, gt=0, description="DBSCAN radius (default: estimated from neighbour distances)."
    )
    min_samples: int | None = Field(
        None, ge=1, description="DBSCAN / HDBSCAN core-point neighbours (default 10 / as size)."
    )
    min_cluster_size: int = Field(15, ge=2, description="HDBSCAN smallest cluster.")
    linkage: Literal["ward", "average", "complete"] = Field(
        "ward", description="Agglomerative linkage."
    )
    covariance: Literal["full", "tied", "diag", "spherical"] = Field(
        "full", description="Gaussian mixture covariance type."
    )
    seed: int = Field(0, ge=0, description="Random seed (k-means, GMM).")
    cmap: Literal["gray", "viridis", "magma", "inferno", "cividis", "RdBu"] = Field(
        "gray", description="Colour map of the clusters' one-channel mean images."
    )


CARD_IMAGE_SIZE = 72  # longer side of a cluster's mean image
CARD_IMAGES = 500  # at most this many images (a seeded sample) enter a cluster's mean
CARD_EXAMPLES = 3  # members named on a card when the dataset has a label column
MAX_CARDS = 30  # clusters shown as cards; smaller ones are summed up in a line
ON_LATENT, ON_STANDARDISED, ON_EMBEDDING = "latent", "standardised", "embedding:"
# the parameter controls and the methods that read them
CONTROLS: dict[str, tuple[str, ...]] = {
    "k": ("kmeans", "gmm", "agglomerative"),
    "linkage": ("agglomerative",),
    "covariance": ("gmm",),
    "eps": ("dbscan",),
    "min_cluster_size": ("hdbscan",),
    "min_samples": ("dbscan", "hdbscan"),
    "seed": ("kmeans", "gmm"),
}
HIDDEN = {"display": "none"}
FAST_METHODS = ("kmeans",)  # run in the request itself: about 1 s at 100k x 16, k = 20
log = logging.getLogger(__name__)


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every clusters panel."""

    kind = KIND

    @classmethod
    def card(cls, view, label: Any) -> dict:
        return cls.part(view, "card", label=label)


# every colour picker of the page (scatter, splom, parcoords, ...); see ui/columns.py


# --- what to cluster -----------------------------------------------------------------------------


def embedding_choices(derived: dict | None) -> list[dict[str, str]]:
    """ "on" choices for the embeddings of the page: 2-D results in the `derived` store.

    Columns that share a result key with indices 0, 1, ... are one embedding's coordinates.
    """
    groups: dict[str, list[tuple[int, str]]] = {}
    for name, ref in (derived or {}).items():
        if isinstance(ref, dict) and isinstance(ref.get("index"), int) and ref.get("key"):
            groups.setdefault(str(ref["key"]), []).append((int(ref["index"]), name))
    choices = []
    for key, columns in groups.items():
        if len(columns) < 2:
            continue
        columns.sort()
        indices = ",".join(str(i) for i, _ in columns)
        names = ", ".join(name for _, name in columns)
        choices.append({"label": f"embedding ({names})", "value": f"{ON_EMBEDDING}{key}:{indices}"})
    return choices


def on_choices(derived: dict | None = None) -> list[dict[str, str]]:
    return [
        {"label": "latent", "value": ON_LATENT},
        {"label": "latent, standardised", "value": ON_STANDARDISED},
        *embedding_choices(derived),
    ]


def _common_prefix(names: list[str]) -> str:
    prefix = names[0] if names else ""
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    return prefix.rstrip("_-. 0123456789xy") or "emb"


def clustering_input(
    dataset: Dataset, on: str, derived: dict | None
) -> tuple[np.ndarray, bool, str | None, str, str | None]:
    """(data, standardise, data key, description, column-name suffix) for an "on" choice."""
    if on == ON_STANDARDISED:
        return dataset.latent, True, None, "the standardised latent vectors", "std"
    if on and on.startswith(ON_EMBEDDING):
        key, _, indices = on[len(ON_EMBEDDING) :].rpartition(":")
        values = result_cache.load(key)
        columns = [int(i) for i in indices.split(",") if i]  # a ValueError if not numbers
        if values is None or values.ndim != 2 or len(values) != dataset.n:
            raise ValueError("that embedding is no longer available; compute it again")
        if not columns or not all(0 <= j < values.shape[1] for j in columns):
            raise ValueError("that embedding has no such coordinates")
        names = sorted(
            (ref["index"], name)
            for name, ref in (derived or {}).items()
            if isinstance(ref, dict) and ref.get("key") == key and ref.get("index") in columns
        )
        labels = [name for _, name in names] or ["embedding"]
        data = np.ascontiguousarray(values[:, columns])
        what = f"the embedding ({', '.join(labels)})"
        return data, False, f"{key}:{indices}", what, _common_prefix(labels)
    return dataset.latent, False, None, "the latent vectors", None


def run_clustering(
    dataset: Dataset, method: str, params: dict[str, Any], on: str, derived: dict | None
) -> dict[str, Any]:
    """Cluster and describe the result: the value of a panel's `result` store."""
    data, standardise, data_key, what, suffix = clustering_input(dataset, on, derived)
    start = time.perf_counter()
    key, labels = clustering.cached_cluster(data, method, params, standardise, data_key)
    seconds = time.perf_counter() - start
    sizes = clustering.cluster_sizes(labels)
    missing = int(len(data) - np.isfinite(data).all(axis=1).sum())
    return {
        "key": key,
        "name": clustering.column_name(method, params, suffix),
        "method": method,
        "on": what,
        "clusters": sum(1 for label, _ in sizes if label >= 0),
        "noise": sum(size for label, size in sizes if label < 0),
        "missing": missing,
        "n": int(labels.size),
        "seconds": round(seconds, 3),
    }


def unclustered(result: dict[str, Any]) -> str:
    """What label -1 means: noise (density methods), samples without coordinates, or both."""
    density = result["method"] in clustering.DENSITY_METHODS
    if not result.get("missing"):
        return "noise" if density else "not clustered"
    return "noise or not clustered" if density else "not clustered"


def clustering_work(menu: dict[str, Path]):
    """What a background run computes for a job (latent_dash.jobs runs it in a child)."""

    def work_of(job: dict[str, Any]) -> jobs.Work:
        def work(progress: jobs.Progress) -> dict[str, Any]:
            dataset = Page(menu, job["config"], model=job.get("model", 0)).dataset
            method, params = job["method"], job["params"]
            return {"result": run_clustering(dataset, method, params, job["on"], job["derived"])}

        return work

    return work_of


def failure(error: Exception | str) -> html.Span:
    return html.Span(str(error), className="text-danger")


def status_text(result: dict[str, Any]) -> str:
    noise = f", {result['noise']:,} {unclustered(result)}" if result["noise"] else ""
    return (
        f"{clustering.METHODS[result['method']]} on {result['on']}: {result['clusters']:,} "
        f"clusters{noise} in {result['seconds']:.2f} s. Column {result['name']} colours the views."
    )


# --- the summary: one card per cluster -----------------------------------------------------------


def label_colors(labels: np.ndarray) -> dict[int, str] | None:
    """The colour each label gets in a scatter's legend (same order: labels sorted as text)."""
    values = np.unique(labels)
    if len(values) > MAX_CATEGORIES:
        return None  # a numeric colour scale, not a legend
    texts = sorted(str(int(v)) for v in values)
    return {int(t): CATEGORY_COLORS[i % len(CATEGORY_COLORS)] for i, t in enumerate(texts)}


def shown_clusters(labels: np.ndarray) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """([(label, size)] drawn as cards: the MAX_CARDS largest, then noise), [the others]."""
    sizes = clustering.cluster_sizes(labels)
    clusters = [pair for pair in sizes if pair[0] >= 0]
    noise = [pair for pair in sizes if pair[0] < 0]
    return clusters[:MAX_CARDS] + noise, clusters[MAX_CARDS:]


@lru_cache(maxsize=64)
def cluster_images(dataset: Dataset, key: str, channel: str, cmap: str) -> dict[int, str]:
    """Label -> PNG data URI of the mean image of (a seeded sample of) each shown cluster."""
    labels = result_cache.load(key)
    if labels is None or not dataset.has_images:
        return {}
    lo, hi = display_range(dataset, channel)
    uris = {}
    for label, _ in shown_clusters(labels)[0]:
        rows = summary_rows(np.flatnonzero(labels == label), CARD_IMAGES)
        mean = mean_variance(image_blocks(dataset, rows, channel))[0]
        uris[label] = data_uri(png_bytes(to_rgb(mean, lo, hi, cmap), CARD_IMAGE_SIZE))
    return uris


def cluster_examples(dataset: Dataset, labels: np.ndarray, label: int) -> list[str]:
    """A few members' names (dataset.label), a seeded sample in file order; [] without a label
    column."""
    if dataset.label_column is None:
        return []
    rows = np.flatnonzero(labels == label)
    if len(rows) > CARD_EXAMPLES:
        rows = np.sort(np.random.default_rng(0).choice(rows, CARD_EXAMPLES, replace=False))
    return [dataset.sample_name(int(i), width=40) for i in rows]


def summary_children(
    dataset: Dataset, panel: Panel, result: dict[str, Any] | None, cmap: str
) -> Any:
    """A heading and one card per cluster (size, share, mean image), largest first, noise last."""
    if not result:
        return html.Div(
            "Choose a method and press Run: each cluster gets a card with its size"
            + (" and mean image." if dataset.has_images else "."),
            className="clusters-empty text-muted",
        )
    labels = result_cache.load(result["key"])
    if labels is None or labels.shape != (dataset.n,):
        return html.Div("The result was evicted from the cache: run again.", className="text-muted")
    shown, rest = shown_clusters(labels)
    channel = channel_choices(dataset)[0]
    images = cluster_images(dataset, result["key"], channel, cmap)
    colors = label_colors(labels) or {}
    cards = []
    for label, size in shown:
        name = unclustered(result) if label < 0 else f"cluster {label}"
        body = [
            html.Div(
                [
                    html.Span(className="clusters-swatch", style={"background": colors[label]})
                    if label in colors
                    else None,
                    html.Span(name, className="clusters-card-name"),
                ],
                className="clusters-card-title",
            )
        ]
        if label in images:
            body.append(html.Img(src=images[label], alt=f"mean image of {name}"))
        examples = cluster_examples(dataset, labels, label)
        if examples:
            body.append(html.Ul([html.Li(e) for e in examples], className="clusters-card-examples"))
        body.append(
            html.Div(
                [
                    html.Span(f"{size:,}", className="clusters-card-size"),
                    f" · {100 * size / dataset.n:.1f} %",
                ],
                className="clusters-card-count",
            )
        )
        cards.append(
            html.Button(
                body,
                id=ids.card(panel, label),
                n_clicks=0,
                type="button",
                title=f"Select the {size:,} samples of {name}",
                className="clusters-card" + (" clusters-noise" if label < 0 else ""),
            )
        )
    notes = []
    if rest:
        notes.append(
            f"{len(rest):,} smaller clusters ({sum(s for _, s in rest):,} samples) not shown."
        )
    if images:
        notes.append(
            f"Images are means of at most {CARD_IMAGES:,} samples per cluster (channel {channel})."
        )
    heading = f"{result['name']}: {result['clusters']:,} clusters" + (
        f", {result['noise']:,} {unclustered(result)}" if result["noise"] else ""
    )
    return html.Div(
        [
            html.Div(heading, className="clusters-heading"),
            html.Div(cards, className="clusters-cards"),
            html.Small(" ".join(notes), className="text-muted") if notes else None,
        ]
    )


# --- layout --------------------------------------------------------------------------------------


def control_style(control: str, method: str) -> dict[str, str] | None:
    return None if method in CONTROLS[control] else HIDDEN


def _number(panel: Panel, name: str, value: Any, placeholder: str = "", **limits) -> dbc.Input:
    return dbc.Input(
        id=ids.part(panel, name),
        type="number",
        value=value,
        placeholder=placeholder,
        size="sm",
        debounce=True,
        **limits,
    )


def layout(panel: Panel, options: ClustersOptions, dataset: Dataset) -> html.Div:
    """Method and parameters on the left, the cluster cards on the right."""
    o = ClustersOptions.model_validate(options)
    method_choices = [{"label": label, "value": m} for m, label in clustering.METHODS.items()]
    controls = {
        "k": labelled("clusters k", _number(panel, "k", o.k, min=1, max=100, step=1)),
        "linkage": labelled(
            "linkage",
            dcc.Dropdown(
                list(clustering.LINKAGES),
                o.linkage,
                id=ids.part(panel, "linkage"),
                clearable=False,
            ),
        ),
        "covariance": labelled(
            "covariance",
            dcc.Dropdown(
                list(clustering.COVARIANCES),
                o.covariance,
                id=ids.part(panel, "covariance"),
                clearable=False,
            ),
        ),
        "eps": labelled("eps (radius)", _number(panel, "eps", o.eps, "auto", min=0)),
        "min_cluster_size": labelled(
            "min cluster size",
            _number(panel, "min_cluster_size", o.min_cluster_size, min=2, step=1),
        ),
        "min_samples": labelled(
            "min samples", _number(panel, "min_samples", o.min_samples, "auto", min=1, step=1)
        ),
        "seed": labelled("seed", _number(panel, "seed", o.seed, min=0, step=1)),
    }
    boxes = [
        html.Div(
            control,
            id=ids.part(panel, f"box-{name}"),
            style=control_style(name, o.method),
            className="clusters-param",
        )
        for name, control in controls.items()
    ]
    left = html.Div(
        [
            labelled(
                "method",
                dcc.Dropdown(
                    method_choices, o.method, id=ids.part(panel, "method"), clearable=False
                ),
            ),
            labelled(
                "on",
                dcc.Dropdown(on_choices(), o.on, id=ids.part(panel, "on"), clearable=False),
            ),
            html.Div(boxes, className="clusters-params"),
            html.Div(
                [
                    dbc.Button(
                        "Run",
                        id=ids.part(panel, "run"),
                        size="sm",
                        color="primary",
                        className="clusters-run",
                    ),
                    dbc.Button(
                        "Cancel",
                        id=ids.part(panel, "cancel"),
                        size="sm",
                        color="secondary",
                        outline=True,
                        className="clusters-cancel d-none",
                    ),
                ],
                className="clusters-buttons",
            ),
            html.Div(id=ids.part(panel, "status"), className="clusters-status"),
        ],
        className="clusters-controls",
    )
    right = html.Div(
        summary_children(dataset, panel, None, o.cmap),
        id=ids.part(panel, "summary"),
        className="clusters-summary",
    )
    return html.Div(
        [
            left,
            dcc.Loading(right, delay_show=300, parent_className="clusters-summary-box"),
            dcc.Store(id=ids.part(panel, "result")),
            dcc.Store(id=ids.part(panel, "request")),
            dcc.Store(id=ids.part(panel, "token")),
            dcc.Store(id=ids.part(panel, "outcome")),
            dcc.Interval(id=ids.part(panel, "watch"), interval=WATCH_MS, disabled=True),
            dcc.Store(id=ids.part(panel, "cmap"), data=o.cmap),
        ],
        className="view-body clusters-body",
    )


# --- callbacks -----------------------------------------------------------------------------------

SHOW_CONTROLS = """
function (method) {
    const uses = %s;
    return Object.keys(uses).map((name) => uses[name].includes(method) ? {} : {display: "none"});
}
"""


def _params(method: str, values: dict[str, Any]) -> dict[str, Any]:
    """The parameters of `method` among the panel's control values (blank ones: defaults)."""
    return {
        name: values[name]
        for name in clustering.PARAMETERS[method]
        if values.get(name) not in (None, "")
    }


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Run (background), publish the column and colours, summary cards, card clicks."""
    app.clientside_callback(
        SHOW_CONTROLS % json.dumps({name: list(methods) for name, methods in CONTROLS.items()}),
        [Output(ids.part(MATCH, f"box-{name}"), "style") for name in CONTROLS],
        Input(ids.part(MATCH, "method"), "value"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.part(ALL, "on"), "options"),
        Input(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def refresh_on(derived: dict | None):
        """Each panel may cluster its own model's embeddings."""
        return [
            on_choices(model_columns(derived, panel_of(item["id"]).model))
            for item in ctx.outputs_list
        ]

    @app.callback(
        Output(ids.part(MATCH, "result"), "data"),
        Output(ids.part(MATCH, "request"), "data"),
        Output(ids.part(MATCH, "token"), "data"),
        Output(ids.part(MATCH, "status"), "children"),
        Output(ids.part(MATCH, "watch"), "disabled"),
        Input(ids.part(MATCH, "run"), "n_clicks"),
        State(ids.part(MATCH, "method"), "value"),
        State(ids.part(MATCH, "on"), "value"),
        *(State(ids.part(MATCH, name), "value") for name in CONTROLS),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def request(clicks, method: str, on: str, *rest):
        """A stored result, or a k-means run (about 1 s at 100k samples), at once; anything
        else goes to the background job."""
        *values, config_key, derived = rest
        if not clicks:
            raise PreventUpdate
        page = Page(menu, config_key, derived)
        dataset, derived = page.dataset, page.derived
        params = _params(method, dict(zip(CONTROLS, values, strict=True)))
        try:
            data, standardise, data_key, _, _ = clustering_input(dataset, on, derived)
            clustering.check_size(method, len(data))
            key = clustering.cache_key(data, method, params, standardise, data_key)
            if method in FAST_METHODS or result_cache.load(key) is not None:
                result = run_clustering(dataset, method, params, on, derived)
                return result, no_update, no_update, status_text(result), no_update
        except ValueError as error:
            return no_update, no_update, no_update, failure(error), no_update
        problem = background.worker_problem()
        if problem:
            return no_update, no_update, no_update, failure(problem), no_update
        job = jobs.new_job(
            method=method, params=params, on=on, config=config_key, model=page.model,
            derived=derived,
        )  # fmt: skip
        return no_update, job, job["token"], f"{clustering.METHODS[method]} is running…", False

    register_background_run(
        app,
        ids,
        work=clustering_work(menu),
        label=lambda job: clustering.METHODS[job["method"]],
        status_of=status_text,
        running=[
            ("run", "disabled", True, False),
            ("run", "children", "Running…", "Run"),
            ("cancel", "className", "clusters-cancel", "clusters-cancel d-none"),
        ],
    )

    @app.callback(
        Output(DERIVED, DATA, allow_duplicate=True),
        Output(COLOR_REQUEST, DATA, allow_duplicate=True),
        Input(ids.part(ALL, "result"), "data"),
        prevent_initial_call=True,
    )
    def publish(results: list):
        """The new labels become a column of the panel's model, and every view of that model
        is asked to colour by it."""
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict):
            raise PreventUpdate
        panels = [panel_of(o["id"]) for o in ctx.inputs_list[0]]
        result = results[panels.index(panel_of(trigger))]
        if not result:
            raise PreventUpdate
        model = panel_of(trigger).model
        patch = Patch()
        patch[str(model)][result["name"]] = {"key": result["key"], "index": None}
        return patch, color_request(result["name"], model)

    @app.callback(
        Output(ids.part(MATCH, "summary"), "children"),
        Input(ids.part(MATCH, "result"), "data"),
        State(ids.part(MATCH, "cmap"), "data"),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def summary(result: dict | None, cmap: str, config_key: str):
        page = Page(menu, config_key)
        dataset = page.dataset
        panel = panel_of(ctx.outputs_list["id"])
        return summary_children(dataset, panel, result, cmap)

    @app.callback(
        Output(SELECTION_MASK, DATA, allow_duplicate=True),
        Output(SELECTION, DATA, allow_duplicate=True),
        Input(ids.card(ALL, ALL), "n_clicks"),
        State(ids.part(ALL, "result"), "data"),
        State(SELECTION, DATA),
        State(SELECTION_MODE, "value"),
        State(FILTER, DATA),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def select_cluster(clicks, results, current, mode: str, filtered, config_key: str):
        """A card click selects its cluster's visible samples, in the toolbar's mode."""
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or len(ctx.triggered) != 1:
            raise PreventUpdate
        if not ctx.triggered[0]["value"]:
            raise PreventUpdate  # cards drawn anew, not clicked
        views = [panel_of(s["id"]) for s in ctx.states_list[0]]
        if panel_of(trigger) not in views:
            raise PreventUpdate
        result = results[views.index(panel_of(trigger))]
        page = Page(menu, config_key, model=panel_of(trigger).model)
        dataset = page.dataset
        labels = result_cache.load((result or {}).get("key", ""))
        if labels is None or labels.shape != (dataset.n,):
            raise PreventUpdate
        fresh = labels == int(trigger["label"])
        return new_selection(fresh, current, mode, filtered, panel_of(trigger).source)


class Clusters(View):
    kind = KIND
    label = "Clusters"
    aliases = ("Clustering",)
    Options = ClustersOptions
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)
