import pytest

from concepts.models import Concept, ConceptObject
from tests.concepts.factories import ConceptFactory, ConceptObjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft_concept():
    concept = ConceptFactory(status=Concept.Status.DRAFT, title="Unannounced work")
    ConceptObjectFactory(concept=concept, kind=ConceptObject.Kind.EQUATION, anchor="secret")
    return concept


@pytest.mark.parametrize("suffix", ["", "#secret"])
def test_unpublished_objects_resolve_only_for_editors_and_reviewers(
    suffix, draft_concept, anon_client, learner_client, editor_client, reviewer_client
):
    """An unpublished concept's keys are 404 to anonymous users and learners, and resolve for
    editors and reviewers."""
    kind = "equation" if suffix else "concept"
    url = f"/api/v1/objects/{kind}:{draft_concept.path}{suffix.replace('#', '%23')}"
    for client in (anon_client, learner_client):
        response = client.get(url)
        assert response.status_code == 404
        assert "Unannounced" not in response.content.decode()
    for client in (editor_client, reviewer_client):
        assert client.get(url).json()["key"] == f"{kind}:{draft_concept.path}{suffix}"


def test_published_objects_resolve_for_anyone(anon_client):
    """A published concept's key resolves for an anonymous reader."""
    concept = ConceptFactory()
    response = anon_client.get(f"/api/v1/objects/{concept.key}")
    assert response.status_code == 200
    assert response.json()["title"] == concept.title


def test_a_learner_cannot_anchor_a_draft_to_unpublished_work(draft_concept, learner_client):
    """Anchoring to an unpublished concept is refused as if the key did not exist."""
    response = learner_client.post(
        "/api/v1/research-room/drafts/",
        {"anchor": draft_concept.key, "question": "What is this?"},
        format="json",
    )
    assert response.status_code == 400
    assert "No object has the key" in str(response.json()["errors"]["anchor"])
