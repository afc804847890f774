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
    (ActionChains(dash_duo.driver)
        .move_to_element_with_offset(area, int(w * start[0]), int(h * start[1]))
        .click_and_hold()
        .move_by_offset(int(w * (end[0] - start[0]) / 2), int(h * (end[1] - start[1]) / 2))
        .move_by_offset(int(w * (end[0] - start[0]) / 2), int(h * (end[1] - start[1]) / 2))
        .release()
        .perform())
