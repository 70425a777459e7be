from django.urls import path

from . import api

urlpatterns = [
    path("concepts/", api.ConceptListApi.as_view(), name="concept-list"),
    path(
        "concepts/<slug:area>/<slug:slug>/", api.ConceptDetailApi.as_view(), name="concept-detail"
    ),
    path(
        "concepts/<slug:area>/<slug:slug>/learning-path/",
        api.ConceptLearningPathApi.as_view(),
        name="concept-learning-path",
    ),
    path(
        "concepts/<slug:area>/<slug:slug>/prerequisites/",
        api.PrerequisiteAddApi.as_view(),
        name="concept-prerequisites",
    ),
    path(
        "concepts/<slug:area>/<slug:slug>/revisions/",
        api.ConceptRevisionListApi.as_view(),
        name="concept-revisions",
    ),
    path(
        "concepts/<slug:area>/<slug:slug>/revisions/<str:revision>/",
        api.ConceptRevisionDetailApi.as_view(),
        name="concept-revision",
    ),
    path(
        "concepts/<slug:area>/<slug:slug>/diff/",
        api.ConceptDiffApi.as_view(),
        name="concept-diff",
    ),
    path(
        "concepts/<slug:area>/<slug:slug>/bibliography/",
        api.ConceptBibliographyApi.as_view(),
        name="concept-bibliography",
    ),
    path("bibliography/", api.SourceCslListApi.as_view(), name="source-csl-list"),
    path("sources/", api.SourceListApi.as_view(), name="source-list"),
    path("sources/<slug:key>/", api.SourceDetailApi.as_view(), name="source-detail"),
    path("sources/<slug:key>/csl/", api.SourceCslApi.as_view(), name="source-csl"),
    path("sources/<slug:key>/snapshot/", api.SourceSnapshotApi.as_view(), name="source-snapshot"),
    path(
        "sources/<slug:key>/snapshots/<str:sha256>/",
        api.SourceSnapshotByHashApi.as_view(),
        name="source-snapshot-by-hash",
    ),
]
