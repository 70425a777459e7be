import hashlib

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from concepts.models import Concept, Prerequisite, SourceSnapshot
from tests.concepts.factories import ConceptFactory, SourceFactory

from . import ui

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REWARD_GAP = r"$$\Delta = r_\phi(x,y_w)-r_\phi(x,y_\ell)$$"


@pytest.fixture
def maximum_likelihood(db):
    return ConceptFactory(
        area="foundations",
        area_title="Foundations",
        slug="maximum-likelihood",
        title="Maximum Likelihood",
    )


@pytest.fixture
def christiano(db):
    return SourceFactory(
        key="christiano-2017-human-preferences",
        title="Deep Reinforcement Learning from Human Preferences",
    )


def test_editor_builds_a_concept_and_is_refused_a_cycle(
    browser, live_server, admin_login, editor, maximum_likelihood, christiano, tmp_path
):
    """An editor creates a concept with two sections and a prerequisite, sees a cycle refused
    with the cycle named, uploads a snapshot and sees its sha256 and size."""
    admin_login("edith", "edith-password")

    # A new concept, with two sections and a prerequisite picked through the autocomplete.
    ui.visit(browser, f"{live_server.url}/admin/concepts/concept/")
    ui.click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, ".object-tools a.addlink"))
    ui.fill(browser, "id_area", "alignment")
    ui.fill(browser, "id_area_title", "Alignment")
    ui.fill(browser, "id_slug", "rlhf")
    ui.fill(browser, "id_title", "RLHF: Reward Modeling + KL-Regularized Policy Optimization")
    ui.fill(browser, "id_summary", "RLHF trains a reward model from pairwise preferences.")
    ui.fill(browser, "id_difficulty", "4")
    for index, (kind, title, body) in enumerate(
        [
            ("Intuition", "Intuition", "Start with the picture."),
            ("Math", "Math", f"The reward gap:\n\n{REWARD_GAP}"),
        ]
    ):
        ui.add_inline_row(browser, "sections", index)
        ui.choose(browser, f"id_sections-{index}-kind", kind)
        ui.fill(browser, f"id_sections-{index}-order", str(index + 1))
        ui.fill(browser, f"id_sections-{index}-title", title)
        ui.fill(browser, f"id_sections-{index}-body", body)
        browser.find_element(By.ID, f"id_sections-{index}-ready").click()
    ui.add_inline_row(browser, "prerequisite_edges", 0)
    ui.select2_choose(
        browser, "id_prerequisite_edges-0-prerequisite", "Maximum", "Maximum Likelihood"
    )
    ui.fill(browser, "id_prerequisite_edges-0-carry_in", "Bring the mental model of likelihood.")
    ui.save(browser, "_continue")

    assert "was added successfully" in ui.messages(browser)
    sections = browser.find_elements(
        By.CSS_SELECTOR, "#sections-group .inline-related.has_original"
    )
    assert len(sections) == 2
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    assert list(rlhf.sections.values_list("title", flat=True)) == ["Intuition", "Math"]
    assert list(rlhf.prerequisite_edges.values_list("prerequisite__slug", flat=True)) == [
        "maximum-likelihood"
    ]

    # The preview shows the section as learners see it: the display math as MathML.
    ui.click_link(browser, "Preview as the API serves it")
    math = browser.find_element(By.CSS_SELECTOR, "[id='preview-section:alignment/rlhf#math'] math")
    assert math.is_displayed() and math.get_attribute("display") == "block"
    assert browser.find_element(By.ID, "preview-ok").is_displayed()

    # Making RLHF a prerequisite of Maximum Likelihood would close a cycle: refused, named.
    ui.visit(browser, f"{live_server.url}/admin/concepts/concept/")
    browser.find_element(By.ID, "searchbar").send_keys("Maximum")
    ui.click_and_wait(
        browser, browser.find_element(By.CSS_SELECTOR, "#changelist-search [type=submit]")
    )
    assert "RLHF" not in browser.find_element(By.ID, "result_list").text
    ui.click_link(browser, "Maximum Likelihood")
    ui.add_inline_row(browser, "prerequisite_edges", 0)
    ui.select2_choose(
        browser,
        "id_prerequisite_edges-0-prerequisite",
        "RLHF",
        "RLHF: Reward Modeling + KL-Regularized Policy Optimization",
    )
    ui.save(browser, "_save")
    error = ui.wait(browser).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "#prerequisite_edges-group .errorlist"))
    )
    assert (
        "This edge would close the cycle foundations/maximum-likelihood → alignment/rlhf → "
        "foundations/maximum-likelihood." in error.text
    )
    assert browser.find_element(By.CSS_SELECTOR, ".errornote").is_displayed()
    assert not Prerequisite.objects.filter(concept=maximum_likelihood).exists()

    # A local snapshot, uploaded from the source's page: the admin shows its hash and size.
    content = b"Deep reinforcement learning from human preferences (local copy).\n"
    upload = tmp_path / "christiano-2017.txt"
    upload.write_bytes(content)
    ui.visit(browser, f"{live_server.url}/admin/concepts/source/{christiano.pk}/change/")
    ui.click_link(browser, "Upload a snapshot")
    browser.find_element(By.ID, "id_file").send_keys(str(upload))
    ui.save(browser, "_save")
    sha256 = hashlib.sha256(content).hexdigest()
    assert f"sha256 {sha256}, {len(content)} bytes" in ui.messages(browser)
    assert browser.find_element(By.CSS_SELECTOR, ".field-sha256 .readonly").text == sha256
    assert browser.find_element(By.CSS_SELECTOR, ".field-size_bytes .readonly").text == str(
        len(content)
    )
    assert SourceSnapshot.objects.get(source=christiano).sha256 == sha256
