"""The admin as an editor and a reviewer use it, at 1400 px in Chromium, with screenshots.

Each flow saves its screenshots under var/screenshots/flows/ (the README's admin section shows
copies) and prints what it cost: clicks and pixels scrolled (see tally.py).
"""

import pytest
from django.conf import settings
from django.core.management import call_command
from selenium.webdriver.common.by import By

from concepts.models import Concept

from . import ui
from .tally import Tally

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FLOWS = settings.BASE_DIR / "var" / "screenshots" / "flows"
WIDTH = 1400
# The RLHF page with every inline collapsed (it was about 27,000 px with all of them open).
COLLAPSED_HEIGHT_MAX = 2000


def shoot(driver, name: str) -> None:
    """A full-page screenshot: the window grown to the page's height, then put back."""
    FLOWS.mkdir(parents=True, exist_ok=True)
    size = driver.get_window_size()
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(size["width"], min(height + 150, 12000))
    driver.save_screenshot(str(FLOWS / f"{name}.png"))
    driver.set_window_size(size["width"], size["height"])


def page_size(driver) -> tuple[int, int]:
    return tuple(
        driver.execute_script(
            "return [document.body.scrollWidth, document.documentElement.scrollHeight]"
        )
    )


def cells_cut_off(driver) -> list[str]:
    """The inline cells whose right edge lies beyond the window."""
    return driver.execute_script(
        "return [...document.querySelectorAll('.inline-group th, .inline-group td')]"
        ".filter(c => c.offsetParent !== null"
        " && c.getBoundingClientRect().right > document.documentElement.clientWidth)"
        ".map(c => c.closest('.inline-group').id + ' ' + c.className)"
    )


def test_the_rlhf_change_page_fits_1400_px(browser, live_server, admin_login, editor):
    """The RLHF concept's page opens at metadata with each inline collapsed under a heading
    with its count; it is no wider than the window, and with every inline opened no column is
    cut off and each row links to a page of its own."""
    call_command("load_content", verbosity=0)
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    admin_login("edith", "edith-password")
    ui.visit(browser, f"{live_server.url}/admin/concepts/concept/{rlhf.pk}/change/")
    width, height = page_size(browser)
    print(f"\nRLHF change page, collapsed: {width} x {height} px")
    assert browser.execute_script("return window.innerWidth") == WIDTH
    assert width <= WIDTH
    assert height <= COLLAPSED_HEIGHT_MAX
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".inline-group summary h2")]
    assert f"SECTIONS ({rlhf.sections.count()})" in headings
    assert f"OBJECTS (EQUATIONS, CODE, DEMOS, FIGURES) ({rlhf.page_objects.count()})" in headings
    shoot(browser, "concept-change-collapsed")

    tally = Tally(browser)
    for summary in browser.find_elements(By.CSS_SELECTOR, ".inline-group details > summary"):
        tally.click(summary, "open inline")
    assert not browser.find_elements(By.CSS_SELECTOR, ".inline-group details:not([open])")
    width, height = page_size(browser)
    print(f"RLHF change page, every inline open: {width} x {height} px; {tally.summary()}")
    assert width <= WIDTH
    assert cells_cut_off(browser) == []
    edges = browser.find_elements(
        By.CSS_SELECTOR, "#prerequisite_edges-group tr.has_original td.field-carry_out"
    )
    assert edges and all(cell.is_displayed() for cell in edges)
    shoot(browser, "concept-change-open")

    # A long section body: its row's link opens the section on a page of its own.
    link = browser.find_element(By.CSS_SELECTOR, "#sections-group a.inlinechangelink")
    tally.follow(link, "open section")
    assert "/admin/concepts/section/" in browser.current_url
    body = browser.find_element(By.ID, "id_body")
    assert int(body.get_attribute("rows")) > 10
    assert page_size(browser)[0] <= WIDTH
    shoot(browser, "section-change")
