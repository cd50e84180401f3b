"""The form that starts a drill from the drills page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tousu.incidents.drills.scenario import shipped_scenarios
from tousu.incidents.drills.selectors import drill_plans


class DrillStartForm(forms.Form):
    plan = forms.ChoiceField(label=_("Plan"))
    scenario = forms.ChoiceField(label=_("Scenario"))
    speed = forms.IntegerField(
        label=_("Speed"),
        min_value=0,
        max_value=100000,
        initial=0,
        help_text=_("Drill-seconds per real second; 0 runs as fast as possible."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plan, scenario = self.fields["plan"], self.fields["scenario"]
        assert isinstance(plan, forms.ChoiceField) and isinstance(scenario, forms.ChoiceField)
        plan.choices = [(p.key, p.name) for p in drill_plans()]
        scenario.choices = list(shipped_scenarios().items())
