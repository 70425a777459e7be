import datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.fingerprints import claim_fingerprint_refresh
from claims.models import Claim, ClaimReview
from concepts.models import ConceptRevision
from concepts.revisions import revision_scope
from demos.models import DemoRun

from .factories import ClaimFactory, linked_claim, record_review, source_keys, witness_keys

pytestmark = pytest.mark.django_db

QUEUE = "/admin/claims/claim/review-queue/"


def review_url(claim) -> str:
    return f"/admin/claims/claim/{claim.pk}/review/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def review_data(claim, **overrides) -> dict:
    claim.refresh_from_db()
    data = {
        "verdict": "substantively_reviewed",
        "reviewer_label": "",
        "reviewed_on": "",
        "summary": "Both sources support the mechanism.",
        "scope_covers": "Reviews only preference-modeling mechanics.",
        "scope_excludes": "reward as true human objective.",
        "sources_checked": source_keys(claim),
        "witnesses_checked": witness_keys(claim),
        "fingerprint": claim.fingerprint,
    }
    data.update(overrides)
    return data


def queue_keys(response) -> list[str]:
    return [row["claim"].key for row in response.context["queue_rows"]]


def make_stale(claim, reviewer, text="Changed after its review."):
    record_review(claim, reviewer)
    claim.refresh_from_db()
    claim.text = text
    claim.save()
    claim.refresh_from_db()
    return claim


def test_the_review_page_shows_the_text_diff_sources_and_witnesses(reviewer):
    """A stale claim's review page diffs its text against what the latest review saw and lists
    each source with its locator and snapshot, and each witness's body."""
    claim = linked_claim(text="Preferences train a reward model.")
    make_stale(claim, reviewer, text="Preferences train a reward model; KL keeps it close.")
    response = logged_in(reviewer).get(review_url(claim))
    assert response.status_code == 200
    [change] = response.context["changes"]
    assert change.input == "text"
    assert "-Preferences train a reward model." in change.diff
    assert "+Preferences train a reward model; KL keeps it close." in change.diff
    page = response.content.decode()
    for link in claim.claim_sources.select_related("source"):
        assert link.source.key in page and link.locator in page
        assert link.source.snapshots.first().sha256[:12] in page
    for link in claim.claim_witnesses.select_related("concept_object__concept"):
        assert link.concept_object.key in page
    assert "Reviews only" in page and "It does not certify" in page


def test_a_changed_locator_is_diffed_with_both_snapshots(reviewer):
    """A source's changed locator shows as a diff of the locator."""
    claim = linked_claim(sources=1, witnesses=0)
    record_review(claim, reviewer)
    link = claim.claim_sources.get()
    link.locator = "§ 9.9"
    link.save()
    claim_fingerprint_refresh(claim_ids=[claim.pk])
    response = logged_in(reviewer).get(review_url(claim))
    [change] = response.context["changes"]
    assert change.input == "source"
    assert "+§ 9.9" in change.diff
    assert [item["label"] for item in change.snapshots] == ["review #1", "now"]


def test_saving_a_review_records_it_and_opens_the_next_claim_in_the_queue(reviewer):
    """The review goes through the service, and the reviewer lands on the next claim in the
    same filtered queue, oldest first."""
    first, second, third = linked_claim(), linked_claim(), linked_claim()
    client = logged_in(reviewer)
    response = client.post(f"{review_url(first)}?reason=unreviewed", review_data(first))
    assert response.status_code == 302
    assert response["Location"] == f"{review_url(second)}?reason=unreviewed"
    review = ClaimReview.objects.get(claim=first)
    assert review.reviewer == reviewer and review.sources_checked == source_keys(first)
    response = client.post(f"{review_url(second)}?reason=unreviewed", review_data(second))
    assert response["Location"] == f"{review_url(third)}?reason=unreviewed"
    response = client.post(review_url(third), review_data(third))
    assert response["Location"] == QUEUE
    assert ClaimReview.objects.count() == 3


def test_bad_input_comes_back_per_field_and_records_nothing(claim, reviewer):
    """A blank scope and a forged label are field errors; nothing is recorded."""
    response = logged_in(reviewer).post(
        review_url(claim), review_data(claim, scope_excludes="", reviewer_label="edith")
    )
    assert response.status_code == 200
    assert {"scope_excludes", "reviewer_label"} <= set(response.context["form"].errors)
    assert not ClaimReview.objects.exists()


def test_a_claim_changed_since_the_page_was_read_is_not_certified(claim, reviewer):
    """The page's fingerprint travels with the post: a claim edited meanwhile is refused."""
    data = review_data(claim)
    claim.text = "Edited while the reviewer read."
    claim.save()
    response = logged_in(reviewer).post(review_url(claim), data)
    assert response.status_code == 200
    assert "changed since this fingerprint was read" in str(response.context["form"].errors)
    assert not ClaimReview.objects.exists()


def test_only_reviewers_open_the_review_page(claim, editor, learner):
    """An editor gets 403; a learner and anonymous users are sent to the login."""
    assert logged_in(editor).get(review_url(claim)).status_code == 403
    assert logged_in(editor).post(review_url(claim), review_data(claim)).status_code == 403
    for client in (Client(), logged_in(learner)):
        assert client.get(review_url(claim))["Location"].startswith("/admin/login/")
    assert not ClaimReview.objects.exists()


def test_the_queue_filters_by_reason_concept_and_age(reviewer):
    """Reason, concept and waiting time each narrow the queue, which stays oldest first; a
    stale row says which input changed."""
    stale = make_stale(linked_claim(), reviewer)
    unreviewed = linked_claim()
    disputed = linked_claim()
    record_review(disputed, reviewer, verdict="disputed")
    old = linked_claim()
    Claim.objects.filter(pk=old.pk).update(
        waiting_since=timezone.now() - datetime.timedelta(days=8)
    )
    client = logged_in(reviewer)
    assert queue_keys(client.get(QUEUE)) == [old.key, stale.key, unreviewed.key]
    response = client.get(QUEUE, {"reason": "stale"})
    assert queue_keys(response) == [stale.key]
    assert "The claim&#x27;s text changed." in response.content.decode()
    assert queue_keys(client.get(QUEUE, {"reason": "unreviewed"})) == [old.key, unreviewed.key]
    assert queue_keys(client.get(QUEUE, {"reason": "disputed"})) == [disputed.key]
    assert queue_keys(client.get(QUEUE, {"waited": "7"})) == [old.key]
    assert queue_keys(client.get(QUEUE, {"waited": "30"})) == []
    assert queue_keys(client.get(QUEUE, {"concept": unreviewed.concept_id})) == [unreviewed.key]
    assert queue_keys(client.get(QUEUE, {"reason": "nonsense"})) == [
        old.key,
        stale.key,
        unreviewed.key,
    ]


@pytest.mark.parametrize("size", [3, 30])
def test_the_filtered_queue_reads_a_constant_number_of_queries(
    reviewer, size, django_assert_max_num_queries
):
    """However many claims wait, stale ones among them, the filtered page costs the same."""
    for index in range(size):
        claim = linked_claim(sources=1, witnesses=1)
        if index % 3 == 0:
            make_stale(claim, reviewer)
    client = logged_in(reviewer)
    with django_assert_max_num_queries(12):
        response = client.get(QUEUE, {"waited": "", "reason": ""})
    assert len(response.context["queue_rows"]) == size
    with django_assert_max_num_queries(12):
        client.get(QUEUE, {"reason": "stale"})


def test_the_review_page_reads_a_constant_number_of_queries(
    reviewer, django_assert_max_num_queries
):
    """A claim with many sources and witnesses (a demo among them) costs the page no more
    queries than one with few."""
    small, large = linked_claim(sources=1, witnesses=3), linked_claim(sources=6, witnesses=9)
    make_stale(small, reviewer)
    make_stale(large, reviewer)
    client = logged_in(reviewer)
    counts = []
    for claim in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(review_url(claim)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_claim_form_picks_concepts_sources_and_witnesses_by_autocomplete(claim, editor):
    """The claim's concept, its sources and its witnesses are autocomplete fields, not
    drop-downs listing every row."""
    page = logged_in(editor).get(f"/admin/claims/claim/{claim.pk}/change/").content.decode()
    for name in ("concept", "claim_sources-0-source", "claim_witnesses-0-concept_object"):
        assert f'name="{name}"' in page
    assert page.count("admin-autocomplete") >= 3
    ClaimFactory.create_batch(30)  # thirty more concepts: none of them becomes an <option>
    page = logged_in(editor).get(f"/admin/claims/claim/{claim.pk}/change/").content.decode()
    assert page.count("<option") < 30


def test_the_concept_autocomplete_leaks_no_unpublished_concept(editor, django_user_model):
    """A staff user who may view concepts but not unpublished ones finds only published ones;
    an editor finds both."""
    ClaimFactory(concept__slug="published-one", concept__title="Reward published")
    ClaimFactory(concept__slug="draft-one", concept__title="Reward draft", concept__status="draft")
    viewer = django_user_model.objects.create_user(username="vic", is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_concept", "view_claim", "change_claim"])
    )
    url = "/admin/autocomplete/"
    query = {
        "term": "Reward",
        "app_label": "claims",
        "model_name": "claim",
        "field_name": "concept",
    }
    found = [row["text"] for row in logged_in(viewer).get(url, query).json()["results"]]
    assert found == ["Reward published"]
    found = [row["text"] for row in logged_in(editor).get(url, query).json()["results"]]
    assert sorted(found) == ["Reward draft", "Reward published"]


def test_witnesses_are_shown_whole_a_demo_with_its_latest_run(reviewer):
    """A code witness is shown as code, a demo with its parameters and its latest finished
    run's result."""
    claim = linked_claim(sources=1, witnesses=3)
    demo = claim.claim_witnesses.get(concept_object__kind="demo").concept_object
    demo.demo_kind = "kl-policy"
    demo.save()
    for hours, value in ((2, 0.25), (1, 0.5)):
        DemoRun.objects.create(
            kind=demo.demo_kind,
            params={"beta": value},
            params_hash=f"hash-{value}",
            code_version="1",
            status=DemoRun.Status.SUCCEEDED,
            progress=1.0,
            result={"kl": value},
            finished_at=timezone.now() - datetime.timedelta(hours=hours),
        )
    response = logged_in(reviewer).get(review_url(claim))
    [item] = [w for w in response.context["evidence"]["witnesses"] if w["object"] == demo]
    assert item["run"].result == {"kl": 0.5}
    page = response.content.decode()
    assert "{&#x27;kl&#x27;: 0.5}" in page
    code = claim.claim_witnesses.get(concept_object__kind="code").concept_object
    [code_item] = [w for w in response.context["evidence"]["witnesses"] if w["object"] == code]
    assert code_item["html"].startswith("<pre><code") and code_item["html"] in page


def test_a_changed_witness_is_diffed_between_the_revisions(reviewer):
    """A witness edited since the review shows the lines of its content that changed, between
    the concept revision the review saw and the current one."""
    with revision_scope(door=ConceptRevision.Door.COMMAND, reason="the page as reviewed"):
        claim = linked_claim(sources=1, witnesses=1)
    record_review(claim, reviewer)
    witness = claim.claim_witnesses.get().concept_object
    with revision_scope(door=ConceptRevision.Door.COMMAND, reason="the witness edited"):
        witness.body = r"\Delta = r(x,y_w) - r(x,y_\ell)"
        witness.save()
    claim.refresh_from_db()
    assert claim.badge == "stale"
    response = logged_in(reviewer).get(review_url(claim))
    [change] = response.context["changes"]
    assert (change.input, change.key) == ("witness", witness.key)
    assert r"+body: \Delta = r(x,y_w) - r(x,y_\ell)" in change.diff
    assert r"-body: \Delta = r_\phi(x,y_w)-r_\phi(x,y_\ell)." in change.diff


def test_the_claim_and_its_equation_witness_are_rendered_as_learners_see_them(reviewer):
    """The review page shows the claim's Markdown and math and an equation witness as MathML,
    sanitized: a script in the claim's text never reaches the reviewer's browser."""
    claim = linked_claim(
        sources=1, witnesses=1, text="The gap $r_w - r_l$ is **all** that counts.<script>x</script>"
    )
    response = logged_in(reviewer).get(review_url(claim))
    page = response.content.decode()
    body = page.split('<div class="claim-body">', 1)[1].split("</div>", 1)[0]
    assert "<math" in body and "<strong>all</strong>" in body
    assert "<script>x" not in page
    [item] = response.context["evidence"]["witnesses"]
    assert item["object"].kind == "equation"
    assert '<div class="equation"><math' in item["html"]
