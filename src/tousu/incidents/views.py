"""Staff pages of the emergency response: the incidents, the event report and the war
room with a form for every step of a response (a complaint's emergency box is in
``box_views``). Thin: the
incident services decide, and their errors go back beside the fields (``InvalidInput``,
422), above them (``Conflict``, 409; ``NotAllowed``, 403) or to a 404 (``NotFound``)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tousu.accounts.http import staff
from tousu.accounts.models import User
from tousu.complaints.services import plan_revision_current
from tousu.core.problems import Conflict, InvalidInput, NotAllowed, NotFound
from tousu.incidents import activation, response, review, triggers
from tousu.incidents.choices import OPEN_STATUSES, IncidentStatus
from tousu.incidents.forms import (
    ActivateForm,
    CloseForm,
    EventReportForm,
    LevelForm,
    MediaForm,
    NoteForm,
    ReviewForm,
    SituationForm,
    StatementForm,
    UpwardForm,
)
from tousu.incidents.labels import level_of, severity_label
from tousu.incidents.models import Incident
from tousu.incidents.presenters import STATUS_COLOURS, WarRoom, war_room
from tousu.incidents.selectors import incident_get_visible, incident_visible_to, incidents_visible

PAGE_SIZE = 25
FAILURES = (InvalidInput, Conflict, NotAllowed)


def _visible_or_404(request: HttpRequest, number: str) -> Incident:
    try:
        return incident_get_visible(user=request.user, number=number)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _room_or_list(request: HttpRequest, incident: Incident) -> HttpResponse:
    """Back to the war room, or to the list when the reader may no longer see it."""
    if incident_visible_to(request.user, incident):
        return redirect("incidents:detail", number=incident.number)
    return redirect("incidents:list")


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# ---------------------------------------------------------------- list and event report


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    if state not in ("open", "closed", "all"):
        state = "open"
    found = (
        incidents_visible(request.user)
        .select_related("plan_revision")
        .annotate(linked=Count("links", distinct=True))
        .order_by("-opened_at", "-pk")
    )
    if state == "open":
        found = found.filter(status__in=OPEN_STATUSES)
    elif state == "closed":
        found = found.exclude(status__in=OPEN_STATUSES)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "incident": i,
            "level": level_of(i.plan_revision.plan_model, i.level),
            "status_colour": STATUS_COLOURS.get(IncidentStatus(i.status), "secondary"),
        }
        for i in page.object_list
    ]
    revision = plan_revision_current()
    may_report = revision is not None and triggers.may_report(revision.plan_model, staff(request))
    context = {"page": page, "rows": rows, "state": state, "may_report": may_report}
    return render(request, "incidents/list.html", context)


@login_required
def incident_report(request: HttpRequest) -> HttpResponse:
    revision = plan_revision_current()
    plan = revision.plan_model if revision is not None else None
    if revision is None or plan is None or not triggers.may_report(plan, staff(request)):
        messages.error(request, _("You may not report emergency events under this plan."))
        return redirect("incidents:list")
    posted = request.method == "POST"
    form = EventReportForm(request.POST if posted else None, plan=plan)
    status = 200
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            incident = triggers.event_report(
                revision=revision,
                actor=staff(request),
                title=data["title"],
                description=data["description"],
                category=data["category"],
                severity=data["severity"],
                amount_involved=data["amount_involved"],
                people_injured=data["people_injured"] or 0,
            )
        except FAILURES as exc:
            form.add_service_errors(exc.field_errors)
            if not isinstance(exc, InvalidInput):
                messages.error(request, exc.detail)
            status = exc.status
        else:
            if incident.status == IncidentStatus.REPORTED:
                message = _(
                    "Event %(number)s reported: it awaits activation by the command group, "
                    "who have been told."
                )
            else:
                message = _("Event %(number)s reported: the emergency plan is activated.")
            messages.success(request, message % {"number": incident.number})
            return _room_or_list(request, incident)
    elif posted:
        status = 422
    return render(request, "incidents/report.html", {"form": form}, status=status)


# ---------------------------------------------------------------- the war room


def _room_context(
    request: HttpRequest, incident: Incident, failed: dict[str, forms.Form] | None = None
) -> dict[str, Any]:
    failed = failed or {}
    room = war_room(incident, staff(request))
    plan = room.plan
    for row in room.upward:
        key = f"upward-{row['report'].pk}"
        row["form"] = failed.get(key) or UpwardForm(report_id=row["report"].pk)
    for row in room.improvements:
        key = f"improvement-{row['action'].pk}"
        row["form"] = failed.get(key) or NoteForm(prefix=key)
    context: dict[str, Any] = {
        "room": room,
        "incident": incident,
        "activate_form": failed.get("activate") or ActivateForm(plan=plan, level=incident.level),
        "level_form": failed.get("level")
        or LevelForm(plan=plan, level=incident.level, version=incident.version),
        "situation_form": failed.get("situation") or SituationForm(),
        "media_form": failed.get("media") or MediaForm(),
        "statement_form": failed.get("statement") or StatementForm(),
        "close_form": failed.get("close") or CloseForm(),
    }
    if room.may.review:
        context["review_form"] = failed.get("review") or ReviewForm(
            source=incident.plan_revision.source
        )
    context["severity"] = severity_label(plan, incident.severity)
    return context


def _render_room(
    request: HttpRequest,
    incident: Incident,
    *,
    failed: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    incident.refresh_from_db()
    context = _room_context(request, incident, failed)
    return render(request, "incidents/war_room.html", context, status=status)


@login_required
def incident_detail(request: HttpRequest, number: str) -> HttpResponse:
    incident = _visible_or_404(request, number)
    return render(request, "incidents/war_room.html", _room_context(request, incident))


@login_required
def incident_live(request: HttpRequest, number: str) -> HttpResponse:
    """The parts of the war room that change on their own (elapsed time, tasks,
    situation reports, reports upward, statements), swapped in place every 15 s; the
    forms stay outside them so nothing being typed is lost."""
    incident = _visible_or_404(request, number)
    room: WarRoom = war_room(incident, staff(request), live=True)
    return render(request, "incidents/_live.html", {"room": room, "incident": incident})


def _done(
    request: HttpRequest,
    incident: Incident,
    call: Callable[[], Any],
    success: str,
    *,
    key: str = "",
    form: Any = None,
) -> HttpResponse:
    """Run ``call`` (a service); on success back to the war room with ``success``, else
    the war room again with the errors beside the form's fields or above them."""
    try:
        call()
    except FAILURES as exc:
        if form is not None:
            form.add_service_errors(exc.field_errors)
        if form is None or not isinstance(exc, InvalidInput) or not exc.field_errors:
            messages.error(request, exc.detail)
        return _render_room(
            request, incident, failed={key: form} if form is not None else None, status=exc.status
        )
    messages.success(request, success)
    return _room_or_list(request, incident)


def _invalid(request: HttpRequest, incident: Incident, key: str, form: Any) -> HttpResponse:
    return _render_room(request, incident, failed={key: form}, status=422)


@login_required
@require_POST
def incident_activate(request: HttpRequest, number: str) -> HttpResponse:
    incident = _visible_or_404(request, number)
    form = ActivateForm(request.POST, plan=incident.plan_revision.plan_model)
    if not form.is_valid():
        return _invalid(request, incident, "activate", form)
    return _done(
        request,
        incident,
        lambda: activation.incident_activate(
            incident=incident, actor=staff(request), level=form.cleaned_data["level"] or ""
        ),
        _("The emergency plan is activated."),
        key="activate",
        form=form,
    )


@login_required
@require_POST
def incident_level(request: HttpRequest, number: str) -> HttpResponse:
    incident = _visible_or_404(request, number)
    form = LevelForm(request.POST, plan=incident.plan_revision.plan_model)
    if not form.is_valid():
        return _invalid(request, incident, "level", form)
    data = form.cleaned_data
    return _done(
        request,
        incident,
        lambda: activation.incident_level_set(
            incident=incident,
            actor=staff(request),
            level=data["level"] or "",
            reason=data["reason"],
            version=data["version"],
        ),
        _("The response level is changed; everyone in the structure has been told."),
        key="level",
        form=form,
    )


@login_required
@require_POST
def incident_task_done(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    incident = _visible_or_404(request, number)
    task = incident.tasks.filter(pk=pk).select_related("incident", "deadline").first()
    if task is None:
        raise Http404
    form = NoteForm(request.POST)
    form.is_valid()  # the note is optional; one that cannot be stored is left out
    note = form.cleaned_data.get("note") or ""
    return _done(
        request,
        incident,
        lambda: response.task_done(task=task, actor=staff(request), note=note),
        _("Task done: %(task)s.") % {"task": task.label},
    )


@login_required
@require_POST
def incident_situation(request: HttpRequest, number: str) -> HttpResponse:
    incident = _visible_or_404(request, number)
    form = SituationForm(request.POST)
    if not form.is_valid():
        return _invalid(request, incident, "situation", form)
    return _done(
        request,
        incident,
        lambda: response.situation_file(
            incident=incident, actor=staff(request), text=form.cleaned_data["text"]
        ),
        _("Situation report filed."),
        key="situation",
        form=form,
    )


@login_required
@require_POST
def incident_upward(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    incident = _visible_or_404(request, number)
    report = incident.upward.filter(pk=pk).select_related("incident", "deadline").first()
    if report is None:
        raise Http404
    form = UpwardForm(request.POST, report_id=report.pk)
    key = f"upward-{report.pk}"
    if not form.is_valid():
        return _invalid(request, incident, key, form)
    return _done(
        request,
        incident,
        lambda: response.upward_file(
            report=report, actor=staff(request), content=form.cleaned_data["content"]
        ),
        _("Recorded: reported to %(authority)s.") % {"authority": report.authority_label},
        key=key,
        form=form,
    )


@login_required
@require_POST
def incident_media(request: HttpRequest, number: str) -> HttpResponse:
    incident = _visible_or_404(request, number)
    form = MediaForm(request.POST)
    if not form.is_valid():
        return _invalid(request, incident, "media", form)
    data = form.cleaned_data
    return _done(
        request,
        incident,
        lambda: response.media_log(
            incident=incident,
            actor=staff(request),
            outlet=data["outlet"],
            summary=data["summary"],
            person=data["person"],
            at=data["at"],
        ),
        _("Media contact logged."),
        key="media",
        form=form,
    )


@login_required
@require_POST
def incident_statement(request: HttpRequest, number: str) -> HttpResponse:
    incident = _visible_or_404(request, number)
    form = StatementForm(request.POST)
    if not form.is_valid():
        return _invalid(request, incident, "statement", form)
    return _done(
        request,
        incident,
        lambda: response.statement_draft(
            incident=incident, actor=staff(request), text=form.cleaned_data["text"]
        ),
        _("Statement drafted: a commander who did not write it approves it."),
        key="statement",
        form=form,
    )


def _statement(incident: Incident, pk: int):
    statement = incident.statements.filter(pk=pk).select_related("incident").first()
    if statement is None:
        raise Http404
    return statement


@login_required
@require_POST
def incident_statement_approve(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    incident = _visible_or_404(request, number)
    statement = _statement(incident, pk)
    return _done(
        request,
        incident,
        lambda: response.statement_approve(statement=statement, actor=staff(request)),
        _("Statement approved: it may be published."),
    )


@login_required
@require_POST
def incident_statement_publish(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    incident = _visible_or_404(request, number)
    statement = _statement(incident, pk)
    return _done(
        request,
        incident,
        lambda: response.statement_publish(statement=statement, actor=staff(request)),
        _("Statement published."),
    )


@login_required
@require_POST
def incident_contain(request: HttpRequest, number: str) -> HttpResponse:
    incident = _visible_or_404(request, number)
    return _done(
        request,
        incident,
        lambda: response.incident_contain(incident=incident, actor=staff(request)),
        _("The situation is under control."),
    )


@login_required
@require_POST
def incident_close(request: HttpRequest, number: str) -> HttpResponse:
    incident = _visible_or_404(request, number)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _invalid(request, incident, "close", form)
    return _done(
        request,
        incident,
        lambda: response.incident_close(
            incident=incident, actor=staff(request), outcome=form.cleaned_data["outcome"]
        ),
        _("The incident is closed. File its review next."),
        key="close",
        form=form,
    )


@login_required
@require_POST
def incident_review(request: HttpRequest, number: str) -> HttpResponse:
    incident = _visible_or_404(request, number)
    form = ReviewForm(request.POST, source=incident.plan_revision.source)
    if not form.all_valid():
        return _invalid(request, incident, "review", form)
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    improvements: list[review.Improvement] = []
    accountability: list[review.Accountability] = []
    index: dict[str, dict[int, int]] = {"improvements": {}, "accountability": {}}
    missing = False
    for position, row in form.filled_rows(form.improvements):
        data = row.cleaned_data
        for name in ("title", "owner", "due_on"):
            if not data.get(name):
                row.add_error(name, _("This field is required."))
                missing = True
        if data.get("title") and data.get("owner") and data.get("due_on"):
            if data["owner"] not in users:
                row.add_error("owner", _("No such person."))
                missing = True
                continue
            index["improvements"][len(improvements)] = position
            improvements.append(
                review.Improvement(
                    title=data["title"], owner=users[data["owner"]], due_on=data["due_on"]
                )
            )
    for position, row in form.filled_rows(form.accountability):
        data = row.cleaned_data
        if data.get("person") not in users:
            row.add_error("person", _("This field is required."))
            missing = True
            continue
        index["accountability"][len(accountability)] = position
        accountability.append(
            review.Accountability(
                person=users[data["person"]],
                reason=data.get("reason") or "",
                amount=data.get("amount") or Decimal(0),
            )
        )
    if missing:
        return _invalid(request, incident, "review", form)
    try:
        review.review_file(
            incident=incident,
            actor=staff(request),
            causes=form.cleaned_data["causes"],
            lessons=form.cleaned_data["lessons"],
            improvements=improvements,
            accountability=accountability,
            revision_source=form.proposed_source(),
        )
    except FAILURES as exc:
        form.add_service_errors(exc.field_errors, index=index)
        messages.error(request, exc.detail)
        return _render_room(request, incident, failed={"review": form}, status=exc.status)
    messages.success(request, _("Review filed."))
    return _room_or_list(request, incident)


@login_required
@require_POST
def incident_improvement_done(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    incident = _visible_or_404(request, number)
    action = incident.improvements.filter(pk=pk).select_related("incident", "deadline").first()
    if action is None:
        raise Http404
    key = f"improvement-{action.pk}"
    form = NoteForm(request.POST, prefix=key)
    if not form.is_valid():
        return _invalid(request, incident, key, form)
    return _done(
        request,
        incident,
        lambda: review.improvement_done(
            action=action, actor=staff(request), note=form.cleaned_data["note"]
        ),
        _("Improvement action reported done."),
        key=key,
        form=form,
    )
