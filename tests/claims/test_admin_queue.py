import pytest
from django.test import Client

from claims.models import Claim

from .factories import ClaimFactory, linked_claim, record_review

pytestmark = pytest.mark.django_db

QUEUE = "/admin/claims/claim/review-queue/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def queue_keys(response) -> list[str]:
    return [claim.key for claim, _ in response.context["rows"]]


def test_the_queue_lists_unreviewed_and_stale_claims_longest_waiting_first(reviewer):
    """Unreviewed claims wait from creation, stale ones from the change: reviewed, current and
    retired claims are not in the queue."""
    stale = linked_claim()
    unreviewed = linked_claim()
    current = linked_claim()
    ClaimFactory(status=Claim.Status.RETIRED)
    record_review(stale, reviewer)
    record_review(current, reviewer)
    stale.text = "Changed after its review."
    stale.save()
    response = logged_in(reviewer).get(QUEUE)
    assert response.status_code == 200
    assert queue_keys(response) == [unreviewed.key, stale.key]
    assert [label for _, label in response.context["rows"]] == ["Unreviewed", "Stale"]
    assert current.key not in response.content.decode()


def test_the_claim_list_links_to_the_queue(editor):
    """The claims changelist offers the review queue among its tools."""
    page = logged_in(editor).get("/admin/claims/claim/").content.decode()
    assert f'href="{QUEUE}"' in page


@pytest.mark.parametrize("size", [2, 40])
def test_the_queue_reads_a_constant_number_of_queries(
    reviewer, size, django_assert_max_num_queries
):
    """However many claims wait, the page costs the same queries (the rows' links and latest
    reviews, to say what changed, and the concept filter's choices among them)."""
    for _ in range(size):
        ClaimFactory()
    client = logged_in(reviewer)
    with django_assert_max_num_queries(10):
        response = client.get(QUEUE)
    assert len(response.context["rows"]) == size


def test_learners_and_anonymous_users_cannot_open_the_queue(learner):
    """The queue is an admin page: others are sent to the admin login."""
    for client in (Client(), logged_in(learner)):
        response = client.get(QUEUE)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
