"""Every write to the claims registry, each in one transaction.

The API, the admin, the content loader and the signal handlers all come through here, so a
fingerprint or a review's link in its chain is computed in one place.
"""

import datetime
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Prefetch
from django.utils import timezone

from concepts.models import Concept, ConceptObject, Source
from concepts.selectors import snapshot_latest_sha
from learning_platform.roles import is_reviewer
from learning_platform.services import model_update
from learning_platform.text import canonical_text

from . import signing
from .badges import badge_expression, waiting_since_expression
from .chain import fingerprint_inputs, fingerprint_of_inputs, review_hash_of, sha256_json
from .code_runs import (
    RUNNABLE_LANGUAGES,
    CodeWitnessLimits,
    code_witness_run,
    interpreter_version,
    output_diff,
    output_matches,
)
from .models import (
    Claim,
    ClaimCount,
    ClaimReview,
    ClaimSource,
    ClaimVerification,
    ClaimWitness,
    ReviewCheckpoint,
    ReviewerIdentity,
)
from .verification import invariant_for

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# The account content-file reviews are attributed to. It cannot log in.
CONTENT_IMPORT_USERNAME = "content-import"

# Verdicts that certify a source was read: they must name the sources they checked.
SOURCE_VERDICTS = (ClaimReview.Verdict.SUBSTANTIVELY_REVIEWED, ClaimReview.Verdict.SOURCE_CHECKED)


# Fingerprints ---------------------------------------------------------------------------------


# What _inputs_of reads of each witness: its key and its content hash.
_WITNESS_FIELDS = [
    f"concept_object__{name}"
    for name in ("kind", "anchor", "title", "body", "language", "demo_kind", "params")
] + ["concept_object__concept__area", "concept_object__concept__slug"]


def _claims_with_fingerprint_inputs(claim_ids: Iterable[int]):
    # Only the columns the fingerprint reads: verify_reviews recomputes every claim's.
    return (
        Claim.objects.filter(pk__in=list(claim_ids))
        .only("pk", "text", "fingerprint", "fingerprint_inputs")
        .prefetch_related(
            Prefetch(
                "claim_sources",
                queryset=ClaimSource.objects.select_related("source")
                .only("claim", "locator", "source__key")
                .annotate(snapshot_sha=snapshot_latest_sha()),
            ),
            Prefetch(
                "claim_witnesses",
                queryset=ClaimWitness.objects.select_related("concept_object__concept").only(
                    "claim", *_WITNESS_FIELDS
                ),
            ),
        )
    )


class _SnapshotSha(TypedDict):
    snapshot_sha: str | None


def _inputs_of(claim: Claim) -> dict:
    # The claim comes from _claims_with_fingerprint_inputs, whose Prefetch annotates each link.
    links = cast("Iterable[WithAnnotations[ClaimSource, _SnapshotSha]]", claim.claim_sources.all())
    return fingerprint_inputs(
        text=claim.text,
        sources=[(link.source.key, link.locator, link.snapshot_sha or "") for link in links],
        witnesses=[
            (link.concept_object.key, link.concept_object.content_hash)
            for link in claim.claim_witnesses.all()
        ],
    )


def claim_inputs(*, claim: Claim) -> dict:
    """What the claim's fingerprint hashes, as its rows stand now."""
    return _inputs_of(_claims_with_fingerprint_inputs([claim.pk]).get())


def claim_fingerprint(*, claim: Claim) -> str:
    """The claim's fingerprint as its rows stand now: text, source snapshots, witness bodies."""
    return fingerprint_of_inputs(claim_inputs(claim=claim))


def claim_fingerprint_refresh(*, claim_ids: Iterable[int]) -> list[int]:
    """Recompute and store the fingerprints of these claims; answer the ids that changed.

    A changed fingerprint is what makes a claim's earlier reviews stale.
    """
    ids = {claim_id for claim_id in claim_ids if claim_id is not None}
    if not ids:
        return []
    now = timezone.now()
    changed = []
    for claim in _claims_with_fingerprint_inputs(ids):
        inputs = _inputs_of(claim)
        fingerprint = fingerprint_of_inputs(inputs)
        if fingerprint != claim.fingerprint or inputs != claim.fingerprint_inputs:
            Claim.objects.filter(pk=claim.pk).update(
                fingerprint=fingerprint, fingerprint_inputs=inputs, fingerprint_changed_at=now
            )
            changed.append(claim.pk)
    claim_badges_sync(claim_ids=ids)
    return changed


# The claims a batch (claim_fingerprints_batched) refreshes at its end, None outside one.
_batched: ContextVar[set[int] | None] = ContextVar("claim_fingerprints_batched", default=None)


@contextmanager
def claim_fingerprints_batched() -> Iterator[None]:
    """Within the block, the refreshes that saved rows ask for (claims.signals) are made once,
    at its end, for every claim concerned: a service that saves a claim and its links refreshes
    it one time. A block that raises refreshes nothing; a nested block joins the outer one."""
    if _batched.get() is not None:
        yield
        return
    pending: set[int] = set()
    token = _batched.set(pending)
    try:
        yield
    finally:
        _batched.reset(token)
    claim_fingerprint_refresh(claim_ids=pending)


def claim_fingerprints_touch(*, claim_ids: Iterable[int]) -> None:
    """A write changed what these claims' fingerprints cover: refresh them now, or at the end of
    the batch in progress."""
    pending = _batched.get()
    if pending is None:
        claim_fingerprint_refresh(claim_ids=claim_ids)
    else:
        pending.update(claim_id for claim_id in claim_ids if claim_id is not None)


# Badges and counts ----------------------------------------------------------------------------

# An arbitrary constant: with a concept's id, the PostgreSQL advisory lock that serialises the
# recounts of that concept's claims (claim_counts_refresh).
CLAIM_COUNTS_LOCK = 730_140_622


def claim_badges_sync(*, claim_ids: Iterable[int], concept_ids: Iterable[int] = ()) -> None:
    """Store the badge and review-queue time of these claims from their columns, then recount
    their concepts (and ``concept_ids``). Every write to a column the badge reads, to a claim's
    status or to its concept calls this in its own transaction."""
    ids = sorted({claim_id for claim_id in claim_ids if claim_id is not None})
    concepts = set(concept_ids)
    if ids:
        Claim.objects.filter(pk__in=ids).update(
            badge=badge_expression(), waiting_since=waiting_since_expression()
        )
        concepts |= set(
            Claim.objects.filter(pk__in=ids).order_by().values_list("concept_id", flat=True)
        )
    claim_counts_refresh(concept_ids=concepts)


def claim_counts_recount(*, concept_ids: Iterable[int] | None = None) -> dict[tuple, list[int]]:
    """{(concept id, status, badge): [claims, substantive reviews]} counted from the claims
    (all concepts when ``concept_ids`` is None). Two queries over those concepts' claims."""
    claims = Claim.objects.order_by()
    reviews = ClaimReview.objects.filter(verdict=ClaimReview.Verdict.SUBSTANTIVELY_REVIEWED)
    if concept_ids is not None:
        claims = claims.filter(concept_id__in=concept_ids)
        reviews = reviews.filter(claim__concept_id__in=concept_ids)
    counts: dict[tuple, list[int]] = {}
    for concept_id, status, badge, number in claims.values_list(
        "concept_id", "status", "badge"
    ).annotate(number=Count("id")):
        counts[(concept_id, status, badge)] = [number, 0]
    for concept_id, status, badge, number in (
        reviews.order_by()
        .values_list("claim__concept_id", "claim__status", "claim__badge")
        .annotate(number=Count("id"))
    ):
        counts.setdefault((concept_id, status, badge), [0, 0])[1] = number
    return counts


@transaction.atomic
def claim_counts_refresh(*, concept_ids: Iterable[int]) -> None:
    """Rewrite the stored counts (ClaimCount) of these concepts from their claims.

    The cost is a count over one concept's claims, paid on write so that no read counts claims.
    On PostgreSQL the recounts of one concept are serialised by a transaction-scoped advisory
    lock taken just before its rows are rewritten: a second writer waits, then counts with the
    first one's claims committed. SQLite serialises writers anyway.
    """
    ids = sorted({concept_id for concept_id in concept_ids if concept_id is not None})
    if not ids:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for concept_id in ids:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [CLAIM_COUNTS_LOCK, concept_id]
                )
    counts = claim_counts_recount(concept_ids=ids)
    ClaimCount.objects.filter(concept_id__in=ids).delete()
    ClaimCount.objects.bulk_create(
        ClaimCount(
            concept_id=concept_id,
            status=status,
            badge=badge,
            claims=claims,
            substantive_reviews=reviews,
        )
        for (concept_id, status, badge), (claims, reviews) in sorted(counts.items())
    )


def claim_fingerprints_now(*, claim_ids: Iterable[int]) -> dict[int, str]:
    """Each claim's fingerprint recomputed from its rows as they stand, whatever it stores."""
    return {
        claim.pk: fingerprint_of_inputs(_inputs_of(claim))
        for claim in _claims_with_fingerprint_inputs(claim_ids)
    }


def _refreshed(claim: Claim) -> Claim:
    claim.refresh_from_db(
        fields=[
            "fingerprint",
            "fingerprint_inputs",
            "fingerprint_changed_at",
            "latest_review",
            "latest_review_fingerprint",
            "latest_review_verdict",
            "badge",
            "waiting_since",
        ]
    )
    return claim


# Claims ---------------------------------------------------------------------------------------


@transaction.atomic
def claim_save(*, claim: Claim) -> Claim:
    """Validate and save a claim (new or edited), then bring its fingerprint up to date."""
    with claim_fingerprints_batched():
        claim.full_clean()
        claim.save()
    return _refreshed(claim)


@transaction.atomic
def claim_create(
    *,
    concept: Concept,
    key: str,
    text: str,
    status: str = Claim.Status.DRAFT,
    support_note: str = "",
    order: int = 0,
    sources: Sequence[tuple[Source, str]] = (),
    witnesses: Sequence[ConceptObject] = (),
) -> Claim:
    claim = Claim(
        concept=concept,
        key=key,
        text=text,
        status=status,
        support_note=support_note,
        order=order,
    )
    with claim_fingerprints_batched():
        claim_save(claim=claim)
        claim_sources_set(claim=claim, sources=sources)
        claim_witnesses_set(claim=claim, witnesses=witnesses)
    return _refreshed(claim)


CLAIM_EDITABLE_FIELDS = ("key", "concept", "text", "status", "support_note", "order")


@transaction.atomic
def claim_update(*, claim: Claim, **fields) -> Claim:
    model_update(instance=claim, fields=CLAIM_EDITABLE_FIELDS, data=fields)
    return claim_save(claim=claim)


def _links_add(links: Iterable[ClaimSource | ClaimWitness]) -> list[str]:
    """Validate and save new link rows; answer the messages of the ones refused."""
    errors = []
    for link in links:
        try:
            link.full_clean()
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        link.save()
    return errors


@transaction.atomic
def claim_sources_set(*, claim: Claim, sources: Sequence[tuple[Source, str]]) -> Claim:
    """Make the claim rest on exactly these (source, locator) pairs, in this order."""
    with claim_fingerprints_batched():
        wanted = {
            source.pk: (order, source, locator) for order, (source, locator) in enumerate(sources)
        }
        for link in list(claim.claim_sources.all()):
            if link.source_id not in wanted:
                link.delete()
                continue
            order, _, locator = wanted.pop(link.source_id)
            if (link.order, link.locator) != (order, locator):
                link.order, link.locator = order, locator
                link.save()
        errors = _links_add(
            ClaimSource(claim=claim, source=source, locator=locator, order=order)
            for order, source, locator in wanted.values()
        )
        if errors:
            raise ValidationError({"sources": errors})
    return _refreshed(claim)


@transaction.atomic
def claim_witnesses_set(*, claim: Claim, witnesses: Sequence[ConceptObject]) -> Claim:
    """Make the claim's witnesses exactly these objects, in this order."""
    with claim_fingerprints_batched():
        wanted = {witness.pk: (order, witness) for order, witness in enumerate(witnesses)}
        for link in list(claim.claim_witnesses.all()):
            if link.concept_object_id not in wanted:
                link.delete()
                continue
            order, _ = wanted.pop(link.concept_object_id)
            if link.order != order:
                link.order = order
                link.save()
        errors = _links_add(
            ClaimWitness(claim=claim, concept_object=witness, order=order)
            for order, witness in wanted.values()
        )
        if errors:
            raise ValidationError({"witnesses": errors})
    return _refreshed(claim)


# Reviews --------------------------------------------------------------------------------------


def _claim_source_keys(claim: Claim) -> set[str]:
    return set(ClaimSource.objects.filter(claim=claim).values_list("source__key", flat=True))


def _claim_witness_keys(claim: Claim) -> set[str]:
    links = ClaimWitness.objects.filter(claim=claim).select_related("concept_object__concept")
    return {link.concept_object.key for link in links}


def _normalised_keys(keys: Iterable[str], prefix: str = "") -> list[str]:
    cleaned = []
    for key in keys:
        key = str(key).strip()
        if prefix and key.startswith(prefix):
            key = key[len(prefix) :]
        cleaned.append(key)
    return sorted(set(cleaned))


def review_validate(
    *,
    claim: Claim,
    verdict: str,
    summary: str,
    scope_covers: str,
    scope_excludes: str,
    sources_checked: Iterable[str] = (),
    witnesses_checked: Iterable[str] = (),
) -> dict:
    """Check a review's content against the claim; answer it normalised or raise per field."""
    errors: dict[str, str] = {}
    if verdict not in ClaimReview.Verdict.values:
        errors["verdict"] = f"{verdict!r} is not one of: {', '.join(ClaimReview.Verdict.values)}."
    for name, value in (
        ("summary", summary),
        ("scope_covers", scope_covers),
        ("scope_excludes", scope_excludes),
    ):
        if not (value or "").strip():
            errors[name] = "This field is required and cannot be blank."
    sources = _normalised_keys(sources_checked, prefix="source:")
    witnesses = _normalised_keys(witnesses_checked)
    known_sources = _claim_source_keys(claim)
    unknown_sources = [key for key in sources if key not in known_sources]
    if unknown_sources:
        errors["sources_checked"] = f"Not a source of this claim: {', '.join(unknown_sources)}."
    elif verdict in SOURCE_VERDICTS and not sources:
        errors["sources_checked"] = "Name the sources this verdict checked."
    known_witnesses = _claim_witness_keys(claim)
    unknown_witnesses = [key for key in witnesses if key not in known_witnesses]
    if unknown_witnesses:
        errors["witnesses_checked"] = (
            f"Not a witness of this claim: {', '.join(unknown_witnesses)}."
        )
    if errors:
        raise ValidationError(errors)
    return {
        "verdict": verdict,
        "summary": summary.strip(),
        "scope_covers": scope_covers.strip(),
        "scope_excludes": scope_excludes.strip(),
        "sources_checked": sources,
        "witnesses_checked": witnesses,
    }


def reviewer_label_validate(*, reviewer, reviewer_label: str | None) -> str:
    """The label is the reviewer's username, or the username with a '+' suffix (rita+oracle).

    The reviewer of record is always the authenticated user; the label may describe how they
    reviewed but can never name somebody else.
    """
    username = reviewer.get_username()
    label = (reviewer_label or "").strip() or username
    if label != username and not label.startswith(f"{username}+"):
        raise ValidationError(
            {
                "reviewer_label": (
                    f"A review is recorded as {username}: the label must be {username!r} "
                    f"or start with {username + '+'!r}."
                )
            }
        )
    max_length = ClaimReview._meta.get_field("reviewer_label").max_length
    assert max_length is not None  # the model declares reviewer_label with a max_length
    if len(label) > max_length:
        raise ValidationError({"reviewer_label": "The label is too long."})
    return label


def reviewer_identity(user) -> ReviewerIdentity:
    """The account's stable reviewer identity, created on its first review."""
    if user.get_username() == CONTENT_IMPORT_USERNAME:
        # The same uid in every database, so content-file reviews hash the same everywhere.
        uid = uuid.uuid5(uuid.NAMESPACE_URL, f"learning-platform:{CONTENT_IMPORT_USERNAME}")
        identity, _ = ReviewerIdentity.objects.get_or_create(user=user, defaults={"uid": uid})
        return identity
    identity, _ = ReviewerIdentity.objects.get_or_create(user=user)
    return identity


def _review_append(
    *,
    claim: Claim,
    reviewer,
    reviewer_label: str,
    reviewed_on: datetime.date,
    fingerprint: str,
    fingerprint_inputs: dict | None = None,
    **content,
) -> ClaimReview:
    """Add the next link to the claim's chain. The caller holds the lock on the claim row."""
    head = (
        ClaimReview.objects.filter(claim=claim).order_by("-sequence").only("sequence", "hash")
    ).first()
    revision = Concept.objects.filter(pk=claim.concept_id).values_list("revision_hash", flat=True)
    review = ClaimReview(
        claim=claim,
        sequence=head.sequence + 1 if head else 1,
        previous_hash=head.hash if head else "",
        reviewer=reviewer,
        reviewer_uid=str(reviewer_identity(reviewer).uid),
        reviewer_label=reviewer_label,
        reviewed_on=reviewed_on,
        fingerprint=fingerprint,
        fingerprint_inputs=(
            fingerprint_inputs
            if fingerprint_inputs is not None
            else (claim.fingerprint_inputs if fingerprint == claim.fingerprint else {})
        ),
        concept_revision=revision.first() or "",
        **content,
    )
    review.hash = review_hash_of(review, claim_key=claim.key)
    review.full_clean()
    _review_log_append(review)
    review.save()
    Claim.objects.filter(pk=claim.pk).update(
        latest_review=review,
        latest_review_fingerprint=review.fingerprint,
        latest_review_verdict=review.verdict,
    )
    claim_badges_sync(claim_ids=[claim.pk])
    return review


# An arbitrary constant: the PostgreSQL advisory lock that serialises appends to the review log.
REVIEW_LOG_LOCK = 7_301_406_211


def _review_log_append(review: ClaimReview) -> None:
    """Give the review the next place in the registry-wide log and sign it there.

    Appends to the log are serialised (after the claim's own row lock, always in that order): on
    PostgreSQL by a transaction-scoped advisory lock, on SQLite by its single write lock, which
    this project's IMMEDIATE transactions take at their start. The unique log index refuses a
    second writer that got past both.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REVIEW_LOG_LOCK])
    last = (
        ClaimReview.objects.filter(log_index__isnull=False)
        .order_by("-log_index")
        .values_list("log_index", "log_head")
        .first()
    )
    index, head = last or (0, signing.EMPTY_LOG_HEAD)
    assert index is not None  # only entries with a log index are read
    review.log_index = index + 1
    review.log_head = signing.log_head_next(head, review.hash)
    review.signing_key_id, review.signature = signing.sign(
        signing.review_statement(
            review_hash=review.hash, log_index=review.log_index, log_head=review.log_head
        )
    )


def _locked_with_current_fingerprint(claim: Claim) -> tuple[Claim, str]:
    # The row lock serialises appends to one claim's chain: a second writer waits here and then
    # reads the head the first one wrote. (SQLite's IMMEDIATE transactions serialise anyway.)
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    inputs = claim_inputs(claim=locked)
    current = fingerprint_of_inputs(inputs)
    if current != locked.fingerprint or inputs != locked.fingerprint_inputs:
        Claim.objects.filter(pk=locked.pk).update(
            fingerprint=current, fingerprint_inputs=inputs, fingerprint_changed_at=timezone.now()
        )
        locked.fingerprint, locked.fingerprint_inputs = current, inputs
        # The review appended next (or the rollback of a refused one) follows in this
        # transaction; its claim_badges_sync stores the badge.
    return locked, current


@transaction.atomic
def review_record(
    *,
    claim: Claim,
    reviewer,
    verdict: str,
    summary: str,
    scope_covers: str,
    scope_excludes: str,
    sources_checked: Iterable[str] = (),
    witnesses_checked: Iterable[str] = (),
    reviewer_label: str | None = None,
    reviewed_on: datetime.date | None = None,
    fingerprint: str | None = None,
    verification_seen: int | None = None,
) -> ClaimReview:
    """Append a review by ``reviewer`` (the authenticated user) to the claim's chain.

    ``fingerprint``, when given, is the fingerprint the reviewer read: if the claim has changed
    since, the review is refused rather than certifying content nobody looked at.
    """
    if not is_reviewer(reviewer):
        raise PermissionDenied("Only reviewers may record reviews.")
    label = reviewer_label_validate(reviewer=reviewer, reviewer_label=reviewer_label)
    today = timezone.localdate()
    reviewed_on = reviewed_on or today
    if reviewed_on > today:
        raise ValidationError({"reviewed_on": "A review cannot be dated in the future."})
    locked, current = _locked_with_current_fingerprint(claim)
    if fingerprint is not None and fingerprint != current:
        raise ValidationError(
            {
                "fingerprint": (
                    "The claim has changed since this fingerprint was read; read it again "
                    f"(its fingerprint is now {current})."
                )
            }
        )
    content = review_validate(
        claim=locked,
        verdict=verdict,
        summary=summary,
        scope_covers=scope_covers,
        scope_excludes=scope_excludes,
        sources_checked=sources_checked,
        witnesses_checked=witnesses_checked,
    )
    seen = _verification_seen(claim=locked, verification_id=verification_seen)
    review = _review_append(
        claim=locked,
        reviewer=reviewer,
        reviewer_label=label,
        reviewed_on=reviewed_on,
        fingerprint=current,
        verification_seen=seen,
        verification_seen_hash=seen.result_hash if seen else "",
        **content,
    )
    _refreshed(claim)
    return review


def _verification_seen(*, claim: Claim, verification_id: int | None) -> ClaimVerification | None:
    """The verification the reviewer saw: the one named, or else the claim's latest."""
    if verification_id is None:
        return claim.latest_verification
    seen = ClaimVerification.objects.filter(pk=verification_id, claim=claim).first()
    if seen is None:
        raise ValidationError({"verification_seen": "No verification of this claim has this id."})
    return seen


def content_import_user():
    """The account content-file reviews are recorded under: inactive, with no password."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=CONTENT_IMPORT_USERNAME, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def review_import(
    *,
    claim: Claim,
    reviewer_label: str,
    reviewed_on: datetime.date,
    fingerprint: str | None = None,
    **content,
) -> ClaimReview:
    """Append a review read from the content files, attributed to the content-import account.

    ``fingerprint`` is the one the file says was reviewed: if the claim has changed since, the
    imported review is stale from the start. Without one, the current fingerprint is used.
    """
    if not (reviewer_label or "").strip():
        raise ValidationError({"reviewer_label": "This field is required."})
    locked, current = _locked_with_current_fingerprint(claim)
    values = review_validate(claim=locked, **content)
    review = _review_append(
        claim=locked,
        reviewer=content_import_user(),
        reviewer_label=reviewer_label.strip(),
        reviewed_on=reviewed_on,
        fingerprint=fingerprint or current,
        **values,
    )
    _refreshed(claim)
    return review


# Verifications --------------------------------------------------------------------------------


@transaction.atomic
def claim_verification_record(
    *,
    claim: Claim,
    outcome: str,
    invariant: str,
    result_hash: str,
    witness_code_version: str,
    record: dict | None = None,
    verified_by=None,
) -> ClaimVerification:
    """Record whether the claim's witnesses, run, did what they must."""
    verification = ClaimVerification(
        claim=claim,
        outcome=outcome,
        invariant=invariant,
        result_hash=result_hash,
        witness_code_version=witness_code_version,
        record=record or {},
        fingerprint=claim_fingerprint(claim=claim),
        verified_by=verified_by,
    )
    verification.full_clean()
    _verification_sign(verification, claim=claim)
    verification.save()
    return verification


def _verification_sign(verification: ClaimVerification, *, claim: Claim) -> None:
    statement = signing.verification_statement(verification, claim_key=claim.key)
    verification.signing_key_id, verification.signature = signing.sign(statement)


# Witness verification --------------------------------------------------------------------------


@dataclass
class _WitnessCheck:
    holds: bool
    description: str
    record: dict
    evidence: list
    version: str


def _code_witness_check(witness: ConceptObject, limits: CodeWitnessLimits) -> _WitnessCheck:
    """Run the code and compare its stdout with the expected output it declares."""
    record: dict = {
        "key": witness.key,
        "version": witness.content_hash,
        "language": witness.language,
        "expected_output_declared": bool(witness.expected_output),
    }
    description = f"{witness.key}: exits 0 printing exactly its expected output"
    if witness.language.strip().lower() not in RUNNABLE_LANGUAGES:
        record.update(
            ran=False,
            exit_status=None,
            signal=None,
            limit=None,
            duration_seconds=None,
            stdout="",
            stdout_truncated=False,
            stderr_tail="",
            matched=False,
            reason=f"{witness.language!r} code cannot be run here",
        )
        return _WitnessCheck(
            False, description, record, [witness.key, witness.content_hash, "", None, False], ""
        )
    run = code_witness_run(source=witness.body, limits=limits)
    matched = bool(witness.expected_output) and output_matches(
        expected=witness.expected_output, actual=run.stdout
    )
    record.update(ran=True, **run.record(stdout_chars=limits.stdout_chars), matched=matched)
    if not witness.expected_output:
        record["reason"] = "declares no expected output to compare with"
    elif not matched:
        diff = output_diff(expected=witness.expected_output, actual=run.stdout)
        record["diff"] = diff[: limits.stdout_chars]
    evidence = [
        witness.key,
        witness.content_hash,
        sha256_json(canonical_text(run.stdout)),
        run.exit_status,
        matched,
    ]
    holds = matched and run.exit_status == 0
    return _WitnessCheck(holds, description, record, evidence, interpreter_version())


def _demo_witness_check(witness: ConceptObject) -> _WitnessCheck:
    """Compute the demo's stored state afresh and check its kind's invariant on the result."""
    from demos.services import demo_run_recompute

    try:
        fresh = demo_run_recompute(kind=witness.demo_kind, params=witness.params)
    except ValidationError as exc:
        raise ValidationError(
            {"witnesses": f"{witness.key} cannot run in its stored state: {exc.messages}"}
        ) from exc
    invariant = invariant_for(witness.demo_kind)
    holds = fresh.result is not None and invariant is not None and invariant.holds(fresh.result)
    record = {
        "key": witness.key,
        "kind": fresh.kind,
        "params_hash": fresh.params_hash,
        "code_version": fresh.code_version,
        "recomputed": True,
        "matched_cache": fresh.matched_cache,
        "cached_run": str(fresh.cached_run.pk) if fresh.cached_run else None,
        "invariant_holds": holds,
        **({"error": fresh.error} if fresh.error else {}),
    }
    description = invariant.description if invariant else "no invariant is defined"
    return _WitnessCheck(
        holds,
        f"{witness.key}: {description}",
        record,
        [witness.key, fresh.params_hash, sha256_json(fresh.result), fresh.matched_cache],
        fresh.code_version,
    )


def claim_verify(*, claim: Claim, user) -> tuple[ClaimVerification, bool]:
    """Run every code witness of the claim and compute every demo witness afresh; record whether
    each code witness printed its expected output and each demo state showed its invariant.

    Answers (verification, created). Verifying again what the latest verification already
    recorded (same claim fingerprint, outputs, results and code versions) answers that
    verification and adds no row. The runs happen outside any transaction.
    """
    witnesses = [
        link.concept_object
        for link in claim.claim_witnesses.select_related("concept_object__concept")
        if link.concept_object.kind in (ConceptObject.Kind.CODE, ConceptObject.Kind.DEMO)
    ]
    if not witnesses:
        raise ValidationError({"witnesses": "This claim has no code or demo witness to run."})
    limits = CodeWitnessLimits.from_settings()
    # Demos first: a stored state that cannot run is refused before any code runs.
    demos = [_demo_witness_check(w) for w in witnesses if w.kind == ConceptObject.Kind.DEMO]
    codes = [_code_witness_check(w, limits) for w in witnesses if w.kind == ConceptObject.Kind.CODE]
    checks = codes + demos
    outcome = (
        ClaimVerification.Outcome.PASSED
        if all(check.holds for check in checks)
        else ClaimVerification.Outcome.FAILED
    )
    result_hash = sha256_json(sorted(check.evidence for check in checks))
    code_version = ",".join(sorted({check.version for check in checks if check.version}))[:64]
    record = {
        "code_runs": [check.record for check in codes],
        "demo_runs": [check.record for check in demos],
        "limits": limits.as_record() if codes else {},
    }
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        latest = locked.latest_verification
        if (
            latest is not None
            and latest.outcome == outcome
            and latest.result_hash == result_hash
            and latest.witness_code_version == code_version
            and latest.fingerprint == claim_fingerprint(claim=locked)
        ):
            return latest, False
        verification = claim_verification_record(
            claim=locked,
            outcome=outcome,
            invariant="; ".join(check.description for check in checks)[:300],
            result_hash=result_hash,
            witness_code_version=code_version,
            record=record,
            verified_by=user if getattr(user, "is_authenticated", False) else None,
        )
        Claim.objects.filter(pk=claim.pk).update(latest_verification=verification)
    return verification, True


# Restoring a backup ---------------------------------------------------------------------------


def reviewer_restore(*, username: str, uid: str):
    """The account a restored review names: found by its reviewer identity, else by username,
    else created inactive with no password (an admin re-enables it)."""
    identity = ReviewerIdentity.objects.select_related("user").filter(uid=uid).first()
    if identity is not None:
        return identity.user
    user_model = get_user_model()
    user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        user = user_model(**{user_model.USERNAME_FIELD: username, "is_active": False})
        user.set_unusable_password()
        user.save()
    existing = ReviewerIdentity.objects.filter(user=user).first()
    if existing is not None:
        raise ValidationError(
            {"reviewer_uid": f"{username} already has the reviewer identity {existing.uid}."}
        )
    ReviewerIdentity.objects.create(user=user, uid=uid)
    return user


@transaction.atomic
def verification_restore(*, claim: Claim, verified_by: str = "", **fields) -> ClaimVerification:
    """Add a verification from a backup unless the claim already has it."""
    found = ClaimVerification.objects.filter(
        claim=claim, verified_at=fields["verified_at"], result_hash=fields["result_hash"]
    ).first()
    if found is not None:
        return found
    user = None
    if verified_by:
        user = get_user_model().objects.filter(username=verified_by).first()
    verification = ClaimVerification(claim=claim, verified_by=user, **fields)
    verification.full_clean()
    _verification_sign(verification, claim=claim)
    verification.save()
    latest = ClaimVerification.objects.filter(claim=claim).order_by("-verified_at", "-id").first()
    Claim.objects.filter(pk=claim.pk).update(latest_verification=latest)
    return verification


@transaction.atomic
def review_restore(
    *,
    claim: Claim,
    reviewer: str,
    reviewer_uid: str,
    hash: str,
    verification_seen: str = "",
    **fields,
) -> tuple[ClaimReview, bool]:
    """Append a review from a backup exactly as it was recorded; answer (review, created).

    It must be the next link of the claim's chain and hash to the hash it states, so a backup
    that was edited, reordered or cut is refused rather than restored. Once its hash checks, the
    review enters this deployment's log and is signed with this deployment's key: a content file
    carries no signatures, so the same file loads into any deployment.
    """
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    existing = ClaimReview.objects.filter(claim=locked, hash=hash).first()
    if existing is not None:
        return existing, False
    head = ClaimReview.objects.filter(claim=locked).order_by("-sequence").first()
    expected = (head.sequence + 1, head.hash) if head else (1, "")
    if (fields["sequence"], fields["previous_hash"]) != expected:
        raise ValidationError(
            {
                "previous_hash": (
                    f"review #{fields['sequence']} does not extend the chain in the database "
                    f"(its head is #{expected[0] - 1}, {(expected[1] or 'empty')[:12]}): the "
                    "chains differ"
                )
            }
        )
    seen = None
    if verification_seen:
        seen = (
            ClaimVerification.objects.filter(claim=locked, result_hash=verification_seen)
            .order_by("-verified_at")
            .first()
        )
    review = ClaimReview(
        claim=locked,
        reviewer=reviewer_restore(username=reviewer, uid=reviewer_uid),
        reviewer_uid=reviewer_uid,
        verification_seen=seen,
        verification_seen_hash=verification_seen,
        hash=hash,
        **fields,
    )
    actual = review_hash_of(review, claim_key=locked.key)
    if actual != hash:
        raise ValidationError(
            {"hash": f"states {hash[:12]} but the review's content hashes to {actual[:12]}"}
        )
    inputs = review.fingerprint_inputs
    if inputs and fingerprint_of_inputs(inputs) != review.fingerprint:
        raise ValidationError(
            {"fingerprint_inputs": "do not hash to the fingerprint the review states"}
        )
    review.full_clean()
    _review_log_append(review)
    review.save()
    Claim.objects.filter(pk=locked.pk).update(
        latest_review=review,
        latest_review_fingerprint=review.fingerprint,
        latest_review_verdict=review.verdict,
    )
    claim_badges_sync(claim_ids=[locked.pk])
    return review, True


# Checkpoints ----------------------------------------------------------------------------------


def review_log_head() -> tuple[int, str]:
    """(size, head) of the review log as stored: its newest entry's place and head."""
    last = (
        ClaimReview.objects.filter(log_index__isnull=False)
        .order_by("-log_index")
        .values_list("log_index", "log_head", "hash", "signing_key_id", "signature")
        .first()
    )
    if last is None:
        return 0, signing.EMPTY_LOG_HEAD
    index, head, review_hash, key_id, signature = last
    assert index is not None  # only entries with a log index are read
    problem = signing.signature_problem(
        signing.review_statement(review_hash=review_hash, log_index=index, log_head=head),
        key_id=key_id,
        signature=signature,
    )
    if problem is not None:
        # Never sign a head the platform did not write.
        raise signing.LogTampered(
            f"The newest review log entry (#{index}) is not one the platform signed: {problem}. "
            "Run manage.py verify_reviews."
        )
    return index, head


def checkpoint_issue(*, store: bool = False) -> dict:
    """The review log's current signed checkpoint, as JSON-ready data; ``store`` also records it
    in the table of issued checkpoints."""
    size, head = review_log_head()
    issued_at = timezone.now()
    statement = signing.checkpoint_statement(
        size=size, head=head, issued_at=signing.utc_iso(issued_at)
    )
    key_id, signature = signing.sign(statement)
    if store:
        ReviewCheckpoint.objects.create(
            size=size, head=head, issued_at=issued_at, key_id=key_id, signature=signature
        )
    return {**statement, "key_id": key_id, "signature": signature}
