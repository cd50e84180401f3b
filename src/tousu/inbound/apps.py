from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboundConfig(AppConfig):
    name = "tousu.inbound"
    label = "inbound"
    verbose_name = _("Inbound API")

    def ready(self) -> None:
        # A source is told when a complaint it delivered is replied to or closed.
        from tousu.complaints.hooks import on_complaint
        from tousu.inbound.callbacks import complaint_changed

        on_complaint(complaint_changed)
