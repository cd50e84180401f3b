"""The analysis report's request form: the choices the person may make."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tousu.accounts.models import Department, User
from tousu.accounts.selectors import department_subtree_ids
from tousu.plans.models import Plan
from tousu.reports.analysis.scope import sees_everything
from tousu.reports.analysis.services import PERIOD_KINDS, kind_label


def departments_for(user: User) -> list[tuple[str, str]]:
    """The departments ``user`` may ask a report for (all for the roles that see all)."""
    qs = Department.objects.filter(is_active=True).order_by("code")
    if not sees_everything(user):
        if user.department_id is None:
            return []
        qs = qs.filter(pk__in=department_subtree_ids(user.department_id))
    return [(d.code, d.name) for d in qs]


class AnalysisForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of period"))
    period = forms.CharField(
        label=pgettext_lazy("report period", "Period"),
        max_length=40,
        help_text=_("e.g. 2026-10, 2026Q3, 2026 or 2026-10-01..2026-12-31"),
    )
    plan = forms.ChoiceField(label=_("Plan"), required=False)
    # Any code is accepted here; the service refuses one the person may not see.
    department = forms.CharField(label=_("Department"), required=False, max_length=50)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            (k, kind_label(k)) for k in PERIOD_KINDS
        ]
        cast(forms.ChoiceField, self.fields["plan"]).choices = [("", _("All plans"))] + [
            (p.key, p.name) for p in Plan.objects.order_by("key")
        ]
        self.departments = [("", str(_("All departments I may see")))] + departments_for(user)
