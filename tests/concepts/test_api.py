import hashlib
import itertools

import pytest

from concepts.models import Concept, Prerequisite
from learning_platform import pages

from ..claims.factories import ClaimFactory
from .conftest import CONTENT, seed_learner_texts
from .factories import (
    ConceptFactory,
    ConceptObjectFactory,
    ConceptSourceFactory,
    PrerequisiteFactory,
    RelatedLinkFactory,
    SectionFactory,
    SourceFactory,
    SourceSnapshotFactory,
)

pytestmark = pytest.mark.django_db

RLHF_URL = "/api/v1/concepts/alignment/rlhf/"
# The concept page's own reads: the state versions its answer is cached under, concept,
# sections, objects, edges (before and next), related, sources, snapshots, practice hints.
# Sections registered by other apps add their own constant number on top.
PAGE_QUERIES = 9
PAGE_QUERIES_WITH_REGISTERED_SECTIONS = 17
LIST_QUERIES = 3  # versions, count, page
LEARNING_PATH_QUERIES = 4  # versions, concept, ancestry edges, ancestry concepts


@pytest.fixture
def no_registered_sections(monkeypatch):
    monkeypatch.setattr(pages, "_SECTIONS", {})


def big_page() -> Concept:
    concept = ConceptFactory(area="big", slug="page")
    for order, kind in enumerate(["intuition", "math", "code", "demo"], start=1):
        SectionFactory(concept=concept, kind=kind, order=order)
    for index in range(200):
        trait = ("code", "demo", "misconception", None)[index % 4]
        ConceptObjectFactory(concept=concept, **({trait: True} if trait else {}))
    for _ in range(50):
        PrerequisiteFactory(concept=concept)
        link = ConceptSourceFactory(concept=concept)
        SourceSnapshotFactory(source=link.source)
        SourceSnapshotFactory(source=link.source)  # only the newest one is served
    for _ in range(10):
        PrerequisiteFactory(prerequisite=concept)
        RelatedLinkFactory(concept=concept)
    return concept


# List ----------------------------------------------------------------------------------------


def test_list_shows_published_only_to_anonymous_and_learners(anon_client, learner_client):
    """Drafts, in-review and retired concepts are hidden from anonymous users and learners."""
    ConceptFactory(title="Shown")
    for status in ("draft", "in_review", "retired"):
        ConceptFactory(status=status, title=f"Hidden {status}")
    for client in (anon_client, learner_client):
        body = client.get("/api/v1/concepts/").json()
        assert [row["title"] for row in body["results"]] == ["Shown"]


def test_editors_also_see_drafts_and_can_filter_by_status(editor_client):
    """An editor lists every status and may filter on it."""
    ConceptFactory(title="Published")
    ConceptFactory(status="draft", title="Draft")
    assert editor_client.get("/api/v1/concepts/").json()["count"] == 2
    body = editor_client.get("/api/v1/concepts/?status=draft").json()
    assert [row["title"] for row in body["results"]] == ["Draft"]


def test_list_filters_area_difficulty_importance(anon_client):
    """area, difficulty and importance narrow the list."""
    ConceptFactory(area="alignment", difficulty=4, importance="important", title="A")
    ConceptFactory(area="alignment", difficulty=2, importance="core", title="B")
    ConceptFactory(area="statistics", difficulty=4, importance="important", title="C")

    def titles(query):
        return [
            row["title"] for row in anon_client.get(f"/api/v1/concepts/?{query}").json()["results"]
        ]

    assert titles("area=alignment") == ["A", "B"]
    assert titles("difficulty=4") == ["A", "C"]
    assert titles("importance=core") == ["B"]
    assert titles("area=alignment&difficulty=4") == ["A"]


def test_list_searches_title_and_summary(anon_client):
    """search matches words in the title or the one-line summary, case-insensitively."""
    ConceptFactory(title="Direct Preference Optimization", summary="Fits preferences directly.")
    ConceptFactory(title="KL Divergence", summary="Extra log-loss for using q where p is true.")
    found = anon_client.get("/api/v1/concepts/?search=preference").json()["results"]
    assert [row["title"] for row in found] == ["Direct Preference Optimization"]
    found = anon_client.get("/api/v1/concepts/?search=LOG-LOSS").json()["results"]
    assert [row["title"] for row in found] == ["KL Divergence"]


def test_list_rejects_a_bad_filter_value_per_field(anon_client):
    """An unknown importance is a 400 naming the field."""
    response = anon_client.get("/api/v1/concepts/?importance=vital")
    assert response.status_code == 400
    assert "importance" in response.json()["errors"]


def test_list_rows_carry_keys_and_links(anon_client):
    """Each row has its object key, path and detail URL; the list is paginated."""
    ConceptFactory(area="alignment", slug="rlhf")
    body = anon_client.get("/api/v1/concepts/").json()
    assert {"count", "next", "previous", "results"} <= set(body)
    row = body["results"][0]
    assert row["key"] == "concept:alignment/rlhf"
    assert row["url"] == "http://testserver/api/v1/concepts/alignment/rlhf/"


@pytest.mark.parametrize("size", [1, 60])
def test_list_query_count_is_constant(anon_client, django_assert_max_num_queries, size):
    """One page of the list costs the same number of queries for 1 or 60 concepts."""
    ConceptFactory.create_batch(size)
    with django_assert_max_num_queries(LIST_QUERIES):
        assert anon_client.get("/api/v1/concepts/").status_code == 200


# Detail of the real page ------------------------------------------------------------------------


def test_detail_serves_the_whole_rlhf_page(loaded, anon_client):
    """Metadata, readiness, four sections with their texts, and the LaTeX verbatim."""
    page = anon_client.get(RLHF_URL).json()
    assert page["key"] == "concept:alignment/rlhf"
    assert page["title"] == "RLHF: Reward Modeling + KL-Regularized Policy Optimization"
    assert page["area_title"] == "Alignment"
    assert (page["status"], page["importance"], page["difficulty"]) == ("published", "important", 4)
    assert (page["math_level"], page["read_minutes"]) == ("undergraduate", 20)
    assert page["live_demo"] is True
    assert page["readiness"]["label"] == "4/4 sections ready"
    sections = {section["kind"]: section for section in page["sections"]}
    assert list(sections) == ["intuition", "math", "code", "demo"]
    assert sections["intuition"]["number"] == "01"
    assert (
        sections["intuition"]["summary"]
        == "Start with the picture, metaphor, or geometric mechanism."
    )
    assert sections["intuition"]["prompt"] == (
        "Build the mental picture first so the rest of the page has something to attach to."
    )
    assert sections["intuition"]["section_prompt"].startswith(
        "Canonical sources: Christiano et al."
    )
    assert sections["demo"]["title"] == "Interactive Demo"
    math = sections["math"]["body"]
    assert r"\Delta_\phi(x,y_w,y_\ell) = r_\phi(x,y_w)-r_\phi(x,y_\ell)" in math
    assert (
        r"\pi^*(y\mid x) = \frac{ \pi_{\mathrm{ref}}(y\mid x)\exp(r_\phi(x,y)/\beta) }{ Z(x) }."
        in math
    )
    assert "### PPO is the optimizer, not the definition" in math


def test_detail_serves_the_code_witness_verbatim(loaded, anon_client):
    """The code object and the code section carry the page's code exactly."""
    page = anon_client.get(RLHF_URL).json()
    code = next(obj for obj in page["objects"] if obj["kind"] == "code")
    assert code["key"] == "code:alignment/rlhf#reward-model-and-policy"
    assert code["language"] == "python"
    assert (
        "    r -= r.mean()  # choose one representative of the shift-equivalence class"
        in code["body"]
    )
    assert 'print("reference policy:             ", np.round(pi_ref, 3))' in code["body"]
    code_section = next(s for s in page["sections"] if s["kind"] == "code")
    assert code["body"] in code_section["body"]


def test_detail_serves_the_pages_learner_texts_verbatim(loaded, anon_client):
    """The panels' texts (practice, storyboard, visual inquiry, after the first pass, research
    room) are served exactly as the seed page prints them, hints as teasers only."""
    page = anon_client.get(RLHF_URL).json()
    assert page["learner"] == seed_learner_texts()
    hidden = Concept.objects.get(slug="rlhf").practice_hints.first().body
    assert hidden not in anon_client.get(RLHF_URL).content.decode()


def test_a_concept_without_learner_texts_serves_them_empty(anon_client):
    """A page whose file has no learner block still answers every key, empty."""
    concept = ConceptFactory()
    learner = anon_client.get(f"/api/v1/concepts/{concept.path}/").json()["learner"]
    assert learner["anchored_question"] == "" and learner["practice"]["hints"] == []
    assert learner["storyboard"] == {"heading": "", "lens": "", "commit": ""}


def test_detail_objects_have_keys_and_the_demo_its_defaults(loaded, anon_client):
    """Every object has its key; the demo is listed with the page's default parameters."""
    page = anon_client.get(RLHF_URL).json()
    keys = {obj["key"] for obj in page["objects"]}
    assert "equation:alignment/rlhf#reward-gap" in keys
    assert "misconception:alignment/rlhf#kl-prevents-reward-hacking" in keys
    (demo,) = page["demos"]
    assert demo["key"] == "demo:alignment/rlhf#kl-policy"
    assert demo["params"]["beta"] == 0.7 and demo["params"]["shift"] == 10.0
    assert demo["params"]["pi_ref"] == [0.35, 0.3, 0.2, 0.15]
    assert len(demo["params"]["pairs"]) == 5


def test_detail_learning_map(loaded, editor_client):
    """An editor's map: "3 prerequisites · 3 next concepts · 1 related link", with notes."""
    learning_map = editor_client.get(RLHF_URL).json()["learning_map"]
    assert learning_map["counts"] == {"prerequisites": 3, "next_concepts": 3, "related_links": 1}
    assert learning_map["counts_label"] == "3 prerequisites · 3 next concepts · 1 related link"
    assert learning_map["before"][0]["title"] == "Maximum Likelihood"
    assert learning_map["next"][0]["title"] == "Direct Preference Optimization"
    assert learning_map["now"]["readiness"] == "4/4 sections ready"
    bridge = learning_map["bridge"]
    assert bridge["carry_in"]["note"] == (
        "Bring the mental model from Maximum Likelihood; this page will reuse it instead of "
        "restarting from zero."
    )
    assert bridge["carry_out"]["note"] == (
        "The next edge should feel earned: use the demo prediction here before following "
        "Direct Preference Optimization."
    )
    assert bridge["test_the_link"] == "Manipulate one control and predict the visible change."
    assert learning_map["related"][0]["target"]["key"] == "concept:statistics/bradley-terry-model"


def test_a_related_link_opens_the_related_page_or_its_web_address(loaded, anon_client):
    """A related concept's url is its page, absolute; a link outside the platform is its own."""
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    RelatedLinkFactory(
        concept=rlhf, target=None, title="A survey", url="https://example.org/survey", order=9
    )
    page = anon_client.get(RLHF_URL).json()
    inside, outside = page["related_links"]
    assert inside["url"] == "http://testserver/api/v1/concepts/statistics/bradley-terry-model/"
    assert inside["url"] == inside["target"]["url"] and inside["web_url"] == ""
    assert anon_client.get(inside["url"]).json()["title"] == "Bradley–Terry Model"
    assert outside["url"] == outside["web_url"] == "https://example.org/survey"
    assert outside["target"] is None
    assert page["learning_map"]["related"] == page["related_links"]


def test_detail_sources_with_grounds_and_snapshot_state(loaded, anon_client):
    """Both sources, their grounds sentences, and a ready local snapshot with hash and size."""
    page = anon_client.get(RLHF_URL).json()
    assert page["sources_summary"] == {
        "count": 2,
        "label": "2 sources attached",
        "snapshot_state": "Local snapshot ready",
    }
    christiano, ouyang = page["sources"]
    assert christiano["key"] == "christiano-2017-human-preferences"
    assert christiano["label"] == "paper · 2017"
    assert christiano["short_authors"] == "Christiano et al."
    assert christiano["grounds"] == (
        "Grounds preference-labeled reward models as a way to train behavior from comparative "
        "human feedback."
    )
    assert ouyang["grounds"] == (
        "Grounds the modern instruction-following RLHF pipeline: demonstrations, preference "
        "rankings, reward model, and PPO."
    )
    file = CONTENT / "sources" / "snapshots" / "ouyang-2022-instructgpt.txt"
    snapshot = ouyang["snapshot"]
    assert snapshot["state"] == ouyang["snapshot_state"] == "Local snapshot ready"
    assert snapshot["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
    assert snapshot["size_bytes"] == file.stat().st_size
    assert snapshot["download_url"].endswith(
        f"/api/v1/sources/ouyang-2022-instructgpt/snapshots/{snapshot['sha256']}/"
    )


def test_detail_includes_every_registered_page_section(monkeypatch, anon_client):
    """Each registered section is built with (concept, request) and served under its name."""
    calls = []

    def build(*, concept, request):
        calls.append((concept.key, request.path))
        return {"badge": "unreviewed"}

    monkeypatch.setattr(pages, "_SECTIONS", {"extra": build})
    concept = ConceptFactory(area="alignment", slug="rlhf")
    body = anon_client.get(RLHF_URL).json()
    assert body["extra"] == {"badge": "unreviewed"}
    assert calls == [(concept.key, RLHF_URL)]


def test_detail_hides_drafts_from_anonymous_and_learners(
    anon_client, learner_client, editor_client
):
    """A draft page is 404 for anonymous users and learners, 200 for editors."""
    ConceptFactory(area="alignment", slug="dpo", status="draft")
    url = "/api/v1/concepts/alignment/dpo/"
    assert anon_client.get(url).status_code == 404
    assert learner_client.get(url).status_code == 404
    assert editor_client.get(url).status_code == 200


def test_unknown_concept_is_404_json(anon_client):
    """An unknown area/slug is a JSON 404 that names it."""
    response = anon_client.get("/api/v1/concepts/alignment/nope/")
    assert response.status_code == 404
    assert "alignment/nope" in response.json()["detail"]


@pytest.mark.parametrize("size", ["tiny", "big"])
def test_detail_query_count_is_bounded_whatever_the_page_holds(
    anon_client, django_assert_max_num_queries, no_registered_sections, size
):
    """50 prerequisites, 50 sources, 200 objects cost the same queries as an empty page."""
    concept = big_page() if size == "big" else ConceptFactory(area="big", slug="page")
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = anon_client.get("/api/v1/concepts/big/page/")
    assert response.status_code == 200
    body = response.json()
    if size == "big":
        assert len(body["objects"]) == 200
        assert len(body["learning_map"]["before"]) == 50
        assert len(body["sources"]) == 50
        assert body["sources_summary"]["snapshot_state"] == "Local snapshot ready"
    assert body["key"] == concept.key


@pytest.mark.parametrize("size", ["tiny", "big"])
def test_detail_query_count_with_registered_sections(
    anon_client, django_assert_max_num_queries, size
):
    """With the other apps' page sections, the bound is the same for a tiny and a big page."""
    if size == "big":
        big_page()
    else:
        ConceptFactory(area="big", slug="page")
    with django_assert_max_num_queries(PAGE_QUERIES_WITH_REGISTERED_SECTIONS):
        assert anon_client.get("/api/v1/concepts/big/page/").status_code == 200


def test_page_links_its_neighbours_with_absolute_urls(loaded, learner_client):
    """The page links its learning path, practice loop, drafts, claims and bibliography, and
    each link opens."""
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    ClaimFactory(concept=rlhf, status="published")
    ClaimFactory(status="published")  # another concept's claim, left out of the link's list
    page = learner_client.get(RLHF_URL).json()
    base = "http://testserver/api/v1"
    assert page["url"] == f"http://testserver{RLHF_URL}"
    assert page["links"] == {
        "learning_path": f"{base}/concepts/alignment/rlhf/learning-path/",
        "practice": f"{base}/research-room/practice/alignment/rlhf/",
        "research_drafts": f"{base}/research-room/drafts/?concept=alignment%2Frlhf",
        "claims": f"{base}/claims/?concept=alignment%2Frlhf",
        "bibliography": f"{base}/concepts/alignment/rlhf/bibliography/",
    }
    for url in page["links"].values():
        assert learner_client.get(url).status_code == 200, url
    (item,) = page["claims"]["items"]
    assert item["url"] == f"{base}/claims/{item['id']}/"
    assert item["page_url"] == f"http://testserver/claims/{item['id']}/"
    assert page["claims"]["summary"]["list_url"] == page["links"]["claims"]
    claims = learner_client.get(page["links"]["claims"]).json()["results"]
    assert len(claims) == 1 and {claim["concept"] for claim in claims} == {"concept:alignment/rlhf"}


def test_every_object_on_the_page_has_one_absolute_url(loaded, anon_client):
    """Neighbours, sources and learning-path steps carry an absolute `url`, never api_url."""
    page = anon_client.get(RLHF_URL).json()
    rows = [*page["learning_map"]["before"], *page["learning_map"]["next"], *page["sources"]]
    assert rows and all(row["url"].startswith("http://testserver/api/v1/") for row in rows)
    assert all("api_url" not in row and "api_path" not in row for row in rows)
    assert page["sources"][0]["web_url"].startswith("https://")
    path = anon_client.get(page["links"]["learning_path"]).json()
    assert all(step["url"].startswith("http://testserver/api/v1/") for step in path["steps"])


# Learning path ---------------------------------------------------------------------------------


def test_learning_path_of_the_real_graph(loaded, editor_client):
    """DPO's path: Maximum Likelihood, KL Divergence, Policy Gradient, RLHF, then Bradley–Terry."""
    body = editor_client.get("/api/v1/concepts/alignment/dpo/learning-path/").json()
    assert [step["title"] for step in body["steps"]] == [
        "Maximum Likelihood",
        "KL Divergence",
        "Policy Gradient",
        "RLHF: Reward Modeling + KL-Regularized Policy Optimization",
        "Bradley–Terry Model",
    ]
    assert body["count"] == 5
    assert body["steps"][3]["requires"] == [
        "concept:statistics/maximum-likelihood",
        "concept:information-theory/kl-divergence",
        "concept:reinforcement-learning/policy-gradient",
    ]
    assert body["steps"][4]["requires"] == ["concept:statistics/maximum-likelihood"]


def test_learning_path_is_a_valid_study_order(anon_client):
    """Every transitive prerequisite once, each after its own prerequisites; nothing else."""
    nodes = [ConceptFactory(area="g", slug=f"n{i}") for i in range(12)]
    for high in range(1, 12):
        for low in {high - 1, high // 2, high // 3}:
            if low != high:
                PrerequisiteFactory(concept=nodes[high], prerequisite=nodes[low])
    unrelated = ConceptFactory(area="g", slug="unrelated")
    PrerequisiteFactory(concept=unrelated, prerequisite=nodes[0])
    body = anon_client.get("/api/v1/concepts/g/n11/learning-path/").json()
    order = [step["key"] for step in body["steps"]]
    assert sorted(order) == sorted(node.key for node in nodes[:11])
    seen = set()
    for step in body["steps"]:
        assert set(step["requires"]) <= seen
        seen.add(step["key"])


def test_learning_path_of_a_concept_without_prerequisites_is_empty(anon_client):
    """No prerequisites: an empty path."""
    ConceptFactory(area="g", slug="root")
    body = anon_client.get("/api/v1/concepts/g/root/learning-path/").json()
    assert (body["count"], body["steps"]) == (0, [])


@pytest.mark.parametrize("depth", [3, 80])
def test_learning_path_query_count_is_independent_of_depth(
    anon_client, django_assert_max_num_queries, depth
):
    """A chain 3 or 80 deep costs the same number of queries."""
    chain = [ConceptFactory(area="chain", slug=f"c{i}") for i in range(depth + 1)]
    for lower, higher in itertools.pairwise(chain):
        Prerequisite.objects.create(concept=higher, prerequisite=lower)
    with django_assert_max_num_queries(LEARNING_PATH_QUERIES):
        response = anon_client.get(f"/api/v1/concepts/chain/c{depth}/learning-path/")
    assert response.json()["count"] == depth
    assert response.json()["steps"][0]["key"] == "concept:chain/c0"


def test_learning_path_unknown_concept_is_404(anon_client):
    """An unknown concept has no learning path."""
    assert anon_client.get("/api/v1/concepts/x/y/learning-path/").status_code == 404


# Adding prerequisites ----------------------------------------------------------------------------


def post_edge(client, concept: Concept, **data):
    return client.post(
        f"/api/v1/concepts/{concept.area}/{concept.slug}/prerequisites/", data, format="json"
    )


def test_editor_adds_a_prerequisite(editor_client):
    """An editor's POST creates the edge with its notes: 201."""
    concept = ConceptFactory(area="alignment", slug="rlhf")
    ConceptFactory(area="statistics", slug="maximum-likelihood", status="draft")
    response = post_edge(
        editor_client,
        concept,
        prerequisite="statistics/maximum-likelihood",
        carry_in="Bring the mental model.",
        carry_out="Use the demo first.",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["prerequisite"]["key"] == "concept:statistics/maximum-likelihood"
    edge = Prerequisite.objects.get()
    assert (edge.carry_in, edge.carry_out) == ("Bring the mental model.", "Use the demo first.")


def test_cycle_is_400_naming_it(editor_client):
    """a/x → b/y exists; adding b/y ← a/x as a prerequisite of b/y is refused naming the cycle."""
    x = ConceptFactory(area="a", slug="x")
    y = ConceptFactory(area="b", slug="y")
    PrerequisiteFactory(concept=x, prerequisite=y)
    response = post_edge(editor_client, y, prerequisite="a/x")
    assert response.status_code == 400
    assert response.json()["errors"]["prerequisite"] == [
        "This edge would close the cycle b/y → a/x → b/y."
    ]
    assert Prerequisite.objects.count() == 1


def test_self_prerequisite_is_400(editor_client):
    """A concept cannot require itself."""
    x = ConceptFactory(area="a", slug="x")
    response = post_edge(editor_client, x, prerequisite="a/x")
    assert response.status_code == 400
    assert "would close the cycle a/x → a/x" in response.json()["errors"]["prerequisite"][0]


def test_bad_input_is_400_per_field(editor_client):
    """Unknown prerequisite, missing field and overlong notes are each named."""
    x = ConceptFactory(area="a", slug="x")
    response = post_edge(editor_client, x, prerequisite="a/none")
    assert response.status_code == 400
    assert "No concept has the path 'a/none'." in response.json()["errors"]["prerequisite"]
    response = post_edge(editor_client, x)
    assert response.status_code == 400 and "prerequisite" in response.json()["errors"]
    ConceptFactory(area="a", slug="y")
    response = post_edge(editor_client, x, prerequisite="a/y", carry_in="x" * 2001)
    assert response.status_code == 400 and "carry_in" in response.json()["errors"]
    assert not Prerequisite.objects.exists()


def test_only_editors_add_prerequisites(anon_client, learner_client, reviewer_client):
    """Anonymous → 401, learners and reviewers → 403, and nothing is written."""
    x = ConceptFactory(area="a", slug="x")
    ConceptFactory(area="a", slug="y")
    assert post_edge(anon_client, x, prerequisite="a/y").status_code == 401
    assert post_edge(learner_client, x, prerequisite="a/y").status_code == 403
    assert post_edge(reviewer_client, x, prerequisite="a/y").status_code == 403
    assert not Prerequisite.objects.exists()


def test_unknown_concept_for_prerequisite_is_404(editor_client):
    """Posting to a concept that does not exist is a 404."""
    ConceptFactory(area="a", slug="y")
    response = editor_client.post(
        "/api/v1/concepts/a/none/prerequisites/", {"prerequisite": "a/y"}, format="json"
    )
    assert response.status_code == 404


def test_oversized_body_is_413(editor_client, settings):
    """A body over REQUEST_BODY_MAX_BYTES is refused before the view runs."""
    settings.REQUEST_BODY_MAX_BYTES = 500
    x = ConceptFactory(area="a", slug="x")
    response = post_edge(editor_client, x, prerequisite="a/y", carry_in="x" * 1000)
    assert response.status_code == 413


# Sources ---------------------------------------------------------------------------------------


def test_source_list_with_snapshot_state(loaded, anon_client):
    """The registry lists each source with its snapshot state."""
    body = anon_client.get("/api/v1/sources/").json()
    assert [row["key"] for row in body["results"]] == [
        "bradley-terry-1952-paired-comparisons",
        "christiano-2017-human-preferences",
        "fisher-1922-mathematical-foundations",
        "gao-2023-reward-overoptimization",
        "hunter-2004-mm-bradley-terry",
        "kullback-1951-information-sufficiency",
        "manheim-2018-goodhart-variants",
        "ouyang-2022-instructgpt",
        "rafailov-2023-dpo",
        "schulman-2017-ppo",
        "williams-1992-reinforce",
    ]
    assert all(row["snapshot_state"] == "Local snapshot ready" for row in body["results"])


@pytest.mark.parametrize("size", [1, 40])
def test_source_list_query_count_is_constant(anon_client, django_assert_max_num_queries, size):
    """A page of sources with snapshots costs the same for 1 or 40 sources."""
    for _ in range(size):
        SourceSnapshotFactory()
    with django_assert_max_num_queries(3):
        assert anon_client.get("/api/v1/sources/").status_code == 200


def test_source_detail_with_history_and_concepts(loaded, anon_client):
    """A source shows its record, snapshots, the concepts it grounds and its CSL link."""
    body = anon_client.get("/api/v1/sources/ouyang-2022-instructgpt/").json()
    assert body["title"] == "Training language models to follow instructions with human feedback"
    assert body["arxiv_id"] == "2203.02155" and body["year"] == 2022
    assert len(body["authors"]) == 20
    assert [c["key"] for c in body["concepts"]] == [
        "concept:alignment/rlhf",
        "concept:reinforcement-learning/ppo",
    ]
    assert body["snapshots"][0]["state"] == "Local snapshot ready"
    assert body["csl_url"].endswith("/api/v1/sources/ouyang-2022-instructgpt/csl/")


def test_source_csl_by_format_and_by_route(loaded, anon_client):
    """?format=csl and /csl/ answer the same CSL-JSON item."""
    by_format = anon_client.get("/api/v1/sources/christiano-2017-human-preferences/?format=csl")
    by_route = anon_client.get("/api/v1/sources/christiano-2017-human-preferences/csl/")
    assert by_format.status_code == by_route.status_code == 200
    assert by_route["Content-Type"].startswith("application/vnd.citationstyles.csl+json")
    item = by_route.json()
    assert by_format.json() == item
    assert item["id"] == "christiano-2017-human-preferences"
    assert item["type"] == "paper-conference"
    assert item["author"][0] == {"family": "Christiano", "given": "Paul F."}
    assert item["issued"] == {"date-parts": [[2017]]}
    assert item["DOI"] == "10.48550/arXiv.1706.03741"


def test_snapshot_download_streams_the_stored_file(loaded, anon_client):
    """The download is the stored bytes with the media type and the sha256."""
    response = anon_client.get(
        "/api/v1/sources/christiano-2017-human-preferences/snapshot/",
        HTTP_ACCEPT="text/plain",
        follow=True,
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    expected = CONTENT / "sources" / "snapshots" / "christiano-2017-human-preferences.txt"
    assert content == expected.read_bytes()
    assert response["Content-Type"].startswith("text/plain")
    assert response["X-Snapshot-SHA256"] == hashlib.sha256(content).hexdigest()


def test_snapshot_download_serves_the_newest(anon_client):
    """With two snapshots, the newest one is downloaded."""
    source = SourceFactory(key="two-snapshots")
    SourceSnapshotFactory(source=source, content=b"old")
    SourceSnapshotFactory(source=source, content=b"new")
    response = anon_client.get("/api/v1/sources/two-snapshots/snapshot/", follow=True)
    assert b"".join(response.streaming_content) == b"new"


def test_source_404s(anon_client):
    """Unknown source, and a source without a snapshot, are JSON 404s."""
    SourceFactory(key="no-snapshot")
    assert anon_client.get("/api/v1/sources/none/").status_code == 404
    assert anon_client.get("/api/v1/sources/none/csl/").status_code == 404
    missing = anon_client.get("/api/v1/sources/no-snapshot/snapshot/")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no-snapshot has no snapshot."
    assert anon_client.get("/api/v1/sources/none/snapshot/").status_code == 404


def test_every_served_page_is_exactly_what_its_schema_serializer_describes(anon_client):
    """The page is served as built; its documented serializer, applied to it, changes nothing:
    no field the schema names is missing or reshaped, on any page of content/."""
    import json

    from django.core.management import call_command
    from django.test import RequestFactory

    from concepts.api import ConceptDetailApi
    from concepts.selectors import concept_page
    from learning_platform.pages import page_sections

    call_command("load_content", "content", verbosity=0)
    request = RequestFactory().get("/")
    request.user = anon_client.get("/api/v1/").wsgi_request.user
    for concept in Concept.objects.all():
        page = concept_page(concept=concept, user=request.user, request=request)
        described = dict(ConceptDetailApi.Output(page).data)
        for name in page_sections():
            described[name] = page[name]
        assert json.loads(json.dumps(described)) == json.loads(json.dumps(page)), concept.key
        served = anon_client.get(f"/api/v1/concepts/{concept.path}/", HTTP_HOST="testserver")
        assert served.json() == json.loads(json.dumps(page)), concept.key
