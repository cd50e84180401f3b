from django.urls import path

from tousu.incidents.drills import views

app_name = "drills"
urlpatterns = [
    path("", views.drill_list, name="list"),
    path("start/", views.drill_start_view, name="start"),
    path("<int:pk>/report/", views.drill_report, name="report"),
    path("<int:pk>/report.pdf", views.drill_report_pdf, name="pdf"),
    path("<int:pk>/revision/", views.drill_revision, name="revision"),
]
