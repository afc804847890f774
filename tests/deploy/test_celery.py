"""Background jobs on Celery + Redis: with LATENT_DASH_REDIS_URL set, jobs go to a worker.

The tests start their own redis-server on a free port and a Celery worker process started with
exactly the README's command (`celery -A latent_dash.worker worker --loglevel=info`: the default
prefork pool, whose pool processes are daemonic), both stopped at teardown. The page is a
dash_duo app built with the same environment, so its background callbacks use Dash's
CeleryManager; the worker builds the app from LATENT_DASH_CONFIG and runs the jobs. One page
holds a panel per background method (every embedding but PCA, every clustering but k-means) on
a small dataset, so the test measures the plumbing, not the machine's load.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dash import CeleryManager, DiskcacheManager

from latent_dash import background
from latent_dash.app import create_app
from tests.browser.helpers import serve, wait_until
from tests.conftest import write_config, write_dataset

pytestmark = pytest.mark.deploy
ROOT = Path(__file__).resolve().parents[2]
EM = ".view-embedding"
N = 150
FILES = {"latent": "latent.npy", "images": "images.npy", "params": "params.npy",
         "metadata": "metadata.csv"}  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def redis_url():
    """A private redis-server on a free port, no persistence."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail(
            "redis-server is not installed, so the Celery background path cannot be tested. "
            "Fix: sudo apt-get install -y redis-server (scripts/test.sh does it)"
        )
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        end = time.monotonic() + 10
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None and time.monotonic() < end, "redis-server did not start"
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


@pytest.fixture
def environment(tmp_path: Path, redis_url: str, monkeypatch) -> dict[str, str]:
    write_dataset(tmp_path / "data", n=N, dims=5, seed=11)
    config = write_config(
        tmp_path / "emb.yaml",
        {
            "dataset": {"name": "emb", **{k: f"data/{v}" for k, v in FILES.items()}},
            "layout": {"row": [{"column": ["scatter", "embedding"]}]},
            "views": {"embedding": {"method": "isomap", "n_neighbors": 10}},
        },
    )
    values = {
        "LATENT_DASH_REDIS_URL": redis_url,
        "LATENT_DASH_CONFIG": str(config),
        "LATENT_DASH_CACHE_DIR": str(tmp_path / "cache"),  # shared by the page and the worker
        "LATENT_DASH_WARM_UP": "0",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


EMBEDDINGS = ("tsne", "umap", "isomap", "mds")  # PCA answers inline
CLUSTERINGS = ("gmm", "agglomerative", "dbscan", "hdbscan")  # k-means answers inline
README_WORKER = "celery -A latent_dash.worker worker --loglevel=info"


@pytest.fixture
def every_method(environment: dict[str, str], tmp_path: Path, monkeypatch) -> dict[str, str]:
    """The environment, over a config with one panel per background method."""
    views = {f"e-{m}": {"kind": "embedding", "method": m} for m in EMBEDDINGS}
    views |= {f"c-{m}": {"kind": "clusters", "method": m} for m in CLUSTERINGS}
    config = write_config(
        tmp_path / "every.yaml",
        {
            "dataset": {"name": "every", **{k: f"data/{v}" for k, v in FILES.items()}},
            "layout": {"row": [{"column": list(views)}]},
            "views": views,
        },
    )
    monkeypatch.setenv("LATENT_DASH_CONFIG", str(config))
    return {**environment, "LATENT_DASH_CONFIG": str(config)}


def start_worker(environment: dict[str, str], log: Path) -> subprocess.Popen:
    """The README's worker command, word for word (prefork pool, one process per core)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", *README_WORKER.split()],
            cwd=ROOT, env={**os.environ, **environment}, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until(lambda: process.poll() is not None or b"ready." in log.read_bytes(), 60)
        assert process.poll() is None, log.read_text()[-3000:]
    except BaseException:
        stop(process)
        raise
    return process


@pytest.fixture
def worker(environment: dict[str, str], tmp_path: Path):
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "latent_dash.worker", "worker",
             "--pool=solo", "--loglevel=info", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=ROOT, env={**os.environ, **environment}, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until(lambda: process.poll() is not None or b"ready." in log.read_bytes(), 60)
        assert process.poll() is None, log.read_text()[-3000:]
        yield log
    finally:
        stop(process)


def part(dash_duo, name: str):
    return dash_duo.find_element(f'{EM} [id*=\'"part":"{name}"\']')


def test_manager_is_diskcache_unless_a_redis_url_is_set(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("LATENT_DASH_REDIS_URL", raising=False)
    assert isinstance(background.background_manager(), DiskcacheManager)
    monkeypatch.setenv("LATENT_DASH_REDIS_URL", "redis://127.0.0.1:1/0")  # not contacted
    assert isinstance(background.background_manager(), CeleryManager)
    assert background.celery_app() is background.celery_app()  # one per process


def test_an_embedding_runs_on_a_celery_worker(dash_duo, worker: Path, environment: dict[str, str]):
    app = create_app(environment["LATENT_DASH_CONFIG"], warm_up=False)
    assert isinstance(app._background_manager, CeleryManager)
    serve(dash_duo, app)
    dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
    dash_duo.wait_for_element(f"{EM} .nsewdrag")
    part(dash_duo, "run").click()
    wait_until(lambda: "isomap_1" in part(dash_duo, "status").text, timeout=60)
    status = part(dash_duo, "status").text
    assert f"of {N} samples" in status and "Isomap" in status, status
    assert "from the cache" not in status
    assert part(dash_duo, "run").is_enabled()
    # the job ran in the Celery worker, not in a process of this one
    wait_until(lambda: b"succeeded" in worker.read_bytes(), timeout=10)
    log = worker.read_text()
    assert "background_callback" in log and "succeeded" in log, log[-3000:]


def panel_part(dash_duo, view: str, name: str):
    return dash_duo.find_element(f'[id*=\'"view":"{view}"\'][id*=\'"part":"{name}"\']')


def test_the_readme_worker_command_runs_every_background_method(
    dash_duo, every_method: dict[str, str], tmp_path: Path
):
    """Prefork pool processes are daemonic: a job must still run (and supervise) its computation."""
    log = tmp_path / "prefork.log"
    process = start_worker(every_method, log)
    try:
        app = create_app(every_method["LATENT_DASH_CONFIG"], warm_up=False)
        serve(dash_duo, app)
        dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
        wait_until(lambda: len(dash_duo.find_elements(f"{EM} .nsewdrag")) == len(EMBEDDINGS), 30)
        wait_until(dash_duo._wait_for_callbacks, 30)  # a click during the first draw can be lost
        views = [f"e-{m}" for m in EMBEDDINGS] + [f"c-{m}" for m in CLUSTERINGS]
        for view in views:  # eight panels: most are below the window, so click by script
            button = panel_part(dash_duo, view, "run")
            dash_duo.driver.execute_script("arguments[0].click()", button)

        def status(view: str) -> str:
            return panel_part(dash_duo, view, "status").text

        def shown(view: str, done: str, timeout: float) -> str:
            """The panel's status once it reads `done` (or the worker died); say all if not."""
            with contextlib.suppress(AssertionError):  # said below, with every panel's status
                wait_until(lambda: done in status(view) or process.poll() is not None, timeout)
            text = status(view)
            if done not in text:
                every = "\n".join(f"{v}: {status(v)!r}" for v in views)
                pytest.fail(f"{view} never showed {done!r}; the panels read:\n{every}")
            return text

        for method in EMBEDDINGS:
            assert f"of {N} samples" in shown(f"e-{method}", f"{method}_1", 240)
        for method in CLUSTERINGS:
            assert "Column" in shown(f"c-{method}", "clusters", 120)
        text = log.read_text()
        assert "daemonic processes" not in text and "Traceback" not in text, text[-3000:]
        assert text.count("succeeded") >= len(views), text[-3000:]
    finally:
        stop(process)


def test_without_a_worker_run_says_so_at_once(dash_duo, environment: dict[str, str]):
    """No Celery worker: the page says so when Run is pressed, instead of waiting for ever."""
    app = create_app(environment["LATENT_DASH_CONFIG"], warm_up=False)
    serve(dash_duo, app)
    dash_duo.wait_for_text_to_equal("#selection-count", f"0 of {N} selected")
    dash_duo.wait_for_element(f"{EM} .nsewdrag")
    wait_until(dash_duo._wait_for_callbacks, 30)
    part(dash_duo, "run").click()
    with contextlib.suppress(AssertionError):
        wait_until(lambda: "No background worker" in part(dash_duo, "status").text, 15)
    dash_duo.driver.save_screenshot("/tmp/h15/noworker.png")
    assert "No background worker is running" in part(dash_duo, "status").text
    assert "celery -A latent_dash.worker worker" in part(dash_duo, "status").text
    assert part(dash_duo, "run").is_enabled()


def test_a_killed_worker_is_reported_within_seconds_and_its_computation_ends(
    dash_duo, redis_url: str, tmp_path: Path, monkeypatch
):
    """SIGKILL to the Celery worker (main and pool processes) in the middle of a t-SNE."""
    import psutil

    write_dataset(tmp_path / "big", n=4000, dims=8, seed=3)  # t-SNE: many seconds here
    config = write_config(
        tmp_path / "big.yaml",
        {
            "dataset": {"name": "big", **{k: f"big/{v}" for k, v in FILES.items()}},
            "layout": {"row": [{"column": ["embedding"]}]},
            "views": {"embedding": {"method": "tsne"}},
        },
    )
    env = {
        "LATENT_DASH_REDIS_URL": redis_url, "LATENT_DASH_CONFIG": str(config),
        "LATENT_DASH_CACHE_DIR": str(tmp_path / "cache"), "LATENT_DASH_WARM_UP": "0",
    }  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    log = tmp_path / "killed.log"
    process = start_worker(env, log)
    try:
        app = create_app(str(config), warm_up=False)
        serve(dash_duo, app)
        dash_duo.wait_for_element(f"{EM} .nsewdrag")
        wait_until(dash_duo._wait_for_callbacks, 30)
        part(dash_duo, "run").click()
        worker = psutil.Process(process.pid)

        def computing() -> list[psutil.Process]:
            """The computing processes: children of the worker's pool processes."""
            return [c for p in worker.children() for c in p.children()]

        wait_until(lambda: computing(), 60)
        children = computing()
        for pool in [worker, *worker.children()]:
            pool.kill()  # the worker and its pool processes, not the computing child
        _, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, f"computing processes outlived their worker: {alive}"
        wait_until(lambda: "cannot finish" in part(dash_duo, "status").text, 30)
        status = part(dash_duo, "status").text
        assert "t-SNE cannot finish: the background worker running it stopped" in status
        assert "press Run to run it again" in status
        assert part(dash_duo, "run").is_enabled()
    finally:
        stop(process)
