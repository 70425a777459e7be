"""A second learner tries every route against the first learner's data."""

import json

import pytest

from research_room import services
from research_room.models import PracticePrediction, PracticeProgress, ResearchDraft

pytestmark = pytest.mark.django_db

DRAFTS = "/api/v1/research-room/drafts/"
PRACTICE = "/api/v1/research-room/practice/alignment/rlhf/"
SECRET = "zebra-quokka"


@pytest.fixture
def alices_draft(learner, rlhf):
    return services.draft_create(
        owner=learner,
        anchor="equation:alignment/rlhf#reward-gap",
        question=f"Alice's private question {SECRET}",
        note=f"Alice's note {SECRET}",
    )


def _snapshot(draft: ResearchDraft) -> tuple:
    draft.refresh_from_db()
    return (draft.question, draft.note, draft.status, draft.anchor_key, draft.updated_at)


def test_every_draft_route_is_404_for_another_learner(other_learner_client, alices_draft, rlhf):
    """GET, PUT, PATCH, DELETE and handoff on Alice's draft all answer 404 to Bob."""
    before = _snapshot(alices_draft)
    url = f"{DRAFTS}{alices_draft.id}/"
    change = {"anchor": "concept:alignment/rlhf", "question": "Bob was here"}
    responses = {
        "get": other_learner_client.get(url),
        "put": other_learner_client.put(url, change, format="json"),
        "patch": other_learner_client.patch(url, {"note": "Bob was here"}, format="json"),
        "delete": other_learner_client.delete(url),
        "handoff": other_learner_client.get(f"{url}handoff/"),
    }
    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 404)
    for response in responses.values():
        assert SECRET not in response.content.decode()
    assert _snapshot(alices_draft) == before


def test_a_404_for_someone_elses_draft_matches_a_missing_one(other_learner_client, alices_draft):
    """Bob cannot tell Alice's draft id from an id that does not exist."""
    theirs = other_learner_client.get(f"{DRAFTS}{alices_draft.id}/")
    missing = other_learner_client.get(f"{DRAFTS}00000000-0000-0000-0000-000000000000/")
    assert theirs.status_code == missing.status_code == 404
    theirs_body, missing_body = theirs.json(), missing.json()
    # Each problem names its own request's path; everything else is the same.
    assert theirs_body.pop("instance") == f"{DRAFTS}{alices_draft.id}/"
    missing_body.pop("instance")
    assert theirs_body == missing_body


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "open"},
        {"anchor": "equation:alignment/rlhf#reward-gap"},
        {"anchor_kind": "equation"},
        {"concept": "concept:alignment/rlhf"},
        {"search": SECRET},
        {"search": "Alice"},
    ],
)
def test_lists_filters_and_searches_never_show_another_learners_drafts(
    other_learner, other_learner_client, alices_draft, params
):
    """Every list, filter and search Bob runs is scoped to Bob's drafts first."""
    services.draft_create(owner=other_learner, anchor="concept:alignment/rlhf", question="Bob's?")
    response = other_learner_client.get(DRAFTS, params)
    assert response.status_code == 200
    assert SECRET not in response.content.decode()
    assert all(item["question"] == "Bob's?" for item in response.json()["results"])


@pytest.mark.parametrize("params", [{}, {"search": SECRET}, {"anchor_kind": "equation"}])
def test_exports_never_include_another_learners_drafts(other_learner_client, alices_draft, params):
    """Bob's export, filtered or not, holds none of Alice's drafts."""
    response = other_learner_client.get(f"{DRAFTS}export/", params)
    assert response.status_code == 200
    document = json.loads(response.content)
    # The collection's own address repeats Bob's filter; nothing else may hold the secret.
    assert SECRET not in response.content.decode().replace(document["id"], "")
    assert document["total"] == 0


def test_importing_alices_export_gives_bob_copies_not_access(
    learner_client, other_learner, other_learner_client, alices_draft
):
    """Bob importing Alice's annotations gets his own drafts; hers are untouched."""
    document = json.loads(learner_client.get(f"{DRAFTS}export/").content)
    document["first"]["items"][0]["body"][0]["value"] = "Bob rewrote it"
    before = _snapshot(alices_draft)
    response = other_learner_client.post(f"{DRAFTS}import/", document, format="json")
    assert response.status_code == 200
    assert _snapshot(alices_draft) == before
    [bobs] = ResearchDraft.objects.filter(owner=other_learner)
    assert str(bobs.pk) == response.json()["created"][0]
    assert bobs.pk != alices_draft.pk


def test_practice_state_is_private(learner_client, other_learner_client, rlhf):
    """Alice's prediction, hints and readiness never appear in Bob's practice state."""
    learner_client.post(f"{PRACTICE}prediction/", {"text": f"Alice {SECRET}"}, format="json")
    learner_client.post(f"{PRACTICE}hints/reveal/", {"number": 1}, format="json")
    learner_client.patch(f"{PRACTICE}readiness/", {"states_mechanism": True}, format="json")

    state = other_learner_client.get(PRACTICE).json()
    assert SECRET not in json.dumps(state)
    assert state["prediction"] is None
    assert state["predictions"] == []
    assert state["hints"]["revealed"] == 0
    assert state["readiness"]["label"] == "0/3 checks ready"


def test_bob_cannot_reveal_or_block_alices_prediction(
    learner, learner_client, other_learner_client, rlhf
):
    """Bob has no prediction of his own to reveal, and committing his does not touch Alice's."""
    learner_client.post(f"{PRACTICE}prediction/", {"text": "Alice's"}, format="json")
    assert (
        other_learner_client.post(f"{PRACTICE}prediction/reveal/", {}, format="json").status_code
        == 409
    )
    response = other_learner_client.post(f"{PRACTICE}prediction/", {"text": "Bob's"}, format="json")
    assert response.status_code == 201
    assert PracticePrediction.objects.get(owner=learner).text == "Alice's"
    assert PracticeProgress.objects.filter(owner=learner).count() == 0
