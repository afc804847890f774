"""Plain HTTP routes beside the Dash callbacks: sample images as cacheable PNGs, and /healthz.

Images never travel inside callback JSON: a gallery or hover card holds <img> tags whose URLs
the browser fetches (and caches) on its own. Only configs of the menu and indices of their
datasets are served, so a URL cannot reach any other file. Any other address under /thumbnail/
(path tricks, negative indices) is a 404 too, not Dash's page (its catch-all route).

`/healthz` is for load balancers and monitors: 200 with JSON (status, version, number of configs,
the cache folder and whether it works, Redis when jobs go through it, the answering process's
pid), 503 with the reason in `problems` when a page would not work: the cache folder
(LATENT_DASH_CACHE_DIR, shared by the workers) cannot store, read back and delete an entry (a
full disk still creates empty files, so that is what is tested), or Redis does not answer
within its short timeout. It answers within about a second whatever is sick.
"""

from __future__ import annotations

import hashlib
import os
from importlib import metadata
from pathlib import Path
from urllib.parse import urlencode

from dash import Dash
from flask import Response, abort, jsonify, request

from latent_dash import __version__, background, storage
from latent_dash.compute.cache import content_hash
from latent_dash.data import Dataset, open_config
from latent_dash.errors import ConfigError
from latent_dash.imaging import COLORMAPS, channel_choices, display_range, sample_png
from latent_dash.storage import cache_dir

THUMBNAIL_SIZES = range(16, 513)
THUMBNAIL_CACHE = "private, no-cache"


def thumbnail_url(
    config_key: str, index: int, size: int = 96, channel: str = "0", cmap: str = "gray"
) -> str:
    query = urlencode({"size": size, "channel": channel, "cmap": cmap})
    return f"/thumbnail/{config_key}/{int(index)}.png?{query}"


def thumbnail_etag(dataset: Dataset, index: int, size: int, channel: str, cmap: str) -> str:
    """Changes exactly when the PNG would: the sample's pixels, the dataset's display scale of
    the channel (imaging.display_range) and the drawing options.

    A thumbnail's address stays the same when the data changes, so it is cached
    `private, no-cache` with this validator: the browser revalidates and gets a 304 without a
    PNG being drawn, and no shared proxy keeps images that not every user may see.
    """
    pixels = content_hash(dataset.images([index]))
    lo, hi = display_range(dataset, channel)
    text = f"{pixels}|{lo!r}|{hi!r}|{size}|{channel}|{cmap}"
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def version() -> str:
    try:
        return metadata.version("latent-dash")
    except metadata.PackageNotFoundError:
        return __version__


def health(menu: dict[str, Path]) -> tuple[dict, int]:
    """The /healthz answer and its status code."""
    cache_problem = storage.health()
    redis_problem = background.redis_health()
    problems = [p for p in (cache_problem, redis_problem) if p]
    body = {
        "status": "error" if problems else "ok",
        "version": version(),
        "configs": len(menu),
        "cache_dir": str(cache_dir()),
        "cache_writable": cache_problem is None,
        "redis": None if background.redis_url() is None else redis_problem is None,
        "problems": problems,
        "pid": os.getpid(),
    }
    return body, 503 if problems else 200


def register_routes(app: Dash, menu: dict[str, Path]) -> None:
    @app.server.route("/healthz")
    def healthz() -> Response:
        body, status = health(menu)
        response = jsonify(body)
        response.status_code = status
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.server.before_request
    def only_thumbnails_under_thumbnail() -> None:
        """/thumbnail/... that is not a well-formed thumbnail address: 404, not Dash's page."""
        if request.path.startswith("/thumbnail/") and (
            request.url_rule is None or request.url_rule.endpoint != "thumbnail"
        ):
            abort(404)

    @app.server.route("/thumbnail/<config_key>/<int:index>.png")
    def thumbnail(config_key: str, index: int) -> Response:
        if config_key not in menu:
            abort(404)
        try:
            _, dataset = open_config(menu[config_key])
        except ConfigError:
            abort(404)
        size_text = request.args.get("size", "96")
        size = int(size_text) if size_text.isascii() and size_text.isdigit() else -1
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
        etag = thumbnail_etag(dataset, index, size, channel, cmap)
        if request.if_none_match.contains(etag):
            response = Response(status=304)
        else:
            png = sample_png(dataset, index, size, channel, cmap)
            response = Response(png, mimetype="image/png")
        response.set_etag(etag)
        response.headers["Cache-Control"] = THUMBNAIL_CACHE
        return response
