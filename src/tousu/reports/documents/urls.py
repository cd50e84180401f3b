"""/reports/documents/<tracking number>/…: a complaint's printed documents."""

from django.urls import path

from tousu.reports.documents import views

app_name = "documents"
urlpatterns = [
    path("<str:tracking_no>/", views.document_menu, name="menu"),
    path("<str:tracking_no>/<slug:kind>/", views.document_page, name="page"),
    path("<str:tracking_no>/<slug:kind>.pdf", views.document_pdf, name="pdf"),
    path("<str:tracking_no>/<slug:kind>.docx", views.document_docx, name="docx"),
]
