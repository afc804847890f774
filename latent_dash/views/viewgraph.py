"""View graph (NDDAV's ViewGraph / OptimalAxisAlign): the most telling pairs of latent dims.

Every pair (i, j) of latent dims is scored (compute.projection.ranked_pairs, cached on disk) by
how well the 2-D view keeps the latent neighbourhoods (mean Jaccard overlap of the 10 nearest
neighbours, over at most 2,000 anchor samples), or, when a categorical `separate_by` column is
chosen, by how well it separates those classes (silhouette). The `top` best views are drawn as
small PNG scatter thumbnails made on the server (Pillow: no WebGL context per thumbnail, a few
KB each), placed on a grid so that similar views sit side by side (classical MDS of the view
similarity, then an optimal assignment to the grid cells), each labelled with its dims and score.

Clicking a thumbnail rotates every dynamic projection view of the page to that pair (their
`target` stores, an ALL id: no global store) and shows the view larger in this panel; without a
projection view the larger view and a hint to add one are shown instead. The ranking uses the
samples the page's filter lets through.
"""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from PIL import Image
from pydantic import Field

from latent_dash.compute import projection as compute
from latent_dash.data import Dataset
from latent_dash.kinds import View, ViewOptions, column_option
from latent_dash.page import (
    CONFIG_KEY,
    DATA,
    DERIVED,
    FILTER,
    PROJECTION_REQUEST,
    Page,
    Panel,
    PanelIds,
    panel_of,
)
from latent_dash.views.common import drawn_rows, labelled, number_box
from latent_dash.views.palette import CATEGORY_COLORS
from latent_dash.views.requests import projection_request

KIND = "viewgraph"


class ViewgraphOptions(ViewOptions):
    """Thumbnails of the best pairs of latent dims, laid out by similarity; click to rotate."""

    type: Literal["viewgraph"] = "viewgraph"

    top: int = Field(12, ge=1, le=60, description="Number of views (dim pairs) shown.")
    separate_by: str | None = column_option(
        "Categorical column: rank views by how well they separate its classes (silhouette)"
        " instead of by neighbourhood preservation (default: none)."
    )


TOP = 12
THUMB_SIZE = 120
PREVIEW_SIZE = 280
THUMB_POINTS = 2_000
PREVIEW_POINTS = 10_000
BASE_COLOR = (31, 119, 180)


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every view-graph panel."""

    kind = KIND

    @classmethod
    def separate_by(cls, view) -> dict:
        """Column picker (refreshed when columns are computed, e.g. cluster labels)."""
        return cls.part(view, "separate_by", picker="all")

    @classmethod
    def thumb(cls, view, pair: Any) -> dict:
        """One thumbnail; `pair` is "x|y" (dim names)."""
        return cls.part(view, "thumb", pair=pair)


# --- pictures -------------------------------------------------------------------------------------


def _rgb(color: str) -> tuple[int, int, int]:
    text = color.strip()
    if text.startswith("#"):
        return tuple(int(text[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
    values = text[text.index("(") + 1 : text.index(")")].split(",")
    return tuple(int(float(v)) for v in values[:3])  # type: ignore[return-value]


def scatter_png(xs: np.ndarray, ys: np.ndarray, codes: np.ndarray | None, size: int) -> bytes:
    """A small scatter picture: density shading, or category colours when `codes` are given."""
    keep = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[keep], ys[keep]
    codes = None if codes is None else codes[keep]
    image = np.full((size, size, 3), 255, dtype=np.uint8)
    if len(xs):
        margin = 3
        span = size - 2 * margin - 2

        def pixels(values: np.ndarray) -> np.ndarray:
            lo, hi = float(values.min()), float(values.max())
            scale = span / (hi - lo) if hi > lo else 0.0
            return (margin + (values - lo) * scale + (span / 2 if scale == 0 else 0)).astype(int)

        px, py = pixels(xs), size - 2 - pixels(ys)
        if codes is None:
            counts = np.zeros((size, size))
            for dx in (0, 1):
                for dy in (0, 1):
                    np.add.at(counts, (py + dy, px + dx), 1.0)
            shade = (1 - np.exp(-counts / 2.0))[:, :, None]
            image = (255 * (1 - shade) + np.array(BASE_COLOR) * shade).astype(np.uint8)
        else:
            palette = np.array([_rgb(c) for c in CATEGORY_COLORS], dtype=np.uint8)
            colours = palette[codes % len(palette)]
            for dx in (0, 1):
                for dy in (0, 1):
                    image[py + dy, px + dx] = colours
    buffer = io.BytesIO()
    Image.fromarray(image, mode="RGB").save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def _codes(dataset: Dataset, column: str | None) -> np.ndarray | None:
    if column is None:
        return None
    values = np.asarray(dataset.column(column)).astype(str)
    return np.unique(values, return_inverse=True)[1]


def view_picture(
    dataset: Dataset, i: int, j: int, rows: np.ndarray, codes: np.ndarray | None, size: int
) -> str:
    latent = dataset.latent
    return png_uri(
        scatter_png(latent[rows, i], latent[rows, j], None if codes is None else codes[rows], size)
    )


# --- the panel ------------------------------------------------------------------------------------


def separate_column(dataset: Dataset, name: str | None) -> tuple[str | None, str | None]:
    """(column used, problem): only a categorical column separates classes."""
    if not name:
        return None, None
    info = {c.name: c for c in dataset.columns}
    if name not in info:
        return None, f"no column {name}"
    if not info[name].categorical:
        return None, f"{name} is not categorical: ranking by neighbourhoods instead"
    return name, None


def thumbnails(
    dataset: Dataset, panel: Panel, top: int, separate: str | None, visible: np.ndarray | None
) -> tuple[list, str]:
    """(thumbnail buttons on a grid, status line) of the `top` best axis pairs."""
    rows = np.arange(dataset.n) if visible is None else np.asarray(visible)
    if len(rows) < 3 or dataset.dims < 2:
        return [], "Too few samples (or latent dims) to rank views."
    labels = _codes(dataset, separate)
    start = time.perf_counter()
    ranking = compute.ranked_pairs(dataset.latent, visible, labels, separate)
    took = time.perf_counter() - start
    count = min(top, len(ranking["pairs"]))
    cells = compute.grid_layout(ranking["similarity"][:count, :count])
    drawn = drawn_rows(dataset.n, THUMB_POINTS, visible)
    names = list(dataset.latent_names)
    buttons = []
    for p in range(count):
        i, j = (int(v) for v in ranking["pairs"][p])
        score = f"kNN {ranking['neighbourhood'][p]:.2f}"
        if separate is not None and np.isfinite(ranking["separation"][p]):
            score = f"sil {ranking['separation'][p]:.2f} · {score}"
        buttons.append(
            html.Button(
                [
                    html.Img(
                        src=view_picture(dataset, i, j, drawn, labels, THUMB_SIZE),
                        className="viewgraph-image",
                        alt=f"{names[i]} × {names[j]}",
                    ),
                    html.Div(f"#{p + 1} {names[i]} × {names[j]}", className="viewgraph-dims"),
                    html.Div(score, className="viewgraph-score"),
                ],
                id=ids.thumb(panel, f"{names[i]}|{names[j]}"),
                className="viewgraph-thumb",
                title=f"Rotate the projection views to {names[i]} (x) and {names[j]} (y)",
                style={"gridRow": int(cells[p, 0]) + 1, "gridColumn": int(cells[p, 1]) + 1},
                n_clicks=0,
            )
        )
    what = f"{len(rows):,} visible samples" if visible is not None else f"all {len(rows):,} samples"
    by = (
        f"separation of {separate} (silhouette)"
        if separate is not None
        else "neighbourhood preservation (10-NN Jaccard)"
    )
    status = (
        f"Best {count} of {len(ranking['pairs'])} dim pairs by {by}, over {what} "
        f"({took:.2f} s); similar views are placed side by side. Click one to rotate the "
        "projection views there."
    )
    return buttons, status


def layout(panel: Panel, options: ViewgraphOptions, dataset: Dataset) -> html.Div:
    """Controls (how many views, separate by), status, the thumbnail grid and a larger preview."""
    controls = dbc.Row(
        [
            dbc.Col(
                number_box(
                    "views",
                    ids.part(panel, "top"),
                    int(options.top),
                    1,
                    60,
                    "viewgraph-top",
                ),
                width=3,
            ),
            dbc.Col(
                labelled(
                    "separate by (categorical)",
                    dcc.Dropdown(
                        [
                            {"label": c.name, "value": c.name}
                            for c in dataset.columns
                            if c.categorical
                        ],
                        options.separate_by,
                        id=ids.separate_by(panel),
                        placeholder="none: neighbourhood preservation",
                    ),
                ),
                width=9,
            ),
        ],
        className="g-2 view-controls",
    )
    return html.Div(
        [
            controls,
            html.Small("Ranking views…", id=ids.part(panel, "status"),
                       className="viewgraph-status text-muted"),
            html.Div(id=ids.part(panel, "grid"), className="viewgraph-grid"),
            html.Div(id=ids.part(panel, "preview"), className="viewgraph-preview"),
        ],
        className="view-body",
    )  # fmt: skip


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    """Rank and draw (on load, on a control or filter change); a click moves the projections."""

    @app.callback(
        Output(ids.part(MATCH, "grid"), "children"),
        Output(ids.part(MATCH, "grid"), "style"),
        Output(ids.part(MATCH, "status"), "children"),
        Input(ids.part(MATCH, "top"), "value"),
        Input(ids.separate_by(MATCH), "value"),
        Input(FILTER, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
    )
    def rank(top, separate_by, filtered, config_key, derived):
        page = Page(menu, config_key, derived)
        dataset = page.dataset
        top = int(top) if isinstance(top, (int, float)) and top >= 1 else TOP
        separate, problem = separate_column(dataset, separate_by)
        panel = panel_of(ctx.outputs_list[0]["id"])
        buttons, status = thumbnails(dataset, panel, min(top, 60), separate, page.visible(filtered))
        columns = int(np.ceil(np.sqrt(max(len(buttons), 1))))
        style = {"gridTemplateColumns": f"repeat({columns}, minmax(0, 1fr))"}
        if problem:
            status = html.Span([html.Span(problem, className="text-danger"), " — ", status])
        return buttons, style, status

    @app.callback(
        Output(ids.part(MATCH, "preview"), "children"),
        Input(ids.thumb(MATCH, ALL), "n_clicks"),
        State(ids.separate_by(MATCH), "value"),
        State(FILTER, DATA),
        State(CONFIG_KEY, DATA),
        State(DERIVED, DATA),
        prevent_initial_call=True,
    )
    def pick(clicks, separate_by, filtered, config_key, derived):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            raise PreventUpdate
        if not ctx.triggered or not ctx.triggered[0].get("value"):
            raise PreventUpdate  # thumbnails redrawn, not clicked
        x, y = str(trigger["pair"]).split("|")
        page = Page(menu, config_key, derived)
        dataset = page.dataset
        names = list(dataset.latent_names)
        if x not in names or y not in names:
            raise PreventUpdate
        targets = page.panels_of("projection")
        separate, _ = separate_column(dataset, separate_by)
        visible = page.visible(filtered)
        rows = drawn_rows(dataset.n, PREVIEW_POINTS, visible)
        picture = html.Img(
            src=view_picture(
                dataset, names.index(x), names.index(y), rows, _codes(dataset, separate),
                PREVIEW_SIZE,
            ),
            className="viewgraph-preview-image",
            alt=f"{x} × {y}",
        )  # fmt: skip
        if targets:
            many = "view" if len(targets) == 1 else "views"
            text = f"{x} × {y}: rotating {len(targets)} projection {many} there."
        else:
            text = (
                f"{x} (x) × {y} (y), larger. Add a dynamic projection view (kind: projection) "
                "to the layout to rotate to the views you click."
            )
        return [picture, html.Div(text, className="viewgraph-preview-text")]

    @app.callback(
        Output(PROJECTION_REQUEST, DATA, allow_duplicate=True),
        Input(ids.thumb(ALL, ALL), "n_clicks"),
        prevent_initial_call=True,
    )
    def rotate(clicks):
        """A clicked view: the model's projections rotate to its pair of dims."""
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0].get("value"):
            raise PreventUpdate  # thumbnails redrawn, not clicked
        x, y = str(trigger["pair"]).split("|")
        return projection_request({"x": x, "y": y}, panel_of(trigger).model)


class Viewgraph(View):
    kind = KIND
    label = "View graph"
    aliases = ("ViewGraph", "OptimalAxisAlign")
    Options = ViewgraphOptions
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)
