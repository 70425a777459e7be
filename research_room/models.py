"""Learners' private drafts anchored to object keys, and the practice loop's state.

Everything here points at content by object key (``concept:alignment/rlhf``), never by foreign
key: a key is the stable anchor the platform promises, and the anchored object's version is
kept beside it so that a later change is noticed rather than silently followed.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from concepts.models import PRACTICE_HINTS_MAX
from learning_platform.objects import MAX_KEY_LENGTH

# Documented caps (the API refuses anything larger with a 400 naming the field).
QUESTION_MAX = 2_000
NOTE_MAX = 10_000
NEXT_ACTION_MAX = 1_000
LIST_MAX_ITEMS = 20
LIST_ITEM_MAX = 500
IMPORT_MAX_ANNOTATIONS = 1_000
PREDICTION_MAX = 2_000
HINT_COUNT = PRACTICE_HINTS_MAX  # hints live with their concept (concepts.PracticeHint)


class ResearchDraft(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "open"
        RESOLVED = "resolved", "resolved"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="research_drafts"
    )
    anchor_key = models.CharField(max_length=MAX_KEY_LENGTH)
    anchor_kind = models.CharField(max_length=40)
    # The concept the anchored object belongs to ("" for a source), for the concept filter.
    anchor_concept_key = models.CharField(max_length=MAX_KEY_LENGTH, blank=True)
    # What the object was when the draft was anchored: lists and exports show these without
    # resolving every anchor again, and the version is what a later change is measured against.
    anchor_title = models.CharField(max_length=500, blank=True)
    anchor_url = models.CharField(max_length=1000, blank=True)
    anchor_version = models.CharField(max_length=128, blank=True)
    # The concept revision the draft was written against: the diff from it shows what changed.
    anchor_revision = models.CharField(max_length=64, blank=True)
    question = models.TextField(max_length=QUESTION_MAX)
    note = models.TextField(max_length=NOTE_MAX, blank=True)
    next_action = models.TextField(max_length=NEXT_ACTION_MAX, blank=True)
    evidence = models.JSONField(default=list, blank=True, help_text="Evidence to inspect.")
    resolution = models.JSONField(default=list, blank=True, help_text="What would resolve it.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    # The Web Annotation id this draft was imported from, when it was not one of the owner's.
    imported_from = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-updated_at", "-id"], name="draft_owner_updated"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "imported_from"],
                condition=~models.Q(imported_from=""),
                name="draft_unique_import_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.anchor_key}: {self.question[:60]}"


class PracticeProgress(models.Model):
    """One learner's hints and readiness checks for one concept."""

    # The page's "What would resolve this", one flag each: (field, label).
    CHECKS = (
        ("states_mechanism", "The learner can state the mechanism in their own words"),
        ("names_prerequisite", "The learner can name the prerequisite that would repair confusion"),
        (
            "predicts_perturbation",
            "The learner can predict how the mechanism changes under one perturbation",
        ),
    )

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_progress"
    )
    concept_key = models.CharField(max_length=MAX_KEY_LENGTH)
    hints_revealed = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(HINT_COUNT)]
    )
    states_mechanism = models.BooleanField(default=False)
    names_prerequisite = models.BooleanField(default=False)
    predicts_perturbation = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "concept_key"], name="progress_unique"),
            models.CheckConstraint(
                condition=models.Q(hints_revealed__lte=HINT_COUNT), name="progress_hints_0_to_3"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} · {self.concept_key}"

    @property
    def ready_count(self) -> int:
        return sum(bool(getattr(self, name)) for name, _ in self.CHECKS)


class PracticePrediction(models.Model):
    """A prediction committed before the demo's result is seen. Never changed once written."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_predictions"
    )
    concept_key = models.CharField(max_length=MAX_KEY_LENGTH)
    demo_state_key = models.CharField(max_length=MAX_KEY_LENGTH, blank=True)
    # Two keys can name one state (?beta=0.7 and ?beta=0.70): the canonical parameters' hash
    # is what makes "one prediction per state" hold.
    demo_state_hash = models.CharField(max_length=64, blank=True)
    text = models.TextField(max_length=PREDICTION_MAX)
    # Structured parts that can be checked against the run: the candidate index expected to
    # gain the most probability over π_ref, and whether a reward shift changes the policy.
    gains_probability = models.PositiveSmallIntegerField(null=True, blank=True)
    shift_changes_policy = models.BooleanField(null=True, blank=True)
    hints_used = models.PositiveSmallIntegerField(default=0)
    committed_at = models.DateTimeField(auto_now_add=True)
    demo_run_id = models.UUIDField(null=True, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["committed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "concept_key", "demo_state_hash"], name="prediction_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} · {self.demo_state_key or self.concept_key}"
