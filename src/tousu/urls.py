from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from tousu.api import api
from tousu.complaints import views as complaint_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="work", permanent=False)),
    path("work/", complaint_views.my_work, name="work"),
    path("accounts/", include("tousu.accounts.urls")),
    path("complaints/", include("tousu.complaints.urls")),
    path("incidents/", include("tousu.incidents.urls")),
    path("plans/", include("tousu.plans.urls")),
    path("drills/", include("tousu.incidents.drills.urls")),
    path("supervision/", include("tousu.supervision.urls")),
    path("notifications/", include("tousu.notifications.urls")),
    path("desk/", include("tousu.desk.urls")),
    path("inbound/", include("tousu.inbound.urls")),
    path("imports/", include("tousu.imports.urls")),
    path("mail/", include("tousu.mailin.urls")),
    path("portal/", include("tousu.portal.urls")),
    path("reports/", include("tousu.reports.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Monitoring (tousu.ops): /healthz for load balancers, /metrics for Prometheus.
    path("", include("tousu.ops.urls")),
]

# A request refused before routing (e.g. a bad Host), or a path nothing answers, is a
# problem body on the API.
handler400 = "tousu.core.errorviews.bad_request"
handler404 = "tousu.core.errorviews.not_found"
