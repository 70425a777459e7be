"""Tampering with the review trail behind the platform's back is caught by verify_reviews.

Each case changes the database the way someone with write access to it could, with raw SQL or
an ORM ``.update()``/``bulk_create`` that skips the services, then checks that
``manage.py verify_reviews`` exits non-zero with a line naming the claim, the review and what
failed. None of them can sign: the key is not in the database.
"""

import base64
import datetime
import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone

from claims import signing
from claims.chain import canonical_json, review_hash_of
from claims.counts import claim_badges_sync, claim_counts_refresh
from claims.models import Claim, ClaimReview, ClaimVerification, ReviewerIdentity
from claims.services import claim_update
from claims.verify import claim_verification_record
from learning_platform.roles import REVIEWERS
from tests.claims.factories import linked_claim, record_review

pytestmark = pytest.mark.django_db


def _reviewer(django_user_model, username: str):
    # No password: hashing one costs more than the rest of a case.
    user = django_user_model.objects.create(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=REVIEWERS))
    return user


def _verification(claim: Claim, outcome: str, digit: str) -> ClaimVerification:
    return claim_verification_record(
        claim=claim,
        outcome=outcome,
        invariant="demo: the policy ignores a reward shift",
        result_hash=digit * 64,
        witness_code_version="test",
    )


@pytest.fixture
def trail(django_user_model):
    """Two claims with three reviews each, interleaved in the log (first #1, second #1, first
    #2, …), by two reviewers; the first claim's reviews saw a failed witness verification."""
    rita = _reviewer(django_user_model, "rita")
    sam = _reviewer(django_user_model, "sam")
    first, second = linked_claim(), linked_claim()
    verification = _verification(first, ClaimVerification.Outcome.FAILED, "a")
    Claim.objects.filter(pk=first.pk).update(latest_verification=verification)
    reviews: dict[int, list[ClaimReview]] = {first.pk: [], second.pk: []}
    for author in (rita, sam, rita):
        for claim in (first, second):
            reviews[claim.pk].append(record_review(claim, author))
    for claim in (first, second):
        claim.refresh_from_db()
    return {
        "claims": (first, second),
        "reviews": reviews,
        "log": sorted(ClaimReview.objects.all(), key=lambda review: review.log_index),
        "verification": verification,
        "rita": rita,
        "sam": sam,
    }


def problems(**options) -> str:
    """verify_reviews' error: it must exit non-zero."""
    with pytest.raises(CommandError) as error:
        call_command("verify_reviews", **options)
    assert error.value.returncode != 0
    return str(error.value)


def passes(**options) -> str:
    out = StringIO()
    call_command("verify_reviews", stdout=out, **options)
    return out.getvalue()


def checkpoint_file(tmp_path, name: str, *, record: bool = False):
    path = tmp_path / f"{name}.json"
    options = {} if record else {"no_record": True}
    call_command("review_checkpoint", output=str(path), stdout=StringIO(), **options)
    return path


def repoint(claim: Claim, review: ClaimReview) -> None:
    """Move the claim's head pointer (and the badge's copies) to ``review``, in the ORM, and
    rewrite the stored badge and counts to match, as a careful tamperer would."""
    Claim.objects.filter(pk=claim.pk).update(
        latest_review=review,
        latest_review_fingerprint=review.fingerprint,
        latest_review_verdict=review.verdict,
    )
    claim_badges_sync(claim_ids=[claim.pk])


def forge(trail, *, sign_with=None, in_log: bool = True) -> ClaimReview:
    """Insert a fourth review of the second claim with a correctly computed chain hash, log place
    and log head, and move the claim's pointer to it: all but a signature by the platform."""
    claim = trail["claims"][1]
    head = trail["reviews"][claim.pk][-1]
    last = trail["log"][-1]
    review = ClaimReview(
        claim=claim,
        sequence=head.sequence + 1,
        reviewer=trail["sam"],
        reviewer_uid=str(ReviewerIdentity.objects.get(user=trail["sam"]).uid),
        reviewer_label="sam",
        verdict=ClaimReview.Verdict.SUBSTANTIVELY_REVIEWED,
        summary="Every source supports the claim in full.",
        scope_covers="Reviews everything.",
        scope_excludes="nothing.",
        sources_checked=head.sources_checked,
        witnesses_checked=head.witnesses_checked,
        reviewed_on=head.reviewed_on,
        fingerprint=claim.fingerprint,
        previous_hash=head.hash,
        concept_revision=head.concept_revision,
    )
    review.hash = review_hash_of(review, claim_key=claim.key)
    if in_log:
        review.log_index = last.log_index + 1
        review.log_head = signing.log_head_next(last.log_head, review.hash)
    if sign_with is not None:
        statement = signing.review_statement(
            review_hash=review.hash, log_index=review.log_index, log_head=review.log_head
        )
        review.signing_key_id = signing.key_id_of(sign_with.public_key())
        review.signature = base64.b64encode(sign_with.sign(canonical_json(statement))).decode()
    ClaimReview.objects.bulk_create([review])
    repoint(claim, review)
    return review


# The untampered trail -------------------------------------------------------------------------


def test_an_untampered_trail_passes_and_extends_its_checkpoints(trail, tmp_path):
    """Six signed reviews, a recorded checkpoint and one kept outside all verify."""
    outside = checkpoint_file(tmp_path, "now", record=True)
    out = passes(against=str(outside))
    assert "6 reviews of 2 claims verified" in out
    assert "the log of 6 reviews extends 2 checkpoints" in out


def test_key_rotation_keeps_old_reviews_verifiable(trail, settings, tmp_path):
    """After a rotation (new key, old public key retired) old reviews and old checkpoints still
    verify and new ones are signed by the new key; dropping the retired key fails them."""
    old = signing.public_keys()[0]
    before = checkpoint_file(tmp_path, "before")
    settings.REVIEW_SIGNING_KEY = base64.b64encode(b"\x07" * 32).decode()
    settings.REVIEW_SIGNING_RETIRED_KEYS = [old.base64]
    new_id = signing.current_key_id()
    assert new_id != old.key_id
    added = record_review(trail["claims"][0], trail["rita"])
    assert added.signing_key_id == new_id
    assert "7 reviews of 2 claims verified" in passes(against=str(before))
    settings.REVIEW_SIGNING_RETIRED_KEYS = []
    message = problems(against=str(before))
    assert f"log entry #1: it is signed by key {old.key_id}, which is neither" in message
    assert "log entry #7" not in message


def test_renaming_an_account_changes_no_review(trail, django_user_model, anon_client):
    """A rename (in the ORM) leaves verification passing and every review's signed author,
    the label and identity the API and JSON-LD show, as it was."""
    first = trail["claims"][0]
    uid = str(ReviewerIdentity.objects.get(user=trail["rita"]).uid)
    django_user_model.objects.filter(pk=trail["rita"].pk).update(username="mallory")
    passes()
    listed = anon_client.get(f"/api/v1/claims/{first.pk}/reviews/").json()["results"]
    assert listed[-1]["reviewer_label"] == "rita" and listed[-1]["reviewer_uid"] == uid
    jsonld = anon_client.get(f"/api/v1/claims/{first.pk}/claim-review.jsonld").json()
    page = f"http://testserver/reviewers/{uid}/"
    assert jsonld["author"] == {
        "@type": "Person",
        "@id": page,
        "url": page,
        "name": "rita",
        "identifier": f"urn:uuid:{uid}",
    }


# Edits, deletions, reorders -------------------------------------------------------------------


def test_an_edited_summary(trail, tamper):
    """A softened summary no longer hashes to the review's stored hash."""
    first = trail["claims"][0]
    target = trail["reviews"][first.pk][1]
    tamper("UPDATE claims_claimreview SET summary = %s WHERE id = %s", ["Fine.", target.pk])
    assert f"{first.key} review #2: its content no longer matches its stored hash" in problems()


def test_a_rehashed_edit(trail, tamper):
    """An upgraded verdict with its hash recomputed passes the chain check but not the
    signature, which covered the old hash, nor the next review's link to it."""
    first = trail["claims"][0]
    target = trail["reviews"][first.pk][2]
    target.verdict = "source_checked"
    rehashed = review_hash_of(target, claim_key=first.key)
    tamper(
        "UPDATE claims_claimreview SET verdict = 'source_checked', hash = %s WHERE id = %s",
        [rehashed, target.pk],
    )
    message = problems()
    where = f"{first.key} review #3: log entry #{target.log_index}"
    assert f"{where}: its head does not follow from the entry before" in message
    assert f"{where}: its signature does not verify" in message


def test_a_deleted_middle_review(trail, tamper):
    """A review deleted from the middle leaves a gap in its chain and in the log."""
    second = trail["claims"][1]
    target = trail["reviews"][second.pk][1]
    tamper("DELETE FROM claims_claimreview WHERE id = %s", [target.pk])
    message = problems()
    assert f"{second.key} review #2: missing: the chain jumps from #1 to #3" in message
    after = target.log_index + 1
    assert f"log entry #{after}: the log jumps from #{target.log_index - 1} to #{after}" in message


def test_reordered_reviews(trail, tamper):
    """Two reviews of a claim with their sequence numbers swapped break the hash links."""
    first = trail["claims"][0]
    one, two, _ = trail["reviews"][first.pk]
    tamper("UPDATE claims_claimreview SET sequence = 99 WHERE id = %s", [one.pk])
    tamper("UPDATE claims_claimreview SET sequence = 1 WHERE id = %s", [two.pk])
    tamper("UPDATE claims_claimreview SET sequence = 2 WHERE id = %s", [one.pk])
    message = problems()
    assert f"{first.key} review #1: its previous hash does not match" in message
    assert f"{first.key} review #1: its content no longer matches its stored hash" in message


def test_swapped_log_places(trail, tamper):
    """Two reviews' places in the log swapped: neither signature covers its new place."""
    a, b = trail["log"][1], trail["log"][2]
    tamper("UPDATE claims_claimreview SET log_index = 99 WHERE id = %s", [a.pk])
    tamper("UPDATE claims_claimreview SET log_index = %s WHERE id = %s", [a.log_index, b.pk])
    tamper("UPDATE claims_claimreview SET log_index = %s WHERE id = %s", [b.log_index, a.pk])
    message = problems()
    for index in (a.log_index, b.log_index):
        assert f"log entry #{index}: its signature does not verify" in message


# Truncation and checkpoints -------------------------------------------------------------------


def _cut_newest(trail, tamper) -> ClaimReview:
    """Delete the newest review of the log and point its claim at the one before."""
    second = trail["claims"][1]
    newest = trail["reviews"][second.pk][-1]
    repoint(second, trail["reviews"][second.pk][-2])
    tamper("DELETE FROM claims_claimreview WHERE id = %s", [newest.pk])
    claim_counts_refresh(concept_ids=[second.concept_id])  # the stored counts follow the cut
    return newest


def test_a_cut_tail_against_a_checkpoint_kept_outside(trail, tamper, tmp_path):
    """Cutting the newest review and resetting the pointer leaves a self-consistent trail;
    a checkpoint kept outside the database shows the cut."""
    outside = checkpoint_file(tmp_path, "outside")
    _cut_newest(trail, tamper)
    passes()  # nothing inside the database can tell
    message = problems(against=str(outside))
    assert "the log holds 5 reviews, fewer than the 6 this checkpoint signed" in message


def test_a_cut_tail_against_a_recorded_checkpoint(trail, tamper, tmp_path):
    """A checkpoint recorded by review_checkpoint shows the cut with no file at hand."""
    checkpoint_file(tmp_path, "recorded", record=True)
    _cut_newest(trail, tamper)
    message = problems()
    assert "recorded checkpoint" in message and "fewer than the 6" in message


def test_a_deletion_with_the_log_renumbered(trail, tamper, tmp_path):
    """Deleting an early review and closing the gap (places and heads recomputed, which needs
    no key) breaks every moved entry's signature, and the checkpoint's head."""
    outside = checkpoint_file(tmp_path, "outside")
    gone = trail["log"][1]
    tamper("DELETE FROM claims_claimreview WHERE id = %s", [gone.pk])
    head = trail["log"][0].log_head
    for review in trail["log"][2:]:
        head = signing.log_head_next(head, review.hash)
        tamper(
            "UPDATE claims_claimreview SET log_index = %s, log_head = %s WHERE id = %s",
            [review.log_index - 1, head, review.pk],
        )
    message = problems(against=str(outside))
    assert "log entry #2: its signature does not verify" in message
    assert "the log holds 5 reviews, fewer than the 6" in message


def test_a_forged_insert_before_a_checkpoint(trail, tamper, tmp_path):
    """A review slipped into the log before a checkpoint's size (later places shifted, heads
    recomputed) changes the head at that size."""
    early = checkpoint_file(tmp_path, "early")
    forged = forge(trail)
    # Move the forgery to the first place of the log, shifting the others up by one.
    tamper("UPDATE claims_claimreview SET log_index = log_index + 1000 WHERE id <> %s", [forged.pk])
    tamper("UPDATE claims_claimreview SET log_index = 1 WHERE id = %s", [forged.pk])
    tamper("UPDATE claims_claimreview SET log_index = log_index - 999 WHERE log_index > 1000")
    message = problems(against=str(early))
    assert "the log's first 6 reviews no longer hash to the head it signed" in message


def test_a_replayed_old_checkpoint(trail, tamper, tmp_path):
    """After a cut, a newer checkpoint fails (larger than the log) and an older one passes as
    an extension, but not as current: --not-before, the time the newer one was fetched, fails
    it."""
    older = checkpoint_file(tmp_path, "older")
    record_review(trail["claims"][0], trail["rita"])
    newer = checkpoint_file(tmp_path, "newer")
    fetched = json.loads(newer.read_text())["issued_at"]
    newest = ClaimReview.objects.get(log_index=7)
    repoint(trail["claims"][0], trail["reviews"][trail["claims"][0].pk][-1])
    tamper("DELETE FROM claims_claimreview WHERE id = %s", [newest.pk])
    claim_counts_refresh(concept_ids=[trail["claims"][0].concept_id])
    assert "fewer than the 7" in problems(against=str(newer))
    passes(against=str(older))
    message = problems(against=str(older), not_before=fetched)
    assert f"issued before {fetched} (--not-before)" in message


def test_a_forged_checkpoint_in_the_record(trail, tamper, tmp_path):
    """A recorded checkpoint whose size was lowered (to match a cut) no longer verifies."""
    checkpoint_file(tmp_path, "recorded", record=True)
    _cut_newest(trail, tamper)
    tamper("UPDATE claims_reviewcheckpoint SET size = 5")
    assert "its signature does not verify" in problems()


# Forged reviews and signatures ----------------------------------------------------------------


def test_a_forged_insert_with_a_valid_hash_and_no_signature(trail):
    """A review inserted with its chain hash, log place and head computed, and the pointer
    moved to it, carries no signature."""
    second = trail["claims"][1]
    forge(trail)
    assert f"{second.key} review #4: log entry #7: it carries no signature" in problems()


def test_a_forged_insert_signed_by_another_key(trail):
    """A forgery signed with a key of the forger's own names a key the platform does not know."""
    second = trail["claims"][1]
    outsider = Ed25519PrivateKey.generate()
    forge(trail, sign_with=outsider)
    outsider_id = signing.key_id_of(outsider.public_key())
    assert (
        f"{second.key} review #4: log entry #7: it is signed by key {outsider_id}, which is "
        "neither the platform's signing key nor a retired one"
    ) in problems()


def test_a_forged_insert_outside_the_log(trail):
    """A forgery that skips the log has no place in it and no signature."""
    second = trail["claims"][1]
    forge(trail, in_log=False)
    assert f"{second.key} review #4: it has no place in the review log" in problems()


def test_a_swapped_signature(trail, tamper):
    """Review A's valid signature copied onto review B does not verify for B."""
    a, b = trail["log"][0], trail["log"][3]
    tamper("UPDATE claims_claimreview SET signature = %s WHERE id = %s", [a.signature, b.pk])
    claim = Claim.objects.get(pk=b.claim_id)
    assert (
        f"{claim.key} review #{b.sequence}: log entry #{b.log_index}: its signature does not verify"
    ) in problems()


def test_a_removed_signature(trail, tamper):
    """A review whose signature was blanked is reported unsigned."""
    target = trail["log"][4]
    tamper(
        "UPDATE claims_claimreview SET signature = '', signing_key_id = '' WHERE id = %s",
        [target.pk],
    )
    assert f"log entry #{target.log_index}: it carries no signature" in problems()


# Pointers, fingerprints, authors, verifications -----------------------------------------------


def test_a_pointer_reset(trail):
    """The claim's head pointer moved back to its first review (badge copies included)."""
    first = trail["claims"][0]
    repoint(first, trail["reviews"][first.pk][0])
    assert f"{first.key} review #3: the claim's latest review is not the head" in problems()


def test_a_fingerprint_reset(trail):
    """After an edit stales the claim, setting its stored fingerprint back to the reviewed one
    makes the badge read current; the fingerprint recomputed from its inputs shows it."""
    first = trail["claims"][0]
    claim_update(claim=first, text="A weaker claim than the one reviewed.")
    reviewed = trail["reviews"][first.pk][-1].fingerprint
    Claim.objects.filter(pk=first.pk).update(fingerprint=reviewed)
    assert Claim.objects.get(pk=first.pk).latest_review_fingerprint == reviewed  # looks current
    assert f"{first.key} review #3: the claim's stored fingerprint {reviewed[:12]}" in problems()


def test_rewritten_fingerprint_inputs(trail, tamper):
    """A review's recorded inputs (what stale reasons compare) rewritten to hide a change no
    longer hash to the fingerprint it reviewed."""
    first = trail["claims"][0]
    target = trail["reviews"][first.pk][2]
    inputs = {**target.fingerprint_inputs, "text": "Something else entirely."}
    tamper(
        "UPDATE claims_claimreview SET fingerprint_inputs = %s WHERE id = %s",
        [json.dumps(inputs), target.pk],
    )
    assert f"{first.key} review #3: its recorded fingerprint inputs no longer hash" in problems()


def test_a_review_moved_to_another_account(trail, tamper):
    """A review pointed at another account: the account does not hold the signed identity."""
    first = trail["claims"][0]
    target = trail["reviews"][first.pk][0]  # by rita
    tamper(
        "UPDATE claims_claimreview SET reviewer_id = %s WHERE id = %s",
        [trail["sam"].pk, target.pk],
    )
    message = problems()
    assert f"{first.key} review #1: it was signed for reviewer identity" in message
    assert f"(user {trail['sam'].pk}) holds" in message and "its author was changed" in message


def test_an_identity_handed_to_another_account(trail):
    """Swapping two accounts' reviewer identities makes every review's author mismatch."""
    rita_id = ReviewerIdentity.objects.get(user=trail["rita"])
    sam_id = ReviewerIdentity.objects.get(user=trail["sam"])
    ReviewerIdentity.objects.filter(pk=sam_id.pk).update(uid=rita_id.uid.hex[::-1])
    ReviewerIdentity.objects.filter(pk=rita_id.pk).update(uid=sam_id.uid)
    ReviewerIdentity.objects.filter(pk=sam_id.pk).update(uid=rita_id.uid)
    message = problems()
    assert message.count("its author was changed") == 6


def test_an_edited_verification(trail, tamper):
    """The failed verification the reviews saw, rewritten to passed, loses its signature."""
    first = trail["claims"][0]
    verification = trail["verification"]
    tamper(
        "UPDATE claims_claimverification SET outcome = 'passed' WHERE id = %s", [verification.pk]
    )
    assert (
        f"{first.key}: witness verification {verification.pk} "
        f"({signing.utc_iso(verification.verified_at)}): its signature does not verify"
    ) in problems()


def test_a_review_repointed_to_another_verification(trail, tamper):
    """A review pointed at a verification of another claim is reported."""
    first, second = trail["claims"]
    stranger = _verification(second, ClaimVerification.Outcome.PASSED, "b")
    target = trail["reviews"][first.pk][1]
    tamper(
        "UPDATE claims_claimreview SET verification_seen_id = %s WHERE id = %s",
        [stranger.pk, target.pk],
    )
    assert (
        f"{first.key} review #2: it points to verification {stranger.pk}, which belongs to "
        "another claim"
    ) in problems()


def test_checkpoint_times_are_signed(trail, tmp_path):
    """A checkpoint file whose time was moved forward (to pass --not-before) fails."""
    path = checkpoint_file(tmp_path, "old")
    data = json.loads(path.read_text())
    later = timezone.now() + datetime.timedelta(days=1)
    data["issued_at"] = signing.utc_iso(later)
    path.write_text(json.dumps(data))
    assert "its signature does not verify" in problems(
        against=str(path), not_before=signing.utc_iso(timezone.now())
    )
