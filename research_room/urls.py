from django.urls import path

from . import api

practice = "practice/<str:area>/<str:slug>/"

urlpatterns = [
    path("drafts/", api.DraftListApi.as_view(), name="research-draft-list"),
    path("drafts/export/", api.DraftExportApi.as_view(), name="research-draft-export"),
    path("drafts/import/", api.DraftImportApi.as_view(), name="research-draft-import"),
    path("drafts/<str:draft_id>/", api.DraftDetailApi.as_view(), name="research-draft-detail"),
    path(
        "drafts/<str:draft_id>/handoff/",
        api.DraftHandoffApi.as_view(),
        name="research-draft-handoff",
    ),
    path(practice, api.PracticeStateApi.as_view(), name="practice-state"),
    path(f"{practice}prediction/", api.PracticePredictionApi.as_view(), name="practice-prediction"),
    path(
        f"{practice}prediction/reveal/",
        api.PracticeRevealApi.as_view(),
        name="practice-prediction-reveal",
    ),
    path(f"{practice}hints/reveal/", api.PracticeHintRevealApi.as_view(), name="practice-hint"),
    path(f"{practice}readiness/", api.PracticeReadinessApi.as_view(), name="practice-readiness"),
]
