import pytest

from concepts.models import Concept, ConceptObject, Section
from learning_platform.objects import object_resolve

from .factories import ConceptFactory, ConceptObjectFactory, SourceFactory

pytestmark = pytest.mark.django_db


def resolve(client, key: str):
    return client.get("/api/v1/objects/" + key.replace("#", "%23"))


def test_concept_resolves_with_the_research_context(loaded, anon_client):
    """A concept key gives its title, URL, version and the evidence the research room needs."""
    Concept.objects.update(status=Concept.Status.PUBLISHED)  # neighbours show once published
    response = resolve(anon_client, "concept:alignment/rlhf")
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "concept"
    assert body["title"] == "RLHF: Reward Modeling + KL-Regularized Policy Optimization"
    assert body["url"] == "http://testserver/api/v1/concepts/alignment/rlhf/"
    assert len(body["version"]) == 64
    context = body["context"]
    assert context["area_title"] == "Alignment"
    assert context["summary"].startswith("RLHF trains a reward model")
    assert context["source_keys"] == [
        "christiano-2017-human-preferences",
        "ouyang-2022-instructgpt",
    ]
    assert [p["title"] for p in context["prerequisites"]] == [
        "Maximum Likelihood",
        "KL Divergence",
        "Policy Gradient",
    ]
    assert context["next_concepts"][0] == {
        "key": "concept:alignment/dpo",
        "title": "Direct Preference Optimization",
    }
    assert context["operational_keys"] == [
        "equation:alignment/rlhf#preference-witness",
        "equation:alignment/rlhf#policy-witness",
        "code:alignment/rlhf#reward-model-and-policy",
    ]
    assert context["demo"]["key"] == "demo:alignment/rlhf#kl-policy"
    assert context["demo"]["params"]["beta"] == 0.7


@pytest.mark.parametrize(
    ("key", "kind", "excerpt"),
    [
        ("section:alignment/rlhf#math", "section", "The two moving pieces"),
        ("equation:alignment/rlhf#reward-gap", "equation", r"\Delta = r_\phi(x,y_w)"),
        ("code:alignment/rlhf#reward-model-and-policy", "code", "import numpy as np"),
        ("demo:alignment/rlhf#kl-policy", "demo", "Rewards are fitted"),
        ("misconception:alignment/rlhf#kl-prevents-reward-hacking", "misconception", "KL"),
    ],
)
def test_each_object_kind_resolves(loaded, anon_client, key, kind, excerpt):
    """Sections, equations, code, demos and misconceptions resolve with kind and excerpt."""
    body = resolve(anon_client, key).json()
    assert body["key"] == key and body["kind"] == kind
    assert body["concept"] == "concept:alignment/rlhf"
    assert body["context"]["concept_title"].startswith("RLHF")
    assert body["context"]["area_title"] == "Alignment"
    assert body["context"]["excerpt"].startswith(excerpt)
    assert body["url"].startswith("http://testserver/api/v1/concepts/alignment/rlhf/#")


def test_source_resolves_with_its_snapshot_hash_as_version(loaded, anon_client):
    """A source's version is the sha256 of its newest snapshot."""
    body = resolve(anon_client, "source:ouyang-2022-instructgpt").json()
    assert body["kind"] == "source"
    assert body["version"] == body["context"]["snapshot_sha256"]
    assert body["context"]["snapshot_state"] == "Local snapshot ready"
    assert body["url"].endswith("/api/v1/sources/ouyang-2022-instructgpt/")


def test_source_without_snapshot_still_resolves():
    """Without a snapshot, the version is a hash of the bibliographic record."""
    source = SourceFactory(key="bare")
    resolved = object_resolve("source:bare")
    assert resolved.version == source.content_hash
    assert resolved.context["snapshot_state"] == "No local snapshot"


@pytest.mark.parametrize(
    "key",
    [
        "concept:alignment/none",
        "concept:alignment",
        "concept:alignment/rlhf#extra",
        "section:alignment/rlhf#appendix",
        "equation:alignment/rlhf#no-such-anchor",
        "equation:alignment/rlhf",
        "code:alignment/rlhf#reward-gap",
        "source:no-such-source",
        "nonsense:alignment/rlhf",
    ],
)
def test_unknown_keys_are_404(loaded, anon_client, key):
    """Keys that name nothing are a 404."""
    assert resolve(anon_client, key).status_code == 404


def test_drafts_resolve_too():
    """Any existing object resolves, whatever its concept's status."""
    ConceptFactory(area="alignment", slug="dpo", draft=True)
    assert object_resolve("concept:alignment/dpo").title


def test_version_changes_with_the_content():
    """Editing an object's body changes its version; untouched objects keep theirs."""
    obj = ConceptObjectFactory(anchor="gap")
    other = ConceptObjectFactory(concept=obj.concept, anchor="other")
    key = f"equation:{obj.concept.path}#gap"
    before, other_before = object_resolve(key).version, object_resolve(other.key).version
    ConceptObject.objects.filter(pk=obj.pk).update(body=r"\Delta = 1")
    assert object_resolve(key).version != before
    assert object_resolve(other.key).version == other_before


def test_section_version_follows_its_body(loaded):
    """A section's version is its content hash."""
    section = Section.objects.get(concept__slug="rlhf", kind="math")
    assert object_resolve("section:alignment/rlhf#math").version == section.content_hash


def test_concept_resolution_runs_a_fixed_number_of_queries(loaded, django_assert_max_num_queries):
    """Resolving a concept with its full context is a handful of queries."""
    with django_assert_max_num_queries(4):
        object_resolve("concept:alignment/rlhf")
