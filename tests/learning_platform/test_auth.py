import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from learning_platform.roles import EDITORS, LEARNERS, REVIEWERS, has_role

pytestmark = pytest.mark.django_db


def test_token_for_valid_credentials(learner):
    """Username + password give an expiring token that authenticates later requests."""
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": "alice-password"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/").status_code == 200
    assert response.json()["expiry"] is not None


def test_token_bad_credentials_is_400_with_message(learner):
    """A wrong password is a 400 that says the credentials were not accepted."""
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "alice", "password": "wrong"}, format="json"
    )
    assert response.status_code == 400
    assert "Unable to log in" in str(response.json())


def test_token_missing_fields_are_named(db):
    """Missing username and password are each named in the 400."""
    response = APIClient().post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "password"}


def test_invalid_token_is_401():
    """A made-up token is refused with 401."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/").status_code == 401


def test_session_auth_enforces_csrf(learner):
    """A logged-in session must send the CSRF token on unsafe requests."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(learner)
    response = client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": "alice-password"}, format="json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    client.get("/admin/login/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    ok = client.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "alice-password"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert ok.status_code == 200


def test_roles_exist_with_their_permissions(db):
    """The migration creates the three groups; reviewers may add reviews, learners may not."""
    names = set(Group.objects.values_list("name", flat=True))
    assert {EDITORS, REVIEWERS, LEARNERS} <= names
    editors = set(Group.objects.get(name=EDITORS).permissions.values_list("codename", flat=True))
    learners = set(Group.objects.get(name=LEARNERS).permissions.values_list("codename", flat=True))
    assert not any(code.startswith(("add_", "change_")) and "concept" in code for code in learners)
    assert all(not code.endswith("claimreview") or code == "view_claimreview" for code in editors)


def test_has_role(editor, reviewer, learner, admin_user):
    """Each user holds exactly their role; a superuser holds all of them."""
    assert has_role(editor, EDITORS) and not has_role(editor, REVIEWERS)
    assert has_role(reviewer, REVIEWERS) and not has_role(reviewer, EDITORS)
    assert has_role(learner, LEARNERS) and not has_role(learner, EDITORS)
    assert all(has_role(admin_user, role) for role in (EDITORS, REVIEWERS, LEARNERS))


def test_learner_cannot_open_admin(learner):
    """Learners are not staff: the admin sends them to its login page."""
    client = APIClient()
    client.force_login(learner)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
