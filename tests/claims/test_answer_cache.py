"""Cached claim reads: the list, a badge filter, the review queue, a claim and its ClaimReview
show each kind of write on the next read, and no audience is served another's answer."""

import pytest
from django.test import Client

from claims.models import Claim
from claims.selectors import claim_list
from concepts.models import Concept
from tests.concepts.factories import ConceptFactory

from .factories import linked_claim, record_review
from .test_admin import change_url, form_data
from .test_api import LIST, QUEUE, detail
from .test_content import load, tree  # noqa: F401 - `tree` is a fixture used below

pytestmark = pytest.mark.django_db


def jsonld(claim) -> str:
    return f"/api/v1/claims/{claim.pk}/claim-review.jsonld"


def keys(response) -> list[str]:
    return [item["key"] for item in response.json()["results"]]


def test_a_review_through_the_service_shows_on_every_claim_read(anon_client, reviewer):
    claim = linked_claim()
    assert claim.key in keys(anon_client.get(QUEUE))
    assert keys(anon_client.get(LIST, {"badge": "substantively_reviewed"})) == []
    assert anon_client.get(detail(claim)).json()["reviews"] == []
    assert anon_client.get(jsonld(claim)).status_code == 404
    assert anon_client.get(detail(claim))["ETag"]  # cached, and must be invalidated

    record_review(claim, reviewer)

    assert claim.key not in keys(anon_client.get(QUEUE))
    assert keys(anon_client.get(LIST, {"badge": "substantively_reviewed"})) == [claim.key]
    assert len(anon_client.get(detail(claim)).json()["reviews"]) == 1
    assert anon_client.get(jsonld(claim)).status_code == 200


def test_a_witness_edit_makes_the_cached_badge_stale(anon_client, reviewer):
    claim = linked_claim()
    record_review(claim, reviewer)
    assert anon_client.get(detail(claim)).json()["badge"] == "substantively_reviewed"
    witness = claim.claim_witnesses.first().concept_object
    witness.body = witness.body + " Edited."
    witness.save()
    assert anon_client.get(detail(claim)).json()["badge"] == "stale"
    assert claim.key in keys(anon_client.get(QUEUE))


def test_an_admin_edit_of_the_claim_text_shows_on_the_next_read(anon_client, editor):
    claim = linked_claim()
    assert anon_client.get(detail(claim)).json()["text"] != "Edited in the admin."
    admin = Client()
    admin.force_login(editor)
    data = form_data(admin.get(change_url(claim)))
    data["text"] = "Edited in the admin."
    assert admin.post(change_url(claim), data).status_code == 302
    assert anon_client.get(detail(claim)).json()["text"] == "Edited in the admin."
    assert "Edited in the admin." in [
        item["text"] for item in anon_client.get(LIST).json()["results"]
    ]


def test_a_loaded_file_shows_on_the_next_read(anon_client, tree):  # noqa: F811 - the fixture
    root, document, write = tree
    load(root)
    claim = claim_list(user=None).get()
    assert anon_client.get(detail(claim)).json()["badge"] == "substantively_reviewed"
    document["claims"][0]["text"] = "Preferences train a reward model, then a policy."
    write(document)
    load(root)
    answer = anon_client.get(detail(claim)).json()
    assert answer["text"].endswith("then a policy.")
    assert answer["badge"] == "stale"


def test_publishing_a_concept_shows_its_claims(anon_client):
    draft = ConceptFactory(status=Concept.Status.DRAFT)
    claim = linked_claim(concept=draft)
    assert claim.key not in keys(anon_client.get(LIST))
    Concept.objects.filter(pk=draft.pk).update(status=Concept.Status.PUBLISHED)
    assert claim.key in keys(anon_client.get(LIST))


@pytest.mark.parametrize("reviewer_first", [True, False], ids=["reviewer-first", "learner-first"])
@pytest.mark.parametrize("url", [LIST, QUEUE])
def test_no_audience_gets_an_answer_cached_for_another(
    reviewer_client, learner_client, reviewer_first, url
):
    """A draft concept's claim is in the reviewer's list and queue, never in the learner's."""
    hidden = linked_claim(concept=ConceptFactory(status=Concept.Status.DRAFT))
    shown = linked_claim()
    readers = [reviewer_client, learner_client]
    if not reviewer_first:
        readers.reverse()
    answers = {id(client): [client.get(url) for _ in range(2)] for client in readers}
    for response in answers[id(reviewer_client)]:
        assert {hidden.key, shown.key} <= set(keys(response))
    for response in answers[id(learner_client)]:
        assert hidden.key not in keys(response)
        assert shown.key in keys(response)
    hidden_detail = detail(hidden)
    assert reviewer_client.get(hidden_detail).status_code == 200
    assert learner_client.get(hidden_detail).status_code == 404


def test_query_strings_are_separate_answers(anon_client, reviewer):
    first, second = linked_claim(), linked_claim()
    record_review(first, reviewer)
    reviewed = keys(anon_client.get(LIST, {"badge": "substantively_reviewed"}))
    unreviewed = keys(anon_client.get(LIST, {"badge": "unreviewed"}))
    assert reviewed == [first.key]
    assert unreviewed == [second.key]
    assert Claim.objects.count() == 2
