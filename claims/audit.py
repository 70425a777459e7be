"""What `manage.py verify_reviews` checks, trusting nothing the database says about itself.

Everything is recomputed from the rows and checked against what only the platform's key could
have signed (claims.signing):

- each claim's chain: sequence from 1 without gaps, each review naming the hash of the one
  before, each review's content hashing to its stored hash;
- the claim's row: its latest-review pointer (and the copies its badge reads) at the head of
  its chain, and its stored fingerprint equal to what its text, sources and witnesses hash to
  (and the stored copies of those inputs, the claim's and each review's, hashing to theirs);
- the claim's stored badge and review-queue time equal to what its columns give, and each
  concept's stored counts (claims by status and badge, substantive reviews) equal to a recount;
- each review's author: the account it points to holds the reviewer identity it was hashed
  with (renaming the account changes neither; pointing the review at another account shows);
- each review's verification: the one it points to belongs to its claim and still has the
  result hash the review saw, and every verification's own signature holds;
- the registry-wide log: places 1, 2, 3 … without gaps, each head following from the one
  before, each entry's signature by a known key over exactly its hash, place and head;
- checkpoints: every issued checkpoint recorded in the database, and one given from outside,
  must carry a valid signature and be extended by the log (same head at its size), which is
  what shows reviews cut from the end of the log together with their claims' pointers.

Each problem is one line naming the claim key, the review's sequence and what failed.
"""

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from learning_platform.progress import StepProgress

from . import signing
from .badges import badge_of, waiting_since_of
from .chain import fingerprint_of_inputs, review_hash_of
from .counts import claim_counts_recount
from .fingerprints import claim_fingerprints_now
from .models import (
    Claim,
    ClaimCount,
    ClaimReview,
    ClaimVerification,
    ReviewCheckpoint,
    ReviewerIdentity,
)

CHECKPOINT_FIELDS = ("type", "size", "head", "issued_at", "key_id", "signature")


@dataclass(frozen=True)
class Problem:
    claim_key: str
    sequence: int | None
    reason: str

    def __str__(self) -> str:
        if self.claim_key and self.sequence:
            return f"{self.claim_key} review #{self.sequence}: {self.reason}"
        if self.claim_key:
            return f"{self.claim_key}: {self.reason}"
        return self.reason


@dataclass
class TrailReport:
    claims: int = 0
    reviews: int = 0
    log_size: int = 0
    verifications: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def broken(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def add(self, claim_key: str, sequence: int | None, reason: str) -> None:
        self.problems.append(Problem(claim_key, sequence, reason))


@dataclass(frozen=True)
class Checkpoint:
    size: int
    head: str
    issued_at: datetime.datetime
    key_id: str
    signature: str
    origin: str  # where it came from, for the report

    @property
    def statement(self) -> dict[str, Any]:
        return signing.checkpoint_statement(
            size=self.size, head=self.head, issued_at=signing.utc_iso(self.issued_at)
        )

    def __str__(self) -> str:
        return f"{self.origin} (size {self.size}, issued {signing.utc_iso(self.issued_at)})"


def checkpoint_parse(data: Any, *, origin: str) -> Checkpoint:
    """A checkpoint from its JSON form (GET /api/v1/claims/checkpoint/, review_checkpoint);
    ValueError naming the field when it is not one."""
    if not isinstance(data, dict):
        raise ValueError("a checkpoint is a JSON object")
    missing = [name for name in CHECKPOINT_FIELDS if name not in data]
    if missing:
        raise ValueError(f"{missing[0]}: is required")
    if data["type"] != signing.CHECKPOINT_STATEMENT:
        raise ValueError(f"type: must be {signing.CHECKPOINT_STATEMENT!r}")
    size = data["size"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError("size: must be a whole number, 0 or more")
    for name in ("head", "key_id", "signature", "issued_at"):
        if not isinstance(data[name], str):
            raise ValueError(f"{name}: must be a string")
    try:
        issued_at = datetime.datetime.fromisoformat(data["issued_at"])
    except ValueError as exc:
        raise ValueError("issued_at: must be an ISO 8601 time") from exc
    if issued_at.tzinfo is None:
        raise ValueError("issued_at: must name its time zone")
    if signing.utc_iso(issued_at) != data["issued_at"]:
        raise ValueError("issued_at: must be written in UTC as signed (…+00:00)")
    return Checkpoint(size, data["head"], issued_at, data["key_id"], data["signature"], origin)


# Verifications --------------------------------------------------------------------------------


def _verifications_check(report: TrailReport) -> dict[int, tuple[int, str]]:
    """Check every verification's signature; answer {id: (claim id, result hash)}."""
    facts = {}
    rows = ClaimVerification.objects.select_related("claim").order_by("pk")
    for verification in rows.iterator(chunk_size=2000):
        report.verifications += 1
        facts[verification.pk] = (verification.claim_id, verification.result_hash)
        problem = signing.signature_problem(
            signing.verification_statement(verification, claim_key=verification.claim.key),
            key_id=verification.signing_key_id,
            signature=verification.signature,
        )
        if problem is not None:
            report.add(
                verification.claim.key,
                None,
                f"witness verification {verification.pk} "
                f"({signing.utc_iso(verification.verified_at)}): {problem}",
            )
    return facts


# Claims and their chains ----------------------------------------------------------------------


@dataclass
class _Context:
    report: TrailReport
    identities: dict[int, str]
    verifications: dict[int, tuple[int, str]]
    anchors: dict[str, dict]
    # Told how many claims have been checked so far, or None: nobody is watching.
    progress: Callable[[int], None] | None = None


def _review_check(context: _Context, claim: Claim, review: ClaimReview, previous_hash: str | None):
    add = context.report.add
    if previous_hash is not None and review.previous_hash != previous_hash:
        add(claim.key, review.sequence, "its previous hash does not match the review before it")
    if review_hash_of(review, claim_key=claim.key) != review.hash:
        add(claim.key, review.sequence, "its content no longer matches its stored hash")
    if review.fingerprint_inputs and fingerprint_of_inputs(review.fingerprint_inputs) != (
        review.fingerprint
    ):
        # The copy that says what changed since (stale reasons) must be what was reviewed.
        add(
            claim.key,
            review.sequence,
            "its recorded fingerprint inputs no longer hash to the fingerprint it reviewed",
        )
    if review.reviewer_uid:
        holder = context.identities.get(review.reviewer_id)
        if holder != review.reviewer_uid:
            add(
                claim.key,
                review.sequence,
                f"it was signed for reviewer identity {review.reviewer_uid}, but its account "
                f"(user {review.reviewer_id}) holds {holder or 'no identity'}: its author was "
                "changed",
            )
    if review.verification_seen_id is not None:
        seen = context.verifications.get(review.verification_seen_id)
        if seen is None:
            reason = f"the verification it points to ({review.verification_seen_id}) is gone"
        elif seen[0] != claim.pk:
            reason = (
                f"it points to verification {review.verification_seen_id}, "
                "which belongs to another claim"
            )
        elif seen[1] != review.verification_seen_hash:
            reason = (
                f"the verification it points to ({review.verification_seen_id}) no longer has "
                "the result hash the review saw"
            )
        else:
            reason = ""
        if reason:
            add(claim.key, review.sequence, reason)


def _chain_check(context: _Context, claim: Claim, reviews: list[ClaimReview], fingerprint: str):
    add = context.report.add
    previous_hash, expected = "", 1
    for review in reviews:
        if review.sequence != expected:
            add(
                claim.key,
                expected,
                f"missing: the chain jumps from #{expected - 1} to #{review.sequence}",
            )
        # After a gap the previous hash cannot match: the missing review is the one problem.
        _review_check(
            context, claim, review, previous_hash if review.sequence == expected else None
        )
        previous_hash, expected = review.hash, review.sequence + 1
    head = reviews[-1] if reviews else None
    head_sequence = head.sequence if head else None
    if (claim.latest_review_id, claim.latest_review_fingerprint, claim.latest_review_verdict) != (
        (head.pk, head.fingerprint, head.verdict) if head else (None, "", "")
    ):
        add(claim.key, head_sequence, "the claim's latest review is not the head of its chain")
    if claim.badge != badge_of(claim):
        add(
            claim.key,
            head_sequence,
            f"the claim's stored badge {claim.badge!r} is not the one its columns give "
            f"({badge_of(claim)!r}): lists filtered by badge would show it wrongly",
        )
    elif claim.waiting_since != waiting_since_of(claim):
        add(claim.key, head_sequence, "the claim's stored review-queue time is not its own")
    if claim.fingerprint != fingerprint:
        add(
            claim.key,
            head_sequence,
            f"the claim's stored fingerprint {claim.fingerprint[:12] or '(none)'} is not what "
            f"its text, sources and witnesses hash to ({fingerprint[:12]}): a stale review "
            "would read as current",
        )
    elif claim.fingerprint_inputs and fingerprint_of_inputs(claim.fingerprint_inputs) != (
        claim.fingerprint
    ):
        add(
            claim.key,
            head_sequence,
            "the claim's stored fingerprint inputs do not hash to its fingerprint",
        )
    anchor = context.anchors.pop(claim.key, None)
    if anchor is not None:
        sequence = int(anchor["sequence"])
        if len(reviews) < sequence or reviews[sequence - 1].hash != anchor["hash"]:
            add(
                claim.key,
                sequence,
                "a review recorded in the saved heads is no longer in the chain",
            )


def _chunks(rows: Iterator[Claim], size: int) -> Iterator[list[Claim]]:
    chunk: list[Claim] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _claims_check(context: _Context, chunk_size: int) -> None:
    claims = Claim.objects.order_by("pk").only(
        "pk",
        "key",
        "fingerprint",
        "fingerprint_inputs",
        "latest_review_id",
        "latest_review_fingerprint",
        "latest_review_verdict",
        "badge",
        "waiting_since",
        "created_at",
        "fingerprint_changed_at",
    )
    reviews = (
        ClaimReview.objects.order_by("claim_id", "sequence")
        .defer("recorded_at")
        .iterator(chunk_size=chunk_size)
    )
    pending = next(reviews, None)
    for chunk in _chunks(claims.iterator(chunk_size=chunk_size), chunk_size):
        fingerprints = claim_fingerprints_now(claim_ids=[claim.pk for claim in chunk])
        for claim in chunk:
            while pending is not None and pending.claim_id < claim.pk:
                # Only with foreign keys off could a review outlive its claim: nothing to check.
                pending = next(reviews, None)
            chain = []
            while pending is not None and pending.claim_id == claim.pk:
                chain.append(pending)
                pending = next(reviews, None)
            context.report.claims += 1
            context.report.reviews += len(chain)
            _chain_check(context, claim, chain, fingerprints[claim.pk])
        if context.progress is not None:
            context.progress(context.report.claims)
    for key, anchor in sorted(context.anchors.items()):
        context.report.add(key, int(anchor["sequence"]), "the claim is gone")


def _counts_check(report: TrailReport) -> None:
    """The stored counts (ClaimCount) against a recount of the claims and their reviews."""
    from concepts.models import Concept

    stored = {
        (concept_id, status, badge): [claims, reviews]
        for concept_id, status, badge, claims, reviews in ClaimCount.objects.values_list(
            "concept_id", "status", "badge", "claims", "substantive_reviews"
        )
    }
    recounted = claim_counts_recount()
    wrong = sorted(
        key for key in set(stored) | set(recounted) if stored.get(key) != recounted.get(key)
    )
    paths = {
        pk: f"concept:{area}/{slug}"
        for pk, area, slug in Concept.objects.filter(
            pk__in={concept_id for concept_id, _, _ in wrong}
        ).values_list("pk", "area", "slug")
    }
    for key in wrong:
        concept_id, status, badge = key
        held, actual = stored.get(key, [0, 0]), recounted.get(key, [0, 0])
        report.add(
            paths.get(concept_id, f"concept #{concept_id}"),
            None,
            f"its stored counts of {status} {badge} claims say {held[0]} claims and {held[1]} "
            f"substantive reviews, a recount finds {actual[0]} and {actual[1]}: the concept "
            "page's summary and the claim lists' totals would be wrong",
        )


# The log and its checkpoints ------------------------------------------------------------------


def _log_check(
    report: TrailReport,
    sizes: set[int],
    chunk_size: int,
    progress: Callable[[int], None] | None = None,
) -> dict[int, str]:
    """Walk the log in order; answer the head recomputed from its hashes at each of ``sizes``."""
    heads = {0: signing.EMPTY_LOG_HEAD} if 0 in sizes else {}
    entries = (
        ClaimReview.objects.filter(log_index__isnull=False)
        .order_by("log_index")
        .values_list(
            "log_index", "hash", "log_head", "signing_key_id", "signature", "claim__key", "sequence"
        )
    )
    computed = stored = signing.EMPTY_LOG_HEAD
    expected = 1
    for index, review_hash, head, key_id, signature, claim_key, sequence in entries.iterator(
        chunk_size=chunk_size
    ):
        assert index is not None  # only entries with a log index are read
        report.log_size += 1
        computed = signing.log_head_next(computed, review_hash)
        if report.log_size in sizes:
            heads[report.log_size] = computed
        where = f"log entry #{index}"
        if index != expected:
            report.add(
                claim_key,
                sequence,
                f"{where}: the log jumps from #{expected - 1} to #{index}: entries were removed "
                "or moved",
            )
        elif head != signing.log_head_next(stored, review_hash):
            report.add(
                claim_key, sequence, f"{where}: its head does not follow from the entry before"
            )
        problem = signing.signature_problem(
            signing.review_statement(review_hash=review_hash, log_index=index, log_head=head),
            key_id=key_id,
            signature=signature,
        )
        if problem is not None:
            report.add(claim_key, sequence, f"{where}: {problem}")
        stored, expected = head, index + 1
        if progress is not None and report.log_size % chunk_size == 0:
            progress(report.log_size)
    outside = ClaimReview.objects.filter(log_index__isnull=True).values_list(
        "claim__key", "sequence"
    )
    for claim_key, sequence in outside.order_by("claim__key", "sequence"):
        report.add(
            claim_key,
            sequence,
            "it has no place in the review log and no signature: the platform never appended it",
        )
    return heads


def _checkpoint_check(report: TrailReport, checkpoint: Checkpoint, heads: dict[int, str]) -> None:
    report.checkpoints += 1
    problem = signing.signature_problem(
        checkpoint.statement, key_id=checkpoint.key_id, signature=checkpoint.signature
    )
    if problem is not None:
        report.add("", None, f"{checkpoint}: {problem}")
    elif checkpoint.size > report.log_size:
        report.add(
            "",
            None,
            f"{checkpoint}: the log holds {report.log_size} reviews, fewer than the "
            f"{checkpoint.size} this checkpoint signed: reviews were cut from the log",
        )
    elif heads.get(checkpoint.size) != checkpoint.head:
        report.add(
            "",
            None,
            f"{checkpoint}: the log's first {checkpoint.size} reviews no longer hash "
            "to the head it signed: reviews before it were removed, inserted or reordered",
        )


def _stored_checkpoints() -> list[Checkpoint]:
    return [
        Checkpoint(
            row.size,
            row.head,
            row.issued_at,
            row.key_id,
            row.signature,
            f"recorded checkpoint {row.pk}",
        )
        for row in ReviewCheckpoint.objects.order_by("issued_at", "pk")
    ]


def review_trail_verify(
    *,
    anchors: dict[str, dict] | None = None,
    checkpoint: Checkpoint | None = None,
    not_before: datetime.datetime | None = None,
    chunk_size: int = 2000,
    progress: StepProgress | None = None,
) -> TrailReport:
    """Check the whole review trail; the report lists every problem found, in order.

    ``anchors`` are per-claim heads saved earlier (verify_reviews --save-heads); ``checkpoint``
    one kept outside the database, which the log must extend; ``not_before`` the earliest time
    that checkpoint may have been issued (a replayed old checkpoint shows). ``progress``
    (optional) hears (done, total) over the claims and then the log's entries, a chunk at a
    time; it costs two counts.
    """
    report = TrailReport()
    claims_seen = log_seen = None
    if progress is not None:
        total = Claim.objects.count() + ClaimReview.objects.filter(log_index__isnull=False).count()

        def claims_seen(done: int) -> None:
            progress(min(done, total), total)

        def log_seen(done: int) -> None:
            progress(min(report.claims + done, total), total)

    context = _Context(
        report=report,
        identities={
            user_id: str(uid)
            for user_id, uid in ReviewerIdentity.objects.values_list("user_id", "uid")
        },
        verifications=_verifications_check(report),
        anchors=dict(anchors or {}),
        progress=claims_seen,
    )
    _claims_check(context, chunk_size)
    _counts_check(report)
    checkpoints = _stored_checkpoints() + ([checkpoint] if checkpoint else [])
    heads = _log_check(report, {point.size for point in checkpoints}, chunk_size, log_seen)
    if progress is not None:
        progress(total, total)
    for point in checkpoints:
        _checkpoint_check(report, point, heads)
    if checkpoint is not None and not_before is not None and checkpoint.issued_at < not_before:
        report.add(
            "",
            None,
            f"{checkpoint}: issued before {signing.utc_iso(not_before)} "
            "(--not-before): an older checkpoint may have been passed off as a current one",
        )
    return report
