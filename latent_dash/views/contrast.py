"""Contrast view (issue 16): how two groups of samples differ.

Pick two groups, A and B: the current selection, the rest (the visible samples not selected),
or a selection saved by name (latent_dash.saved_selections; the toolbar saves them). Both are
restricted to the samples the page's filter shows. The panel shows, from the pure module
`compute.contrast`:

- how well a cross-validated logistic regression tells A from B from the whole latent vector
  (balanced accuracy, chance 0.5 drawn beside it);
- the latent dims ranked by |standardised mean difference| (Cohen's d), the KS statistic beside
  each bar; a click on a bar shows that dim's images along it (the mean image of A and B's
  samples in each quantile bin of the dim, with the share of A in the bin) and its two
  histograms;
- the mean images of A and B and their difference on a diverging colour map (RdBu, symmetric
  around 0), and their variance images, when the dataset has images;
- overlaid histograms (densities) of every parameter and numeric metadata column.

Separation and separability are cached on disk (compute.contrast.cached_contrast), images and
histograms per process by the groups' content keys, so going back to a pair is instant.
Undefined cases (nothing selected, an empty group, the same samples twice) are a sentence.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from plotly.subplots import make_subplots
from pydantic import Field

from latent_dash import saved_selections, selection_store
from latent_dash.compute import contrast as cc
from latent_dash.data import Dataset
from latent_dash.imaging import (
    SUMMARY_LIMIT,
    channel_choices,
    display_range,
    pick_channel,
    png_bytes,
    summary_rows,
    to_rgb,
)
from latent_dash.kinds import ColorMap, View, ViewOptions, numeric_option
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    FILTER,
    SAVED_SELECTIONS,
    SELECTION,
    Page,
    Panel,
    PanelIds,
)
from latent_dash.storage import CacheUnavailable
from latent_dash.views.common import labelled
from latent_dash.views.image_uris import data_uri

KIND = "contrast"
SELECTED = "selection"
REST = "rest"
SAVED_PREFIX = "saved:"
# the toolbar's list of saved selections (ui/saved_selections.py): read here, never written

GROUP_LABELS = {SELECTED: "current selection", REST: "the rest (not selected)"}
COLORS = {"a": "#1f77b4", "b": "#ff7f0e"}
IMAGE_SIZE = 128
DIM_IMAGE_SIZE = 72
DIM_IMAGE_LIMIT = 500  # images averaged per quantile bin (a fixed random 500 above that)
MAX_HISTOGRAMS = 24
HIST_COLUMNS = 4


class ContrastOptions(ViewOptions):
    """Two groups of samples compared: images, histograms, dims ranked, a classifier."""

    type: Literal["contrast"] = "contrast"

    a: str = Field(
        SELECTED,
        description='Group A: "selection", "rest" (visible samples not selected) or the name of '
        'a saved selection ("saved:NAME" when the name is "selection" or "rest").',
    )
    b: str = Field(REST, description="Group B, as `a`.")
    top: int = Field(20, ge=1, le=256, description="Latent dims shown in the ranking.")
    bins: int = Field(5, ge=2, le=12, description="Quantile bins of a clicked dim's images.")
    columns: list[str] | None = numeric_option(
        "Numeric columns whose histograms are overlaid (default: every parameter and numeric"
        " metadata column, at most 24)."
    )
    cmap: ColorMap = Field("gray", description="Colour map of one-channel mean images.")


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every contrast panel."""

    kind = KIND


# ------------------------------------------------------------------ the two groups (no dash)


def choice_value(option: str) -> str:
    """A config's `a`/`b` as a dropdown value: "selection", "rest" or "saved:NAME"."""
    option = str(option).strip()
    if option in (SELECTED, REST) or option.startswith(SAVED_PREFIX):
        return option
    return SAVED_PREFIX + option


def group_options(records: list[dict] | None, extra: tuple[str, ...] = ()) -> list[dict]:
    """Dropdown options: the selection, the rest, then each saved selection with its count;
    `extra` values (chosen, not saved) are kept, marked "not saved"."""
    options = [{"label": label, "value": value} for value, label in GROUP_LABELS.items()]
    seen = set()
    for record in records or []:
        name = str(record.get("name"))
        seen.add(SAVED_PREFIX + name)
        count = record.get("count")
        label = f"{name} ({count:,})" if isinstance(count, int) else name
        options.append({"label": label, "value": SAVED_PREFIX + name})
    for value in extra:
        if value and value.startswith(SAVED_PREFIX) and value not in seen:
            name = value[len(SAVED_PREFIX) :]
            options.append({"label": f"{name} (not saved)", "value": value})
    return options


def describe(value: str) -> str:
    """A group's name in sentences."""
    if value in GROUP_LABELS:
        return GROUP_LABELS[value]
    return repr(value[len(SAVED_PREFIX) :]) if value.startswith(SAVED_PREFIX) else repr(value)


SavedLookup = Callable[[str], np.ndarray | None]


def group_mask(
    value: str, selected: np.ndarray | None, saved: SavedLookup, n: int
) -> tuple[np.ndarray | None, str | None]:
    """(mask over all N samples, problem): the group a dropdown value names."""
    if value == SELECTED:
        if selected is None or not selected.any():
            return None, (
                "Nothing is selected: select samples in a view (box, lasso, brush or a cluster "
                "card), or compare saved selections (pick them above)."
            )
        return selected, None
    if value == REST:
        return np.ones(n, bool) if selected is None else ~selected, None
    if value.startswith(SAVED_PREFIX):
        name = value[len(SAVED_PREFIX) :]
        try:
            found = saved(name)
        except (ValueError, CacheUnavailable) as error:
            return None, f"The saved selection {name!r} cannot be used: {error}"
        if found is None:
            return None, f"No selection named {name!r} is saved (deleted meanwhile?): pick another."
        return found, None
    return None, f"Unknown group {value!r}: pick one in the list."


def groups(
    a_value: str,
    b_value: str,
    selected: np.ndarray | None,
    visible: np.ndarray | None,
    saved: SavedLookup,
    n: int,
) -> tuple[np.ndarray | None, np.ndarray | None, str | None]:
    """(a, b, problem): both groups over the visible samples (`visible`: mask or None), or
    a sentence that says why they cannot be compared."""
    if selected is not None and visible is not None:
        if selected.any() and not (selected & visible).any() and SELECTED in (a_value, b_value):
            return None, None, "No selected sample is visible: the filter hides the selection."
        selected = selected & visible  # "selected" means the visible part of the selection
    a, problem = group_mask(a_value, selected, saved, n)
    if problem:
        return None, None, problem
    b, problem = group_mask(b_value, selected, saved, n)
    if problem:
        return None, None, problem
    if visible is not None:
        a, b = a & visible, b & visible
    for which, value, mask in (("A", a_value, a), ("B", b_value, b)):
        count = int(mask.sum())
        hidden = " (the filter hides the others)" if visible is not None else ""
        if count == 0:
            if value == REST:
                why = "everything visible is selected" if visible is not None else "all selected"
                return None, None, f"Group {which}, the rest, is empty: {why}."
            return None, None, f"Group {which} ({describe(value)}) has no visible samples."
        if count < 2:
            return (
                None,
                None,
                (
                    f"Group {which} ({describe(value)}) has 1 sample{hidden}: at least 2 in each "
                    "group are needed to compare them."
                ),
            )
    if np.array_equal(a, b):
        return (
            None,
            None,
            (f"A and B are the same {int(a.sum()):,} samples: pick two different groups."),
        )
    return a, b, None


# ------------------------------------------------------------------ figures (no callbacks)


def ranking_figure(
    separation: cc.DimSeparation, names: list[str], top: int = 20, labels=("A", "B")
) -> go.Figure:
    """Horizontal bars of |d| for the `top` dims by |d| (the best at the top), coloured by the
    group that is higher; each bar's KS statistic written beside it. customdata: dim name."""
    order = [int(j) for j in separation.order[:top] if np.isfinite(separation.smd[j])]
    smd = separation.smd[order]
    ks = separation.ks[order]
    dims = [names[j] for j in order]
    figure = go.Figure(
        go.Bar(
            x=np.abs(smd),
            y=dims,
            orientation="h",
            marker={"color": [COLORS["a"] if d > 0 else COLORS["b"] for d in smd]},
            text=[f"KS {k:.2f}" for k in ks],
            textposition="outside",
            cliponaxis=False,
            customdata=[
                [dim, float(d), float(k), float(p)]
                for dim, d, k, p in zip(dims, smd, ks, separation.p[order], strict=True)
            ],
            hovertemplate="%{y}: d = %{customdata[1]:.3f}, KS = %{customdata[2]:.3f}"
            " (p = %{customdata[3]:.2g})<extra></extra>",
        )
    )
    top_value = float(np.max(np.abs(smd))) if len(smd) else 1.0
    figure.update_layout(
        template="plotly_white",
        height=int(min(max(80 + 20 * len(dims), 200), 700)),
        margin={"l": 70, "r": 20, "t": 30, "b": 36},
        title={
            "text": f"|d| (bar: blue {labels[0]} higher, orange {labels[1]} higher) · KS beside",
            "font": {"size": 12},
            "x": 0.02,
        },
        xaxis={"range": [0, top_value * 1.3 + 1e-9], "fixedrange": True, "title": None},
        yaxis={"type": "category", "autorange": "reversed", "fixedrange": True},
        showlegend=False,
        uirevision="contrast",
    )
    return figure


def accuracy_text(result: cc.Separability) -> str:
    """The classifier's result in one sentence (or why it is undefined)."""
    if not result.defined:
        return f"No classifier: {result.reason}."
    capped = f" (a stratified sample of {result.n_a + result.n_b:,})" if result.capped else ""
    both = f"; {result.n_both:,} samples in both groups left out" if result.n_both else ""
    return (
        f"A logistic regression on the whole latent vector tells A from B with balanced accuracy "
        f"{result.balanced_accuracy:.2f} ± {result.balanced_sd:.2f} (chance 0.50; "
        f"{cc.CV_FOLDS}-fold cross-validated over {result.n_a:,} A and {result.n_b:,} B "
        f"samples{capped}{both}). Plain accuracy {result.accuracy:.2f}, majority rate "
        f"{result.chance:.2f}."
    )


def accuracy_figure(result: cc.Separability) -> go.Figure:
    """One bar: the balanced accuracy (± sd over the folds), chance (0.5) as a dashed line."""
    figure = go.Figure()
    if result.defined:
        figure.add_trace(
            go.Bar(
                x=[result.balanced_accuracy],
                y=["balanced accuracy"],
                orientation="h",
                error_x={"type": "data", "array": [result.balanced_sd], "thickness": 1},
                marker={"color": "#4c78a8"},
                text=[f"{result.balanced_accuracy:.2f}"],
                textposition="inside",
                hovertemplate="balanced accuracy %{x:.3f}<extra></extra>",
            )
        )
    figure.add_vline(
        x=0.5, line_dash="dash", line_color="#888", annotation_text="chance 0.5",
        annotation_position="top",
    )  # fmt: skip
    figure.update_layout(
        template="plotly_white",
        height=90,
        margin={"l": 120, "r": 20, "t": 22, "b": 22},
        xaxis={"range": [0, 1], "tickvals": [0, 0.25, 0.5, 0.75, 1], "fixedrange": True},
        yaxis={"fixedrange": True},
        showlegend=False,
    )
    return figure


def histogram_columns(dataset: Dataset, chosen: list[str] | None = None) -> list[str]:
    """Columns whose histograms are drawn: the chosen numeric ones, else every parameter and
    numeric metadata column; at most MAX_HISTOGRAMS."""
    numeric = [c for c in dataset.columns if c.numeric]
    if chosen:
        names = {c.name for c in numeric}
        return [name for name in chosen if name in names][:MAX_HISTOGRAMS]
    return [c.name for c in numeric if c.source in ("param", "metadata")][:MAX_HISTOGRAMS]


def column_matrix(dataset: Dataset, names: list[str]) -> np.ndarray:
    matrix = np.empty((dataset.n, len(names)))
    for j, name in enumerate(names):
        values = pd.to_numeric(pd.Series(dataset.column(name)), errors="coerce")
        matrix[:, j] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return matrix


def histogram_figure(hist: cc.Histograms, labels=("A", "B")) -> go.Figure:
    """Small multiples: per column, the densities of A and B overlaid on shared bins."""
    count = len(hist.names)
    cols = max(1, min(HIST_COLUMNS, count))
    rows = max(1, math.ceil(count / cols))
    figure = make_subplots(
        rows=rows, cols=cols, subplot_titles=list(hist.names) or None,
        horizontal_spacing=0.06, vertical_spacing=min(0.12, 0.5 / rows),
    )  # fmt: skip
    for j, name in enumerate(hist.names):
        edges = hist.edges[j]
        if not np.isfinite(edges).all():
            continue
        centres = (edges[:-1] + edges[1:]) / 2
        widths = np.diff(edges)
        for which, label in zip(("a", "b"), labels, strict=True):
            density = np.nan_to_num(hist.density(which)[j])
            figure.add_trace(
                go.Bar(
                    x=centres,
                    y=density,
                    width=widths,
                    name=label,
                    legendgroup=which,
                    showlegend=j == 0,
                    marker={"color": COLORS[which]},
                    opacity=0.55,
                    hovertemplate=f"{name} %{{x:.3g}}: {label} density %{{y:.3g}}<extra></extra>",
                ),
                row=j // cols + 1,
                col=j % cols + 1,
            )
    figure.update_layout(
        template="plotly_white",
        barmode="overlay",
        bargap=0,
        height=40 + 150 * rows,
        margin={"l": 30, "r": 10, "t": 40, "b": 20},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        uirevision="contrast",
    )
    figure.update_annotations(font_size=11)
    figure.update_yaxes(showticklabels=False, fixedrange=True)
    figure.update_xaxes(fixedrange=True, tickfont={"size": 9})
    return figure


# ------------------------------------------------------------------ images


def image_channel(dataset: Dataset) -> str:
    return channel_choices(dataset)[0]


def _images_of(dataset: Dataset, channel: str):
    return lambda rows: pick_channel(dataset.images(rows), channel)


def _capped(mask: np.ndarray, limit: int) -> np.ndarray:
    """The mask with at most `limit` members (imaging.summary_rows' fixed random sample)."""
    out = np.zeros_like(mask)
    out[summary_rows(np.flatnonzero(mask), limit)] = True
    return out


@lru_cache(maxsize=32)
def _group_images(dataset: Dataset, a_key: str, b_key: str, channel: str) -> cc.GroupImages:
    a = selection_store.get(a_key, dataset.n)
    b = selection_store.get(b_key, dataset.n)
    return cc.group_images(
        _images_of(dataset, channel), _capped(a, SUMMARY_LIMIT), _capped(b, SUMMARY_LIMIT)
    )


def _figure(src: str, label: str, note: str | None = None) -> html.Figure:
    caption: list[Any] = [label]
    if note:
        caption += [html.Br(), html.Small(note, className="text-muted")]
    return html.Figure(
        [html.Img(src=src, alt=label, className="contrast-image"), html.Figcaption(caption)],
        className="contrast-figure",
    )


def diff_png(diff: np.ndarray, size: int = IMAGE_SIZE) -> tuple[bytes, float]:
    """The difference image on RdBu, symmetric around 0 (blue: A higher); and its bound."""
    if diff.ndim == 3:
        diff = diff.mean(axis=-1)
    bound = float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 0.0
    bound = bound if bound > 0 else 1.0
    return png_bytes(to_rgb(np.nan_to_num(diff), -bound, bound, "RdBu"), size), bound


def images_children(dataset: Dataset, a_key: str, b_key: str, cmap: str, labels=("A", "B")) -> Any:
    """Mean images of A and B and their difference; variance images under them."""
    if not dataset.has_images:
        return None
    channel = image_channel(dataset)
    result = _group_images(dataset, a_key, b_key, channel)
    lo, hi = display_range(dataset, channel)
    top = float(max(np.nanmax(result.var_a), np.nanmax(result.var_b), 0.0))
    scale = top if top > 0 else 1.0
    diff, bound = diff_png(result.diff)
    limit = ""
    if max(result.n_a, result.n_b) >= 2_000:
        limit = " (at most a fixed random 2,000 of each group)"

    def png(image: np.ndarray, low: float, high: float) -> str:
        return data_uri(png_bytes(to_rgb(np.nan_to_num(image), low, high, cmap), IMAGE_SIZE))

    return html.Div(
        [
            html.Div(f"Mean and variance images{limit}", className="contrast-heading"),
            html.Div(
                [
                    _figure(png(result.mean_a, lo, hi), f"mean {labels[0]}"),
                    _figure(png(result.mean_b, lo, hi), f"mean {labels[1]}"),
                    _figure(
                        data_uri(diff),
                        f"{labels[0]} \u2212 {labels[1]}",
                        f"blue > 0 > red, ±{bound:.3g}",
                    ),
                    _figure(png(result.var_a, 0.0, scale), f"variance {labels[0]}", "/ max"),
                    _figure(png(result.var_b, 0.0, scale), f"variance {labels[1]}", "/ max"),
                ],
                className="contrast-images",
            ),
        ]
    )


def quantile_bins(values: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """(bin of each value 0..bins-1, edges): equal-count bins of the values."""
    edges = np.quantile(values, np.linspace(0, 1, bins + 1))
    which = np.clip(np.searchsorted(edges[1:-1], values, side="right"), 0, bins - 1)
    return which, edges


def dim_children(
    dataset: Dataset,
    dim: str,
    a: np.ndarray,
    b: np.ndarray,
    bins: int,
    cmap: str,
    labels=("A", "B"),
) -> Any:
    """A dim's two histograms and (with images) the mean image of each quantile bin of the dim
    over both groups' samples, captioned with its range and share of A."""
    if dim not in dataset.latent_names:
        return None
    j = dataset.latent_names.index(dim)
    values = np.asarray(dataset.latent[:, j], dtype=np.float64)
    hist = cc.histograms(values[:, None], a, b, names=[dim])
    figure = histogram_figure(hist, labels)
    figure.update_layout(height=170, margin={"l": 20, "r": 10, "t": 30, "b": 20})
    parts: list[Any] = [
        html.Div(f"Along {dim}", className="contrast-heading"),
        dcc.Graph(figure=figure, config={"displayModeBar": False}, className="contrast-dim-hist"),
    ]
    if dataset.has_images:
        rows = np.flatnonzero(a | b)
        which, edges = quantile_bins(values[rows], bins)
        channel = image_channel(dataset)
        lo, hi = display_range(dataset, channel)
        figures = []
        for k in range(bins):
            members = rows[which == k]
            if not len(members):
                continue
            used = summary_rows(members, DIM_IMAGE_LIMIT)
            mean = np.mean(pick_channel(dataset.images(used), channel), axis=0)
            share = float(a[members].mean())
            src = data_uri(png_bytes(to_rgb(mean, lo, hi, cmap), DIM_IMAGE_SIZE))
            note = f"{len(members):,} · {share:.0%} {labels[0]}"
            figures.append(_figure(src, f"{edges[k]:.2g} … {edges[k + 1]:.2g}", note))
        parts.append(html.Div(figures, className="contrast-images contrast-dim-images"))
    return html.Div(parts)


# ------------------------------------------------------------------ one state of the panel


@lru_cache(maxsize=32)
def _histograms(dataset: Dataset, a_key: str, b_key: str, names: tuple[str, ...]) -> cc.Histograms:
    a = selection_store.get(a_key, dataset.n)
    b = selection_store.get(b_key, dataset.n)
    return cc.histograms(column_matrix(dataset, list(names)), a, b, names=list(names))


def short_labels(a_value: str, b_value: str) -> tuple[str, str]:
    return (f"A ({describe(a_value)})", f"B ({describe(b_value)})")


def contrast_state(
    dataset: Dataset,
    a_value: str,
    b_value: str,
    selected: np.ndarray | None,
    visible: np.ndarray | None,
    saved: SavedLookup,
    options: dict,
) -> dict[str, Any]:
    """Everything the panel shows for one choice of groups: {"problem"} or the figures."""
    a, b, problem = groups(a_value, b_value, selected, visible, saved, dataset.n)
    if problem:
        return {"problem": problem}
    a_key, b_key = selection_store.put(a), selection_store.put(b)
    _, result = cc.cached_contrast(dataset.latent, a, b)
    separation, separability = result.separation, result.separability
    labels = ("A", "B")
    names = histogram_columns(dataset, options.get("columns"))
    top_dim = dataset.latent_names[int(separation.order[0])]
    caption = (
        f"A: {describe(a_value)}, {separation.n_a:,} samples · B: {describe(b_value)}, "
        f"{separation.n_b:,} samples"
        + (" (visible ones only: a filter is on)" if visible is not None else "")
        + ". Click a dim's bar to see the images along it."
    )
    return {
        "problem": None,
        "caption": caption,
        "accuracy_text": accuracy_text(separability),
        "accuracy": accuracy_figure(separability),
        "ranking": ranking_figure(
            separation, dataset.latent_names, int(options.get("top", 20)), labels
        ),
        "images": images_children(dataset, a_key, b_key, options.get("cmap", "gray"), labels),
        "histograms": histogram_figure(_histograms(dataset, a_key, b_key, tuple(names)), labels)
        if names
        else None,
        "groups": {"a": a_key, "b": b_key, "top": top_dim},
        "separation": separation,
        "separability": separability,
    }


# ------------------------------------------------------------------ layout and callbacks


GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": False}
HIDDEN = {"display": "none"}


def layout(panel: Panel, options: ContrastOptions, dataset: Dataset) -> html.Div:
    """Group pickers, the sentence of what is compared, and the results (filled by the
    callback, which runs at load: the saved selections belong to the page's config)."""
    a_value, b_value = choice_value(options.a), choice_value(options.b)
    extra = (a_value, b_value)
    pickers = dbc.Row(
        [
            dbc.Col(
                labelled(
                    "group A",
                    dcc.Dropdown(group_options([], extra), a_value, id=ids.part(panel, "a"),
                                 clearable=False, className="contrast-a"),
                )
            ),
            dbc.Col(html.Span("vs", className="contrast-vs"), width="auto"),
            dbc.Col(
                labelled(
                    "group B",
                    dcc.Dropdown(group_options([], extra), b_value, id=ids.part(panel, "b"),
                                 clearable=False, className="contrast-b"),
                )
            ),
        ],
        className="g-2 view-controls align-items-end",
    )  # fmt: skip
    results = html.Div(
        [
            html.Div(id=ids.part(panel, "caption"), className="contrast-caption"),
            html.Div(id=ids.part(panel, "accuracy-text"), className="contrast-accuracy-text"),
            dcc.Graph(id=ids.part(panel, "accuracy"), config=GRAPH_CONFIG,
                      className="contrast-accuracy"),
            html.Div(
                [
                    dcc.Graph(id=ids.part(panel, "ranking"), config=GRAPH_CONFIG,
                              className="contrast-ranking"),
                    html.Div(id=ids.part(panel, "dim"), className="contrast-dim"),
                ],
                className="contrast-row",
            ),
            html.Div(id=ids.part(panel, "images"), className="contrast-images-block"),
            dcc.Graph(id=ids.part(panel, "histograms"), config=GRAPH_CONFIG,
                      className="contrast-histograms"),
        ],
        id=ids.part(panel, "results"),
        style=HIDDEN,
    )  # fmt: skip
    first = None  # at first paint nothing is selected: say so at once (saved: the callback)
    if not {a_value, b_value} - {SELECTED, REST}:
        first = groups(a_value, b_value, None, None, lambda _: None, dataset.n)[2]
    settings = {
        "top": options.top,
        "bins": options.bins,
        "cmap": options.cmap,
        "columns": options.columns,
    }
    return html.Div(
        [
            pickers,
            html.Div(first, id=ids.part(panel, "message"), className="contrast-message text-muted"),
            dcc.Loading(results, delay_show=400, type="dot"),
            dcc.Store(id=ids.part(panel, "settings"), data=settings),
            dcc.Store(id=ids.part(panel, "groups"), data=None),
        ],
        className="view-body contrast-body",
    )


def saved_lookup(config_key: str, n: int) -> SavedLookup:
    return lambda name: saved_selections.mask(config_key, name, n)


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Recompute when A, B, the selection, the filter or the saved list change; a click on a
    dim's bar shows it along its quantiles."""

    @app.callback(
        Output(ids.part(ALL, "a"), "options"),
        Output(ids.part(ALL, "b"), "options"),
        Input(SAVED_SELECTIONS, DATA),
        State(ids.part(ALL, "a"), "value"),
        State(ids.part(ALL, "b"), "value"),
    )
    def list_saved(records: list | None, a_values: list, b_values: list):
        if not a_values:
            raise PreventUpdate
        options = [group_options(records, (a, b)) for a, b in zip(a_values, b_values, strict=True)]
        return options, options

    @app.callback(
        Output(ids.part(MATCH, "message"), "children"),
        Output(ids.part(MATCH, "results"), "style"),
        Output(ids.part(MATCH, "caption"), "children"),
        Output(ids.part(MATCH, "accuracy-text"), "children"),
        Output(ids.part(MATCH, "accuracy"), "figure"),
        Output(ids.part(MATCH, "ranking"), "figure"),
        Output(ids.part(MATCH, "images"), "children"),
        Output(ids.part(MATCH, "histograms"), "figure"),
        Output(ids.part(MATCH, "histograms"), "style"),
        Output(ids.part(MATCH, "groups"), "data"),
        Input(ids.part(MATCH, "a"), "value"),
        Input(ids.part(MATCH, "b"), "value"),
        Input(SELECTION, DATA),
        Input(FILTER, DATA),
        Input(SAVED_SELECTIONS, DATA),
        State(ids.part(MATCH, "settings"), "data"),
        State(CONFIG_KEY, DATA),
    )
    def update(a_value, b_value, selection, filtered, _saved, settings, config_key):
        page = Page(menu, config_key)
        dataset = page.dataset
        if not isinstance(a_value, str) or not isinstance(b_value, str):
            raise PreventUpdate
        follows = {a_value, b_value} & {SELECTED, REST}
        if ctx.triggered_id == SELECTION and not follows:
            raise PreventUpdate  # two saved selections: the current one plays no part
        state = contrast_state(
            dataset,
            a_value,
            b_value,
            page.selected(selection),
            page.visible_mask(filtered),
            saved_lookup(str(page.key), dataset.n),  # saved with the page's config
            settings or {},
        )
        if state["problem"]:
            empty = go.Figure()
            return (state["problem"], HIDDEN, None, None, empty, empty, None, empty, HIDDEN, None)
        histograms = state["histograms"]
        return (
            None,
            None,
            state["caption"],
            state["accuracy_text"],
            state["accuracy"],
            state["ranking"],
            state["images"],
            histograms if histograms is not None else go.Figure(),
            None if histograms is not None else HIDDEN,
            state["groups"],
        )

    @app.callback(
        Output(ids.part(MATCH, "dim"), "children"),
        Input(ids.part(MATCH, "ranking"), "clickData"),
        Input(ids.part(MATCH, "groups"), "data"),
        State(ids.part(MATCH, "settings"), "data"),
        State(CONFIG_KEY, DATA),
    )
    def show_dim(click, chosen, settings, config_key):
        if not chosen:
            return None
        page = Page(menu, config_key)
        dataset = page.dataset
        a = selection_store.get(chosen.get("a"), dataset.n)
        b = selection_store.get(chosen.get("b"), dataset.n)
        if a is None or b is None:
            return None
        points = (click or {}).get("points") or []
        dim = chosen.get("top")
        if points and isinstance(points[0].get("y"), str):
            dim = points[0]["y"]
        settings = settings or {}
        return dim_children(
            dataset, str(dim), a, b, int(settings.get("bins", 5)), settings.get("cmap", "gray")
        )


class Contrast(View):
    kind = KIND
    label = "Contrast"
    aliases = ("Compare selections", "Contrast selections")
    Options = ContrastOptions
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)
