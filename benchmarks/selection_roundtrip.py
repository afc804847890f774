"""Linked selection, measured: page bytes, selection round-trip bytes and server time.

For N = 10,000 and 100,000 samples (16 latent dims, 5 params, 3 metadata columns, 32x32
float32 images, generated with a fixed seed into a temporary folder), a config with scatter,
parcoords, images and table views is served by latent-dash and by the naive baseline
(benchmarks/naive_app.py) in subprocesses on free ports, and driven by a real headless
Chromium (Debian /usr/bin/chromium + chromedriver, selenium 4.2). Bytes come from the
browser's own network log (Chrome DevTools Protocol events through performance logging):

1. first paint: GET /_dash-layout, the show_config response that renders the workspace, and
   every /_dash-update-component response until the network is quiet;
2. a box selection over the left half of the scatter, and a brush over the middle half of the
   first parcoords axis, made with the mouse (ActionChains): request and response bytes of every
   request between the gesture and a quiet network, per callback, split into (a) the selection
   traffic proper and (b) content the views then fetch (thumbnails, table rows); and, in the
   page's own clock, the time from the mouse release to the new count, to the last response and
   to the main thread's last long task;
3. server time: the captured POST bodies of the selection callbacks replayed with Flask's test
   client (app.server.test_client()) inside the server's process, so with the very code the
   browser used (median of 5, on fresh app instances, per-selection caches cleared).

Run from the repository root (about 4-5 minutes on 2 cores, most of it the naive baseline
drawing 100k parcoords lines in software):

    python benchmarks/selection_roundtrip.py
    python benchmarks/selection_roundtrip.py --sizes 10000 --reps 1     # quick look
    python benchmarks/selection_roundtrip.py --json results.json          # raw figures too

Prints a markdown table and the details per callback.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
LAYOUT = {"row": [{"column": ["scatter", "parcoords"]}, {"column": ["images", "table"]}]}
DIMS, PARAMS, IMAGE_SHAPE = 16, 5, (32, 32)
QUIET_SECONDS = 1.0
# waits for the page's main thread to be idle are capped (the figure is then a lower bound): the
# naive baseline redraws every parcoords line, which takes minutes in software rendering at 100k
NAIVE_PAGE_CAP = 60.0
NAIVE_GESTURE_CAP = 30.0
SCATTER = ".view-scatter"
PARCOORDS = ".view-parcoords"


# ---------------------------------------------------------------------------- synthetic data


def write_data(folder: Path, n: int, seed: int = 0) -> Path:
    """Latent (N,16), params (N,5), metadata (3 columns), images (N,32,32) float32; config."""
    rng = np.random.default_rng(seed)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    np.save(data / "latent.npy", rng.normal(size=(n, DIMS)).astype(np.float32))
    np.save(data / "params.npy", rng.uniform(size=(n, PARAMS)).astype(np.float32))
    pd.DataFrame(
        {
            "label": rng.integers(0, 10, n),
            "error": rng.random(n),
            "kind": rng.choice(["round", "oval", "flat"], n),
        }
    ).to_csv(data / "metadata.csv", index=False)
    images = np.lib.format.open_memmap(
        data / "images.npy", mode="w+", dtype=np.float32, shape=(n, *IMAGE_SHAPE)
    )
    for start in range(0, n, 10_000):  # blocks: bounded memory at any N
        stop = min(n, start + 10_000)
        images[start:stop] = rng.random((stop - start, *IMAGE_SHAPE), dtype=np.float32)
    images.flush()
    del images
    config = folder / "bench.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "title": f"Benchmark N={n:,}",
                "dataset": {
                    "name": f"bench-{n}",
                    "latent": "data/latent.npy",
                    "images": "data/images.npy",
                    "params": "data/params.npy",
                    "param_names": [f"p{k}" for k in range(PARAMS)],
                    "metadata": "data/metadata.csv",
                },
                "layout": LAYOUT,
            },
            sort_keys=False,
        )
    )
    return config


# ---------------------------------------------------------------------------- servers


def free_port() -> int:
    """A free local port (never 8050, where others run their tests)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 8050:
            return port


REPLAY_PATH = "/_bench/replay"


def add_replay_route(app, make_app, before=None) -> None:
    """POST REPLAY_PATH {"bodies": [[label, body], ...]} -> {label: median seconds}.

    The benchmark's own route, added by the subprocess entries below (never by latent-dash):
    the replay runs in the server's process, with the very code the browser session used."""
    import flask

    def handler():
        bodies = [(label, body) for label, body in flask.request.get_json()["bodies"]]
        return flask.jsonify(replay(make_app, bodies, before=before))

    app.server.add_url_rule(REPLAY_PATH, "bench_replay", handler, methods=["POST"])


def serve_latent(config: str, port: int) -> None:
    """Subprocess entry: latent-dash on `config` (create_app(config).run), plus the replay."""
    from latent_dash.app import create_app
    from latent_dash.views import images

    # the per-selection cache of the images view (module level): cleared before each timed pass
    stats = getattr(images, "selection_stats", None)
    app = create_app(config)
    add_replay_route(app, lambda: create_app(config), getattr(stats, "cache_clear", None))
    app.run(host="127.0.0.1", port=port, debug=False)


def serve_naive(data: str, port: int) -> None:
    """Subprocess entry: the naive baseline (benchmarks/naive_app.py), plus the replay."""
    sys.path.insert(0, str(HERE))
    import naive_app

    app = naive_app.create_app(data)
    add_replay_route(app, lambda: naive_app.create_app(data))
    app.run(host="127.0.0.1", port=port, debug=False)


def ask_replay(url: str, bodies: list[tuple[str, str]]) -> dict[str, float]:
    request = urllib.request.Request(
        url + REPLAY_PATH,
        data=json.dumps({"bodies": bodies}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def server(command: list[str], port: int, log: Path, env: dict[str, str]):
    """A server subprocess, up when GET / answers; stopped (by its pid) on exit."""
    with log.open("w") as out:
        process = subprocess.Popen(  # run in the temporary folder: nothing lands in the repo
            command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=log.parent
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: see {log}\n{log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not up after 60 s: see {log}") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------------------- the browser


# In-page clocks (ms of performance.now()), installed before any page script runs: mouse
# releases, long tasks (the main thread busy > 50 ms: rendering, scripts) and, once the page is
# drawn (WATCH), changes of the selection count text.
CLOCKS = """
window.__bench = {mouseup: [], count: [], busy: []};
document.addEventListener("mouseup", () => window.__bench.mouseup.push(performance.now()), true);
new PerformanceObserver((list) => list.getEntries().forEach(
    (e) => window.__bench.busy.push(e.startTime + e.duration))).observe({type: "longtask"});
"""
WATCH = """
new MutationObserver(() => window.__bench.count.push(performance.now())).observe(
    document.querySelector("#selection-count"),
    {childList: true, subtree: true, characterData: true});
"""
RESET = "const b = window.__bench; b.mouseup = []; b.count = [];"
READ = "return [performance.timeOrigin, window.__bench];"
LAST_BUSY = "return [performance.now(), Math.max(0, ...window.__bench.busy)];"


def wait_idle(driver, cap: float, quiet_ms: float = 1000.0) -> tuple[float, bool]:
    """Wait until the page's main thread had no long task for `quiet_ms` (at most `cap` s).

    Returns (end of the last long task in page ms, whether the cap was hit)."""
    end = time.monotonic() + cap
    while True:
        now, last = driver.execute_script(LAST_BUSY)
        if now - last >= quiet_ms:
            return last, False
        if time.monotonic() > end:
            return last, True
        time.sleep(0.25)


def chrome(*, width: int = 1400, height: int = 1000):
    """Headless Debian Chromium with the flags of tests/conftest.py, plus performance logging."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        f"--window-size={width},{height}",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CLOCKS})
    return driver


@dataclass
class Request:
    """One network request as the browser saw it (CDP Network.* events)."""

    id: str
    method: str
    url: str
    sent: float  # CDP timestamp (s)
    sent_wall: float = 0.0  # wall clock (s since the epoch)
    body: str | None = None  # POST body
    has_body: bool = False
    response_bytes: int = 0  # encodedDataLength at loadingFinished: headers + body, on the wire
    finished: float | None = None
    failed: bool = False
    cached: bool = False
    status: int | None = None

    @property
    def finished_wall(self) -> float | None:
        return None if self.finished is None else self.sent_wall + self.finished - self.sent

    @property
    def request_bytes(self) -> int:
        return len(self.body.encode()) if self.body else 0

    @property
    def done(self) -> bool:
        return self.finished is not None or self.failed

    @property
    def path(self) -> str:
        return self.url.split("://", 1)[-1].split("/", 1)[-1].split("?")[0]

    @property
    def payload(self) -> dict[str, Any]:
        try:
            return json.loads(self.body or "{}")
        except ValueError:
            return {}


class NetLog:
    """The requests of a page from the driver's performance log, window by window."""

    def __init__(self, driver) -> None:
        self.driver = driver
        self.requests: dict[str, Request] = {}
        self.last_new = time.monotonic()

    def poll(self) -> None:
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            method, params = message["method"], message.get("params", {})
            rid = params.get("requestId")
            if method == "Network.requestWillBeSent":
                request = params["request"]
                if request["url"].startswith("data:"):
                    continue  # inline images: their bytes are in the response that held them
                record = Request(
                    rid,
                    request["method"],
                    request["url"],
                    params["timestamp"],
                    params.get("wallTime", 0.0),
                )
                record.body = request.get("postData")
                record.has_body = bool(request.get("hasPostData"))
                self.requests[rid] = record
                self.last_new = time.monotonic()
            elif rid not in self.requests:
                continue
            elif method == "Network.responseReceived":
                response = params["response"]
                self.requests[rid].status = response.get("status")
                if response.get("fromDiskCache") or response.get("fromServiceWorker"):
                    self.requests[rid].cached = True
            elif method == "Network.requestServedFromCache":
                self.requests[rid].cached = True
            elif method == "Network.loadingFinished":
                self.requests[rid].response_bytes = int(params.get("encodedDataLength", 0))
                self.requests[rid].finished = params["timestamp"]
            elif method == "Network.loadingFailed":
                self.requests[rid].failed = True
                self.requests[rid].finished = params["timestamp"]
        for record in self.requests.values():  # large bodies are not in the event: ask for them
            if record.has_body and record.body is None:
                with contextlib.suppress(Exception):
                    got = self.driver.execute_cdp_cmd(
                        "Network.getRequestPostData", {"requestId": record.id}
                    )
                    record.body = got["postData"]

    def window(self) -> list[Request]:
        """The requests since the last window, and start a new one."""
        self.poll()
        out = list(self.requests.values())
        self.requests = {}
        return out

    def wait_quiet(self, quiet: float = QUIET_SECONDS, timeout: float = 120.0) -> None:
        """Until every request has finished and none has started for `quiet` seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.poll()
            pending = [r for r in self.requests.values() if not r.done]
            if not pending and time.monotonic() - self.last_new >= quiet:
                return
            time.sleep(0.1)
        raise TimeoutError("the network did not settle")


def wait_for(condition, timeout: float = 120.0, step: float = 0.05):
    end = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            value = condition()
            if value:
                return value
        if time.monotonic() > end:
            raise TimeoutError(f"condition not met in {timeout} s")
        time.sleep(step)


def text_of(driver, selector: str) -> str:
    return driver.find_element("css selector", selector).text


# ---------------------------------------------------------------------------- traffic


def outputs_label(payload: dict[str, Any]) -> str:
    """A readable name of a callback from its POST body: its outputs, e.g. images.summary."""
    outputs = payload.get("outputs")
    outputs = outputs if isinstance(outputs, list) else [outputs]
    names = []
    for out in outputs:
        if isinstance(out, list):  # ALL outputs: a list per output
            out = out[0] if out else {}
        if not isinstance(out, dict):
            continue
        ident = out.get("id")
        if isinstance(ident, dict):
            ident = ".".join(str(ident[k]) for k in ("kind", "part") if k in ident)
        names.append(f"{ident}.{str(out.get('property', '')).split('@')[0]}")
    return " + ".join(names) or "?"


# names of the callbacks seen, by their first output (the rest are named by their outputs)
CALLBACK_NAMES = {
    "workspace.children": "show_config",
    "selection.data": "register_upload",
    "selection-mask.data": "select_by_brush",
    "images.summary.children": "images: show_summary",
    "images.thumbs.children": "images: show_gallery",
    "images.focus.children": "images: show_focus",
    "parcoords.data.data": "parcoords: redraw",
    "scatter.graph.figure": "scatter: redraw",
    "scatter.x.options": "columns: refresh",
    "scatter.figure": "naive: select",
}
MASK_CALLBACKS = ("register_upload", "select_by_brush")


def callback_name(payload: dict[str, Any]) -> str:
    """e.g. "images: show_gallery (images.thumbs.children +4)"."""
    outputs = outputs_label(payload).split(" + ")
    more = f" +{len(outputs) - 1}" if len(outputs) > 1 else ""
    name = CALLBACK_NAMES.get(outputs[0])
    return f"{name} ({outputs[0]}{more})" if name else f"{outputs[0]}{more}"


def input_ids(payload: dict[str, Any]) -> list[tuple[Any, str]]:
    items = []
    for item in payload.get("inputs", []):
        for one in item if isinstance(item, list) else [item]:
            items.append((one.get("id"), one.get("property")))
    return items


def classify(request: Request) -> tuple[str, str]:
    """(category, label): category "a" selection traffic, "b" content, "other"."""
    if request.path == "_dash-update-component":
        payload = request.payload
        label = callback_name(payload)
        inputs = input_ids(payload)
        props = {p for _, p in inputs}
        names = {i if isinstance(i, str) else json.dumps(i, sort_keys=True) for i, _ in inputs}
        if "getRowsRequest" in props:
            return "b", label
        if {"selection-upload", "selection"} & names:
            return "a", label
        if any(isinstance(i, dict) and i.get("part") == "brush" for i, _ in inputs):
            return "a", label
        if "selectedData" in props:
            return "a", label
        return "other", label
    if request.path.startswith("thumbnail/"):
        return "b", "thumbnail PNG GET"
    return "other", f"{request.method} /{request.path}"


@dataclass
class Traffic:
    requests: list[Request]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self.requests:
            category, label = classify(r)
            row = merged.setdefault(
                (category, label),
                {
                    "category": category,
                    "label": label,
                    "count": 0,
                    "cached": 0,
                    "request": 0,
                    "response": 0,
                },
            )
            row["count"] += 1
            row["cached"] += int(r.cached)
            row["request"] += r.request_bytes
            row["response"] += r.response_bytes
        self.rows = sorted(merged.values(), key=lambda row: (row["category"], -row["response"]))

    def mask_bytes(self) -> int:
        """Bytes of the callbacks that carry the mask itself (register_upload, select_by_brush)."""
        return sum(
            row["request"] + row["response"]
            for row in self.rows
            if row["label"].startswith(MASK_CALLBACKS)
        )

    def total(self, category: str | None = None) -> int:
        return sum(
            row["request"] + row["response"]
            for row in self.rows
            if category is None or row["category"] == category
        )

    def span(self) -> float:
        """Seconds from the first request sent to the last response finished."""
        done = [r.finished for r in self.requests if r.finished is not None]
        if not done:
            return 0.0
        return max(done) - min(r.sent for r in self.requests)

    def bodies(self, category: str) -> list[tuple[str, str]]:
        """(label, POST body) of the callbacks of a category, in the order they were sent."""
        out = []
        for r in sorted(self.requests, key=lambda r: r.sent):
            cat, label = classify(r)
            if cat == category and r.path == "_dash-update-component" and r.body:
                out.append((label, r.body))
        return out


# ---------------------------------------------------------------------------- gestures


def scroll_to(driver, element) -> None:
    """Bring an element into the viewport (W3C actions do not scroll by themselves)."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    time.sleep(0.3)  # let plotly see the scroll before the mouse moves


def box_select(driver, selector: str, right: float) -> None:
    """Drag a selection box over the plot area from its top-left to `right` of its width.

    selenium 4.2's move_to_element_with_offset measures from the element's top-left corner."""
    from selenium.webdriver.common.action_chains import ActionChains

    area = driver.find_element("css selector", f"{selector} .nsewdrag")
    scroll_to(driver, area)
    w, h = area.size["width"], area.size["height"]
    x0, y0, x1, y1 = 2, 2, int(w * right), h - 2
    chain = ActionChains(driver).move_to_element_with_offset(area, x0, y0).click_and_hold()
    for k in (1, 2, 3):
        chain.move_by_offset(
            (x1 - x0) // 3 if k < 3 else (x1 - x0) - 2 * ((x1 - x0) // 3),
            (y1 - y0) // 3 if k < 3 else (y1 - y0) - 2 * ((y1 - y0) // 3),
        )
    chain.release().perform()


def brush_first_axis(driver, selector: str, top: float, bottom: float) -> None:
    """Drag a brush on the first parcoords axis, from `top` to `bottom` of its height."""
    from selenium.webdriver.common.action_chains import ActionChains

    area = driver.find_elements("css selector", f"{selector} .axis-brush rect.background")[0]
    scroll_to(driver, area)
    h = area.size["height"]
    y0, y1 = int(h * top), int(h * bottom)
    (
        ActionChains(driver)
        .move_to_element_with_offset(area, 5, y0)
        .click_and_hold()
        .move_by_offset(0, (y1 - y0) // 2)
        .move_by_offset(0, (y1 - y0) - (y1 - y0) // 2)
        .release()
        .perform()
    )


@dataclass
class Gesture:
    traffic: Traffic
    count: str  # "#selection-count" text after the gesture
    count_ms: float  # mouse release to the new count text (in the page's clock)
    network_ms: float  # mouse release to the last response finished
    busy_ms: float  # mouse release to the end of the last long task (main thread busy)
    capped: bool  # the page was still busy when we stopped waiting: busy_ms is a lower bound


def measure_gesture(driver, net: NetLog, do, idle_cap: float = 60.0) -> Gesture:
    """Run a gesture; record every request until the count changed and the network is quiet."""
    wait_idle(driver, idle_cap)
    net.wait_quiet()
    net.window()
    driver.execute_script(RESET)
    before = text_of(driver, "#selection-count")
    do()
    count = wait_for(lambda: (t := text_of(driver, "#selection-count")) != before and t)
    net.wait_quiet()
    traffic = Traffic(net.window())
    busy, capped = wait_idle(driver, idle_cap)
    origin, clocks = driver.execute_script(READ)
    release = clocks["mouseup"][-1] if clocks["mouseup"] else float("nan")
    counted = next((t for t in clocks["count"] if t >= release), release)
    ends = [r.finished_wall for r in traffic.requests if r.finished_wall]
    network = max(ends) * 1000 - origin - release if ends else 0.0
    return Gesture(traffic, count, counted - release, network, max(0.0, busy - release), capped)


# ---------------------------------------------------------------------------- first paint


@dataclass
class PageLoad:
    traffic: Traffic
    seconds_to_ready: float  # wall clock from navigation to the views being drawn
    seconds_to_idle: float  # navigation to the end of the last long task (page clock)
    capped: bool  # still busy when we stopped waiting: seconds_to_idle is a lower bound

    def bytes_of(self, path: str, response: bool = True) -> int:
        return sum(
            r.response_bytes if response else r.request_bytes
            for r in self.traffic.requests
            if r.path == path
        )

    @property
    def layout(self) -> int:
        return self.bytes_of("_dash-layout")

    @property
    def updates(self) -> int:
        return self.bytes_of("_dash-update-component")

    @property
    def json(self) -> int:
        """The page's JSON: GET /_dash-layout and every /_dash-update-component response."""
        return self.layout + self.updates

    @property
    def workspace(self) -> int:
        """The show_config response (the one whose outputs hold workspace.children)."""
        return sum(
            r.response_bytes
            for r in self.traffic.requests
            if r.path == "_dash-update-component"
            and outputs_label(r.payload).startswith("workspace.children")
        )

    @property
    def thumbnails(self) -> int:
        return sum(r.response_bytes for r in self.traffic.requests if r.path.startswith("thumb"))

    @property
    def static(self) -> int:
        """Everything else: html, javascript bundles, css (cacheable, the same at any N)."""
        return sum(r.response_bytes for r in self.traffic.requests) - self.json - self.thumbnails


def measure_page(
    driver, net: NetLog, url: str, ready: list[str], idle_cap: float = 120.0
) -> PageLoad:
    net.window()
    start = time.monotonic()
    driver.get(url)
    for selector in ready:
        wait_for(lambda s=selector: driver.find_elements("css selector", s))
    wait_for(lambda: text_of(driver, "#selection-count"))
    drawn = time.monotonic()
    net.wait_quiet()
    traffic = Traffic(net.window())
    idle, capped = wait_idle(driver, idle_cap)
    driver.execute_script(WATCH)
    return PageLoad(traffic, drawn - start, idle / 1e3, capped)


# ---------------------------------------------------------------------------- server time


def replay(make_app, bodies: list[tuple[str, str]], reps: int = 5, before=None) -> dict:
    """{label: {"wall": s, "cpu": s}}: medians of `reps` replays of POST bodies with Flask's
    test client; "cpu" is this thread's CPU time, which other load on the machine barely changes.

    Each repetition uses a fresh app (per-app caches empty) after `before()` (which clears the
    module-level per-selection caches); one untimed pass first warms the process (dataset load,
    disk cache open, imports), as a running server is warm."""

    def client_of():
        client = make_app().server.test_client()
        client.get("/_dash-layout")
        client.get("/_dash-dependencies")
        return client

    def post(client, body: str) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.thread_time()
        response = client.post(
            "/_dash-update-component", data=body, content_type="application/json"
        )
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        if response.status_code not in (200, 204):
            raise RuntimeError(f"replay answered {response.status_code}: {response.data[:500]}")
        return wall, cpu

    client = client_of()
    for _, body in bodies:
        post(client, body)
    times: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in bodies}
    for _ in range(reps):
        client = client_of()
        if before:
            before()
        for label, body in bodies:
            times[label].append(post(client, body))
    return {
        label: {
            "wall": statistics.median(w for w, _ in values),
            "cpu": statistics.median(c for _, c in values),
        }
        for label, values in times.items()
    }


def unique_labels(bodies: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, int] = {}
    out = []
    for label, body in bodies:
        seen[label] = seen.get(label, 0) + 1
        out.append((label if seen[label] == 1 else f"{label} #{seen[label]}", body))
    return out


# ---------------------------------------------------------------------------- one size


def box_right(k: int) -> float:
    """Repetition k's box spans the plot area's left 0.5, 0.46, 0.54, 0.42, ... of its width
    (slightly different each time, so that every repetition is a new selection)."""
    return 0.5 + 0.04 * (-1) ** k * ((k + 1) // 2)


def brush_span(k: int) -> tuple[float, float]:
    """Repetition k's brush: the middle half of the axis, shifted a little after the first."""
    return 0.25 + 0.02 * k, 0.75 - 0.02 * k


def clear_selection(driver, net: NetLog, n: int, idle_cap: float = 60.0) -> None:
    button = driver.find_element("css selector", "#selection-clear")
    scroll_to(driver, button)
    button.click()
    wait_for(lambda: text_of(driver, "#selection-count") == f"0 of {n:,} selected")
    net.wait_quiet()
    wait_idle(driver, idle_cap)


def gesture_summary(g: Gesture) -> dict[str, Any]:
    t = g.traffic
    return {
        "count": g.count,
        "a": t.total("a"),
        "mask": t.mask_bytes(),
        "b": t.total("b"),
        "other": t.total("other"),
        "total": t.total(),
        "requests": len(t.requests),
        "count_ms": round(g.count_ms),
        "network_ms": round(g.network_ms),
        "busy_ms": round(g.busy_ms),
        "idle_capped": g.capped,
        "rows": t.rows,
    }


def page_summary(p: PageLoad) -> dict[str, Any]:
    return {
        "json": p.json,
        "layout": p.layout,
        "workspace": p.workspace,
        "updates": p.updates,
        "update_requests": p.bytes_of("_dash-update-component", response=False),
        "thumbnails": p.thumbnails,
        "static": p.static,
        "seconds_to_ready": round(p.seconds_to_ready, 3),
        "network_seconds": round(p.traffic.span(), 3),
        "seconds_to_idle": round(p.seconds_to_idle, 3),
        "idle_capped": p.capped,
        "rows": p.traffic.rows,
    }


def run_size(
    n: int, workdir: Path, reps: int, brush_reps: int, naive_reps: int, log
) -> dict[str, Any]:
    folder = workdir / f"n{n}"
    start = time.monotonic()
    config = write_data(folder, n)
    log(f"N={n:,}: data written in {time.monotonic() - start:.1f} s ({folder})")
    env = dict(os.environ, LATENT_DASH_CACHE_DIR=str(workdir / "cache"), PYTHONUNBUFFERED="1")
    result: dict[str, Any] = {"n": n}

    # latent-dash
    port = free_port()
    command = [sys.executable, str(Path(__file__).resolve()), "serve", str(config), str(port)]
    with server(command, port, folder / "latent-dash.log", env) as url:
        driver = chrome()
        try:
            result["browser"] = driver.capabilities.get("browserVersion")
            net = NetLog(driver)
            page = measure_page(
                driver,
                net,
                url + "/",
                [
                    f"{SCATTER} .nsewdrag",
                    f"{PARCOORDS} .axis-brush rect.background",
                    ".images-thumb img",
                    ".table-grid .ag-row",
                ],
            )
            result["page"] = page_summary(page)
            log(
                f"  latent-dash first paint: {page.json / 1e6:.2f} MB JSON, idle after "
                f"{page.seconds_to_idle:.1f} s"
            )
            wait_for(lambda: text_of(driver, "#selection-count") == f"0 of {n:,} selected")
            scatter, brush = [], []
            for k in range(reps):  # each box replaces the selection (mode "New")
                scatter.append(
                    measure_gesture(
                        driver, net, lambda k=k: box_select(driver, SCATTER, box_right(k))
                    )
                )
                log(
                    f"  box select {k + 1}: {scatter[-1].count}, "
                    f"{scatter[-1].traffic.total() / 1e3:.1f} kB, "
                    f"idle after {scatter[-1].busy_ms / 1e3:.1f} s"
                )
            for k in range(brush_reps):  # the first replaces the box's selection
                if k:
                    clear_selection(driver, net, n)  # else the drag would move the brush
                brush.append(
                    measure_gesture(
                        driver, net, lambda k=k: brush_first_axis(driver, PARCOORDS, *brush_span(k))
                    )
                )
                log(
                    f"  brush {k + 1}: {brush[-1].count}, {brush[-1].traffic.total() / 1e3:.1f} kB,"
                    f" idle after {brush[-1].busy_ms / 1e3:.1f} s"
                )
        finally:
            driver.quit()
        # server time: the first gestures' callbacks replayed in the server's process
        server_time = {
            "scatter_a": ask_replay(url, unique_labels(scatter[0].traffic.bodies("a"))),
            "scatter_b": ask_replay(url, unique_labels(scatter[0].traffic.bodies("b"))),
            "brush_a": ask_replay(url, unique_labels(brush[0].traffic.bodies("a"))),
            "first_paint": ask_replay(
                url,
                [
                    (label, body)
                    for label, body in unique_labels(page.traffic.bodies("other"))
                    if label.startswith("show_config")
                ][:1],
            ),
        }
    result["scatter"] = [gesture_summary(g) for g in scatter]
    result["brush"] = [gesture_summary(g) for g in brush]

    # naive baseline
    port = free_port()
    command = [sys.executable, str(Path(__file__).resolve()), "serve-naive", str(folder / "data")]
    command.append(str(port))
    with server(command, port, folder / "naive.log", env) as url:
        driver = chrome()
        try:
            net = NetLog(driver)
            naive_page = measure_page(  # drawing 100k lines in software takes ~1 min: capped
                driver,
                net,
                url + "/",
                [f"{SCATTER} .nsewdrag", f"{PARCOORDS} .axis-brush rect.background"],
                idle_cap=NAIVE_PAGE_CAP,
            )
            result["naive_page"] = page_summary(naive_page)
            log(
                f"  naive first paint: {naive_page.json / 1e6:.2f} MB JSON, idle after "
                f"{naive_page.seconds_to_idle:.1f} s"
            )
            naive = []
            for k in range(naive_reps):
                naive.append(
                    measure_gesture(
                        driver,
                        net,
                        lambda k=k: box_select(driver, SCATTER, box_right(k)),
                        idle_cap=NAIVE_GESTURE_CAP,
                    )
                )
                log(
                    f"  naive box select {k + 1}: {naive[-1].count}, "
                    f"{naive[-1].traffic.total() / 1e6:.2f} MB, "
                    f"idle after {naive[-1].busy_ms / 1e3:.1f} s"
                )
        finally:
            driver.quit()
        server_time["naive"] = ask_replay(url, unique_labels(naive[0].traffic.bodies("a")))
    result["naive"] = [gesture_summary(g) for g in naive]

    result["server"] = server_time
    totals = {
        key: sum(v["wall"] for v in values.values()) * 1e3 for key, values in server_time.items()
    }
    log(
        f"  server time (median of 5): scatter (a) {totals['scatter_a']:.1f} ms, brush (a) "
        f"{totals['brush_a']:.1f} ms, naive {totals['naive']:.1f} ms; "
        f"{time.monotonic() - start:.0f} s so far"
    )
    return result


# ---------------------------------------------------------------------------- report

PAGE_TARGET = 15e6  # bytes of first-paint JSON at N = 100k
SELECTION_CAP = 40e3  # bytes of selection traffic (a) at N = 100k
SERVER_TARGET = 0.050  # seconds of server time of the selection callbacks at N = 100k


def floor_bytes(n: int) -> int:
    """The packbits floor: N/8 bytes as base64 text."""
    return 4 * -(-((n + 7) // 8) // 3)


def size(b: float) -> str:
    return f"{b / 1e6:.2f} MB" if b >= 1e6 else f"{b / 1e3:.1f} kB"


def ms(s: float) -> str:
    return f"{s * 1e3:.1f} ms" if s < 10 else f"{s:.1f} s"


def verdict(ok: bool, value: str, how: str) -> str:
    return f"meets ({value})" if ok else f"MISSES ({value}, {how})"


def report(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    cols = results
    head = "| | " + " | ".join(f"N = {r['n']:,}" for r in cols) + " | target (N = 100k) |"
    lines = [head, "|---" * (len(cols) + 2) + "|"]
    big = next((r for r in cols if r["n"] == 100_000), None)

    def row(name: str, values: list[str], target: str = "") -> None:
        lines.append(f"| {name} | " + " | ".join(values) + f" | {target} |")

    def first(r, key):
        return r[key][0]

    # first paint
    if big:
        p = big["page"]["json"]
        target = verdict(p < PAGE_TARGET, size(p), f"over by {size(p - PAGE_TARGET)}")
    else:
        target = "-"
    row(
        "**First paint** JSON: /_dash-layout + all update-component responses",
        [size(r["page"]["json"]) for r in cols],
        f"< 15 MB: {target}",
    )
    row("&nbsp; of which /_dash-layout", [size(r["page"]["layout"]) for r in cols])
    row("&nbsp; of which show_config (the workspace)", [size(r["page"]["workspace"]) for r in cols])
    row(
        "&nbsp; of which the other update-component responses",
        [size(r["page"]["updates"] - r["page"]["workspace"]) for r in cols],
    )
    row("&nbsp; update-component requests (up)", [size(r["page"]["update_requests"]) for r in cols])
    row(
        "&nbsp; thumbnails / static js+css (not JSON)",
        [f"{size(r['page']['thumbnails'])} / {size(r['page']['static'])}" for r in cols],
    )

    def idle(page: dict) -> str:
        return (">" if page["idle_capped"] else "") + f"{page['seconds_to_idle']:.1f} s"

    row(
        "&nbsp; last response / browser idle, from navigation",
        [f"{r['page']['network_seconds']:.1f} s / {idle(r['page'])}" for r in cols],
    )
    row(
        "&nbsp; naive baseline JSON; ours / naive",
        [
            f"{size(r['naive_page']['json'])}; {r['page']['json'] / r['naive_page']['json']:.2f}"
            for r in cols
        ],
    )
    row(
        "&nbsp; naive last response / browser idle",
        [f"{r['naive_page']['network_seconds']:.1f} s / {idle(r['naive_page'])}" for r in cols],
    )

    # scatter box
    row(
        "**Box select**, left half of the scatter (1st gesture)",
        [first(r, "scatter")["count"] for r in cols],
    )
    if big:
        a = first(big, "scatter")["a"]
        target = verdict(a < SELECTION_CAP, size(a), f"over by {size(a - SELECTION_CAP)}") + (
            f"; {a / floor_bytes(big['n']):.2f}x the floor {size(floor_bytes(big['n']))}"
        )
    else:
        target = ""
    row(
        "&nbsp; (a) selection traffic, up + down",
        [size(first(r, "scatter")["a"]) for r in cols],
        f"< 40 kB (2x floor): {target}",
    )
    row(
        "&nbsp;&nbsp; of which the mask (register_upload)",
        [size(first(r, "scatter")["mask"]) for r in cols],
        f"floor {size(floor_bytes(big['n']))}" if big else "",
    )
    row(
        "&nbsp;&nbsp; of which the views' callbacks on the selection (see below)",
        [size(first(r, "scatter")["a"] - first(r, "scatter")["mask"]) for r in cols],
    )
    row(
        "&nbsp; (b) content fetched after (thumbnails, table rows)",
        [size(first(r, "scatter")["b"]) for r in cols],
    )
    row("&nbsp; total, every request", [size(first(r, "scatter")["total"]) for r in cols])
    row(
        "&nbsp; total, repetitions 1..k",
        [", ".join(size(g["total"]) for g in r["scatter"]) for r in cols],
    )
    row("&nbsp; naive baseline total", [size(first(r, "naive")["total"]) for r in cols])
    row(
        "&nbsp; ours / naive, bytes: total; (a) only",
        [
            f"{first(r, 'scatter')['total'] / first(r, 'naive')['total']:.4f}; "
            f"{first(r, 'scatter')['a'] / first(r, 'naive')['total']:.4f}"
            for r in cols
        ],
    )

    def secs(g: dict, key: str) -> str:
        capped = key == "busy_ms" and g["idle_capped"]
        return (">" if capped else "") + f"{g[key] / 1e3:.2f} s"

    for key, name in (
        ("count_ms", "count shown"),
        ("network_ms", "last response"),
        ("busy_ms", "browser idle"),
    ):
        row(
            f"&nbsp; mouse release to {name}: ours / naive",
            [f"{secs(first(r, 'scatter'), key)} / {secs(first(r, 'naive'), key)}" for r in cols],
        )

    # brush
    row(
        "**Brush**, middle half of the first parcoords axis (1st gesture)",
        [first(r, "brush")["count"] for r in cols],
    )
    if big:
        a = first(big, "brush")["a"]
        target = verdict(a < SELECTION_CAP, size(a), f"over by {size(a - SELECTION_CAP)}") + (
            f"; {a / floor_bytes(big['n']):.2f}x the floor"
        )
    else:
        target = ""
    row(
        "&nbsp; (a) selection traffic, up + down",
        [size(first(r, "brush")["a"]) for r in cols],
        f"< 40 kB: {target}",
    )
    row(
        "&nbsp;&nbsp; of which the mask (select_by_brush)",
        [size(first(r, "brush")["mask"]) for r in cols],
    )
    row(
        "&nbsp;&nbsp; of which the views' callbacks on the selection",
        [size(first(r, "brush")["a"] - first(r, "brush")["mask"]) for r in cols],
    )
    row("&nbsp; (b) content fetched after", [size(first(r, "brush")["b"]) for r in cols])
    row("&nbsp; total, every request", [size(first(r, "brush")["total"]) for r in cols])
    for key, name in (
        ("count_ms", "count shown"),
        ("network_ms", "last response"),
        ("busy_ms", "browser idle"),
    ):
        row(f"&nbsp; mouse release to {name}", [secs(first(r, "brush"), key) for r in cols])

    # server time
    def total(r, key, clock="wall"):
        return sum(v[clock] for v in r["server"][key].values())

    def both(r, key):
        return f"{ms(total(r, key))} ({ms(total(r, key, 'cpu'))} CPU)"

    if big:
        s = total(big, "scatter_a")
        target = verdict(s < SERVER_TARGET, ms(s), f"over by {ms(s - SERVER_TARGET)}")
        s2 = total(big, "brush_a")
        target2 = verdict(s2 < SERVER_TARGET, ms(s2), f"over by {ms(s2 - SERVER_TARGET)}")
    else:
        target = target2 = ""
    row(
        "**Server time**, wall (CPU), median of 5: box select, (a) callbacks",
        [both(r, "scatter_a") for r in cols],
        f"< 50 ms: {target}",
    )
    row("&nbsp; brush, (a) callbacks", [both(r, "brush_a") for r in cols], f"< 50 ms: {target2}")
    row("&nbsp; table rows block (b)", [both(r, "scatter_b") for r in cols])
    row("&nbsp; naive baseline callback", [both(r, "naive") for r in cols])
    row(
        "&nbsp; ours (a) / naive, wall (CPU)",
        [
            f"{total(r, 'scatter_a') / total(r, 'naive'):.3f} "
            f"({total(r, 'scatter_a', 'cpu') / total(r, 'naive', 'cpu'):.3f})"
            for r in cols
        ],
    )
    row("&nbsp; show_config (first paint, for reference)", [both(r, "first_paint") for r in cols])

    out = ["\n".join(lines), ""]
    out.append(
        f"Machine: {meta['machine']}. Date: {meta['date']}. Code: {meta['code']}. "
        f"Load average (1 min): {meta['load']}. Run time: {meta['seconds']:.0f} s. "
        f"Command: `{meta['command']}`."
    )
    out.append(
        "Bytes: request = POST body, response = encodedDataLength (headers + body, no "
        "compression); kB = 1,000 bytes."
    )
    for r in cols:
        out.append(f"\n#### Per callback, N = {r['n']:,} (first gesture)\n")
        out.append("| gesture | cat. | callback / request | n | up | down |")
        out.append("|---|---|---|---|---|---|")
        page_rows = [  # JSON and thumbnails, not the static bundles
            item
            for item in r["page"]["rows"]
            if not item["label"].startswith("GET ") or item["label"] == "GET /_dash-layout"
        ]
        for name, items in (
            ("first paint", page_rows),
            ("box", r["scatter"][0]["rows"]),
            ("brush", r["brush"][0]["rows"]),
            ("naive box", r["naive"][0]["rows"]),
        ):
            for item in items:
                cached = f" ({item['cached']} cached)" if item["cached"] else ""
                out.append(
                    f"| {name} | {item['category']} | {item['label']} | {item['count']}{cached} |"
                    f" {size(item['request'])} | {size(item['response'])} |"
                )
        out.append("\n| server time, median of 5 | callback | wall | CPU |")
        out.append("|---|---|---|---|")
        for key in ("scatter_a", "scatter_b", "brush_a", "naive", "first_paint"):
            for label, t in r["server"][key].items():
                out.append(f"| {key} | {label} | {ms(t['wall'])} | {ms(t['cpu'])} |")
    return "\n".join(out)


# ---------------------------------------------------------------------------- main


def code_version() -> str:
    """The commit measured, and whether the work tree had changes."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=HERE.parent, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "?"
    changed = [line for line in git("status", "--porcelain").splitlines() if line.strip()]
    return commit + (f" + {len(changed)} uncommitted changes" if changed else "")


def machine(browser: str | None) -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import dash
    import plotly

    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, dash {dash.__version__}, plotly "
        f"{plotly.__version__}, headless Chromium {browser}"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # subprocess entry: serve CONFIG PORT
        serve_latent(argv[1], int(argv[2]))
        return 0
    if argv[:1] == ["serve-naive"]:  # subprocess entry: serve-naive DATA_FOLDER PORT
        serve_naive(argv[1], int(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--reps", type=int, default=3, help="repetitions of the box select")
    parser.add_argument(
        "--brush-reps",
        type=int,
        default=1,
        help="repetitions of the parcoords brush (slow to redraw)",
    )
    parser.add_argument(
        "--naive-reps",
        type=int,
        default=1,
        help="repetitions of the naive baseline's gesture (slow at 100k)",
    )
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    started = time.monotonic()

    def log(text: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {text}", file=sys.stderr, flush=True)

    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="latent-dash-bench-"))
    os.environ["LATENT_DASH_CACHE_DIR"] = str(workdir / "cache")  # never the repository
    try:
        results = [
            run_size(n, workdir, args.reps, args.brush_reps, args.naive_reps, log)
            for n in args.sizes
        ]
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    meta = {
        "machine": machine(results[0].get("browser")),
        "date": datetime.date.today().isoformat(),
        "code": code_version(),
        "load": f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
        "command": "python benchmarks/selection_roundtrip.py " + " ".join(argv),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(report(results, meta))
    log(f"done in {meta['seconds']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
