"""Latent interpolation: decoded images on the straight line between two samples' latents.

Samples A and B are two number inputs. While "follow focus" is on, each focus change moves B to
A and makes the new focus B, so the panel shows the path from the previous focus to the current
one; "focus → A" / "focus → B" set one end explicitly. The strip holds A's real image, `steps`
decoded images from A's latent to B's (both ends included: the first and last are the two
samples' reconstructions) and B's real image, all on the dataset's display scale.

A and B are the samples' rows in the user's files (as every id the page shows); they are
mapped to positions here, and a row dropped at load (NaN values) is not a sample.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import dash_bootstrap_components as dbc
import numpy as np
from dash import MATCH, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from pydantic import Field

from latent_dash.data import Dataset
from latent_dash.decoding import decode, has_decoder, interpolation_latents
from latent_dash.imaging import COLORMAPS
from latent_dash.kinds import DecodedImageOptions, View
from latent_dash.page import CONFIG_KEY, DATA, FOCUS, Page, Panel, PanelIds
from latent_dash.views.common import image_look_controls, labelled, number_box
from latent_dash.views.image_uris import (
    NO_DECODER,
    choose_channel,
    decoded_channels,
    decoded_uris,
    figure,
    image_style,
    real_uri,
)

KIND = "interpolation"


class InterpolationOptions(DecodedImageOptions):
    """Decoded images on the straight line between two samples' latents (needs a decoder)."""

    type: Literal["interpolation"] = "interpolation"

    steps: int = Field(8, ge=2, le=32, description="Decoded images from A to B, both included.")
    a: int | None = Field(None, ge=0, description="Sample A (default: sample 0).")
    b: int | None = Field(None, ge=0, description="Sample B (default: sample 1).")
    follow_focus: bool = Field(
        True, description="A focus change moves B to A and makes the focus B."
    )


MAX_STEPS = 32


class ids(PanelIds):
    """Pattern-matching ids: one set of callbacks serves every interpolation panel."""

    kind = KIND


def valid_sample(dataset: Dataset, value: Any) -> bool:
    """Whether `value` is the file row of a loaded sample."""
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return dataset.position_of(value) is not None


def _last_row(dataset: Dataset) -> int:
    return dataset.file_row(dataset.n - 1)


def interpolation_strip(
    dataset: Dataset, a: int, b: int, steps: int, channel: str, cmap: str, size: int
) -> tuple[list, str]:
    """(strip children, caption): real A, the decoded path A -> B, real B (positions)."""
    path = interpolation_latents(dataset.latent[a], dataset.latent[b], steps)
    uris = decoded_uris(dataset, decode(dataset, path), channel, cmap, size)
    cells = [
        html.Img(
            src=uri,
            title=f"t = {t:.3g}",
            style=image_style(size),
            className="interpolation-cell",
        )
        for uri, t in zip(uris, np.linspace(0.0, 1.0, steps), strict=True)
    ]
    ends = [
        figure(
            real_uri(dataset, s, channel, cmap, size),
            f"{name}: {dataset.file_row(s)}",
            size,
            f"interpolation-{name}",
        )
        for name, s in (("A", a), ("B", b))
    ]
    strip = [
        ends[0],
        html.Div(cells, className="interpolation-path"),
        ends[1],
    ]
    distance = float(np.linalg.norm(dataset.latent[b] - dataset.latent[a]))
    text = (
        f"{steps} decoded points on the straight line from sample {dataset.file_row(a)} to "
        f"sample {dataset.file_row(b)} in latent "
        f"space (distance {distance:.3g}); the first and last are the two samples' "
        "reconstructions" + (", beside their real images." if dataset.has_images else ".")
    )
    return [s for s in strip if s is not None], text


def render(dataset: Dataset, a: Any, b: Any, steps: Any, channel: str, cmap: str, size: int):
    """The strip between the samples of file rows `a` and `b`, or why there is none."""
    if not (valid_sample(dataset, a) and valid_sample(dataset, b)):
        text = f"Give A and B as sample indices from 0 to {_last_row(dataset)}"
        if dataset.source_rows is not None:
            text += " (rows dropped at load for NaN values are not samples)"
        return [], text + "."
    if not isinstance(steps, int) or not 2 <= steps <= MAX_STEPS:
        return [], f"Steps must be a whole number from 2 to {MAX_STEPS}."
    try:
        a, b = dataset.position_of(a), dataset.position_of(b)
        return interpolation_strip(dataset, a, b, steps, channel, cmap, size)
    except Exception as exc:  # a user's decoder failing on some latent values
        return [], f"Decoding failed: {type(exc).__name__}: {exc}"


def _sample_input(panel: Panel, part: str, value: int, last: int) -> dbc.Input:
    return dbc.Input(
        id=ids.part(panel, part),
        type="number",
        min=0,
        max=last,
        step=1,
        value=value,
        debounce=True,
        size="sm",
        className="interpolation-sample",
    )


def layout(panel: Panel, options: InterpolationOptions, dataset: Dataset) -> html.Div:
    if not has_decoder(dataset):
        return html.Div(NO_DECODER, className="interpolation-none text-muted")
    channels = decoded_channels(dataset)
    channel = choose_channel(dataset, options.channel)
    cmap = options.cmap
    steps = int(options.steps)
    size = int(options.size)
    first, second = dataset.file_row(0), dataset.file_row(min(1, dataset.n - 1))
    a = options.a if options.a is not None else first
    b = options.b if options.b is not None else second
    notes = [
        f"{name} = {value} is not a sample (0 to {_last_row(dataset)}); using {fallback}"
        for name, value, fallback in (("a", a, first), ("b", b, second))
        if not valid_sample(dataset, value)
    ]
    a = a if valid_sample(dataset, a) else first
    b = b if valid_sample(dataset, b) else second
    strip, text = render(dataset, a, b, steps, channel, cmap, size)
    controls = dbc.Row(
        [
            dbc.Col(
                labelled(
                    "sample A",
                    dbc.InputGroup(
                        [
                            _sample_input(panel, "a", a, _last_row(dataset)),
                            dbc.Button(
                                "focus \u2192 A",
                                id=ids.part(panel, "use-a"),
                                color="secondary",
                                outline=True,
                            ),
                        ],
                        size="sm",
                    ),
                )
            ),
            dbc.Col(
                labelled(
                    "sample B",
                    dbc.InputGroup(
                        [
                            _sample_input(panel, "b", b, _last_row(dataset)),
                            dbc.Button(
                                "focus \u2192 B",
                                id=ids.part(panel, "use-b"),
                                color="secondary",
                                outline=True,
                            ),
                        ],
                        size="sm",
                    ),
                )
            ),
            dbc.Col(
                number_box(
                    "steps", ids.part(panel, "steps"), steps, 2, MAX_STEPS, "interpolation-steps"
                ),
                width=2,
            ),
            *image_look_controls(
                ids.part(panel, "cmap"), ids.part(panel, "channel"), cmap, channel, channels
            ),
        ],
        className="g-2 view-controls",
    )
    return html.Div(
        [
            controls,
            dbc.Switch(
                id=ids.part(panel, "follow"),
                label="follow focus (B \u2192 A, focus \u2192 B)",
                value=bool(options.follow_focus),
                className="interpolation-follow",
            ),
            *[html.Div(note, className="interpolation-note text-warning") for note in notes],
            html.Div(strip, id=ids.part(panel, "strip"), className="interpolation-strip"),
            html.Div(text, id=ids.part(panel, "caption"), className="interpolation-caption"),
            dcc.Store(id=ids.part(panel, "settings"), data={"size": size}),
        ],
        className="view-body interpolation-body",
    )


def pick_ends(trigger: Any, focus: int, follow: bool, a: Any, b: Any) -> tuple[Any, Any]:
    """New (A, B) for a focus change or a "focus → A/B" click; `focus` is the focus sample's
    file row. A focus change (while following) shifts B to A and puts the focus in B."""
    if trigger == "focus":
        return (no_update, no_update) if not follow or focus == b else (b, focus)
    part = trigger.get("part") if isinstance(trigger, dict) else None
    if part == "use-a" and focus != a:
        return focus, no_update
    if part == "use-b" and focus != b:
        return no_update, focus
    return no_update, no_update


def register_callbacks(app: Dash, menu: dict[str, Path]) -> None:
    @app.callback(
        Output(ids.part(MATCH, "a"), "value"),
        Output(ids.part(MATCH, "b"), "value"),
        Input(FOCUS, DATA),
        Input(ids.part(MATCH, "use-a"), "n_clicks"),
        Input(ids.part(MATCH, "use-b"), "n_clicks"),
        State(ids.part(MATCH, "follow"), "value"),
        State(ids.part(MATCH, "a"), "value"),
        State(ids.part(MATCH, "b"), "value"),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,
    )
    def move_ends(focus, _use_a, _use_b, follow, a, b, config_key: str):
        """The focus goes into the boxes as its file row (the boxes hold file rows)."""
        page = Page(menu, config_key)
        dataset = page.dataset
        if not isinstance(focus, int) or not 0 <= focus < dataset.n or ctx.triggered_id is None:
            raise PreventUpdate
        return pick_ends(ctx.triggered_id, dataset.file_row(focus), follow, a, b)

    @app.callback(
        Output(ids.part(MATCH, "strip"), "children"),
        Output(ids.part(MATCH, "caption"), "children"),
        Input(ids.part(MATCH, "a"), "value"),
        Input(ids.part(MATCH, "b"), "value"),
        Input(ids.part(MATCH, "steps"), "value"),
        Input(ids.part(MATCH, "cmap"), "value"),
        Input(ids.part(MATCH, "channel"), "value"),
        State(ids.part(MATCH, "settings"), "data"),
        State(CONFIG_KEY, DATA),
        prevent_initial_call=True,  # the layout holds the first strip
    )
    def redraw(a, b, steps, cmap, channel, settings: dict, config_key: str):
        page = Page(menu, config_key)
        dataset = page.dataset
        if not has_decoder(dataset):
            raise PreventUpdate
        return render(
            dataset,
            a,
            b,
            steps,
            choose_channel(dataset, channel),
            cmap if cmap in COLORMAPS else "gray",
            int(settings.get("size", 64)),
        )

    app.clientside_callback(
        "function (channel) { return channel === 'rgb'; }",
        Output(ids.part(MATCH, "cmap"), "disabled"),
        Input(ids.part(MATCH, "channel"), "value"),
    )


class Interpolation(View):
    kind = KIND
    label = "Interpolation"
    aliases = ("Latent Interpolation", "interpolate", "LatentInterpolation")
    Options = InterpolationOptions
    layout = staticmethod(layout)
    register_callbacks = staticmethod(register_callbacks)
