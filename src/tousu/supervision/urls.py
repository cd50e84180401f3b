from django.urls import path

from tousu.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.board, name="board"),
    path("deadlines/<int:deadline_id>/remind/", views.remind, name="remind"),
    path("penalties/", views.ledger, name="ledger"),
    path("penalties/export.csv", views.ledger_export, name="ledger_export"),
    path("penalties/<int:entry_id>/decide/", views.ledger_decide, name="decide"),
]
