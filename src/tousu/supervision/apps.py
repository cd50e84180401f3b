from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "tousu.supervision"
    label = "supervision"
    verbose_name = _("Supervision and assessment")
