import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class DemoRun(models.Model):
    """One computation of a demo kind on canonical parameters, cached under the code version.

    The same (kind, params_hash, code_version) is computed once: a second request for it gets
    this row back. ``attempts`` counts claims by workers; a result is written only by the
    attempt that holds the claim, so a redelivered message can never write a second result.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=60)
    params = models.JSONField(help_text="Canonical parameters: defaults filled in, keys sorted.")
    params_hash = models.CharField(max_length=64)
    code_version = models.CharField(max_length=60)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(
        default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="demo_runs",
    )
    queued_at = models.DateTimeField(default=timezone.now)
    # When a message for this run was last handed to the broker (the sweep re-sends old ones).
    enqueued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    compute_ms = models.FloatField(null=True, blank=True)
    # From demos.costs, before the run was queued: the queue it goes to and why.
    estimated_seconds = models.FloatField(default=0.0)
    queue = models.CharField(max_length=40, default="demos-cheap")

    class Meta:
        ordering = ["-queued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "params_hash", "code_version"], name="demorun_unique_params"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__gte=0.0, progress__lte=1.0),
                name="demorun_progress_0_to_1",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "enqueued_at"], name="demorun_status_enq"),
            models.Index(fields=["requested_by", "status"], name="demorun_requester_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)
