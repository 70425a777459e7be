"""Real Chromium, driven by Selenium, against the live test server.

Debian's chromium and chromium-driver: without them the tests skip with a reason (fail under
CI=true). A failing test leaves a screenshot of every browser it opened under var/screenshots/.
"""

import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

from tests.servers import missing

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        factory = item.funcargs.get("browser_factory")
        drivers = factory.drivers if factory is not None else []
        if drivers:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for index, driver in enumerate(drivers):
            suffix = "" if index == 0 else f"-{index + 1}"
            driver.save_screenshot(str(SCREENSHOTS / f"{item.name}{suffix}.png"))


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Snapshots uploaded through the browser go to a throwaway MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


class Browsers:
    """Starts headless Chromium windows on demand (one per person in a test) and closes them."""

    FLAGS = (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
    )

    def __init__(self, chromium: str, driver_path: str) -> None:
        self.chromium, self.driver_path = chromium, driver_path
        self.drivers = []
        self.profiles = []

    def __call__(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        profile = tempfile.mkdtemp(prefix="lp-chromium-")
        self.profiles.append(profile)
        options = webdriver.ChromeOptions()
        options.binary_location = self.chromium
        for flag in (*self.FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(self.driver_path), options=options)
        driver.implicitly_wait(5)
        self.drivers.append(driver)
        return driver

    def close(self) -> None:
        for driver in self.drivers:
            driver.quit()
        for profile in self.profiles:
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser_factory():
    """Call it to open another browser window: e.g. one for the reviewer, one for the editor."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        missing(
            "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
    browsers = Browsers(chromium, driver_path)
    yield browsers
    browsers.close()


@pytest.fixture
def browser(browser_factory):
    return browser_factory()


@pytest.fixture
def admin_login(browser, live_server):
    """Log a user in through the admin's own login form, as a person would.

    ``login(username, password)`` uses ``browser``; pass ``driver=`` for another window.
    """
    from selenium.webdriver.common.by import By

    from . import ui

    def login(username: str, password: str, driver=None) -> None:
        driver = driver or browser
        driver.get(f"{live_server.url}/admin/login/?next=/admin/")
        driver.find_element(By.NAME, "username").send_keys(username)
        driver.find_element(By.NAME, "password").send_keys(password)
        with ui.new_document(driver):
            driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()

    return login
