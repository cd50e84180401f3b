from django.urls import path

from tousu.incidents import box_views, improvement_views, views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("report/", views.incident_report, name="report"),
    # Before "<number>/": "improvements" is no incident number.
    path("improvements/", improvement_views.improvement_list, name="improvements"),
    path("improvements/new/", improvement_views.improvement_new, name="improvement_new"),
    path("improvements/<int:pk>/", improvement_views.improvement_detail, name="improvement"),
    path(
        "improvements/<int:pk>/done/",
        improvement_views.improvement_complete,
        name="improvement_complete",
    ),
    path(
        "improvements/<int:pk>/cancel/",
        improvement_views.improvement_cancel,
        name="improvement_cancel",
    ),
    path("complaint/<str:tracking_no>/", box_views.complaint_box, name="complaint_box"),
    path(
        "complaint/<str:tracking_no>/escalate/",
        box_views.complaint_escalate,
        name="complaint_escalate",
    ),
    path("<str:number>/", views.incident_detail, name="detail"),
    path("<str:number>/live/", views.incident_live, name="live"),
    path("<str:number>/activate/", views.incident_activate, name="activate"),
    path("<str:number>/level/", views.incident_level, name="level"),
    path("<str:number>/tasks/<int:pk>/done/", views.incident_task_done, name="task_done"),
    path("<str:number>/situations/", views.incident_situation, name="situation"),
    path("<str:number>/upward/<int:pk>/", views.incident_upward, name="upward"),
    path("<str:number>/media/", views.incident_media, name="media"),
    path("<str:number>/statements/", views.incident_statement, name="statement"),
    path(
        "<str:number>/statements/<int:pk>/approve/",
        views.incident_statement_approve,
        name="statement_approve",
    ),
    path(
        "<str:number>/statements/<int:pk>/publish/",
        views.incident_statement_publish,
        name="statement_publish",
    ),
    path("<str:number>/contain/", views.incident_contain, name="contain"),
    path("<str:number>/close/", views.incident_close, name="close"),
    path("<str:number>/review/", views.incident_review, name="review"),
    path(
        "<str:number>/improvements/<int:pk>/done/",
        views.incident_improvement_done,
        name="improvement_done",
    ),
]
