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

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

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
        " && c.getBoundingClientRect().right > Math.min(document.documentElement.clientWidth,"
        " c.closest('.inline-group').getBoundingClientRect().right + 1))"
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


def test_an_editor_changes_a_prerequisite_note_on_the_rlhf_page(
    browser, live_server, admin_login, editor
):
    """An editor opens the prerequisites under their heading, rewrites one carry-out note
    and saves: a few clicks and little scrolling on a page that was ~27,000 px tall."""
    call_command("load_content", verbosity=0)
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    admin_login("edith", "edith-password")
    ui.visit(browser, f"{live_server.url}/admin/concepts/concept/{rlhf.pk}/change/")
    tally = Tally(browser)
    heading = browser.find_element(By.CSS_SELECTOR, "#prerequisite_edges-group summary")
    tally.click(heading, "open prerequisites")
    tally.type(
        browser.find_element(By.ID, "id_prerequisite_edges-0-carry_out"),
        "Carry out the reward gap as a log-odds.",
    )
    shoot(browser, "concept-edit-prerequisite")
    tally.follow(browser.find_element(By.NAME, "_save"), "save")
    assert "was changed successfully" in ui.messages(browser)
    edge = rlhf.prerequisite_edges.order_by("order", "id").first()
    assert edge.carry_out == "Carry out the reward gap as a log-odds."
    print(f"\nEditor changes a prerequisite note: {tally.summary()}")
    assert tally.clicks <= 3
    assert tally.scrolled <= 2500


def _review(tally: Tally, driver, summary: str) -> None:
    """Fill in and submit the review form on the review page."""
    tally.pick(driver.find_element(By.ID, "id_verdict"), "Substantively reviewed")
    tally.type(driver.find_element(By.ID, "id_summary"), summary)
    tally.type(driver.find_element(By.ID, "id_scope_covers"), "Reviews only the mechanics.")
    tally.type(driver.find_element(By.ID, "id_scope_excludes"), "reward as true objective.")
    for box in driver.find_elements(
        By.CSS_SELECTOR, "input[name='sources_checked'], input[name='witnesses_checked']"
    ):
        tally.click(box, "check")
    tally.follow(driver.find_element(By.NAME, "_save"), "record")


def test_a_reviewer_works_through_three_queued_claims(browser, live_server, admin_login, reviewer):
    """From the queue, a reviewer records three reviews in a row, each save landing on the
    next claim; the stale one shows in the queue which input changed and on its page the diff
    of its text since the latest review, beside the form."""
    from claims.models import Claim, ClaimReview
    from tests.claims.factories import linked_claim, record_review

    first = linked_claim(text="Preferences train a reward model.")
    stale = linked_claim(text="The policy is pushed toward high reward.")
    third = linked_claim(text="A KL penalty keeps the policy near the reference.")
    record_review(stale, reviewer)
    stale.refresh_from_db()
    stale.text = "The policy is pushed toward high learned reward, not true reward."
    stale.save()
    admin_login("rita", "rita-password")
    ui.visit(browser, f"{live_server.url}/admin/claims/claim/")
    tally = Tally(browser)
    tally.follow(
        browser.find_element(By.XPATH, "//*[@id='content']//a[contains(., 'Review queue')]")
    )
    keys = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#review-queue td.field-key")]
    assert keys == [first.key, third.key, stale.key]
    changed = browser.find_elements(By.CSS_SELECTOR, "#review-queue td.field-changed")
    assert changed[2].text == "The claim's text changed."
    shoot(browser, "review-queue")

    tally.follow(browser.find_element(By.CSS_SELECTOR, "#review-queue a.review-link"))
    for claim in (first, third, stale):
        assert claim.key in browser.find_element(By.ID, "claim-text").text
        assert page_size(browser)[0] <= WIDTH
        if claim is stale:
            diff = browser.find_element(By.CSS_SELECTOR, "#changes pre.diff").text
            assert "-The policy is pushed toward high reward." in diff
            assert "+The policy is pushed toward high learned reward, not true reward." in diff
            # The diff and the form side by side: both in the first screenful.
            form = browser.find_element(By.ID, "review-form")
            assert form.location["y"] < 400 and form.location["x"] > WIDTH / 2 - 100
            shoot(browser, "review-stale-claim-with-diff")
        _review(tally, browser, f"Checked {claim.key}.")
        assert "recorded for " + claim.key in ui.messages(browser)
    assert "No other claim is waiting" in ui.messages(browser)
    assert browser.find_elements(By.ID, "review-queue-empty")
    shoot(browser, "review-queue-done")
    assert set(ClaimReview.objects.values_list("claim__key", flat=True)) == {
        first.key,
        third.key,
        stale.key,
    }
    assert not Claim.objects.filter(badge__in=["unreviewed", "stale"]).exists()
    print(f"\nReviewer, three claims: {tally.summary()}")
    assert tally.clicks <= 34
