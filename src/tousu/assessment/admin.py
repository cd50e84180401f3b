from django.contrib import admin

from tousu.assessment.models import PenaltyEntry
from tousu.core.admin import ReadOnly


@admin.register(PenaltyEntry)
class PenaltyEntryAdmin(ReadOnly):
    list_display = ("period", "person", "rule_label", "complaint", "amount", "status")
    list_filter = ("period", "status", "rule")
