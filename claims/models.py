"""The claims registry: claims, the sources and witnesses behind them, and their reviews.

Reviews are append-only and hash-chained per claim (see claims.chain). A claim stores its current
content fingerprint and its latest review (pointer, fingerprint and verdict), so that its badge is
a comparison of columns of one row and can be computed, filtered and paginated in SQL.

Badges. A badge tells a learner how far to trust the claim *as written*:

- ``unreviewed``: no review recorded;
- ``stale``: the latest review looked at different content (its fingerprint is not the claim's);
- otherwise from the latest review's verdict: ``substantively_reviewed``, ``source_checked``,
  and ``disputed`` for both *disputed* and *needs changes*. A reviewer who sends a claim back
  for changes is saying it is not supported as written, which for a learner reads as disputed;
  the review keeps its own verdict and the API returns it next to the badge. Once an editor
  changes the claim, its fingerprint changes, the badge turns stale and the claim is back in
  the review queue.
"""

import uuid
from collections.abc import Callable, Collection
from typing import Any, Self, TypedDict, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.sql.where import WhereNode
from django.utils import timezone

from concepts.models import Concept, ConceptObject, ConceptSource, Source
from learning_platform.text import CanonicalCharField, CanonicalTextField

CLAIM_KEY_PATTERN = r"^claim:[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*#[a-z0-9][a-z0-9_-]*$"
claim_key_validator = RegexValidator(
    CLAIM_KEY_PATTERN, "A claim key reads claim:<area>/<concept>#<anchor>, in lowercase slugs."
)


class AppendOnlyError(Exception):
    """An attempt to change or remove a row of an append-only table."""


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _queryset_only(method: _Method) -> _Method:
    """Keep a queryset method off the manager that ``as_manager()`` builds, as Django's own
    ``delete`` is (Django reads the ``queryset_only`` attribute of the function)."""
    method_attributes: Any = method  # a function object takes any attribute
    method_attributes.queryset_only = True
    return method


class AppendOnlyQuerySet(models.QuerySet):
    """Inserts and reads only: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: update() refused.")

    @_queryset_only
    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: delete() refused.")

    @_queryset_only
    def _raw_delete(self, using):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: delete refused.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        base_manager_name = "objects"

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError(
                f"{type(self).__name__} rows are append-only: an existing row cannot be saved."
            )
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only: delete() refused.")


class Badge(models.TextChoices):
    UNREVIEWED = "unreviewed", "Unreviewed"
    SUBSTANTIVELY_REVIEWED = "substantively_reviewed", "Substantively reviewed"
    SOURCE_CHECKED = "source_checked", "Source checked"
    STALE = "stale", "Stale"
    DISPUTED = "disputed", "Disputed"


class ClaimQuerySet(models.QuerySet["Claim"]):
    """Claims, with a count the selectors may state from the stored counts (ClaimCount).

    ``with_count(counter)`` makes ``count()`` answer ``counter()`` (a cheaper count, e.g. of
    the stored counts, called only when a count is asked for) instead of counting the claims,
    for as long as the filters stay the ones it was stated for: ordering, ``values_list`` or
    slicing keep it; any further filter drops it and ``count()`` counts the claims again.
    """

    # (where clause the count was stated for, the counter)
    _stated_count: tuple[WhereNode, Callable[[], int]] | None = None

    def with_count(self, counter: Callable[[], int]) -> Self:
        clone = self.all()
        clone._stated_count = (clone.query.where.clone(), counter)
        return clone

    def _clone(self) -> Self:
        clone = super()._clone()  # type: ignore[misc]  # the stubs omit the private QuerySet._clone
        clone._stated_count = self._stated_count
        return clone

    def count(self) -> int:
        stated = self._stated_count
        if (
            stated is not None
            and self._result_cache is None
            and not self.query.is_sliced
            and not self.query.combinator
            and not self.query.distinct
            and self.query.where == stated[0]
        ):
            return stated[1]()
        return super().count()


class SourceLink(TypedDict):
    """A source of a claim as claims_with_links reads it (``ClaimRead.source_links``)."""

    key: str
    title: str
    locator: str
    url: str


class WitnessLink(TypedDict):
    """A witness of a claim as claims_with_links reads it (``ClaimRead.witness_links``)."""

    key: str
    kind: str
    title: str


class Claim(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        PUBLISHED = "published", "published"
        SOURCE_CHECKED = "source_checked", "source checked"
        RETIRED = "retired", "retired"

    # Statuses a learner sees on a published concept page.
    LIVE_STATUSES = (Status.PUBLISHED, Status.SOURCE_CHECKED)

    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="claims")
    key = models.CharField(
        max_length=300,
        unique=True,
        validators=[claim_key_validator],
        help_text="Stable key, e.g. claim:alignment/rlhf#preference-rm-kl. Fixed once reviewed.",
    )
    text = CanonicalTextField(max_length=4000)
    support_note = CanonicalTextField(
        max_length=4000,
        blank=True,
        help_text="Claim metadata: how the sources and witnesses bear on the claim.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    order = models.PositiveSmallIntegerField(default=0)
    sources = models.ManyToManyField(Source, through="ClaimSource", related_name="claims")
    witnesses = models.ManyToManyField(ConceptObject, through="ClaimWitness", related_name="claims")
    # Maintained by claims.fingerprints.claim_fingerprint_refresh whenever what it covers changes.
    fingerprint = models.CharField(max_length=64, blank=True, default="", editable=False)
    fingerprint_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    # What the fingerprint hashes (text, sources with locator and snapshot hash, witnesses with
    # content hash): compared with a review's copy, it says which input changed.
    fingerprint_inputs = models.JSONField(default=dict, blank=True, editable=False)
    # Maintained by claims.reviews.review_record, under a lock on this row: the latest review,
    # and the two of its columns the badge reads, so that filtering by badge needs no join.
    latest_review = models.ForeignKey(
        "ClaimReview",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    latest_review_fingerprint = models.CharField(
        max_length=64, blank=True, default="", editable=False
    )
    latest_review_verdict = models.CharField(max_length=30, blank=True, default="", editable=False)
    latest_verification = models.ForeignKey(
        "ClaimVerification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # Maintained by claims.counts.claim_badges_sync from the columns above (the expressions are
    # in claims.badges), so that lists filter and order by an index and never compute them.
    badge = models.CharField(
        max_length=30, choices=Badge.choices, default=Badge.UNREVIEWED, editable=False
    )
    waiting_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimQuerySet.as_manager()

    # Set by from_db and the post_save signal: the concept whose stored counts include the claim.
    _loaded_concept_id: int | None

    # Columns only the services write, each with a conditional update: saving an edited claim
    # from a stale copy must never roll them back.
    DERIVED_FIELDS = frozenset(
        {
            "fingerprint",
            "fingerprint_changed_at",
            "fingerprint_inputs",
            "latest_review",
            "latest_review_fingerprint",
            "latest_review_verdict",
            "latest_verification",
            "badge",
            "waiting_since",
        }
    )

    class Meta:
        ordering = ["concept", "order", "id"]
        # Lists walk concepts in (area, slug) order and each one's claims in (order, id) order,
        # by badge when filtered; the review queue walks waiting_since: no read sorts claims.
        indexes = [
            models.Index(fields=["concept", "order", "id"]),
            models.Index(fields=["concept", "badge", "order", "id"], name="claim_concept_badge"),
            models.Index(fields=["waiting_since", "id"], name="claim_waiting_since_id"),
        ]

    def __str__(self) -> str:
        return self.key

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding and "update_fields" not in kwargs:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.DERIVED_FIELDS
            ]
        super().save(*args, **kwargs)

    @classmethod
    def from_db(
        cls,
        db: str | None,
        field_names: Collection[str],
        values: Collection[Any],
        **kwargs: Any,  # what newer Django versions pass (fetch_mode), handed on unchanged
    ) -> Self:
        claim = super().from_db(db, field_names, values, **kwargs)
        # The concept whose stored counts include this claim, if it moves to another.
        claim._loaded_concept_id = claim.__dict__.get("concept_id")
        return claim

    @property
    def anchor(self) -> str:
        return self.key.partition("#")[2]

    def clean(self) -> None:
        if not self.key or not self.concept_id:
            return
        stored = None
        if not self._state.adding and self.pk is not None:
            stored = Claim.objects.filter(pk=self.pk).values("key", "concept_id").first()
        moved = stored is None or (stored["key"], stored["concept_id"]) != (
            self.key,
            self.concept_id,
        )
        if not moved:
            return
        if stored is not None and ClaimReview.objects.filter(claim_id=self.pk).exists():
            raise ValidationError(
                {"key": "A reviewed claim keeps its key and concept: its reviews name them."}
            )
        prefix = f"claim:{self.concept.path}#"
        if not self.key.startswith(prefix):
            raise ValidationError({"key": f"A claim of this concept has a key starting {prefix}"})


class ClaimSource(models.Model):
    """A source a claim rests on, with where in it to look (section, page, figure)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="claim_sources")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="claim_links")
    locator = CanonicalCharField(
        max_length=300, blank=True, help_text="Where the support is, e.g. '§3.1' or 'p. 4'."
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["claim", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "source"], name="claimsource_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} ← {self.source_id}"

    def clean(self) -> None:
        if self.source_id is None or getattr(self, "claim", None) is None:
            return
        concept_id = self.claim.concept_id
        if (
            concept_id
            and not ConceptSource.objects.filter(
                concept_id=concept_id, source_id=self.source_id
            ).exists()
        ):
            raise ValidationError(
                {"source": f"{self.source.key} is not a source attached to this claim's concept."}
            )


class ClaimWitness(models.Model):
    """A local object (equation, code witness, demo) that makes the claim operational."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="claim_witnesses")
    concept_object = models.ForeignKey(
        ConceptObject, on_delete=models.CASCADE, related_name="claim_links"
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["claim", "order", "id"]
        verbose_name_plural = "claim witnesses"
        constraints = [
            models.UniqueConstraint(fields=["claim", "concept_object"], name="claimwitness_unique"),
        ]

    WITNESS_KINDS = (
        ConceptObject.Kind.EQUATION,
        ConceptObject.Kind.CODE,
        ConceptObject.Kind.DEMO,
    )

    def __str__(self) -> str:
        return f"{self.claim_id} ← {self.concept_object_id}"

    def clean(self) -> None:
        if self.concept_object_id is None or getattr(self, "claim", None) is None:
            return
        witness = self.concept_object
        if witness.kind not in self.WITNESS_KINDS:
            raise ValidationError(
                {"concept_object": f"{witness.key}: a witness is an equation, code or demo object."}
            )
        if self.claim.concept_id and witness.concept_id != self.claim.concept_id:
            raise ValidationError({"concept_object": f"{witness.key} belongs to another concept."})


class ClaimReview(AppendOnlyModel):
    """One review of a claim. Never updated or deleted; each names the hash of the one before.

    ``sequence`` counts a claim's reviews from 1; the first review's ``previous_hash`` is empty.
    The two unique constraints mean two concurrent appends cannot both extend the same head.
    """

    class Verdict(models.TextChoices):
        SUBSTANTIVELY_REVIEWED = "substantively_reviewed", "Substantively reviewed"
        SOURCE_CHECKED = "source_checked", "Source checked"
        NEEDS_CHANGES = "needs_changes", "Needs changes"
        DISPUTED = "disputed", "Disputed"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="reviews")
    sequence = models.PositiveIntegerField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claim_reviews"
    )
    reviewer_label = models.CharField(max_length=100)
    # The reviewer's immutable identity (ReviewerIdentity.uid), hashed into the review: renaming
    # the account changes neither. Empty on reviews recorded before identities existed.
    reviewer_uid = models.CharField(max_length=36, blank=True, default="")
    verdict = models.CharField(max_length=30, choices=Verdict.choices)
    summary = CanonicalTextField(max_length=8000)
    scope_covers = CanonicalTextField(max_length=2000, help_text="What the review checked.")
    scope_excludes = CanonicalTextField(
        max_length=2000, help_text="What it does not certify ('It does not certify …')."
    )
    sources_checked = models.JSONField(default=list, blank=True, help_text="Source keys, sorted.")
    witnesses_checked = models.JSONField(default=list, blank=True, help_text="Object keys, sorted.")
    reviewed_on = models.DateField()
    fingerprint = models.CharField(max_length=64, help_text="The claim's fingerprint reviewed.")
    fingerprint_inputs = models.JSONField(
        default=dict, blank=True, help_text="What the fingerprint hashes, as reviewed."
    )
    concept_revision = models.CharField(
        max_length=64, blank=True, help_text="The concept revision the reviewer saw."
    )
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    verification_seen = models.ForeignKey(
        "ClaimVerification",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews_seeing",
        help_text="The claim's latest witness verification when the review was recorded.",
    )
    # Its result hash, chained into the review's own hash.
    verification_seen_hash = models.CharField(max_length=64, blank=True)
    # The review's place in the registry-wide review log (from 1, in append order), the log's
    # head hash once it was appended, and the platform's signature of both with the review's
    # hash, by a key the database does not hold (claims.signing). Written once, on append.
    log_index = models.PositiveBigIntegerField(unique=True, null=True, blank=True, editable=False)
    log_head = models.CharField(max_length=64, blank=True, editable=False)
    signing_key_id = models.CharField(max_length=16, blank=True, editable=False)
    signature = models.CharField(max_length=100, blank=True, editable=False)

    class Meta(AppendOnlyModel.Meta):
        ordering = ["claim", "-sequence"]
        get_latest_by = "sequence"
        constraints = [
            models.UniqueConstraint(fields=["claim", "sequence"], name="claimreview_unique_seq"),
            models.UniqueConstraint(fields=["claim", "previous_hash"], name="claimreview_no_fork"),
            models.CheckConstraint(
                condition=models.Q(sequence__gte=1), name="claimreview_sequence_from_1"
            ),
            models.CheckConstraint(
                condition=~models.Q(summary="")
                & ~models.Q(scope_covers="")
                & ~models.Q(scope_excludes=""),
                name="claimreview_summary_and_scope_present",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    verdict__in=[
                        "substantively_reviewed",
                        "source_checked",
                        "needs_changes",
                        "disputed",
                    ]
                ),
                name="claimreview_verdict_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} review #{self.sequence}"

    @property
    def scope_text(self) -> str:
        """The scope as the page states it: "<covers> It does not certify <excludes>"."""
        return f"{self.scope_covers} It does not certify {self.scope_excludes}"


class ClaimCount(models.Model):
    """How many claims of a concept have a status and a badge, and how many substantive reviews
    they have recorded: the concept page's summary and the claim lists' totals read these rows
    instead of counting claims. Rewritten by claims.counts.claim_counts_refresh in the
    transaction of every write that changes a claim's status, badge or concept;
    verify_reviews recounts them."""

    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="claim_counts")
    status = models.CharField(max_length=20, choices=Claim.Status.choices)
    badge = models.CharField(max_length=30, choices=Badge.choices)
    claims = models.PositiveIntegerField(default=0)
    substantive_reviews = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["concept", "status", "badge"]
        constraints = [
            models.UniqueConstraint(
                fields=["concept", "status", "badge"], name="claimcount_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.concept_id} {self.status} {self.badge}: {self.claims}"


class ReviewerIdentity(models.Model):
    """A stable identity for an account that records reviews, kept across renames and restores."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviewer_identity"
    )
    uid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user_id} {self.uid}"


class ClaimVerification(AppendOnlyModel):
    """The outcome of running a claim's code and demo witnesses: each code witness must print
    its expected output and each demo state must show its invariant."""

    class Outcome(models.TextChoices):
        PASSED = "passed", "passed"
        FAILED = "failed", "failed"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="verifications")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    invariant = models.CharField(max_length=300, help_text="The invariant checked.")
    result_hash = models.CharField(max_length=64)
    witness_code_version = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64, help_text="The claim's fingerprint verified.")
    # What each witness did: {"code_runs": [...], "demo_runs": [...], "limits": {...}}.
    record = models.JSONField(
        default=dict,
        blank=True,
        help_text="Each code witness's run (stdout, stderr tail, exit status, duration, match) "
        "and each demo witness's fresh computation.",
    )
    verified_at = models.DateTimeField(default=timezone.now)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claim_verifications",
    )
    # The platform's signature of what was verified (claims.signing.verification_statement).
    signing_key_id = models.CharField(max_length=16, blank=True, editable=False)
    signature = models.CharField(max_length=100, blank=True, editable=False)

    class Meta(AppendOnlyModel.Meta):
        ordering = ["claim", "-verified_at", "-id"]
        get_latest_by = "verified_at"

    def __str__(self) -> str:
        return f"{self.claim_id} {self.outcome} @ {self.verified_at:%Y-%m-%d}"


class ReviewCheckpoint(AppendOnlyModel):
    """A signed checkpoint the platform issued: the review log had ``size`` entries and this
    head at ``issued_at``. Kept as a record; verification checks each one's signature and never
    trusts the table (rows can be deleted: keep checkpoints outside the database too)."""

    size = models.PositiveBigIntegerField()
    head = models.CharField(max_length=64)
    issued_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=100)

    class Meta(AppendOnlyModel.Meta):
        ordering = ["-issued_at", "-id"]
        get_latest_by = "issued_at"

    def __str__(self) -> str:
        return f"checkpoint {self.size} @ {self.issued_at:%Y-%m-%d %H:%M:%S}"
