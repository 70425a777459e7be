"""The preference pages' claims verify against their witnesses as content/ states them."""

import pytest
from django.core.management import call_command

from claims.models import Claim

pytestmark = pytest.mark.django_db

PREFERENCE_CLAIMS = {
    "claim:statistics/bradley-terry-model#mle-from-win-counts": "expected wins equal",
    "claim:alignment/dpo#tabular-optimum-is-rlhf-policy": "DPO's optimum equals",
    "claim:alignment/reward-hacking#gold-peaks-then-falls": "gold score peaks",
}


@pytest.fixture
def loaded(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_content", verbosity=0)


def test_each_preference_page_claim_runs_its_witnesses(loaded, reviewer_client):
    """Each claim's demo state, computed afresh, shows its kind's invariant, and its code
    witness runs to exit 0 printing labelled results; the outcome is 'passed' exactly when the
    code also declares the output it prints. The claim itself stays unreviewed."""
    for key, invariant in PREFERENCE_CLAIMS.items():
        claim = Claim.objects.get(key=key)
        response = reviewer_client.post(f"/api/v1/claims/{claim.pk}/verify/")
        assert response.status_code == 201, response.json()
        body = response.json()
        [demo] = body["demo_runs"]
        assert demo["recomputed"] and demo["invariant_holds"], (key, demo)
        assert invariant in body["invariant"]
        [code] = body["code_runs"]
        assert code["ran"] and code["exit_status"] == 0 and ":" in code["stdout"], (key, code)
        declared = code["expected_output_declared"]
        assert code["matched"] == declared
        assert body["outcome"] == ("passed" if declared else "failed")
        shown = reviewer_client.get(f"/api/v1/claims/{claim.pk}/").json()
        assert shown["badge"] == "unreviewed" and shown["reviews"] == []


def test_new_claims_are_unreviewed_and_the_page_says_what_that_means(loaded, anon_client):
    """The preference pages' claims carry no review, so each page shows the needs-review line."""
    for key in PREFERENCE_CLAIMS:
        claim = Claim.objects.get(key=key)
        assert not claim.reviews.exists()
        page = anon_client.get(f"/api/v1/concepts/{claim.concept.area}/{claim.concept.slug}/")
        summary = page.json()["claims"]["summary"]
        assert summary["unreviewed"] == 1 and summary["substantive_share_text"] == "0/1"
        assert summary["needs_review_line"] == (
            "Claims without a substantive review badge still need exact source-support review."
        )


def test_every_claim_in_content_verifies_as_passed(loaded, reviewer_client):
    """Each page's code witness prints exactly the output its file declares, and each demo
    state, computed afresh, shows its invariant: every claim of the notebook passes."""
    outcomes = {}
    for claim in Claim.objects.order_by("key"):
        body = reviewer_client.post(f"/api/v1/claims/{claim.pk}/verify/").json()
        outcomes[claim.key] = body["outcome"]
        assert all(code["matched"] for code in body["code_runs"]), (claim.key, body["code_runs"])
    assert len(outcomes) == 8
    assert set(outcomes.values()) == {"passed"}, outcomes
