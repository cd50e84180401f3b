from django.urls import path

from tousu.desk import views

app_name = "desk"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("lookup/", views.lookup, name="lookup"),
    path("scripts/", views.scripts, name="scripts"),
    path("done/<str:tracking_no>/", views.done, name="done"),
    path("receipt/<str:tracking_no>/", views.receipt, name="receipt"),
]
