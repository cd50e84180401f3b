"""Improvement actions (整改措施) as one list: added from a complaint, a drill's evaluation,
an incident's review or an analysis report; chased by the worker on an injected clock;
done or cancelled once; their effect counted as a person would count it by hand."""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from tousu.accounts.models import User
from tousu.audit.models import AuditEvent
from tousu.complaints.tests.factories import complaint_make
from tousu.core.problems import Conflict, InvalidInput, NotAllowed, NotFound
from tousu.incidents.choices import DrillStatus, ResponderPart
from tousu.incidents.improvements import (
    improvement_add,
    improvement_cancel,
    improvement_complete,
    improvement_effect,
    may_manage,
)
from tousu.incidents.models import (
    Drill,
    ImprovementAction,
    ImprovementStatus,
    Incident,
    Responder,
)
from tousu.incidents.tests.improvements_setup import (
    NOW,
    add,
    finished_drill,
    register_urgent,
    told,
    web,
)
from tousu.plans.models import Category
from tousu.plans.tests.scenario import at, clients, clock
from tousu.supervision.worker import run_once

pytestmark = pytest.mark.django_db


def test_bad_input_is_refused_field_by_field(org):
    with clock(NOW):
        with pytest.raises(InvalidInput) as refused:
            add(org, title="  ", owner="nobody", due_on=date(2026, 11, 1), category_key="x")
        assert set(refused.value.field_errors) == {"title", "owner", "due_on", "category_key"}
        with pytest.raises(InvalidInput) as refused:
            add(org, source_ref="")
        assert list(refused.value.field_errors) == ["source"]
        with pytest.raises(NotAllowed):
            add(org, actor=org.clerk)
        # A complaint the actor may not see (confidential: leadership only) is not there.
        complaint = complaint_make(org.clerk, confidential=True)
        with pytest.raises(NotFound):
            add(org, actor=org.supervisor, complaint=complaint, source_ref="")
    assert not ImprovementAction.objects.exists()


def test_done_once_cancelled_with_a_reason_and_every_change_audited(org):
    with clock(NOW):
        action = add(org, owner="head")  # a username is read as the person
        assert action.owner == org.head and action.status == ImprovementStatus.OPEN
        assert told(org.head, f"improvement:{action.pk}:added")
        with pytest.raises(NotAllowed):
            improvement_complete(action=action, actor=org.clerk, note="已完成")
        with pytest.raises(InvalidInput):
            improvement_complete(action=action, actor=org.head, note=" ")
        done = improvement_complete(action=action, actor=org.head, note="已建立进货查验台账")
        assert done.status == ImprovementStatus.DONE and done.done_by == org.head
        with pytest.raises(Conflict):
            improvement_complete(action=action, actor=org.head, note="再次报告")
        with pytest.raises(Conflict):
            improvement_cancel(action=action, actor=org.leader, reason="不需要了")
        other = add(org, title="价格公示整改", category_key="price")
        with pytest.raises(NotAllowed):
            improvement_cancel(action=other, actor=org.head, reason="不做了")
        with pytest.raises(InvalidInput) as refused:
            improvement_cancel(action=other, actor=org.leader, reason="")
        assert list(refused.value.field_errors) == ["reason"]
        cancelled = improvement_cancel(action=other, actor=org.leader, reason="已并入其他整改")
        assert cancelled.status == ImprovementStatus.CANCELLED
        with pytest.raises(Conflict):
            improvement_complete(action=other, actor=org.head, note="做了")
    actions = list(
        AuditEvent.objects.filter(object_type="improvement")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "improvement.added",
        "improvement.done",
        "improvement.added",
        "improvement.cancelled",
    ]


def test_the_effect_equals_a_hand_count(org):
    # Created 1 November, done 11 November: windows of 10 days either side.
    scope = {"category": "quality", "merchant": "鑫达电器行"}
    before = ["2026-10-22T09:00:00+08:00", "2026-10-25T09:00:00+08:00"]
    before += ["2026-10-31T23:00:00+08:00", "2026-10-28T09:00:00+08:00"]
    after = ["2026-11-12T09:00:00+08:00"]
    outside = ["2026-10-21T23:00:00+08:00", "2026-11-21T12:00:00+08:00"]
    with clock("2026-11-25T10:00:00+08:00"):
        for moment in before + after + outside:
            complaint_make(org.clerk, received_at=at(moment), **scope)
        # Between creation and completion: counted in neither window.
        complaint_make(org.clerk, received_at=at("2026-11-05T09:00:00+08:00"), **scope)
        # Another merchant, another category: not in scope.
        complaint_make(org.clerk, received_at=at("2026-10-30T09:00:00+08:00"), merchant="别家")
        complaint_make(org.clerk, received_at=at("2026-10-30T09:00:00+08:00"), category="price")
    with clock("2026-11-01T00:00:00+08:00"):
        action = add(org, merchant="鑫达电器行", due_on=date(2026, 11, 30))
    with clock("2026-11-11T00:00:00+08:00"):
        improvement_complete(action=action, actor=org.head, note="已整改")
    action.refresh_from_db()
    effect = improvement_effect(action, now=at("2026-11-21T00:00:00+08:00"))
    assert (effect["before"], effect["after"], effect["change_pct"]) == (4, 1, -75)
    with translation.override("en"):
        effect = improvement_effect(action, now=at("2026-11-21T00:00:00+08:00"))
    assert effect["text"] == "before 4 → after 1 (−75%)"
    # A reader sees only what their gate lets through: a quality handler sees the same
    # complaints (assigned to quality); another department's handler sees none.
    mine = improvement_effect(action, user=org.after_sales_handler, now=at(NOW) + timedelta(19))
    assert (mine["before"], mine["after"]) == (0, 0) and mine["change_pct"] is None
    # The page shows it, in Chinese by default.
    with clock("2026-11-21T00:00:00+08:00"):
        page = web(org.leader).get(f"/incidents/improvements/{action.pk}/").content.decode()
    assert "之前 4 → 之后 1（−75%）" in page or "before 4 → after 1 (−75%)" in page


def test_from_a_complaint_page_through_the_list(org):
    with clock(NOW):
        complaint = complaint_make(org.clerk, department="quality")  # the owner sees it
    leader = web(org.leader)
    form = leader.get(f"/incidents/improvements/new/?complaint={complaint.tracking_no}")
    assert form.status_code == 200
    text = form.content.decode()
    assert complaint.tracking_no in text and 'value="鑫达电器行"' in text
    bad = leader.post(
        "/incidents/improvements/new/",
        {"complaint": complaint.tracking_no, "title": "", "owner": "", "due_on": "2020-01-01"},
    )
    assert bad.status_code == 422
    errors = bad.content.decode()
    assert 'data-field="title"' in errors and 'data-field="owner"' in errors
    assert 'data-field="due_on"' in errors
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    made = leader.post(
        "/incidents/improvements/new/",
        {
            "complaint": complaint.tracking_no,
            "title": "电热水壶供应商质量约谈",
            "owner": "head",
            "due_on": due,
            "category_key": "quality",
            "merchant": "鑫达电器行",
        },
    )
    assert made.status_code == 302
    action = ImprovementAction.objects.get()
    assert action.complaint == complaint and action.source == "complaint"
    assert action.created_by == org.leader
    # The owner sees it in their list; a clerk neither adds nor sees one.
    owner_list = web(org.head).get("/incidents/improvements/?source=complaint").content.decode()
    assert "电热水壶供应商质量约谈" in owner_list and "recorder" not in owner_list
    clerk = web(org.clerk)
    assert "电热水壶供应商质量约谈" not in clerk.get("/incidents/improvements/").content.decode()
    assert clerk.get(f"/incidents/improvements/{action.pk}/").status_code == 404
    assert clerk.get("/incidents/improvements/new/").status_code == 403
    # A bad filter is said beside it.
    refused = leader.get("/incidents/improvements/?owner=nobody&status=odd")
    assert refused.status_code == 422
    assert 'data-field="owner"' in refused.content.decode()
    # The owner reports it done on its page; twice is refused with a message.
    head = web(org.head)
    done = head.post(f"/incidents/improvements/{action.pk}/done/", {"done-note": "已约谈"})
    assert done.status_code == 302
    again = head.post(f"/incidents/improvements/{action.pk}/done/", {"done-note": "再次"})
    assert again.status_code in (403, 409)
    action.refresh_from_db()
    assert action.note == "已约谈"


def test_adopted_from_a_finished_drill(org):
    drill = finished_drill()
    leader = web(org.leader)
    page = leader.get(f"/incidents/improvements/new/?drill={drill.pk}").content.decode()
    title = "“现场处置”：明确责任人及其替补，提前预警并在临近时限时督办"
    assert title in page
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    adopted = leader.post(
        "/incidents/improvements/new/",
        {"drill": drill.pk, "title": title, "owner": "supervisor", "due_on": due},
    )
    assert adopted.status_code == 302
    action = ImprovementAction.objects.get()
    assert action.drill == drill and action.source == "drill" and action.owner == org.supervisor
    again = leader.get(f"/incidents/improvements/new/?drill={drill.pk}").content.decode()
    assert 'class="badge text-bg-success"' in again  # 已采纳, and no second adopt button
    Drill.objects.filter(pk=drill.pk).update(status=DrillStatus.RUNNING)
    drill.refresh_from_db()
    with pytest.raises(Conflict):
        add(org, drill=drill, source_ref="")


def test_the_effect_counts_the_whole_category_subtree_and_the_merchant_as_registered(org):
    # A three-level tree (as petition.yaml has): 商品质量 › 小家电 › 电热水壶.
    quality = Category.objects.get(key="quality")
    appliances = Category.objects.create(key="appliances", name="小家电", parent=quality)
    Category.objects.create(key="kettles", name="电热水壶", parent=appliances)
    shop = "鑫达  电器行"  # two spaces, as the clerk typed it (intake only strips)
    with clock("2026-11-25T10:00:00+08:00"):
        for category in ("quality", "appliances", "kettles"):
            complaint_make(
                org.clerk,
                category=category,
                merchant=f" {shop} ",
                received_at=at("2026-10-28T09:00:00+08:00"),
            )
        complaint_make(org.clerk, category="kettles", merchant=shop, received_at=at(NOW))
        # Not in scope: another branch of the tree, and the merchant spelt otherwise.
        complaint_make(
            org.clerk, category="price", merchant=shop, received_at=at("2026-10-28T09:00:00+08:00")
        )
        complaint_make(
            org.clerk,
            category="kettles",
            merchant="鑫达 电器行",
            received_at=at("2026-10-28T09:00:00+08:00"),
        )
    with clock("2026-11-01T00:00:00+08:00"):
        action = add(org, merchant=f"  {shop} ", due_on=date(2026, 11, 30))
        narrower = add(org, title="小家电专项", category_key="appliances", merchant="")
    assert action.merchant == shop  # stripped, inner spaces kept
    with clock("2026-11-02T00:00:00+08:00"):
        improvement_complete(action=action, actor=org.head, note="已整改")
        improvement_complete(action=narrower, actor=org.head, note="已整改")
    later = at("2026-11-12T00:00:00+08:00")
    # The quality action: its whole tree at the merchant (3, not the price one nor the
    # other spelling); the narrower one: 小家电 and 电热水壶 at any merchant (3, with the
    # other spelling, without the parent's).
    for one, before in ((action, 3), (narrower, 3)):
        one.refresh_from_db()
        effect = improvement_effect(one, now=later)
        assert (effect["before"], effect["after"]) == (before, 1), one.title


def test_an_odd_drill_id_is_not_found_not_a_crash(org):
    leader = web(org.leader)
    for odd in ("²", "١", "12a", "-1", "9999999999", "0"):
        response = leader.get("/incidents/improvements/new/", {"drill": odd})
        assert response.status_code == 404, odd


def test_a_complaints_action_names_the_complaint_only_to_who_may_see_it(org):
    with clock(NOW):
        secret = complaint_make(org.clerk, confidential=True)  # leadership only
        # The owner would read its number, category and merchant: refused beside the owner.
        with pytest.raises(InvalidInput) as refused:
            add(org, complaint=secret, source_ref="", owner=org.head)
        assert list(refused.value.field_errors) == ["owner"]
        page = web(org.leader).post(
            "/incidents/improvements/new/",
            {
                "complaint": secret.tracking_no,
                "title": "保密投诉整改",
                "owner": "head",
                "due_on": "2026-11-20",
            },
        )
        assert page.status_code == 422
        assert 'data-field="owner"' in page.content.decode()
        assert not ImprovementAction.objects.exists()
        action = add(
            org,
            title="保密投诉整改",
            complaint=secret,
            source_ref="",
            owner=org.leader,
            merchant="鑫达电器行",
        )
    assert secret.tracking_no in told(org.leader, f"improvement:{action.pk}:added")[0]
    # A supervisor sees every action but not the complaint: no number, no scope.
    supervisor = web(org.supervisor)
    with clock(NOW):
        listed = supervisor.get("/incidents/improvements/").content.decode()
        detail = supervisor.get(f"/incidents/improvements/{action.pk}/").content.decode()
        own = web(org.leader).get(f"/incidents/improvements/{action.pk}/").content.decode()
    assert action.title in listed and action.title in detail
    for text in (listed, detail):
        assert secret.tracking_no not in text
        assert "投诉（无权查看）" in text or "Complaint (not visible to you)" in text
    scope = detail.split('id="improvement-scope"')[1].split("</dd>")[0]
    assert "鑫达电器行" not in scope and "商品质量" not in scope
    assert "鑫达电器行" not in detail
    assert secret.tracking_no in own and "鑫达电器行" in own
    # A notice goes to the supervisor too once overdue (whoever added it): without the
    # number, since one of its readers may not see it.
    ImprovementAction.objects.filter(pk=action.pk).update(created_by=org.supervisor)
    run_once(now=at("2026-11-21T00:00:01+08:00"))
    for person in (org.leader, org.supervisor):
        (body,) = told(person, f"improvement:{action.pk}:overdue")
        assert secret.tracking_no not in body and action.title in body


def test_an_incidents_commander_sees_the_page_of_what_they_may_complete():
    users = clients("enterprise")
    with clock("2026-03-02T09:00:00+08:00"):
        register_urgent(users["clerk"])
    incident = Incident.objects.get()
    leader, head = (User.objects.get(username=name) for name in ("leader", "head"))
    # A commander who is not of the leadership (who sees every action anyway).
    commander = User.objects.exclude(pk__in=[leader.pk, head.pk]).filter(is_active=True)[0]
    member = User.objects.exclude(pk__in=[leader.pk, head.pk, commander.pk]).filter(is_active=True)[
        0
    ]
    incident.responders.all().delete()
    Responder.objects.create(
        incident=incident, user=commander, group="command", part=ResponderPart.DEPUTY
    )
    Responder.objects.create(
        incident=incident, user=member, group="site", part=ResponderPart.MEMBER
    )
    assert not may_manage(commander) and not may_manage(member)
    with clock("2026-03-02T12:00:00+08:00"):
        action = improvement_add(
            title="排查同批次温控器", owner=head, due_on=date(2026, 3, 6), actor=leader,
            incident=incident,
        )  # fmt: skip
        other = improvement_add(
            title="价格公示整改", owner=head, due_on=date(2026, 3, 6), actor=leader,
            source_ref="客诉分析报告 2026-02",
        )  # fmt: skip
        page = web(commander).get(f"/incidents/improvements/{action.pk}/")
        assert page.status_code == 200
        text = page.content.decode()
        assert 'id="improvement-done"' in text and 'id="improvement-cancel"' in text
        listed = web(commander).get("/incidents/improvements/").content.decode()
        assert action.title in listed and other.title not in listed
        # A member of the response commands nothing; another action is not theirs.
        assert web(member).get(f"/incidents/improvements/{action.pk}/").status_code == 404
        assert web(commander).get(f"/incidents/improvements/{other.pk}/").status_code == 404
        cancelled = web(commander).post(
            f"/incidents/improvements/{action.pk}/cancel/", {"cancel-reason": "并入复盘整改"}
        )
    assert cancelled.status_code == 302
    action.refresh_from_db()
    assert action.status == ImprovementStatus.CANCELLED
