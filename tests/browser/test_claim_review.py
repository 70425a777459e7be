import pytest
from selenium.webdriver.common.by import By

from claims.models import ClaimReview
from tests.claims.factories import linked_claim

from . import ui

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def claims(db):
    """Two unreviewed claims: the first has waited longer."""
    first = linked_claim(sources=2, witnesses=2, text="Preferences train a reward model.")
    second = linked_claim(sources=1, witnesses=1)
    return first, second


def queue_keys(driver) -> list[str]:
    return [
        cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "#review-queue td.field-key")
    ]


def badge(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, ".field-badge .readonly").text


def history_states(driver) -> list[str]:
    return [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "td.field-state")]


def test_review_goes_stale_when_an_editor_changes_the_claim(
    browser, browser_factory, live_server, admin_login, reviewer, editor, claims
):
    """A reviewer records a scoped review from the queue and the badge turns; an editor rewrites
    the claim; the reviewer sees the review marked stale and the claim back in the queue."""
    first, second = claims
    admin_login("rita", "rita-password")

    # The queue, oldest first; the first claim's page shows its sources, witnesses and badge.
    ui.visit(browser, f"{live_server.url}/admin/claims/claim/")
    ui.click_link(browser, "Review queue")
    assert queue_keys(browser) == [first.key, second.key]
    ui.click_link(browser, first.key)
    page = ui.main_text(browser)
    for link in first.claim_sources.select_related("source"):
        assert link.source.key in page
    for link in first.claim_witnesses.select_related("concept_object__concept"):
        assert link.concept_object.key in page
    assert badge(browser) == "Unreviewed"

    # A review with its scope, every source and witness checked.
    ui.choose(browser, "id_reviews-0-verdict", "Substantively reviewed")
    ui.fill(browser, "id_reviews-0-summary", "Both sources support the two-stage mechanism.")
    ui.fill(browser, "id_reviews-0-scope_covers", "Reviews only preference-modeling mechanics.")
    ui.fill(browser, "id_reviews-0-scope_excludes", "reward as true human objective.")
    for box in browser.find_elements(
        By.CSS_SELECTOR,
        "input[name='reviews-0-sources_checked'], input[name='reviews-0-witnesses_checked']",
    ):
        box.click()
    ui.save(browser, "_continue")
    assert "Review #1 recorded" in ui.messages(browser)
    assert badge(browser) == "Substantively reviewed"
    assert history_states(browser) == ["current"]
    history = browser.find_element(By.CSS_SELECTOR, ".field-scope").text
    assert "It does not certify reward as true human objective." in history
    ui.visit(browser, f"{live_server.url}/admin/claims/claim/review-queue/")
    assert queue_keys(browser) == [second.key]

    # The editor, in another browser, rewrites the claim.
    editor_browser = browser_factory()
    admin_login("edith", "edith-password", driver=editor_browser)
    ui.visit(editor_browser, f"{live_server.url}/admin/claims/claim/{first.pk}/change/")
    ui.fill(editor_browser, "id_text", "Preferences train a reward model; KL keeps it honest.")
    ui.save(editor_browser, "_save")
    assert "was changed successfully" in ui.messages(editor_browser)

    # The reviewer's page now says the review is stale, and the claim waits again, newest last.
    ui.visit(browser, f"{live_server.url}/admin/claims/claim/{first.pk}/change/")
    assert badge(browser) == "Stale"
    assert history_states(browser) == ["stale"]
    ui.visit(browser, f"{live_server.url}/admin/claims/claim/review-queue/")
    assert queue_keys(browser) == [second.key, first.key]
    assert ClaimReview.objects.filter(claim=first).count() == 1
