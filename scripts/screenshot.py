"""Take the README's screenshot: the default config in headless Chromium, with a selection.

    python scripts/screenshot.py [docs/screenshot.png]

Needs the demo data (`latent-dash demo`) and Debian's chromium + chromium-driver.
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


def main(out: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(TOP / "configs" / "default.yaml")
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
        time.sleep(8)
        # brush the drive-sensitive latent dim's upper range on the parallel coordinates
        axes = ".view-parcoords .axis-brush rect.background"
        area = driver.find_elements("css selector", axes)[0]
        h = area.size["height"]
        (
            ActionChains(driver)
            .move_to_element_with_offset(area, 5, int(h * 0.1))
            .click_and_hold()
            .move_by_offset(0, int(h * 0.15))
            .move_by_offset(0, int(h * 0.15))
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
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else TOP / "docs" / "screenshot.png")
