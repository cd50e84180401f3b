from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "tousu.incidents"
    label = "incidents"
    verbose_name = _("Emergency incidents")

    def ready(self) -> None:
        # The emergency response hears of every registered or changed complaint.
        from tousu.complaints.hooks import on_complaint
        from tousu.incidents.triggers import complaint_weighed

        on_complaint(complaint_weighed)
