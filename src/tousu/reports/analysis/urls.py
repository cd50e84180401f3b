from django.urls import path

from tousu.reports.analysis import views

app_name = "analysis"
urlpatterns = [
    path("", views.analysis_form, name="form"),
]
