"""The learning path answers at most ``limit`` steps from ``offset``, with absolute links."""

import itertools

import pytest

from concepts.models import Concept, Prerequisite
from learning_platform.pagination import LimitOffsetInput

from .factories import ConceptFactory

pytestmark = pytest.mark.django_db

LEARNING_PATH_QUERIES = 4  # versions, concept, ancestry edges, ancestry concepts
URL = "/api/v1/concepts/chain/top/learning-path/"


def chain(length: int, *, drafts: set[int] = frozenset()) -> list[Concept]:
    """c0 ← c1 ← … ← c{length-1} ← top: a path of ``length`` steps to top."""
    concepts = Concept.objects.bulk_create(
        [
            ConceptFactory.build(
                area="chain",
                slug=f"c{i}",
                status=Concept.Status.DRAFT if i in drafts else Concept.Status.PUBLISHED,
            )
            for i in range(length)
        ]
        + [ConceptFactory.build(area="chain", slug="top")]
    )
    concepts = list(Concept.objects.filter(area="chain").order_by("pk"))
    Prerequisite.objects.bulk_create(
        Prerequisite(concept=higher, prerequisite=lower)
        for lower, higher in itertools.pairwise(concepts)
    )
    return concepts


def test_the_default_page_has_the_default_limit_and_a_next_link(anon_client):
    chain(450)
    body = anon_client.get(URL).json()
    assert body["count"] == 450
    assert len(body["steps"]) == LimitOffsetInput.DEFAULT_LIMIT == 200
    assert [step["step"] for step in body["steps"][:2]] == [1, 2]
    assert body["steps"][0]["key"] == "concept:chain/c0"
    assert body["previous"] is None
    assert body["next"] == f"http://testserver{URL}?limit=200&offset=200"


def test_following_the_links_walks_the_whole_path_once(anon_client):
    chain(450)
    whole = anon_client.get(URL, {"limit": 500}).json()
    assert (whole["count"], len(whole["steps"]), whole["next"]) == (450, 450, None)
    url, steps = f"{URL}?limit=120", []
    while url:
        body = anon_client.get(url).json()
        assert body["count"] == 450
        steps += body["steps"]
        url = body["next"]
    assert steps == whole["steps"]


def test_the_last_page(anon_client):
    chain(450)
    body = anon_client.get(URL, {"limit": 200, "offset": 400}).json()
    assert [step["step"] for step in body["steps"]] == list(range(401, 451))
    assert body["next"] is None
    assert body["previous"] == f"http://testserver{URL}?limit=200&offset=200"
    assert body["steps"][-1]["requires"] == ["concept:chain/c448"]
    beyond = anon_client.get(URL, {"offset": 1000}).json()
    assert (beyond["count"], beyond["steps"], beyond["next"]) == (450, [], None)
    assert beyond["previous"] == f"http://testserver{URL}?limit=200&offset=250"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": "x"}, "offset"),
    ],
)
def test_a_bad_limit_or_offset_is_refused_naming_the_field(anon_client, query, field):
    """The cap is enforced: a limit above 500 is a 400, not a silently shorter page."""
    chain(3)
    response = anon_client.get(URL, query)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize(("length", "limit"), [(5, 2), (600, 500)])
def test_the_query_count_does_not_grow_with_the_path_or_the_page(
    anon_client, django_assert_num_queries, length, limit
):
    chain(length)
    with django_assert_num_queries(LEARNING_PATH_QUERIES):
        response = anon_client.get(URL, {"limit": limit, "offset": 1})
    assert len(response.json()["steps"]) == min(limit, length - 1)


def test_hidden_drafts_are_skipped_on_every_page(anon_client, editor_client):
    chain(10, drafts={2, 3, 7})
    body = anon_client.get(URL, {"limit": 3, "offset": 3}).json()
    assert body["count"] == 7
    assert [step["path"] for step in body["steps"]] == ["chain/c5", "chain/c6", "chain/c8"]
    assert body["steps"][2]["requires"] == ["concept:chain/c6"]
    assert anon_client.get(URL, {"limit": 3, "offset": 3}).json()["steps"][0]["requires"] == [
        "concept:chain/c4"
    ]
    first = anon_client.get(URL, {"limit": 3}).json()["steps"]
    assert first[2]["requires"] == ["concept:chain/c1"]  # through the hidden c2 and c3
    assert editor_client.get(URL, {"limit": 3}).json()["count"] == 10
