"""The ClaimReview document, expanded by a JSON-LD processor (pyld) offline, has what Google's
fact-check guidelines require, with a url a person can open and an author with a stable id."""

import json
from pathlib import Path

import pytest
from pyld import jsonld

from claims.models import ClaimSource
from claims.selectors import CLAIM_HEADLINE_MAX, claim_headline

from .factories import linked_claim, record_review

pytestmark = pytest.mark.django_db

SCHEMA = "http://schema.org/"
# The terms of schema.org's published context that these documents use (its @vocab and the
# properties it types as IRIs or dates), served from the repository: tests never fetch.
SCHEMAORG_CONTEXT = json.loads(
    (Path(__file__).parent / "data" / "schemaorg-context.jsonld").read_text()
)
SCHEMAORG_URLS = {
    "https://schema.org",
    "https://schema.org/",
    "http://schema.org",
    "http://schema.org/",
    "https://schema.org/docs/jsonldcontext.jsonld",
}
LONG_TEXT = (
    "Preference-based RLHF learns a reward model from human comparisons and optimizes a policy "
    "against it; InstructGPT-style RLHF adds SFT and PPO with a KL penalty to the SFT/reference "
    "policy."
)


def offline_loader(url, options=None):
    if url not in SCHEMAORG_URLS:
        raise AssertionError(f"the JSON-LD processor tried to fetch {url}")
    return {"contextUrl": None, "documentUrl": url, "document": SCHEMAORG_CONTEXT}


def expand(document: dict) -> dict:
    (node,) = jsonld.expand(document, {"documentLoader": offline_loader})
    return node


def values(node: dict, name: str) -> list:
    return node.get(f"{SCHEMA}{name}", [])


def value(node: dict, name: str):
    (only,) = values(node, name)
    return only.get("@value", only.get("@id", only))


@pytest.fixture
def reviewed(reviewer):
    claim = linked_claim(text=LONG_TEXT)
    review = record_review(claim, reviewer, reviewer_label="rita+oracle")
    return claim, review


@pytest.fixture
def document(anon_client, reviewed):
    claim, _ = reviewed
    return anon_client.get(f"/api/v1/claims/{claim.pk}/claim-review.jsonld").json()


def test_expands_with_google_required_properties(document):
    """Expanded, it is a ClaimReview with claimReviewed, reviewRating (with its name) and url."""
    node = expand(document)
    assert node["@type"] == [f"{SCHEMA}ClaimReview"]
    assert value(node, "claimReviewed")
    (rating,) = values(node, "reviewRating")
    assert rating["@type"] == [f"{SCHEMA}Rating"]
    assert value(rating, "ratingValue") == 4 and value(rating, "bestRating") == 4
    assert value(rating, "alternateName") == "Substantively reviewed"
    assert value(node, "url").startswith("http://testserver/claims/")
    assert value(node, "datePublished") and values(node, "author") and values(node, "itemReviewed")


def test_expansion_keeps_every_property(document):
    """No term is dropped on expansion: each property maps into schema.org."""
    node = expand(document)
    compact = {key for key in document if not key.startswith("@")}
    assert {key.removeprefix(SCHEMA) for key in node if not key.startswith("@")} == compact


def test_claim_reviewed_is_short_and_the_full_text_is_kept(document, reviewed):
    """claimReviewed is under 75 characters; the Claim reviewed carries the whole text."""
    claim, _ = reviewed
    node = expand(document)
    short = value(node, "claimReviewed")
    assert len(short) < 75 and len(claim.text) > 75
    assert claim.text.startswith(short.removesuffix("…"))
    (item,) = values(node, "itemReviewed")
    assert item["@type"] == [f"{SCHEMA}Claim"] and value(item, "text") == claim.text


def test_url_is_the_claim_page_a_person_opens(anon_client, document, reviewed):
    """url opens an HTML page showing the claim, its sources and the review it points to."""
    claim, review = reviewed
    url = value(expand(document), "url")
    page_url, _, anchor = url.partition("#")
    response = anon_client.get(page_url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f'id="{anchor}"' in html and anchor == f"review-{review.sequence}"
    assert claim.text in html and review.summary in html and review.scope_excludes in html
    titles = ClaimSource.objects.filter(claim=claim).values_list("source__title", flat=True)
    assert len(titles) == 2 and all(title in html for title in titles)


def test_author_is_a_person_with_a_stable_id_that_opens(anon_client, document, reviewed):
    """The author is a Person whose @id is the reviewer's page, named by the signed identity."""
    _, review = reviewed
    (author,) = values(expand(document), "author")
    assert author["@type"] == [f"{SCHEMA}Person"]
    assert author["@id"] == f"http://testserver/reviewers/{review.reviewer_uid}/"
    assert value(author, "identifier") == f"urn:uuid:{review.reviewer_uid}"
    assert value(author, "name") == "rita+oracle"
    page = anon_client.get(author["@id"])
    assert page.status_code == 200 and "rita+oracle" in page.content.decode()


def test_the_id_survives_a_rename_of_the_account(anon_client, reviewed, reviewer):
    """Renaming the reviewer's account changes neither the author's @id nor its name."""
    claim, _ = reviewed
    url = f"/api/v1/claims/{claim.pk}/claim-review.jsonld"
    before = anon_client.get(url).json()["author"]
    reviewer.username = "renamed"
    reviewer.save()
    assert anon_client.get(url).json()["author"] == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Short claims stay whole.", "Short claims stay whole."),
        (LONG_TEXT, "Preference-based RLHF learns a reward model from human comparisons and…"),
        (
            "KL is never negative. It is zero exactly when the two distributions agree everywhere.",
            "KL is never negative",
        ),
        ("x" * 200, "x" * (CLAIM_HEADLINE_MAX - 1) + "…"),
    ],
)
def test_claim_headline_is_the_claims_own_words_under_75(text, expected):
    """The short statement is a sentence, clause or word-boundary prefix of the claim."""
    assert claim_headline(text) == expected and len(expected) <= CLAIM_HEADLINE_MAX
