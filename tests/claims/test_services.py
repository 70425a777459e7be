import datetime
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from claims import fingerprints
from claims.chain import review_hash_of
from claims.fingerprints import claim_fingerprint
from claims.models import Badge, Claim, ClaimReview
from claims.reviews import review_record
from claims.selectors import claim_badge
from claims.services import claim_create, claim_sources_set, claim_update, claim_witnesses_set
from claims.verify import claim_verification_record
from concepts.models import ConceptObject

from .factories import (
    ClaimFactory,
    ClaimSourceFactory,
    ClaimWitnessFactory,
    ConceptFactory,
    ConceptObjectFactory,
    ConceptSourceFactory,
    SourceFactory,
    SourceSnapshotFactory,
    linked_claim,
    record_review,
    source_keys,
    witness_keys,
)

pytestmark = pytest.mark.django_db


def badge_of(claim: Claim) -> str:
    return claim_badge(claim=Claim.objects.get(pk=claim.pk))


# The chain ------------------------------------------------------------------------------------


def test_reviews_form_a_linear_hash_chain(claim, reviewer):
    """Each review names the previous one's hash, numbers itself, and hashes its own content."""
    first = record_review(claim, reviewer)
    second = record_review(claim, reviewer, verdict="source_checked")
    third = record_review(claim, reviewer, verdict="disputed")
    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    assert first.previous_hash == ""
    assert second.previous_hash == first.hash
    assert third.previous_hash == second.hash
    for review in (first, second, third):
        assert review.hash == review_hash_of(review, claim_key=claim.key)
    claim.refresh_from_db()
    assert claim.latest_review_id == third.pk


def test_a_review_records_the_authenticated_reviewer_and_the_claim_fingerprint(claim, reviewer):
    """The reviewer is the user passed in, the label defaults to the username, and the
    fingerprint is the claim's at review time."""
    review = record_review(claim, reviewer)
    assert review.reviewer == reviewer
    assert review.reviewer_label == reviewer.username
    assert review.fingerprint == claim_fingerprint(claim=claim) == claim.fingerprint
    assert review.reviewed_on == datetime.date.today()
    assert review.sources_checked == source_keys(claim)


def test_the_reviewer_label_may_qualify_but_never_name_someone_else(claim, reviewer):
    """'rita+oracle' is accepted for rita; 'edith' is refused naming reviewer_label."""
    assert record_review(claim, reviewer, reviewer_label="rita+oracle").reviewer_label == (
        "rita+oracle"
    )
    with pytest.raises(ValidationError) as error:
        record_review(claim, reviewer, reviewer_label="edith")
    assert "reviewer_label" in error.value.message_dict


def test_only_reviewers_may_record(claim, editor, learner):
    """An editor or a learner is refused by the service itself, not only by the API."""
    for user in (editor, learner):
        with pytest.raises(PermissionDenied):
            record_review(claim, user)
    assert not ClaimReview.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"verdict": "looks_fine"}, "verdict"),
        ({"summary": "  "}, "summary"),
        ({"scope_covers": ""}, "scope_covers"),
        ({"scope_excludes": ""}, "scope_excludes"),
        ({"sources_checked": ["no-such-source"]}, "sources_checked"),
        ({"witnesses_checked": ["equation:alignment/other#nope"]}, "witnesses_checked"),
        ({"sources_checked": []}, "sources_checked"),
        ({"reviewed_on": datetime.date.today() + datetime.timedelta(days=1)}, "reviewed_on"),
        ({"fingerprint": "0" * 64}, "fingerprint"),
    ],
)
def test_bad_review_input_is_refused_naming_the_field(claim, reviewer, overrides, field):
    """Each kind of bad input raises a ValidationError for its field and writes nothing."""
    with pytest.raises(ValidationError) as error:
        record_review(claim, reviewer, **overrides)
    assert field in error.value.message_dict
    assert not ClaimReview.objects.exists()


def test_a_source_of_another_concept_is_not_a_checked_source(claim, reviewer):
    """A source attached only to another concept's claim cannot be named as checked."""
    elsewhere = linked_claim(sources=1, witnesses=1)
    with pytest.raises(ValidationError) as error:
        record_review(claim, reviewer, sources_checked=source_keys(elsewhere))
    assert "sources_checked" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        record_review(claim, reviewer, witnesses_checked=witness_keys(elsewhere))
    assert "witnesses_checked" in error.value.message_dict


def test_source_keys_may_be_given_as_object_keys(claim, reviewer):
    """'source:<key>' is accepted and stored as the bare key, sorted and deduplicated."""
    keys = source_keys(claim)
    review = record_review(claim, reviewer, sources_checked=[f"source:{keys[1]}", *keys])
    assert review.sources_checked == keys


def test_a_disputed_review_need_not_name_a_source(claim, reviewer):
    """Only verdicts that certify a source must name the sources they checked."""
    review = record_review(claim, reviewer, verdict="disputed", sources_checked=[])
    assert review.sources_checked == []


def test_the_fingerprint_the_reviewer_read_is_accepted_when_current(claim, reviewer):
    """Passing the current fingerprint records the review."""
    review = record_review(claim, reviewer, fingerprint=claim.fingerprint)
    assert review.fingerprint == claim.fingerprint


# Staleness ------------------------------------------------------------------------------------


@pytest.fixture
def reviewed(claim, reviewer):
    record_review(claim, reviewer)
    claim.refresh_from_db()
    assert badge_of(claim) == Badge.SUBSTANTIVELY_REVIEWED
    return claim


def test_editing_the_claim_text_makes_its_review_stale(reviewed):
    """A new text changes the fingerprint: the badge turns stale."""
    before = reviewed.fingerprint
    claim_update(claim=reviewed, text="A different claim.")
    assert reviewed.fingerprint != before
    assert badge_of(reviewed) == Badge.STALE


def test_saving_the_claim_with_the_same_text_keeps_its_review_current(reviewed):
    """Saving without a content change leaves the fingerprint and the badge alone."""
    claim_update(claim=reviewed, status=Claim.Status.SOURCE_CHECKED)
    assert badge_of(reviewed) == Badge.SUBSTANTIVELY_REVIEWED


def test_a_text_edit_outside_the_services_still_makes_the_review_stale(reviewed):
    """The fingerprint follows a plain model save too (admin, shell)."""
    reviewed.text = "Edited in the shell."
    reviewed.save()
    assert badge_of(reviewed) == Badge.STALE


def test_a_new_snapshot_of_a_source_makes_the_review_stale(reviewed):
    """A source snapshot with new bytes (a new sha256) changes the fingerprint."""
    SourceSnapshotFactory(source=reviewed.claim_sources.first().source, content=b"revised paper")
    assert badge_of(reviewed) == Badge.STALE


def test_a_new_snapshot_with_identical_bytes_keeps_the_review_current(reviewed):
    """Re-fetching the same bytes (same sha256) is not a change."""
    link = reviewed.claim_sources.first()
    latest = link.source.snapshots.order_by("-created_at", "-id").first()
    with latest.file.open("rb") as stored:
        content = stored.read()
    SourceSnapshotFactory(source=link.source, content=content, retrieved_on=date(2026, 6, 1))
    assert badge_of(reviewed) == Badge.SUBSTANTIVELY_REVIEWED


def test_deleting_the_current_snapshot_makes_the_review_stale(reviewed):
    """Removing the snapshot that was reviewed changes the fingerprint."""
    reviewed.claim_sources.first().source.snapshots.all().delete()
    assert badge_of(reviewed) == Badge.STALE


def test_changing_a_source_locator_makes_the_review_stale(reviewed):
    """Pointing the claim at another section of a source is a change a reviewer must see."""
    link = reviewed.claim_sources.first()
    link.locator = "§9, appendix"
    link.save()
    assert badge_of(reviewed) == Badge.STALE


def test_adding_a_source_makes_the_review_stale(reviewed):
    """A new source the reviewer never checked makes the review stale."""
    ClaimSourceFactory(claim=reviewed)
    assert badge_of(reviewed) == Badge.STALE


def test_removing_a_source_makes_the_review_stale(reviewed):
    """Dropping a source the review relied on makes it stale."""
    reviewed.claim_sources.first().delete()
    assert badge_of(reviewed) == Badge.STALE


def test_editing_a_witness_body_makes_the_review_stale(reviewed):
    """A witness (equation, code, demo) with a new body changes the fingerprint."""
    witness = reviewed.claim_witnesses.first().concept_object
    witness.body = witness.body + " + c(x)"
    witness.save()
    assert badge_of(reviewed) == Badge.STALE


def test_editing_an_unrelated_object_keeps_the_review_current(reviewed):
    """An object of the same concept that is not a witness does not touch the claim."""
    other = ConceptObjectFactory(concept=reviewed.concept)
    other.body = "changed"
    other.save()
    assert badge_of(reviewed) == Badge.SUBSTANTIVELY_REVIEWED


def test_adding_a_witness_makes_the_review_stale(reviewed):
    """A new witness changes the fingerprint."""
    ClaimWitnessFactory(claim=reviewed)
    assert badge_of(reviewed) == Badge.STALE


def test_deleting_a_witness_object_makes_the_review_stale(reviewed):
    """Deleting the object itself removes the witness and makes the review stale."""
    reviewed.claim_witnesses.first().concept_object.delete()
    assert badge_of(reviewed) == Badge.STALE


def test_renaming_the_concept_makes_the_review_stale(reviewed):
    """Witness keys name the concept's path, so renaming it is a change."""
    concept = reviewed.concept
    concept.slug = "renamed"
    concept.save()
    assert badge_of(reviewed) == Badge.STALE


def test_a_new_review_of_a_stale_claim_makes_it_current_again(reviewed, reviewer):
    """Reviewing the changed claim records its new fingerprint and clears the stale badge."""
    claim_update(claim=reviewed, text="A different claim.")
    review = record_review(reviewed, reviewer, verdict="source_checked")
    assert review.fingerprint == reviewed.fingerprint
    assert badge_of(reviewed) == Badge.SOURCE_CHECKED


# Badges ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verdict", "badge"),
    [
        ("substantively_reviewed", Badge.SUBSTANTIVELY_REVIEWED),
        ("source_checked", Badge.SOURCE_CHECKED),
        ("disputed", Badge.DISPUTED),
        ("needs_changes", Badge.DISPUTED),
    ],
)
def test_the_badge_follows_the_latest_current_verdict(claim, reviewer, verdict, badge):
    """The latest review's verdict gives the badge; needs_changes shows as disputed."""
    assert badge_of(claim) == Badge.UNREVIEWED
    record_review(claim, reviewer, verdict=verdict, sources_checked=source_keys(claim))
    assert badge_of(claim) == badge


def test_only_the_latest_review_counts(claim, reviewer):
    """A later disputed review overrides an earlier substantive one."""
    record_review(claim, reviewer)
    record_review(claim, reviewer, verdict="disputed")
    assert badge_of(claim) == Badge.DISPUTED


# Claims ---------------------------------------------------------------------------------------


def test_claim_create_links_sources_and_witnesses_and_fingerprints(db):
    """claim_create stores the claim with its sources, locators and witnesses, fingerprinted."""
    concept = ConceptFactory()
    source = ConceptSourceFactory(concept=concept).source
    witness = ConceptObjectFactory(concept=concept)
    claim = claim_create(
        concept=concept,
        key=f"claim:{concept.path}#mechanism",
        text="Preference data trains a reward model.",
        sources=[(source, "§2.2")],
        witnesses=[witness],
    )
    assert list(claim.claim_sources.values_list("source__key", "locator")) == [(source.key, "§2.2")]
    assert [link.concept_object for link in claim.claim_witnesses.all()] == [witness]
    assert claim.fingerprint == claim_fingerprint(claim=claim)


def test_a_claim_key_must_name_its_concept(db):
    """A key outside the concept's path is refused, naming the key."""
    concept = ConceptFactory()
    with pytest.raises(ValidationError) as error:
        claim_create(concept=concept, key="claim:other/place#x", text="t")
    assert "key" in error.value.message_dict


def test_a_reviewed_claim_keeps_its_key(reviewed):
    """Once reviewed, a claim's key cannot change: the chain hashes name it."""
    with pytest.raises(ValidationError) as error:
        claim_update(claim=reviewed, key=f"claim:{reviewed.concept.path}#renamed")
    assert "key" in error.value.message_dict


def test_a_source_not_attached_to_the_concept_is_refused(db):
    """A claim may only rest on sources attached to its concept; nothing is written."""
    claim = ClaimFactory()
    stranger = SourceFactory()
    with pytest.raises(ValidationError) as error:
        claim_sources_set(claim=claim, sources=[(stranger, "p. 1")])
    assert "sources" in error.value.message_dict
    assert not claim.claim_sources.exists()


def test_a_witness_from_another_concept_is_refused(db):
    """A witness must belong to the claim's concept."""
    claim = ClaimFactory()
    foreign = ConceptObjectFactory()
    with pytest.raises(ValidationError) as error:
        claim_witnesses_set(claim=claim, witnesses=[foreign])
    assert "witnesses" in error.value.message_dict


def test_a_misconception_is_not_a_witness(db):
    """Only equation, code and demo objects can witness a claim."""
    claim = ClaimFactory()
    misconception = ConceptObjectFactory(
        concept=claim.concept, kind=ConceptObject.Kind.MISCONCEPTION
    )
    with pytest.raises(ValidationError):
        claim_witnesses_set(claim=claim, witnesses=[misconception])


def test_claim_update_refuses_fields_it_does_not_own(claim):
    """Fingerprint and latest review are maintained by services, not set by callers."""
    with pytest.raises(ValidationError) as error:
        claim_update(claim=claim, fingerprint="0" * 64)
    assert "fingerprint" in error.value.message_dict


# Verifications --------------------------------------------------------------------------------


def test_a_verification_records_the_outcome_and_the_claim_fingerprint(claim, reviewer):
    """A demo verification stores outcome, invariant, hashes and who ran it."""
    verification = claim_verification_record(
        claim=claim,
        outcome="passed",
        invariant="shift invariance",
        result_hash="a" * 64,
        witness_code_version="b" * 12,
        verified_by=reviewer,
    )
    assert verification.fingerprint == claim.fingerprint
    assert claim.verifications.get() == verification


def test_review_record_never_trusts_a_stale_stored_fingerprint(claim, reviewer):
    """If the stored fingerprint lags behind (a bulk update skipped signals), recording a
    review recomputes it first, so the review certifies what is really there."""
    ConceptObject.objects.filter(pk=claim.claim_witnesses.first().concept_object_id).update(
        body="changed behind the signals' back"
    )
    review = review_record(
        claim=claim,
        reviewer=reviewer,
        verdict="disputed",
        summary="s",
        scope_covers="c",
        scope_excludes="e",
    )
    assert review.fingerprint == claim_fingerprint(claim=claim)
    claim.refresh_from_db()
    assert claim.fingerprint == review.fingerprint


@pytest.fixture
def refreshes(monkeypatch):
    """The claim ids each fingerprint refresh reads, in order, while the refresh still runs."""
    calls: list[set[int]] = []
    read = fingerprints._claims_with_fingerprint_inputs

    def counted(claim_ids):
        calls.append(set(claim_ids))
        return read(claim_ids)

    monkeypatch.setattr(fingerprints, "_claims_with_fingerprint_inputs", counted)
    return calls


def test_a_claim_created_with_its_links_is_fingerprinted_once(db, refreshes):
    """Saving a claim, two sources and two witnesses refreshes the claim's fingerprint one time,
    at the end, not once per row saved; the stored fingerprint is the one its rows give."""
    concept = ConceptFactory()
    sources = [ConceptSourceFactory(concept=concept).source for _ in range(2)]
    witnesses = [ConceptObjectFactory(concept=concept) for _ in range(2)]
    claim = claim_create(
        concept=concept,
        key=f"claim:{concept.path}#once",
        text="Preference data trains a reward model.",
        sources=[(source, "§2") for source in sources],
        witnesses=witnesses,
    )
    assert refreshes == [{claim.pk}]
    assert claim.fingerprint == claim_fingerprint(claim=claim)


def test_an_edited_claim_is_fingerprinted_once_and_its_review_goes_stale(reviewed, refreshes):
    claim = claim_update(claim=reviewed, text="Preference data trains a reward model, once.")
    assert refreshes == [{claim.pk}]
    assert claim.fingerprint == claim_fingerprint(claim=claim)
    assert claim_badge(claim=claim) == Badge.STALE


def test_a_refused_link_change_refreshes_nothing(db, refreshes):
    """A source the concept does not cite is refused; the batch that raised writes nothing."""
    claim = linked_claim()
    refreshes.clear()
    stored = claim.fingerprint
    with pytest.raises(ValidationError):
        claim_sources_set(claim=claim, sources=[(SourceFactory(), "§1")])
    assert refreshes == []
    claim.refresh_from_db()
    assert claim.fingerprint == stored == claim_fingerprint(claim=claim)


def test_a_direct_save_outside_a_service_still_refreshes_at_once(db, refreshes):
    """The admin's forms save rows themselves: each save refreshes the claims it concerns."""
    claim = linked_claim()
    refreshes.clear()
    link = claim.claim_sources.first()
    link.locator = "§9"
    link.save()
    assert refreshes == [{claim.pk}]
    claim.refresh_from_db()
    assert claim.fingerprint == claim_fingerprint(claim=claim)
