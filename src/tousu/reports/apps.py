from importlib import import_module
from importlib.util import find_spec

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The modules that register background runners (``reports.jobs.runner``).
RUNNER_MODULES = ("tousu.reports.analysis.runner", "tousu.reports.exports.runner")


class ReportsConfig(AppConfig):
    name = "tousu.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        for name in RUNNER_MODULES:
            if find_spec(name.rsplit(".", 1)[0]) and find_spec(name):
                import_module(name)
