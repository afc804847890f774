"""Take the README's screenshots in headless Chromium, each with a selection made by the mouse.

    python scripts/screenshot.py                                   # docs/screenshot.png
    python scripts/screenshot.py compare-implosion docs/comparison.png

The first argument names a shipped config (default: default), the second the PNG. On a
comparison page the selection is a box over the left half of the first model's embedding;
elsewhere a brush on the first parallel-coordinates axis. Needs the demo data (`latent-dash
demo`) and Debian's chromium + chromium-driver.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.action_chains import ActionChains

from latent_dash.app import create_app

TOP = Path(__file__).resolve().parents[1]


def main(config: str, out: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(TOP / "configs" / f"{config}.yaml")
    threading.Thread(target=lambda: app.run(port=port), daemon=True).start()
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--window-size=1600,2600",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options)
    try:
        time.sleep(2)
        driver.get(f"http://127.0.0.1:{port}/")
        deadline = time.time() + 90
        ready = ".view-panel .js-plotly-plot, .comparison-summary table"
        while len(driver.find_elements("css selector", ready)) < 2 and time.time() < deadline:
            time.sleep(0.5)
        time.sleep(6)  # the last figures settle
        comparison = driver.find_elements("css selector", ".model-0 .view-embedding .nsewdrag")
        if comparison:  # a box over the left half of the first model's embedding
            area, start, step = comparison[0], (0.03, 0.03), (0.22, 0.47)
        else:  # brush the drive-sensitive latent dim's upper range on the parallel coordinates
            axes = ".view-parcoords .axis-brush rect.background"
            area, start, step = driver.find_elements("css selector", axes)[0], (0, 0.1), (0, 0.15)
        w, h = area.size["width"], area.size["height"]
        (
            ActionChains(driver)
            .move_to_element_with_offset(area, 5 + int(w * start[0]), int(h * start[1]))
            .click_and_hold()
            .move_by_offset(int(w * step[0]), int(h * step[1]))
            .move_by_offset(int(w * step[0]), int(h * step[1]))
            .release()
            .perform()
        )
        time.sleep(4)
        driver.save_screenshot(str(out))
        # 256 colours keep the PNG small enough for a repository (a third of the size)
        Image.open(out).convert("RGB").quantize(256).save(out, optimize=True)
        print(f"{out}: {driver.find_element('css selector', '#selection-count').text}")
    finally:
        driver.quit()


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "default",
        Path(sys.argv[2]) if len(sys.argv) > 2 else TOP / "docs" / "screenshot.png",
    )
