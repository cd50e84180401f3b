from django.urls import path

from tousu.reports.kpi import views

app_name = "kpi"
urlpatterns = [
    path("", views.kpi_page, name="index"),
]
