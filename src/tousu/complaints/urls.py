from django.urls import path

from tousu.complaints import views

app_name = "complaints"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("new/", views.complaint_register, name="register"),
    path("<str:tracking_no>/", views.complaint_detail, name="detail"),
    path("<str:tracking_no>/edit/", views.complaint_edit, name="edit"),
    path("<str:tracking_no>/assign/", views.complaint_assign, name="assign"),
    path(
        "<str:tracking_no>/confidentiality/",
        views.complaint_confidentiality,
        name="confidentiality",
    ),
    path("<str:tracking_no>/actions/<str:action>/", views.complaint_action, name="action"),
    path("<str:tracking_no>/complainant/", views.complainant_reveal, name="reveal"),
    path(
        "<str:tracking_no>/attachments/<int:pk>/",
        views.attachment_download,
        name="attachment",
    ),
]
