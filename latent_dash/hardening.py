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
Anything else gets 400 with a JSON {"error": ...}. Bodies over MAX_REQUEST_BYTES get 413.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from dash import Dash
from flask import Response, request

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


def _refuse(status: int, message: str) -> Response:
    return Response(
        json.dumps({"error": message}), status=status, mimetype="application/json"
    )


def register_hardening(app: Dash) -> None:
    """Install the guard (and the request size limit) on the app's Flask server."""
    server = app.server
    server.config.setdefault("MAX_CONTENT_LENGTH", MAX_REQUEST_BYTES)

    @server.before_request
    def check_callback_request() -> Response | None:
        if request.path != UPDATE_PATH or request.method != "POST":
            return None
        length = request.content_length
        if length is not None and length > MAX_REQUEST_BYTES:
            return _refuse(413, "request too large")
        body = request.get_json(silent=True, cache=True)
        if body is None:
            return _refuse(400, "the body must be JSON (application/json)")
        try:
            check_request(app, body)
        except Malformed as error:
            log.warning("refused a callback request from %s: %s", request.remote_addr, error)
            return _refuse(400, str(error))
        return None
