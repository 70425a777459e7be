"""The content's own claims verify by running their demo witnesses in their stored states."""

import pytest
from django.core.cache import cache
from django.core.management import call_command

from claims.models import Claim
from demos.services import demo_run_execute

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
    cache.clear()


def test_each_preference_page_claim_verifies_by_its_demo(loaded, reviewer_client):
    """Each claim's demo runs on its page's parameters and the verification records 'passed'
    with the kind's invariant; the claim itself stays unreviewed."""
    for key, invariant in PREFERENCE_CLAIMS.items():
        claim = Claim.objects.get(key=key)
        url = f"/api/v1/claims/{claim.pk}/verify/"
        pending = reviewer_client.post(url)
        assert pending.status_code == 202, pending.json()
        for run in pending.json()["runs"]:
            demo_run_execute(run_id=run["id"])
        done = reviewer_client.post(url)
        assert done.status_code == 201, done.json()
        assert done.json()["outcome"] == "passed", (key, done.json())
        assert invariant in done.json()["invariant"]
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
