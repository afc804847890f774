"""Hostile or broken requests get 4xx answers (never a 500), and configs cannot run code.

Flask test client only: no browser, no server process.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from latent_dash.app import create_app
from latent_dash.config import parse_config
from latent_dash.data import open_config
from latent_dash.errors import ConfigError
from latent_dash.hardening import MAX_REQUEST_BYTES, MAX_SAMPLES
from latent_dash.selection import encode
from tests.conftest import write_config

UPDATE = "/_dash-update-component"


@pytest.fixture
def app(small_config: Path):
    return create_app(small_config, warm_up=False)


@pytest.fixture
def client(app):
    return app.server.test_client()


def upload_output(app) -> str:
    """The output key of the callback that registers a selection uploaded by the browser."""
    return next(
        key
        for key, spec in app.callback_map.items()
        if spec["inputs"] == [{"id": "selection-upload", "property": "data"}]
    )


def upload_body(app, value, config_key="small") -> dict:
    """A selection-upload request as the page sends it."""
    return {
        "output": upload_output(app),
        "outputs": {"id": "selection", "property": "data"},
        "inputs": [{"id": "selection-upload", "property": "data", "value": value}],
        "state": [{"id": "config-key", "property": "data", "value": config_key}],
        "changedPropIds": ["selection-upload.data"],
    }


# --- images and health ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/thumbnail/..%2F..%2Fetc/1.png",
        "/thumbnail/../../etc/passwd",
        "/thumbnail/small/..%2F..%2Fdata%2Flatent.npy",
        "/thumbnail/small/-1.png",
        "/thumbnail/small/120.png",
        "/thumbnail/small/" + "9" * 40 + ".png",
        "/thumbnail/small/1.5.png",
        "/thumbnail/small/1.png?size=0",
        "/thumbnail/small/1.png?size=-5",
        "/thumbnail/small/1.png?size=" + "9" * 50,
        "/thumbnail/small/1.png?size=²",  # a digit to str.isdigit, not to int()
        "/thumbnail/small/1.png?cmap=../../etc",
        "/thumbnail/small/1.png?cmap=",
        "/thumbnail/small/1.png?channel=rgb",
        "/thumbnail/small/1.png?channel=-1",
        "/thumbnail/unknown/1.png",
        "/thumbnail/%00/1.png",
        "/thumbnail/",
    ],
)
def test_bad_image_addresses_are_404(client, url: str):
    response = client.get(url)
    assert response.status_code == 404, url
    assert response.mimetype != "image/png"


def test_a_valid_thumbnail_still_served(client):
    response = client.get("/thumbnail/small/0.png?size=32&channel=0&cmap=viridis")
    assert response.status_code == 200 and response.mimetype == "image/png"


def test_healthz_reports_ok_version_configs_and_pid(client, small_config: Path):
    import os

    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["cache_writable"] is True
    assert body["version"] and body["configs"] == 1 and body["pid"] == os.getpid()
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_the_cache_folder_cannot_be_written(
    client, tmp_path: Path, monkeypatch
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LATENT_DASH_CACHE_DIR", str(blocker / "cache"))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"
    assert response.get_json()["cache_writable"] is False


# --- malformed callback requests -----------------------------------------------------------------


def test_a_well_formed_upload_is_answered(app, client):
    mask = np.zeros(120, bool)
    mask[:7] = True
    response = client.post(UPDATE, json=upload_body(app, {"mask": encode(mask), "source": "s"}))
    assert response.status_code == 200
    assert response.get_json()["response"]["selection"]["data"]["count"] == 7


@pytest.mark.parametrize(
    "data",
    [
        "garbage{",
        "",
        "[]",
        "null",
        "5",
        "{}",
        '{"output": 5}',
        '{"output": "nope.data", "outputs": {"id": "nope", "property": "data"}, "inputs": []}',
        '{"output": "selection-count.children", "outputs": {}, "inputs": []}',  # clientside only
        "{" * 10_000,
    ],
)
def test_garbage_callback_bodies_are_400(client, data: str):
    response = client.post(UPDATE, data=data, content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_wrong_content_type_is_4xx(client):
    response = client.post(UPDATE, data="{}", content_type="text/plain")
    assert 400 <= response.status_code < 500


def _mutations(body: dict) -> list[dict]:
    """Broken versions of a valid request: missing fields, wrong ids, wrong shapes."""
    out = []
    for field in ("output", "outputs", "inputs"):
        broken = dict(body)
        del broken[field]
        out.append(broken)
    out.append({**body, "output": body["output"] + "x"})
    out.append({**body, "inputs": 5})
    out.append({**body, "inputs": []})
    out.append({**body, "inputs": [*body["inputs"], body["inputs"][0]]})
    out.append({**body, "inputs": [{"id": "selection-clear", "property": "n_clicks"}]})
    out.append({**body, "inputs": [{"id": {"kind": "x"}, "property": "data"}]})
    out.append({**body, "inputs": ["selection-upload.data"]})
    out.append({**body, "state": []})
    out.append({**body, "state": [{"id": "dataset-size", "property": "children", "value": 1}]})
    out.append({**body, "changedPropIds": "selection-upload.data"})
    return out


def test_callback_requests_with_missing_or_wrong_fields_are_400(app, client):
    mask = np.ones(120, bool)
    for broken in _mutations(upload_body(app, {"mask": encode(mask), "source": "s"})):
        response = client.post(UPDATE, json=broken)
        assert response.status_code == 400, broken


@pytest.mark.parametrize(
    "value",
    [
        "a string",
        [1, 2, 3],
        {"mask": "AAAA"},
        {"mask": {"n": 120}},
        {"mask": {"n": "120", "bits": "AAAA"}},
        {"mask": {"n": 120, "bits": 5}},
        {"mask": {"n": 120, "bits": "A" * 1_000_000}},  # huge
        {"mask": {"n": 120, "idx": [1, 2, 10**30]}},
        {"mask": {"n": 120, "idx": [-1]}},
        {"mask": {"n": 120, "idx": [1.5]}},
        {"mask": {"n": 120, "idx": [[1, 2], [3]]}},
        {"mask": {"n": 120, "idx": list(range(121))}},
        {"mask": {"n": 10**12, "bits": "AAAA"}},  # would allocate a terabyte
        {"mask": {"n": MAX_SAMPLES + 1, "idx": [0]}},
        {"mask": None, "source": [1, 2]},
    ],
)
def test_malformed_or_huge_selection_uploads_are_400(app, client, value):
    response = client.post(UPDATE, json=upload_body(app, value))
    assert response.status_code == 400


def test_a_selection_over_another_sample_count_is_never_stored(app, client):
    """n comes from the config, not from the request: a forged 10^7-sample mask is refused."""
    from latent_dash.storage import disk_cache

    store = disk_cache("selections")
    before = len(store)
    bits = encode(np.ones(10**7, bool))["bits"]  # 1.25 MB, a well-formed mask over 10^7
    response = client.post(UPDATE, json=upload_body(app, {"mask": {"n": 10**7, "bits": bits}}))
    assert response.status_code == 204
    assert len(store) == before


@pytest.mark.parametrize(
    "mask",
    [
        {"n": 99, "bits": "AAAA"},  # a stale selection from another config
        {"n": 120, "bits": "AAAA"},  # wrong length for n
        {"n": 120, "bits": "@@@@"},  # not base64
    ],
)
def test_well_formed_but_wrong_selections_change_nothing(app, client, mask):
    response = client.post(UPDATE, json=upload_body(app, {"mask": mask, "source": "s"}))
    assert response.status_code == 204  # PreventUpdate: the page keeps its selection


def test_oversized_bodies_are_413(client):
    big = b"[" + b"0," * (33 * 2**20) + b"0]"
    response = client.post(UPDATE, data=big, content_type="application/json")
    assert response.status_code == 413


class EndlessBody:
    """A chunked request body that never ends, counting the bytes the server reads."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        size = 2**16 if size is None or size < 0 else size
        self.read_bytes += size
        return b"[" * size


def test_a_chunked_body_is_read_only_up_to_the_limit(app):
    """Without Content-Length the limit still holds, on the bytes actually read."""
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=UPDATE, method="POST").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    body = EndlessBody()
    environ |= {"wsgi.input": body, "HTTP_TRANSFER_ENCODING": "chunked"}
    environ["CONTENT_TYPE"] = "application/json"
    answer: list = []
    chunks = app.server.wsgi_app(environ, lambda status, headers: answer.append(status))
    assert answer == ["413 REQUEST ENTITY TOO LARGE"]
    assert "request body over 64 MB" in b"".join(chunks).decode()
    assert body.read_bytes <= MAX_REQUEST_BYTES + 1


def test_a_small_chunked_body_is_answered_as_usual(app):
    from werkzeug.test import EnvironBuilder

    mask = np.zeros(120, bool)
    mask[:3] = True
    data = json.dumps(upload_body(app, {"mask": encode(mask), "source": "s"})).encode()
    environ = EnvironBuilder(path=UPDATE, method="POST").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ |= {"wsgi.input": io.BytesIO(data), "HTTP_TRANSFER_ENCODING": "chunked"}
    environ["CONTENT_TYPE"] = "application/json"
    answer: list = []
    chunks = app.server.wsgi_app(environ, lambda status, headers: answer.append(status))
    assert answer == ["200 OK"]
    assert json.loads(b"".join(chunks))["response"]["selection"]["data"]["count"] == 3


def test_a_callback_that_cannot_use_a_forged_value_answers_400_with_its_reason(client):
    body = {
        "output": "export-csv-download.data",
        "outputs": {"id": "export-csv-download", "property": "data"},
        "inputs": [{"id": "export-csv", "property": "n_clicks", "value": 1}],
        "state": [
            {"id": "selection", "property": "data", "value": None},
            {"id": "config-key", "property": "data", "value": []},  # a list, not a menu key
            {"id": "derived", "property": "data", "value": None},
        ],
        "changedPropIds": ["export-csv.n_clicks"],
    }
    response = client.post(UPDATE, json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert "'export-csv-download.data' cannot use its inputs (TypeError" in error
    assert "Traceback" not in error


def test_json_nested_deeper_than_python_can_parse_is_400(client):
    depth = 10**5
    response = client.post(UPDATE, data="[" * depth + "]" * depth, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.get_json()["error"]


def test_real_callback_requests_pass_the_guard(app, client):
    """The layout and dependency endpoints, and the page's first callback, still work."""
    assert client.get("/_dash-layout").status_code == 200
    dependencies = client.get("/_dash-dependencies").get_json()
    first = next(d for d in dependencies if d["output"].startswith("..workspace.children"))
    body = {
        "output": first["output"],
        "outputs": [
            {"id": o.split(".")[0], "property": o.split(".")[1]}
            for o in first["output"].strip(".").split("...")
        ],
        "inputs": [
            {"id": "url", "property": "search", "value": "?config=small"},
            {"id": "config-menu", "property": "value", "value": "small"},
        ],
        "state": [{**s, "value": None} for s in first["state"]],
        "changedPropIds": ["url.search"],
    }
    response = client.post(UPDATE, json=body)
    assert response.status_code == 200, response.data[:300]
    assert "small" in json.dumps(response.get_json()["response"]["config-key"])


# --- configs cannot run code ---------------------------------------------------------------------


def test_yaml_python_tags_are_refused_and_never_run(tmp_path: Path):
    marker = tmp_path / "ran"
    config = tmp_path / "evil.yaml"
    config.write_text(
        "title: !!python/object/apply:os.system ['touch " + str(marker) + "']\n"
        "dataset: {latent: data/latent.npy}\n"
    )
    with pytest.raises(ConfigError) as error:
        parse_config(config)
    assert "python/object" in str(error.value) or "tag" in str(error.value).lower()
    assert not marker.exists()


def test_a_module_beside_a_config_is_imported_only_when_named_as_decoder(
    tmp_path: Path, small_config: Path
):
    marker = tmp_path / "imported"
    (small_config.parent / "sidecar.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef decode(z):\n    return z\n"
    )
    plain = write_config(
        small_config.parent / "plain.yaml",
        {
            "title": "sidecar:decode",  # a decoder-like string anywhere else is just text
            "description": "sidecar:decode",
            "dataset": {"name": "sidecar:decode", "latent": "data/latent.npy"},
        },
    )
    open_config(plain)
    assert not marker.exists()
    # the ?config= address only picks among the menu: another file name is ignored
    client = create_app(plain, warm_up=False).server.test_client()
    assert client.get("/?config=../../sidecar").status_code == 200
    assert not marker.exists()


def test_a_decoder_naming_a_system_function_is_a_problem_not_a_command(tmp_path: Path):
    from tests.conftest import write_dataset

    write_dataset(tmp_path / "data")
    config = write_config(
        tmp_path / "system.yaml",
        {"dataset": {"latent": "data/latent.npy", "decoder": "os:system"}},
    )
    with pytest.raises(ConfigError) as error:
        open_config(config)
    # os.system is called with the first latent row (a float array): TypeError, no shell
    assert "dataset.decoder" in str(error.value)


BOMB = "\n".join(
    ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    + ["title: *a8", "dataset: {latent: data/latent.npy}"]
)  # 9^9 strings once expanded, from about 530 bytes


def test_a_yaml_alias_bomb_is_refused_by_every_reader(tmp_path: Path, small_config: Path):
    import time

    from latent_dash.config import config_title

    bomb = small_config.parent / "bomb.yaml"
    bomb.write_text(BOMB)
    assert bomb.stat().st_size < 600
    start = time.perf_counter()
    assert config_title(bomb) == "bomb"  # the menu label: the file's name, not a 2.8 GB title
    with pytest.raises(ConfigError) as error:
        parse_config(bomb)
    assert "aliases expand to over" in str(error.value) and str(bomb) in str(error.value)
    app = create_app(small_config, warm_up=False)  # the menu lists the bomb beside the config
    page = app.server.test_client().get("/?config=bomb")
    assert page.status_code == 200
    assert time.perf_counter() - start < 30  # before: 110 s per process building the title


def test_a_recursive_alias_and_an_oversized_file_are_refused(tmp_path: Path):
    recursive = tmp_path / "loop.yaml"
    recursive.write_text("title: &t [1, *t]\ndataset: {latent: x.npy}\n")
    with pytest.raises(ConfigError) as error:
        parse_config(recursive)
    assert "refers to the value that contains it" in str(error.value)
    huge = tmp_path / "huge.yaml"
    huge.write_text("title: " + "x" * 2**21 + "\n")
    with pytest.raises(ConfigError) as error:
        parse_config(huge)
    assert "over 1 MB" in str(error.value)


def test_a_cache_that_cannot_be_written_is_503_with_what_to_do(app, client, monkeypatch):
    """SQLite's answer once the cache folder turned read-only under the running server."""
    import sqlite3

    from latent_dash import selection_store

    class ReadOnly:
        def set(self, *args, **kwargs):
            raise sqlite3.OperationalError("attempt to write a readonly database")

        def __contains__(self, key) -> bool:
            return False  # this selection was never stored

    monkeypatch.setattr(selection_store, "disk_cache", lambda name: ReadOnly())
    mask = np.zeros(120, bool)
    mask[:5] = True
    response = client.post(UPDATE, json=upload_body(app, {"mask": encode(mask), "source": "s"}))
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert "cannot be written (attempt to write a readonly database)" in error
    assert "Nothing you had is lost" in error and "make it writable" in error
