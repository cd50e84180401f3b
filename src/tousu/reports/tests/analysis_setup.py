"""The analysis report tests' October 2026: the assurance demo with seven complaints in
the month (one walked to its rating and closed, then repeated; one urgent that opened an
incident), one either side, a worker pass, an appeal and four improvement actions."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from tousu.complaints.models import Complaint
from tousu.plans.tests.scenario import api, clock, registrar, step, worker
from tousu.reports.periods import month

OCTOBER = month(2026, 10)
register = registrar(
    {
        "channel": "phone",
        "title": "智能门锁指纹识别经常失灵",
        "description": "指纹识别成功率明显下降，老人多次被锁在门外，软件升级后仍未改善。",
        "category": "product_function",
        "product": "安居S3智能门锁",
        "merchant": "华宸官方旗舰店",
        "complainant": {"name": "周女士", "phone": "13607100000"},
    }
)


def in_october(count_field: str = "received_at"):
    start, end = OCTOBER.bounds()
    return {f"{count_field}__gte": start, f"{count_field}__lt": end}


def october_build():
    from tousu.demo.loader import demo_organisation_create

    users = demo_organisation_create("assurance")
    clerk, head, handler = api(users["clerk"]), api(users["head"]), api(users["handler"])
    with clock("2026-09-20T10:00:00+08:00"):
        register(clerk, received_at="2026-09-20T10:00:00+08:00", title="九月的投诉")
    with clock("2026-10-08T09:00:00+08:00"):
        walked = register(clerk, received_at="2026-10-08T09:00:00+08:00")
        step(head, walked, "assign", "intake", assignee="handler")
        step(handler, walked, "first_response", "confirmation", reply="您好，已收到。")
        step(handler, walked, "confirm", "confirmation", findings="指纹模组老化")
        step(handler, walked, "initial_plan", "handling", opinion="上门更换指纹模组")
        step(handler, walked, "execute", "handling", measure="replace", result="已更换")
        step(handler, walked, "result_reply", "feedback", reply="已更换指纹模组。")
        step(clerk, walked, "satisfaction", "analysis", satisfaction="satisfied")
        step(head, walked, "improvement", "closed", measure="rectify", result="改进供应商")
    with clock("2026-10-12T12:00:00+08:00"):
        register(clerk, received_at="2026-10-12T11:00:00+08:00")  # the repeat
        register(
            clerk,
            received_at="2026-10-12T11:30:00+08:00",
            category="product_quality",
            channel="email",
            product="净洁D8嵌入式洗碗机",
            merchant="",
            occurred_place="杭州市西湖区",
            complainant={"name": "李先生", "phone": "13900001111"},
        )
        register(
            clerk,
            received_at="2026-10-12T12:00:00+08:00",
            category="service_attitude",
            channel="chat",
            department="installation",
            product="",
            merchant="",
            complainant={"name": "王女士", "phone": "13700002222"},
        )
    with clock("2026-10-20T17:00:00+08:00"):
        register(
            clerk,
            received_at="2026-10-20T15:00:00+08:00",
            category="product_quality",
            severity="urgent",
            title="扫地机器人充电时电池鼓包发烫",
            product="智扫X7扫地机器人",
            complainant={"name": "赵先生", "phone": "13500003333"},
        )
        for hour in (16, 17):
            register(
                clerk,
                received_at=f"2026-10-20T{hour}:00:00+08:00",
                channel="web",
                complainant={"name": "钱女士", "phone": f"1360000{hour}00"},
            )
    with clock("2026-11-03T10:00:00+08:00"):
        register(clerk, received_at="2026-11-03T10:00:00+08:00", title="十一月的投诉")
    worker("2026-10-31T12:00:00+08:00")
    _appeal_and_improvements(users, walked)
    return users


def _appeal_and_improvements(users, walked: str) -> None:
    """An appeal on the closed complaint (the assurance plan has no appeal action: the
    event a plan's appeal action writes, recorded as the engine does) and four
    improvement actions: one on a 客服部 complaint (done), one on the installation
    centre's, one from a report, one outside October."""
    from tousu.audit.services import audit_record
    from tousu.complaints.choices import EventAction
    from tousu.incidents.improvements import improvement_add, improvement_complete

    closed = Complaint.objects.get(tracking_no=walked)
    installation = Complaint.objects.get(department__code="installation")
    leader = users["leader"]
    with clock("2026-10-14T10:00:00+08:00"), transaction.atomic():
        audit_record(
            actor=users["clerk"],
            action=EventAction.ACTION,
            object_type="complaint",
            object_id=closed.tracking_no,
            complaint=closed,
            data={"action": "appeal", "type": "appeal", "label": "申诉"},
        )
        done = improvement_add(
            title="更换指纹模组供应商",
            owner=users["handler"],
            due_on=date(2026, 10, 25),
            actor=leader,
            complaint=closed,
            category_key="product_function",
        )
        improvement_add(
            title="安装人员服务规范培训",
            owner=users["head"],
            due_on=date(2026, 10, 28),
            actor=leader,
            complaint=installation,
        )
        improvement_add(
            title="十月分析报告的整改",
            owner=leader,
            due_on=date(2026, 10, 30),
            actor=leader,
            source_ref="客诉分析报告-2026-09",
        )
    with clock("2026-10-18T10:00:00+08:00"):
        improvement_complete(action=done, actor=users["handler"], note="已更换供应商")
    with clock("2026-11-20T10:00:00+08:00"):
        improvement_add(
            title="十二月的整改",
            owner=leader,
            due_on=date(2026, 12, 20),
            actor=leader,
            source_ref="客诉分析报告-2026-11",
        )
