import pytest
from django.test import Client

from demos.models import DemoRun

from .factories import DemoRunFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/demos/demorun/"


@pytest.fixture
def editor_browser(editor):
    client = Client()
    client.force_login(editor)
    return client


def test_runs_are_listed_and_filterable(admin_client):
    """The admin lists runs and filters them by status and by kind."""
    DemoRunFactory(status=DemoRun.Status.FAILED, error="worker crashed 3 times")
    queued = DemoRunFactory()
    assert admin_client.get(CHANGELIST).status_code == 200
    response = admin_client.get(CHANGELIST, {"status__exact": "queued", "kind": "kl-policy"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [queued]


def test_runs_cannot_be_added_changed_or_deleted(admin_client):
    """Even a superuser only reads runs: add, change and delete are refused."""
    run = DemoRunFactory()
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert (
        admin_client.post(f"{CHANGELIST}{run.pk}/change/", {"status": "failed"}).status_code == 403
    )
    assert admin_client.post(f"{CHANGELIST}{run.pk}/delete/", {"post": "yes"}).status_code == 403
    run.refresh_from_db()
    assert run.status == DemoRun.Status.QUEUED


def test_editors_can_view_a_run(editor_browser):
    """Editors hold the view permission: the list and a run's read-only page open."""
    run = DemoRunFactory()
    assert editor_browser.get(CHANGELIST).status_code == 200
    assert editor_browser.get(f"{CHANGELIST}{run.pk}/change/").status_code == 200
