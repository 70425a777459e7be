from django.urls import path

from . import api

urlpatterns = [
    path("claims/", api.ClaimListApi.as_view(), name="claim-list"),
    path("claims/review-queue/", api.ReviewQueueApi.as_view(), name="claim-review-queue"),
    path("claims/signing-keys/", api.SigningKeysApi.as_view(), name="claim-signing-keys"),
    path("claims/checkpoint/", api.ReviewCheckpointApi.as_view(), name="claim-checkpoint"),
    path("claims/<int:claim_id>/", api.ClaimDetailApi.as_view(), name="claim-detail"),
    path("claims/<int:claim_id>/reviews/", api.ClaimReviewsApi.as_view(), name="claim-reviews"),
    path(
        "claims/<int:claim_id>/reviews/<int:review_id>/",
        api.ClaimReviewDetailApi.as_view(),
        name="claim-review-detail",
    ),
    path("claims/<int:claim_id>/verify/", api.ClaimVerifyApi.as_view(), name="claim-verify"),
    path(
        "claims/<int:claim_id>/claim-review.jsonld",
        api.ClaimReviewJsonLdApi.as_view(),
        name="claim-review-jsonld",
    ),
]
