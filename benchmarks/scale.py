"""latent-dash at scale: the synthetic config of `latent-dash synth` at N = 100k and 1M.

For each N (16 latent dims, 5 params, label + error metadata, 16x16 uint8 images, written with
latent_dash.synthetic into a temporary folder; never in the repository):

1. load: `open_config` in a fresh process (cold imports excluded), and that process's peak RSS;
2. first paint: the page served by latent-dash (a subprocess, free port, never 8050) and opened
   in headless Chromium: JSON bytes (GET /_dash-layout + every update-component response until
   the network is quiet), time to the views drawn and to the main thread idle;
3. a box selection over the left half of the scatter, a brush over the middle half of the
   first parcoords axis, and (after a clear) a small box at the scatter's left edge, whose
   selection is small enough for parcoords to add its selected lines, made with the mouse: the
   selection traffic (the mask up or down, and the callbacks on `selection`), time from the
   mouse release to the count shown and to the last server answer;
4. server time of the selection callbacks (their POST bodies replayed in the server process,
   median of 5), and the server's RSS: peak (VmHWM) and current, from /proc via psutil.

It reuses the machinery of benchmarks/selection_roundtrip.py (browser, network log, gestures,
replay). The Chromium here renders WebGL in software (no GPU): browser times are upper bounds.
The 1M run is heavy (minutes, ~1.5 GB for the browser): run it on a quiet machine.

    python benchmarks/scale.py                       # N = 100,000 and 1,000,000
    python benchmarks/scale.py --sizes 100000 --json scale.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import selection_roundtrip as rt  # noqa: E402

from latent_dash.synthetic import SynthSpec, synthesize  # noqa: E402

SCATTER, PARCOORDS, EMBEDDING = ".view-scatter", ".view-parcoords", ".view-embedding"

LOAD_CHILD = r"""
import json, sys, time
import latent_dash.data, latent_dash.views  # imports first: not part of the load time
t = time.perf_counter()
loaded, dataset = latent_dash.data.open_config(sys.argv[1])
load = time.perf_counter() - t
status = dict(l.split(":", 1) for l in open("/proc/self/status") if l.startswith("Vm"))
print(json.dumps({"load_s": load, "n": dataset.n,
                  "peak_rss_mb": int(status["VmHWM"].split()[0]) / 1024}))
"""


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir()) / 1e6


def rss_mb(pid: int) -> dict[str, float]:
    """Current and peak RSS of a process (psutil; peak from VmHWM)."""
    process = psutil.Process(pid)
    peak = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    return {"rss_mb": process.memory_info().rss / 2**20, "peak_rss_mb": peak}


def server_pid(port: int) -> int:
    """The pid of the process listening on `port` (our server subprocess)."""
    for conn in psutil.net_connections("tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN:
            return conn.pid
    raise RuntimeError(f"no process listens on {port}")


def run_size(n: int, workdir: Path, log, idle_cap: float, small_box: float) -> dict[str, Any]:
    folder = workdir / f"n{n}"
    start = time.monotonic()
    config = synthesize(folder, SynthSpec(n=n, dims=16))
    result: dict[str, Any] = {
        "n": n,
        "synth_s": time.monotonic() - start,
        "disk_mb": folder_mb(folder),
    }
    log(f"N={n:,}: synthesized in {result['synth_s']:.1f} s, {result['disk_mb']:.0f} MB")
    env = dict(os.environ, LATENT_DASH_CACHE_DIR=str(workdir / "cache"), PYTHONUNBUFFERED="1")
    out = subprocess.run(
        [sys.executable, "-c", LOAD_CHILD, str(config)],
        check=True, capture_output=True, text=True, env=env, cwd=HERE.parent,
    ).stdout  # fmt: skip
    result["load"] = json.loads(out.strip().splitlines()[-1])
    log(f"  open_config {result['load']['load_s'] * 1e3:.0f} ms")

    port = rt.free_port()
    command = [sys.executable, str(HERE / "selection_roundtrip.py"), "serve", str(config)]
    command.append(str(port))
    with rt.server(command, port, folder / "server.log", env) as url:
        pid = server_pid(port)
        result["rss_idle"] = rss_mb(pid)
        driver = rt.chrome()
        try:
            result["browser"] = driver.capabilities.get("browserVersion")
            net = rt.NetLog(driver)
            page = rt.measure_page(
                driver,
                net,
                url + "/",
                [
                    f"{SCATTER} .nsewdrag",
                    f"{PARCOORDS} .axis-brush rect.background",
                    f"{EMBEDDING} .nsewdrag",
                ],
                idle_cap=idle_cap,
            )
            result["page"] = rt.page_summary(page)
            result["rss_page"] = rss_mb(pid)
            log(
                f"  first paint: {page.json / 1e6:.2f} MB JSON, drawn after "
                f"{page.seconds_to_ready:.1f} s, idle after {page.seconds_to_idle:.1f} s"
            )
            rt.wait_for(lambda: rt.text_of(driver, "#selection-count") == f"0 of {n:,} selected")
            box = rt.measure_gesture(
                driver, net, lambda: rt.box_select(driver, SCATTER, 0.5), idle_cap=idle_cap
            )
            log(f"  box: {box.count}, {box.traffic.total('a') / 1e3:.1f} kB (a)")
            brush = rt.measure_gesture(
                driver,
                net,
                lambda: rt.brush_first_axis(driver, PARCOORDS, *rt.brush_span(0)),
                idle_cap=idle_cap,
            )
            log(f"  brush: {brush.count}, {brush.traffic.total('a') / 1e3:.1f} kB (a)")
            rt.clear_selection(driver, net, n, idle_cap)
            small = rt.measure_gesture(
                driver, net, lambda: rt.box_select(driver, SCATTER, small_box), idle_cap=idle_cap
            )  # a small selection: parcoords gets its selected lines added
            log(f"  small box: {small.count}, {small.traffic.total('a') / 1e3:.1f} kB (a)")
        finally:
            driver.quit()
        result["box"] = rt.gesture_summary(box)
        result["brush"] = rt.gesture_summary(brush)
        result["small"] = rt.gesture_summary(small)
        result["server"] = {
            "box_a": rt.ask_replay(url, rt.unique_labels(box.traffic.bodies("a"))),
            "brush_a": rt.ask_replay(url, rt.unique_labels(brush.traffic.bodies("a"))),
            "small_a": rt.ask_replay(url, rt.unique_labels(small.traffic.bodies("a"))),
        }
        result["rss_end"] = rss_mb(pid)
    log(f"  server peak RSS {result['rss_end']['peak_rss_mb']:.0f} MB")
    shutil.rmtree(folder, ignore_errors=True)
    return result


def report(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    def kb(b: float) -> str:
        return f"{b / 1e6:.2f} MB" if b >= 1e6 else f"{b / 1e3:.1f} kB"

    def server_ms(r: dict, key: str, clock: str) -> str:
        return f"{sum(v[clock] for v in r['server'][key].values()) * 1e3:.1f} ms"

    lines = ["| | " + " | ".join(f"N = {r['n']:,}" for r in results) + " |"]
    lines.append("|---|" + "---|" * len(results))

    def row(name: str, values: list[str]) -> None:
        lines.append(f"| {name} | " + " | ".join(values) + " |")

    row(
        "synthesize (`latent-dash synth`), disk",
        [f"{r['synth_s']:.1f} s, {r['disk_mb']:.0f} MB" for r in results],
    )
    row(
        "load: open_config (fresh process), peak RSS",
        [f"{r['load']['load_s'] * 1e3:.0f} ms, {r['load']['peak_rss_mb']:.0f} MB" for r in results],
    )
    row("first paint JSON (layout + update-component)", [kb(r["page"]["json"]) for r in results])
    row(
        "&nbsp; of which show_config (the workspace)", [kb(r["page"]["workspace"]) for r in results]
    )
    row(
        "first paint: views drawn / browser idle",
        [
            f"{r['page']['seconds_to_ready']:.1f} s / "
            f"{'>' if r['page']['idle_capped'] else ''}{r['page']['seconds_to_idle']:.1f} s"
            for r in results
        ],
    )
    for key, name in (
        ("box", "box select, left half of the scatter"),
        ("brush", "brush, middle half of parcoords axis 1"),
        ("small", "small box, left edge of the scatter (after a clear)"),
    ):
        row(f"**{name}**", [r[key]["count"] for r in results])
        row(
            "&nbsp; mask bytes (up for a box, down for a brush)",
            [kb(r[key]["mask"]) for r in results],
        )
        row("&nbsp; floor N/8 x 4/3", [kb((r["n"] + 7) // 8 * 4 / 3) for r in results])
        row("&nbsp; (a) selection traffic, up + down", [kb(r[key]["a"]) for r in results])
        row("&nbsp; (b) content fetched after", [kb(r[key]["b"]) for r in results])
        row(
            "&nbsp; release to count shown / last response / idle",
            [
                f"{r[key]['count_ms'] / 1e3:.2f} s / {r[key]['network_ms'] / 1e3:.2f} s / "
                f"{'>' if r[key]['idle_capped'] else ''}{r[key]['busy_ms'] / 1e3:.1f} s"
                for r in results
            ],
        )
        row(
            "&nbsp; server time of (a), wall (CPU), median of 5",
            [
                f"{server_ms(r, key + '_a', 'wall')} ({server_ms(r, key + '_a', 'cpu')})"
                for r in results
            ],
        )
    row(
        "server RSS: after start / after first paint / end",
        [
            f"{r['rss_idle']['rss_mb']:.0f} / {r['rss_page']['rss_mb']:.0f} / "
            f"{r['rss_end']['rss_mb']:.0f} MB"
            for r in results
        ],
    )
    row("server peak RSS (VmHWM)", [f"{r['rss_end']['peak_rss_mb']:.0f} MB" for r in results])
    out = ["\n".join(lines), ""]
    out.append(
        f"Date: {meta['date']}. Code: {meta['code']}. Load average (1 min): {meta['load']}. "
        f"Run time: {meta['seconds']:.0f} s. Command: `{meta['command']}`."
    )
    for r in results:
        out.append(f"\n#### Per callback, N = {r['n']:,}\n")
        out.append("| gesture | cat. | callback / request | n | up | down |")
        out.append("|---|---|---|---|---|---|")
        page_rows = [
            item for item in r["page"]["rows"]
            if not item["label"].startswith("GET ") or item["label"] == "GET /_dash-layout"
        ]  # fmt: skip
        for name, items in (
            ("first paint", page_rows),
            ("box", r["box"]["rows"]),
            ("brush", r["brush"]["rows"]),
            ("small box", r["small"]["rows"]),
        ):
            for item in items:
                out.append(
                    f"| {name} | {item['category']} | {item['label']} | {item['count']} |"
                    f" {kb(item['request'])} | {kb(item['response'])} |"
                )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--idle-cap", type=float, default=180.0, help="max wait for idle (s)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument(
        "--small-box", type=float, default=0.12, help="width fraction of the small box (0.12)"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()

    def log(text: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {text}", file=sys.stderr, flush=True)

    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="latent-dash-scale-"))
    try:
        results = [run_size(n, workdir, log, args.idle_cap, args.small_box) for n in args.sizes]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    meta = {
        "date": datetime.date.today().isoformat(),
        "code": rt.code_version(),
        "load": f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
        "command": "python benchmarks/scale.py " + " ".join(argv),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(report(results, meta))
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
