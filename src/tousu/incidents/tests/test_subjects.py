"""Deadlines, notifications, timeline events and penalty entries belong to a complaint
or an incident: the database holds them to exactly one (at most one where a row may
have no subject), so the emergency response needs no rewrite of these rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tousu.assessment.models import PenaltyEntry
from tousu.audit.services import audit_record, audit_verify
from tousu.complaints.tests.factories import complaint_make
from tousu.deadlines.models import Deadline
from tousu.incidents.models import Incident
from tousu.notifications.models import Notification
from tousu.plans.models import PlanRevision
from tousu.plans.services import organisation_plan_adopt, templates_install

pytestmark = pytest.mark.django_db


@pytest.fixture
def subjects(org):
    templates_install()
    organisation_plan_adopt(key="market")
    complaint = complaint_make(org.clerk)
    incident = Incident.objects.create(
        number="YJ-20261201-01", title="群体性投诉", plan_revision=PlanRevision.objects.first()
    )
    return complaint, incident


def _deadline(**subject):
    now = timezone.now()
    return Deadline(
        stage="response",
        kind="arrival",
        anchor_at=now,
        amount=1,
        unit="hours",
        due_at=now + timedelta(hours=1),
        **subject,
    )


def test_a_deadline_has_exactly_one_subject(subjects):
    complaint, incident = subjects
    _deadline(incident=incident).save()
    for bad in ({}, {"complaint": complaint, "incident": incident}):
        with pytest.raises(IntegrityError), transaction.atomic():
            _deadline(**bad).save()


def test_notifications_events_and_penalties_take_an_incident(subjects, org):
    complaint, incident = subjects
    Notification.objects.create(
        key="incident:1:emergency",
        channel="in_app",
        recipient=org.leader,
        subject="应急",
        body="启动应急响应",
        incident=incident,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            key="both",
            channel="in_app",
            recipient=org.leader,
            subject="x",
            body="x",
            incident=incident,
            complaint=complaint,
        )
    event = audit_record(
        actor=None,
        action="incident.opened",
        object_type="incident",
        object_id=incident.number,
        incident=incident,
        data={"level": "III"},
    )
    assert event.incident_id == incident.pk and audit_verify().ok
    PenaltyEntry.objects.create(
        key="penalty:x:i1",
        person=org.head,
        rule="late",
        rule_label="迟报",
        incident=incident,
        amount=100,
        period="2026-12",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PenaltyEntry.objects.create(
            key="penalty:none",
            person=org.head,
            rule="late",
            rule_label="迟报",
            amount=100,
            period="2026-12",
        )


def test_the_deadline_service_opens_and_closes_an_incident_deadline(subjects):
    from tousu.core.problems import InvalidInput
    from tousu.deadlines.services import deadline_close, deadline_open

    complaint, incident = subjects
    now = timezone.now()
    terms = {"stage": "response", "kind": "arrival", "anchor_at": now, "amount": 2, "unit": "hours"}
    row = deadline_open(incident=incident, **terms)
    assert (row.incident, row.complaint, row.due_at) == (incident, None, now + timedelta(hours=2))
    deadline_close(deadline=row, reason="arrived", at=now + timedelta(hours=1))
    # The timeline of the incident holds both, in a chain that verifies.
    actions = list(incident.events.order_by("seq").values_list("action", flat=True))
    assert actions == ["deadline.opened", "deadline.closed"]
    assert audit_verify().ok
    for bad in ({}, {"complaint": complaint, "incident": incident}):
        with pytest.raises(InvalidInput) as refused:
            deadline_open(**bad, **terms)
        assert "subject" in refused.value.field_errors
