from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tousu.deadlines.holidays import FIRST_YEAR, LAST_YEAR
from tousu.deadlines.models import CalendarOverride, CalendarYear
from tousu.deadlines.services import calendar_override_clear, calendar_override_set


class CalendarOverrideForm(forms.ModelForm):
    class Meta:
        model = CalendarOverride
        fields = ["day", "kind", "name", "note"]

    def clean_day(self):
        day = self.cleaned_data["day"]
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValidationError(
                _("Choose a day from %(first)s to %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        return day


def _may_manage(request) -> bool:
    return request.user.has_perm("deadlines.manage_calendar")


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    """Single-day edits. Saving and deleting go through the calendar services, so the
    open deadlines the day affects are recomputed and the change is audited. A whole
    year's schedule is entered with ``tousu calendar year YEAR --file FILE``."""

    form = CalendarOverrideForm
    list_display = ("day", "kind", "name", "note", "created_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "note")
    date_hierarchy = "day"
    actions = ["delete_through_service"]

    def has_add_permission(self, request):
        return _may_manage(request)

    def has_change_permission(self, request, obj=None):
        return _may_manage(request)

    def has_delete_permission(self, request, obj=None):
        return _may_manage(request)

    def get_readonly_fields(self, request, obj=None):
        # Another day is another override: delete this one and add that one.
        return ("day",) if obj is not None else ()

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        # The form has checked what the service checks, so this does not refuse.
        result = calendar_override_set(
            actor=request.user, day=obj.day, kind=obj.kind, name=obj.name, note=obj.note
        )
        if result.row is not None:  # always: a set writes its row
            obj.pk = result.row.pk
        self._report(request, result)

    def delete_model(self, request, obj):
        self._report(request, calendar_override_clear(actor=request.user, day=obj.day))

    @admin.action(
        description=gettext_lazy("Delete the selected overrides (recomputing deadlines)"),
        permissions=["delete"],
    )
    def delete_through_service(self, request, queryset):
        for override in queryset.order_by("day"):
            self.delete_model(request, override)

    def _report(self, request, result) -> None:
        if result.recomputed:
            self.message_user(
                request,
                _("Open deadlines recomputed: %(recomputed)d, moved: %(moved)d.")
                % {"recomputed": result.recomputed, "moved": result.moved},
                messages.INFO,
            )


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """Read-only: a year's schedule is entered, or corrected, with
    ``tousu calendar year YEAR --file FILE``, which checks it as a whole."""

    list_display = ("year", "entered_by", "entered_at", "source_note")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
