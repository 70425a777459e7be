"""Nothing unpublished reaches anonymous users or learners, through any route.

The RLHF page is published and every concept on its learning map (three prerequisites, three
next concepts, the related Bradley-Terry model) is made a draft, including the pages content/
publishes. Every draft's title, summary, section text, object titles, claims, edge notes and
practice hints are rewritten to carry one marker; every GET
route the schema documents is then called for the published page and for a draft (and every
object key of a draft is resolved), as anonymous and as a learner, and the marker must not
appear in any answer. The routes come from /api/schema/, so a new route is probed too.
"""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from claims.models import Claim
from concepts.models import (
    Concept,
    ConceptObject,
    PracticeHint,
    Prerequisite,
    RelatedLink,
    Section,
)
from tests.claims.factories import ClaimFactory
from tests.concepts.factories import ConceptObjectFactory

from .routes import documented_operations, fill_path

pytestmark = pytest.mark.django_db

MARKER = "zqxunpublished"
ROLES = ("anonymous", "learner")
DRAFT_AREA, DRAFT_SLUG = "alignment", "dpo"


@pytest.fixture
def drafted(world):
    """The world, with every concept but RLHF unpublished and its text carrying the marker."""
    # content/ publishes the pages RLHF builds on and PPO; here they are drafts again, so that
    # every neighbour on the RLHF page's learning map is one, with its own sections, objects
    # and claims to hide.
    Concept.objects.exclude(area="alignment", slug="rlhf").update(status=Concept.Status.DRAFT)
    drafts = Concept.objects.exclude(status=Concept.Status.PUBLISHED)
    assert drafts.count() >= 7
    assert Claim.objects.filter(concept__in=drafts).exists()
    for concept in drafts:
        Concept.objects.filter(pk=concept.pk).update(
            title=f"{MARKER} title {concept.slug}",
            summary=f"{MARKER} summary {concept.slug}",
            illustration_caption=f"{MARKER} caption",
            link_test=f"{MARKER} link test",
        )
    dpo = Concept.objects.get(area=DRAFT_AREA, slug=DRAFT_SLUG)
    Section.objects.update_or_create(
        concept=dpo,
        kind=Section.Kind.INTUITION,
        defaults={"title": f"{MARKER} section", "body": f"{MARKER} body"},
    )
    ConceptObjectFactory(concept=dpo, anchor="hidden-gap", title=f"{MARKER} equation")
    ClaimFactory(concept=dpo, key="claim:alignment/dpo#hidden", text=f"{MARKER} claim")
    Section.objects.filter(concept__in=drafts).update(
        summary=f"{MARKER} section summary", body=f"{MARKER} section body"
    )
    ConceptObject.objects.filter(concept__in=drafts).update(title=f"{MARKER} object")
    Claim.objects.filter(concept__in=drafts).update(text=f"{MARKER} claim text")
    Prerequisite.objects.filter(prerequisite__in=drafts).update(carry_in=f"{MARKER} carry in")
    Prerequisite.objects.filter(concept__in=drafts).update(carry_out=f"{MARKER} carry out")
    RelatedLink.objects.filter(target__in=drafts).update(note=f"{MARKER} related note")
    for number in (1, 2, 3):
        PracticeHint.objects.update_or_create(
            concept=dpo,
            number=number,
            defaults={"teaser": f"{MARKER} teaser {number}", "body": f"{MARKER} hint {number}"},
        )
    # A draft written now: its evidence prefill is built from the marked neighbours.
    owner = APIClient()
    owner.force_authenticate(world["users"]["learner"])
    created = owner.post(
        "/api/v1/research-room/drafts/",
        {"anchor": "concept:alignment/rlhf", "question": "What carries over?"},
        format="json",
    )
    assert created.status_code == 201
    world["ids"]["draft_id"] = created.json()["id"]
    return world


def _draft_object_keys() -> list[str]:
    keys = [concept.key for concept in Concept.objects.exclude(status=Concept.Status.PUBLISHED)]
    dpo = Concept.objects.get(area=DRAFT_AREA, slug=DRAFT_SLUG)
    keys += [section.key for section in Section.objects.filter(concept=dpo)]
    keys += [obj.key for obj in ConceptObject.objects.filter(concept=dpo)]
    keys += list(Claim.objects.filter(concept=dpo).values_list("key", flat=True))
    return keys


def _requests(world) -> list[tuple[str, str, str]]:
    """(verb, path, body): every GET the schema documents, for the published page and for a
    draft; each draft object key; the practice loop's writes on a draft."""
    published = world["ids"]
    draft = {**published, "area": DRAFT_AREA, "slug": DRAFT_SLUG}
    requests = []
    for template, verb, _ in documented_operations():
        if verb != "GET":
            continue
        for ids in (published, draft):
            requests.append(("GET", fill_path(template, ids), ""))
    for key in _draft_object_keys():
        requests.append(("GET", "/api/v1/objects/" + key.replace("#", "%23"), ""))
    practice = f"/api/v1/research-room/practice/{DRAFT_AREA}/{DRAFT_SLUG}/"
    requests += [
        ("POST", practice + "hints/reveal/", '{"number": 1}'),
        ("POST", practice + "prediction/", '{"prediction": "The policy moves."}'),
        ("PATCH", practice + "readiness/", '{"explain": true}'),
        ("GET", f"/api/v1/concepts/?status=draft&area={DRAFT_AREA}", ""),
        ("GET", f"/api/v1/claims/?concept=concept:{DRAFT_AREA}/{DRAFT_SLUG}", ""),
        ("GET", f"/api/v1/concepts/?search={MARKER}", ""),
    ]
    return sorted(set(requests))


def _call(client: APIClient, verb: str, path: str, body: str) -> tuple[int, str]:
    response = client.generic(verb, path, body, content_type="application/json")
    # A snapshot download streams its file.
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, content.decode("utf-8", "replace")


def test_no_route_shows_unpublished_text_to_anonymous_users_or_learners(drafted):
    """Every documented route × {anonymous, learner}: no draft title, summary, note or hint."""
    leaks, errors, probed = [], [], 0
    for role in ROLES:
        client = APIClient()
        if role != "anonymous":
            client.force_authenticate(drafted["users"][role])
        for verb, path, body in _requests(drafted):
            cache.clear()
            status, content = _call(client, verb, path, body)
            probed += 1
            if status >= 500:
                errors.append(f"{verb} {path} as {role}: {status}")
            if MARKER in content:
                leaks.append(f"{verb} {path} as {role}: {status}")
    print(
        f"security: unpublished text, {probed} requests ({probed // len(ROLES)} routes x "
        f"{len(ROLES)} roles); leaks: {len(leaks)}; server errors: {len(errors)}"
    )
    assert probed >= 80
    assert not errors, "\n".join(errors)
    assert not leaks, "\n".join(leaks)


def test_editors_still_see_the_whole_learning_map(drafted, editor_client):
    """The visibility rule hides drafts from learners, not from the editors who write them."""
    page = editor_client.get("/api/v1/concepts/alignment/rlhf/").json()
    assert page["learning_map"]["counts"] == {
        "prerequisites": 3,
        "next_concepts": 3,
        "related_links": 1,
    }
    assert MARKER in page["learning_map"]["next"][0]["title"]


def test_learning_map_counts_only_what_the_reader_may_see(drafted, anon_client):
    """For anonymous readers the draft neighbours are absent, and the counts say so."""
    learning_map = anon_client.get("/api/v1/concepts/alignment/rlhf/").json()["learning_map"]
    assert learning_map["before"] == [] and learning_map["next"] == []
    assert learning_map["counts_label"] == "0 prerequisites · 0 next concepts · 0 related links"
    assert learning_map["bridge"]["carry_in"] is None


def test_practice_on_a_draft_concept_is_a_404_and_reveals_no_hint(drafted, learner_client):
    """The practice loop refuses draft concepts: no state, no hint, no prediction stored."""
    base = f"/api/v1/research-room/practice/{DRAFT_AREA}/{DRAFT_SLUG}/"
    assert learner_client.get(base).status_code == 404
    reveal = learner_client.post(base + "hints/reveal/", {"number": 1}, format="json")
    assert reveal.status_code == 404 and MARKER not in reveal.content.decode()


def test_a_draft_cannot_anchor_to_unpublished_work(drafted, learner_client):
    """A learner's draft anchored to a draft concept is refused: the key does not resolve."""
    response = learner_client.post(
        "/api/v1/research-room/drafts/",
        {"anchor": f"concept:{DRAFT_AREA}/{DRAFT_SLUG}", "question": "What is DPO?"},
        format="json",
    )
    assert response.status_code == 400 and "anchor" in response.json()["errors"]


def test_an_anchor_unpublished_later_no_longer_shows_in_the_draft(drafted, learner_client):
    """After its concept is unpublished, a draft's detail and handoff show only what was stored."""
    Concept.objects.filter(slug="rlhf").update(status=Concept.Status.DRAFT, title=f"{MARKER} new")
    draft_id = drafted["ids"]["draft_id"]
    base = f"/api/v1/research-room/drafts/{draft_id}/"
    detail = learner_client.get(base)
    handoff = learner_client.get(base + "handoff/")
    assert detail.json()["anchor_resolves"] is False
    assert MARKER not in detail.content.decode() + handoff.content.decode()


def test_the_learning_path_skips_drafts_and_keeps_a_valid_order(world, anon_client):
    """In a chain published ← draft ← published, the path lists both published concepts and
    the later one requires the earlier, through the hidden draft."""
    from tests.concepts.factories import ConceptFactory

    first = ConceptFactory(area="chain", slug="first")
    hidden = ConceptFactory(area="chain", slug="hidden", draft=True, title=f"{MARKER} hidden")
    last = ConceptFactory(area="chain", slug="last")
    goal = ConceptFactory(area="chain", slug="goal")
    Prerequisite.objects.create(concept=hidden, prerequisite=first)
    Prerequisite.objects.create(concept=last, prerequisite=hidden)
    Prerequisite.objects.create(concept=goal, prerequisite=last)
    response = anon_client.get("/api/v1/concepts/chain/goal/learning-path/")
    steps = response.json()["steps"]
    assert [step["key"] for step in steps] == ["concept:chain/first", "concept:chain/last"]
    assert steps[1]["requires"] == ["concept:chain/first"]
    assert [step["step"] for step in steps] == [1, 2]
    assert MARKER not in response.content.decode()
