"""Faults of a deployed server (gunicorn, on loopback): hostile requests, a sick cache.

Each test starts its own `gunicorn app:server` on a free port over a small config written to a
temporary folder, and stops it at teardown. The server must stay up and say what happened.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import write_config, write_dataset
from tests.deploy.test_gunicorn import free_port, wait_healthy

pytestmark = pytest.mark.deploy
ROOT = Path(__file__).resolve().parents[2]
N = 120


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
            "layout": {"row": [{"column": ["scatter", "table"]}]},
        },
    )
    processes: list[subprocess.Popen] = []

    def start(workers: int = 1, **extra: str) -> tuple[str, subprocess.Popen]:
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
        wait_healthy(url, process)
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
