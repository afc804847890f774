"""Filters view (NDDAV's "Filtering"): range sliders that hide samples in every view.

One range slider per chosen numeric column, spanning the column's min..max. Releasing a handle
evaluates on the server which samples lie inside every range (of every filters panel on the
page), keeps that mask like a selection (`selection_store.put`) and writes the shared `filter`
store {key, count, n}; all ranges at full width write None (no filter). Views redraw with the
visible samples only (scatter, splom, parcoords, images, table). The filter is not the
selection: it decides what is shown at all; the selection is made among what is shown.

A handle at the end of its slider leaves that side open, so samples at a column's extreme are
never cut by the slider's rounding, and a column whose both handles sit at the ends filters
nothing (its NaN values stay visible; any narrower range hides NaN).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from pydantic import Field

from latent_dash import selection_store
from latent_dash.data import Dataset
from latent_dash.kinds import View, ViewOptions, numeric_option
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    DATASET_SIZE,
    DERIVED,
    FILTER,
    Page,
    Panel,
    PanelIds,
    panel_of,
)
from latent_dash.views.common import SOURCE_LABELS, column_options, labelled

KIND = "filters"


class FiltersOptions(ViewOptions):
    """Range sliders over chosen columns that hide samples in every view."""

    type: Literal["filters"] = "filters"

    columns: list[str] | None = numeric_option(
        "Numeric columns with a range slider (default: the params, else the first 3 latent dims)."
    )
    ranges: dict[str, tuple[float | None, float | None]] | None = Field(
        None,
        description="Ranges the sliders start at, {column: [low, high]} (null: open on that"
        " side; default: every slider at full width, nothing hidden).",
    )


STEPS = 200  # slider positions across a float column's range
DEFAULT_LATENT = 3

Range = tuple[float | None, float | None]


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every filters panel."""

    kind = KIND

    @classmethod
    def columns(cls, view) -> dict:
        """The multi-select column picker (numeric columns; refreshed with computed ones)."""
        return cls.part(view, "columns", picker="numeric")

    @classmethod
    def slider(cls, view, column: Any) -> dict:
        return cls.part(view, "range", column=column)

    @classmethod
    def readout(cls, view, column: Any) -> dict:
        """The slider's range in words, following the handles while they move."""
        return cls.part(view, "readout", column=column)


# --- pure parts ---------------------------------------------------------------------------------


def default_columns(dataset: Dataset, options: FiltersOptions) -> list[str]:
    """The configured columns, else the parameters, else the first 3 latent dims."""
    if options.columns:
        return list(options.columns)
    if dataset.param_names:
        return list(dataset.param_names)
    return list(dataset.latent_names[:DEFAULT_LATENT])


def numeric_values(dataset: Dataset, column: str) -> np.ndarray:
    return np.asarray(dataset.column(column), dtype=np.float64)


def slider_bounds(values: np.ndarray) -> tuple[float, float, float] | None:
    """(min, max, step) of a slider over the values; None when there is nothing to filter."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        return lo, lo + 1.0, 1.0  # a constant column: a slider that cannot exclude anything
    integer = np.all(finite == np.round(finite)) and hi - lo <= 1000
    step = 1.0 if integer else (hi - lo) / STEPS
    return lo, hi, step


def active_range(value: Any, lo: float, hi: float, step: float) -> Range | None:
    """The bounds a slider value [a, b] imposes: None per side at (half a step of) the slider's
    ends, or None altogether when both sides are open."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None
    try:
        a, b = sorted(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    low = None if a <= lo + step / 2 else a
    high = None if b >= hi - step / 2 else b
    return None if low is None and high is None else (low, high)


def range_mask(columns: list[tuple[np.ndarray, float | None, float | None]], n: int) -> np.ndarray:
    """Samples inside every (values, lo, hi) range; None is an open side; bounds inclusive.
    NaN is outside any range with a bound."""
    mask = np.ones(n, dtype=bool)
    for values, lo, hi in columns:
        values = np.asarray(values, dtype=np.float64)
        if lo is not None:
            mask &= values >= lo
        if hi is not None:
            mask &= values <= hi
    return mask


def filter_value(mask: np.ndarray | None) -> dict[str, Any] | None:
    """The `filter` store's value for a mask (None: no filter)."""
    if mask is None:
        return None
    return {"key": selection_store.put(mask), "count": int(mask.sum()), "n": int(mask.size)}


def count_text(filtered: dict | None, n: int | None) -> str:
    """ "37 of 120 visible" (the same words as the toolbar's count), or "all 120 visible"."""
    if filtered:
        return f"{filtered['count']:,} of {filtered['n']:,} visible"
    return f"all {n:,} visible" if n else ""


def _format(value: float) -> str:
    return f"{value:.4g}"


def slider_block(panel: Panel, dataset: Dataset, column: str, value: Any = None) -> html.Div | None:
    """A labelled range slider over one column (None when the column has no finite values)."""
    bounds = slider_bounds(numeric_values(dataset, column))
    if bounds is None:
        return None
    lo, hi, step = bounds
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        value = [lo, hi]
    value = [min(max(float(v), lo), hi) for v in value]
    source = next((c.source for c in dataset.columns if c.name == column), None)
    label = column + (f" ({SOURCE_LABELS[source]})" if source else "")
    return html.Div(
        [
            html.Div(
                [
                    html.Span(label, className="filters-label"),
                    html.Span(
                        range_text(value, lo, hi, step),
                        id=ids.readout(panel, column),
                        className="filters-readout",
                    ),
                ],
                className="filters-head",
            ),
            dcc.RangeSlider(
                id=ids.slider(panel, column),
                min=lo,
                max=hi,
                step=step,
                value=value,
                marks={lo: _format(lo), hi: _format(hi)},
                updatemode="mouseup",
                allowCross=False,
                allow_direct_input=False,
                className="filters-slider",
            ),
        ],
        className="filters-block",
    )


def range_text(value: list, lo: float, hi: float, step: float) -> str:
    """ "0.2 - 0.8" (an en dash), ">= 0.2", "<= 0.8" (as signs) or "all" for a slider's value."""
    active = active_range(value, lo, hi, step)
    if active is None:
        return "all"
    a, b = active
    if a is None:
        return f"\u2264 {_format(b)}"
    if b is None:
        return f"\u2265 {_format(a)}"
    return f"{_format(a)} \u2013 {_format(b)}"


def slider_blocks(
    panel: Panel, dataset: Dataset, columns: list[str], values: dict[str, Any] | None = None
) -> list[html.Div]:
    numeric = {c.name for c in dataset.columns if c.numeric}
    blocks = [
        slider_block(panel, dataset, c, (values or {}).get(c))
        for c in dict.fromkeys(columns or [])
        if c in numeric
    ]
    return [b for b in blocks if b is not None]


def panel_ranges(dataset: Dataset, values: list, slider_ids: list[dict]) -> dict[str, Range]:
    """{column: (lo, hi)} of the sliders not at full width."""
    ranges: dict[str, Range] = {}
    names = {c.name for c in dataset.columns if c.numeric}
    for value, slider in zip(values, slider_ids, strict=True):
        column = slider.get("column")
        if column not in names:
            continue
        bounds = slider_bounds(numeric_values(dataset, column))
        if bounds is None:
            continue
        active = active_range(value, *bounds)
        if active is not None:
            ranges[column] = active
    return ranges


def page_mask(dataset: Dataset, all_ranges: list[dict | None]) -> np.ndarray | None:
    """The mask of every filters panel's ranges together (None: nothing is filtered)."""
    items = []
    for ranges in all_ranges:
        for column, bounds in (ranges or {}).items():
            try:
                values = numeric_values(dataset, column)
            except KeyError:
                continue  # a computed column that is gone
            lo, hi = bounds
            items.append((values, lo, hi))
    if not items:
        return None
    return range_mask(items, dataset.n)


# --- layout and callbacks -----------------------------------------------------------------------


def layout(panel: Panel, options: FiltersOptions, dataset: Dataset) -> html.Div:
    """Column picker and Reset above one slider per column, and the visible count."""
    columns = default_columns(dataset, options)
    controls = dbc.Row(
        [
            dbc.Col(
                labelled(
                    "filter by",
                    dcc.Dropdown(
                        column_options(dataset, numeric_only=True),
                        columns,
                        multi=True,
                        id=ids.columns(panel),
                        placeholder="choose columns",
                    ),
                )
            ),
            dbc.Col(
                dbc.Button(
                    "Reset",
                    id=ids.part(panel, "reset"),
                    size="sm",
                    color="secondary",
                    outline=True,
                    title="every slider back to its full range",
                    className="filters-reset",
                ),
                width="auto",
                className="d-flex align-items-end",
            ),
        ],
        className="g-2 view-controls",
    )
    return html.Div(
        [
            controls,
            html.Div(
                count_text(None, dataset.n),
                id=ids.part(panel, "count"),
                className="filters-count text-muted",
            ),
            html.Div(
                slider_blocks(panel, dataset, columns, initial_values(dataset, options.ranges)),
                id=ids.part(panel, "sliders"),
                className="filters-sliders",
            ),
            dcc.Store(id=ids.part(panel, "ranges"), data=dict(options.ranges or {})),
        ],
        className="view-body filters-body",
    )


RESET_JS = """
function (clicks, mins, maxs) {
    if (!clicks) { return dash_clientside.no_update; }
    return mins.map((lo, j) => [lo, maxs[j]]);
}
"""

# the same words as range_text(), while a handle is dragged (drag_value) or after (value)
READOUT_JS = """
function (dragged, value, lo, hi, step) {
    const v = dragged || value;
    if (!v || v.length !== 2) { return dash_clientside.no_update; }
    const a = Math.min(v[0], v[1]), b = Math.max(v[0], v[1]);
    const fmt = (x) => String(parseFloat(x.toPrecision(4)));
    const low = a <= lo + step / 2 ? null : a;
    const high = b >= hi - step / 2 ? null : b;
    if (low === null && high === null) return "all";
    if (low === null) return "\u2264 " + fmt(high);
    if (high === null) return "\u2265 " + fmt(low);
    return fmt(low) + " \u2013 " + fmt(high);
}
"""

COUNT_JS = """
function (filtered, n, countIds) {
    const fmt = (k) => Number(k).toLocaleString("en-US");
    const text = filtered
        ? fmt(filtered.count) + " of " + fmt(filtered.n) + " visible"
        : (n ? "all " + fmt(n) + " visible" : "");
    return (countIds || []).map(() => text);
}
"""


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Sliders -> the panel's ranges -> the page's filter; column choice; reset; counts."""

    @app.callback(
        Output(ids.part(MATCH, "ranges"), "data"),
        Input(ids.slider(MATCH, ALL), "value"),
        State(ids.slider(MATCH, ALL), "id"),
        State(ids.part(MATCH, "ranges"), "data"),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def slid(values: list, slider_ids: list, before: dict | None, config_key: str, derived):
        """A released handle: the panel's ranges (only the sliders not at full width)."""
        page = Page(menu, config_key, derived)
        dataset = page.dataset
        ranges = panel_ranges(dataset, values, slider_ids)
        if ranges == _as_ranges(before):
            raise PreventUpdate
        return ranges

    @app.callback(
        Output(ids.part(MATCH, "sliders"), "children"),
        Output(ids.part(MATCH, "ranges"), "data", allow_duplicate=True),
        Input(ids.columns(MATCH), "value"),
        State(ids.slider(MATCH, ALL), "value"),
        State(ids.slider(MATCH, ALL), "id"),
        State(ids.part(MATCH, "ranges"), "data"),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def choose(columns: list | None, values: list, slider_ids: list, before, config_key, derived):
        """New columns: sliders for them (kept positions for columns kept); ranges of the rest
        dropped."""
        page = Page(menu, config_key, derived)
        dataset = page.dataset
        panel = panel_of(ctx.outputs_list[0]["id"])
        kept = {s["column"]: v for s, v in zip(slider_ids, values, strict=True)}
        blocks = slider_blocks(panel, dataset, columns or [], kept)
        shown = [c for c in dict.fromkeys(columns or []) if c in kept]
        ranges = panel_ranges(dataset, [kept[c] for c in shown], [{"column": c} for c in shown])
        return blocks, (ranges if ranges != _as_ranges(before) else no_update)

    @app.callback(
        Output(FILTER, DATA, allow_duplicate=True),
        Input(ids.part(ALL, "ranges"), "data"),
        State(FILTER, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call="initial_duplicate",  # ranges a config or a link starts with
    )
    def apply(all_ranges: list, current: dict | None, config_key: str, derived):
        """Every panel's ranges together -> the page's filter (None when nothing is filtered);
        each panel's ranges over its own model's columns (models have the same samples)."""
        masks = []
        for item, ranges in zip(ctx.inputs_list[0], all_ranges, strict=True):
            page = Page(menu, config_key, derived, model=panel_of(item["id"]).model)
            mask = page_mask(page.dataset, [ranges])
            if mask is not None:
                masks.append(mask)
        value = filter_value(np.logical_and.reduce(masks) if masks else None)
        if value == current:
            raise PreventUpdate
        return value

    app.clientside_callback(
        RESET_JS,
        Output(ids.slider(MATCH, ALL), "value"),
        Input(ids.part(MATCH, "reset"), "n_clicks"),
        State(ids.slider(MATCH, ALL), "min"),
        State(ids.slider(MATCH, ALL), "max"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        READOUT_JS,
        Output(ids.readout(MATCH, MATCH), "children"),
        Input(ids.slider(MATCH, MATCH), "drag_value"),
        Input(ids.slider(MATCH, MATCH), "value"),
        State(ids.slider(MATCH, MATCH), "min"),
        State(ids.slider(MATCH, MATCH), "max"),
        State(ids.slider(MATCH, MATCH), "step"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        COUNT_JS,
        Output(ids.part(ALL, "count"), "children"),
        Input(FILTER, DATA),
        Input(DATASET_SIZE, DATA),
        State(ids.part(ALL, "count"), "id"),
    )


def initial_values(dataset: Dataset, ranges: dict | None) -> dict[str, list[float]]:
    """Slider values of configured ranges: an open side (None) is the column's bound."""
    values = {}
    for column, (lo, hi) in (ranges or {}).items():
        numeric = {c.name for c in dataset.columns if c.numeric}
        bounds = slider_bounds(numeric_values(dataset, column)) if column in numeric else None
        if bounds is not None:
            values[column] = [bounds[0] if lo is None else lo, bounds[1] if hi is None else hi]
    return values


def _as_ranges(value: dict | None) -> dict[str, Range]:
    """A ranges store's value with tuples (JSON gives lists), for comparison."""
    return {k: tuple(v) for k, v in (value or {}).items()}


class Filters(View):
    kind = KIND
    label = "Filters"
    aliases = ("Filtering", "filter")
    Options = FiltersOptions
    linked = (
        ("columns", ids.columns(ALL), "value"),
        ("ranges", ids.part(ALL, "ranges"), "data"),
    )
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)
