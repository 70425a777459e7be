"""The preference-learning pages in content/: Bradley–Terry, DPO and reward hacking, in full."""

import contextlib
import io
import time

import pytest
from django.core.management import call_command

from claims.models import Claim
from concepts.models import Concept, ConceptObject, Prerequisite
from concepts.selectors import concept_page
from demos.catalogue import demo_kind_get

pytestmark = pytest.mark.django_db

# Each page's demo kind, and a line its code witness must print.
PAGES = {
    "statistics/bradley-terry-model": ("bradley-terry", "MM and Newton agree:      True"),
    "alignment/dpo": ("dpo", "same policy:                  True"),
    "alignment/reward-hacking": ("overoptimization", "  proxy never falls as KL grows: True"),
}


def page_of(path: str) -> Concept:
    area, slug = path.split("/")
    return Concept.objects.get(area=area, slug=slug)


def test_each_page_is_published_in_full(loaded):
    """Published; intuition, math, code and demo all ready and embedding the page's objects;
    several equations, misconceptions, and a demo whose stored state its kind accepts."""
    for path, (kind, _) in PAGES.items():
        concept = page_of(path)
        assert concept.status == Concept.Status.PUBLISHED
        served = concept_page(concept=concept, user=None)
        assert served["readiness"]["label"] == "4/4 sections ready"
        sections = {section["kind"]: section["body"] for section in served["sections"]}
        assert list(sections) == ["intuition", "math", "code", "demo"]
        objects = ConceptObject.objects.filter(concept=concept)
        equations = objects.filter(kind="equation")
        assert equations.count() >= 6
        for equation in equations:
            assert f"$$\n{equation.body}\n$$" in sections["math"], equation.key
        code = objects.get(kind="code")
        assert f"```python\n{code.body}```" in sections["code"]
        demo = objects.get(kind="demo")
        assert demo.body in sections["demo"] and demo.demo_kind == kind
        assert demo_kind_get(kind).validate(demo.params)
        assert objects.filter(kind="misconception").count() >= 2


def test_each_code_witness_runs_quickly_and_prints_labelled_results(loaded):
    """The code imports NumPy alone, runs in well under 2 s, and ends by printing labelled
    results, including the check it exists to show."""
    for path, (_, line) in PAGES.items():
        code = ConceptObject.objects.get(concept=page_of(path), kind="code")
        imports = {text.split()[1] for text in code.body.splitlines() if text.startswith("import ")}
        assert imports == {"numpy"} and "\nfrom " not in code.body
        out = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(out):
            exec(compile(code.body, code.key, "exec"), {"__name__": "__main__"})
        assert time.perf_counter() - started < 2.0
        printed = out.getvalue().splitlines()
        assert len(printed) >= 5 and all(":" in text for text in printed)
        assert line in printed, (path, printed)


def test_the_pages_are_linked_and_their_claims_unreviewed(db):
    """DPO builds on RLHF and on Bradley–Terry, reward hacking on RLHF, Bradley–Terry on maximum
    likelihood, each edge with notes both ways; every page's claim cites located sources and
    its own equation, code and demo, and carries no review."""
    call_command("load_content", verbosity=0)
    edges = {
        (edge.concept.slug, edge.prerequisite.slug): edge
        for edge in Prerequisite.objects.select_related("concept", "prerequisite")
    }
    for pair in [
        ("dpo", "rlhf"),
        ("dpo", "bradley-terry-model"),
        ("reward-hacking", "rlhf"),
        ("bradley-terry-model", "maximum-likelihood"),
    ]:
        assert edges[pair].carry_in and edges[pair].carry_out, pair
    for path in PAGES:
        concept = page_of(path)
        claim = Claim.objects.get(concept=concept)
        assert all(link.locator for link in claim.claim_sources.all())
        witnesses = [link.concept_object for link in claim.claim_witnesses.all()]
        assert {obj.concept_id for obj in witnesses} == {concept.pk}
        assert {obj.kind for obj in witnesses} >= {"equation", "code", "demo"}
        assert not claim.reviews.exists()


def test_the_pages_sources_cite_with_their_records(loaded, anon_client):
    """Bradley & Terry and Hunter are journal articles with their DOIs; the DPO, overoptimisation
    and Goodhart papers carry their arXiv DOIs, and the Goodhart preprint its arXiv number;
    every author is "Family, Given"."""
    for key, family in (
        ("bradley-terry-1952-paired-comparisons", "Bradley"),
        ("hunter-2004-mm-bradley-terry", "Hunter"),
    ):
        item = anon_client.get(f"/api/v1/sources/{key}/csl/").json()
        assert item["type"] == "article-journal" and item["DOI"].startswith("10.")
        assert item["author"][0]["family"] == family
    for key, arxiv_id, number, authors in (
        ("rafailov-2023-dpo", "2305.18290", None, 6),
        ("gao-2023-reward-overoptimization", "2210.10760", None, 3),
        ("manheim-2018-goodhart-variants", "1803.04585", "arXiv:1803.04585", 2),
    ):
        item = anon_client.get(f"/api/v1/sources/{key}/csl/").json()
        assert item["DOI"] == f"10.48550/arXiv.{arxiv_id}" and item.get("number") == number
        assert len(item["author"]) == authors
        assert all(author["family"] and author["given"] for author in item["author"])
