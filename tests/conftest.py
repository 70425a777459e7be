"""Shared fixtures: a fixed cast of users, one per role, and API clients logged in as each."""

import os

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from rest_framework.test import APIClient

from learning_platform.roles import EDITORS, LEARNERS, REVIEWERS


def _user(django_user_model, username: str, *roles: str, **extra):
    user = django_user_model.objects.create_user(
        username=username, password=f"{username}-password", **extra
    )
    if roles:
        user.groups.set(Group.objects.filter(name__in=roles))
    return user


@pytest.fixture
def editor(django_user_model):
    return _user(django_user_model, "edith", EDITORS, is_staff=True)


@pytest.fixture
def reviewer(django_user_model):
    return _user(django_user_model, "rita", REVIEWERS, is_staff=True)


@pytest.fixture
def learner(django_user_model):
    return _user(django_user_model, "alice", LEARNERS)


@pytest.fixture
def other_learner(django_user_model):
    return _user(django_user_model, "bob", LEARNERS)


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser(
        username="root", password="root-password", email="root@example.org"
    )


def _client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def editor_client(editor):
    return _client_for(editor)


@pytest.fixture
def reviewer_client(reviewer):
    return _client_for(reviewer)


@pytest.fixture
def learner_client(learner):
    return _client_for(learner)


@pytest.fixture
def other_learner_client(other_learner):
    return _client_for(other_learner)


@pytest.fixture
def admin_client_api(admin_user):
    return _client_for(admin_user)


def _service_pass() -> bool:
    """True in the pass against PostgreSQL and Redis, false on the embedded defaults."""
    return bool(os.environ.get("DATABASE_URL") or os.environ.get("CELERY_BROKER_URL"))


def pytest_collection_modifyitems(config, items):
    """A `slow` test runs in one pass only: the service pass if it needs PostgreSQL or Redis,
    otherwise the embedded pass. Both passes together still run every test."""
    service_pass = _service_pass()
    for item in items:
        if item.get_closest_marker("slow") is None:
            continue
        needs_services = any(item.get_closest_marker(name) for name in ("postgres", "redis"))
        if needs_services != service_pass:
            where = "PostgreSQL and Redis" if needs_services else "embedded"
            item.add_marker(pytest.mark.skip(reason=f"slow: runs once, in the {where} pass"))


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: answers cached, and throttles counted, by another
    test (under other settings, or other monkeypatched code) must not reach it."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _postgres_only(request):
    """Tests marked `postgres` run in the PostgreSQL pass; .ci/run makes a missing one fatal."""
    if request.node.get_closest_marker("postgres") is None:
        return
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    reason = "needs PostgreSQL (set DATABASE_URL; .ci/run runs this in its PostgreSQL pass)"
    if os.environ.get("LP_REQUIRE_POSTGRES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def tamper():
    """Raw SQL on the reviews table, as someone with database access could run it.

    On PostgreSQL the append-only trigger is disabled for the test's transaction (the change is
    rolled back with it), so that the chain check can be shown catching what gets through.
    """

    def run(sql: str, params=()):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Deferred foreign-key checks pending in the test's transaction would block the
                # ALTER TABLE: run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(
                    "ALTER TABLE claims_claimreview DISABLE TRIGGER claims_claimreview_append_only"
                )
            cursor.execute(sql, params)
            if connection.vendor == "postgresql":
                cursor.execute(
                    "ALTER TABLE claims_claimreview ENABLE TRIGGER claims_claimreview_append_only"
                )
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    return run
