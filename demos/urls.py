from django.urls import path

from . import api

urlpatterns = [
    path("demos/", api.DemoCatalogueApi.as_view(), name="demo-catalogue"),
    path("demos/<slug:kind>/", api.DemoKindApi.as_view(), name="demo-kind"),
    path("demos/<slug:kind>/runs/", api.DemoRunRequestApi.as_view(), name="demo-run-request"),
    path("demo-runs/<str:run_id>/", api.DemoRunDetailApi.as_view(), name="demo-run-detail"),
    path("demo-runs/<str:run_id>/plot.svg", api.DemoRunPlotApi.as_view(), name="demo-run-plot"),
]
