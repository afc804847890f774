"""What a person does in the page, written once for every browser test."""

from __future__ import annotations

from selenium.webdriver.support.ui import WebDriverWait


def pick(dash_duo, dropdown, label: str) -> None:
    """Open a Dash 4 dropdown and click the option whose text is `label`."""
    dropdown.click()

    def option(driver):
        for element in driver.find_elements("css selector", "[role=listbox] [role=option]"):
            if element.text.strip() == label:
                return element
        return False

    WebDriverWait(dash_duo.driver, 5).until(option).click()


def box_select(dash_duo, graph_selector: str, start=(0.05, 0.05), end=(0.95, 0.95)) -> None:
    """Drag a selection box over a plotly graph, corners as fractions of the plot area."""
    from selenium.webdriver.common.action_chains import ActionChains

    area = dash_duo.find_element(f"{graph_selector} .nsewdrag")
    w, h = area.size["width"], area.size["height"]
    (
        ActionChains(dash_duo.driver)
        .move_to_element_with_offset(area, int(w * start[0]), int(h * start[1]))
        .click_and_hold()
        .move_by_offset(int(w * (end[0] - start[0]) / 2), int(h * (end[1] - start[1]) / 2))
        .move_by_offset(int(w * (end[0] - start[0]) / 2), int(h * (end[1] - start[1]) / 2))
        .release()
        .perform()
    )


def brush_axis(dash_duo, panel: str, axis: int, start: float, end: float) -> None:
    """Brush a range on parallel-coordinates axis number `axis` (as drawn, left to right).

    start and end are fractions of the axis height from its top."""
    from selenium.webdriver.common.action_chains import ActionChains

    area = dash_duo.find_elements(f"{panel} .axis-brush rect.background")[axis]
    h = area.size["height"]
    (
        ActionChains(dash_duo.driver)
        .move_to_element_with_offset(area, 5, int(h * start))
        .click_and_hold()
        .move_by_offset(0, int(h * (end - start) / 2))
        .move_by_offset(0, int(h * (end - start) / 2))
        .release()
        .perform()
    )


def drag_axis(dash_duo, panel: str, axis: int, to_axis: int) -> None:
    """Drag axis number `axis` by its title past axis `to_axis`."""
    from selenium.webdriver.common.action_chains import ActionChains

    titles = dash_duo.find_elements(f"{panel} .axis-title")
    source, target = titles[axis], titles[to_axis]
    dx = target.location["x"] - source.location["x"]
    dx += 30 if dx > 0 else -30
    (
        ActionChains(dash_duo.driver)
        .move_to_element(source)
        .click_and_hold()
        .move_by_offset(dx // 3, 0)
        .move_by_offset(dx // 3, 0)
        .move_by_offset(dx - 2 * (dx // 3), 0)
        .release()
        .perform()
    )


def axis_titles(dash_duo, panel: str) -> list[str]:
    return [e.text for e in dash_duo.find_elements(f"{panel} .axis-title")]


# what the highlight canvas over a scatter-like plot last drew (assets/selection.js
# drawOverlay); a scatterplot matrix shows the selection as its traces' selectedpoints
SCATTER_SELECTED_JS = """
const lib = window.dash_clientside.latent_dash;
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
const shown = gd && gd.__ldShown;
if (shown) return shown.selected ? shown.selected.slice().sort((a, b) => a - b) : null;
let out = [];
let any = false;
(gd ? gd.data : []).forEach(function (t) {
  if (t.type !== 'splom' || t.meta === 'focus') return;
  const idx = lib.arrayOf(t.customdata);
  if (t.selectedpoints === null || t.selectedpoints === undefined) return;
  any = true;
  for (const j of lib.arrayOf(t.selectedpoints)) out.push(idx[j]);
});
return any ? out.sort((a, b) => a - b) : null;
"""

SCATTER_RING_JS = """
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
const shown = gd && gd.__ldShown;
return shown && shown.ring ? shown.ring : null;
"""

SCATTER_FOCUS_JS = """
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
const shown = gd && gd.__ldShown;
return shown ? shown.focus : null;
"""

PARCOORDS_STATE_JS = """
const root = document.querySelector(arguments[0] + ' .pc-root');
return root && root.__parallel && root.__parallel.data ? root.__parallel.state() : null;
"""


def scatter_selected(dash_duo, panel: str) -> list[int] | None:
    """Sample indices a scatter panel shows as selected (None: no selection shown)."""
    return dash_duo.driver.execute_script(SCATTER_SELECTED_JS, panel)


def scatter_focus(dash_duo, panel: str) -> int | None:
    """The sample a scatter panel rings as the focus (None: none)."""
    return dash_duo.driver.execute_script(SCATTER_FOCUS_JS, panel)


def scatter_ring(dash_duo, panel: str) -> list[float] | None:
    """Where the focus ring is drawn, in pixels from the plot's top-left (None: no ring)."""
    return dash_duo.driver.execute_script(SCATTER_RING_JS, panel)


def parcoords_state(dash_duo, panel: str) -> dict:
    """Axis order, brushed ranges (codes, and value bounds: `values`), the samples drawn in
    colour (not grey), the lines drawn and the fixed sample's rows (assets/parallel.js)."""
    return dash_duo.driver.execute_script(PARCOORDS_STATE_JS, panel) or {
        "order": [],
        "ranges": [],
        "values": [],
        "highlighted": [],
        "drawn": 0,
        "rows": [],
    }


def count_text(dash_duo) -> str:
    return dash_duo.find_element("#selection-count").text


def wait_until(condition, timeout: float = 6.0):
    """Wait for condition() to be truthy; returns its value."""
    import time

    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    end = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except (StaleElementReferenceException, NoSuchElementException):
            value = None  # the page redrew under us: look again
        if value or time.monotonic() > end:
            assert value, "condition not met in time"
            return value
        time.sleep(0.1)


def serve(dash_duo, app) -> None:
    """Start the app on a free port (another test run may hold dash_duo's default one)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dash_duo.start_server(app, port=port)


POINT_JS = """
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
const lib = window.dash_clientside.latent_dash;
const trace = gd._fullData.findIndex((t) => t.meta !== 'focus');
const t = gd.data[trace];
const j = lib.arrayOf(t.customdata).indexOf(arguments[1]);
const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
return [xa._offset + xa.l2p(lib.arrayOf(t.x)[j]), ya._offset + ya.l2p(lib.arrayOf(t.y)[j])];
"""


def point_position(dash_duo, panel: str, sample: int) -> tuple[float, float]:
    """Pixel position of a sample's point inside a scatter panel's plot (from its top-left)."""
    return dash_duo.driver.execute_script(POINT_JS, panel, sample)


def hover_point(dash_duo, panel: str, sample: int) -> None:
    """Move the mouse onto a sample's point, as a person would."""
    from selenium.webdriver.common.action_chains import ActionChains

    x, y = point_position(dash_duo, panel, sample)
    plot = dash_duo.find_element(f"{panel} .js-plotly-plot")
    (
        ActionChains(dash_duo.driver)
        .move_to_element_with_offset(plot, int(x) + 3, int(y))
        .move_by_offset(-3, 0)
        .perform()
    )


def until(dash_duo, condition, timeout: float = 8):
    """Wait until condition() is truthy and return it; errors while the page redraws or a view
    starts (a stale element, a script reading a plot not drawn yet) count as not yet."""
    from selenium.webdriver.support.ui import WebDriverWait

    def check(_driver):
        try:
            return condition()
        except Exception:
            return False

    return WebDriverWait(dash_duo.driver, timeout, poll_frequency=0.05).until(check)
