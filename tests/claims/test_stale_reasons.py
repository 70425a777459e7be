import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from claims.models import Claim
from concepts.models import Concept, ConceptObject, ConceptRevision, Source
from concepts.revisions import revision_scope
from concepts.services import snapshot_store

pytestmark = pytest.mark.django_db
PAGE_CLAIM = "claim:alignment/rlhf#preference-rm-kl"


@pytest.fixture
def notebook(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_content", verbosity=0)
    return Concept.objects.get(area="alignment", slug="rlhf")


def _edit(obj, **fields):
    with revision_scope(door=ConceptRevision.Door.COMMAND, reason="edit"):
        for name, value in fields.items():
            setattr(obj, name, value)
        obj.save()


def _claim(client):
    claim = Claim.objects.get(key=PAGE_CLAIM)
    return client.get(f"/api/v1/claims/{claim.pk}/").json()


def test_the_reviewed_page_claim_is_current_with_no_reasons(notebook, anon_client):
    """Loaded as reviewed, the claim's badge is current and names no change."""
    data = _claim(anon_client)
    assert data["badge"] == "substantively_reviewed" and data["stale_reasons"] == []
    # The page has gained texts since (its learner texts, the code's printout), none of them
    # an input of the claim: the review keeps the revision it saw and stays current.
    reviewed = Claim.objects.get(key=PAGE_CLAIM).latest_review.concept_revision
    assert len(reviewed) == 64 and reviewed != notebook.revision_hash


def test_editing_the_cited_equation_stales_the_claim_naming_the_witness(notebook, anon_client):
    """σ(Δ) → σ(2Δ) in the one equation object: stale, the reason names it and links the diff."""
    equation = ConceptObject.objects.get(concept=notebook, anchor="preference-witness")
    _edit(equation, body=equation.body.replace(r"\sigma(\Delta_\phi)", r"\sigma(2\Delta_\phi)"))
    data = _claim(anon_client)
    assert data["badge"] == "stale"
    [reason] = data["stale_reasons"]
    assert reason["input"] == "witness"
    assert reason["key"] == "equation:alignment/rlhf#preference-witness"
    diff = anon_client.get(reason["diff_url"]).json()
    assert [change["item"] for change in diff["changes"]] == ["equation:preference-witness"]
    assert r"\sigma(2\Delta_\phi)" in diff["changes"][0]["diff"]


def test_editing_beta_in_the_code_witness_stales_the_claim(notebook, anon_client):
    """beta = 0.7 → 0.1 in the code witness: stale, naming the code witness."""
    code = ConceptObject.objects.get(concept=notebook, kind="code")
    _edit(code, body=code.body.replace("beta = 0.7", "beta = 0.1"))
    data = _claim(anon_client)
    assert data["badge"] == "stale"
    assert [r["key"] for r in data["stale_reasons"]] == [
        "code:alignment/rlhf#reward-model-and-policy"
    ]


def test_a_new_snapshot_of_a_cited_source_names_the_source(notebook, anon_client):
    """A new snapshot of one cited source stales the claim with that source as the reason."""
    source = Source.objects.get(key="ouyang-2022-instructgpt")
    with revision_scope(door=ConceptRevision.Door.COMMAND, reason="new snapshot"):
        snapshot_store(
            source=source,
            content=b"a newer copy",
            media_type="text/plain",
            retrieved_on=source.snapshots.first().retrieved_on,
        )
    data = _claim(anon_client)
    assert [(r["input"], r["key"]) for r in data["stale_reasons"]] == [
        ("source", "ouyang-2022-instructgpt")
    ]
    assert "snapshot changed" in data["stale_reasons"][0]["message"]


def test_a_change_to_no_input_of_the_claim_stales_nothing(notebook, anon_client):
    """Editing an equation the claim does not cite leaves its badge as it was."""
    other = ConceptObject.objects.get(concept=notebook, anchor="partition-function")
    _edit(other, body=other.body + r" \quad")
    assert _claim(anon_client)["badge"] == "substantively_reviewed"


def test_a_draft_anchored_to_the_equation_says_its_revision_and_links_the_diff(
    notebook, learner_client
):
    """A draft remembers the revision it was written against; after an edit it links the diff."""
    key = "equation:alignment/rlhf#preference-witness"
    created = learner_client.post(
        "/api/v1/research-room/drafts/", {"anchor": key, "question": "Why σ?"}, format="json"
    ).json()
    assert created["anchor_revision"] == notebook.revision_hash
    equation = ConceptObject.objects.get(concept=notebook, anchor="preference-witness")
    _edit(equation, body=equation.body.replace(r"\sigma(\Delta_\phi)", r"\sigma(2\Delta_\phi)"))
    detail = learner_client.get(f"/api/v1/research-room/drafts/{created['id']}/").json()
    assert detail["anchor_changed"] is True
    assert detail["anchor_diff_url"].startswith("http://testserver/api/v1/concepts/alignment/rlhf/")
    assert detail["handoff_url"] == detail["url"] + "handoff/"
    diff = learner_client.get(detail["anchor_diff_url"]).json()
    assert [change["item"] for change in diff["changes"]] == ["equation:preference-witness"]


@pytest.fixture
def two_reviewed_claims(notebook, reviewer):
    from claims.services import claim_create

    from .factories import record_review

    first = Claim.objects.get(key=PAGE_CLAIM)
    objects = {obj.key: obj for obj in ConceptObject.objects.filter(concept=notebook)}
    second = claim_create(
        concept=notebook,
        key="claim:alignment/rlhf#reward-gap-likelihood",
        text="The reward model is fitted by the Bradley–Terry likelihood of the reward gap.",
        status=Claim.Status.PUBLISHED,
        sources=[(Source.objects.get(key="christiano-2017-human-preferences"), "§2.2")],
        witnesses=[
            objects["equation:alignment/rlhf#reward-gap"],
            objects["equation:alignment/rlhf#rm-loss"],
            objects["equation:alignment/rlhf#preference-witness"],
        ],
    )
    record_review(second, reviewer)
    return [first, second]


@hypothesis_settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pick=st.integers(0, 10_000), suffix=st.sampled_from([r" \,", "x", "\n% note"]))
def test_an_edit_to_an_input_stales_exactly_the_claims_that_cite_it(
    two_reviewed_claims, anon_client, pick, suffix
):
    """Edit any object of any page: a claim's fingerprint moves exactly when the claim cites that
    object as a witness, and its stale reasons name the object exactly when it also has a
    review (the foundation pages' claims are unreviewed: never stale)."""
    objects = list(ConceptObject.objects.order_by("pk"))
    target = objects[pick % len(objects)]
    claims = list(Claim.objects.order_by("pk"))
    before = {claim.pk: claim.fingerprint for claim in claims}
    old_body = target.body
    _edit(target, body=target.body.rstrip("\n") + suffix)
    target.refresh_from_db()
    assert target.body != old_body
    for claim in Claim.objects.order_by("pk"):
        cites = claim.witnesses.filter(pk=target.pk).exists()
        assert (claim.fingerprint != before[claim.pk]) == cites
        data = anon_client.get(f"/api/v1/claims/{claim.pk}/").json()
        named = {reason["key"] for reason in data["stale_reasons"]}
        assert (target.key in named) == (cites and claim.latest_review_id is not None)
