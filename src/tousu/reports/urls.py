"""The reports pages: each part of the app brings its own urls module."""

from django.urls import include, path

app_name = "reports"
urlpatterns = [
    path("jobs/", include("tousu.reports.jobs_urls")),
    path("documents/", include("tousu.reports.documents.urls")),
    path("dashboard/", include("tousu.reports.dashboard.urls")),
    path("exports/", include("tousu.reports.exports.urls")),
    path("kpi/", include("tousu.reports.kpi.urls")),
    path("analysis/", include("tousu.reports.analysis.urls")),
]
