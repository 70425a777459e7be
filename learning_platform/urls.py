from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from claims import views as claim_views

from . import api

api_v1: list[URLPattern | URLResolver] = [
    path("", api.ApiRootApi.as_view(), name="api-root"),
    path("auth/token/", api.TokenObtainApi.as_view(), name="auth-token"),
    path("auth/tokens/", api.TokenListApi.as_view(), name="auth-tokens"),
    path("auth/tokens/<str:token_key>/", api.TokenRevokeApi.as_view(), name="auth-token-revoke"),
    re_path(r"^objects/(?P<key>.+)$", api.ObjectResolveApi.as_view(), name="object-resolve"),
    path("", include("concepts.urls")),
    path("", include("claims.urls")),
    path("", include("demos.urls")),
    path("research-room/", include("research_room.urls")),
]

urlpatterns = [
    path("healthz", api.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("claims/<int:claim_id>/", claim_views.claim_page, name="claim-page"),
    path("reviewers/<uuid:uid>/", claim_views.reviewer_page, name="reviewer-page"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

handler404 = "learning_platform.errors.not_found"
handler500 = "learning_platform.errors.server_error"
