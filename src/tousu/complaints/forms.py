"""Staff forms. They only turn posted text into values; the services hold the rules,
and their field errors are put back beside these fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tousu.accounts.selectors import departments_active
from tousu.complaints.choices import Channel, Nature, Severity, Status
from tousu.complaints.models import Category
from tousu.complaints.selectors import filter_unknown_message, filter_value_label
from tousu.core.config import config_cached
from tousu.core.inputs import validate_date_range, validate_storable
from tousu.core.widgets import plain
from tousu.plans.choices import Satisfaction


def _blank(choices) -> list:
    return [("", "—"), *choices]


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's select called ``name``, typed as one so its choices can be set."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{name} is not a choice field")
    return field


class ServiceChoiceField(forms.ChoiceField):
    """A select whose value the service checks, so all errors come back in one round."""

    def valid_value(self, value) -> bool:
        return True


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


# The choice lists below are read on every list page and form: kept in this process until
# the configuration changes (core.config watches categories, departments and users).


def _category_choices() -> list:
    return config_cached("forms.categories", _categories)


def _categories() -> list[tuple[str, str]]:
    return [(c.key, c.name) for c in Category.objects.filter(is_active=True).order_by("key")]


def _plans() -> list:
    from tousu.plans.models import Plan

    return [(p.key, p.name) for p in Plan.objects.order_by("key")]


def _department_choices() -> list:
    return config_cached("forms.departments", _departments)


def _departments() -> list[tuple[str, str]]:
    return [(d.code, d.name) for d in departments_active()]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ComplaintRegisterForm(forms.Form):
    # Service field path → form field name, for putting service errors back.
    SERVICE_FIELDS = {
        "complainant.name": "complainant_name",
        "complainant.phone": "complainant_phone",
        "complainant.id_number": "complainant_id_number",
        "complainant.address": "complainant_address",
        "complainant.email": "complainant_email",
    }

    channel = ServiceChoiceField(
        label=_("Channel"), choices=_blank(Channel.choices), required=False
    )
    title = forms.CharField(label=_("Title"), required=False)
    description = forms.CharField(label=_("What happened"), widget=forms.Textarea, required=False)
    category = ServiceChoiceField(label=_("Category"), required=False)
    severity = ServiceChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Severity.ORDINARY, required=False
    )
    nature = ServiceChoiceField(
        label=_("Nature"), choices=Nature.choices, initial=Nature.PROBLEM, required=False
    )
    occurred_at = forms.DateTimeField(
        label=_("When it happened"), widget=DateTimeLocalInput(), required=False
    )
    occurred_place = forms.CharField(label=_("Where it happened"), required=False)
    persons_involved = forms.CharField(label=_("Persons involved"), required=False)
    merchant = forms.CharField(label=_("Merchant"), required=False)
    product = forms.CharField(label=_("Product or service"), required=False)
    amount_involved = forms.DecimalField(
        label=_("Amount involved (yuan)"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
    )
    people_injured = forms.IntegerField(
        label=_("People injured"), required=False, min_value=0, max_value=1_000_000
    )
    media_involved = forms.BooleanField(
        label=_("The media is involved (a reporter, an exposure, a 3·15 threat)"), required=False
    )
    department = ServiceChoiceField(label=_("Handling department"), required=False)
    confidential = forms.BooleanField(
        label=_("Confidential (state or commercial secrets: leadership only)"), required=False
    )
    complainant_name = forms.CharField(label=_("Complainant's name"), required=False)
    complainant_phone = forms.CharField(label=_("Phone"), required=False)
    complainant_id_number = forms.CharField(label=_("ID number"), required=False)
    complainant_address = forms.CharField(label=_("Address"), required=False)
    complainant_email = forms.CharField(label=_("Email"), required=False)
    attachments = MultipleFileField(label=_("Evidence (photos, documents)"), required=False)

    REQUIRED = ("channel", "title", "description", "category", "complainant_name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "category").choices = _blank(_category_choices())
        choice_field(self, "department").choices = [
            ("", _("My department")),
            *_department_choices(),
        ]
        _plan_choices(self)
        for name in self.REQUIRED:
            self.fields[name].widget.attrs["required"] = True
            self.fields[name].widget.attrs["aria-required"] = "true"

    def complaint_fields(self):
        return [f for f in self if not f.name.startswith("complainant_")]

    def complainant_fields(self):
        return [f for f in self if f.name.startswith("complainant_")]

    def add_service_errors(self, field_errors: dict[str, list[str]]) -> None:
        for path, messages in field_errors.items():
            name = self.SERVICE_FIELDS.get(path, path.split(".")[0])
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class ComplaintEditForm(forms.Form):
    """The complaint's own fields; ``version`` is what the editor saw (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), required=False)
    description = forms.CharField(label=_("What happened"), widget=forms.Textarea, required=False)
    category = ServiceChoiceField(label=_("Category"), required=False)
    severity = ServiceChoiceField(label=_("Severity"), choices=Severity.choices, required=False)
    nature = ServiceChoiceField(label=_("Nature"), choices=Nature.choices, required=False)
    occurred_at = forms.DateTimeField(
        label=_("When it happened"), widget=DateTimeLocalInput(), required=False
    )
    occurred_place = forms.CharField(label=_("Where it happened"), required=False)
    persons_involved = forms.CharField(label=_("Persons involved"), required=False)
    merchant = forms.CharField(label=_("Merchant"), required=False)
    product = forms.CharField(label=_("Product or service"), required=False)
    note = forms.CharField(
        label=_("Why the classification changes"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        help_text=_("Changing severity, nature or category is the plan's classify action."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "category").choices = _blank(_category_choices())
        _plan_choices(self)

    @classmethod
    def for_complaint(cls, complaint, data=None):
        initial = {name: getattr(complaint, name) for name in cls.base_fields if name != "note"}
        initial["category"] = complaint.category.key
        if complaint.occurred_at:
            initial["occurred_at"] = timezone.localtime(complaint.occurred_at)
        return cls(data, initial=initial)

    def add_service_errors(self, field_errors: dict[str, list[str]]) -> None:
        for name, messages in field_errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


def _stage_choices() -> list[tuple[str, str]]:
    """The stages of the organisation's plan (its active revision), in plan order."""
    from tousu.complaints.services import plan_revision_cached

    revision = plan_revision_cached()
    if revision is None:
        return []
    return [(key, stage.label) for key, stage in revision.plan_model.stages.items()]


def _assignee_choices() -> list[tuple[str, str]]:
    return config_cached("forms.assignees", _assignees)


def _assignees() -> list[tuple[str, str]]:
    from tousu.accounts.models import User

    return [
        (u.username, f"{u.display_name}（{u.username}）")
        for u in User.objects.filter(is_active=True).order_by("username")
    ]


def _plan_choices(form: forms.Form, *, filtering: bool = False) -> None:
    """Under a plan, offer the plan's own severities, natures and channels."""
    from tousu.complaints.services import plan_revision_cached

    revision = plan_revision_cached()
    if revision is None:
        return
    plan = revision.plan_model
    labels = dict(Channel.choices)
    fields = {
        "severity": [(s.key, s.label) for s in plan.severities],
        "nature": [(n.key, n.label) for n in plan.natures],
        "channel": _blank([(c, labels.get(c, c)) for c in plan.channels]),
    }
    for name, choices in fields.items():
        if name not in form.fields:
            continue
        if filtering and name != "channel":
            choices = _blank(choices)
        choice_field(form, name).choices = choices
        if not filtering and name != "channel":
            form.fields[name].initial = choices[0][0]


class ComplaintAssignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    department = forms.ChoiceField(label=_("Department"))
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "department").choices = _department_choices()
        choice_field(self, "assignee").choices = [("", "—"), *assignees]

    def add_service_errors(self, field_errors: dict[str, list[str]]) -> None:
        for name, messages in field_errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class FlagField(forms.ChoiceField):
    """A click-through flag: "1" when set, nothing when not; anything else is refused,
    never read as set. Cleans to a bool."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(choices=[("", "—"), ("1", "1")], required=False, **kwargs)

    def clean(self, value) -> bool:
        return super().clean(value) == "1"


class ComplaintFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Keyword"), required=False, max_length=200, validators=[validate_storable]
    )
    status = forms.ChoiceField(label=_("Status"), choices=_blank(Status.choices), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=_blank(Severity.choices), required=False
    )
    department = forms.ChoiceField(label=_("Department"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=_blank(Channel.choices), required=False)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    mine = forms.BooleanField(label=_("Waiting for me"), required=False)
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    received_from = forms.DateField(
        label=_("Received from"),
        widget=forms.DateInput(attrs={"type": "date"}),
        required=False,
        validators=[validate_date_range],
    )
    received_to = forms.DateField(
        label=_("Received to"),
        widget=forms.DateInput(attrs={"type": "date"}),
        required=False,
        validators=[validate_date_range],
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        choices=[
            ("-received", _("Newest first")),
            ("due", _("Deadline soonest")),
            ("received", _("Oldest first")),
            ("-tracking_no", _("Tracking number ↓")),
            ("tracking_no", _("Tracking number ↑")),
            ("severity", _("Severity")),
            ("status", _("Status")),
        ],
        required=False,
    )

    # The dashboard's click-through filters: carried in the address, shown as chips
    # above the list (CLICK_THROUGH), each removable.
    # A plan's key; checked only when set, so the plain list costs no query for it.
    plan = forms.CharField(
        label=_("Plan"),
        required=False,
        max_length=64,
        validators=[validate_storable],
        widget=forms.HiddenInput,
    )
    open = FlagField(label=_("Open"))
    due_soon = FlagField(label=_("About to breach"))
    deadlines = forms.ChoiceField(
        label=_("Deadlines"),
        choices=[("", "—"), ("met", _("All met")), ("missed", _("One missed"))],
        required=False,
        widget=forms.HiddenInput,
    )
    satisfaction = forms.ChoiceField(
        label=_("Satisfaction"),
        choices=[("", "—"), ("rated", _("Rated")), *Satisfaction.choices],
        required=False,
        widget=forms.HiddenInput,
    )
    merchant = forms.CharField(
        label=_("Merchant"),
        required=False,
        max_length=200,
        validators=[validate_storable],
        widget=forms.HiddenInput,
    )
    product = forms.CharField(
        label=_("Product or service"),
        required=False,
        max_length=200,
        validators=[validate_storable],
        widget=forms.HiddenInput,
    )
    place = forms.CharField(
        label=_("Where it happened"),
        required=False,
        max_length=200,
        validators=[validate_storable],
        widget=forms.HiddenInput,
    )
    incident = forms.CharField(
        label=_("Incident"),
        required=False,
        max_length=32,
        validators=[validate_storable],
        widget=forms.HiddenInput,
    )
    repeat = FlagField(label=_("Repeat complainants"))

    CLICK_THROUGH = (
        "plan",
        "open",
        "due_soon",
        "deadlines",
        "satisfaction",
        "merchant",
        "product",
        "place",
        "incident",
        "repeat",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "category").choices = _blank(_category_choices())
        choice_field(self, "department").choices = _blank(_department_choices())
        choice_field(self, "stage").choices = _blank(_stage_choices())
        choice_field(self, "assignee").choices = [
            ("", "—"),
            ("me", _("Me")),
            ("none", _("Nobody")),
            *_assignee_choices(),
        ]
        _plan_choices(self, filtering=True)
        for name in ("category", "department", "stage", "channel"):
            self._keep_selected(name)
        plain(self)  # rendered on every list page: no template per option or label

    def _keep_selected(self, name: str) -> None:
        """The options are the current values; a value no longer current (a category
        switched off, a stage of an older revision …) that exists is accepted and shown
        as selected, so a figure's link lists what the figure counts."""
        if not self.is_bound:
            return
        value = self.data.get(name)
        if not isinstance(value, str) or not value.strip():
            return
        field = choice_field(self, name)
        options = cast("list[tuple[Any, Any]]", list(cast("Iterable", field.choices)))
        if any(str(key) == value for key, _label in options):
            return
        label = filter_value_label(name, value)
        if label is not None:
            field.choices = [*options, (value, label)]

    def clean_plan(self) -> str:
        return self._named("plan")

    def clean_incident(self) -> str:
        return self._named("incident")

    def _named(self, name: str) -> str:
        value = self.cleaned_data.get(name) or ""
        if value and filter_value_label(name, value) is None:
            raise forms.ValidationError(filter_unknown_message(name, value), code="unknown")
        return value

    def chips(self) -> list[dict[str, str]]:
        """The click-through filters set on the bound, valid form: label, the value as
        people read it, and the query string of the list without it."""
        if not self.is_bound or not self.is_valid():
            return []
        chips = []
        for name in self.CLICK_THROUGH:
            value = self.cleaned_data.get(name)
            if value in (None, "", False):
                continue
            field = self.fields[name]
            shown = ""
            if value is True:
                pass  # a flag: its label says it all
            elif name == "plan":
                shown = dict(_plans()).get(value, value)
            elif isinstance(field, forms.ChoiceField):
                labels: dict = dict(getattr(field, "choices", []))
                shown = str(labels.get(value, value))
            elif not isinstance(field, forms.BooleanField):
                shown = str(value)
            rest = QueryDict(mutable=True)
            data = self.data
            for key in data:
                if key not in (name, "page"):
                    values = data.getlist(key) if isinstance(data, QueryDict) else [data[key]]
                    rest.setlist(key, values)
            chips.append({"label": str(field.label), "value": shown, "without": rest.urlencode()})
        return chips
