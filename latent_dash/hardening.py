"""Refuse malformed callback requests with a 4xx answer before Dash sees them.

Dash (4.4) answers a body that is not JSON with 400, but a JSON body of the wrong shape (no
`output`, an output no server callback has, `inputs` that are not a list, fewer inputs than the
callback takes) raises inside Dash and becomes a 500 with a traceback in the log. A forged value
can also make a callback allocate without bound (a selection "over" 10^12 samples). This guard
checks each POST to /_dash-update-component against the callback it names:
- the body is a JSON object with `output` (a server callback's output), `outputs`, `inputs`
  and optional `state` lists whose lengths and plain ids match the callback's declaration;
- `dataset-size` values are integers within MAX_SAMPLES;
- a `selection-upload` value is None or {"mask": None | encoded selection, "source": ...} whose
  mask is {"n": int, "bits": str} or {"n": int, "idx": [int, ...]} of bounded size.
Anything else gets 400 with a JSON {"error": ...}.

Past the guard, a value of the right shape can still be one no page sends (a number where a
column name goes, NaN, a list 10^5 deep...). Checking every property of 50 callbacks by hand
would copy each callback's signature into this module; instead, what such a value makes a
callback raise (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError,
RecursionError) is answered 400 with a one-line reason naming the callback, and logged with its
traceback as a warning, so a real defect stays visible in the server log. Other errors stay
500s. tests/unit/test_fuzz.py sends every server callback a type fuzz and asserts no 5xx.

Bodies over MAX_REQUEST_BYTES get 413, counted on the bytes actually read (`BodyLimit`, a WSGI
middleware): a declared Content-Length over the limit is refused before anything is read, and
a body without one (chunked transfer encoding) is read only up to the limit, whatever the WSGI
server does with Flask's MAX_CONTENT_LENGTH (gunicorn passed a 500 MB chunked body through).
"""

from __future__ import annotations

import io
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from dash import Dash
from flask import Response, request

from latent_dash.background import redis_url, unreachable_errors
from latent_dash.errors import ConfigError
from latent_dash.storage import CacheUnavailable, unavailable

UPDATE_PATH = "/_dash-update-component"
MAX_REQUEST_BYTES = 64 * 2**20  # far above a dense 1M-sample mask (170 KB) or a large figure
MAX_SAMPLES = 100_000_000
log = logging.getLogger(__name__)


class Malformed(ValueError):
    """A callback request that no page of this app sends."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise Malformed(message)


def _is_wildcard(dep_id: str) -> bool:
    return dep_id.startswith("{")


def _check_dependencies(given: Any, declared: list[dict], what: str) -> None:
    _require(isinstance(given, list), f"`{what}` must be a list")
    _require(len(given) == len(declared), f"`{what}` must have {len(declared)} entries")
    for item, spec in zip(given, declared, strict=True):
        if _is_wildcard(spec["id"]):  # MATCH: one dict; ALL / ALLSMALLER: a list of them
            entries = item if isinstance(item, list) else [item]
            for entry in entries:
                _require(
                    isinstance(entry, dict)
                    and isinstance(entry.get("id"), dict)
                    and entry.get("property") == spec["property"],
                    f"`{what}` entry does not match {spec['id']}.{spec['property']}",
                )
        else:
            _require(
                isinstance(item, dict)
                and item.get("id") == spec["id"]
                and item.get("property") == spec["property"],
                f"`{what}` entry must be {spec['id']}.{spec['property']}",
            )


def _check_size(value: Any) -> None:
    _require(
        value is None or (type(value) is int and 0 <= value <= MAX_SAMPLES),
        "dataset-size must be a sample count",
    )


def check_selection_value(value: Any) -> None:
    """An encoded selection (latent_dash.selection.encode) of sane size, or None."""
    if value is None:
        return
    _require(isinstance(value, dict), "a selection must be an object")
    n = value.get("n")
    _require(type(n) is int and 0 <= n <= MAX_SAMPLES, "a selection needs its sample count n")
    if "idx" in value:
        index = value["idx"]
        _require(
            isinstance(index, list)
            and len(index) <= n
            and all(type(i) is int and 0 <= i < n for i in index),
            "selection indices must be integers within [0, n)",
        )
    else:
        bits = value.get("bits")
        _require(
            isinstance(bits, str) and len(bits) <= 4 * ((n + 7) // 8 + 2) // 3 + 4,
            "a selection needs `bits` (urlsafe base64 of the packed mask) or `idx`",
        )


def _check_upload(value: Any) -> None:
    if value is None:
        return
    _require(isinstance(value, dict), "selection-upload must be an object")
    check_selection_value(value.get("mask"))
    source = value.get("source")
    _require(
        source is None or isinstance(source, str | int | float | dict),
        "selection-upload source must be a view id",
    )


VALUE_CHECKS = {
    ("selection-upload", "data"): _check_upload,
    ("selection-mask", "data"): lambda value: check_selection_value(
        {k: v for k, v in value.items() if k != "source"} if isinstance(value, dict) else value
    ),
    ("dataset-size", "data"): _check_size,
}


def check_request(app: Dash, body: Any) -> None:
    """Raise Malformed unless `body` is a callback request this app's pages could send."""
    _require(isinstance(body, dict), "the body must be a JSON object")
    output = body.get("output")
    _require(isinstance(output, str), "`output` must be a string")
    callback = app.callback_map.get(output)
    _require(
        callback is not None and "callback" in callback,
        f"no server callback has the output {output[:200]!r}",
    )
    _require(
        isinstance(body.get("outputs"), dict | list) or callback.get("no_output"),
        "`outputs` must be given",
    )
    _check_dependencies(body.get("inputs"), callback["inputs"], "inputs")
    _check_dependencies(body.get("state", []), callback["state"], "state")
    changed = body.get("changedPropIds", [])
    _require(
        isinstance(changed, list) and all(isinstance(c, str) for c in changed),
        "`changedPropIds` must be a list of strings",
    )
    for item in [*body["inputs"], *body.get("state", [])]:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            check = VALUE_CHECKS.get((item["id"], item.get("property")))
            if check is not None:
                check(item.get("value"))


def _empty_job(app: Dash, body: dict) -> bool:
    """A background callback called with no job: the page calls each one when its panel
    appears. It would only raise PreventUpdate, but Dash first queues it for a worker: with
    Celery and no worker running, it stayed pending for ever and kept Run disabled."""
    callback = app.callback_map[body["output"]]
    if not callback.get("background") or "cacheKey" in request.args:
        return False
    values = [item.get("value") for item in body["inputs"] if isinstance(item, dict)]
    return all(value is None for value in values)


def _refuse(status: int, message: str) -> Response:
    return Response(json.dumps({"error": message}), status=status, mimetype="application/json")


class BodyLimit:
    """WSGI middleware: no request body over `limit` bytes is read, with or without a length.

    A body without Content-Length (chunked) is read here, at most limit + 1 bytes, and handed
    on as a plain body of known length; one over the limit is answered 413 at once, the rest of
    it never read (the server then closes the connection).
    """

    def __init__(self, app: Callable, limit: int) -> None:
        self.app, self.limit = app, limit

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared.strip().isdigit():
            if int(declared) > self.limit:
                return self._too_large(environ, start_response)
            return self.app(environ, start_response)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked:
            return self.app(environ, start_response)
        body = self._read(environ["wsgi.input"])
        if len(body) > self.limit:
            return self._too_large(environ, start_response)
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        return self.app(environ, start_response)

    def _read(self, stream: Any) -> bytes:
        parts, size = [], 0
        while size <= self.limit:
            part = stream.read(min(2**20, self.limit + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
        return b"".join(parts)

    def _too_large(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        log.warning("refused a request body over %d bytes from %s", self.limit,
                    environ.get("REMOTE_ADDR"))  # fmt: skip
        message = f"request body over {self.limit // 2**20} MB"
        return _refuse(413, message)(environ, start_response)


BAD_VALUE_ERRORS = (
    TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, RecursionError,
)  # fmt: skip


def _answer_errors(server: Any) -> None:
    """Errors a request can meet answer with a short reason, never a traceback: 400 for
    values a callback cannot use, 409 for a data file that no longer loads, 503 for a sick cache
    or a hung Redis."""

    def bad_value(error: Exception) -> Response:
        if request.path != UPDATE_PATH:
            log.error("error on %s", request.path, exc_info=error)
            return _refuse(500, "internal error")
        body = request.get_json(silent=True, cache=True)
        output = body.get("output", "") if isinstance(body, dict) else ""
        log.warning("callback %s refused its inputs", output[:200], exc_info=error)
        reason = f"{type(error).__name__}: {str(error)[:200]}"
        return _refuse(400, f"the callback {output[:120]!r} cannot use its inputs ({reason})")

    def sick_cache(error: Exception) -> Response:
        """The cache folder failed (full, read-only): 503 with what happened and what to do."""
        message = str(error if isinstance(error, CacheUnavailable) else unavailable(error))
        log.error("%s %s: %s", request.method, request.path, message)
        return _refuse(503, message)

    def config_changed(error: ConfigError) -> Response:
        """A config or data file changed under the running server and no longer loads."""
        log.error("%s %s: %s", request.method, request.path, error)
        return _refuse(409, f"{error} (reload the page once it is fixed)")

    server.register_error_handler(ConfigError, config_changed)
    for kind in BAD_VALUE_ERRORS:
        server.register_error_handler(kind, bad_value)

    def no_redis(error: Exception) -> Response:
        """Redis did not answer within its timeout: 503 at once, the worker free again."""
        log.error("%s %s: Redis does not answer: %s", request.method, request.path, error)
        return _refuse(
            503, "Background jobs cannot run now: the server's Redis does not answer. Nothing "
            "is lost; try again in a minute, or tell the administrator.",
        )  # fmt: skip

    for kind in (CacheUnavailable, sqlite3.Error):  # bare OSErrors are not the cache's
        server.register_error_handler(kind, sick_cache)

    def redis_behind(error: RuntimeError) -> Response:
        """Celery's result store gives up with a RuntimeError whose cause is Redis's timeout."""
        cause: BaseException | None = error
        while cause is not None:
            if isinstance(cause, unreachable_errors()):
                return no_redis(error)
            cause = cause.__cause__ or cause.__context__
        log.error("%s %s failed", request.method, request.path, exc_info=error)
        return _refuse(500, "internal error")

    if redis_url() is not None:
        for kind in unreachable_errors():
            server.register_error_handler(kind, no_redis)
        server.register_error_handler(RuntimeError, redis_behind)


def register_hardening(app: Dash) -> None:
    """Install the guard (and the request size limit) on the app's Flask server."""
    server = app.server
    _answer_errors(server)
    if server.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default config holds None
        server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    server.wsgi_app = BodyLimit(server.wsgi_app, server.config["MAX_CONTENT_LENGTH"])

    @server.before_request
    def check_callback_request() -> Response | None:
        if request.path != UPDATE_PATH or request.method != "POST":
            return None
        length = request.content_length
        if length is not None and length > MAX_REQUEST_BYTES:
            return _refuse(413, "request too large")
        try:
            body = request.get_json(silent=True, cache=True)
        except RecursionError:
            return _refuse(400, "the body is nested too deeply")
        if body is None:
            return _refuse(400, "the body must be JSON (application/json)")
        try:
            check_request(app, body)
        except Malformed as error:
            log.warning("refused a callback request from %s: %s", request.remote_addr, error)
            return _refuse(400, str(error))
        if _empty_job(app, body):
            return Response(status=204)  # what the callback answers (PreventUpdate), at once
        return None
