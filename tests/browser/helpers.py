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
