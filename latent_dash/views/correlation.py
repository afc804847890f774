"""Correlation view (NDDAV's "FuncDistance", extended): what each latent dim has to do with the
physical parameters and the numeric metadata.

A heatmap of latent dims (rows) against targets (columns: parameters, then numeric metadata
columns, or the `targets` option) by Pearson, Spearman, mutual information or the R² of the
target from that one dim alone (`explained alone`), over all samples or over the current
selection; beside it, one bar per target: the cross-validated R^2 of
predicting it from the whole latent vector by ridge regression, i.e. which physical inputs the
latent space encodes. The numbers come from `compute.correlation` and are cached on disk, so a
measure or selection seen before answers at once.

Under them, the model's disentanglement summary (`compute.disentanglement`): MIG and DCI
disentanglement, completeness and informativeness of the latent against the same targets, and
per target the dim that knows it best. It is a property of the model, so it is computed over all
samples (seeded row caps inside the compute), once per model and targets: a stored summary is in
the panel at once; a missing one (2-12 s on two busy cores) runs as a background job
(views/background_runs.py: a child process, Cancel, a watch for a killed worker) that starts by
itself when the panel opens, so neither the page's first paint nor a web worker waits for it.

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
import plotly.graph_objects as go
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from pydantic import Field

from latent_dash import background, jobs, selection_store
from latent_dash.compute import correlation as corr
from latent_dash.compute import disentanglement as dz
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
from latent_dash.views.background_runs import WATCH_MS, register_background_run
from latent_dash.views.common import numeric_matrix
from latent_dash.views.requests import aligned_with, axes_request, projection_request

KIND = "correlation"


class CorrelationOptions(ViewOptions):
    """Latent dims against the parameters and numeric metadata (NDDAV's FuncDistance)."""

    type: Literal["correlation"] = "correlation"

    measure: Literal["pearson", "spearman", "mi", "alone"] = Field(
        "pearson",
        description="Pearson, Spearman rank correlation, mutual information, or the R² of each"
        " target from each dim alone.",
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
MEASURE_LABELS = {
    "pearson": "Pearson",
    "spearman": "Spearman",
    "mi": "Mutual information",
    "alone": "Explained alone (R²)",
}
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
    return numeric_matrix(dataset, names)


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
        elif measure == "alone":
            scale = {"colorscale": MI_SCALE, "zmin": 0.0, "zmax": 1.0}
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
    if measure == "alone":
        if rows > dz.MAX_ROWS:
            what += f" (a seeded random {dz.MAX_ROWS:,} of them)"
        what += (
            ": how much of each target one dim explains by itself (the target's mean in up to "
            f"{dz.ALONE_BINS} equal-frequency bins of the dim, {dz.CV_FOLDS}-fold cross-validated;"
            " a non-monotone relation counts too). 1: that dim alone determines the target; a"
            " diagonal pattern is a disentangled space"
        )
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
        if measure == "alone":
            matrix = dz.cached_explained_alone(dataset.latent, values, rows)[1]
        else:
            matrix = corr.cached_association(dataset.latent, values, measure, rows)[1]
        r2 = corr.cached_encoding_r2(dataset.latent, values, rows)[1]
    heat = heatmap_figure(matrix, dataset.latent_names, targets, measure)
    bars = r2_figure(r2, targets, heat.layout.height)
    count = dataset.n if rows is None else len(rows)
    return heat, bars, caption(measure, words, count, problem)


# ------------------------------------------------------------------ the model's disentanglement

SCORES = (  # (key of the result, name, what it means and what is good)
    (
        "mig",
        "MIG",
        "Mutual information gap: per target, how much more the dim that knows it best knows "
        "than the second best (over the target's entropy), averaged. Good: near 1 (each target "
        "lives in one dim); near 0: spread over several dims.",
    ),
    (
        "disentanglement",
        "DCI disentanglement",
        "Does each dim capture at most one target (random-forest importances, weighted by how "
        "much each dim is used)? Good: near 1; 0: every dim serves all targets alike.",
    ),
    (
        "completeness",
        "DCI completeness",
        "Is each target captured by a single dim? Good: near 1; 0: every target spread evenly "
        "over all dims.",
    ),
    (
        "informativeness",
        "DCI informativeness",
        "How well the whole latent predicts the targets: held-out R² of a random forest, mean "
        "over targets. Good: near 1; 0 or below: the latent does not hold them.",
    ),
)
PROGRESS_CLASS = "correlation-progress small text-muted"
NOT_YET = "The disentanglement summary is computed once per model (a few seconds)…"


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def result_of(summary: dz.Summary, dataset: Dataset, seconds: float | None = None) -> dict:
    """A summary as plain JSON for the panel's `result` store: the four scores, and per target
    the dim that knows it best, its MIG gap, completeness and informativeness."""
    informative = summary.dci.informativeness
    best = [dataset.latent_names[b] if b >= 0 else None for b in summary.mig.best]
    return {
        "targets": list(summary.names),
        "n": int(dataset.n),
        "dims": int(dataset.dims),
        "seconds": seconds,
        "mig": _number(summary.mig.score),
        "disentanglement": _number(summary.dci.disentanglement_score),
        "completeness": _number(summary.dci.completeness_score),
        "informativeness": _number(np.nanmean(informative))
        if np.isfinite(informative).any()
        else None,
        "best": best,
        "gap": [_number(v) for v in summary.mig.gaps],
        "target_completeness": [_number(v) for v in summary.dci.completeness],
        "target_informativeness": [_number(v) for v in informative],
    }


def summary_result(dataset: Dataset, targets: list[str]) -> dict:
    """The disentanglement summary of the model against the targets (computed, or stored)."""
    import time

    start = time.perf_counter()
    values = target_matrix(dataset, targets)
    summary = dz.cached_summary(dataset.latent, values, targets)[1]
    return result_of(summary, dataset, time.perf_counter() - start)


def stored_result(dataset: Dataset, targets: list[str]) -> dict | None:
    """The summary when it is in the result cache, else None (never computes)."""
    summary = dz.stored_summary(dataset.latent, target_matrix(dataset, targets), targets)
    return None if summary is None else result_of(summary, dataset)


def _shown(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def summary_children(result: dict | None) -> list:
    """The four scores with what each means, then one row per target: the dim that knows it
    best, its MIG gap, completeness and held-out R²."""
    if not result:
        return [html.Div(NOT_YET, className="text-muted small")]
    scores = html.Table(
        html.Tbody(
            [
                html.Tr(
                    [
                        html.Th(name, className="pe-2 text-nowrap"),
                        html.Td(
                            _shown(result[key]),
                            className=f"correlation-score correlation-score-{key} pe-3 fw-bold",
                        ),
                        html.Td(what, className="text-muted small"),
                    ]
                )
                for key, name, what in SCORES
            ]
        ),
        className="correlation-scores mb-2",
    )
    per_target = dbc.Table(
        [
            html.Thead(
                html.Tr(
                    [
                        html.Th(h)
                        for h in ("target", "best dim", "MIG gap", "completeness", "R² (forest)")
                    ]
                )
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(target),
                            html.Td(best or "n/a"),
                            html.Td(_shown(gap)),
                            html.Td(_shown(complete)),
                            html.Td(_shown(informative)),
                        ]
                    )
                    for target, best, gap, complete, informative in zip(
                        result["targets"],
                        result["best"],
                        result["gap"],
                        result["target_completeness"],
                        result["target_informativeness"],
                        strict=True,
                    )
                ]
            ),
        ],
        size="sm",
        className="correlation-per-target small mb-0",
    )
    return [scores, per_target]


def summary_status(result: dict) -> str:
    """Over which samples the summary was computed (and how long it took)."""
    n = result["n"]
    took = f" Computed in {result['seconds']:.1f} s." if result.get("seconds") else ""
    capped = (
        f" (MIG on a seeded {dz.MIG_MAX_ROWS:,}, DCI on a seeded {dz.MAX_ROWS:,})"
        if n > dz.MAX_ROWS
        else ""
    )
    return (
        f"Against the {len(result['targets'])} targets, over all {n:,} samples{capped},"
        f" whatever the selection or filter.{took}"
    )


def summary_work(menu: dict[str, Path]):
    """What the background run computes for a job (latent_dash.jobs runs it in a child)."""

    def work_of(job: dict[str, Any]) -> jobs.Work:
        def work(progress: jobs.Progress) -> dict[str, Any]:
            progress("Disentanglement: mutual information, MIG, random forests", None)
            dataset = Page(menu, job["config"], model=job.get("model", 0)).dataset
            return {"result": summary_result(dataset, job["targets"])}

        return work

    return work_of


def _run_class(result: dict | None) -> str:
    """Run is offered while there is no summary (after a Cancel or a failure)."""
    return "correlation-run me-1" + (" d-none" if result else "")


def summary_block(panel: Panel, result: dict | None) -> html.Div:
    """The summary's part of the panel: title, Run / Cancel, status, the numbers, its stores."""
    return html.Div(
        [
            html.Div(
                [
                    html.Span("Disentanglement of the model", className="fw-semibold me-2"),
                    dbc.Button(
                        "Run", id=ids.part(panel, "run"), size="sm", color="primary",
                        outline=True, className=_run_class(result),
                    ),
                    dbc.Button(
                        "Cancel", id=ids.part(panel, "cancel"), size="sm", color="secondary",
                        outline=True, className="correlation-cancel d-none",
                    ),
                ],
                className="correlation-summary-head mb-1",
            ),
            html.Div(
                summary_status(result) if result else "",
                id=ids.part(panel, "status"),
                className="correlation-status small text-muted",
            ),
            html.Div(id=ids.part(panel, "progress"), className=PROGRESS_CLASS + " d-none"),
            html.Div(
                summary_children(result),
                id=ids.part(panel, "summary"),
                className="correlation-summary",
            ),
            dcc.Store(id=ids.part(panel, "result"), data=result),
            dcc.Store(id=ids.part(panel, "request")),
            dcc.Store(id=ids.part(panel, "token")),
            dcc.Store(id=ids.part(panel, "outcome")),
            dcc.Interval(id=ids.part(panel, "watch"), interval=WATCH_MS, disabled=True),
        ],
        className="correlation-meaning mt-2",
    )  # fmt: skip


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
            summary_block(panel, stored_result(dataset, targets)),
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
        Output(ids.part(MATCH, "result"), "data"),
        Output(ids.part(MATCH, "request"), "data"),
        Output(ids.part(MATCH, "token"), "data"),
        Output(ids.part(MATCH, "status"), "children"),
        Output(ids.part(MATCH, "watch"), "disabled"),
        Input(ids.part(MATCH, "run"), "n_clicks"),
        State(ids.part(MATCH, "result"), "data"),
        State(ids.part(MATCH, "targets"), "data"),
        State(CONFIG_KEY, DATA),
    )
    def request_summary(clicks, shown: dict | None, targets: list, config_key: str):
        """When the panel opens without a stored summary (or on Run): the stored one at once,
        else a background job (started without a click: the numbers are what the panel is
        for, and once computed every later visit reads them from the cache)."""
        if (shown and not clicks) or not targets:
            raise PreventUpdate
        page = Page(menu, config_key)
        dataset = page.dataset
        targets = [t for t in targets if t in {c.name for c in dataset.columns}]
        stored = stored_result(dataset, targets)
        if stored is not None:
            return stored, no_update, no_update, summary_status(stored), no_update
        problem = background.worker_problem()
        if problem:
            return (
                no_update,
                no_update,
                no_update,
                html.Span(problem, className="text-danger"),
                True,
            )
        job = jobs.new_job(config=config_key, model=page.model, targets=targets)
        return no_update, job, job["token"], "Computing…", False

    register_background_run(
        app,
        ids,
        work=summary_work(menu),
        label=lambda job: "The disentanglement summary",
        status_of=summary_status,
        running=[
            ("run", "disabled", True, False),
            ("cancel", "className", "correlation-cancel", "correlation-cancel d-none"),
            ("progress", "className", PROGRESS_CLASS, PROGRESS_CLASS + " d-none"),
        ],
        progress=lambda text, fraction: text,
    )

    @app.callback(
        Output(ids.part(MATCH, "summary"), "children"),
        Output(ids.part(MATCH, "run"), "className"),
        Input(ids.part(MATCH, "result"), "data"),
        prevent_initial_call=True,
    )
    def show_summary(result: dict | None):
        return summary_children(result), _run_class(result)

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
