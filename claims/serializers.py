"""The claims API's output serializers: claims, reviews, verifications, keys and checkpoints."""

from typing import cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.reverse import reverse

from concepts.revisions import CHANGE_CHOICES

from . import selectors, signing
from .models import Badge, Claim, ClaimReview, ClaimVerification, WitnessLink
from .shapes import ClaimRead


class SourceLinkOutput(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    locator = serializers.CharField()


class WitnessOutput(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()


class ReviewOutput(serializers.ModelSerializer):
    reviewer = serializers.CharField(
        source="reviewer.username",
        help_text="The account's username now; the review's signed author is reviewer_label "
        "with reviewer_uid, which renaming the account does not change.",
    )
    verdict_label = serializers.CharField(source="get_verdict_display")
    scope_text = serializers.CharField()
    sources_checked = serializers.ListField(child=serializers.CharField())
    witnesses_checked = serializers.ListField(child=serializers.CharField())
    stale = serializers.SerializerMethodField()

    class Meta:
        model = ClaimReview
        fields = [
            "id",
            "sequence",
            "reviewer",
            "reviewer_label",
            "verdict",
            "verdict_label",
            "summary",
            "scope_covers",
            "scope_excludes",
            "scope_text",
            "sources_checked",
            "witnesses_checked",
            "reviewed_on",
            "recorded_at",
            "fingerprint",
            "stale",
            "previous_hash",
            "hash",
            "verification_seen",
            "reviewer_uid",
            "log_index",
            "log_head",
            "signing_key_id",
            "signature",
        ]

    def get_stale(self, review: ClaimReview) -> bool:
        claim = self.context.get("claim") or review.claim
        return selectors.review_is_stale(review=review, claim=claim)


class LatestReviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    sequence = serializers.IntegerField()
    reviewer_label = serializers.CharField()
    verdict = serializers.CharField()
    reviewed_on = serializers.DateField()
    stale = serializers.BooleanField()


@extend_schema_serializer(component_name="CodeWitnessRun")
class CodeRunOutput(serializers.Serializer):
    key = serializers.CharField()
    version = serializers.CharField(help_text="The code object's content hash that ran.")
    language = serializers.CharField()
    expected_output_declared = serializers.BooleanField()
    ran = serializers.BooleanField()
    exit_status = serializers.IntegerField(allow_null=True, help_text="None: a signal ended it.")
    signal = serializers.CharField(allow_null=True)
    limit = serializers.ChoiceField(
        choices=["time", "cpu", "memory", "file-size"],
        allow_null=True,
        help_text="The limit that stopped the run, if one did.",
    )
    duration_seconds = serializers.FloatField(allow_null=True)
    stdout = serializers.CharField(help_text="What it printed, cut at CODE_WITNESS_STDOUT_CHARS.")
    stdout_truncated = serializers.BooleanField()
    stderr_tail = serializers.CharField()
    matched = serializers.BooleanField(help_text="stdout equals the expected output.")
    diff = serializers.CharField(
        required=False, help_text="Unified diff from the expected output to stdout."
    )
    reason = serializers.CharField(required=False, help_text="Why it could not match.")


@extend_schema_serializer(component_name="DemoWitnessRun")
class DemoRunOutput(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    params_hash = serializers.CharField()
    code_version = serializers.CharField()
    recomputed = serializers.BooleanField(help_text="Always true: computed afresh, not cached.")
    matched_cache = serializers.BooleanField(
        allow_null=True, help_text="Equal to the cached run's result; null with no cached run."
    )
    cached_run = serializers.CharField(allow_null=True)
    invariant_holds = serializers.BooleanField()
    error = serializers.CharField(required=False)


class VerificationOutput(serializers.ModelSerializer):
    stale = serializers.SerializerMethodField()
    code_runs = serializers.SerializerMethodField()
    demo_runs = serializers.SerializerMethodField()
    limits = serializers.SerializerMethodField()

    class Meta:
        model = ClaimVerification
        fields = [
            "id",
            "outcome",
            "invariant",
            "result_hash",
            "witness_code_version",
            "fingerprint",
            "verified_at",
            "stale",
            "code_runs",
            "demo_runs",
            "limits",
        ]

    def get_stale(self, verification: ClaimVerification) -> bool:
        """True when the claim has changed since its witnesses were verified."""
        return verification.fingerprint != verification.claim.fingerprint

    @extend_schema_field(CodeRunOutput(many=True))
    def get_code_runs(self, verification: ClaimVerification) -> list:
        runs = verification.record.get("code_runs", [])
        return cast(list, CodeRunOutput(runs, many=True).data)  # many=True: a ListSerializer

    @extend_schema_field(DemoRunOutput(many=True))
    def get_demo_runs(self, verification: ClaimVerification) -> list:
        runs = verification.record.get("demo_runs", [])
        return cast(list, DemoRunOutput(runs, many=True).data)  # many=True: a ListSerializer

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_limits(self, verification: ClaimVerification) -> dict:
        """The limits each code witness ran under (empty when none ran)."""
        return verification.record.get("limits", {})


@extend_schema_serializer(component_name="ClaimStaleReason")
class StaleReasonOutput(serializers.Serializer):
    input = serializers.ChoiceField(choices=["text", "source", "witness", "unknown"])
    key = serializers.CharField(help_text="The source or witness key; empty for the text.")
    change = serializers.ChoiceField(choices=CHANGE_CHOICES)
    message = serializers.CharField()
    diff_url = serializers.CharField(
        required=False, help_text="The concept diff from the reviewed revision to now."
    )


@extend_schema_serializer(component_name="ConceptPageClaims")
class ConceptPageClaimsOutput(serializers.Serializer):
    """The Claim Review panel of a concept page (selectors.concept_page_claims)."""

    @extend_schema_serializer(component_name="ConceptPageClaimsSummary")
    class Summary(serializers.Serializer):
        claims = serializers.IntegerField()
        substantive_reviews_recorded = serializers.IntegerField()
        status_line = serializers.CharField()
        claims_with_current_substantive_review = serializers.IntegerField()
        substantive_share = serializers.FloatField(allow_null=True)
        substantive_share_text = serializers.CharField()
        stale = serializers.IntegerField()
        unreviewed = serializers.IntegerField()
        disputed = serializers.IntegerField()
        needs_review_line = serializers.CharField(allow_null=True)
        sources = serializers.ListField(child=serializers.CharField())
        sources_label = serializers.CharField()
        witnesses = serializers.ListField(child=serializers.CharField())
        witnesses_label = serializers.CharField()
        witness_hint = serializers.CharField()
        shown = serializers.IntegerField(help_text="Claims listed in items (the page's cap).")
        list_url = serializers.CharField()

    @extend_schema_serializer(component_name="ConceptPageClaim")
    class Item(serializers.Serializer):
        @extend_schema_serializer(component_name="ConceptPageClaimReview")
        class LatestReview(serializers.Serializer):
            @extend_schema_serializer(component_name="ConceptPageCheckedSource")
            class CheckedSource(serializers.Serializer):
                key = serializers.CharField()
                title = serializers.CharField()

            reviewer_label = serializers.CharField()
            reviewed_on = serializers.DateField()
            verdict = serializers.ChoiceField(choices=ClaimReview.Verdict.choices)
            verdict_label = serializers.CharField()
            stale = serializers.BooleanField()
            summary = serializers.CharField()
            scope_covers = serializers.CharField()
            scope_excludes = serializers.CharField()
            scope_text = serializers.CharField()
            sources_checked = CheckedSource(many=True)
            witnesses_checked = serializers.ListField(child=serializers.CharField())
            note = serializers.CharField()
            byline = serializers.CharField()

        id = serializers.IntegerField()
        key = serializers.CharField()
        url = serializers.URLField(help_text="The claim's API record.")
        page_url = serializers.URLField(help_text="The claim's page, for people.")
        text = serializers.CharField()
        status = serializers.ChoiceField(choices=Claim.Status.choices)
        status_label = serializers.CharField()
        support_note = serializers.CharField()
        badge = serializers.ChoiceField(choices=Badge.choices)
        badge_label = serializers.CharField()
        stale_reasons = StaleReasonOutput(many=True)
        sources = SourceLinkOutput(many=True)
        sources_label = serializers.CharField()
        witnesses = serializers.ListField(child=serializers.CharField())
        witnesses_label = serializers.CharField()
        latest_review = LatestReview(allow_null=True)

    summary = Summary()
    items = Item(many=True)


# Serializes a ClaimRead from claims_with_links (a comment, not a docstring: the schema would
# publish a docstring as the component's description).
class ClaimOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    concept = serializers.CharField(source="concept.key")
    badge = serializers.SerializerMethodField()
    badge_label = serializers.SerializerMethodField()
    stale_reasons = serializers.SerializerMethodField()
    # Plain data from claims_with_links: a nested serializer per row costs more than the
    # queries do on a full page.
    sources = serializers.SerializerMethodField()
    witnesses = serializers.SerializerMethodField()
    latest_review = serializers.SerializerMethodField()
    latest_verification = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField(
        help_text="The claim's public HTML page, with its sources and reviews."
    )
    reviews_url = serializers.SerializerMethodField()
    claim_review_url = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "url",
            "key",
            "concept",
            "text",
            "status",
            "support_note",
            "badge",
            "badge_label",
            "stale_reasons",
            "fingerprint",
            "sources",
            "witnesses",
            "latest_review",
            "latest_verification",
            "page_url",
            "reviews_url",
            "claim_review_url",
        ]

    def to_representation(self, instance: ClaimRead) -> dict:
        """Serializer.to_representation, each field reading from the claim, except the method
        fields (source "*"), which read the ClaimRead."""
        data = {}
        for field in self._readable_fields:
            try:
                attribute = field.get_attribute(instance if field.source == "*" else instance.claim)
            except SkipField:
                continue
            value = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            data[field.field_name] = None if value is None else field.to_representation(attribute)
        return data

    def _url(self, name: str, claim: Claim) -> str:
        """The route's path for the claim, absolute when the context has the request."""
        return reverse(name, kwargs={"claim_id": claim.pk}, request=self.context.get("request"))

    def get_url(self, row: ClaimRead) -> str:
        return self._url("claim-detail", row.claim)

    def get_page_url(self, row: ClaimRead) -> str:
        return self._url("claim-page", row.claim)

    def get_reviews_url(self, row: ClaimRead) -> str:
        return self._url("claim-reviews", row.claim)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_claim_review_url(self, row: ClaimRead) -> str | None:
        """A ClaimReview needs a review: an unreviewed claim links none."""
        if row.claim.latest_review_id is None:
            return None
        return self._url("claim-review-jsonld", row.claim)

    @extend_schema_field(SourceLinkOutput(many=True))
    def get_sources(self, row: ClaimRead) -> list[dict]:
        return [
            {"key": link["key"], "title": link["title"], "locator": link["locator"]}
            for link in row.source_links
        ]

    @extend_schema_field(WitnessOutput(many=True))
    def get_witnesses(self, row: ClaimRead) -> list[WitnessLink]:
        return row.witness_links

    @extend_schema_field(serializers.ChoiceField(choices=Badge.choices))
    def get_badge(self, row: ClaimRead) -> str:
        return selectors.claim_badge(claim=row.claim)

    def get_badge_label(self, row: ClaimRead) -> str:
        return Badge(selectors.claim_badge(claim=row.claim)).label

    @extend_schema_field(StaleReasonOutput(many=True))
    def get_stale_reasons(self, row: ClaimRead) -> list[dict]:
        return selectors.claim_stale_reasons(row=row)

    @staticmethod
    def _latest(row: ClaimRead) -> dict | None:
        review = row.latest_review
        if review is None:
            return None
        return {
            "id": review.pk,
            "sequence": review.sequence,
            "reviewer_label": review.reviewer_label,
            "verdict": review.verdict,
            "reviewed_on": review.reviewed_on,
            "stale": selectors.review_is_stale(review=review, claim=row.claim),
        }

    @extend_schema_field(VerificationOutput(allow_null=True))
    def get_latest_verification(self, row: ClaimRead) -> dict | None:
        verification = row.latest_verification
        if verification is None:
            return None
        verification.claim = row.claim  # already loaded: no query for the staleness check
        return VerificationOutput(verification).data

    @extend_schema_field(LatestReviewOutput(allow_null=True))
    def get_latest_review(self, row: ClaimRead) -> dict | None:
        latest = self._latest(row)
        return LatestReviewOutput(latest).data if latest else None


class ClaimDetailOutput(ClaimOutput):
    reviews = serializers.SerializerMethodField()

    class Meta(ClaimOutput.Meta):
        fields = [*ClaimOutput.Meta.fields, "reviews"]

    @extend_schema_field(ReviewOutput(many=True))
    def get_reviews(self, row: ClaimRead) -> list:
        reviews = ReviewOutput(row.review_history or [], many=True, context={"claim": row.claim})
        return cast(list, reviews.data)  # many=True makes a ListSerializer, whose data is a list


class SigningKeyOutput(serializers.Serializer):
    key_id = serializers.CharField(
        help_text="The first 16 hex digits of the SHA-256 of the raw public key: what each "
        "signature's signing_key_id names."
    )
    algorithm = serializers.ChoiceField(choices=[signing.ALGORITHM])
    status = serializers.ChoiceField(choices=["current", "retired"])
    public_key = serializers.CharField(help_text="The 32 raw bytes of the public key, base64.")
    public_key_pem = serializers.CharField(help_text="The same key as PEM (SubjectPublicKeyInfo).")


class SigningKeysOutput(serializers.Serializer):
    current_key_id = serializers.CharField()
    keys = SigningKeyOutput(many=True)


class CheckpointOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=[signing.CHECKPOINT_STATEMENT])
    size = serializers.IntegerField(help_text="Reviews in the registry-wide log.")
    head = serializers.CharField(help_text="The running SHA-256 over their hashes, in order.")
    issued_at = serializers.CharField(help_text="ISO 8601, UTC, as signed.")
    key_id = serializers.CharField()
    signature = serializers.CharField(help_text="Ed25519, base64.")
