from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo organisations for every shipped template (`tousu demo`): the top of the
    layers, loading data through every app's services."""

    name = "tousu.demo"
    label = "demo"
    verbose_name = _("Demo")
