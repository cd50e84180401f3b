"""The reports pages: each part of the app brings its own urls module."""

from django.urls import include, path

app_name = "reports"
urlpatterns = [
    path("jobs/", include("tousu.reports.jobs_urls")),
]
