"""The baseline for benchmarks/selection_roundtrip.py: linked selection done the naive way.

A plain Dash app over the same synthetic data as the benchmark (a folder with latent.npy):
a Scattergl of two latent dims, parallel coordinates of every latent dim (all lines), and a
list of the first 24 selected indices. One server callback takes the scatter's `selectedData`
(every selected point, as plotly reports it) and answers with every figure rebuilt: the scatter
with `selectedpoints`, the parcoords with 0/1 line colours. So each selection sends the points
up and all figures down.

It is a fair baseline, not a straw man: figures carry float32 numpy arrays (plotly's typed
binary, not lists), they are built into the layout (no callback at first paint), the callback
does not fire on load, and it ignores the empty selection plotly reports when the returned figure
replaces the old one (one round trip per gesture).

    python benchmarks/naive_app.py DATA_FOLDER --port 8061
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html
from dash.exceptions import PreventUpdate

GREY = "#d0d0d0"
BLUE = "#1f77b4"
LISTED = 24


def scatter_figure(latent: np.ndarray, selected: np.ndarray | None = None) -> go.Figure:
    figure = go.Figure(
        go.Scattergl(
            x=latent[:, 0],
            y=latent[:, 1],
            mode="markers",
            marker={"size": 3, "color": BLUE},
            selectedpoints=selected,
            unselected={"marker": {"color": GREY, "opacity": 0.5}},
            hoverinfo="none",
        )
    )
    figure.update_layout(
        margin={"l": 50, "r": 10, "t": 10, "b": 45},
        xaxis_title="z0",
        yaxis_title="z1",
        dragmode="select",
        uirevision="scatter",
        template="plotly_white",
    )
    return figure


def parcoords_figure(latent: np.ndarray, mask: np.ndarray | None = None) -> go.Figure:
    color = np.ones(len(latent), np.float32) if mask is None else mask.astype(np.float32)
    figure = go.Figure(
        go.Parcoords(
            dimensions=[{"label": f"z{k}", "values": latent[:, k]} for k in range(latent.shape[1])],
            line={"color": color, "colorscale": [[0, GREY], [1, BLUE]], "cmin": 0, "cmax": 1},
        )
    )
    figure.update_layout(
        margin={"l": 40, "r": 40, "t": 60, "b": 20}, uirevision="parcoords", template="plotly_white"
    )
    return figure


def listing(mask: np.ndarray | None, n: int) -> tuple[str, list]:
    """The count text ("K of N selected") and the first selected indices."""
    rows = np.zeros(0, dtype=np.int64) if mask is None else np.flatnonzero(mask)
    items = [html.Li(str(i)) for i in rows[:LISTED]]
    return f"{rows.size:,} of {n:,} selected", items


def create_app(data: Path | str) -> Dash:
    latent = np.load(Path(data) / "latent.npy").astype(np.float32)
    n = len(latent)
    app = Dash(__name__, title="naive linked selection")
    count, items = listing(None, n)
    app.layout = html.Div(
        [
            html.Div(
                [
                    html.Div(
                        dcc.Graph(id="scatter", figure=scatter_figure(latent)),
                        className="view-scatter",
                        style={"flex": "1"},
                    ),
                    html.Div(
                        dcc.Graph(id="parcoords", figure=parcoords_figure(latent)),
                        className="view-parcoords",
                        style={"flex": "1"},
                    ),
                ],
                style={"display": "flex"},
            ),
            html.Div(count, id="selection-count"),
            html.Ul(items, id="selected-list"),
        ]
    )

    @app.callback(
        Output("scatter", "figure"),
        Output("parcoords", "figure"),
        Output("selection-count", "children"),
        Output("selected-list", "children"),
        Input("scatter", "selectedData"),
        prevent_initial_call=True,
    )
    def select(selected: dict | None):
        """Every figure rebuilt for the new selection."""
        if not selected or not (selected.get("range") or selected.get("lassoPoints")):
            # plotly re-reports an empty selection when the new figure replaces the old one:
            # only a drawn box or lasso is the user's (without this the selection is undone)
            raise PreventUpdate
        index = np.array([p["pointIndex"] for p in selected.get("points", [])], dtype=np.int64)
        mask = np.zeros(n, dtype=bool)
        mask[index] = True
        points = np.flatnonzero(mask).astype(np.int32)
        count, items = listing(mask, n)
        return scatter_figure(latent, points), parcoords_figure(latent, mask), count, items

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="folder holding latent.npy")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8061)
    args = parser.parse_args()
    create_app(args.data).run(host=args.host, port=args.port, debug=False)


if __name__ == "__main__":
    main()
