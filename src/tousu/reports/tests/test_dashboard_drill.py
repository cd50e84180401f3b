"""Drill data never counts: a real drill run leaves every dashboard figure unchanged."""

from __future__ import annotations

import shutil

import pytest
from django.db import connection
from django.test import Client

from tousu.complaints.checks import ComplainantData
from tousu.complaints.models import Complaint
from tousu.complaints.services import complaint_register
from tousu.demo.loader import demo_organisation_create
from tousu.incidents.choices import DrillStatus
from tousu.incidents.drills import services
from tousu.incidents.models import Drill, Incident
from tousu.incidents.tests.test_drills import SMALL

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_a_drill_leaves_every_figure_unchanged():
    if connection.vendor == "postgresql":
        pytest.skip("a drill's own database is SQLite either way: the SQLite leg runs it")
    people = demo_organisation_create("assurance")
    for phone in ("13800138000", "13800138000", "13900139000"):
        complaint_register(
            actor=people["clerk"],
            complainant=ComplainantData(name="张伟", phone=phone),
            channel="phone",
            title="客服回复敷衍",
            description="客户反映咨询问题时客服回复敷衍。",
            category="service_attitude",
            merchant="某某专卖店",
        )
    client = Client()
    client.force_login(people["leader"])
    complaints, incidents = Complaint.objects.count(), Incident.objects.count()
    before = {
        period: client.get("/api/v1/stats/", {"period": period}).json()
        for period in ("year", "2026-04")
    }
    assert before["year"]["received"]["count"] == 3 and before["year"]["repeat"]["count"] == 2

    drill = services.drill_start(
        plan_key="assurance", source=SMALL, scenario_name="small.yaml", actor=people["leader"]
    )
    try:
        drill = services.drill_conduct(drill=drill)
    finally:
        shutil.rmtree(services.drill_directory(drill), ignore_errors=True)
    drill = Drill.objects.get(pk=drill.pk)
    assert drill.status == DrillStatus.FINISHED, drill.error
    assert drill.figures["complaints"]["count"] == 5  # the drill did register complaints

    after = {
        period: client.get("/api/v1/stats/", {"period": period}).json()
        for period in ("year", "2026-04")
    }
    assert after == before
    assert (Complaint.objects.count(), Incident.objects.count()) == (complaints, incidents)
