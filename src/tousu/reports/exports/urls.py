from django.urls import path

from tousu.reports.exports import views

urlpatterns = [
    path("<slug:kind>/", views.export, name="export"),
]
