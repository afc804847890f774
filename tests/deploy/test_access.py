"""Two users in two browsers against gunicorn with 2 workers: each sees only their configs.

The server signs users in from a users file (LATENT_DASH_USERS, HTTP Basic). Each Chromium
sends its user's credentials with every request (Chrome DevTools' extra headers: credentials
in the address would break the page's own fetches). Whatever worker answers, alice sees the
configs her access lists name and bob his; each gets 403 for the other's page, thumbnails and
callbacks, and nobody gets in without a password.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from latent_dash.auth import user_line
from tests.conftest import pytest_setup_options, write_config, write_dataset
from tests.deploy.test_gunicorn import free_port, gunicorn, text_of, wait_text

pytestmark = pytest.mark.deploy
UPDATE = "/_dash-update-component"
N = 60
USERS = {"alice": ("alice-pw", []), "bob": ("bob-pw", ["physics"])}
# config key -> (menu title, access list)
CONFIGS = {
    "alpha": ("Alpha model", ["alice"]),
    "beta": ("Beta model", ["group:physics"]),
    "shared": ("Shared model", None),
}
SEES = {"alice": ["Alpha model", "Shared model"], "bob": ["Beta model", "Shared model"]}
FORBIDDEN = {"alice": "beta", "bob": "alpha"}


def basic(user: str) -> str:
    token = base64.b64encode(f"{user}:{USERS[user][0]}".encode()).decode()
    return f"Basic {token}"


@pytest.fixture
def server(tmp_path: Path):
    """gunicorn app:server -w 2 with a users file and three configs of one small dataset."""
    files = write_dataset(tmp_path / "data", n=N)
    for key, (title, access) in CONFIGS.items():
        config = {
            "title": title,
            "dataset": {"name": key, **{k: f"data/{v}" for k, v in files.items()}},
            "layout": {"row": [{"column": ["scatter"]}, {"column": ["images"]}]},
        }
        if access:
            config["access"] = access
        write_config(tmp_path / f"{key}.yaml", config)
    users = tmp_path / "users.txt"
    users.write_text("".join(f"{user_line(u, g, p)}\n" for u, (p, g) in USERS.items()))
    port = free_port()
    env = {
        **os.environ,
        "LATENT_DASH_CONFIG": str(tmp_path / "alpha.yaml"),
        "LATENT_DASH_CACHE_DIR": str(tmp_path / "cache"),
        "LATENT_DASH_USERS": str(users),
        "LATENT_DASH_WARM_UP": "0",
    }
    env.pop("LATENT_DASH_REDIS_URL", None)
    env.pop("LATENT_DASH_TRUSTED_USER_HEADER", None)
    with gunicorn(env, port):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def browsers():
    """alice's and bob's headless Chromium, each sending its user's Basic credentials."""
    drivers = {}
    try:
        for user in USERS:
            driver = webdriver.Chrome(options=pytest_setup_options())
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd(
                "Network.setExtraHTTPHeaders", {"headers": {"Authorization": basic(user)}}
            )
            drivers[user] = driver
        yield drivers
    finally:
        for driver in drivers.values():
            with contextlib.suppress(WebDriverException):  # the test may have closed it
                driver.quit()


def menu_labels(driver) -> list[str]:
    """The config menu's options as the user sees them (opens and closes the dropdown)."""
    driver.find_element("css selector", "#config-menu").click()
    options = WebDriverWait(driver, 10).until(
        lambda d: d.find_elements("css selector", "[role=listbox] [role=option]")
    )
    labels = [option.text.strip() for option in options]
    driver.find_element("css selector", "body").send_keys(Keys.ESCAPE)
    return labels


FETCH = """
const [url, body, done] = arguments;
fetch(url, body ? {method: "POST", headers: {"Content-Type": "application/json"},
                   body: JSON.stringify(body)} : {})
  .then((r) => done(r.status), (e) => done(String(e)));
"""


def fetch_status(driver, url: str, body: dict | None = None) -> int:
    """The status the page's own fetch (with the browser's credentials) gets."""
    return driver.execute_async_script(FETCH, url, body)


def dependency(url: str, output_start: str) -> dict:
    dependencies = requests.get(
        f"{url}/_dash-dependencies", headers={"Authorization": basic("alice")}, timeout=10
    ).json()
    return next(d for d in dependencies if d["output"].startswith(output_start))


def gallery_body(url: str, config_key: str) -> dict:
    """The gallery's callback, as the page sends it, asking for `config_key`'s thumbnails."""
    gallery = dependency(url, '..{"kind":"images","model":["MATCH"],"part":"thumbs"')
    panel = {"view": "images", "model": 0}

    def matched(ident: str):
        if not ident.startswith("{"):
            return ident
        return {k: panel[k] if v == ["MATCH"] else v for k, v in json.loads(ident).items()}

    def entry(dep: dict) -> dict:
        ident = matched(dep["id"])
        return {"id": ident, "property": dep["property"],
                "value": config_key if ident == "config-key" else None}  # fmt: skip

    outputs = [part.rsplit(".", 1) for part in gallery["output"].strip(".").split("...")]
    return {
        "output": gallery["output"],
        "outputs": [{"id": matched(ident), "property": prop} for ident, prop in outputs],
        "inputs": [entry(d) for d in gallery["inputs"]],
        "state": [entry(d) for d in gallery["state"]],
        "changedPropIds": [],
    }


def page_body(url: str, config_key: str) -> dict:
    """The page's own callback, as when the address bar says ?config=`config_key`."""
    page = dependency(url, "..workspace.children")
    return {
        "output": page["output"],
        "outputs": [
            {"id": o.split(".")[0], "property": o.split(".")[1]}
            for o in page["output"].strip(".").split("...")
        ],
        "inputs": [
            {"id": "url", "property": "search", "value": f"?config={config_key}"},
            {"id": "config-menu", "property": "value", "value": None},
        ],
        "state": [{**s, "value": None} for s in page["state"]],
        "changedPropIds": ["url.search"],
    }


def test_two_users_see_only_their_configs_on_two_workers(server, browsers):
    url = server
    assert requests.get(url, timeout=5).status_code == 401  # no password, no page
    wrong = requests.get(url, headers={"Authorization": "Basic YWxpY2U6bm9wZQ=="}, timeout=5)
    assert wrong.status_code == 401

    for user, driver in browsers.items():
        driver.get(url)
        start = SEES[user][0].split()[0].lower()  # alice starts on alpha; bob may not: beta
        wait_text(driver, "#dataset-summary", f"{start}: {N} samples", timeout=40)
        assert menu_labels(driver) == SEES[user]
        # the gallery's thumbnails load through the thumbnail route, with the credentials
        WebDriverWait(driver, 20).until(
            lambda d: (
                d.find_elements("css selector", ".view-images .images-grid img")
                and all(
                    d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", i)
                    for i in d.find_elements("css selector", ".view-images .images-grid img")
                )
            )
        )

    for user, driver in browsers.items():
        other = FORBIDDEN[user]
        assert fetch_status(driver, f"/thumbnail/{other}/1.png") == 403
        assert fetch_status(driver, "/thumbnail/shared/1.png") == 200
        assert fetch_status(driver, UPDATE, gallery_body(url, other)) == 403
        assert fetch_status(driver, UPDATE, page_body(url, other)) == 403
        assert fetch_status(driver, UPDATE, page_body(url, "shared")) == 200
        driver.get(f"{url}/?config={other}")
        WebDriverWait(driver, 10).until(lambda d: "may not open" in text_of(d, "body"))
        assert f"You ({user}) may not open the config {other!r}" in text_of(driver, "body")

    # Chromium keeps idle pre-connected sockets, each holding a sync worker until it times out:
    # close the browsers, then see both workers answer, each deciding from the request alone
    for driver in browsers.values():
        driver.quit()
    pids = set()
    for _ in range(60):
        answer = requests.get(f"{url}/healthz", timeout=5, headers={"Connection": "close"})
        pids.add(answer.json()["pid"])
        if len(pids) > 1:
            break
    assert len(pids) >= 2, f"all /healthz answers came from {pids}"
    for _ in range(10):  # and every answer, from either worker, is the same decision
        answer = requests.get(
            f"{url}/?config=beta",
            timeout=5,
            headers={"Authorization": basic("alice"), "Connection": "close"},
        )
        assert answer.status_code == 403  # fmt: skip
