"""Topological spine view (NDDAV's "Topological Spine" and "Topological Multi-Spine").

For a numeric column f (a parameter, an output, an error, a latent dim, a computed column), the
panel draws the extremum graph of f over the k-NN graph of the samples in latent space
(compute/graph.py, compute/topology.py): every maximum (or minimum, descending) is a node, and
the highest saddle between two adjacent basins an arc. The persistence slider merges the extrema
whose persistence is below a fraction of f's range into their neighbours, lowest first.

Layout ("mountain profile"): a node's height y is its f value and its x the first principal
component of its sample's latent vector (PC1 of the samples the spine is computed on); an arc
goes from one peak down to its saddle's height, midway, and up to the other peak, so the depth
of the valley between two peaks (their persistence) reads directly; backbone arcs (a maximum
spanning tree of the saddles) are solid, the others dotted. Peaks near each other in
latent space (along its main axis) stand near each other. Both spines of a multi-spine share the
x axis meaning, so one can see whether the two functions peak in the same latent regions.
Marker area is proportional to the basin size, colour is f; the outline grows with the fraction
of the basin that is selected (red). Clicking a node selects its basin (in the toolbar's mode);
hovering one rings it (a clientside Patch, no server call) and its hover text gives f,
persistence and basin size.

The spine is computed on the samples the page's filter shows (and whose f is finite): a basin
is then a set of visible samples, and a hidden sample can't pull a path up through itself. The
graph is cached per set of samples (disk + memory), the extremum graph takes ~0.1 s at 10,000
samples, so every redraw recomputes it rather than storing state in the browser.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
import plotly.graph_objects as go
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from plotly.subplots import make_subplots
from pydantic import Field

from latent_dash.compute import graph as graphs
from latent_dash.compute import topology
from latent_dash.data import Dataset
from latent_dash.kinds import View, ViewOptions, numeric_option
from latent_dash.page import (
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
    new_selection,
    panel_of,
)
from latent_dash.views.common import column_options, labelled
from latent_dash.views.palette import NUMERIC_SCALE

KIND = "topology"


class TopologyOptions(ViewOptions):
    """The extremum graph ("topological spine") of a function over the latent k-NN graph."""

    type: Literal["topology"] = "topology"

    function: str | None = numeric_option(
        "Numeric column whose maxima (or minima) and their basins are drawn (default: the first"
        " parameter, else the first numeric metadata column, else the first latent dim)."
    )
    second: str | None = numeric_option(
        "A second numeric column whose spine is drawn beside the first, over the same graph"
        " (NDDAV's multi-spine; default: none)."
    )
    k: int = Field(10, ge=2, le=50, description="Neighbours per sample in the k-NN graph.")
    pruning: Literal["none", "rng", "gabriel"] = Field(
        "none", description="Thin the k-NN graph: none, relaxed relative-neighbourhood or Gabriel."
    )
    descending: bool = Field(False, description="Minima and descending basins, not maxima.")
    persistence: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Simplification: merge extrema whose persistence is below"
        " this fraction of the function's range.",
    )


SELECTED_COLOR = "#d62728"
NODE_MIN, NODE_MAX = 10, 46  # marker diameters in px: area grows with the basin size
RING = "ring"  # meta of the hover ring trace
NODES = "nodes"  # meta of the node traces
DIRECTIONS = {"ascending": "maxima", "descending": "minima"}
PRUNING_LABELS = {"none": "k-NN", "rng": "relaxed RNG", "gabriel": "relaxed Gabriel"}


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every topology panel."""

    kind = KIND

    @classmethod
    def picker(cls, view, part: str) -> dict:
        """The function pickers (numeric columns: refreshed when columns are computed)."""
        return cls.part(view, part, picker="numeric")


# --- pure parts ---------------------------------------------------------------------------------


def default_function(dataset: Dataset) -> str:
    """The first parameter, else the first numeric metadata column, else the first latent dim."""
    for source in ("param", "metadata"):
        for column in dataset.columns:
            if column.source == source and column.numeric:
                return column.name
    return dataset.latent_names[0]


@dataclass(frozen=True)
class Settings:
    """What a panel's controls ask for."""

    functions: tuple[str, ...]
    k: int = 10
    pruning: str = "none"
    descending: bool = False
    fraction: float = 0.05  # persistence threshold, as a fraction of each function's range


@dataclass(frozen=True, eq=False)
class SpineView:
    """One function's simplified spine over some samples: `rows[label]` are sample indices."""

    name: str
    rows: np.ndarray  # the samples it is computed on (visible, finite f)
    spine: topology.Spine  # simplified
    before: int  # extrema before simplification
    edges: int  # graph edges
    seconds: float

    def basin_rows(self, position: int) -> np.ndarray:
        return self.rows[self.spine.labels == position]


def settings_from(values: dict[str, Any], dataset: Dataset) -> Settings:
    """Settings from control values, with anything missing or invalid at its default."""
    names = {c.name for c in dataset.columns if c.numeric}
    first = values.get("function") if values.get("function") in names else None
    first = first or default_function(dataset)
    second = values.get("second")
    functions = (first, second) if second in names else (first,)
    try:
        k = min(50, max(2, int(values.get("k") or 10)))
    except (TypeError, ValueError):
        k = 10
    pruning = values.get("pruning") if values.get("pruning") in graphs.PRUNINGS else "none"
    try:
        fraction = min(1.0, max(0.0, float(values.get("fraction") or 0.0)))
    except (TypeError, ValueError):
        fraction = 0.0
    return Settings(functions, k, pruning, values.get("direction") == "descending", fraction)


def spines(
    dataset: Dataset, settings: Settings, visible: np.ndarray | None = None
) -> list[SpineView]:
    """The simplified spine of each function of the settings, over the visible samples."""
    rows = np.arange(dataset.n) if visible is None else np.asarray(visible, dtype=np.int64)
    out = []
    for name in settings.functions:
        start = time.perf_counter()
        values = np.asarray(dataset.column(name), dtype=np.float64)
        here = rows[np.isfinite(values[rows])]
        if len(here) == 0:
            continue
        points = dataset.latent if len(here) == dataset.n else dataset.latent[here]
        graph = graphs.knn_graph(points, settings.k, settings.pruning)
        full = topology.extremum_graph(values[here], graph, settings.descending)
        simple = topology.simplify(full, settings.fraction * full.span)
        seconds = time.perf_counter() - start
        out.append(SpineView(name, here, simple, full.count, graph.size, seconds))
    return out


def pc1(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, unit first principal axis) of some latent vectors (sign: largest entry positive)."""
    points = np.asarray(points, dtype=np.float64)
    mean = points.mean(axis=0)
    if len(points) < 2:
        axis = np.zeros(points.shape[1])
        axis[0] = 1.0
        return mean, axis
    sample = points[:: max(1, len(points) // 5000)] - mean  # PC1 of at most ~5,000 samples
    # the D x D scatter matrix by einsum (in this thread: a threaded BLAS call waits for busy
    # cores, 1 s at 5,000 x 16 on a loaded machine), then its top eigenvector
    scatter = np.einsum("ij,ik->jk", sample, sample)
    axis = np.linalg.eigh(scatter)[1][:, -1]
    return mean, axis * (1.0 if axis[np.argmax(np.abs(axis))] >= 0 else -1.0)


def selected_fraction(view: SpineView, mask: np.ndarray | None) -> np.ndarray:
    """Fraction of each basin that is selected (zeros with no selection)."""
    spine = view.spine
    if mask is None:
        return np.zeros(spine.count)
    weights = mask[view.rows].astype(np.float64)
    hits = np.bincount(spine.labels, weights=weights, minlength=spine.count)
    return hits / np.maximum(spine.sizes, 1)


def _what(spine: topology.Spine) -> str:
    return "minimum" if spine.descending else "maximum"


def node_texts(view: SpineView, fraction: np.ndarray, dataset: Dataset) -> list[str]:
    """Hover text of each peak; its sample is named by its row in the user's files."""
    spine = view.spine
    texts = []
    for p in range(spine.count):
        persistence = spine.persistence[p]
        share = 100 * persistence / spine.span if spine.span else 0.0
        never = spine.merges_into[p] < 0
        sample = dataset.file_row(view.rows[spine.extrema[p]])
        texts.append(
            f"{_what(spine)} {p + 1} (sample {sample})<br>"
            f"{view.name} = {spine.values[p]:.4g}<br>"
            + ("persistence: never merges<br>" if never else
               f"persistence = {persistence:.4g} ({share:.1f} % of range)<br>")
            + f"basin: {int(spine.sizes[p]):,} samples"
            + (f", {100 * fraction[p]:.0f} % selected" if fraction[p] > 0 else "")
            + "<br>click: select the basin"
        )  # fmt: skip
    return texts


def spine_traces(
    view: SpineView, dataset: Dataset, axis: tuple[np.ndarray, np.ndarray], panel: int,
    mask: np.ndarray | None,
) -> list[go.Scatter]:  # fmt: skip
    """Arcs (lines down to each saddle and up: the backbone solid, the other arcs dotted),
    saddle markers and nodes of one spine."""
    spine = view.spine
    mean, direction = axis
    x = ((dataset.latent[view.rows[spine.extrema]] - mean) @ direction).astype(np.float64)
    y = spine.values.astype(np.float64)
    a, b = spine.arc_a, spine.arc_b
    mid = (x[a] + x[b]) / 2
    tree = topology.tree_arcs(spine)

    def polyline(which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Peak, saddle, peak, gap for each chosen arc."""
        ia, ib, nan = a[which], b[which], np.full(int(which.sum()), np.nan)
        xs = np.column_stack([x[ia], mid[which], x[ib], nan]).ravel().astype(np.float32)
        ys = np.column_stack([y[ia], spine.arc_value[which], y[ib], nan]).ravel()
        return xs, ys.astype(np.float32)

    tree_x, tree_y = polyline(tree)
    other_x, other_y = polyline(~tree)
    saddle_text = [
        f"saddle of {_what(spine)}s {int(i) + 1} and {int(j) + 1}<br>{view.name} = {v:.4g}"
        f" (sample {dataset.file_row(view.rows[s])})"
        for i, j, v, s in zip(a, b, spine.arc_value, spine.arc_saddle, strict=True)
    ]
    fraction = selected_fraction(view, mask)
    total = max(1, int(spine.sizes.sum()))
    sizes = NODE_MIN + (NODE_MAX - NODE_MIN) * np.sqrt(spine.sizes / total)
    outline = np.where(fraction > 0, SELECTED_COLOR, "#444444").tolist()
    return [
        go.Scatter(
            x=other_x, y=other_y, mode="lines",
            line={"color": "#c0c0c0", "width": 1, "dash": "dot"},
            hoverinfo="skip", showlegend=False, meta="arcs",
        ),
        go.Scatter(
            x=tree_x, y=tree_y, mode="lines", line={"color": "#666666", "width": 2},
            hoverinfo="skip", showlegend=False, meta="tree",
        ),
        go.Scatter(
            x=mid.astype(np.float32), y=spine.arc_value.astype(np.float32), mode="markers",
            marker={"symbol": "diamond", "size": 7, "color": "#888888"},
            hovertext=saddle_text, hoverinfo="text", showlegend=False, meta="saddles",
        ),
        go.Scatter(
            x=x.astype(np.float32),
            y=y.astype(np.float32),
            mode="markers",
            marker={
                "size": sizes.astype(np.float32),
                "color": y.astype(np.float32),
                "colorscale": NUMERIC_SCALE,
                "cmin": float(y.min()) if len(y) else 0.0,
                "cmax": float(y.max()) if len(y) else 1.0,
                "line": {"width": (1 + 5 * fraction).tolist(), "color": outline},
                "opacity": 0.9,
            },
            # the peak's position among all samples (basin_mask looks it up there)
            customdata=[[int(s), panel] for s in view.rows[spine.extrema].tolist()],
            hovertext=node_texts(view, fraction, dataset),
            hoverinfo="text",
            showlegend=False,
            meta=NODES,
            cliponaxis=False,
        ),
    ]  # fmt: skip


def padded(values: np.ndarray, share: float) -> list[float]:
    """[low, high] of some values widened by a share of their spread (1 for a single value)."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return [-1.0, 1.0]
    low, high = float(values.min()), float(values.max())
    pad = (high - low) * share or max(abs(low), 1.0) * 0.5
    return [low - pad, high + pad]


def spine_figure(
    dataset: Dataset, views: list[SpineView], mask: np.ndarray | None, revision: str
) -> go.Figure:
    """One subplot per function (two side by side for a multi-spine), plus the hover ring."""
    count = max(1, len(views))
    titles = [
        f"{v.name}: {v.spine.count} {'minima' if v.spine.descending else 'maxima'}" for v in views
    ]
    figure = make_subplots(rows=1, cols=count, subplot_titles=titles or None,
                           horizontal_spacing=0.1)  # fmt: skip
    for c, view in enumerate(views):
        axis = pc1(dataset.latent[view.rows])
        traces = spine_traces(view, dataset, axis, c, mask)
        for trace in traces:
            figure.add_trace(trace, row=1, col=c + 1)
        # fixed ranges: the hover ring and selection outlines must not move the axes
        nodes = traces[-1]
        xs = np.asarray(nodes.x, dtype=np.float64)
        ys = np.r_[np.asarray(nodes.y, dtype=np.float64), view.spine.arc_value]
        figure.update_xaxes(title_text="latent PC1", zeroline=False, range=padded(xs, 0.12),
                            row=1, col=c + 1)  # fmt: skip
        figure.update_yaxes(title_text=view.name, range=padded(ys, 0.1), row=1, col=c + 1)
    figure.add_trace(
        go.Scatter(
            x=[], y=[], mode="markers", hoverinfo="skip", showlegend=False, meta=RING,
            marker={"symbol": "circle-open", "size": NODE_MAX + 8, "color": SELECTED_COLOR,
                    "line": {"width": 3}},
        )
    )  # fmt: skip
    figure.update_layout(
        margin={"l": 55, "r": 10, "t": 50, "b": 45},
        template="plotly_white",
        uirevision=revision,
        hovermode="closest",
        dragmode="zoom",
    )
    figure.update_annotations(font_size=12)
    return figure


def status_text(views: list[SpineView], settings: Settings, n_visible: int, n: int) -> str:
    if not views:
        return "No sample has a finite value of the chosen function."
    parts = []
    for v in views:
        what = "minima" if v.spine.descending else "maxima"
        parts.append(f"{v.name}: {v.spine.count} {what} of {v.before}")
    graph = f"{PRUNING_LABELS[settings.pruning]} graph, k = {settings.k}, {views[0].edges:,} edges"
    shown = f"{n_visible:,} visible of {n:,} samples" if n_visible < n else f"{n:,} samples"
    took = sum(v.seconds for v in views)
    return f"{'; '.join(parts)} · {graph} · {shown} · {took:.2f} s"


def basin_mask(dataset: Dataset, views: list[SpineView], panel: int, sample: int) -> np.ndarray:
    """The basin (a sample mask) of the extremum at `sample` in spine number `panel`."""
    mask = np.zeros(dataset.n, dtype=bool)
    if not 0 <= panel < len(views):
        return mask
    view = views[panel]
    at = np.flatnonzero(view.rows[view.spine.extrema] == sample)
    if len(at):
        mask[view.basin_rows(int(at[0]))] = True
    return mask


# --- layout and callbacks -----------------------------------------------------------------------


def layout(panel: Panel, options: TopologyOptions, dataset: Dataset) -> html.Div:
    """Function pickers, direction, graph and persistence controls above the spine figure."""
    o = TopologyOptions.model_validate(options)
    choices = column_options(dataset, numeric_only=True)
    values = {
        "function": o.function,
        "second": o.second,
        "k": o.k,
        "pruning": o.pruning,
        "direction": "descending" if o.descending else "ascending",
        "fraction": o.persistence,
    }
    settings = settings_from(values, dataset)
    controls = dbc.Row(
        [
            dbc.Col(labelled("function", dcc.Dropdown(
                choices, settings.functions[0], id=ids.picker(panel, "function"),
                clearable=False, className="topology-function",
            )), md=3),
            dbc.Col(labelled("second function", dcc.Dropdown(
                choices, o.second, id=ids.picker(panel, "second"), placeholder="none",
                className="topology-second",
            )), md=3),
            dbc.Col(labelled("extrema", dbc.RadioItems(
                id=ids.part(panel, "direction"),
                value=values["direction"],
                options=[{"label": v, "value": k} for k, v in DIRECTIONS.items()],
                inline=True,
                input_class_name="btn-check",
                label_class_name="btn btn-outline-secondary btn-sm",
                label_checked_class_name="active",
                className="topology-direction",
            )), width="auto"),
            dbc.Col(labelled("k", dbc.Input(
                id=ids.part(panel, "k"), type="number", min=2, max=50, step=1, value=o.k,
                debounce=True, size="sm", className="topology-k",
            )), width="auto"),
            dbc.Col(labelled("graph", dcc.Dropdown(
                [{"label": v, "value": k} for k, v in PRUNING_LABELS.items()], o.pruning,
                id=ids.part(panel, "pruning"), clearable=False, className="topology-pruning",
            )), md=2),
        ],
        className="g-2 view-controls",
    )  # fmt: skip
    slider = labelled(
        "simplify: merge extrema with persistence below (fraction of the function's range)",
        dcc.Slider(
            0,
            1,
            0.01,
            value=o.persistence,
            marks={v: f"{round(100 * v)} %" for v in (0, 0.25, 0.5, 0.75, 1)},
            id=ids.part(panel, "fraction"),
            tooltip={"placement": "bottom"},
            className="topology-slider",
        ),
    )
    start = spines(dataset, settings)
    graph = dcc.Graph(
        id=ids.part(panel, "graph"),
        figure=spine_figure(dataset, start, None, "|".join(settings.functions)),
        className="view-graph topology-graph",
        config={"displaylogo": False},
        clear_on_unhover=True,
    )
    status = html.Small(
        status_text(start, settings, dataset.n, dataset.n),
        id=ids.part(panel, "status"),
        className="topology-status text-muted",
    )
    return html.Div([controls, slider, graph, status], className="view-body topology-body")


# Hovering a node rings it: a Patch of the ring trace (the last one), no server round trip.
HOVER_RING = """
function (hover, figure) {
    const dc = window.dash_clientside;
    const data = (figure && figure.data) || [];
    const ring = data.findIndex((t) => t.meta === "ring");
    if (ring < 0) { return dc.no_update; }
    const patch = new dc.Patch();
    const p = hover && hover.points && hover.points[0];
    const trace = p ? data[p.curveNumber] : null;
    if (!trace || trace.meta !== "nodes") {
        patch.assign(["data", ring, "x"], []);
        patch.assign(["data", ring, "y"], []);
        return patch.build();
    }
    patch.assign(["data", ring, "x"], [p.x]);
    patch.assign(["data", ring, "y"], [p.y]);
    patch.assign(["data", ring, "xaxis"], trace.xaxis || "x");
    patch.assign(["data", ring, "yaxis"], trace.yaxis || "y");
    patch.assign(["data", ring, "marker", "size"], p["marker.size"] + 10);
    return patch.build();
}
"""

CONTROL_PARTS = ("direction", "k", "pruning", "fraction")


def _values(function, second, direction, k, pruning, fraction) -> dict[str, Any]:
    return {
        "function": function,
        "second": second,
        "direction": direction,
        "k": k,
        "pruning": pruning,
        "fraction": fraction,
    }


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Redraw on any control, the filter or the selection; click selects a basin; hover rings."""

    @app.callback(
        Output(ids.part(MATCH, "graph"), "figure"),
        Output(ids.part(MATCH, "status"), "children"),
        Input(ids.picker(MATCH, "function"), "value"),
        Input(ids.picker(MATCH, "second"), "value"),
        *(Input(ids.part(MATCH, part), "value") for part in CONTROL_PARTS),
        Input(FILTER, DATA),
        Input(SELECTION, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def draw(function, second, direction, k, pruning, fraction, filtered, selection,
             config_key, derived):  # fmt: skip
        page = Page(menu, config_key, derived)
        dataset = page.dataset
        values = _values(function, second, direction, k, pruning, fraction)
        settings = settings_from(values, dataset)
        visible = page.visible(filtered)
        views = spines(dataset, settings, visible)
        mask = page.selected(selection)
        figure = spine_figure(dataset, views, mask, "|".join(settings.functions))
        shown = dataset.n if visible is None else len(visible)
        return figure, status_text(views, settings, shown, dataset.n)

    @app.callback(
        Output(SELECTION_MASK, DATA, allow_duplicate=True),
        Output(SELECTION, DATA, allow_duplicate=True),
        Input(ids.part(ALL, "graph"), "clickData"),
        State(ids.picker(ALL, "function"), "value"),
        State(ids.picker(ALL, "second"), "value"),
        *(State(ids.part(ALL, part), "value") for part in CONTROL_PARTS),
        State(SELECTION, DATA),
        State(SELECTION_MODE, "value"),
        State(FILTER, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def select_basin(clicks, functions, seconds, directions, ks, prunings, fractions,
                     current, mode, filtered, config_key, derived):  # fmt: skip
        """A click on a node selects its basin (visible samples), in the toolbar's mode."""
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict):
            raise PreventUpdate
        views = [panel_of(item["id"]) for item in ctx.inputs_list[0]]
        at = views.index(panel_of(trigger))
        click = clicks[at]
        point = ((click or {}).get("points") or [None])[0]
        custom = (point or {}).get("customdata")
        if not isinstance(custom, list) or len(custom) != 2:
            raise PreventUpdate  # not a node (an arc, a saddle)
        page = Page(menu, config_key, derived)
        dataset = page.dataset
        values = _values(functions[at], seconds[at], directions[at], ks[at], prunings[at],
                         fractions[at])  # fmt: skip
        settings = settings_from(values, dataset)
        spine_views = spines(dataset, settings, page.visible(filtered))
        fresh = basin_mask(dataset, spine_views, int(custom[1]), int(custom[0]))
        if not fresh.any():
            raise PreventUpdate
        return new_selection(fresh, current, mode, filtered, panel_of(trigger).source)

    app.clientside_callback(
        HOVER_RING,
        Output(ids.part(MATCH, "graph"), "figure", allow_duplicate=True),
        Input(ids.part(MATCH, "graph"), "hoverData"),
        State(ids.part(MATCH, "graph"), "figure"),
        prevent_initial_call=True,
    )


class Topology(View):
    kind = KIND
    label = "Topological spine"
    aliases = ("Topological Spine", "Topological Multi-Spine")
    Options = TopologyOptions
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)
