"""Cached concept reads: every door that changes an answer changes the next read, a 304 is
answered from the versions alone, and no audience is served another's answer."""

import gzip

import pytest
from django.test import Client

from concepts.models import Concept
from concepts.services import prerequisite_add

from .factories import ConceptFactory, PrerequisiteFactory
from .test_admin import change_data, change_url
from .test_content import RLHF, edit, load

pytestmark = pytest.mark.django_db

PAGE = "/api/v1/concepts/{}/"
PATH = "/api/v1/concepts/{}/learning-path/"
LIST = "/api/v1/concepts/"


def graph():
    """b builds on a; c is a draft that a builds on."""
    a = ConceptFactory(area="t", slug="a", title="Alpha")
    b = ConceptFactory(area="t", slug="b", title="Beta")
    c = ConceptFactory(area="t", slug="c", title="Draft Gamma", status=Concept.Status.DRAFT)
    PrerequisiteFactory(concept=b, prerequisite=a)
    PrerequisiteFactory(concept=a, prerequisite=c)
    return a, b, c


def test_a_repeated_read_is_one_query_and_the_same_bytes(anon_client, django_assert_num_queries):
    _a, b, _ = graph()
    first = anon_client.get(PAGE.format(b.path))
    assert first.status_code == 200
    with django_assert_num_queries(1):  # the versions
        second = anon_client.get(PAGE.format(b.path))
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Content-Type"] == first["Content-Type"] == "application/json"


@pytest.mark.parametrize("url", [PAGE, PATH, LIST])
def test_if_none_match_is_a_304_from_the_versions_alone(
    anon_client, django_assert_num_queries, url
):
    _, b, _ = graph()
    target = url.format(b.path) if "{}" in url else url
    first = anon_client.get(target)
    etag = first["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first["Cache-Control"] == "public, no-cache"
    assert "Last-Modified" in first
    with django_assert_num_queries(1):
        again = anon_client.get(target, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    # A stale tag gets the whole answer.
    assert anon_client.get(target, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_signed_in_answers_are_private(learner_client):
    _, b, _ = graph()
    response = learner_client.get(PAGE.format(b.path))
    assert response["Cache-Control"] == "private, no-cache"
    assert {"Accept", "Authorization", "Cookie"} <= {
        part.strip() for part in response["Vary"].split(",")
    }


def test_service_write_shows_on_the_next_read_of_page_path_and_list(anon_client):
    _a, b, _ = graph()
    d = ConceptFactory(area="t", slug="d", title="Delta")
    page = anon_client.get(PAGE.format(b.path))
    path = anon_client.get(PATH.format(b.path))
    listing = anon_client.get(LIST)
    prerequisite_add(concept=b, prerequisite=d, carry_in="Bring delta.")
    new_page = anon_client.get(PAGE.format(b.path))
    assert new_page["ETag"] != page["ETag"]
    assert "Delta" in [item["title"] for item in new_page.json()["learning_map"]["before"]]
    assert "Delta" in [
        step["title"] for step in anon_client.get(PATH.format(b.path)).json()["steps"]
    ]
    assert path.json()["count"] + 1 == anon_client.get(PATH.format(b.path)).json()["count"]
    Concept.objects.filter(pk=d.pk).update(title="Delta renamed")
    titles = [item["title"] for item in anon_client.get(LIST).json()["results"]]
    assert "Delta renamed" in titles and listing.status_code == 200


def test_admin_save_shows_on_the_next_read(editor, anon_client):
    _, b, _ = graph()
    assert anon_client.get(PAGE.format(b.path)).json()["summary"] != "Edited in the admin."
    admin = Client()
    admin.force_login(editor)
    data = change_data(b)
    data["summary"] = "Edited in the admin."
    assert admin.post(change_url(b), data).status_code == 302
    assert anon_client.get(PAGE.format(b.path)).json()["summary"] == "Edited in the admin."
    assert "Edited in the admin." in [
        item["summary"] for item in anon_client.get(LIST).json()["results"]
    ]


def test_loader_write_shows_on_the_next_read(content_copy, anon_client):
    load(content_copy)
    url = PAGE.format("alignment/rlhf")
    before = anon_client.get(url).json()
    math = next(s for s in before["sections"] if s["kind"] == "math")
    assert "unpacks both witnesses" not in math["body"]
    edit(
        content_copy / RLHF / "sections" / "02-math.md",
        "The rest of this section unpacks those two witnesses.",
        "The rest of this section unpacks both witnesses.",
    )
    load(content_copy)
    after = anon_client.get(url).json()
    math = next(s for s in after["sections"] if s["kind"] == "math")
    assert "unpacks both witnesses" in math["body"]


@pytest.mark.parametrize("editor_first", [True, False], ids=["editor-first", "learner-first"])
def test_no_audience_gets_an_answer_cached_for_another(editor_client, learner_client, editor_first):
    """The editor's map shows the draft prerequisite; the learner's never does, in either order."""
    a, _, _ = graph()
    url = PAGE.format(a.path)
    readers = [editor_client, learner_client] if editor_first else [learner_client, editor_client]
    bodies = {id(client): client.get(url) for client in readers for _ in range(2)}
    editor_body = bodies[id(editor_client)]
    learner_body = bodies[id(learner_client)]
    assert b"Draft Gamma" in editor_body.content
    assert b"Draft Gamma" not in learner_body.content
    assert editor_body["ETag"] != learner_body["ETag"]
    # Nor does a learner's If-None-Match with the editor's tag get a 304.
    assert learner_client.get(url, HTTP_IF_NONE_MATCH=editor_body["ETag"]).status_code == 200


def test_a_cache_that_is_down_costs_speed_not_the_answer(anon_client, monkeypatch):
    _, b, _ = graph()

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr("learning_platform.caching.cache.get", down)
    monkeypatch.setattr("learning_platform.caching.cache.set", down)
    response = anon_client.get(PAGE.format(b.path))
    assert response.status_code == 200
    assert response.json()["key"] == b.key


def test_a_changed_setting_changes_the_tag(anon_client, settings):
    _, b, _ = graph()
    before = anon_client.get(PAGE.format(b.path))["ETag"]
    settings.SITE_NAME = "Another site"
    assert anon_client.get(PAGE.format(b.path))["ETag"] != before


def test_large_answers_are_compressed_for_clients_that_accept_it(anon_client):
    _, b, _ = graph()
    plain = anon_client.get(PAGE.format(b.path))
    packed = anon_client.get(PAGE.format(b.path), HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    # The compressed answer's tag is weak, and still revalidates.
    assert packed["ETag"] == "W/" + plain["ETag"]
    again = anon_client.get(
        PAGE.format(b.path), HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"]
    )
    assert again.status_code == 304


def test_the_browsable_api_is_not_cached(anon_client):
    _, b, _ = graph()
    response = anon_client.get(PAGE.format(b.path), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "ETag" not in response
