from django.urls import path

from tousu.reports import jobs_views

urlpatterns = [
    path("<int:pk>/", jobs_views.job_detail, name="job"),
    path("<int:pk>/file/<slug:fmt>/", jobs_views.job_download, name="job_file"),
]
