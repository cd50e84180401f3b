from django.urls import path

from tousu.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("<slug:key>/", views.plan_detail, name="detail"),
    path("<slug:key>/r<int:number>/", views.revision_source, name="source"),
    path("<slug:key>/r<int:number>/activate/", views.revision_activate, name="activate"),
    path("<slug:key>/r<int:number>/flow.svg", views.revision_flowchart, name="flowchart"),
    path("<slug:key>/diff/", views.revision_compare_pick, name="diff_pick"),
    path("<slug:key>/diff/<int:a>/<int:b>/", views.revision_compare, name="diff"),
]
