import pytest
from django.core.management import call_command

from claims.models import ClaimReview, ClaimVerification
from concepts.models import ConceptObject
from demos.models import DemoRun
from demos.services import demo_run_execute

from .factories import ClaimWitnessFactory, ConceptObjectFactory, linked_claim, record_review

pytestmark = pytest.mark.django_db

PAGE_STATE = {
    "beta": 0.7,
    "shift": 10.0,
    "pi_ref": [0.35, 0.30, 0.20, 0.15],
    "pairs": [[0, 1], [0, 2], [2, 1], [3, 1], [0, 3]],
}


@pytest.fixture
def demo_claim():
    claim = linked_claim()
    demo = ConceptObjectFactory(
        concept=claim.concept,
        kind=ConceptObject.Kind.DEMO,
        anchor="kl-policy",
        demo_kind="kl-policy",
        params=PAGE_STATE,
    )
    ClaimWitnessFactory(claim=claim, concept_object=demo)
    return claim


def _run_witnesses(response):
    for run in response.json()["runs"]:
        demo_run_execute(run_id=run["id"])


def test_verify_runs_the_demo_witness_then_records_a_passed_outcome(demo_claim, reviewer_client):
    """The first POST queues the witness run; once it ran, a POST records 'passed' with the
    invariant, the result hash and the witness code version."""
    url = f"/api/v1/claims/{demo_claim.pk}/verify/"
    pending = reviewer_client.post(url)
    assert pending.status_code == 202
    assert pending.json()["runs"][0]["kind"] == "kl-policy"
    assert pending["Location"].endswith(f"/api/v1/demo-runs/{pending.json()['runs'][0]['id']}/")
    _run_witnesses(pending)
    done = reviewer_client.post(url)
    assert done.status_code == 201, done.json()
    body = done.json()
    assert body["outcome"] == "passed"
    assert "shift of every reward" in body["invariant"]
    assert len(body["result_hash"]) == 64 and body["witness_code_version"]
    assert body["stale"] is False
    shown = reviewer_client.get(f"/api/v1/claims/{demo_claim.pk}/").json()
    assert shown["latest_verification"]["id"] == body["id"]
    assert DemoRun.objects.count() == 1  # the second POST reused the run


def test_a_witness_result_breaking_its_invariant_records_failed(demo_claim, editor_client):
    """A run whose result does not show the invariant makes the verification 'failed'."""
    url = f"/api/v1/claims/{demo_claim.pk}/verify/"
    pending = editor_client.post(url)
    run = DemoRun.objects.get(pk=pending.json()["runs"][0]["id"])
    demo_run_execute(run_id=run.pk)
    run.refresh_from_db()
    broken = {**run.result, "shift_invariant": False, "shift_max_abs_diff": 0.25}
    DemoRun.objects.filter(pk=run.pk).update(result=broken)
    response = editor_client.post(url)
    assert response.status_code == 201
    assert response.json()["outcome"] == "failed"


def test_review_records_the_verification_its_reviewer_saw(demo_claim, reviewer, reviewer_client):
    """A review appended after a verification points at it, and the chain still verifies."""
    url = f"/api/v1/claims/{demo_claim.pk}/verify/"
    _run_witnesses(reviewer_client.post(url))
    verification_id = reviewer_client.post(url).json()["id"]
    review = record_review(demo_claim, reviewer)
    assert review.verification_seen_id == verification_id
    assert review.verification_seen_hash == ClaimVerification.objects.get().result_hash
    listed = reviewer_client.get(f"/api/v1/claims/{demo_claim.pk}/").json()["reviews"][0]
    assert listed["verification_seen"] == verification_id
    call_command("verify_reviews")


def test_review_naming_another_claims_verification_is_400(demo_claim, reviewer_client):
    """verification_seen must be one of this claim's verifications."""
    other = linked_claim()
    stranger = ClaimVerification.objects.create(
        claim=other,
        outcome="passed",
        invariant="x",
        result_hash="0" * 64,
        witness_code_version="w1",
        fingerprint=other.fingerprint,
    )
    response = reviewer_client.post(
        f"/api/v1/claims/{demo_claim.pk}/reviews/",
        {
            "verdict": "source_checked",
            "summary": "Checked.",
            "scope_covers": "Reviews only X.",
            "scope_excludes": "It does not certify Y.",
            "sources_checked": [link.source.key for link in demo_claim.claim_sources.all()],
            "verification_seen": stranger.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "verification_seen" in response.json()
    assert not ClaimReview.objects.filter(claim=demo_claim).exists()


def test_verifying_a_claim_without_a_demo_witness_is_400(reviewer_client):
    """Only a claim with a demo among its witnesses can be verified by running it."""
    claim = linked_claim()
    response = reviewer_client.post(f"/api/v1/claims/{claim.pk}/verify/")
    assert response.status_code == 400
    assert "witnesses" in response.json()


def test_only_editors_and_reviewers_verify(demo_claim, learner_client, anon_client):
    """Learners are refused with 403 and anonymous requests with 401; nothing runs."""
    url = f"/api/v1/claims/{demo_claim.pk}/verify/"
    assert learner_client.post(url).status_code == 403
    assert anon_client.post(url).status_code == 401
    assert not DemoRun.objects.exists()


def test_verification_goes_stale_when_the_claim_changes(demo_claim, reviewer_client):
    """Editing the claim after verification marks the verification stale, and verifying the
    changed claim appends a new verification (201)."""
    url = f"/api/v1/claims/{demo_claim.pk}/verify/"
    _run_witnesses(reviewer_client.post(url))
    reviewer_client.post(url)
    demo_claim.text = "A different claim text."
    demo_claim.save()
    shown = reviewer_client.get(f"/api/v1/claims/{demo_claim.pk}/").json()
    assert shown["latest_verification"]["stale"] is True
    assert reviewer_client.post(url).status_code == 201
    assert ClaimVerification.objects.count() == 2


def test_saving_a_stale_copy_of_a_claim_keeps_its_review_and_verification(
    demo_claim, reviewer, reviewer_client
):
    """An edit saved from a copy loaded before a review never erases the review's record."""
    stale_copy = type(demo_claim).objects.get(pk=demo_claim.pk)
    url = f"/api/v1/claims/{demo_claim.pk}/verify/"
    _run_witnesses(reviewer_client.post(url))
    reviewer_client.post(url)
    review = record_review(demo_claim, reviewer)
    stale_copy.support_note = "Edited from an old copy."
    stale_copy.save()
    stale_copy.refresh_from_db()
    assert stale_copy.latest_review_id == review.pk
    assert stale_copy.latest_verification_id is not None


def test_verifying_again_with_nothing_changed_adds_no_row(demo_claim, reviewer_client):
    """A repeated POST answers the latest verification (200) instead of appending a copy."""
    url = f"/api/v1/claims/{demo_claim.pk}/verify/"
    _run_witnesses(reviewer_client.post(url))
    first = reviewer_client.post(url)
    repeats = [reviewer_client.post(url) for _ in range(5)]
    assert first.status_code == 201
    assert {answer.status_code for answer in repeats} == {200}
    assert {answer.json()["id"] for answer in repeats} == {first.json()["id"]}
    assert ClaimVerification.objects.count() == 1


def test_verify_is_throttled_per_user(demo_claim, reviewer_client, monkeypatch):
    """POSTs beyond the claim-verifications rate are refused with 429."""
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "claim-verifications", "3/min")
    cache.clear()
    url = f"/api/v1/claims/{demo_claim.pk}/verify/"
    statuses = [reviewer_client.post(url).status_code for _ in range(4)]
    assert statuses[:3] == [202, 202, 202] and statuses[3] == 429


FOUNDATION_CLAIMS = {
    "claim:statistics/maximum-likelihood#bernoulli-mle-and-information": "p̂ = k/n",
    "claim:information-theory/kl-divergence#gibbs-and-asymmetry": "Pinsker",
    "claim:reinforcement-learning/policy-gradient#reinforce-baseline-unbiased": "b*",
    "claim:reinforcement-learning/ppo#clipped-surrogate-lower-bound": "L^CLIP ≤ L^CPI",
}


def test_the_foundation_pages_claims_verify_against_their_demos(reviewer_client):
    """Each claim content/ ships for the pages RLHF builds on runs its demo in its stored state
    and records a passed verification naming the invariant checked; it stays unreviewed."""
    from claims.models import Claim
    from claims.selectors import claim_badge

    call_command("load_content", verbosity=0)
    for key, words in FOUNDATION_CLAIMS.items():
        claim = Claim.objects.get(key=key)
        url = f"/api/v1/claims/{claim.pk}/verify/"
        pending = reviewer_client.post(url)
        assert pending.status_code == 202, (key, pending.json())
        _run_witnesses(pending)
        done = reviewer_client.post(url)
        assert done.status_code == 201, (key, done.json())
        assert done.json()["outcome"] == "passed" and words in done.json()["invariant"]
        claim.refresh_from_db()
        assert claim_badge(claim=claim) == "unreviewed"
