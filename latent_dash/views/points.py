"""Points of scatter-like figures: WebGL traces whose customdata holds the sample indices.

Shared by every kind that plots samples as points (scatter, embedding, projection, peak shape):
one trace for a numeric colour, one per category so the legend names them; the indices are
delta-coded (pack_rows). The selection is never part of the figure (linking.py draws it).
"""

from __future__ import annotations

import base64

import numpy as np
import plotly.graph_objects as go

from latent_dash.data import Dataset
from latent_dash.views.palette import CATEGORY_COLORS, NUMERIC_SCALE, OTHER_COLOR

MAX_LEGEND_CATEGORIES = 30  # more values: the most frequent TOP_CATEGORIES and "other"
MODEBAR_MARGIN = 34  # px above the plot when a legend or colour bar shows: the mode bar's height
TOP_CATEGORIES = 20  # one distinct colour each (CATEGORY_COLORS has 21)


def marker_size(n: int) -> int:
    return 7 if n <= 2_000 else 5 if n <= 20_000 else 3


def _trace(xs, ys, rows, marker: dict, name: str | None) -> go.Scattergl:
    """One WebGL trace of the given rows. The selection is not part of the figure: a highlight
    canvas over the plot shows it (assets/selection.js), so plotly's own selection styles are
    made the same as the plain one (a box drawn here must not dim points a second time)."""
    return go.Scattergl(
        x=xs[rows],
        y=ys[rows],
        customdata=rows.astype(np.int32),
        mode="markers",
        name=name,
        showlegend=name is not None,
        marker=marker,
        hoverinfo="none",
        selected={"marker": {"opacity": 1}},
        unselected={"marker": {"opacity": 1}},
    )


def point_traces(
    dataset: Dataset,
    xs: np.ndarray,
    ys: np.ndarray,
    color: str | None,
    visible: np.ndarray | None = None,
) -> list[go.Scattergl]:
    """The point traces of a scatter-like view of (xs, ys) coloured by a dataset column.

    `visible` (sample indices) leaves out the samples a filter hides.
    """
    size = marker_size(dataset.n)
    everything = np.arange(dataset.n) if visible is None else np.asarray(visible)
    info = {c.name: c for c in dataset.columns}
    if color is None:
        return [_trace(xs, ys, everything, {"size": size, "color": CATEGORY_COLORS[0]}, None)]
    values = dataset.column(color)
    if info[color].categorical:
        names, codes, colors = category_groups(values)
        traces = [
            _trace(
                xs,
                ys,
                everything[codes[everything] == i],
                {"size": size, "color": colors[i]},
                name,
            )
            for i, name in enumerate(names)
        ]
        if colors[-1] == OTHER_COLOR:  # the last group is "other": drawn underneath
            traces[-1].legendrank = 2000  # and listed last
            traces = traces[-1:] + traces[:-1]
        return traces
    marker = {
        "size": size,
        "color": np.asarray(values, dtype=np.float32),
        "colorscale": NUMERIC_SCALE,
        "showscale": True,
        "colorbar": {"title": {"text": color}, "thickness": 12},
    }
    return [_trace(xs, ys, everything, marker, None)]


def category_groups(values: np.ndarray) -> tuple[list[str], np.ndarray, list[str]]:
    """(legend names, each value's group, each group's colour) of a categorical column.

    Up to MAX_LEGEND_CATEGORIES values each get a legend entry, sorted as text. Above that a
    legend of every value (61 modules of a code base) is unreadable and colours repeat, so the
    TOP_CATEGORIES most frequent values (ties: first as text) each get their own colour of the
    palette and an entry, sorted as text, and every other value joins one grey group, last,
    "other (K values)". Frequency keeps the most samples in a colour of their own; computed over
    the whole column, so every panel gives a value the same colour.
    """
    categories, codes = category_codes(values)
    palette = [CATEGORY_COLORS[i % len(CATEGORY_COLORS)] for i in range(len(categories))]
    if len(categories) <= MAX_LEGEND_CATEGORIES:
        return [str(c) for c in categories], codes, palette
    counts = np.bincount(codes, minlength=len(categories))
    top = np.sort(np.argsort(-counts, kind="stable")[:TOP_CATEGORIES])  # text order
    group = np.full(len(categories), len(top), dtype=np.int64)
    group[top] = np.arange(len(top))
    names = [str(categories[t]) for t in top] + [f"other ({len(categories) - len(top)} values)"]
    return names, group[codes], [*palette[: len(top)], OTHER_COLOR]


def category_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(categories as text, sorted as text; each value's code): np.unique over the text of the
    values, but sorting the raw values (a million ints in ~50 ms instead of ~1 s as strings)."""
    raw, codes = np.unique(np.asarray(values), return_inverse=True)
    text = raw.astype(str)
    order = np.argsort(text, kind="stable")
    text = text[order]
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    merged, first = np.unique(text, return_inverse=True)  # raw values with equal text merge
    return merged, first[rank[codes.ravel()]]


def pack_rows(figure: go.Figure) -> go.Figure:
    """Send each point trace's sample indices (customdata) as small deltas, not int32.

    Point traces hold increasing sample indices; their gaps fit in a byte or two (all ones for
    an unfiltered single trace). The customdata becomes plotly's typed-array object with one more
    key, {"dtype": "u1", "bdata": ..., "start": first index}: plotly ignores the key, and
    `arrayOf` in assets/selection.js turns it back into the indices (a running sum). At 1M points
    this saves 3 of the 4 bytes a point the indices cost (about 4 MB of base64).
    """
    for trace in figure.data:
        rows = trace._props.get("customdata")
        if not isinstance(rows, np.ndarray) or rows.ndim != 1 or rows.size < 2:
            continue
        if not np.issubdtype(rows.dtype, np.integer):
            continue
        gaps = np.diff(rows.astype(np.int64), prepend=int(rows[0]))
        if gaps[1:].min() <= 0:
            continue  # not increasing: left as it is
        top = int(gaps.max())
        dtype = np.uint8 if top <= 0xFF else np.uint16 if top <= 0xFFFF else None
        if dtype is None:
            continue
        bdata = base64.b64encode(gaps.astype(dtype).tobytes()).decode("ascii")
        trace._props["customdata"] = {
            "dtype": "u1" if dtype is np.uint8 else "u2",
            "bdata": bdata,
            "start": int(rows[0]),
        }
    return figure


def scatter_layout(figure: go.Figure, x_title: str, y_title: str, revision: str) -> go.Figure:
    pack_rows(figure)
    keyed = any(t.showlegend or (t.marker.showscale if t.marker else False) for t in figure.data)
    figure.update_layout(
        # a legend or colour bar starts under plotly's mode bar (top right), not beneath it
        margin={"l": 50, "r": 10, "t": MODEBAR_MARGIN if keyed else 10, "b": 45},
        xaxis_title=x_title,
        yaxis_title=y_title,
        uirevision=revision,
        dragmode="select",
        template="plotly_white",
        legend={"itemsizing": "constant"},
    )
    return figure
