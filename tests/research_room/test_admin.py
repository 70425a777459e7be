import pytest
from django.test import Client

from research_room.models import PracticeHint

pytestmark = pytest.mark.django_db

ADD = "/admin/research_room/practicehint/add/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_editors_write_hints_in_the_admin(editor, rlhf):
    """An editor adds a hint for a concept that resolves; the key is stored canonically."""
    PracticeHint.objects.all().delete()
    response = _client(editor).post(
        ADD, {"concept_key": " concept:alignment/rlhf ", "number": 1, "text": "Look at Z."}
    )
    assert response.status_code == 302
    hint = PracticeHint.objects.get()
    assert (hint.concept_key, hint.number, hint.text) == ("concept:alignment/rlhf", 1, "Look at Z.")


def test_a_hint_for_an_unknown_concept_is_refused(editor, rlhf):
    """A concept key that does not resolve to a concept is a form error, nothing saved."""
    PracticeHint.objects.all().delete()
    response = _client(editor).post(
        ADD, {"concept_key": "equation:alignment/rlhf#reward-gap", "number": 1, "text": "x"}
    )
    assert response.status_code == 200
    assert "No concept has the key" in response.content.decode()
    assert not PracticeHint.objects.exists()


def test_learners_and_reviewers_cannot_edit_hints(learner, reviewer, rlhf):
    """Only editors (and superusers) reach the hint admin."""
    learner.is_staff = True
    learner.save()
    for user in (learner, reviewer):
        assert _client(user).get(ADD).status_code in (302, 403)


def test_drafts_are_not_in_the_admin(admin_user):
    """Learners' drafts stay private: the admin has no page for them."""
    response = _client(admin_user).get("/admin/research_room/researchdraft/")
    assert response.status_code == 404
