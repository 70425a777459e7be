"""The pages RLHF builds on, as content/ ships them: Maximum Likelihood, KL Divergence, Policy
Gradient and PPO are published pages with the RLHF page's full shape."""

import ast
import graphlib
import hashlib
import re
import subprocess
import sys
import time

import pytest
from django.core.management import call_command

from claims.models import Badge, Claim
from claims.selectors import NEEDS_REVIEW_LINE, claim_badge
from claims.verification import invariant_for
from concepts.embeds import embed_refs
from concepts.models import Concept, ConceptObject, Prerequisite
from concepts.selectors import concept_page
from demos.catalogue import KINDS, demo_compute

from .conftest import CONTENT

pytestmark = pytest.mark.django_db

PAGES = (
    "statistics/maximum-likelihood",
    "information-theory/kl-divergence",
    "reinforcement-learning/policy-gradient",
    "reinforcement-learning/ppo",
)
# Lines each code witness prints: its results are deterministic, seeded where random.
PRINTED = {
    "statistics/maximum-likelihood": [
        "Bernoulli p_hat = k/n:         0.5833 (7 of 12)",
        "Newton steps to a zero score:  6",
    ],
    "information-theory/kl-divergence": [
        "KL(p || q):                    0.983",
        "KL(q || p):                    1.5479",
        "best bump for reverse KL(q||p): mu = 6.75, sigma = 0.48, KL = 0.6153",
    ],
    "reinforcement-learning/policy-gradient": [
        "b = b*       b = 5.165: max |mean - exact| = 1.63 SE, variance 0.736",
        "after 300 pulls, running-mean baseline: mean J = 5.799",
    ],
    "reinforcement-learning/ppo": [
        "clipped ratios:              [1.317 0.725 1.206 0.752]",
        "clipped KL(old || new):      0.036",
        "unclipped KL(old || new):    2.1875",
    ],
}
AUTHOR = re.compile(r"^[^,]+, [^,]+$")  # "Family, Given"


def pages() -> list[Concept]:
    return [Concept.objects.get(area=p.split("/")[0], slug=p.split("/")[1]) for p in PAGES]


@pytest.fixture
def everything(db):
    """The whole of content/ loaded: concepts, sources and claims."""
    call_command("load_content", verbosity=0)


def test_each_page_has_the_rlhf_pages_shape(loaded):
    """Published; intuition, math, code and demo all ready, the intuition a few paragraphs of
    prose; a Python code witness in the code section and a demo in the demo section; at least
    one misconception."""
    for concept in pages():
        assert concept.status == Concept.Status.PUBLISHED, concept.key
        assert concept.illustration_caption and concept.link_test
        sections = {s.kind: s for s in concept.sections.order_by("order")}
        assert list(sections) == ["intuition", "math", "code", "demo"], concept.key
        assert all(s.ready for s in sections.values())
        paragraphs = [p for p in sections["intuition"].body.split("\n\n") if p.strip()]
        assert len(paragraphs) >= 3, concept.key
        objects = concept.page_objects
        code = objects.get(kind=ConceptObject.Kind.CODE)
        demo = objects.get(kind=ConceptObject.Kind.DEMO)
        assert code.language == "python"
        assert sections["code"].body.startswith(f"{{{{code:{code.anchor}}}}}")
        assert f"{{{{demo:{demo.anchor}}}}}" in sections["demo"].body
        assert objects.filter(kind=ConceptObject.Kind.MISCONCEPTION).count() >= 1


def test_math_sections_show_every_equation_as_display_math(loaded):
    """Each page has several equations, all embedded in its sections, served as $$ blocks."""
    for concept in pages():
        equations = list(concept.page_objects.filter(kind=ConceptObject.Kind.EQUATION))
        assert len(equations) >= 6, concept.key
        embedded = {
            (kind, anchor)
            for section in concept.sections.all()
            for _, kind, anchor in embed_refs(section.body)
        }
        assert {("equation", eq.anchor) for eq in equations} <= embedded, concept.key
        served = {
            s["kind"]: s["body"] for s in concept_page(concept=concept, user=None)["sections"]
        }
        for equation in equations:
            assert f"$$\n{equation.body}\n$$" in served["math"], equation.key
        assert "{{" not in "".join(served.values()), concept.key


def test_code_witnesses_run_in_under_two_seconds_and_print_their_results(loaded):
    """Each code witness imports only NumPy and the standard library, runs as a script in under
    two seconds beyond the interpreter's own start, and prints labelled, reproducible results."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "import numpy"], check=True, timeout=20)
    startup = time.monotonic() - started
    for concept in pages():
        source = concept.page_objects.get(kind=ConceptObject.Kind.CODE).body
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top == "numpy" or top in sys.stdlib_module_names, (concept.key, name)
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", source], capture_output=True, text=True, timeout=20
        )
        elapsed = time.monotonic() - started
        assert done.returncode == 0, (concept.key, done.stderr)
        assert elapsed - startup < 2.0, (concept.key, elapsed, startup)
        lines = done.stdout.splitlines()
        assert len(lines) >= 3 and all(":" in line for line in lines), concept.key
        for expected in PRINTED[concept.path]:
            assert expected in lines, (concept.key, expected, lines)


def test_each_demo_runs_in_its_stored_state_and_shows_its_invariant(loaded):
    """The demo object names a catalogue kind; its stored parameters validate, and the run's
    result satisfies the invariant a claim citing the demo is verified against."""
    for concept in pages():
        demo = concept.page_objects.get(kind=ConceptObject.Kind.DEMO)
        kind = KINDS[demo.demo_kind]
        result = demo_compute(kind.slug, kind.validate(demo.params), lambda fraction: None)
        assert invariant_for(kind.slug).holds(result), demo.key


def test_sources_have_full_records_and_matching_local_snapshots(loaded):
    """Authors as "Family, Given", a year, a venue, a DOI and URL; the snapshot on disk hashes
    to the recorded sha256 and carries the record and a summary."""
    for concept in pages():
        links = list(concept.source_links.select_related("source"))
        assert links and all(link.grounds for link in links), concept.key
        for link in links:
            source = link.source
            assert source.authors and all(AUTHOR.match(name) for name in source.authors)
            assert source.year and source.venue and source.doi and source.url.startswith("https://")
            snapshot = source.snapshots.get()
            on_disk = (CONTENT / "sources" / "snapshots" / f"{source.key}.txt").read_bytes()
            assert snapshot.sha256 == hashlib.sha256(on_disk).hexdigest()
            text = on_disk.decode("utf-8")
            assert source.title in text and source.doi in text
            assert "Summary (written for this platform in its own words" in text


def test_prerequisite_edges_carry_notes_and_the_graph_stays_acyclic(loaded):
    """Every edge into these pages has carry-in and carry-out notes; the whole graph has a
    study order."""
    edges = Prerequisite.objects.select_related("concept", "prerequisite")
    into = [edge for edge in edges if edge.concept.path in PAGES]
    assert {(e.concept.path, e.prerequisite.path) for e in into} >= {
        ("information-theory/kl-divergence", "statistics/maximum-likelihood"),
        ("reinforcement-learning/policy-gradient", "statistics/maximum-likelihood"),
        ("reinforcement-learning/ppo", "reinforcement-learning/policy-gradient"),
        ("reinforcement-learning/ppo", "information-theory/kl-divergence"),
        ("reinforcement-learning/ppo", "alignment/rlhf"),
    }
    assert all(edge.carry_in and edge.carry_out for edge in into)
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.concept.path, set()).add(edge.prerequisite.path)
    order = list(graphlib.TopologicalSorter(graph).static_order())
    assert order.index("statistics/maximum-likelihood") < order.index("alignment/rlhf")
    assert order.index("alignment/rlhf") < order.index("reinforcement-learning/ppo")


def test_claims_are_linked_unreviewed_and_the_page_says_so(everything, anon_client):
    """Each page has a published claim with located sources and equation, code and demo
    witnesses of its own page; none has a review, so each page shows the review-needed line."""
    for concept in pages():
        claims = list(Claim.objects.filter(concept=concept))
        assert claims, concept.key
        for claim in claims:
            assert claim.status == Claim.Status.PUBLISHED
            assert not claim.reviews.exists()
            assert claim_badge(claim=claim) == Badge.UNREVIEWED.value
            located = claim.claim_sources.all()
            assert located and all(link.locator for link in located)
            kinds = {link.concept_object.kind for link in claim.claim_witnesses.all()}
            assert kinds == {"equation", "code", "demo"}
            assert {link.concept_object.concept_id for link in claim.claim_witnesses.all()} == {
                concept.pk
            }
        page = anon_client.get(f"/api/v1/concepts/{concept.path}/").json()
        panel = page["claims"]
        assert panel["summary"]["needs_review_line"] == NEEDS_REVIEW_LINE
        assert [item["badge"] for item in panel["items"]] == ["unreviewed"] * len(claims)


def test_journal_papers_cite_as_journal_articles(loaded, anon_client):
    """Fisher, Kullback–Leibler and Williams are journal articles in CSL-JSON, with the journal
    as container and the DOI; PPO is a paper with its arXiv number."""
    for key in (
        "fisher-1922-mathematical-foundations",
        "kullback-1951-information-sufficiency",
        "williams-1992-reinforce",
    ):
        item = anon_client.get(f"/api/v1/sources/{key}/csl/").json()
        assert item["type"] == "article-journal" and item["DOI"].startswith("10.")
        assert item["author"][0]["family"] in {"Fisher", "Kullback", "Williams"}
    ppo = anon_client.get("/api/v1/sources/schulman-2017-ppo/csl/").json()
    assert ppo["number"] == "arXiv:1707.06347" and len(ppo["author"]) == 5
