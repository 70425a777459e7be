"""Small steps through the Django admin, as a person takes them: explicit waits, no sleeps."""

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

TIMEOUT = 10


def wait(driver: WebDriver, timeout: float = TIMEOUT) -> WebDriverWait:
    return WebDriverWait(driver, timeout)


def xpath_literal(text: str) -> str:
    """``text`` as an XPath string literal (XPath 1.0 has no escapes)."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    parts = text.split("'")
    return "concat(" + ', "\'", '.join(f"'{part}'" for part in parts) + ")"


def visit(driver: WebDriver, url: str) -> None:
    driver.get(url)
    wait(driver).until(EC.presence_of_element_located((By.ID, "content")))


_marks = itertools.count()


@contextmanager
def new_document(driver: WebDriver) -> Iterator[None]:
    """Wait, after the block, until the window or frame in focus shows a document other than
    the one it showed before.

    The old document is marked and the wait lasts while the mark is there. Holding on to one
    of its elements instead fails now and then: Chromium may answer for a node of a document
    being torn down with an error that is not a stale-element one.
    """
    mark = f"left-{next(_marks)}"
    driver.execute_script("document.documentElement.dataset.leaving = arguments[0]", mark)
    yield
    wait(driver).until(_document_is_not(mark))


def _document_is_not(mark: str):
    def replaced(driver: WebDriver) -> bool:
        try:
            return driver.execute_script(
                "return document.readyState !== 'loading'"
                " && document.documentElement.dataset.leaving !== arguments[0]",
                mark,
            )
        except WebDriverException:  # between documents
            return False

    return replaced


def click_and_wait(driver: WebDriver, element: WebElement) -> None:
    """Click something that loads a new page and wait until the new page is there."""
    with new_document(driver):
        element.click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "content")))


def click_link(driver: WebDriver, text: str) -> None:
    """Follow the link in the page's content whose text (as written, not as styled) has
    ``text``: the admin's object tools are upper-cased by CSS."""
    link = driver.find_element(
        By.XPATH, f"//*[@id='content']//a[contains(normalize-space(.), {xpath_literal(text)})]"
    )
    click_and_wait(driver, link)


def save(driver: WebDriver, button: str = "_save") -> None:
    """Press one of the admin's save buttons (_save, _continue, _addanother)."""
    click_and_wait(driver, driver.find_element(By.NAME, button))


def fill(driver: WebDriver, field_id: str, text: str) -> None:
    element = driver.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(text)


def choose(driver: WebDriver, field_id: str, label: str) -> None:
    Select(driver.find_element(By.ID, field_id)).select_by_visible_text(label)


def open_inline(driver: WebDriver, prefix: str) -> None:
    """Open a collapsed inline group by clicking its heading (no-op when it is open)."""
    group = driver.find_element(By.ID, f"{prefix}-group")
    for details in group.find_elements(By.CSS_SELECTOR, "details:not([open])"):
        details.find_element(By.TAG_NAME, "summary").click()


def add_inline_row(driver: WebDriver, prefix: str, index: int) -> None:
    """Click the inline group's "Add another …" link and wait for row ``index`` to appear."""
    group = driver.find_element(By.ID, f"{prefix}-group")
    open_inline(driver, prefix)
    group.find_element(By.CSS_SELECTOR, ".add-row a").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, f"{prefix}-{index}")))


def select2_choose(driver: WebDriver, select_id: str, search: str, label: str) -> None:
    """Pick ``label`` in an autocomplete (select2) field by typing ``search`` into it."""
    select = driver.find_element(By.ID, select_id)
    container = select.find_element(
        By.XPATH, "following-sibling::span[contains(@class, 'select2-container')]"
    )
    container.find_element(By.CSS_SELECTOR, ".select2-selection").click()
    field = wait(driver).until(
        EC.visibility_of_element_located(
            (By.CSS_SELECTOR, ".select2-container--open .select2-search__field")
        )
    )
    field.send_keys(search)
    option = wait(driver).until(
        EC.element_to_be_clickable(
            (
                By.XPATH,
                "//li[contains(@class, 'select2-results__option')]"
                f"[normalize-space(.) = {xpath_literal(label)}]",
            )
        )
    )
    option.click()
    wait(driver).until(
        lambda d: label in [o.text for o in Select(select).all_selected_options],
        f"{label!r} was not selected in {select_id}",
    )


def messages(driver: WebDriver) -> str:
    found = driver.find_elements(By.CSS_SELECTOR, ".messagelist")
    return found[0].text if found else ""


def main_text(driver: WebDriver) -> str:
    return driver.find_element(By.ID, "content").text
