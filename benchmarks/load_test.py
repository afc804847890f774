"""Load test: simulated users making selections against gunicorn, on loopback.

    python benchmarks/load_test.py                      # 20 users, 10,000 requests, -w 2
    python benchmarks/load_test.py --users 20 --requests 10000 --workers 4 --n 10000

Writes a synthetic dataset (N samples, 16 latent dims, 5 params, 3 metadata columns, 32x32
float32 images, fixed seed) and a config with scatter, images and table views into a temporary
folder, starts `gunicorn app:server -w W` on a free port (cache folder in the temp folder too),
then runs U threads, each a simulated user with its own requests.Session (keep-alive):

1. loads the page: GET /, /_dash-layout, /_dash-dependencies, and POSTs the first callback
   (show_config) that renders the workspace, as the renderer does;
2. repeatedly makes a selection: POSTs the selection-upload callback with an encoded random mask
   (latent_dash.selection.encode, what the page's clientside code uploads after a box or lasso
   selection), then every server callback the page fires for the new `selection` store (image
   summary and gallery, table caption) and the table's block of rows (the grid's
   getRowsRequest after its clientside refresh), then GETs the gallery's thumbnails.

Request bodies are built from /_dash-dependencies and the rendered layout the way the renderer
builds them (ids, properties, values from the component tree, MATCH/ALL expanded); their shape
was checked against bodies captured from Chromium's DevTools log (benchmarks/selection_roundtrip.py
records the same requests). The run stops after --requests requests in all. Prints a markdown
table: requests/s, p50/p95/p99 latency and errors, per kind of request and overall.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from latent_dash.selection import encode  # noqa: E402

UPDATE = "/_dash-update-component"
THUMB = re.compile(r"/thumbnail/[^\"'\s]+?\.png\?[^\"'\s]*")


# --- data and server -----------------------------------------------------------------------------


def write_config(folder: Path, n: int) -> Path:
    rng = np.random.default_rng(0)
    data = folder / "data"
    data.mkdir(parents=True)
    np.save(data / "latent.npy", rng.normal(size=(n, 16)).astype(np.float32))
    np.save(data / "params.npy", rng.uniform(size=(n, 5)).astype(np.float32))
    images = np.lib.format.open_memmap(data / "images.npy", "w+", np.float32, (n, 32, 32))
    for start in range(0, n, 10_000):
        stop = min(n, start + 10_000)
        images[start:stop] = rng.random((stop - start, 32, 32), dtype=np.float32)
    images.flush()
    del images
    pd.DataFrame(
        {
            "label": rng.integers(0, 5, n),
            "error": rng.random(n),
            "kind": rng.choice(["a", "b", "c"], n),
        }
    ).to_csv(data / "metadata.csv", index=False)
    config = folder / "load.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "title": "Load test",
                "dataset": {
                    "name": "load",
                    "latent": "data/latent.npy",
                    "images": "data/images.npy",
                    "params": "data/params.npy",
                    "param_names": ["p0", "p1", "p2", "p3", "p4"],
                    "metadata": "data/metadata.csv",
                },
                "layout": {"row": [{"column": ["scatter", "images"]}, {"column": ["table"]}]},
                "views": {"scatter": {"x": "z0", "y": "z1", "color": "label"}},
            },
            sort_keys=False,
        )
    )
    return config


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(config: Path, cache: Path, workers: int, threads: int) -> tuple:
    port = free_port()
    env = {
        **os.environ,
        "LATENT_DASH_CONFIG": str(config),
        "LATENT_DASH_CACHE_DIR": str(cache),
        "LATENT_DASH_WARM_UP": "0",
    }
    env.pop("LATENT_DASH_REDIS_URL", None)
    command = [sys.executable, "-m", "gunicorn", "app:server", "-w", str(workers),
               "-b", f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning"]  # fmt: skip
    if threads > 1:
        command += ["--threads", str(threads)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        except requests.RequestException:
            pass
        time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not start")


# --- a minimal renderer: ids, values and request bodies ------------------------------------------


def id_key(component_id) -> str:
    """Dash's string form of an id (dict ids: JSON with sorted keys, no spaces)."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return str(component_id)


def walk(node, props: dict) -> None:
    """Record every component's props by (id key, prop name)."""
    if isinstance(node, list):
        for item in node:
            walk(item, props)
    elif isinstance(node, dict) and "props" in node and "type" in node:
        own = node["props"]
        if "id" in own:
            for name, value in own.items():
                props[(id_key(own["id"]), name)] = value
        for value in own.values():
            walk(value, props)


def parse_dep(text: str):
    """A dependency id: a plain string, or a dict pattern (wildcards as ["MATCH"], ...)."""
    return json.loads(text) if text.startswith("{") else text


def matches(pattern: dict, concrete: dict, bound: dict) -> bool:
    if not isinstance(concrete, dict) or set(pattern) != set(concrete):
        return False
    for key, value in pattern.items():
        if value == ["MATCH"]:
            if key in bound and bound[key] != concrete[key]:
                return False
        elif value not in (["ALL"], ["ALLSMALLER"]) and value != concrete[key]:
            return False
    return True


class Page:
    """One user's page: the props of its components and the callbacks of the app."""

    def __init__(self, layout: dict, dependencies: list[dict]):
        self.props: dict = {}
        walk(layout, self.props)
        self.callbacks = [d for d in dependencies if not d.get("clientside_function")]

    def ids(self) -> list:
        seen = {}
        for key, _ in self.props:
            if key.startswith("{"):
                seen[key] = json.loads(key)
        return list(seen.values())

    def apply(self, response: dict) -> None:
        """Put a callback's response (new props, new children) into the page."""
        for key, changed in (response or {}).items():
            for name, value in changed.items():
                self.props[(key, name)] = value
                walk(value, self.props)

    def value(self, component_id, prop: str, overrides: dict):
        key = (id_key(component_id), prop)
        if key in overrides:
            return overrides[key]
        return self.props.get(key)

    def entry(self, component_id, prop: str, overrides: dict) -> dict:
        out = {"id": component_id, "property": prop}
        value = self.value(component_id, prop, overrides)
        if value is not None:
            out["value"] = value
        return out

    def expand(self, dep: dict, bound: dict, overrides: dict, with_value: bool = True):
        pattern = parse_dep(dep["id"])
        # outputs keep allow_duplicate's "@hash", as the renderer sends them
        prop = dep["property"] if not with_value else dep["property"].split("@")[0]
        make = self.entry if with_value else (lambda i, p, _o: {"id": i, "property": p})
        if not isinstance(pattern, dict):
            return make(pattern, prop, overrides)
        found = [i for i in self.ids() if matches(pattern, i, bound)]
        if any(v == ["MATCH"] for v in pattern.values()):
            return make(found[0], prop, overrides) if found else None
        return [make(i, prop, overrides) for i in found]

    def bodies(self, callback: dict, changed: list[str], overrides: dict) -> list[dict]:
        """The requests the renderer sends for `callback` (one per MATCH instance)."""
        match_sets = [{}]
        for dep in callback["inputs"]:
            pattern = parse_dep(dep["id"])
            if isinstance(pattern, dict) and ["MATCH"] in pattern.values():
                keys = [k for k, v in pattern.items() if v == ["MATCH"]]
                match_sets = [
                    {k: i[k] for k in keys} for i in self.ids() if matches(pattern, i, {})
                ]
                break
        outputs_text = callback["output"]
        multi = outputs_text.startswith("..")
        parts = outputs_text.strip(".").split("...") if multi else [outputs_text]
        bodies = []
        for bound in match_sets:
            outputs = []
            for part in parts:
                key, prop = part.rsplit(".", 1)
                dep = {"id": key, "property": prop}
                outputs.append(self.expand(dep, bound, {}, with_value=False))
            inputs = [self.expand(d, bound, overrides) for d in callback["inputs"]]
            state = [self.expand(d, bound, overrides) for d in callback["state"]]
            if any(x is None for x in inputs + state + outputs) or all(o == [] for o in outputs):
                continue  # a view missing from this page: the renderer does not call it
            bodies.append(
                {
                    "output": outputs_text,
                    "outputs": outputs if multi else outputs[0],
                    "inputs": inputs,
                    "state": state,
                    "changedPropIds": changed,
                    "parsedChangedPropsIds": changed,
                }
            )
        return bodies


def callback_with_input(dependencies: list[dict], dep_id: str, prop: str) -> list[dict]:
    return [
        d
        for d in dependencies
        if not d.get("clientside_function")
        and any(i["id"] == dep_id and i["property"] == prop for i in d["inputs"])
    ]


def rows_callbacks(dependencies: list[dict]) -> list[dict]:
    return [
        d
        for d in dependencies
        if not d.get("clientside_function")
        and any(i["property"] == "getRowsRequest" for i in d["inputs"])
    ]


# --- the users -----------------------------------------------------------------------------------


class Recorder:
    def __init__(self, budget: int):
        self.lock = threading.Lock()
        self.budget = budget
        self.samples: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.error_examples: list[str] = []

    def take(self) -> bool:
        with self.lock:
            if self.budget <= 0:
                return False
            self.budget -= 1
            return True

    def record(self, kind: str, seconds: float, ok: bool, note: str = "") -> None:
        with self.lock:
            self.samples.setdefault(kind, []).append(seconds)
            if not ok:
                self.errors[kind] = self.errors.get(kind, 0) + 1
                if len(self.error_examples) < 5:
                    self.error_examples.append(f"{kind}: {note}")


class Stop(Exception):
    pass


def call(session, recorder: Recorder, kind: str, method: str, url: str, **kwargs):
    if not recorder.take():
        raise Stop
    start = time.perf_counter()
    try:
        response = session.request(method, url, timeout=60, **kwargs)
        ok = response.status_code in (200, 204)
        note = f"{response.status_code} {response.text[:200]}"
    except requests.RequestException as error:
        response, ok, note = None, False, str(error)
    recorder.record(kind, time.perf_counter() - start, ok, note)
    return response


def user(url: str, n: int, seed: int, recorder: Recorder) -> None:
    rng = np.random.default_rng(seed)
    session = requests.Session()
    try:
        call(session, recorder, "page", "GET", url + "/")
        layout = call(session, recorder, "page", "GET", url + "/_dash-layout").json()
        deps = call(session, recorder, "page", "GET", url + "/_dash-dependencies").json()
        page = Page(layout, deps)
        [first] = callback_with_input(deps, "url", "search")
        [body] = page.bodies(first, ["url.search"], {("url", "search"): "?config=load"})
        response = call(session, recorder, "page", "POST", url + UPDATE, json=body)
        page.apply(response.json()["response"])
        [upload] = callback_with_input(deps, "selection-upload", "data")
        followers = callback_with_input(deps, "selection", "data")
        rows = rows_callbacks(deps)
        while True:
            # a box-like selection: the samples within a random window of two latent-ish ranks
            lo = rng.integers(0, n - 1)
            mask = np.zeros(n, dtype=bool)
            mask[lo : lo + rng.integers(1, n // 2)] = True
            mask &= rng.random(n) < 0.7
            overrides = {
                ("selection-upload", "data"): {"mask": encode(mask), "source": "scatter"}
            }
            [body] = page.bodies(upload, ["selection-upload.data"], overrides)
            response = call(session, recorder, "upload", "POST", url + UPDATE, json=body)
            if response is None or response.status_code != 200:
                continue
            page.apply(response.json()["response"])
            thumbnails = []
            for callback in followers:
                for body in page.bodies(callback, ["selection.data"], {}):
                    response = call(session, recorder, "views", "POST", url + UPDATE, json=body)
                    if response is not None and response.status_code == 200:
                        thumbnails += THUMB.findall(response.text.replace("\\u002f", "/"))
            block = {"startRow": 0, "endRow": 50, "sortModel": [], "filterModel": {}}  # as captured
            for callback in rows:
                grid = next(i for i in callback["inputs"] if i["property"] == "getRowsRequest")
                for found in page.ids():
                    if not matches(parse_dep(grid["id"]), found, {}):
                        continue
                    overrides = {(id_key(found), "getRowsRequest"): block}
                    for body in page.bodies(callback, [], overrides):
                        changed = [f"{id_key(found)}.getRowsRequest"]
                        body["changedPropIds"] = body["parsedChangedPropsIds"] = changed
                        call(session, recorder, "rows", "POST", url + UPDATE, json=body)
            for address in dict.fromkeys(thumbnails):
                call(session, recorder, "thumbnail", "GET", url + address.replace("&amp;", "&"))
    except Stop:
        return


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn --threads per worker")
    parser.add_argument("--n", type=int, default=10_000, help="samples in the dataset")
    parser.add_argument("--url", help="drive a server already running here instead")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="latent-dash-load-") as tmp:
        folder = Path(tmp)
        process = None
        if args.url:
            url = args.url.rstrip("/")
        else:
            config = write_config(folder / "cfg", args.n)
            process, url = start_gunicorn(config, folder / "cache", args.workers, args.threads)
        try:
            recorder = Recorder(args.requests)
            threads = [
                threading.Thread(target=user, args=(url, args.n, seed, recorder))
                for seed in range(args.users)
            ]
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            took = time.perf_counter() - began
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=30)

    every = [s for values in recorder.samples.values() for s in values]
    print(
        f"\n{args.users} users, gunicorn -w {args.workers}"
        + (f" --threads {args.threads}" if args.threads > 1 else "")
        + f", N = {args.n:,}, {len(every):,} requests in {took:.1f} s "
        f"({os.cpu_count()} cores, client and server on the same machine)\n"
    )
    print("| requests | count | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for kind, values in [*sorted(recorder.samples.items()), ("all", every)]:
        errors = sum(recorder.errors.values()) if kind == "all" else recorder.errors.get(kind, 0)
        print(
            f"| {kind} | {len(values):,} | {len(values) / took:.0f} | "
            f"{percentile(values, 50):.0f} | {percentile(values, 95):.0f} | "
            f"{percentile(values, 99):.0f} | {errors} |"
        )
    if recorder.error_examples:
        print("\nfirst errors:\n" + "\n".join(recorder.error_examples))
    if every:
        print(f"\nmean {statistics.mean(every) * 1000:.0f} ms per request")
    return 1 if recorder.errors else 0


if __name__ == "__main__":
    sys.exit(main())
