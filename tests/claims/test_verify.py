import pytest
import yaml
from django.conf import settings as django_settings
from django.core.management import call_command

from claims.models import Claim, ClaimReview, ClaimVerification
from concepts.models import ConceptObject
from concepts.revisions import revision_scope
from demos.models import DemoRun
from demos.services import demo_run_execute, demo_run_request

from .factories import ClaimWitnessFactory, ConceptObjectFactory, linked_claim, record_review

pytestmark = pytest.mark.django_db

RLHF_OBJECTS = django_settings.BASE_DIR / "content/concepts/alignment/rlhf/objects.yaml"

PAGE_STATE = {
    "beta": 0.7,
    "shift": 10.0,
    "pi_ref": [0.35, 0.30, 0.20, 0.15],
    "pairs": [[0, 1], [0, 2], [2, 1], [3, 1], [0, 3]],
}


@pytest.fixture
def demo_claim():
    """A claim whose one runnable witness is the page's demo state (its other is an equation)."""
    claim = linked_claim(witnesses=1)
    demo = ConceptObjectFactory(
        concept=claim.concept,
        kind=ConceptObject.Kind.DEMO,
        anchor="kl-policy",
        demo_kind="kl-policy",
        params=PAGE_STATE,
    )
    ClaimWitnessFactory(claim=claim, concept_object=demo)
    return claim


def _code_claim(body: str, expected_output: str) -> Claim:
    """A claim resting on one Python code witness."""
    claim = linked_claim(witnesses=1)
    code = ConceptObjectFactory(
        concept=claim.concept,
        code=True,
        anchor="printout",
        body=body,
        expected_output=expected_output,
    )
    ClaimWitnessFactory(claim=claim, concept_object=code)
    return claim


def _verify(client, claim):
    return client.post(f"/api/v1/claims/{claim.pk}/verify/")


def test_verify_computes_the_demo_witness_afresh_and_records_passed(demo_claim, reviewer_client):
    """The demo state is computed here and now, not queued or read from a cache: one POST
    records 'passed' with the invariant, and the record says it was recomputed."""
    done = _verify(reviewer_client, demo_claim)
    assert done.status_code == 201, done.json()
    body = done.json()
    assert body["outcome"] == "passed"
    assert "shift of every reward" in body["invariant"]
    assert len(body["result_hash"]) == 64 and body["witness_code_version"]
    assert body["stale"] is False
    [demo] = body["demo_runs"]
    assert (demo["kind"], demo["recomputed"], demo["invariant_holds"]) == ("kl-policy", True, True)
    assert demo["matched_cache"] is None and demo["cached_run"] is None
    assert body["code_runs"] == []
    shown = reviewer_client.get(f"/api/v1/claims/{demo_claim.pk}/").json()
    assert shown["latest_verification"]["id"] == body["id"]
    assert not DemoRun.objects.exists()


def test_a_cached_run_is_compared_with_never_trusted(demo_claim, editor, editor_client):
    """With a cached run of the state, the fresh result is compared with it; a cached result
    altered since does not decide the outcome, and the record says it no longer matches."""
    run, _ = demo_run_request(kind="kl-policy", params=PAGE_STATE, user=editor)
    demo_run_execute(run_id=run.pk)
    first = _verify(editor_client, demo_claim).json()
    assert first["demo_runs"][0]["matched_cache"] is True
    assert first["demo_runs"][0]["cached_run"] == str(run.pk)
    run.refresh_from_db()
    DemoRun.objects.filter(pk=run.pk).update(result={**run.result, "shift_invariant": False})
    second = _verify(editor_client, demo_claim)
    assert second.status_code == 201
    assert second.json()["outcome"] == "passed"
    assert second.json()["demo_runs"][0]["matched_cache"] is False


def test_a_demo_result_breaking_its_invariant_records_failed(
    demo_claim, editor_client, monkeypatch
):
    """A fresh result that does not show the invariant makes the verification 'failed'."""
    from demos import services

    real = services.demo_compute

    def broken(kind, params, progress):
        return {**real(kind, params, progress), "shift_invariant": False}

    monkeypatch.setattr(services, "demo_compute", broken)
    response = _verify(editor_client, demo_claim)
    assert response.status_code == 201
    assert response.json()["outcome"] == "failed"
    assert response.json()["demo_runs"][0]["invariant_holds"] is False


def test_the_rlhf_claim_verifies_with_its_code_printing_its_expected_output(
    reviewer_client, settings, tmp_path
):
    """The page's claim: its code witness runs and prints exactly its expected output (the
    four lines the page's code prints), and its demo state shows the invariant."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_content", verbosity=0)
    claim = Claim.objects.get(key="claim:alignment/rlhf#preference-rm-kl")
    body = _verify(reviewer_client, claim).json()
    assert body["outcome"] == "passed", body
    [code] = body["code_runs"]
    expected = ConceptObject.objects.get(kind="code", concept__slug="rlhf").expected_output
    assert code["key"] == "code:alignment/rlhf#reward-model-and-policy"
    assert (code["exit_status"], code["matched"], code["stdout"]) == (0, True, expected)
    assert expected.splitlines()[3] == "KL(pi* || pi_ref):             0.9427"
    assert body["demo_runs"][0]["recomputed"] is True
    assert body["limits"]["memory_bytes"] == settings.CODE_WITNESS_MEMORY_BYTES


def test_a_code_witness_printing_its_expected_output_passes(reviewer_client):
    """The page's code, with the printout recorded in objects.yaml, passes."""
    [code] = [
        entry for entry in yaml.safe_load(RLHF_OBJECTS.read_text()) if entry["kind"] == "code"
    ]
    claim = _code_claim(code["body"], code["expected_output"])
    response = _verify(reviewer_client, claim)
    assert response.status_code == 201
    assert response.json()["outcome"] == "passed"
    assert response.json()["code_runs"][0]["duration_seconds"] > 0


def test_a_changed_expected_output_fails_with_the_diff(reviewer_client):
    """One digit off in the expected output: 'failed', and the record shows the line."""
    claim = _code_claim("print('KL:', 0.9427)\n", "KL: 0.9428\n")
    body = _verify(reviewer_client, claim).json()
    assert body["outcome"] == "failed"
    [code] = body["code_runs"]
    assert (code["exit_status"], code["matched"], code["stdout"]) == (0, False, "KL: 0.9427\n")
    assert "-KL: 0.9428\n+KL: 0.9427" in code["diff"]


def test_a_code_witness_without_an_expected_output_runs_but_cannot_pass(reviewer_client):
    """Nothing declared to compare with: the run's stdout is recorded, the outcome 'failed'."""
    claim = _code_claim("print(2 + 2)\n", "")
    body = _verify(reviewer_client, claim).json()
    assert body["outcome"] == "failed"
    assert body["code_runs"][0]["stdout"] == "4\n"
    assert body["code_runs"][0]["reason"] == "declares no expected output to compare with"


def test_a_code_witness_stopped_by_a_limit_fails_naming_it(reviewer_client, settings):
    """An endless loop is killed at the wall-clock limit; the verification says so."""
    settings.CODE_WITNESS_WALL_SECONDS = 0.5
    claim = _code_claim("while True:\n    pass\n", "done\n")
    body = _verify(reviewer_client, claim).json()
    assert body["outcome"] == "failed"
    assert (body["code_runs"][0]["limit"], body["code_runs"][0]["signal"]) == ("time", "SIGKILL")


def test_editing_the_expected_output_fails_the_next_verification_not_the_review(
    reviewer, reviewer_client
):
    """A review covers the code a reviewer read; the printout is checked by running the code.
    Editing the expected output therefore leaves the review current, and the next
    verification runs against the new printout and fails with the diff."""
    claim = _code_claim("print(1)\n", "1\n")
    verification_id = _verify(reviewer_client, claim).json()["id"]
    record_review(claim, reviewer)
    code = ConceptObject.objects.get(anchor="printout")
    with revision_scope(door="command", reason="Record a new printout"):
        code.expected_output = "2\n"
        code.save()
    shown = reviewer_client.get(f"/api/v1/claims/{claim.pk}/").json()
    assert shown["badge"] == "substantively_reviewed" and shown["stale_reasons"] == []
    again = _verify(reviewer_client, claim).json()
    assert again["id"] != verification_id and again["outcome"] == "failed"
    assert "-2" in again["code_runs"][0]["diff"] and "+1" in again["code_runs"][0]["diff"]


def test_review_records_the_verification_its_reviewer_saw(demo_claim, reviewer, reviewer_client):
    """A review appended after a verification points at it, and the chain still verifies."""
    verification_id = _verify(reviewer_client, demo_claim).json()["id"]
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
    assert "verification_seen" in response.json()["errors"]
    assert not ClaimReview.objects.filter(claim=demo_claim).exists()


def test_verifying_a_claim_without_code_or_demo_witnesses_is_400(reviewer_client):
    """Only a claim with code or a demo among its witnesses can be verified by running them."""
    claim = linked_claim(witnesses=1)
    response = reviewer_client.post(f"/api/v1/claims/{claim.pk}/verify/")
    assert response.status_code == 400
    assert "witnesses" in response.json()["errors"]


def test_only_editors_and_reviewers_verify(demo_claim, learner_client, anon_client):
    """Learners are refused with 403 and anonymous requests with 401; nothing is recorded."""
    assert _verify(learner_client, demo_claim).status_code == 403
    assert _verify(anon_client, demo_claim).status_code == 401
    assert not ClaimVerification.objects.exists()


def test_verification_goes_stale_when_the_claim_changes(demo_claim, reviewer_client):
    """Editing the claim after verification marks the verification stale, and verifying the
    changed claim appends a new verification (201)."""
    _verify(reviewer_client, demo_claim)
    demo_claim.text = "A different claim text."
    demo_claim.save()
    shown = reviewer_client.get(f"/api/v1/claims/{demo_claim.pk}/").json()
    assert shown["latest_verification"]["stale"] is True
    assert _verify(reviewer_client, demo_claim).status_code == 201
    assert ClaimVerification.objects.count() == 2


def test_saving_a_stale_copy_of_a_claim_keeps_its_review_and_verification(
    demo_claim, reviewer, reviewer_client
):
    """An edit saved from a copy loaded before a review never erases the review's record."""
    stale_copy = type(demo_claim).objects.get(pk=demo_claim.pk)
    _verify(reviewer_client, demo_claim)
    review = record_review(demo_claim, reviewer)
    stale_copy.support_note = "Edited from an old copy."
    stale_copy.save()
    stale_copy.refresh_from_db()
    assert stale_copy.latest_review_id == review.pk
    assert stale_copy.latest_verification_id is not None


def test_verifying_again_with_nothing_changed_adds_no_row(demo_claim, reviewer_client):
    """A repeated POST answers the latest verification (200) instead of appending a copy."""
    first = _verify(reviewer_client, demo_claim)
    repeats = [_verify(reviewer_client, demo_claim) for _ in range(5)]
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
    statuses = [_verify(reviewer_client, demo_claim).status_code for _ in range(4)]
    assert statuses == [201, 200, 200, 429]


FOUNDATION_CLAIMS = {
    "claim:statistics/maximum-likelihood#bernoulli-mle-and-information": "p̂ = k/n",
    "claim:information-theory/kl-divergence#gibbs-and-asymmetry": "Pinsker",
    "claim:reinforcement-learning/policy-gradient#reinforce-baseline-unbiased": "b*",
    "claim:reinforcement-learning/ppo#clipped-surrogate-lower-bound": "L^CLIP ≤ L^CPI",
}


def test_the_foundation_pages_claims_verify_against_their_witnesses(reviewer_client):
    """Each claim content/ ships for the pages RLHF builds on: its demo state shows its invariant
    and its code witness runs clean; once the code declares what it printed, the claim verifies
    as passed, run after run, and stays unreviewed."""
    from claims.selectors import claim_badge

    call_command("load_content", verbosity=0)
    for key, words in FOUNDATION_CLAIMS.items():
        claim = Claim.objects.get(key=key)
        first = _verify(reviewer_client, claim)
        assert first.status_code in (200, 201), (key, first.json())
        [demo] = first.json()["demo_runs"]
        assert demo["recomputed"] and demo["invariant_holds"], (key, demo)
        assert words in first.json()["invariant"]
        [code] = first.json()["code_runs"]
        assert code["ran"] and code["exit_status"] == 0, (key, code)
        witness = ConceptObject.objects.get(kind=ConceptObject.Kind.CODE, concept=claim.concept)
        with revision_scope(door="command", reason="declare the printout"):
            witness.expected_output = code["stdout"]
            witness.save()
        again = _verify(reviewer_client, Claim.objects.get(pk=claim.pk))
        assert again.json()["outcome"] == "passed", (key, again.json())
        assert claim_badge(claim=Claim.objects.get(pk=claim.pk)) == "unreviewed"
