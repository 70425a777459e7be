import re
from pathlib import Path

import citeproc
import pytest
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON

from .factories import ConceptFactory, ConceptSourceFactory, SourceFactory

pytestmark = pytest.mark.django_db

CSL = "application/vnd.citationstyles.csl+json"
RLHF_BIBLIOGRAPHY = "/api/v1/concepts/alignment/rlhf/bibliography/"
BIBLIOGRAPHY_QUERIES = 2  # concept, its sources


def render_with_citeproc(items: list[dict]) -> list[str]:
    """Render CSL-JSON with citeproc-py's bundled Harvard style, as a reference manager would."""
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    return [str(entry) for entry in bibliography.bibliography()]


# The CSL schema's own lists of item types and variables, as citeproc-py ships them.
CSL_SCHEMA = Path(citeproc.__file__).parent / "data" / "schema" / "schemas" / "styles"


def _csl_names(file: str) -> set[str]:
    return set(re.findall(r'"([A-Za-z][A-Za-z-]*)"', (CSL_SCHEMA / file).read_text()))


def test_every_item_uses_only_csl_types_and_variables(loaded, anon_client):
    """Each item's type and every field are ones the CSL schema defines, in the CSL-JSON forms:
    names as family/given (or literal), dates as date-parts."""
    types, variables = _csl_names("csl-types.rnc"), _csl_names("csl-variables.rnc")
    assert {"article", "paper-conference", "DOI", "URL", "publisher", "number"} <= types | variables
    for item in anon_client.get("/api/v1/bibliography/").json():
        assert item["type"] in types, item["id"]
        assert set(item) - {"id", "type"} <= variables, item["id"]
        assert all(set(name) <= {"family", "given", "literal"} for name in item["author"])
        assert isinstance(item["issued"]["date-parts"][0][0], int)


def test_registry_is_one_csl_json_array(loaded, anon_client):
    """/bibliography/ answers every source as one CSL-JSON array with the CSL media type."""
    response = anon_client.get("/api/v1/bibliography/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(CSL)
    items = response.json()
    assert isinstance(items, list) and len(items) == 11
    assert {item["id"] for item in items} >= {"ouyang-2022-instructgpt", "schulman-2017-ppo"}
    assert all(item["title"] and item["author"] and item["issued"] for item in items)


def test_every_source_renders_with_every_field_in_citeproc(loaded, anon_client):
    """citeproc-py renders each registry item with its authors, year, title, venue and DOI."""
    items = anon_client.get("/api/v1/bibliography/").json()
    entries = render_with_citeproc(items)
    assert len(entries) == len(items)
    for item in items:
        (entry,) = [text for text in entries if item["title"] in text]
        assert item["author"][0]["family"] in entry
        assert f"({item['issued']['date-parts'][0][0]})" in entry
        assert f"https://doi.org/{item['DOI']}" in entry
        assert (item.get("container-title") or item["publisher"]) in entry


def test_journal_articles_cite_volume_issue_and_pages_never_as_preprints(loaded, anon_client):
    """A journal venue is split into CSL's fields, so the style prints "Biometrika, 39(3/4),
    pp. 324–345" instead of the whole venue followed by "[Preprint]"."""
    item = anon_client.get("/api/v1/sources/bradley-terry-1952-paired-comparisons/csl/").json()
    assert item["type"] == "article-journal"
    assert (item["container-title"], item["volume"], item["issue"], item["page"]) == (
        "Biometrika",
        "39",
        "3/4",
        "324–345",
    )
    fisher = anon_client.get("/api/v1/sources/fisher-1922-mathematical-foundations/csl/").json()
    assert fisher["container-title"].endswith("Series A") and "issue" not in fisher
    assert (fisher["volume"], fisher["page"]) == ("222", "309–368")
    items = anon_client.get("/api/v1/bibliography/").json()
    journals = [item for item in items if item["type"] == "article-journal"]
    assert len(journals) == 5
    entries = render_with_citeproc(journals)
    assert all("Preprint" not in entry for entry in entries)
    assert any("Biometrika, 39(3/4), pp. 324–345." in entry for entry in entries)


def test_a_venue_in_another_form_stays_whole(anon_client):
    """A journal venue without a volume and pages is kept as its container-title."""
    SourceFactory(key="odd-venue-2020", kind="article", venue="Journal of Examples, special issue")
    item = anon_client.get("/api/v1/sources/odd-venue-2020/csl/").json()
    assert item["container-title"] == "Journal of Examples, special issue"
    assert "volume" not in item and "page" not in item


def test_published_arxiv_papers_cite_their_venue_not_an_article_number(loaded, anon_client):
    """A NeurIPS paper on arXiv keeps its arXiv id in the DOI and URL, never in `number`, so
    no style prints "Article arXiv:…"."""
    item = anon_client.get("/api/v1/sources/ouyang-2022-instructgpt/csl/").json()
    assert item["type"] == "paper-conference" and "number" not in item
    assert item["container-title"].startswith("Advances in Neural Information Processing")
    assert item["DOI"] == "10.48550/arXiv.2203.02155"
    assert item["URL"] == "https://arxiv.org/abs/2203.02155"
    (entry,) = render_with_citeproc([item])
    assert "arXiv:2203.02155" not in entry and "Article" not in entry
    assert "Advances in Neural Information Processing Systems 35" in entry


def test_arxiv_preprints_cite_as_articles_published_by_arxiv(loaded, anon_client):
    """A preprint is an `article` published by arXiv, numbered by its arXiv id."""
    item = anon_client.get("/api/v1/sources/schulman-2017-ppo/csl/").json()
    assert item["type"] == "article" and item["publisher"] == "arXiv"
    assert item["number"] == "arXiv:1707.06347" and "container-title" not in item
    assert item["DOI"] == "10.48550/arXiv.1707.06347"
    (entry,) = render_with_citeproc([item])
    assert "Proximal Policy Optimization Algorithms" in entry and "arXiv" in entry


def test_an_arxiv_id_without_a_doi_gets_the_arxiv_doi(anon_client):
    """arXiv assigns every paper the DOI 10.48550/arXiv.<id>; the item carries it."""
    SourceFactory(key="bare-preprint", venue="", arxiv_id="2401.00001")
    item = anon_client.get("/api/v1/sources/bare-preprint/csl/").json()
    assert item["DOI"] == "10.48550/arXiv.2401.00001" and item["publisher"] == "arXiv"


def test_concept_bibliography_lists_its_sources_in_page_order(loaded, anon_client):
    """A concept's bibliography is the CSL-JSON of the sources its page cites, in order."""
    page = anon_client.get("/api/v1/concepts/alignment/rlhf/").json()
    response = anon_client.get(RLHF_BIBLIOGRAPHY)
    assert response.status_code == 200 and response["Content-Type"].startswith(CSL)
    assert [item["id"] for item in response.json()] == [row["key"] for row in page["sources"]]
    assert page["links"]["bibliography"] == f"http://testserver{RLHF_BIBLIOGRAPHY}"


def test_concept_bibliography_renders_as_html_and_text(loaded, anon_client):
    """?format=html and ?format=text answer what citeproc-py renders from the CSL-JSON."""
    items = anon_client.get(RLHF_BIBLIOGRAPHY).json()
    text = anon_client.get(f"{RLHF_BIBLIOGRAPHY}?format=text")
    assert text["Content-Type"].startswith("text/plain")
    assert text.content.decode().splitlines() == render_with_citeproc(items)
    html = anon_client.get(f"{RLHF_BIBLIOGRAPHY}?format=html")
    assert html["Content-Type"].startswith("text/html")
    body = html.content.decode()
    assert body.startswith('<ol class="bibliography"><li>') and body.count("<li>") == len(items)
    assert "<i>Advances in Neural Information Processing Systems 35" in body


def test_rendered_titles_are_escaped(anon_client):
    """A title with markup is escaped in the HTML bibliography."""
    concept = ConceptFactory(area="a", slug="b")
    ConceptSourceFactory(concept=concept, source=SourceFactory(title="<script>x</script>"))
    body = anon_client.get("/api/v1/concepts/a/b/bibliography/?format=html").content.decode()
    assert "<script>" not in body and "&lt;script&gt;" in body


def test_unpublished_concept_bibliography_is_404_for_learners(anon_client, editor_client):
    """Nobody but editors and reviewers learns an unpublished page's sources."""
    concept = ConceptFactory(area="a", slug="hidden", status="draft")
    ConceptSourceFactory(concept=concept)
    url = "/api/v1/concepts/a/hidden/bibliography/"
    assert anon_client.get(url).status_code == 404
    assert anon_client.get(f"{url}?format=text").status_code == 404
    assert len(editor_client.get(url).json()) == 1


@pytest.mark.parametrize("size", [1, 30])
def test_concept_bibliography_query_count_is_constant(anon_client, django_assert_num_queries, size):
    """A bibliography of 1 or 30 sources costs the same queries."""
    concept = ConceptFactory(area="a", slug="b")
    for order in range(size):
        ConceptSourceFactory(concept=concept, order=order)
    with django_assert_num_queries(BIBLIOGRAPHY_QUERIES):
        assert len(anon_client.get("/api/v1/concepts/a/b/bibliography/").json()) == size


@pytest.mark.parametrize("size", [1, 30])
def test_registry_csl_query_count_is_constant(anon_client, django_assert_num_queries, size):
    """The registry's CSL-JSON costs one query for 1 or 30 sources."""
    for _ in range(size):
        SourceFactory()
    with django_assert_num_queries(1):
        assert len(anon_client.get("/api/v1/bibliography/").json()) == size
