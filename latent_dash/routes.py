"""Plain HTTP routes beside the Dash callbacks: sample images as cacheable PNGs.

Images never travel inside callback JSON: a gallery or hover card holds <img> tags whose URLs
the browser fetches (and caches) on its own. Only configs of the menu and indices of their
datasets are served, so a URL cannot reach any other file.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from dash import Dash
from flask import Response, abort, request

from latent_dash.data import open_config
from latent_dash.errors import ConfigError
from latent_dash.imaging import COLORMAPS, channel_choices, sample_png

THUMBNAIL_SIZES = range(16, 513)
MAX_AGE = 3600


def thumbnail_url(
    config_key: str, index: int, size: int = 96, channel: str = "0", cmap: str = "gray"
) -> str:
    query = urlencode({"size": size, "channel": channel, "cmap": cmap})
    return f"/thumbnail/{config_key}/{int(index)}.png?{query}"


def register_routes(app: Dash, menu: dict[str, Path]) -> None:
    @app.server.route("/thumbnail/<config_key>/<int:index>.png")
    def thumbnail(config_key: str, index: int) -> Response:
        if config_key not in menu:
            abort(404)
        try:
            _, dataset = open_config(menu[config_key])
        except ConfigError:
            abort(404)
        size_text = request.args.get("size", "96")
        size = int(size_text) if size_text.isdigit() else -1
        channel = request.args.get("channel", "0")
        cmap = request.args.get("cmap", "gray")
        if (
            not dataset.has_images
            or not 0 <= index < dataset.n
            or size not in THUMBNAIL_SIZES
            or channel not in channel_choices(dataset)
            or cmap not in COLORMAPS
        ):
            abort(404)
        response = Response(sample_png(dataset, index, size, channel, cmap), mimetype="image/png")
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
        return response
