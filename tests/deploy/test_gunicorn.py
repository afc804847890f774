"""Served by gunicorn with 2 workers: two browsers keep their own selections and results.

gunicorn workers share no memory; selections and computed results live in the disk cache under
LATENT_DASH_CACHE_DIR, addressed by content. Two independent Chromium sessions make different
selections and clusterings on the same server; each page must keep its own, whichever worker
answers each request, and requests must really be spread over more than one worker.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import pytest_setup_options, write_config, write_dataset

pytestmark = pytest.mark.deploy
ROOT = Path(__file__).resolve().parents[2]
N = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"gunicorn did not answer /healthz within {timeout} s")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], port: int) -> Iterator[subprocess.Popen]:
    """`gunicorn app:server -w 2` on `port` until healthy; stopped after, with no traceback in
    its log."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "app:server", "-w", "2",
         "-b", f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
        yield process
    finally:
        process.terminate()
        try:
            _, errors = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            _, errors = process.communicate()
        assert b"Traceback" not in errors, errors.decode(errors="replace")[-3000:]


@pytest.fixture
def server(tmp_path: Path):
    """gunicorn app:server -w 2 on a free port, over a small config written here."""
    files = write_dataset(tmp_path / "data", n=N)
    config = write_config(
        tmp_path / "small.yaml",
        {
            "title": "Small model",
            "dataset": {"name": "small", **{k: f"data/{v}" for k, v in files.items()}},
            "layout": {"row": [{"column": ["scatter", "table"]}, {"column": ["clusters"]}]},
            "views": {"scatter": {"x": "z0", "y": "z1", "color": "label"}},
        },
    )
    port = free_port()
    env = {
        **os.environ,
        "LATENT_DASH_CONFIG": str(config),
        "LATENT_DASH_CACHE_DIR": str(tmp_path / "cache"),
        "LATENT_DASH_WARM_UP": "0",
    }
    env.pop("LATENT_DASH_REDIS_URL", None)
    with gunicorn(env, port) as process:
        yield f"http://127.0.0.1:{port}", process.pid


@pytest.fixture
def browsers():
    """Two independent headless Chromium sessions (separate processes and profiles)."""
    drivers = []
    try:
        for _ in range(2):
            drivers.append(webdriver.Chrome(options=pytest_setup_options()))
        yield drivers
    finally:
        for driver in drivers:
            driver.quit()


def text_of(driver, selector: str) -> str:
    elements = driver.find_elements("css selector", selector)
    return elements[0].text if elements else ""


def wait_text(driver, selector: str, expected: str, timeout: float = 20) -> None:
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(
            lambda d: expected in text_of(d, selector)
        )
    except Exception as error:
        raise AssertionError(
            f"{selector}: {expected!r} not shown; it reads {text_of(driver, selector)!r}"
        ) from error


def box_select(driver, start: tuple[float, float], end: tuple[float, float]) -> None:
    area = driver.find_element("css selector", ".view-scatter .nsewdrag")
    w, h = area.size["width"], area.size["height"]
    dx, dy = int(w * (end[0] - start[0]) / 2), int(h * (end[1] - start[1]) / 2)
    (
        ActionChains(driver)
        .move_to_element_with_offset(area, int(w * start[0]), int(h * start[1]))
        .click_and_hold()
        .move_by_offset(dx, dy)
        .move_by_offset(dx, dy)
        .release()
        .perform()
    )


def cluster(driver, k: int) -> None:
    field = driver.find_element("css selector", '.view-clusters input[id*="\\"part\\":\\"k\\""]')
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(str(k), Keys.TAB)
    time.sleep(0.3)  # the input is debounced: its value is sent on blur
    driver.find_element("css selector", ".view-clusters .clusters-run").click()


def selected_count(driver) -> int:
    return int(text_of(driver, "#selection-count").split(" of ")[0].replace(",", ""))


COUNT, CAPTION, STATUS = "#selection-count", ".view-table .table-caption", ".clusters-status"


def test_two_sessions_keep_their_own_state_across_two_workers(server, browsers):
    url, master = server
    a, b = browsers
    for driver in browsers:
        driver.get(url)
        wait_text(driver, COUNT, f"0 of {N} selected", timeout=40)
        wait_text(driver, CAPTION, f"all {N} samples")
        WebDriverWait(driver, 20).until(
            lambda d: d.find_elements("css selector", ".view-scatter .nsewdrag")
        )

    box_select(a, (0.02, 0.02), (0.98, 0.98))  # everything
    wait_text(a, COUNT, f"{N} of {N} selected")
    wait_text(a, CAPTION, f"{N} selected samples")  # the table reads the mask on the server

    box_select(b, (0.02, 0.02), (0.5, 0.98))  # the left part only
    WebDriverWait(b, 20).until(lambda d: 0 < selected_count(d) < N)
    k_b = selected_count(b)
    wait_text(b, CAPTION, f"{k_b} selected samples")
    wait_text(a, CAPTION, f"{N} selected samples")
    assert selected_count(a) == N

    cluster(a, 2)
    wait_text(a, STATUS, "2 clusters")
    cluster(b, 5)
    wait_text(b, STATUS, "5 clusters")
    assert "2 clusters" in text_of(a, STATUS)
    assert "5 clusters" in text_of(b, STATUS)

    a.find_element("css selector", "#selection-clear").click()
    wait_text(a, COUNT, f"0 of {N} selected")
    wait_text(a, CAPTION, f"all {N} samples")
    time.sleep(0.5)
    assert selected_count(b) == k_b
    assert f"{k_b} selected samples" in text_of(b, CAPTION)

    # the requests were spread over the workers (gunicorn's sync workers take turns accepting)
    pids = set()
    for _ in range(60):
        answer = requests.get(f"{url}/healthz", timeout=5, headers={"Connection": "close"})
        assert answer.status_code == 200
        pids.add(answer.json()["pid"])
        if len(pids) > 1:
            break
    assert len(pids) >= 2, f"all /healthz answers came from {pids}"
    assert master not in pids  # answered by workers, never by the gunicorn master

    # served without Dash's dev tools (debug is only for `python app.py --debug`)
    page = requests.get(url, timeout=5).text
    assert '"ui":false' in page.replace(" ", "")
