import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from claims.content import claims_export, claims_load, dump_yaml
from claims.models import Badge, Claim, ClaimReview
from claims.reviews import CONTENT_IMPORT_USERNAME
from claims.selectors import claim_badge, claim_list, concept_page_claims
from learning_platform.content import ContentError, LoadReport

from .factories import ConceptObjectFactory, ConceptSourceFactory, SourceFactory, record_review

pytestmark = pytest.mark.django_db

CONTENT = Path(settings.BASE_DIR) / "content"
PAGE_CLAIM = "claim:alignment/rlhf#preference-rm-kl"


@pytest.fixture
def loaded(db):
    call_command("load_content", str(CONTENT))
    return Claim.objects.get(key=PAGE_CLAIM)


# The page's claim, from content/ ----------------------------------------------------------------


def test_the_page_claim_loads_with_its_sources_and_four_witnesses(loaded):
    """The seed page's claim, its two sources (with locators) and its four local objects."""
    assert loaded.text == (
        "Preference-based RLHF learns a reward model from human comparisons and optimizes a "
        "policy against it; InstructGPT-style RLHF adds SFT and PPO with a KL penalty to the "
        "SFT/reference policy."
    )
    assert loaded.get_status_display() == "source checked"
    sources = list(loaded.claim_sources.values_list("source__key", "locator"))
    assert [key for key, _ in sources] == [
        "christiano-2017-human-preferences",
        "ouyang-2022-instructgpt",
    ]
    assert all(locator for _, locator in sources)
    kinds = sorted(link.concept_object.kind for link in loaded.claim_witnesses.all())
    assert kinds == ["code", "demo", "equation", "equation"]


def test_the_page_review_loads_as_the_page_states_it(loaded):
    """codex+oracle, 2026-05-07, substantively reviewed, with the page's scope and summary."""
    review = loaded.reviews.get()
    assert review.reviewer.username == CONTENT_IMPORT_USERNAME
    assert review.reviewer_label == "codex+oracle"
    assert review.reviewed_on == datetime.date(2026, 5, 7)
    assert review.verdict == ClaimReview.Verdict.SUBSTANTIVELY_REVIEWED
    assert review.scope_text == (
        "Reviews only preference-modeling and KL-regularized optimization mechanics. It does not "
        "certify reward as true human objective, PPO exact attainment of the finite-action "
        "optimum, PPO-ptx/pretraining-gradient details, reward-hacking prevention, or broad "
        "alignment guarantees."
    )
    assert review.summary.startswith("Christiano supports learning a reward predictor")
    assert review.summary.endswith("shift invariance, and proxy-gap caveats.")
    assert review.sources_checked == [
        "christiano-2017-human-preferences",
        "ouyang-2022-instructgpt",
    ]
    assert len(review.witnesses_checked) == 4


def test_the_page_claim_is_substantively_reviewed_after_loading(loaded):
    """The review in content/ names the fingerprint of the content it reviewed; it matches."""
    badge = claim_badge(claim=Claim.objects.get(pk=loaded.pk))
    assert badge == Badge.SUBSTANTIVELY_REVIEWED, (
        "The RLHF claim's text, source snapshots or witnesses in content/ changed after its "
        "review was recorded, so the review is stale: a reviewer must review the claim again "
        "and record it (a new entry under reviews: in content/claims/alignment/rlhf.yaml)."
    )
    panel = concept_page_claims(concept=loaded.concept, user=None)
    assert panel["summary"]["status_line"] == "1 substantive review recorded"
    assert panel["summary"]["substantive_share_text"] == "1/1"
    assert panel["items"][0]["witnesses_label"] == "4 local objects"
    assert panel["items"][0]["sources_label"] == "2 references"
    assert panel["items"][0]["latest_review"]["byline"] == (
        "Reviewer: codex+oracle; reviewed 2026-05-07"
    )


def test_the_import_account_cannot_log_in(loaded):
    """Content reviews are recorded under an inactive account with no usable password."""
    user = loaded.reviews.get().reviewer
    assert not user.is_active
    assert not user.has_usable_password()


def test_loading_twice_appends_nothing(loaded, capsys):
    """A second load changes nothing: no second review, the chain still verifies."""
    call_command("load_content", str(CONTENT))
    assert "No changes." in capsys.readouterr().out
    assert loaded.reviews.count() == 1
    call_command("verify_reviews")


def test_export_writes_the_claims_files_back_byte_for_byte(loaded, tmp_path):
    """load → export reproduces every file under content/claims exactly."""
    written = claims_export(tmp_path)
    originals = sorted((CONTENT / "claims").rglob("*.yaml"))
    assert originals
    assert sorted(path.relative_to(tmp_path) for path in written) == [
        path.relative_to(CONTENT) for path in originals
    ]
    for original in originals:
        assert (tmp_path / original.relative_to(CONTENT)).read_bytes() == original.read_bytes()


# Loading rules, on a small tree -----------------------------------------------------------------


@pytest.fixture
def tree(tmp_path, db):
    """A concept with one source and two objects, and a claims file about it."""
    link = ConceptSourceFactory()
    concept, source = link.concept, link.source
    equation = ConceptObjectFactory(concept=concept, kind="equation")
    demo = ConceptObjectFactory(concept=concept, kind="demo")
    document = {
        "concept": concept.path,
        "claims": [
            {
                "key": f"claim:{concept.path}#mechanism",
                "status": "published",
                "text": "Preferences train a reward model.",
                "sources": [{"source": source.key, "locator": "§2"}],
                "witnesses": [equation.key, demo.key],
                "reviews": [
                    {
                        "reviewer_label": "panel+oracle",
                        "reviewed_on": datetime.date(2026, 5, 7),
                        "verdict": "substantively_reviewed",
                        "summary": "Supported.",
                        "scope_covers": "Reviews only the mechanism.",
                        "scope_excludes": "anything else.",
                        "sources_checked": [source.key],
                        "witnesses_checked": [equation.key],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "claims" / "area" / "file.yaml"
    path.parent.mkdir(parents=True)

    def write(doc=document):
        path.write_text(dump_yaml(doc), encoding="utf-8")
        return doc

    write()
    return tmp_path, document, write


def load(root) -> LoadReport:
    report = LoadReport()
    claims_load(root, report)
    return report


def test_a_file_without_fingerprints_records_the_current_one(tree):
    """A review entry with no fingerprint is taken as reviewing the content as loaded."""
    root, _, _ = tree
    report = load(root)
    claim = claim_list(user=None).get()
    assert claim_badge(claim=claim) == Badge.SUBSTANTIVELY_REVIEWED
    assert len(report.created) == 2  # the claim and its review


def test_a_fingerprint_that_no_longer_matches_loads_a_stale_review(tree):
    """A review whose recorded fingerprint is not the content's is stale from the start."""
    root, document, write = tree
    document["claims"][0]["reviews"][0]["fingerprint"] = "a" * 64
    write(document)
    load(root)
    assert claim_badge(claim=Claim.objects.get()) == Badge.STALE


def test_changing_the_claim_text_in_the_file_makes_its_review_stale(tree):
    """Reloading a file with a new text updates the claim, keeps the one review, marks it stale."""
    root, document, write = tree
    load(root)
    document["claims"][0]["text"] = "Preferences train a reward model, then a policy."
    write(document)
    report = load(root)
    assert report.updated == [document["claims"][0]["key"]]
    claim = claim_list(user=None).get()
    assert claim.text.endswith("then a policy.")
    assert claim_badge(claim=claim) == Badge.STALE
    assert ClaimReview.objects.count() == 1


def test_a_new_review_in_the_file_is_appended_and_a_removed_one_stays(tree):
    """Reviews are append-only: a new entry appends, a deleted entry is not deleted."""
    root, document, write = tree
    load(root)
    review = dict(document["claims"][0]["reviews"][0], verdict="disputed", summary="Not so.")
    document["claims"][0]["reviews"] = [review]
    write(document)
    load(root)
    assert list(ClaimReview.objects.order_by("sequence").values_list("verdict", flat=True)) == [
        "substantively_reviewed",
        "disputed",
    ]
    assert claim_badge(claim=Claim.objects.get()) == Badge.DISPUTED


def test_changing_sources_and_witnesses_in_the_file_updates_the_claim(tree):
    """New locators and a dropped witness are applied on reload."""
    root, document, write = tree
    load(root)
    document["claims"][0]["sources"][0]["locator"] = "§3"
    document["claims"][0]["witnesses"] = document["claims"][0]["witnesses"][:1]
    write(document)
    load(root)
    claim = Claim.objects.get()
    assert list(claim.claim_sources.values_list("locator", flat=True)) == ["§3"]
    assert claim.claim_witnesses.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["claims"][0].update(witnesses=["equation:nowhere/at-all#x"]), "witnesses[0]"),
        (lambda d: d["claims"][0]["sources"][0].update(source="no-such-source"), "source"),
        (lambda d: d.update(concept="nowhere/at-all"), "concept"),
        (lambda d: d["claims"][0].update(status="final"), "status"),
        (lambda d: d["claims"][0].update(colour="red"), "colour"),
        (lambda d: d["claims"][0]["reviews"][0].update(scope_excludes=""), "scope_excludes"),
        (lambda d: d["claims"][0]["reviews"][0].update(verdict="fine"), "verdict"),
        (lambda d: d["claims"][0]["reviews"][0].update(fingerprint="xyz"), "fingerprint"),
        (
            lambda d: d["claims"][0]["reviews"][0].update(witnesses_checked=["demo:a/b#c"]),
            "witnesses_checked",
        ),
    ],
)
def test_an_invalid_file_is_refused_naming_the_field(tree, change, field):
    """Bad content raises a ContentError naming the file and the field."""
    root, document, write = tree
    change(document)
    write(document)
    with pytest.raises(ContentError) as error:
        load(root)
    assert field in error.value.field
    assert error.value.path.endswith("file.yaml")


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda d: d["claims"][0].update(text="A\x00B"), "claims[0].text", "NUL"),
        (
            lambda d: d["claims"][0]["reviews"][0].update(summary="half \ud800 a pair"),
            "claims[0].reviews[0].summary",
            "U+D800",
        ),
    ],
)
def test_text_no_column_can_store_is_refused_naming_the_field(tree, change, field, reason):
    """A NUL or a lone surrogate (written as a YAML escape) is refused with file and field,
    before anything is written."""
    root, document, write = tree
    change(document)
    write(document)
    with pytest.raises(ContentError) as error:
        load(root)
    assert (error.value.field, error.value.path.endswith("file.yaml")) == (field, True)
    assert reason in error.value.reason
    assert not Claim.objects.exists()


def test_a_source_not_attached_to_the_concept_is_refused(tree):
    """A claim in a file cannot rest on a source its concept does not cite."""
    root, document, write = tree
    document["claims"][0]["sources"].append({"source": SourceFactory().key, "locator": "p. 1"})
    write(document)
    with pytest.raises(ContentError) as error:
        load(root)
    assert "sources" in error.value.field


def test_a_file_review_cannot_name_a_user(tree):
    """There is no reviewer field in a file: naming one is refused as an unknown field."""
    root, document, write = tree
    document["claims"][0]["reviews"][0]["reviewer"] = "rita"
    write(document)
    with pytest.raises(ContentError) as error:
        load(root)
    assert error.value.field.endswith("reviewer")


def test_export_carries_every_review_with_its_chain_fields(tree, reviewer, tmp_path):
    """Reviews recorded in the app are exported too, with reviewer, identity and hashes."""
    root, _, _ = tree
    load(root)
    claim = Claim.objects.get()
    review = record_review(claim, reviewer, verdict="disputed", sources_checked=[])
    out = tmp_path / "out"
    claims_export(out)
    exported = (out / "claims" / claim.concept.area / f"{claim.concept.slug}.yaml").read_text()
    assert "panel+oracle" in exported
    assert "verdict: disputed" in exported
    assert f"reviewer: {reviewer.username}" in exported
    assert f"hash: {review.hash}" in exported
    assert f"previous_hash: {review.previous_hash}" in exported
