"""A type fuzz of every server callback: malformed inputs get a 4xx, never a 500.

Each registered server callback (the app's callback map gives its inputs and state) is sent
requests whose values are, one position at a time, each of FUZZ (the rest None), as a forged page
could. Background callbacks are left out: their requests start jobs; a job's own errors reach
its panel as a message (tests/browser). Flask test client only.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from latent_dash.app import create_app

UPDATE = "/_dash-update-component"
FUZZ: list[Any] = [
    None, -1, 10**12, 1.5, "abc", float("nan"), [], {}, [[[[[[[[1]]]]]]]], "x" * 10_000,
    {"key": "abc", "n": -1, "count": "x"}, [None, {}, "a"], True,
]  # fmt: skip
FILL = {"view": "scatter", "kind": "scatter", "part": "x", "picker": "all"}


def concrete(spec_id: str) -> tuple[Any, bool]:
    """A concrete id for a declared one, and whether the entry is a list (ALL wildcards)."""
    if not spec_id.startswith("{"):
        return spec_id, False
    pattern = json.loads(spec_id)
    many = any(v in (["ALL"], ["ALLSMALLER"]) for v in pattern.values())
    return {k: FILL.get(k, "x") if isinstance(v, list) else v for k, v in pattern.items()}, many


def entry(spec: dict, value: Any = None, with_value: bool = True) -> Any:
    dep_id, many = concrete(spec["id"])
    item = {"id": dep_id, "property": spec["property"]}
    if with_value:
        item["value"] = value
    return [item] if many else item


def requests_for(output: str, callback: dict) -> list[dict]:
    declared = callback["output"] if isinstance(callback["output"], list) else [callback["output"]]
    outputs = [
        entry({"id": o.component_id_str(), "property": o.component_property}, with_value=False)
        for o in declared
    ]
    specs = [*callback["inputs"], *callback["state"]]
    first = entry(callback["inputs"][0], with_value=False) if callback["inputs"] else None
    first = first[0] if isinstance(first, list) else first
    changed = []
    if first:
        fid = first["id"]
        if isinstance(fid, dict):
            fid = json.dumps(fid, sort_keys=True, separators=(",", ":"))
        changed = [f"{fid}.{first['property']}"]
    bodies = []
    for position in range(len(specs)):
        for value in FUZZ:
            values = [value if i == position else None for i in range(len(specs))]
            deps = [entry(spec, v) for spec, v in zip(specs, values, strict=True)]
            bodies.append({
                "output": output,
                "outputs": outputs if output.startswith("..") else outputs[0],
                "inputs": deps[: len(callback["inputs"])],
                "state": deps[len(callback["inputs"]):],
                "changedPropIds": changed,
            })  # fmt: skip
    return bodies


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from tests.conftest import write_config, write_dataset

    folder = tmp_path_factory.mktemp("fuzz")
    files = write_dataset(folder / "data")
    config = write_config(
        folder / "small.yaml",
        {
            "dataset": {"name": "small", **{k: f"data/{v}" for k, v in files.items()}},
            "layout": {"row": [{"column": ["scatter", "table"]}, {"column": ["clusters"]}]},
        },
    )
    return create_app(config, warm_up=False)


def server_callbacks(app) -> list[tuple[str, dict]]:
    return [
        (output, callback)
        for output, callback in app.callback_map.items()
        if "callback" in callback and not callback.get("background")
    ]


def test_every_server_callback_answers_malformed_inputs_with_a_4xx(app, caplog):
    caplog.set_level(logging.CRITICAL)  # the refusals are logged as warnings; keep output short
    client = app.server.test_client()
    callbacks = server_callbacks(app)
    assert len(callbacks) > 30
    failures: dict[str, str] = {}
    sent = 0
    for output, callback in callbacks:
        for body in requests_for(output, callback):
            sent += 1
            response = client.post(UPDATE, data=json.dumps(body), content_type="application/json")
            if response.status_code >= 500:
                failures.setdefault(output[:90], json.dumps(body)[:300])
            elif response.status_code >= 400:
                assert response.is_json and response.get_json()["error"], body
    assert not failures, f"{len(failures)} of {len(callbacks)} callbacks gave 5xx:\n" + "\n".join(
        f"{k}: {v}" for k, v in failures.items()
    )
    assert sent > 1000
