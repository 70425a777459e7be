import pytest

from concepts.models import Concept
from learning_platform import pages

from .factories import ConceptFactory, ConceptObjectFactory, SectionFactory
from .test_api import PAGE_QUERIES, RLHF_URL, big_page

pytestmark = pytest.mark.django_db


def test_render_html_adds_a_rendered_form_of_each_section_and_object(loaded, anon_client):
    """?render=html gives every section and object of the RLHF page its HTML, with MathML for
    each equation and no error."""
    page = anon_client.get(f"{RLHF_URL}?render=html").json()
    math = next(section for section in page["sections"] if section["kind"] == "math")
    assert math["rendered"]["html"].count('<math xmlns="http://www.w3.org/1998/Math/MathML"') > 15
    assert math["rendered"]["errors"] == []
    demo = next(section for section in page["sections"] if section["kind"] == "demo")
    assert "<math" in demo["rendered"]["section_prompt_html"]
    equations = [obj for obj in page["objects"] if obj["kind"] == "equation"]
    assert len(equations) == 15
    for obj in equations:
        assert obj["rendered"]["html"].startswith('<div class="equation"><math'), obj["key"]
        assert obj["rendered"]["errors"] == [], obj["key"]
    code = next(obj for obj in page["objects"] if obj["kind"] == "code")
    assert '<pre><code class="language-python">import numpy as np' in code["rendered"]["html"]


def test_without_render_the_page_has_no_rendered_form(loaded, anon_client):
    """The default page is unchanged: the Markdown and LaTeX as written, no rendered field."""
    page = anon_client.get(RLHF_URL).json()
    assert all("rendered" not in section for section in page["sections"])
    assert all("rendered" not in obj for obj in page["objects"])


def test_an_equation_that_does_not_parse_is_served_with_its_key_and_position(anon_client):
    """A broken equation is served as an error in place, with its key, line and column, in
    the object and in every section that embeds it."""
    concept = ConceptFactory(area="a", slug="b", status=Concept.Status.PUBLISHED)
    section = SectionFactory(concept=concept, kind="math", body="{{equation:gap}}\n")
    ConceptObjectFactory(
        concept=concept,
        section=section,
        kind="equation",
        anchor="gap",
        body=r"\Delta = \fracc{a}{b}",
    )
    page = anon_client.get("/api/v1/concepts/a/b/?render=html").json()
    expected = {
        "key": "equation:a/b#gap",
        "field": "body",
        "line": 1,
        "column": 10,
        "offset": 9,
        "message": r"unknown command \fracc",
    }
    assert page["objects"][0]["rendered"]["errors"] == [expected]
    assert page["sections"][0]["rendered"]["errors"] == [expected]
    assert 'class="render-error"' in page["sections"][0]["rendered"]["html"]


@pytest.mark.parametrize("value", ["pdf", "", "HTML"])
def test_an_unknown_render_value_is_400_naming_the_field(anon_client, value):
    """Only ?render=html is known; anything else is a 400 on the render field."""
    ConceptFactory(area="a", slug="b", status=Concept.Status.PUBLISHED)
    response = anon_client.get(f"/api/v1/concepts/a/b/?render={value}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["render"]


def test_rendered_and_plain_pages_are_cached_apart(loaded, anon_client, django_assert_num_queries):
    """Each form has its own ETag and cached bytes; a repeat of either is one query."""
    plain = anon_client.get(RLHF_URL)
    rendered = anon_client.get(f"{RLHF_URL}?render=html")
    assert plain["ETag"] != rendered["ETag"]
    with django_assert_num_queries(1):
        again = anon_client.get(f"{RLHF_URL}?render=html")
    assert again.content == rendered.content and again["ETag"] == rendered["ETag"]
    revalidated = anon_client.get(f"{RLHF_URL}?render=html", HTTP_IF_NONE_MATCH=rendered["ETag"])
    assert revalidated.status_code == 304
    assert anon_client.get(RLHF_URL, HTTP_IF_NONE_MATCH=rendered["ETag"]).status_code == 200


def test_a_rendered_page_costs_the_queries_of_a_plain_one(
    anon_client, django_assert_max_num_queries, monkeypatch
):
    """Rendering 200 objects adds no query to the page's fixed number."""
    monkeypatch.setattr(pages, "_SECTIONS", {})
    big_page()
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = anon_client.get("/api/v1/concepts/big/page/?render=html")
    assert response.status_code == 200
    assert all("rendered" in obj for obj in response.json()["objects"])


def test_the_schema_documents_render_and_the_rendered_forms(anon_client):
    """The OpenAPI schema names the render parameter, its one value, and the rendered shapes."""
    schema = anon_client.get("/api/schema/?format=json").json()
    detail = schema["paths"]["/api/v1/concepts/{area}/{slug}/"]["get"]
    [render] = [p for p in detail["parameters"] if p["name"] == "render"]
    assert render["schema"]["enum"] == ["html"]
    assert "400" in detail["responses"]
    components = schema["components"]["schemas"]
    assert "rendered" in components["ConceptSection"]["properties"]
    assert "rendered" not in components["ConceptSection"]["required"]
    assert set(components["RenderError"]["properties"]) == {
        "key",
        "field",
        "line",
        "column",
        "offset",
        "message",
    }
