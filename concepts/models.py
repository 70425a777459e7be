import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from learning_platform.text import CanonicalCharField, CanonicalTextField


def sha256_text(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


class Concept(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        IN_REVIEW = "in_review", "in review"
        PUBLISHED = "published", "published"
        RETIRED = "retired", "retired"

    class Importance(models.TextChoices):
        CORE = "core", "core"
        IMPORTANT = "important", "important"
        SUPPORTING = "supporting", "supporting"
        OPTIONAL = "optional", "optional"

    area = models.SlugField(max_length=80)
    area_title = CanonicalCharField(max_length=120, help_text="The area as shown, e.g. Alignment.")
    slug = models.SlugField(max_length=120)
    title = CanonicalCharField(max_length=300)
    summary = CanonicalTextField(
        max_length=2000, help_text="One-line summary shown under the title."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    importance = models.CharField(
        max_length=20, choices=Importance.choices, default=Importance.SUPPORTING
    )
    difficulty = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    math_level = CanonicalCharField(max_length=60, blank=True)
    read_minutes = models.PositiveSmallIntegerField(default=5)
    illustration_caption = CanonicalTextField(max_length=2000, blank=True)
    # The hash of the newest ConceptRevision, kept by concepts.revisions in the same transaction.
    revision_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    link_test = CanonicalTextField(
        max_length=2000,
        blank=True,
        help_text="The 'Test the link' prompt, e.g. 'Manipulate one control and predict the "
        "visible change.'",
    )
    # The learner texts around the page's panels (concept.yaml's ``learner:`` block). Each is
    # written for its concept; an empty one is simply not shown.
    anchored_question = CanonicalTextField(
        max_length=2000,
        blank=True,
        help_text="The research room's anchored question; a draft saved without a question "
        "takes it.",
    )
    practice_heading = CanonicalCharField(
        max_length=300, blank=True, help_text="Practice Loop heading."
    )
    practice_prompt = CanonicalTextField(
        max_length=2000, blank=True, help_text="Practice Loop: what to predict first."
    )
    storyboard_heading = CanonicalCharField(
        max_length=300, blank=True, help_text="Mechanism Storyboard heading."
    )
    storyboard_lens = CanonicalTextField(
        max_length=2000, blank=True, help_text="Mechanism Storyboard: the prediction lens."
    )
    storyboard_commit = CanonicalTextField(
        max_length=2000, blank=True, help_text="Mechanism Storyboard: what to commit to first."
    )
    visual_inquiry_heading = CanonicalCharField(
        max_length=300, blank=True, help_text="Visual Inquiry heading."
    )
    visual_inquiry_question = CanonicalTextField(
        max_length=2000, blank=True, help_text="Visual Inquiry: the prediction question."
    )
    visual_inquiry_commit = CanonicalTextField(
        max_length=2000, blank=True, help_text="Visual Inquiry: what to commit to first."
    )
    after_first_pass_heading = CanonicalCharField(
        max_length=300, blank=True, help_text="After The First Pass heading."
    )
    after_first_pass_body = CanonicalTextField(
        max_length=4000, blank=True, help_text="After The First Pass paragraph."
    )
    research_instruction = CanonicalTextField(
        max_length=2000, blank=True, help_text="Research Room: how to attach a question."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Model field → its place in concept.yaml's ``learner:`` block and in the page's ``learner``.
    LEARNER_FIELDS = {
        "anchored_question": ("anchored_question",),
        "practice_heading": ("practice", "heading"),
        "practice_prompt": ("practice", "prompt"),
        "storyboard_heading": ("storyboard", "heading"),
        "storyboard_lens": ("storyboard", "lens"),
        "storyboard_commit": ("storyboard", "commit"),
        "visual_inquiry_heading": ("visual_inquiry", "heading"),
        "visual_inquiry_question": ("visual_inquiry", "question"),
        "visual_inquiry_commit": ("visual_inquiry", "commit"),
        "after_first_pass_heading": ("after_first_pass", "heading"),
        "after_first_pass_body": ("after_first_pass", "body"),
        "research_instruction": ("research_instruction",),
    }

    class Meta:
        ordering = ["area", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["area", "slug"], name="concept_unique_area_slug"),
            models.CheckConstraint(
                condition=models.Q(difficulty__gte=1, difficulty__lte=5),
                name="concept_difficulty_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["status", "area"])]

    def __str__(self) -> str:
        return self.title

    @property
    def path(self) -> str:
        return f"{self.area}/{self.slug}"

    @property
    def key(self) -> str:
        return f"concept:{self.path}"

    @property
    def content_hash(self) -> str:
        return sha256_text(
            self.area,
            self.area_title,
            self.slug,
            self.title,
            self.summary,
            self.status,
            self.importance,
            str(self.difficulty),
            self.math_level,
            str(self.read_minutes),
            self.illustration_caption,
            self.link_test,
            # Learner texts count only once written, so adding them left other versions alone.
            *(self.learner_texts() if any(self.learner_texts()) else ()),
        )

    def learner_texts(self) -> list[str]:
        return [getattr(self, name) for name in self.LEARNER_FIELDS]


class Section(models.Model):
    class Kind(models.TextChoices):
        INTUITION = "intuition", "Intuition"
        MATH = "math", "Math"
        CODE = "code", "Code"
        DEMO = "demo", "Interactive Demo"

    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="sections")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    order = models.PositiveSmallIntegerField(default=1)
    title = CanonicalCharField(max_length=200)
    summary = CanonicalCharField(
        max_length=500, blank=True, help_text="Structure blurb, e.g. 'Start with the picture…'."
    )
    prompt = CanonicalCharField(
        max_length=500,
        blank=True,
        help_text="Section lede, e.g. 'Build the mental picture first…'.",
    )
    section_prompt = CanonicalTextField(
        max_length=4000,
        blank=True,
        help_text="The text under 'Section prompt' that opens the section body.",
    )
    body = CanonicalTextField(max_length=200_000, blank=True, help_text="Markdown with LaTeX.")
    ready = models.BooleanField(default=False)

    class Meta:
        ordering = ["concept", "order"]
        constraints = [
            models.UniqueConstraint(fields=["concept", "kind"], name="section_unique_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.concept.path} · {self.title}"

    @property
    def key(self) -> str:
        return f"section:{self.concept.path}#{self.kind}"

    @property
    def content_hash(self) -> str:
        return sha256_text(self.title, self.summary, self.prompt, self.section_prompt, self.body)


class ConceptObject(models.Model):
    """An addressable object on a concept page: an equation, code witness, demo or misconception."""

    class Kind(models.TextChoices):
        EQUATION = "equation", "equation"
        CODE = "code", "code witness"
        DEMO = "demo", "demo"
        MISCONCEPTION = "misconception", "misconception"

    # Not "objects": that reverse accessor would shadow Concept.objects and Section.objects.
    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="page_objects")
    section = models.ForeignKey(
        Section, on_delete=models.SET_NULL, null=True, blank=True, related_name="page_objects"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    anchor = models.SlugField(max_length=120)
    title = CanonicalCharField(max_length=300)
    body = CanonicalTextField(
        max_length=200_000,
        help_text="LaTeX for an equation, verbatim code for a code witness, text otherwise.",
    )
    language = models.CharField(max_length=40, blank=True, help_text="Code witnesses only.")
    expected_output = CanonicalTextField(
        max_length=64_000,
        blank=True,
        help_text="Code witnesses only: exactly what the code prints. Verifying a claim runs the "
        "code and compares.",
    )
    demo_kind = models.CharField(max_length=60, blank=True, help_text="Demos only.")
    params = models.JSONField(default=dict, blank=True, help_text="Demo default parameters.")
    operational = models.BooleanField(
        default=False,
        help_text="Makes the concept operational: offered first as evidence to inspect.",
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["concept", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["concept", "kind", "anchor"], name="conceptobject_unique_anchor"
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.concept.path}#{self.anchor}"

    @property
    def content_hash(self) -> str:
        """What a reviewer reads of this object. A code witness's expected output is left out:
        it is checked by running the code at every verification, which a review records, so an
        edit to it fails verification rather than staling the review."""
        params = json.dumps(self.params, sort_keys=True, separators=(",", ":"))
        return sha256_text(self.kind, self.title, self.body, self.language, self.demo_kind, params)


# A practice loop reveals at most this many hints, one at a time.
PRACTICE_HINTS_MAX = 3


class PracticeHint(models.Model):
    """Hint 1, 2 or 3 of a concept's practice loop: a teaser shown with the page, and the body a
    learner reveals when their model needs a nudge."""

    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="practice_hints")
    number = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(PRACTICE_HINTS_MAX)]
    )
    teaser = CanonicalCharField(
        max_length=300, blank=True, help_text="Shown before the hint is revealed."
    )
    body = CanonicalTextField(max_length=2000, help_text="Revealed on request, in order.")

    class Meta:
        ordering = ["concept", "number"]
        constraints = [
            models.UniqueConstraint(fields=["concept", "number"], name="practicehint_unique"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1, number__lte=PRACTICE_HINTS_MAX),
                name="practicehint_number_1_to_3",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.concept.path} · hint {self.number}"


class Prerequisite(models.Model):
    """Edge: ``concept`` builds on ``prerequisite``; reversed, the prerequisite's next concept."""

    concept = models.ForeignKey(
        Concept, on_delete=models.CASCADE, related_name="prerequisite_edges"
    )
    prerequisite = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="next_edges")
    carry_in = CanonicalTextField(max_length=2000, blank=True)
    carry_out = CanonicalTextField(max_length=2000, blank=True)
    order = models.PositiveSmallIntegerField(
        default=0, help_text="Position among the concept's prerequisites."
    )
    next_order = models.PositiveSmallIntegerField(
        default=0, help_text="Position among the prerequisite's next concepts."
    )

    class Meta:
        ordering = ["concept", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["concept", "prerequisite"], name="prerequisite_unique_edge"
            ),
            models.CheckConstraint(
                condition=~models.Q(concept=models.F("prerequisite")),
                name="prerequisite_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prerequisite_id} → {self.concept_id}"


class RelatedLink(models.Model):
    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="related_links")
    target = models.ForeignKey(
        Concept, on_delete=models.CASCADE, null=True, blank=True, related_name="related_from"
    )
    title = CanonicalCharField(max_length=300, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    note = CanonicalTextField(max_length=2000, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["concept", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(target__isnull=True, url=""),
                name="relatedlink_has_target_or_url",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.url


class Source(models.Model):
    class Kind(models.TextChoices):
        PAPER = "paper", "paper"
        BOOK = "book", "book"
        ARTICLE = "article", "article"
        WEB = "web", "web page"
        CODE = "code", "code"
        DATASET = "dataset", "dataset"

    key = models.SlugField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PAPER)
    title = CanonicalCharField(max_length=500)
    authors = models.JSONField(default=list, help_text='List of names, "Family, Given".')
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    venue = CanonicalCharField(max_length=300, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    doi = models.CharField(max_length=200, blank=True)
    arxiv_id = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    @property
    def object_key(self) -> str:
        return f"source:{self.key}"

    @property
    def content_hash(self) -> str:
        authors = json.dumps(self.authors, ensure_ascii=False)
        return sha256_text(
            self.key,
            self.kind,
            self.title,
            authors,
            str(self.year or ""),
            self.venue,
            self.url,
            self.doi,
            self.arxiv_id,
        )

    @property
    def short_authors(self) -> str:
        """ "Christiano et al." from the author list, as the page cites it."""
        if not self.authors:
            return ""
        family = str(self.authors[0]).split(",")[0].strip()
        return family if len(self.authors) == 1 else f"{family} et al."


class SourceSnapshot(models.Model):
    """A local copy of a source, with the hash that proves which bytes a review looked at."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="snapshots")
    # Stored as snapshots/<source key>/<sha256>.<ext>: longer than FileField's default 100.
    file = models.FileField(upload_to="snapshots/%Y/", max_length=255)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField()
    media_type = models.CharField(max_length=120, default="text/plain")
    retrieved_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "-created_at", "-id"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"{self.source.key} @ {self.sha256[:12]}"


class ConceptSource(models.Model):
    """A source attached to a concept, with the sentence saying what it grounds."""

    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="source_links")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="concept_links")
    grounds = CanonicalTextField(max_length=2000)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["concept", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["concept", "source"], name="conceptsource_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.concept.path} ← {self.source.key}"


class ConceptRevision(models.Model):
    """One immutable state of a concept page: its canonical content and the hash over it.

    Written only by concepts.revisions.concept_revision_record; never updated or deleted while
    the concept exists.
    """

    class Door(models.TextChoices):
        ADMIN = "admin", "admin"
        API = "api", "API"
        LOADER = "loader", "content loader"
        COMMAND = "command", "management command"
        DIRECT = "direct", "direct save"

    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    hash = models.CharField(max_length=64)
    parent_hash = models.CharField(max_length=64, blank=True)
    content = models.JSONField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="concept_revisions",
    )
    author_label = models.CharField(max_length=150, blank=True)
    door = models.CharField(max_length=20, choices=Door.choices)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    # Not stored: the revision detail API sets these on the instance it serializes.
    revision_content: dict[str, Any]
    revision_sections: list[dict[str, Any]]

    class Meta:
        ordering = ["concept", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["concept", "number"], name="revision_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.concept_id} r{self.number} {self.hash[:12]}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A concept revision is immutable.")
        super().save(*args, **kwargs)
