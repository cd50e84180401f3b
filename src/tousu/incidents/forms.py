"""Forms of the emergency pages. They only turn posted text into values; the incident
services hold the rules, and their field errors are put back beside these fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tousu.accounts.models import User
from tousu.complaints.forms import DateTimeLocalInput, ServiceChoiceField, _blank, choice_field
from tousu.core.inputs import validate_date_range, validate_storable
from tousu.incidents.triggers import level_choices
from tousu.plans.schema import Category, Plan

TEXTAREA = forms.Textarea(attrs={"rows": 3})
# The most a form accepts of a count, before the service weighs it.
COUNT_MAX = 1_000_000


def _text(label, *, rows: int = 3, max_length: int | None = None) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        validators=[validate_storable],
    )


def _line(label, *, max_length: int = 200) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=max_length, validators=[validate_storable]
    )


def _people() -> list[tuple[str, str]]:
    people = User.objects.filter(is_active=True).order_by("username")
    return [(u.username, f"{u.display_name}（{u.username}）") for u in people]


def category_choices(plan: Plan) -> list[tuple[str, str]]:
    """The plan's categories as event classes, children indented under their parent."""
    rows: list[tuple[str, str]] = []

    def walk(nodes: list[Category], depth: int) -> None:
        for node in nodes:
            rows.append((node.key, "\u3000" * depth + node.label))
            walk(node.children, depth + 1)

    walk(plan.categories, 0)
    return rows


class ServiceErrors:
    """Put a service's field errors beside the fields of this form (the others above)."""

    # Service field name → form field name, where they differ.
    SERVICE_FIELDS: dict[str, str] = {}

    def add_service_errors(self, field_errors: dict[str, list[str]]) -> None:
        assert isinstance(self, forms.Form)
        for path, messages in field_errors.items():
            name = self.SERVICE_FIELDS.get(path, path)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class EventReportForm(ServiceErrors, forms.Form):
    """事件报告: an event without a complaint (outage, security, equipment, fund or life
    safety, disaster)."""

    title = _line(_("Title"))
    description = _text(_("Event description"), rows=5, max_length=20000)
    category = ServiceChoiceField(label=_("Event class"), required=False)
    severity = ServiceChoiceField(label=_("Severity"), required=False)
    amount_involved = forms.DecimalField(
        label=_("Amount involved (yuan)"), max_digits=14, decimal_places=2, required=False
    )
    people_injured = forms.IntegerField(
        label=_("People injured"), max_value=COUNT_MAX, required=False, initial=0
    )

    REQUIRED = ("title", "category", "severity")

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "category").choices = _blank(category_choices(plan))
        choice_field(self, "severity").choices = _blank([(s.key, s.label) for s in plan.severities])
        for name in self.REQUIRED:
            self.fields[name].widget.attrs["required"] = True


class ActivateForm(ServiceErrors, forms.Form):
    level = ServiceChoiceField(label=_("Response level"), required=False)

    def __init__(self, *args, plan: Plan, level: str = "", **kwargs):
        kwargs.setdefault("initial", {"level": level})
        kwargs.setdefault("prefix", "activate")
        super().__init__(*args, **kwargs)
        choice_field(self, "level").choices = level_choices(plan)


class LevelForm(ServiceErrors, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    level = ServiceChoiceField(label=_("New response level"), required=False)
    reason = _text(_("Reason (required when lowering the level)"), rows=2, max_length=2000)

    def __init__(self, *args, plan: Plan, level: str = "", version: int | None = None, **kwargs):
        kwargs.setdefault("initial", {"level": level, "version": version})
        kwargs.setdefault("prefix", "level")
        super().__init__(*args, **kwargs)
        choice_field(self, "level").choices = level_choices(plan)


class EscalateForm(ServiceErrors, forms.Form):
    """Activate the plan from a complaint (or raise the running response's level)."""

    level = ServiceChoiceField(label=_("Response level"), required=False)
    reason = _text(_("Why the plan is activated"), rows=2, max_length=2000)

    def __init__(self, *args, plan: Plan, **kwargs):
        kwargs.setdefault("prefix", "emergency")
        super().__init__(*args, **kwargs)
        levels = level_choices(plan)
        choice_field(self, "level").choices = levels
        if levels and not self.is_bound:
            self.fields["level"].initial = levels[-1][0]  # the least serious
        self.fields["reason"].widget.attrs["required"] = True


class NoteForm(ServiceErrors, forms.Form):
    """What a task or an improvement action came to (optional for a task)."""

    note = _text(_("Note"), rows=2, max_length=5000)


class SituationForm(ServiceErrors, forms.Form):
    text = _text(_("Situation now"), rows=4, max_length=5000)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "situation")
        super().__init__(*args, **kwargs)
        self.fields["text"].widget.attrs["required"] = True


class UpwardForm(ServiceErrors, forms.Form):
    content = _text(_("What was reported"), rows=2, max_length=5000)

    def __init__(self, *args, report_id: int, **kwargs):
        kwargs.setdefault("prefix", f"upward-{report_id}")
        super().__init__(*args, **kwargs)
        self.fields["content"].widget.attrs["required"] = True


class MediaForm(ServiceErrors, forms.Form):
    outlet = _line(_("Outlet"))
    person = _line(_("Reporter"))
    summary = _text(_("What was asked and answered"), rows=3, max_length=5000)
    at = forms.DateTimeField(
        label=_("When (blank: now)"),
        widget=DateTimeLocalInput(),
        required=False,
        validators=[validate_date_range],
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "media")
        super().__init__(*args, **kwargs)
        for name in ("outlet", "summary"):
            self.fields[name].widget.attrs["required"] = True


class StatementForm(ServiceErrors, forms.Form):
    text = _text(_("Statement"), rows=4, max_length=20000)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "statement")
        super().__init__(*args, **kwargs)
        self.fields["text"].widget.attrs["required"] = True


class CloseForm(ServiceErrors, forms.Form):
    outcome = _text(_("Outcome"), rows=3, max_length=20000)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "close")
        super().__init__(*args, **kwargs)
        self.fields["outcome"].widget.attrs["required"] = True


class ImprovementRowForm(forms.Form):
    title = _line(_("Improvement action"))
    owner = ServiceChoiceField(label=_("Person responsible"), required=False)
    due_on = forms.DateField(
        label=_("Due on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_date_range],
    )

    def __init__(self, *args, people: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "owner").choices = _blank(people)

    def filled(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) for name in ("title", "owner", "due_on"))


class AccountabilityRowForm(forms.Form):
    person = ServiceChoiceField(label=_("Person"), required=False)
    reason = _line(_("Held to account for"), max_length=500)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), max_digits=10, decimal_places=2, required=False
    )

    def __init__(self, *args, people: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "person").choices = _blank(people)

    def filled(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) not in (None, "") for name in ("person", "reason", "amount"))


ImprovementRows = forms.formset_factory(ImprovementRowForm, extra=3, max_num=20)
AccountabilityRows = forms.formset_factory(AccountabilityRowForm, extra=2, max_num=20)


class ReviewForm(ServiceErrors, forms.Form):
    """总结评估: causes, lessons, improvement actions, accountability and an optional
    proposed plan revision (the active revision's YAML, edited)."""

    causes = _text(_("Causes"), rows=3, max_length=20000)
    lessons = _text(_("Lessons"), rows=3, max_length=20000)
    revision_source = forms.CharField(
        label=_("Proposed plan revision (YAML; leave unchanged to propose none)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "font-monospace", "spellcheck": "false"}),
    )

    def __init__(self, *args, source: str = "", people=None, **kwargs):
        kwargs.setdefault("prefix", "review")
        kwargs.setdefault("initial", {"revision_source": source})
        super().__init__(*args, **kwargs)
        self.source = source
        data = args[0] if args else None
        people = people if people is not None else _people()
        self.improvements = ImprovementRows(
            data, prefix="improvement", form_kwargs={"people": people}
        )
        self.accountability = AccountabilityRows(
            data, prefix="accountability", form_kwargs={"people": people}
        )
        for name in ("causes", "lessons"):
            self.fields[name].widget.attrs["required"] = True

    def all_valid(self) -> bool:
        # Every part is validated, so all errors show at once.
        results = [self.is_valid(), self.improvements.is_valid(), self.accountability.is_valid()]
        return all(results)

    def proposed_source(self) -> str:
        """The revision text, or nothing when it was left as it was (browsers send a
        textarea's lines ended with CRLF: the file's own endings are kept)."""
        text = (self.cleaned_data.get("revision_source") or "").replace("\r\n", "\n")
        return "" if text.strip() == self.source.replace("\r\n", "\n").strip() else text

    def filled_rows(self, rows) -> list[tuple[int, forms.Form]]:
        return [(i, form) for i, form in enumerate(rows.forms) if form.filled()]

    def add_service_errors(self, field_errors: dict[str, list[str]], *, index=None) -> None:
        """``improvements.2.title`` goes beside the title of the third filled row."""
        index = index or {}
        for path, messages in field_errors.items():
            part, _sep, rest = path.partition(".")
            if part in ("improvements", "accountability") and rest:
                number, _sep, name = rest.partition(".")
                rows = self.improvements if part == "improvements" else self.accountability
                position = index.get(part, {}).get(int(number)) if number.isdigit() else None
                if position is not None:
                    form = rows.forms[position]
                    for message in messages:
                        form.add_error(name if name in form.fields else None, message)
                    continue
            if path in self.fields or not self.proposed_source():
                for message in messages:
                    self.add_error(path if path in self.fields else None, message)
                continue
            # The proposed revision's errors, by their place in the file.
            for message in messages:
                self.add_error("revision_source", f"{path}：{message}")
