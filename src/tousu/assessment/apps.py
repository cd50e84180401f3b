from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    """The assessment ledger (考核): penalty entries the plan's rules derive from missed
    deadlines and repeat complaints. Below complaints, so the writer of a case can
    assess what a plan decides."""

    name = "tousu.assessment"
    label = "assessment"
    verbose_name = _("Assessment")
