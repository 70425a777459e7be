"""An editor fixes an equation in the preview loop beside the change form, then saves.

The screenshots of each step are saved to var/screenshots/flows/ (and copied by hand to
docs/screenshots/, which the README links).
"""

import json
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from concepts.content import concepts_load
from concepts.models import Concept, ConceptObject
from learning_platform.content import LoadReport

from . import ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = Path(settings.BASE_DIR) / "content"
FLOWS = Path(settings.BASE_DIR) / "var" / "screenshots" / "flows"
GOOD = r"\Delta = r_\phi(x,y_w)-r_\phi(x,y_\ell)."
TYPO = r"\Delta = r_\phi(x,y_w)-\fracc{r_\phi}(x,y_\ell)."
KEY = "equation:alignment/rlhf#reward-gap"


class Flow:
    """What a flow costs the person taking it: clicks, and pixels scrolled by hand to reach
    what they click (scrolling the page does for them is counted apart)."""

    def __init__(self, driver) -> None:
        self.driver, self.clicks, self.hand_scroll, self.page_scroll = driver, 0, 0, 0

    def _scroll_y(self) -> int:
        return int(self.driver.execute_script("return Math.round(window.scrollY)"))

    def click(self, element, *, in_frame: bool = False) -> None:
        if not in_frame:
            before = self._scroll_y()
            self.driver.execute_script("arguments[0].scrollIntoView({block: 'nearest'})", element)
            self.hand_scroll += abs(self._scroll_y() - before)
        element.click()
        self.clicks += 1

    def followed(self, scrolled_by_page: int) -> None:
        self.page_scroll += scrolled_by_page

    def as_dict(self) -> dict:
        return {
            "clicks": self.clicks,
            "hand_scroll_px": self.hand_scroll,
            "page_scroll_px": self.page_scroll,
        }


def shoot(driver, name: str) -> None:
    FLOWS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(FLOWS / name))


def rlhf_with_a_typo(tmp_path) -> Concept:
    """content/ loaded with one typo in the RLHF page's reward-gap equation."""
    root = tmp_path / "content"
    for part in ("sources", "concepts"):
        shutil.copytree(CONTENT / part, root / part)
    objects = root / "concepts" / "alignment" / "rlhf" / "objects.yaml"
    text = objects.read_text(encoding="utf-8")
    assert f"body: {GOOD}\n" in text
    objects.write_text(text.replace(f"body: {GOOD}\n", f"body: {TYPO}\n"), encoding="utf-8")
    concepts_load(root, LoadReport())
    return Concept.objects.get(area="alignment", slug="rlhf")


def in_view(driver, element) -> bool:
    """Whether the whole element is inside the window, where the person sees it."""
    return driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight"
        " && r.right <= window.innerWidth;",
        element,
    )


def frame_text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def test_editor_fixes_an_equation_in_the_preview_loop_and_saves(
    browser, live_server, admin_login, editor, tmp_path
):
    """The panel beside the form names the broken equation by key and position; its link puts
    the cursor in the field; the fix previews as MathML before anything is stored; the panel's
    save stores it."""
    rlhf = rlhf_with_a_typo(tmp_path)
    field_index = list(rlhf.page_objects.values_list("anchor", flat=True)).index("reward-gap")
    field_id = f"id_page_objects-{field_index}-body"
    admin_login("edith", "edith-password")
    ui.visit(browser, f"{live_server.url}/admin/concepts/concept/{rlhf.pk}/change/")
    flow = Flow(browser)

    # The form opens at the window's whole width; one click opens the panel beside it, which
    # shows the stored page and the typo.
    assert not browser.find_element(By.ID, "preview-panel").is_displayed()
    flow.click(browser.find_element(By.ID, "preview-toggle"))
    ui.wait(browser).until(EC.frame_to_be_available_and_switch_to_it((By.ID, "preview-frame")))
    errors = ui.wait(browser).until(EC.visibility_of_element_located((By.ID, "preview-errors")))
    assert "1 equation does not render" in errors.text
    assert f"{KEY}, line 1, column 24: unknown command \\fracc" in errors.text
    browser.switch_to.default_content()
    shoot(browser, "preview-1-error.png")

    # Its link puts the cursor at the error, in the field that holds the TeX.
    browser.switch_to.frame("concept-preview")
    before = int(browser.execute_script("return Math.round(window.parent.scrollY)"))
    flow.click(browser.find_element(By.CSS_SELECTOR, ".preview-error-link"), in_frame=True)
    browser.switch_to.default_content()
    ui.wait(browser).until(lambda d: d.switch_to.active_element.get_attribute("id") == field_id)
    field = browser.switch_to.active_element
    assert field.get_property("selectionStart") == TYPO.index("\\fracc")
    assert field.is_displayed() and in_view(browser, field)
    flow.followed(abs(int(browser.execute_script("return Math.round(window.scrollY)")) - before))
    shoot(browser, "preview-2-field.png")

    # The fix, previewed: MathML in the panel, nothing stored yet.
    field.clear()
    field.send_keys(GOOD)
    frame = browser.find_element(By.ID, "preview-frame")
    assert in_view(browser, browser.find_element(By.ID, "preview-button"))
    browser.switch_to.frame(frame)
    with ui.new_document(browser):
        browser.switch_to.default_content()
        flow.click(browser.find_element(By.ID, "preview-button"))
        browser.switch_to.frame(frame)
    ui.wait(browser).until(EC.visibility_of_element_located((By.ID, "preview-ok")))
    assert "Unsaved changes" in frame_text(browser)
    equation = browser.find_element(By.CSS_SELECTOR, f"[id='preview-{KEY}'] math")
    assert equation.is_displayed() and equation.get_attribute("display") == "block"
    assert equation.size["width"] > 100  # laid out as MathML, not as unknown markup
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", equation)
    browser.switch_to.default_content()
    assert ConceptObject.objects.get(concept=rlhf, anchor="reward-gap").body == TYPO
    shoot(browser, "preview-3-fixed.png")

    # Saved from the panel: the stored equation is the fixed one, and the panel says so.
    with ui.new_document(browser):
        flow.click(browser.find_element(By.ID, "preview-save"))
    ui.wait(browser).until(EC.presence_of_element_located((By.ID, "content")))
    assert "was changed successfully" in ui.messages(browser)
    assert ConceptObject.objects.get(concept=rlhf, anchor="reward-gap").body == GOOD
    ui.wait(browser).until(EC.frame_to_be_available_and_switch_to_it((By.ID, "preview-frame")))
    ui.wait(browser).until(EC.visibility_of_element_located((By.ID, "preview-ok")))
    assert "As stored." in frame_text(browser)
    browser.switch_to.default_content()
    shoot(browser, "preview-4-saved.png")

    assert flow.as_dict()["clicks"] == 4 and flow.as_dict()["hand_scroll_px"] == 0
    (FLOWS / "preview-flow.json").write_text(json.dumps(flow.as_dict()) + "\n")


def test_every_equation_of_the_rlhf_page_renders_in_chromium(
    browser, live_server, admin_login, editor
):
    """In the stored page's preview, each of the RLHF page's 15 equations is a laid-out
    MathML element and no equation is shown as an error."""
    concepts_load(CONTENT, LoadReport())
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    admin_login("edith", "edith-password")
    ui.visit(browser, f"{live_server.url}/admin/concepts/concept/{rlhf.pk}/preview/")
    assert browser.find_element(By.ID, "preview-ok").is_displayed()
    assert not browser.find_elements(By.CSS_SELECTOR, ".render-error")
    anchors = rlhf.page_objects.filter(kind="equation").values_list("anchor", flat=True)
    assert len(anchors) == 15
    for anchor in anchors:
        math = browser.find_element(
            By.CSS_SELECTOR, f"[id='preview-equation:alignment/rlhf#{anchor}'] math"
        )
        assert math.size["width"] > 20 and math.size["height"] > 10, anchor
    first = browser.find_element(By.CSS_SELECTOR, "[id='preview-section:alignment/rlhf#math']")
    browser.execute_script("arguments[0].scrollIntoView()", first)
    shoot(browser, "preview-5-rlhf-equations.png")
