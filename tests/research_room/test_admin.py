import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_drafts_are_not_in_the_admin(admin_user):
    """Learners' drafts stay private: the admin has no page for them."""
    response = _client(admin_user).get("/admin/research_room/researchdraft/")
    assert response.status_code == 404
