"""The metrics panel of a comparison page: is model A's latent space as good as model B's?

Under the models' columns, one figure per question, each computed in `compute.comparison` and
cached on disk (a second visit answers at once):
- do the two spaces agree on who is near whom? per-sample k-NN overlap (Jaccard), as a
  histogram and as the colour of every embedding panel (a computed column, `knn overlap`); a
  button selects the samples whose neighbourhoods differ most;
- does each space keep the physical-parameter neighbourhoods? trustworthiness and continuity
  over k, of each latent space against the parameters and of the two spaces against each other;
- which dims of A carry what dims of B? canonical correlations and the dim-to-dim matching;
- what does each encode? cross-validated R^2 of each parameter from each latent, side by side;
- how well does each reconstruct? the per-sample error distributions, when a column holds them;
- is one space more interpretable? MIG and DCI disentanglement and completeness of each latent
  against the targets the models share (compute.disentanglement, the numbers a correlation
  panel shows; cached, and filled by `latent-dash precompute`);
and a summary table of the headline figures, the better model of each row in bold.

The disentanglement rows take seconds per model the first time (random forests): stored ones
are in the table at once; missing ones run as a background job (views/background_runs.py,
under the parts `meaning-*`), and the table gains its rows when the job ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dash_bootstrap_components as dbc
import numpy as np
import plotly.graph_objects as go
from dash import ALL, MATCH, Dash, Input, Output, Patch, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from plotly.subplots import make_subplots

from latent_dash import background, jobs, selection_store
from latent_dash.compute import cache as result_cache
from latent_dash.compute import comparison as metrics
from latent_dash.compute import disentanglement as dz
from latent_dash.config import ComparisonOptions, LoadedCompare, config_title
from latent_dash.data import Dataset, open_compare
from latent_dash.errors import ConfigError
from latent_dash.menu import model_keys
from latent_dash.page import (
    COLOR_REQUEST,
    CONFIG_KEY,
    DATA,
    DERIVED,
    FILTER,
    SELECTION,
    SELECTION_MASK,
    SELECTION_MODE,
    PanelIds,
    new_selection,
)
from latent_dash.views.background_runs import WATCH_MS, register_background_run
from latent_dash.views.common import labelled, numeric_matrix
from latent_dash.views.requests import color_request

KIND = "comparison"
OVERLAP_COLUMN = "knn overlap"
MODEL_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")
FIGURE_HEIGHT = 300
MEANING_CANCEL = "comparison-meaning-cancel ms-2"
MEANING_RUNNING = "MIG and DCI of each model: computing (seconds, once per pair of models)…"


class ids(PanelIds):
    """Ids of the one metrics panel of a comparison page (MATCH keeps them per panel)."""

    kind = KIND


def error_column(loaded: LoadedCompare, dataset: Dataset) -> str | None:
    """The configured reconstruction-error column, else the first numeric one named '*error*'."""
    if loaded.config.comparison.error:
        return loaded.config.comparison.error
    return next((c.name for c in dataset.columns if c.numeric and "error" in c.name.lower()), None)


def shared_targets(a: Dataset, b: Dataset) -> list[str]:
    """The factors both models are scored against: A's parameters and numeric metadata columns
    that B has with the same values (the samples' own properties; a per-model output such as
    a reconstruction error differs between the models and is left out)."""
    numeric_b = {c.name for c in b.columns if c.numeric and c.source in ("param", "metadata")}
    names = [
        c.name
        for c in a.columns
        if c.numeric and c.source in ("param", "metadata") and c.name in numeric_b
    ]
    if not names:
        return []
    values_a, values_b = numeric_matrix(a, names), numeric_matrix(b, names)
    return [
        name
        for j, name in enumerate(names)
        if np.array_equal(values_a[:, j], values_b[:, j], equal_nan=True)
    ]


def disentanglement_scores(
    a: Dataset, b: Dataset, stored_only: bool = False
) -> list[dz.Summary] | None:
    """Each model's disentanglement summary against the shared targets (cached; None when
    the models share no numeric target, or with `stored_only` when one is not stored yet)."""
    names = shared_targets(a, b)
    if not names:
        return None
    factors = numeric_matrix(a, names)  # the same values in both models
    if stored_only:
        stored = [dz.stored_summary(d.latent, factors, names) for d in (a, b)]
        return None if any(s is None for s in stored) else stored  # type: ignore[return-value]
    return [dz.cached_summary(d.latent, factors, names)[1] for d in (a, b)]


DISENTANGLEMENT_ROWS = (  # label, score of a Summary; higher is better for each
    ("MIG (mutual information gap)", lambda s: s.mig.score),
    ("DCI disentanglement", lambda s: s.dci.disentanglement_score),
    ("DCI completeness", lambda s: s.dci.completeness_score),
)


def disentanglement_values(summaries: list[dz.Summary]) -> list[list[float | None]]:
    """Per row of DISENTANGLEMENT_ROWS, each model's score (None: undefined; plain JSON)."""
    return [
        [float(v) if np.isfinite(v := score(s)) else None for s in summaries]
        for _, score in DISENTANGLEMENT_ROWS
    ]


def disentanglement_rows(values: list[list[float | None]]) -> list[tuple[str, list[float], bool]]:
    """The summary table's rows of `disentanglement_values` (higher is better)."""
    return [
        (label, [np.nan if v is None else float(v) for v in row], True)
        for (label, _), row in zip(DISENTANGLEMENT_ROWS, values, strict=True)
    ]


class meaning_ids:
    """The parts of the disentanglement job (`meaning-*`), for views/background_runs.py."""

    @staticmethod
    def part(view: Any, name: str) -> dict[str, Any]:
        return ids.part(view, f"meaning-{name}")


def meaning_work(menu: dict[str, Path]):
    """What the background run computes: both models' summaries (jobs runs it in a child)."""

    def work_of(job: dict[str, Any]) -> jobs.Work:
        def work(progress: jobs.Progress) -> dict[str, Any]:
            import time

            start = time.perf_counter()
            datasets = open_compare(menu[job["config"]])[1]
            pair = (datasets[job["a"]], datasets[job["b"]])
            summaries = disentanglement_scores(*pair) or []
            values = disentanglement_values(summaries) if summaries else None
            took = time.perf_counter() - start
            return {"result": {"a": job["a"], "b": job["b"], "values": values, "seconds": took}}

        return work

    return work_of


def panel(loaded: LoadedCompare, datasets: tuple[Dataset, ...], titles: list[str]) -> dbc.Card:
    """The panel: model pickers (shown for three models or more), the figures, the table."""
    view = "comparison"
    choices = [{"label": t, "value": i} for i, t in enumerate(titles)]
    pickers = dbc.Row(
        [
            dbc.Col(labelled("model A", dcc.Dropdown(
                choices, 0, id=ids.part(view, "a"), clearable=False))),
            dbc.Col(labelled("model B", dcc.Dropdown(
                choices, 1, id=ids.part(view, "b"), clearable=False))),
        ],
        className="g-2 mb-2",
        style=None if len(titles) > 2 else {"display": "none"},
    )  # fmt: skip
    select = dbc.InputGroup(
        [
            dbc.Button(
                "Select the most different", id=ids.part(view, "select"), size="sm",
                color="primary", className="comparison-select",
            ),
            dbc.Input(
                id=ids.part(view, "fraction"), type="number", min=1, max=100, step=1, value=10,
                size="sm", debounce=True, style={"maxWidth": "5rem"},
            ),
            dbc.InputGroupText("% lowest overlap"),
        ],
        size="sm",
        className="mb-2",
    )  # fmt: skip

    def graph(part: str) -> dcc.Graph:
        return dcc.Graph(
            id=ids.part(view, part),
            config={"displaylogo": False, "responsive": True},
            style={"height": f"{FIGURE_HEIGHT}px"},
            className=f"comparison-{part}",
        )

    body = [
        pickers,
        dcc.Store(id=ids.part(view, "overlap-key")),
        dcc.Store(id=ids.part(view, "table")),  # the summary table's rows, for the job's rows
        *(dcc.Store(id=meaning_ids.part(view, p)) for p in ("request", "token", "outcome",
                                                               "result")),
        dcc.Interval(id=meaning_ids.part(view, "watch"), interval=WATCH_MS, disabled=True),
        html.Div(id=ids.part(view, "status"), className="comparison-status text-muted small"),
        html.Div(
            [
                html.Span(id=meaning_ids.part(view, "status")),
                dbc.Button(
                    "Cancel", id=meaning_ids.part(view, "cancel"), size="sm", color="secondary",
                    outline=True, className=MEANING_CANCEL + " d-none",
                ),
            ],
            className="comparison-meaning-status text-muted small",
        ),
        dbc.Row(
            [
                dbc.Col(html.Div(id=ids.part(view, "summary"), className="comparison-summary"),
                        xs=12, lg=5),
                dbc.Col([graph("overlap"), select], xs=12, lg=7),
            ],
            className="g-2",
        ),
        dbc.Row(
            [
                dbc.Col(graph("trust"), xs=12, lg=6),
                dbc.Col(graph("r2"), xs=12, lg=6),
                dbc.Col(graph("cca"), xs=12, lg=6),
                dbc.Col(graph("errors"), xs=12, lg=6),
            ],
            className="g-2",
        ),
    ]  # fmt: skip
    return dbc.Card(
        [dbc.CardHeader("Model comparison", className="view-title"), dbc.CardBody(body)],
        id="comparison-panel",
        className="view-panel view-comparison mt-2",
    )


# ------------------------------------------------------------------ the figures (no callbacks)


def _layout(figure: go.Figure, title: str, **axes: Any) -> go.Figure:
    figure.update_layout(
        title={"text": title, "font": {"size": 13}, "x": 0.01},
        margin={"l": 50, "r": 10, "t": 36, "b": 40},
        legend={"orientation": "h", "y": -0.25, "font": {"size": 11}},
        template="plotly_white",
        **axes,
    )
    return figure


def overlap_figure(values: np.ndarray, k: int, names: tuple[str, str]) -> go.Figure:
    figure = go.Figure(
        go.Histogram(
            x=values.astype(np.float32), xbins={"start": 0, "end": 1.0001, "size": 0.05},
            marker_color="#6c757d", hovertemplate="overlap %{x}<br>%{y} samples<extra></extra>",
        )
    )  # fmt: skip
    return _layout(
        figure,
        f"k-NN overlap of the two latent spaces (k = {k}, mean {values.mean():.2f},"
        f" chance {k / max(len(values) - 1, 1):.3f})",
        xaxis_title="Jaccard overlap of a sample's neighbourhoods",
        yaxis_title="samples",
        bargap=0.05,
    )


def trust_figure(curves: dict[str, np.ndarray], ks: list[int]) -> go.Figure:
    figure = go.Figure()
    low = min(float(np.nanmin(tc)) for tc in curves.values())
    for number, (label, tc) in enumerate(curves.items()):
        color = MODEL_COLORS[number % len(MODEL_COLORS)]
        for row, (measure, dash) in enumerate((("T", "solid"), ("C", "dot"))):
            figure.add_trace(
                go.Scatter(
                    x=ks, y=tc[row], name=f"{measure}: {label}", mode="lines+markers",
                    line={"color": color, "dash": dash},
                )
            )  # fmt: skip
    return _layout(
        figure,
        "Trustworthiness (T) and continuity (C) over k",
        xaxis_title="k",
        yaxis_title="score",
        yaxis_range=[max(0.0, low - 0.02), 1.005],
    )


def r2_figure(names: list[str], scores: list[np.ndarray], titles: tuple[str, str]) -> go.Figure:
    figure = go.Figure()
    for number, (title, table) in enumerate(zip(titles, scores, strict=True)):
        figure.add_trace(
            go.Bar(
                x=names, y=table[:, 0], error_y={"type": "data", "array": table[:, 1]},
                name=title, marker_color=MODEL_COLORS[number],
            )
        )  # fmt: skip
    return _layout(
        figure,
        "Cross-validated R² of each parameter from the latent",
        barmode="group",
        yaxis_title="R²",
        yaxis_range=[min(0.0, float(np.nanmin([s[:, 0] for s in scores]))), 1.0],
    )


def cca_figure(
    correlations: np.ndarray, matching: np.ndarray, a: Dataset, b: Dataset, titles: tuple
) -> go.Figure:
    """The canonical correlations (bars, left) and the dim-to-dim matching (heatmap, right)."""
    figure = make_subplots(rows=1, cols=2, column_widths=[0.35, 0.65], horizontal_spacing=0.14)
    figure.add_trace(
        go.Bar(
            x=[f"c{i + 1}" for i in range(len(correlations))], y=correlations,
            marker_color="#6c757d", showlegend=False,
            hovertemplate="%{x}: %{y:.3f}<extra></extra>",
        ),
        row=1, col=1,
    )  # fmt: skip
    figure.add_trace(
        go.Heatmap(
            z=np.abs(matching).astype(np.float32), x=b.latent_names, y=a.latent_names,
            colorscale="Viridis", zmin=0, zmax=1, colorbar={"title": "|r|", "len": 0.8},
            hovertemplate=f"{titles[0]} %{{y}}<br>{titles[1]} %{{x}}<br>|r| %{{z:.2f}}"
            "<extra></extra>",
        ),
        row=1, col=2,
    )  # fmt: skip
    figure.update_yaxes(range=[0, 1.02], title_text="canonical r", row=1, col=1)
    figure.update_yaxes(autorange="reversed", title_text=titles[0], row=1, col=2)
    figure.update_xaxes(title_text=titles[1], row=1, col=2)
    return _layout(figure, "Canonical correlations, and which dims of A match which of B")


def error_figure(errors: list[np.ndarray | None], titles: tuple[str, str], column: str | None):
    figure = go.Figure()
    for number, (title, values) in enumerate(zip(titles, errors, strict=True)):
        if values is None:
            continue
        figure.add_trace(
            go.Histogram(
                x=values.astype(np.float32), name=title, opacity=0.6, nbinsx=60,
                marker_color=MODEL_COLORS[number],
            )
        )  # fmt: skip
    if not figure.data:
        figure.add_annotation(
            text="No reconstruction-error column (set comparison.error in the config)",
            showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
        )  # fmt: skip
    return _layout(
        figure,
        f"Reconstruction error per sample ({column})" if column else "Reconstruction error",
        barmode="overlay",
        xaxis_title=column or "",
        yaxis_title="samples",
    )


def _better(values: list[float], higher: bool) -> int | None:
    finite = [v for v in values if np.isfinite(v)]
    if len(finite) < 2 or np.isclose(finite[0], finite[1]):
        return None
    return int(np.argmax(values) if higher else np.argmin(values))


def summary_table(rows: list[tuple[str, list[float], bool | None]], titles: tuple) -> html.Div:
    """One row a figure; the better model's value in bold (when higher or lower is better)."""
    head = html.Thead(html.Tr([html.Th("")] + [html.Th(t) for t in titles]))
    body = []
    wins: dict[int | None, int] = {}
    for label, values, higher in rows:
        best = _better(values, higher) if higher is not None else None
        cells = [
            html.Td(
                "n/a" if not np.isfinite(v) else f"{v:.4g}",
                className="fw-bold" if i == best else None,
            )
            for i, v in enumerate(values)
        ]
        body.append(html.Tr([html.Td(label), *cells]))
        wins[best] = wins.get(best, 0) + 1
    compared = sum(higher is not None for *_, higher in rows)
    verdict = ", ".join(f"{titles[i]} on {wins.get(i, 0)}" for i in range(len(titles)))
    return html.Div(
        [
            dbc.Table([head, html.Tbody(body)], size="sm", bordered=False, hover=True,
                      className="mb-1"),
            html.Div(f"Better (bold) of {compared} rows: {verdict}.",
                     className="comparison-verdict small fw-semibold"),
        ]
    )  # fmt: skip


def compare(
    a: Dataset,
    b: Dataset,
    titles: tuple[str, str],
    options: ComparisonOptions,
    errors: tuple[np.ndarray | None, np.ndarray | None],
    error_name: str | None,
    meaning: list[list[float | None]] | None = None,
) -> dict[str, Any]:
    """Every metric of the pair: the overlap's cache key, the figures and the summary rows;
    `meaning` (`disentanglement_values`), when known, adds the disentanglement rows."""
    k = options.k
    params = a.params  # the same samples: the models share their physical inputs
    overlap_key, overlaps, result = metrics.compare_pair(a.latent, b.latent, params, k, options.ks)
    ks = result["ks"]
    trust = result["trust"]
    labels = {
        "a_vs_params": f"{titles[0]} vs parameters",
        "b_vs_params": f"{titles[1]} vs parameters",
        "a_vs_b": f"{titles[1]} vs {titles[0]}",
    }
    curves = {
        labels[name]: np.array([tc["trustworthiness"], tc["continuity"]], dtype=float)
        for name, tc in trust.items()
    }
    correlations = np.array(result["cca"]["correlations"], dtype=float)
    matching = np.array(result["cca"]["matching"], dtype=float)
    r2 = result["r2"]
    scores = (
        [np.column_stack([r2[m], r2[f"{m}_std"]]).astype(float) for m in ("a", "b")]
        if r2 is not None
        else None
    )
    at = ks.index(k) if k in ks else len(ks) // 2
    rows: list[tuple[str, list[float], bool | None]] = [("latent dims", [a.dims, b.dims], None)]
    if "a_vs_params" in trust:
        for measure in ("trustworthiness", "continuity"):
            values = [trust[f"{m}_vs_params"][measure][at] for m in ("a", "b")]
            rows.append((f"{measure} vs parameters (k={ks[at]})", values, True))
    if scores is not None:
        rows.append(("mean R² of the parameters", [float(np.nanmean(s[:, 0])) for s in scores],
                     True))  # fmt: skip
    if any(e is not None for e in errors):
        medians = [float(np.median(e)) if e is not None else np.nan for e in errors]
        rows.append(("median reconstruction error", medians, False))
    if meaning is not None:
        rows += disentanglement_rows(meaning)
    shared = [
        (f"mean k-NN overlap of A and B (k={k})", float(overlaps.mean())),
        ("mean canonical correlation", float(np.mean(correlations))),
    ]
    no_params = _empty("R² needs physical parameters (dataset.params)")
    figures = {
        "overlap": overlap_figure(overlaps, k, titles),
        "trust": trust_figure(curves, ks),
        "cca": cca_figure(correlations, matching, a, b, titles),
        "r2": r2_figure(a.param_names, scores, titles) if scores is not None else no_params,
        "errors": error_figure(list(errors), titles, error_name),
    }
    return {"overlap_key": overlap_key, "figures": figures, "rows": rows, "shared": shared}


def _plain(values: list[float]) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in values]


def summary_children(
    rows: list[tuple[str, list[float], bool | None]], pair: tuple, shared: list
) -> list:
    """The summary table, then the figures the two models share."""
    listed = html.Ul(
        [html.Li(f"{label}: {value:.3f}") for label, value in shared], className="small mb-0"
    )
    return [summary_table(rows, pair), listed]


def _empty(message: str) -> go.Figure:
    figure = go.Figure()
    figure.add_annotation(text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return _layout(figure, "")


# ------------------------------------------------------------------ callbacks


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    parts = ("overlap", "trust", "r2", "cca", "errors")

    no_job = (None, no_update, None, "", True)  # table, request, token, status, watch

    @app.callback(
        Output(ids.part(MATCH, "summary"), "children"),
        Output(ids.part(MATCH, "status"), "children"),
        Output(ids.part(MATCH, "overlap-key"), "data"),
        Output(ids.part(MATCH, "table"), "data"),
        Output(meaning_ids.part(MATCH, "request"), "data"),
        Output(meaning_ids.part(MATCH, "token"), "data"),
        Output(meaning_ids.part(MATCH, "status"), "children"),
        Output(meaning_ids.part(MATCH, "watch"), "disabled"),
        *[Output(ids.part(MATCH, p), "figure") for p in parts],
        Input(ids.part(MATCH, "a"), "value"),
        Input(ids.part(MATCH, "b"), "value"),
        State(CONFIG_KEY, DATA),
    )
    def show_metrics(first: int, second: int, config_key: str):
        """Every figure of the chosen pair (computed once, then read from the cache); the
        disentanglement rows when stored, else a background job for them."""
        if config_key not in menu:
            raise PreventUpdate
        try:
            loaded, datasets = open_compare(menu[config_key])
        except ConfigError as error:
            return html.Pre(str(error)), "", None, *no_job, *[_empty("") for _ in parts]
        titles = [config_title(p) for p in loaded.members]
        if first == second:
            message = "Pick two different models."
            return None, message, None, *no_job, *[_empty(message) for _ in parts]
        a, b = datasets[first], datasets[second]
        names = (a.name, b.name) if a.name != b.name else (titles[first], titles[second])
        pair = (f"A: {names[0]}", f"B: {names[1]}")
        column = error_column(loaded, a)
        errors = tuple(
            np.asarray(d.column(column), dtype=np.float64)
            if column and column in {c.name for c in d.columns if c.numeric} else None
            for d in (a, b)
        )  # fmt: skip
        stored = disentanglement_scores(a, b, stored_only=True)
        meaning = disentanglement_values(stored) if stored else None
        result = compare(a, b, pair, loaded.config.comparison, errors, column, meaning)
        status = f"{a.n:,} samples; model A is {titles[first]}, model B is {titles[second]}."
        figures = [result["figures"][p] for p in parts]
        table = {
            "rows": [[label, _plain(values), higher] for label, values, higher in result["rows"]],
            "pair": pair,
            "shared": result["shared"],
            "a": first,
            "b": second,
        }
        job, token, says, watch = no_update, None, "", True
        if meaning is None and shared_targets(a, b):
            problem = background.worker_problem()
            if problem:
                says = html.Span(problem, className="text-danger")
            else:
                job = jobs.new_job(config=config_key, a=first, b=second)
                token, says, watch = job["token"], MEANING_RUNNING, False
        summary = summary_children(result["rows"], pair, result["shared"])
        return summary, status, result["overlap_key"], table, job, token, says, watch, *figures

    register_background_run(
        app,
        meaning_ids,
        work=meaning_work(menu),
        label=lambda job: "MIG and DCI of the two models",
        status_of=lambda result: (
            f"MIG and DCI of each model computed in {result['seconds']:.1f} s."
        ),
        running=[("cancel", "className", MEANING_CANCEL, MEANING_CANCEL + " d-none")],
    )

    @app.callback(
        Output(ids.part(MATCH, "summary"), "children", allow_duplicate=True),
        Input(meaning_ids.part(MATCH, "result"), "data"),
        State(ids.part(MATCH, "table"), "data"),
        prevent_initial_call=True,
    )
    def add_meaning(result: dict | None, table: dict | None):
        """The job's disentanglement rows join the table of the pair it was computed for."""
        if not result or not table or not result.get("values"):
            raise PreventUpdate
        if (result["a"], result["b"]) != (table["a"], table["b"]):
            raise PreventUpdate  # the pickers moved on: that pair's table is gone
        rows = [
            (label, [np.nan if v is None else float(v) for v in values], higher)
            for label, values, higher in table["rows"]
        ]
        rows += disentanglement_rows(result["values"])
        return summary_children(rows, tuple(table["pair"]), table["shared"])

    @app.callback(
        Output(DERIVED, DATA, allow_duplicate=True),
        Output(COLOR_REQUEST, DATA, allow_duplicate=True),
        Input(ids.part(ALL, "overlap-key"), "data"),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def colour_embeddings(keys: list[str | None], config_key: str):
        """The overlap (a value per sample, shared by the models) becomes a column of every
        model, and every model's embeddings are asked to colour by it."""
        key = next((k for k in keys if k), None)
        if key is None:
            raise PreventUpdate
        patch = Patch()
        for model in range(len(model_keys(menu, config_key) or [])):
            patch[str(model)][OVERLAP_COLUMN] = {"key": key, "index": None}
        return patch, color_request(OVERLAP_COLUMN, None, kinds=["embedding"])

    @app.callback(
        Output(SELECTION_MASK, DATA, allow_duplicate=True),
        Output(SELECTION, DATA, allow_duplicate=True),
        Input(ids.part(ALL, "select"), "n_clicks"),
        State(ids.part(ALL, "fraction"), "value"),
        State(ids.part(ALL, "overlap-key"), "data"),
        State(SELECTION, DATA),
        State(SELECTION_MODE, "value"),
        State(FILTER, DATA),
        prevent_initial_call=True,
    )
    def select_most_different(clicks, fractions, keys, current, mode, filtered):
        """The given share of (visible) samples with the lowest overlap, in the toolbar's mode."""
        if not any(clicks) or not keys or not keys[0]:
            raise PreventUpdate
        values = result_cache.load(keys[0])
        if values is None:
            raise PreventUpdate
        n = len(values)
        visible = selection_store.get((filtered or {}).get("key"), n)
        candidates = np.flatnonzero(visible) if visible is not None else np.arange(n)
        share = min(max(float(fractions[0] or 10), 1.0), 100.0) / 100.0
        count = max(1, round(share * len(candidates)))
        order = candidates[np.argsort(values[candidates], kind="stable")]
        fresh = np.zeros(n, dtype=bool)
        fresh[order[:count]] = True
        return new_selection(fresh, current, mode, filtered, "comparison")
