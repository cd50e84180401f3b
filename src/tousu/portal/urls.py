from django.urls import path, re_path

from tousu.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.complaint_new, name="new"),
    path("done/", views.complaint_done, name="done"),
    path("challenge/", views.challenge, name="challenge"),
    re_path(r"^captcha/(?P<key>[0-9a-f]{40})/$", views.captcha_image, name="captcha_image"),
    path("track/", views.track, name="track"),
    path("track/<str:tracking_no>/", views.case, name="case"),
    path("track/<str:tracking_no>/close/", views.case_close, name="case_close"),
    path("track/<str:tracking_no>/act/<slug:action>/", views.case_act, name="case_act"),
]
