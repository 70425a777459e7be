import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.throttling import ScopedRateThrottle

from claims.services import claim_update
from research_room.api.serializers import DraftOutput, draft_output
from research_room.models import ResearchDraft

from .conftest import RLHF_QUESTION
from .factories import DraftFactory

pytestmark = pytest.mark.django_db

DRAFTS = "/api/v1/research-room/drafts/"
CONCEPT = "concept:alignment/rlhf"
EQUATION = "equation:alignment/rlhf#reward-gap"


def _create(client, **data):
    return client.post(DRAFTS, {"anchor": CONCEPT, "question": "Why β?", **data}, format="json")


def test_anonymous_users_get_401_on_every_route(anon_client, learner, rlhf):
    """The research room is for authenticated users only."""
    draft = DraftFactory(owner=learner)
    for method, url in [
        ("get", DRAFTS),
        ("post", DRAFTS),
        ("get", f"{DRAFTS}{draft.id}/"),
        ("patch", f"{DRAFTS}{draft.id}/"),
        ("delete", f"{DRAFTS}{draft.id}/"),
        ("get", f"{DRAFTS}{draft.id}/handoff/"),
        ("get", f"{DRAFTS}export/"),
        ("post", f"{DRAFTS}import/"),
    ]:
        assert getattr(anon_client, method)(url).status_code == 401, (method, url)


def test_any_authenticated_user_may_keep_drafts(reviewer_client, rlhf):
    """Reviewers (not only learners) have their own research room."""
    assert _create(reviewer_client).status_code == 201


def test_create_with_anchor_and_question_prefills_the_lists(learner_client, rlhf):
    """Given only anchor and question, evidence and resolution are filled as the page fills them."""
    response = _create(learner_client)
    assert response.status_code == 201
    body = response.json()
    assert body["anchor"] == CONCEPT
    assert body["anchor_kind"] == "concept"
    assert body["evidence"][0] == (
        "Source ids to inspect: christiano-2017-human-preferences, ouyang-2022-instructgpt"
    )
    assert body["resolution"] == [
        "The learner can state the mechanism in their own words",
        "The learner can name the prerequisite that would repair confusion",
        "The learner can predict how the mechanism changes under one perturbation",
    ]
    assert body["anchor_changed"] is False
    assert body["handoff_url"].endswith(f"/drafts/{body['id']}/handoff/")


@pytest.mark.parametrize("anchor", [CONCEPT, EQUATION, "demo-state:alignment/rlhf#kl-policy"])
def test_a_draft_saved_without_a_question_takes_the_concepts_anchored_question(
    learner_client, rlhf, anchor
):
    """No question: the anchored concept's question, or for an object its concept's."""
    response = learner_client.post(DRAFTS, {"anchor": anchor}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["question"] == RLHF_QUESTION


@pytest.mark.parametrize(
    "anchor", ["source:ouyang-2022-instructgpt", "concept:foundations/maximum-likelihood"]
)
def test_no_question_and_no_anchored_question_to_take_is_a_400(learner_client, rlhf, anchor):
    """A source has no concept, and a concept may have no anchored question: the learner is
    asked for one, and nothing is saved."""
    response = learner_client.post(DRAFTS, {"anchor": anchor}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["question"] == [
        f"Give a question: {anchor} has no concept with an anchored question to take."
    ]
    assert not ResearchDraft.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"anchor": "concept:alignment/nothing"}, "anchor"),
        ({"anchor": "no-colon"}, "anchor"),
        ({"question": ""}, "question"),
        ({"question": "   "}, "question"),
        ({"question": "q" * 2001}, "question"),
        ({"note": "n" * 10_001}, "note"),
        ({"next_action": "a" * 1001}, "next_action"),
        ({"evidence": ["e"] * 21}, "evidence"),
        ({"resolution": ["r" * 501]}, "resolution"),
        ({"evidence": "not a list"}, "evidence"),
        ({"status": "archived"}, "status"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(learner_client, rlhf, data, field):
    """Unresolvable anchors, blank questions and texts over the caps are 400s, nothing saved."""
    response = _create(learner_client, **data)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any(name == field or name.startswith(f"{field}[") for name in errors), errors
    assert not ResearchDraft.objects.exists()


def test_retrieve_update_and_delete_an_own_draft(learner_client, rlhf):
    """The owner reads, changes and deletes a draft through its URL."""
    draft_id = _create(learner_client).json()["id"]
    url = f"{DRAFTS}{draft_id}/"
    assert learner_client.get(url).json()["question"] == "Why β?"
    patched = learner_client.patch(url, {"status": "resolved", "note": "Got it."}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["status"], patched.json()["note"]) == ("resolved", "Got it.")
    put = learner_client.put(url, {"anchor": EQUATION, "question": "New?"}, format="json")
    assert put.status_code == 200
    assert put.json()["anchor"] == EQUATION
    assert learner_client.delete(url).status_code == 204
    assert learner_client.get(url).status_code == 404


def test_put_requires_anchor_and_question(learner_client, rlhf):
    """A replacement must name the anchor and the question."""
    draft_id = _create(learner_client).json()["id"]
    response = learner_client.put(f"{DRAFTS}{draft_id}/", {"note": "x"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"anchor", "question"}


def test_a_changed_anchor_is_reported_not_followed(learner_client, rlhf):
    """After the equation changes, the draft says so with both versions; re-anchoring clears it."""
    created = _create(learner_client, anchor=EQUATION).json()
    url = f"{DRAFTS}{created['id']}/"
    rlhf.equation.body = r"\Delta_i = r(x_i, y_{w,i}) - r(x_i, y_{\ell,i})"
    rlhf.equation.save()

    stale = learner_client.get(url).json()
    assert stale["anchor_changed"] is True
    assert stale["anchor_version"] == created["anchor_version"]
    assert stale["anchor_current_version"] == rlhf.equation.content_hash
    assert stale["anchor_current_version"] != stale["anchor_version"]

    edited = learner_client.patch(url, {"note": "still stale"}, format="json").json()
    assert edited["anchor_changed"] is True

    reanchored = learner_client.patch(url, {"anchor": EQUATION}, format="json").json()
    assert reanchored["anchor_changed"] is False
    assert reanchored["anchor_version"] == rlhf.equation.content_hash


def test_a_changed_concept_makes_its_draft_stale(learner_client, rlhf):
    """Retitling the anchored concept marks the draft's anchor as changed."""
    created = _create(learner_client).json()
    rlhf.concept.title = "RLHF, retitled"
    rlhf.concept.save()
    detail = learner_client.get(f"{DRAFTS}{created['id']}/").json()
    assert detail["anchor_changed"] is True


def test_list_query_count_does_not_grow_with_drafts(
    learner, learner_client, rlhf, django_assert_max_num_queries
):
    """Listing 5 or 50 drafts takes the same bounded number of queries."""
    DraftFactory.create_batch(5, owner=learner)
    with django_assert_max_num_queries(3):
        small = learner_client.get(DRAFTS)
    DraftFactory.create_batch(45, owner=learner)
    with django_assert_max_num_queries(3):
        large = learner_client.get(DRAFTS, {"page_size": 50})
    assert small.json()["count"] == 5
    assert len(large.json()["results"]) == 50


def test_filtered_and_searched_lists_keep_the_same_bound(
    learner, learner_client, rlhf, django_assert_max_num_queries
):
    """Filters and search add no queries, whatever the number of drafts."""
    DraftFactory.create_batch(50, owner=learner)
    with django_assert_max_num_queries(3):
        response = learner_client.get(DRAFTS, {"concept": "alignment/rlhf", "search": "Question"})
    assert response.json()["count"] == 50


def test_detail_and_handoff_query_counts_do_not_grow(
    learner, learner_client, rlhf, django_assert_max_num_queries
):
    """A draft with its anchor state, and its handoff, cost the same with 1 or 50 drafts."""
    draft_id = _create(learner_client).json()["id"]
    counts = []
    for extra in (0, 49):
        DraftFactory.create_batch(extra, owner=learner)
        with django_assert_max_num_queries(20) as captured:
            learner_client.get(f"{DRAFTS}{draft_id}/")
            learner_client.get(f"{DRAFTS}{draft_id}/handoff/")
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_filters_narrow_the_list(learner, learner_client, rlhf):
    """status, anchor, anchor_kind, concept and search each narrow the owner's list."""
    DraftFactory(owner=learner, question="About β", status="resolved")
    DraftFactory(
        owner=learner,
        anchor_key=EQUATION,
        anchor_kind="equation",
        question="About the gap",
        note="sigmoid of delta",
    )
    DraftFactory(
        owner=learner,
        anchor_key="source:ouyang-2022-instructgpt",
        anchor_kind="source",
        anchor_concept_key="",
        question="About PPO",
    )

    def questions(**params):
        response = learner_client.get(DRAFTS, params)
        assert response.status_code == 200
        return sorted(item["question"] for item in response.json()["results"])

    assert questions(status="resolved") == ["About β"]
    assert questions(anchor=EQUATION) == ["About the gap"]
    assert questions(anchor_kind="source") == ["About PPO"]
    assert questions(concept=CONCEPT) == ["About the gap", "About β"]
    assert questions(concept="alignment/rlhf") == ["About the gap", "About β"]
    assert questions(search="SIGMOID") == ["About the gap"]
    assert questions(search="PPO") == ["About PPO"]


def test_an_invalid_filter_is_a_400(learner_client, rlhf):
    """An unknown status value in a filter is a 400 naming the filter."""
    response = learner_client.get(DRAFTS, {"status": "archived"})
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_export_is_a_web_annotation_collection(learner, learner_client, rlhf):
    """The export is JSON-LD with the anno context and one Annotation per draft."""
    DraftFactory.create_batch(3, owner=learner)
    response = learner_client.get(f"{DRAFTS}export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    document = json.loads(response.content)
    assert document["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert document["type"] == "AnnotationCollection"
    assert document["total"] == 3
    assert [item["type"] for item in document["first"]["items"]] == ["Annotation"] * 3


def test_export_query_count_does_not_grow(
    learner, learner_client, rlhf, django_assert_max_num_queries
):
    """Exporting 5 or 50 drafts takes the same bounded number of queries."""
    for count in (5, 45):
        DraftFactory.create_batch(count, owner=learner)
        with django_assert_max_num_queries(2):
            learner_client.get(f"{DRAFTS}export/")


def test_export_then_import_round_trips(learner_client, rlhf):
    """Exported drafts, deleted and imported back, come back with the same content."""
    _create(learner_client, note="First note", next_action="Run β = 0.1")
    _create(learner_client, anchor=EQUATION, question="Why σ?", status="resolved")
    before = sorted(
        (d["anchor"], d["question"], d["note"], d["next_action"], d["status"], tuple(d["evidence"]))
        for d in learner_client.get(DRAFTS).json()["results"]
    )
    document = learner_client.get(f"{DRAFTS}export/").content
    ResearchDraft.objects.all().delete()

    response = learner_client.post(f"{DRAFTS}import/", document, content_type="application/ld+json")
    assert response.status_code == 200, response.json()
    assert len(response.json()["created"]) == 2
    after = sorted(
        (d["anchor"], d["question"], d["note"], d["next_action"], d["status"], tuple(d["evidence"]))
        for d in learner_client.get(DRAFTS).json()["results"]
    )
    assert after == before


def test_import_of_own_export_is_idempotent(learner_client, rlhf):
    """Importing one's own export changes nothing: every draft is found by its id."""
    _create(learner_client)
    document = learner_client.get(f"{DRAFTS}export/").content
    response = learner_client.post(f"{DRAFTS}import/", document, content_type="application/json")
    assert response.json() == {
        "created": [],
        "updated": [],
        "unchanged": [ResearchDraft.objects.get().pk.__str__()],
    }
    assert ResearchDraft.objects.count() == 1


def test_import_accepts_json_lines_and_an_uploaded_file(learner_client, rlhf):
    """Annotations arrive as JSON Lines or as a multipart file upload."""
    line = json.dumps(
        {
            "type": "Annotation",
            "body": {"type": "TextualBody", "purpose": "questioning", "value": "Q?"},
            "target": {
                "type": "SpecificResource",
                "source": "http://testserver/api/v1/objects/"
                "demo-state:alignment/rlhf%23kl-policy?beta=2",
            },
        }
    )
    as_lines = learner_client.post(
        f"{DRAFTS}import/", line + "\n", content_type="application/x-ndjson"
    )
    assert as_lines.status_code == 200, as_lines.json()
    upload = SimpleUploadedFile("drafts.jsonld", f"[{line}]".encode(), "application/ld+json")
    as_file = learner_client.post(f"{DRAFTS}import/", {"file": upload}, format="multipart")
    assert as_file.status_code == 200, as_file.json()
    anchors = set(ResearchDraft.objects.values_list("anchor_key", flat=True))
    assert anchors == {"demo-state:alignment/rlhf#kl-policy?beta=2"}


def test_a_malformed_import_is_a_400_naming_item_and_field_and_saves_nothing(learner_client, rlhf):
    """One bad annotation among good ones: 400 naming item 2's target, and no draft saved."""
    good = {
        "type": "Annotation",
        "body": {"purpose": "questioning", "value": "Q?"},
        "target": CONCEPT,
    }
    bad = {**good, "target": "concept:alignment/nowhere"}
    response = learner_client.post(f"{DRAFTS}import/", [good, bad], format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "item 2.target": ["No object has the key 'concept:alignment/nowhere'."]
    }
    assert not ResearchDraft.objects.exists()


def test_an_import_that_is_not_json_is_a_400_naming_the_line(learner_client, rlhf):
    """Broken JSON is a 400 naming the line, never a 500."""
    response = learner_client.post(
        f"{DRAFTS}import/", b'[\n{"type": "Annotation",,}\n]', content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["line 2.json"]


def test_an_import_without_a_file_is_a_400(learner_client, rlhf):
    """A multipart import with no file names the missing field."""
    response = learner_client.post(f"{DRAFTS}import/", {"other": "x"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_learner_writes_are_throttled_but_reads_are_not(learner_client, rlhf, monkeypatch):
    """Past the "learner-writes" rate, writes get 429; reading the list still works."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"learner-writes": "3/min"})
    statuses = [_create(learner_client).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    assert learner_client.get(DRAFTS).status_code == 200


@pytest.mark.parametrize(
    "anchor",
    [
        "concept:alignment/rlhf",
        "section:alignment/rlhf#math",
        "equation:alignment/rlhf#reward-gap",
        "code:alignment/rlhf#reward-model-and-policy",
        "source:christiano-2017-human-preferences",
        "claim:alignment/rlhf#preference-rm-kl",
        "misconception:alignment/rlhf#kl-prevents-reward-hacking",
        "demo-state:alignment/rlhf#kl-policy?beta=0.7&shift=10",
    ],
)
def test_every_kind_of_object_can_be_an_anchor(learner_client, rlhf, claim, anchor):
    """Concept, section, equation, code, source, claim, misconception and demo state all anchor."""
    response = _create(learner_client, anchor=anchor)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["anchor"] == anchor
    assert body["anchor_kind"] == anchor.partition(":")[0]
    assert len(body["evidence"]) == 4


def test_a_claim_draft_goes_stale_when_the_claim_changes(learner_client, rlhf, claim):
    """Editing the anchored claim's text changes its fingerprint: the draft says so."""
    created = _create(learner_client, anchor=claim.key).json()
    claim_update(claim=claim, text="RLHF fits a reward model and nothing else.")
    detail = learner_client.get(f"{DRAFTS}{created['id']}/").json()
    assert detail["anchor_changed"] is True
    assert detail["anchor_current_version"] != created["anchor_version"]


def test_the_fast_list_representation_matches_the_documented_serializer(learner, rf, rlhf):
    """The list's hand-built items are exactly what DraftOutput (the schema's model) renders."""
    draft = DraftFactory(owner=learner, next_action="Run it.", status="resolved")
    draft.refresh_from_db()
    request = rf.get(DRAFTS)
    assert draft_output(draft, request) == DraftOutput(draft, context={"request": request}).data


# A write resolves its anchor once. In a test the view's transaction and the service's each
# take a savepoint (SAVEPOINT and RELEASE: 4 queries; in production the outer one is the
# transaction itself). A write reads a concept anchor without its context (1 query, the
# anchored revision with it); a full resolution, as the answer's anchor state does when the
# write did not resolve the anchor, reads 4 rows sets: the concept, its edges, its objects
# and its sources.


def test_creating_a_draft_resolves_its_anchor_once(learner_client, rlhf, django_assert_num_queries):
    """4 savepoint queries, 1 for the concept, 2 for what the evidence prefill reads of it, 1
    insert: no second resolution for the revision or the answer's anchor state."""
    with django_assert_num_queries(8):
        response = _create(learner_client)
    assert response.status_code == 201
    body = response.json()
    assert body["anchor_changed"] is False
    assert body["anchor_revision"] == rlhf.concept.revision_hash
    assert body["evidence"][0].startswith("Source ids to inspect: christiano-2017")


def test_creating_a_draft_on_an_object_resolves_its_concept_once(
    learner_client, rlhf, django_assert_num_queries
):
    """An equation without a question: 1 query for the equation, 2 for the parts of its
    concept the prefill reads (taken once for both the anchored question and the evidence),
    4 savepoint queries, 1 insert."""
    with django_assert_num_queries(8):
        response = learner_client.post(DRAFTS, {"anchor": EQUATION}, format="json")
    assert response.status_code == 201
    assert response.json()["question"] == RLHF_QUESTION
    assert response.json()["anchor_revision"] == rlhf.concept.revision_hash


def test_updating_a_draft_resolves_its_anchor_once(learner_client, rlhf, django_assert_num_queries):
    """Re-anchoring: the draft, 2 savepoint queries, 1 for the concept, the update. Without an
    anchor: the draft, 2 savepoint queries, the update, and the answer's anchor state resolves
    the concept in full (4)."""
    url = f"{DRAFTS}{_create(learner_client).json()['id']}/"
    with django_assert_num_queries(5):
        response = learner_client.patch(url, {"anchor": CONCEPT, "note": "moved"}, format="json")
    assert response.status_code == 200
    assert response.json()["note"] == "moved"
    assert response.json()["anchor_changed"] is False
    with django_assert_num_queries(8):
        response = learner_client.patch(url, {"note": "kept"}, format="json")
    assert response.status_code == 200
    assert response.json()["anchor_changed"] is False
