"""Faults of a deployed server (gunicorn, on loopback): hostile requests, a sick cache.

A sick cache is a small tmpfs (root only: skipped elsewhere, with the reason): remounted
read-only before the server starts, or filled up under a running server. A folder cannot be
remounted read-only under a running server (the kernel refuses while files are open for
writing); a write that fails under a running server is what the full disk exercises, and
tests/unit/test_hardening.py raises SQLite's read-only error in the cache directly.

Each test starts its own `gunicorn app:server` on a free port over a small config written to a
temporary folder, and stops it at teardown. The server must stay up and say what happened.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from latent_dash.jobs import new_job
from tests.conftest import write_config, write_dataset
from tests.deploy.test_celery import redis_url as redis_server
from tests.deploy.test_gunicorn import free_port, wait_healthy

pytestmark = pytest.mark.deploy
ROOT = Path(__file__).resolve().parents[2]
N = 120


def wait_answering(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    """Until /healthz answers at all (200 or 503)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert process.poll() is None, f"gunicorn exited with {process.returncode}"
        with contextlib.suppress(requests.RequestException):
            requests.get(f"{url}/healthz", timeout=2)
            return
        time.sleep(0.3)
    raise AssertionError(f"gunicorn did not answer /healthz within {timeout} s")


@pytest.fixture
def mount(tmp_path: Path):
    """mount(options) -> a fresh tmpfs folder; remount(options) changes it. Unmounted after."""
    mounted: list[Path] = []

    def make(options: str = "size=8m") -> Path:
        folder = tmp_path / f"mount{len(mounted)}"
        folder.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def remount(folder: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True)


def dependencies(url: str) -> list[dict]:
    return requests.get(f"{url}/_dash-dependencies", timeout=10).json()


def upload(url: str, bits_seed: int) -> requests.Response:
    """Register a selection of the N samples, as a page does after a box selection."""
    dep = next(
        d for d in dependencies(url)
        if d["inputs"] == [{"id": "selection-upload", "property": "data"}]
    )  # fmt: skip
    mask = bytes([bits_seed % 256]) * ((N + 7) // 8)
    value = {"mask": {"n": N, "bits": base64.urlsafe_b64encode(mask).decode()}, "source": "s"}
    body = {
        "output": dep["output"],
        "outputs": {"id": "selection", "property": "data"},
        "inputs": [{"id": "selection-upload", "property": "data", "value": value}],
        "state": [{"id": "config-key", "property": "data", "value": "small"}],
        "changedPropIds": ["selection-upload.data"],
    }
    return requests.post(f"{url}/_dash-update-component", json=body, timeout=30)


def workspace(url: str) -> requests.Response:
    """The page's first callback: the workspace of the config (what a browser draws first)."""
    dep = next(d for d in dependencies(url) if d["output"].startswith("..workspace.children"))
    body = {
        "output": dep["output"],
        "outputs": [
            {"id": o.split(".")[0], "property": o.split(".")[1]}
            for o in dep["output"].strip(".").split("...")
        ],
        "inputs": [
            {"id": "url", "property": "search", "value": "?config=small"},
            {"id": "config-menu", "property": "value", "value": "small"},
        ],
        "state": [{**s, "value": None} for s in dep["state"]],
        "changedPropIds": ["url.search"],
    }
    return requests.post(f"{url}/_dash-update-component", json=body, timeout=30)


def peak_memory_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc")


@pytest.fixture
def gunicorn(tmp_path: Path):
    """Start `gunicorn app:server -w 1` with the given environment; yields a starter."""
    write_dataset(tmp_path / "data", n=N)
    config = write_config(
        tmp_path / "small.yaml",
        {
            "title": "Small model",
            "dataset": {
                "name": "small",
                **{k: f"data/{k}.npy" for k in ("latent", "images", "params")},
                "metadata": "data/metadata.csv",
            },
            "layout": {"row": [{"column": ["scatter", "table"]}, {"column": ["clusters"]}]},
        },
    )
    processes: list[subprocess.Popen] = []

    def start(workers: int = 1, healthy: bool = True, **extra: str) -> tuple[str, subprocess.Popen]:
        port = free_port()
        env = {
            **os.environ,
            "LATENT_DASH_CONFIG": str(config),
            "LATENT_DASH_CACHE_DIR": str(tmp_path / "cache"),
            "LATENT_DASH_WARM_UP": "0",
            **extra,
        }
        if "LATENT_DASH_REDIS_URL" not in extra:
            env.pop("LATENT_DASH_REDIS_URL", None)
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "app:server", "-w", str(workers),
             "-b", f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        if healthy:
            wait_healthy(url, process)
        else:
            wait_answering(url, process)
        return url, process

    start.config = config  # type: ignore[attr-defined]
    start.folder = tmp_path  # type: ignore[attr-defined]
    yield start
    for process in processes:
        process.terminate()
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def test_a_chunked_body_over_the_limit_is_refused_without_being_read(gunicorn):
    url, _ = gunicorn()
    pid = requests.get(f"{url}/healthz", timeout=5).json()["pid"]
    before = peak_memory_kb(pid)

    def body():  # 400 MB, chunked: no Content-Length to refuse it by
        chunk = b"[" * 2**20
        for _ in range(400):
            yield chunk

    try:
        answer = requests.post(
            f"{url}/_dash-update-component", data=body(), timeout=60,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        assert answer.status_code == 413 and "over 64 MB" in answer.json()["error"]
    except requests.ConnectionError:
        pass  # refused before the client finished sending: the server closed the connection
    grown_mb = (peak_memory_kb(pid) - before) / 1024
    assert grown_mb < 200, f"the worker grew by {grown_mb:.0f} MB reading a refused body"
    health = requests.get(f"{url}/healthz", timeout=5)
    assert health.status_code == 200 and health.json()["pid"] == pid  # the same worker, alive


def test_a_cache_folder_read_only_at_start_keeps_the_server_up(gunicorn, mount):
    from latent_dash.storage import fallback_dir

    folder = mount("size=8m")
    remount(folder, "ro")
    cache = folder / "cache"
    try:
        url, process = gunicorn(workers=2, healthy=False, LATENT_DASH_CACHE_DIR=str(cache))
        health = requests.get(f"{url}/healthz", timeout=5)
        assert health.status_code == 503
        assert health.json()["cache_writable"] is False
        assert str(cache) in health.json()["problems"][0]
        assert requests.get(url, timeout=10).status_code == 200
        page = workspace(url)
        assert page.status_code == 200 and "cannot keep selections" in page.text
        for seed in range(4):  # both workers: selections are kept meanwhile on this machine
            assert upload(url, seed + 1).status_code == 200
        assert process.poll() is None
    finally:
        shutil.rmtree(fallback_dir(cache), ignore_errors=True)


def test_a_full_cache_disk_is_503_with_a_message_and_recovers(gunicorn, mount):
    folder = mount("size=4m")
    url, process = gunicorn(workers=1, LATENT_DASH_CACHE_DIR=str(folder / "cache"))
    assert upload(url, 1).status_code == 200
    filler = folder / "filler"
    with filler.open("wb") as out, contextlib.suppress(OSError):
        while True:  # until the disk is full (ENOSPC)
            out.write(b"\0" * 2**16)
            out.flush()
    try:
        health = requests.get(f"{url}/healthz", timeout=5)
        assert health.status_code == 503, health.text  # an empty file still fits: not tested
        assert "is full" in health.json()["problems"][0]
        refused = upload(url, 7)
        assert refused.status_code == 503 and "is full" in refused.json()["error"]
        assert upload(url, 1).status_code == 200  # what was stored is still read
        page = workspace(url)
        assert page.status_code == 200 and "cannot keep selections" in page.text
    finally:
        filler.unlink()
    assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
    assert upload(url, 7).status_code == 200
    assert process.poll() is None


def job_request(url: str) -> dict:
    """The first request of a background clustering job, as the page sends it after Run."""
    dep = next(
        d for d in dependencies(url)
        if d.get("background") and '"kind":"clusters"' in d["inputs"][0]["id"]
    )  # fmt: skip
    view = {"kind": "clusters", "view": "clusters", "model": 0}
    job = new_job(method="hdbscan", params={"min_cluster_size": 5}, on="latent",
                  config="small", model=0, derived={})  # fmt: skip
    return {
        "output": dep["output"],
        "outputs": [{"id": {**view, "part": "outcome"}, "property": "data"}],
        "inputs": [{"id": {**view, "part": "request"}, "property": "data", "value": job}],
        "state": [],
        "changedPropIds": [json_id({**view, "part": "request"}) + ".data"],
    }


def json_id(value: dict) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"))


redis_url = redis_server  # the fixture, under the name the test asks for


def test_a_hung_redis_costs_seconds_not_minutes_and_healthz_says_so(gunicorn, redis_url):
    """Redis stopped with SIGSTOP: connections stay open but nothing answers."""
    import signal

    url, process = gunicorn(workers=2, LATENT_DASH_REDIS_URL=redis_url)
    assert requests.get(f"{url}/healthz", timeout=5).json()["redis"] is True
    body = job_request(url)
    redis_pid = int(subprocess.run(
        ["pgrep", "-f", f"redis-server.*{redis_url.split(':')[2].split('/')[0]}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()[0])  # fmt: skip
    os.kill(redis_pid, signal.SIGSTOP)
    try:
        start = time.monotonic()
        health = requests.get(f"{url}/healthz", timeout=10)
        assert health.status_code == 503 and health.json()["redis"] is False
        assert "Redis at" in health.json()["problems"][0]
        assert time.monotonic() - start < 5
        for _ in range(2):  # two users: before, each held a worker for about 120 s
            start = time.monotonic()
            answer = requests.post(f"{url}/_dash-update-component", json=body, timeout=30)
            assert answer.status_code == 503, answer.text[:300]
            assert "Redis does not answer" in answer.json()["error"]
            assert time.monotonic() - start < 15
        assert requests.get(f"{url}/healthz", timeout=10).status_code == 503  # still answering
    finally:
        os.kill(redis_pid, signal.SIGCONT)
    assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
    for _ in range(2):  # Redis back: jobs start again on either worker, no restart needed
        answer = requests.post(f"{url}/_dash-update-component", json=body, timeout=30)
        assert answer.status_code == 200, answer.text[:300]
    assert process.poll() is None


@pytest.mark.parametrize("change", ["truncated, its time kept", "deleted"])
def test_a_data_file_changed_under_a_running_server_is_refused_with_the_loaders_message(
    gunicorn, change: str
):
    url, process = gunicorn(workers=1)
    pid = requests.get(f"{url}/healthz", timeout=5).json()["pid"]
    assert upload(url, 3).status_code == 200  # the dataset is loaded (memory-mapped) now
    latent = gunicorn.folder / "data" / "latent.npy"
    original = latent.read_bytes()
    info = latent.stat()
    if change == "deleted":
        latent.unlink()
    else:
        with latent.open("r+b") as out:
            out.truncate(len(original) // 2)
        os.utime(latent, ns=(info.st_atime_ns, info.st_mtime_ns))
    try:
        refused = upload(url, 3)
        assert refused.status_code == 409, refused.text[:300]
        message = refused.json()["error"]
        assert "latent.npy" in message and "dataset.latent" in message and "Fix:" in message
        page = workspace(url)  # a reload of the page shows the loader's problems
        assert page.status_code == 200 and "cannot be shown" in page.text
        assert "dataset.latent" in page.text
        health = requests.get(f"{url}/healthz", timeout=5)
        assert health.json()["pid"] == pid  # the same worker: no SIGBUS
    finally:
        latent.write_bytes(original)
    assert upload(url, 3).status_code == 200  # fixed: loaded anew, no restart
    assert process.poll() is None
