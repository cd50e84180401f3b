"""The form of one plan action on the complaint page, built from what the action needs."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tousu.accounts.models import User
from tousu.accounts.selectors import department_subtree_ids, departments_active
from tousu.complaints.forms import DateTimeLocalInput, ServiceChoiceField, _blank
from tousu.plans.choices import ActionType, Measure
from tousu.plans.schema import Plan

TEXTAREA = forms.Textarea(attrs={"rows": 3})

# Fields each action type shows (the service decides which are required).
TYPE_FIELDS = {
    ActionType.TRANSFER: ["department", "slip", "assignee"],
    ActionType.ASSIGN: ["assignee"],
    ActionType.CLASSIFY: ["category", "severity", "nature"],
    ActionType.INVESTIGATE: ["findings", "evidence"],
    ActionType.REPORT: ["report"],
    ActionType.PROPOSE: ["opinion"],
    ActionType.CONVENE_MEETING: ["owner", "due_at", "agenda"],
    ActionType.EXECUTE: ["measure", "amount", "result"],
    ActionType.REPLY: ["reply"],
    ActionType.RECORD_SATISFACTION: ["satisfaction"],
    ActionType.APPEAL: ["reason"],
    ActionType.REFUSE: ["reason"],
    ActionType.WAIT: ["reason"],
    ActionType.EXTEND: ["reason"],
    ActionType.RECORD_FOLLOW_UP: ["reached", "satisfaction", "remarks"],
}


class ActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, action, complaint, **kwargs):
        kwargs.setdefault("initial", {"version": complaint.version})
        kwargs.setdefault("prefix", action.key)
        super().__init__(*args, **kwargs)
        self.action = action
        plan = complaint.plan
        names = list(TYPE_FIELDS.get(ActionType(action.type), []))
        for name in [*action.requires, "note"]:
            if name not in names:
                names.append(name)
        for name in names:
            self.fields[name] = self._field(name, action, complaint, plan)
            if name in action.requires:
                self.fields[name].widget.attrs["required"] = True

    def _field(self, name, action, complaint, plan: Plan) -> forms.Field:
        text = {
            "slip": _("Transfer slip (what was found, what is asked)"),
            "findings": _("Findings"),
            "evidence": _("Evidence"),
            "report": _("Report"),
            "opinion": _("Opinion"),
            "agenda": _("Agenda"),
            "result": _("Result"),
            "reply": _("Reply to the complainant"),
            "reason": _("Reason"),
            "remarks": _("Remarks"),
            "note": _("Note"),
        }
        if name in text:
            return forms.CharField(label=text[name], widget=TEXTAREA, required=False)
        if name == "department":
            choices = [(d.code, d.name) for d in departments_active()]
            return ServiceChoiceField(
                label=_("Department"), choices=_blank(choices), required=False
            )
        if name in ("assignee", "owner"):
            people = User.objects.filter(is_active=True).order_by("username")
            if name == "assignee":
                people = people.filter(
                    department_id__in=department_subtree_ids(complaint.department_id)
                )
            label = _("Assignee") if name == "assignee" else _("Meeting owner")
            choices = [(u.username, f"{u.display_name}（{u.username}）") for u in people]
            return ServiceChoiceField(label=label, choices=_blank(choices), required=False)
        if name == "complained_person":
            people = User.objects.filter(is_active=True).order_by("username")
            choices = [(u.username, f"{u.display_name}（{u.username}）") for u in people]
            return ServiceChoiceField(
                label=_("Person complained about"), choices=_blank(choices), required=False
            )
        if name == "items":
            return forms.IntegerField(
                label=_("Items of the complaint upheld"), min_value=1, max_value=50, required=False
            )
        if name == "fine":
            return forms.DecimalField(
                label=_("Fine (yuan)"), max_digits=10, decimal_places=2, required=False
            )
        if name == "category":
            from tousu.complaints.forms import _category_choices

            return ServiceChoiceField(
                label=_("Category"), choices=_blank(_category_choices()), required=False
            )
        if name in ("severity", "nature"):
            options = plan.severities if name == "severity" else plan.natures
            label = _("Severity") if name == "severity" else _("Nature")
            return ServiceChoiceField(
                label=label,
                choices=_blank([(o.key, o.label) for o in options]),
                required=False,
            )
        if name == "due_at":
            return forms.DateTimeField(label=_("Due"), widget=DateTimeLocalInput(), required=False)
        if name == "measure":
            allowed = action.measures or Measure.values
            measures = [(m, Measure(m).label) for m in allowed]
            return ServiceChoiceField(label=_("Measure"), choices=_blank(measures), required=False)
        if name == "amount":
            return forms.DecimalField(
                label=_("Amount (yuan)"), max_digits=12, decimal_places=2, required=False
            )
        if name == "satisfaction":
            grades = [(s.value, s.label) for s in plan.satisfaction.scale]
            return ServiceChoiceField(
                label=_("Satisfaction"), choices=_blank(grades), required=False
            )
        if name == "reached":
            return ServiceChoiceField(
                label=_("Reached"),
                choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))],
                required=False,
            )
        return forms.CharField(label=name, required=False)

    def data_for_service(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        data.pop("version", None)
        return data

    def add_service_errors(self, field_errors: dict[str, list[str]]) -> None:
        for name, messages in field_errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
