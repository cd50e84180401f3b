"""Actors besides staff: the complainant (plan role ``complainant`` in ``by:``) and the
system; the timeline says which."""

from __future__ import annotations

from pathlib import Path

import pytest

from tousu.audit.models import AuditEvent
from tousu.complaints.presenters import timeline_rows
from tousu.complaints.tests.factories import complaint_make
from tousu.complaints.workflow import complaint_act
from tousu.core.actors import WORKER, ComplainantActor
from tousu.core.problems import NotAllowed
from tousu.plans.engine import actions_available
from tousu.plans.services import organisation_plan_adopt, plan_load

pytestmark = pytest.mark.django_db
EXAMPLE = Path(__file__).parent / "example.yaml"


@pytest.fixture
def shop(org):
    source = EXAMPLE.read_text(encoding="utf-8").replace(
        "      - {key: accept, type: accept,",
        "      - {key: add_material, type: investigate, label: 补充材料, by: [complainant],"
        " requires: [evidence]}\n      - {key: accept, type: accept,",
        1,
    )
    plan_load(source=source.encode())
    organisation_plan_adopt(key="shop")
    return org


def test_the_complainant_acts_on_their_own_complaint_only(shop):
    mine = complaint_make(shop.clerk, category="food", channel="walk_in")
    other = complaint_make(shop.clerk, category="food", channel="walk_in")
    me = ComplainantActor(complainant_id=mine.complainant_id)
    assert [a.key for a in actions_available(complaint=mine, user=me)] == ["add_material"]
    assert actions_available(complaint=other, user=me) == []
    # Staff do not play the complainant.
    assert "add_material" not in [a.key for a in actions_available(complaint=mine, user=shop.clerk)]
    complaint_act(
        complaint=mine,
        actor=me,
        action="add_material",
        version=mine.version,
        data={"evidence": "购物小票照片"},
    )
    event = AuditEvent.objects.filter(complaint=mine).order_by("-seq").first()
    assert event.actor_id is None and event.data["by"] == "complainant"
    assert timeline_rows([event])[0]["actor"] == "投诉人"
    with pytest.raises(NotAllowed):
        complaint_act(
            complaint=other,
            actor=me,
            action="add_material",
            version=other.version,
            data={"evidence": "x"},
        )


def test_the_system_is_named_on_the_timeline(shop):
    from tousu.audit.services import audit_record

    complaint = complaint_make(shop.clerk, category="food", channel="walk_in")
    event = audit_record(
        actor=WORKER,
        action="complaint.follow_up_due",
        object_type="complaint",
        object_id=complaint.tracking_no,
        complaint=complaint,
        data={},
    )
    assert event.data["by"] == "worker"
    assert timeline_rows([event])[0]["actor"] == "系统（时限督办程序）"
