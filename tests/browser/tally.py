"""Counts what a flow costs a person: clicks (and key-driven picks) and pixels scrolled.

Every step scrolls the element into view first, as a person would, and adds the distance the
page moved; the figures are printed and compared against the bounds the tests state.
"""

from dataclasses import dataclass, field

from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement


@dataclass
class Tally:
    driver: WebDriver
    clicks: int = 0
    scrolled: int = 0
    steps: list[str] = field(default_factory=list)

    def reach(self, element: WebElement) -> WebElement:
        """Scroll the element into view if it is not; count the pixels the page moved."""
        before = self.driver.execute_script("return window.scrollY")
        self.driver.execute_script(
            "const r = arguments[0].getBoundingClientRect();"
            "if (r.top < 0 || r.bottom > window.innerHeight)"
            " arguments[0].scrollIntoView({block: 'center'});",
            element,
        )
        after = self.driver.execute_script("return window.scrollY")
        self.scrolled += abs(after - before)
        return element

    def click(self, element: WebElement, step: str = "") -> None:
        self.reach(element).click()
        self.clicks += 1
        self.steps.append(step or element.text[:40])

    def summary(self) -> str:
        return f"{self.clicks} clicks, {self.scrolled} px scrolled"

    def follow(self, element: WebElement, step: str = "") -> None:
        """Click something that loads a new page, and wait for it."""
        from . import ui

        self.reach(element)
        self.clicks += 1
        self.steps.append(step or element.text[:40])
        ui.click_and_wait(self.driver, element)

    def type(self, element: WebElement, text: str) -> None:
        """Click into a field and type: one click."""
        self.click(element, "focus")
        element.clear()
        element.send_keys(text)

    def pick(self, element: WebElement, label: str) -> None:
        """Open a drop-down and pick an option: two clicks."""
        from selenium.webdriver.support.ui import Select

        self.reach(element)
        self.clicks += 2
        self.steps.append(f"pick {label}")
        Select(element).select_by_visible_text(label)
