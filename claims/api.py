"""The claims API: one view per endpoint, its input serializer beside it (output in serializers).

Reviews can be read and appended, never changed: no endpoint answers PUT, PATCH or DELETE.
"""

from typing import cast

from django.db import IntegrityError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from learning_platform.caching import versioned_read
from learning_platform.roles import is_editor, is_reviewer

from . import selectors, signing
from .jsonld import claim_review_jsonld
from .models import Badge, Claim, ClaimReview
from .review_log import checkpoint_issue
from .reviews import review_record
from .serializers import (
    CheckpointOutput,
    ClaimDetailOutput,
    ClaimOutput,
    ReviewOutput,
    SigningKeysOutput,
    VerificationOutput,
)
from .verify import claim_verify


class IsReviewerOrReadOnly(BasePermission):
    message = "Only reviewers may record reviews."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or is_reviewer(request.user)


class IsEditorOrReviewer(BasePermission):
    message = "Only editors and reviewers may verify claims."

    def has_permission(self, request, view) -> bool:
        return is_editor(request.user) or is_reviewer(request.user)


class ClaimPages(GenericAPIView):
    """Page through claim ids first, then load only that page's claims with their links (each
    a ClaimRead, which the output serializers read).

    Sorting ids is cheap; sorting whole rows (texts, joined columns) of every matching claim
    before cutting a page is what made a deep page slow.
    """

    def paginate_queryset(self, queryset):
        ids = super().paginate_queryset(queryset.values_list("pk", flat=True))
        return None if ids is None else selectors.claims_with_links(list(ids))


class ClaimListApi(ClaimPages, ListAPIView):
    """Claims with their badge; filter by concept, badge, source or status."""

    permission_classes = [AllowAny]
    serializer_class = ClaimOutput

    class FilterInput(serializers.Serializer):
        concept = serializers.CharField(
            required=False, max_length=300, help_text="alignment/rlhf or concept:alignment/rlhf"
        )
        badge = serializers.ChoiceField(choices=Badge.choices, required=False)
        source = serializers.CharField(  # type: ignore[assignment]  # the field, not Field.source
            required=False, max_length=130, help_text="A source key, e.g. ouyang-2022-instructgpt"
        )
        status = serializers.ChoiceField(choices=Claim.Status.choices, required=False)

        def validate_concept(self, value: str) -> str:
            if selectors.concept_filter(value) is None:
                raise serializers.ValidationError("Expected a concept as area/slug.")
            return value

    def get_queryset(self):
        filters = self.FilterInput(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.claim_list(user=self.request.user, **filters.validated_data)

    @extend_schema(parameters=[FilterInput], summary="List claims with badges")
    @versioned_read("claims", "concepts")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ReviewQueueApi(ClaimPages, ListAPIView):
    """Claims waiting for a review (unreviewed or stale), longest-waiting first."""

    permission_classes = [AllowAny]
    serializer_class = ClaimOutput

    def get_queryset(self):
        return selectors.review_queue(user=self.request.user)

    @extend_schema(summary="The review queue")
    @versioned_read("claims", "concepts")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ClaimDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: ClaimDetailOutput, 404: OpenApiResponse(description="No such claim")},
        summary="A claim with its sources, witnesses, badge and reviews (newest first)",
    )
    @versioned_read("claims", "concepts")
    def get(self, request, claim_id: int):
        row = selectors.claim_detail(user=request.user, claim_id=claim_id)
        if row is None:
            raise NotFound("No claim has this id.")
        return Response(ClaimDetailOutput(row, context={"request": request}).data)


class ClaimReviewsApi(ListAPIView):
    """The claim's reviews, newest first; reviewers append one with POST."""

    permission_classes = [IsReviewerOrReadOnly]
    serializer_class = ReviewOutput

    @extend_schema_serializer(component_name="ReviewRecord")
    class Input(serializers.Serializer):
        verdict = serializers.ChoiceField(choices=ClaimReview.Verdict.choices)
        summary = serializers.CharField(max_length=8000)
        scope_covers = serializers.CharField(
            max_length=2000, help_text="What the review checked ('Reviews only …')."
        )
        scope_excludes = serializers.CharField(
            max_length=2000, help_text="What it does not certify ('It does not certify …')."
        )
        sources_checked = serializers.ListField(
            child=serializers.CharField(max_length=130), max_length=50, required=False
        )
        witnesses_checked = serializers.ListField(
            child=serializers.CharField(max_length=300), max_length=50, required=False
        )
        reviewer_label = serializers.CharField(
            max_length=100, required=False, help_text="Defaults to your username."
        )
        reviewed_on = serializers.DateField(required=False, help_text="Defaults to today.")
        fingerprint = serializers.RegexField(
            r"^[0-9a-f]{64}$",
            required=False,
            help_text="The claim fingerprint you reviewed; refused if the claim changed since.",
        )
        verification_seen = serializers.IntegerField(
            required=False,
            min_value=1,
            help_text="The witness verification you saw; defaults to the claim's latest.",
        )

        def to_internal_value(self, data):
            unknown = {}
            if hasattr(data, "keys"):
                for name in sorted(set(data.keys()) - set(self.fields)):
                    unknown[name] = (
                        "The reviewer is the authenticated user; it cannot be set."
                        if name in {"reviewer", "reviewer_id", "user"}
                        else "Unknown field."
                    )
            try:
                value = super().to_internal_value(data)
            except serializers.ValidationError as exc:
                # Serializer.to_internal_value raises its errors keyed by field: a dict.
                detail = cast(dict, exc.detail)
                raise serializers.ValidationError({**detail, **unknown}) from exc
            if unknown:
                raise serializers.ValidationError(unknown)
            return value

    def _claim(self) -> Claim:
        if not hasattr(self, "claim"):
            self.claim = selectors.claim_get(
                user=self.request.user, claim_id=self.kwargs["claim_id"]
            )
        if self.claim is None:
            raise NotFound("No claim has this id.")
        return self.claim

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no claim in the URL
            return ClaimReview.objects.none()
        return selectors.review_list(claim=self._claim())

    def get_serializer_context(self):
        if getattr(self, "swagger_fake_view", False):
            return super().get_serializer_context()
        return {**super().get_serializer_context(), "claim": self._claim()}

    @extend_schema(
        responses={
            200: ReviewOutput(many=True),
            404: OpenApiResponse(description="No such claim, or no such page"),
        },
        summary="A claim's reviews, newest first",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=Input,
        responses={
            201: ReviewOutput,
            400: OpenApiResponse(description="A message per invalid field"),
            401: OpenApiResponse(description="Not authenticated"),
            403: OpenApiResponse(description="Not a reviewer"),
            404: OpenApiResponse(description="No such claim"),
            409: OpenApiResponse(description="Another review was appended at the same moment"),
        },
        summary="Record a review (append-only)",
    )
    def post(self, request, claim_id: int):
        claim = self._claim()
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            review = review_record(claim=claim, reviewer=request.user, **data.validated_data)
        except IntegrityError:
            return Response(
                {"detail": "Another review was recorded at the same moment; read and retry."},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            ReviewOutput(review, context={"claim": claim}).data, status=status.HTTP_201_CREATED
        )


class ClaimReviewDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: ReviewOutput, 404: OpenApiResponse(description="No such review")},
        summary="One review",
    )
    def get(self, request, claim_id: int, review_id: int):
        claim = selectors.claim_get(user=request.user, claim_id=claim_id)
        review = selectors.review_list(claim=claim).filter(pk=review_id).first() if claim else None
        if review is None:
            raise NotFound("No review of this claim has this id.")
        return Response(ReviewOutput(review, context={"claim": claim}).data)


class JsonLdRenderer(JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


class FirstRenderer(BaseContentNegotiation):
    """The .jsonld URL names its format: answer JSON-LD whatever the Accept header says."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ClaimReviewJsonLdApi(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [JsonLdRenderer]
    content_negotiation_class = FirstRenderer

    @extend_schema(
        responses={
            (200, "application/ld+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="schema.org ClaimReview of the latest review"
            ),
            (404, "application/ld+json"): OpenApiResponse(
                description="No such claim, or no review yet"
            ),
        },
        parameters=[OpenApiParameter("claim_id", int, OpenApiParameter.PATH)],
        summary="The latest review as schema.org ClaimReview (JSON-LD)",
    )
    @versioned_read("claims", "concepts")
    def get(self, request, claim_id: int):
        row = selectors.claim_detail(user=request.user, claim_id=claim_id, reviews=False)
        if row is None:
            raise NotFound("No claim has this id.")
        if row.latest_review is None:
            raise NotFound("This claim has no review yet.")
        return Response(claim_review_jsonld(row=row, review=row.latest_review, request=request))


class ClaimVerifyApi(APIView):
    """Run the claim's code witnesses and compute its demo witnesses afresh; record the outcome."""

    permission_classes = [IsEditorOrReviewer]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "claim-verifications"

    @extend_schema(
        request=None,
        responses={
            200: OpenApiResponse(
                VerificationOutput, description="Nothing changed since the latest verification"
            ),
            201: VerificationOutput,
            400: OpenApiResponse(description="The claim has no runnable code or demo witness"),
            404: OpenApiResponse(description="No such claim"),
        },
        summary="Verify a claim: run its code witnesses, recompute its demo witnesses",
        description="Passes only when every cited code witness exits 0 printing exactly its "
        "expected output and every demo state shows its invariant. Code runs in a separate "
        "process under the CODE_WITNESS_* limits; the record says what each witness did.",
    )
    def post(self, request, claim_id: int):
        claim = selectors.claim_get(user=request.user, claim_id=claim_id)
        if claim is None:
            raise NotFound("No claim has this id.")
        verification, created = claim_verify(claim=claim, user=request.user)
        verification.claim = claim
        return Response(
            VerificationOutput(verification).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class SigningKeysApi(APIView):
    """The public keys that verify review, verification and checkpoint signatures."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        responses=SigningKeysOutput,
        summary="Public keys of the review signatures (current and retired)",
        description="A signature over a review is Ed25519 over the canonical JSON (sorted keys, "
        "no whitespace, UTF-8) of {type, hash, log_index, log_head}; over a checkpoint, of "
        "{type, size, head, issued_at}.",
    )
    def get(self, request):
        keys = signing.public_keys()
        response = Response(
            {
                "current_key_id": keys[0].key_id,
                "keys": [
                    {
                        "key_id": key.key_id,
                        "algorithm": signing.ALGORITHM,
                        "status": key.status,
                        "public_key": key.base64,
                        "public_key_pem": key.pem,
                    }
                    for key in keys
                ],
            }
        )
        response["Cache-Control"] = "public, max-age=3600"
        return response


class LogConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "review_log_tampered"


class ReviewCheckpointApi(APIView):
    """The review log's current signed checkpoint: keep it, and check later that the log still
    extends it (manage.py verify_reviews --against FILE)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        responses={
            200: CheckpointOutput,
            409: OpenApiResponse(description="The newest log entry is not one the platform signed"),
        },
        summary="The review log's signed checkpoint (size, head, time)",
    )
    def get(self, request):
        try:
            checkpoint = checkpoint_issue()
        except signing.LogTampered as exc:
            raise LogConflict(str(exc)) from exc
        response = Response(checkpoint)
        response["Cache-Control"] = "no-cache"
        return response
