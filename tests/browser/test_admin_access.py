import pytest
from selenium.webdriver.common.by import By

from . import ui

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_learner_is_refused_the_admin(browser, live_server, admin_login, learner):
    """A learner who logs in to the admin is told the account cannot use it, and any admin page
    sends them back to the login form."""
    admin_login("alice", "alice-password")
    assert "/admin/login/" in browser.current_url
    error = browser.find_element(By.CSS_SELECTOR, ".errornote").text
    assert "staff account" in error
    ui.visit(browser, f"{live_server.url}/admin/claims/claimreview/")
    assert "/admin/login/" in browser.current_url
    assert browser.find_elements(By.ID, "login-form")


def test_editor_reaches_the_admin(browser, live_server, admin_login, editor):
    """An editor logs in and lands on the admin index with the concepts app listed."""
    admin_login("edith", "edith-password")
    assert browser.current_url.endswith("/admin/")
    assert "Concepts" in browser.find_element(By.ID, "content-main").text
