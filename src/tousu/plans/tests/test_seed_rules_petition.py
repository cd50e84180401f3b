"""信访工作条例 rules of the petition plan, run with the worker on an injected clock: the
written acceptance notice within 15 days (第23条), the +30-day extension of the 60-day
handling period (第34条), hearing time left out of the 复核 period (第36条), and 终结 — a
matter concluded by 复核 is not accepted again.

Demo people (petition.demo.yaml): clerk = 接待员, recorder = 办公室, head/handler = 县人社局,
reviewer = 上一级机关, supervisor = 督查督办.
"""

import pytest

from tousu.accounts.models import User
from tousu.deadlines.models import Deadline
from tousu.notifications.models import Notification
from tousu.plans.tests.scenario import (
    act,
    api,
    at,
    clients,
    keys,
    open_kinds,
    registrar,
    row,
    step,
    worker,
)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(utc=False)]

register = registrar(
    {
        "channel": "walk_in",
        "title": "公司拖欠八名工人工资",
        "description": "来访反映某建筑公司拖欠八名工人三个月工资。",
        "severity": "ordinary",
        "category": "claim",
        "department": "office",
        "complainant": {"name": "张卫东", "phone": "13912345678", "email": "zwd@example.cn"},
    }
)


@pytest.fixture
def p(db):
    return clients("petition")


def told(no: str, kind: str, moment: str) -> set[str]:
    """Who got the in-app message of a deadline's warning or breach."""
    rows = Notification.objects.filter(
        complaint__tracking_no=no,
        channel="in_app",
        key__startswith=f"deadline:{row(no, kind).pk}:{moment}:",
    )
    return set(rows.values_list("recipient__username", flat=True))


def to_petitioner(no: str, event: str) -> list[str]:
    rows = Notification.objects.filter(
        complaint__tracking_no=no, recipient__isnull=True, key__contains=f":{event}:complainant:"
    )
    return [r.body for r in rows if r.channel == "email"]


def to_handling(p, no) -> None:
    step(p["clerk"], no, "accept", "routing")
    step(p["recorder"], no, "forward", "unit_acceptance", department="hrss", slip="转送人社局")
    step(p["head"], no, "sign_for", "handling", assignee="handler")


def test_no_written_notice_in_15_days_is_a_breach_told_to_the_supervisor(p, clock):
    clock("2026-09-28T09:00:00+08:00")
    no = register(p["clerk"], received_at="2026-09-28T09:00:00+08:00")
    # 第23条: within 15 days of receipt. Day 15 after Mon Sep 28 is Tue Oct 13 (a working
    # day after National Day), ending at midnight.
    assert row(no, "acceptance_notice").due_at == at("2026-10-13T23:59:59+08:00")
    assert to_petitioner(no, "received")  # 登记: told that the notice will follow
    worker("2026-10-13T23:59:59+08:00")
    assert told(no, "acceptance_notice", "breach") == set()
    worker("2026-10-14T00:00:01+08:00")
    assert told(no, "acceptance_notice", "breach") == {"supervisor", "clerk"}
    body = (
        Notification.objects.filter(
            key__startswith=f"deadline:{row(no, 'acceptance_notice').pk}:breach:",
            recipient__username="supervisor",
            channel="in_app",
        )
        .get()
        .body
    )
    assert "告知受理时限" in body and "接待登记" in body


def test_acceptance_sends_the_written_notice_and_stops_the_clock(p, clock):
    clock("2026-09-28T09:00:00+08:00")
    no = register(p["clerk"], received_at="2026-09-28T09:00:00+08:00")
    clock("2026-10-09T10:00:00+08:00")
    step(p["clerk"], no, "accept", "routing")
    notice = row(no, "acceptance_notice")
    assert (notice.closed_reason, notice.closed_at) == ("accept", at("2026-10-09T10:00:00+08:00"))
    [body] = to_petitioner(no, "accepted")
    assert body.startswith("信访事项受理告知：") and no in body and "60日内办结" in body
    worker("2026-10-14T00:00:01+08:00")
    assert told(no, "acceptance_notice", "breach") == set()


def test_a_refusal_tells_the_petitioner_why(p, clock):
    clock("2026-09-28T09:00:00+08:00")
    no = register(p["clerk"])
    step(p["clerk"], no, "refuse", "closed", reason="该事项已经人民法院判决，属诉讼途径")
    [body] = to_petitioner(no, "refused")
    assert body.startswith("不予受理告知：") and "该事项已经人民法院判决" in body


def test_the_head_extends_the_60_days_by_30_once_and_the_petitioner_is_told(p, clock):
    clock("2026-09-01T09:00:00+08:00")
    no = register(p["clerk"], received_at="2026-09-01T09:00:00+08:00")
    to_handling(p, no)
    # 60 days from acceptance on Tue Sep 1 end on Sat Oct 31; a period that ends on a rest
    # day ends on the next working day (民法典 第203条): Mon Nov 2, to midnight.
    assert row(no, "handling_total").due_at == at("2026-11-02T23:59:59+08:00")
    assert "extend_handling" not in keys(p["handler"], no)  # the head of the unit approves
    assert act(p["handler"], no, "extend_handling", reason="x").status_code == 403
    missing = act(p["head"], no, "extend_handling")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "reason"
    clock("2026-10-20T15:00:00+08:00")
    step(p["head"], no, "extend_handling", "handling", reason="需调取劳动监察材料")
    # 90 days from acceptance (the 30 are added to the period, not to the moved end): Mon
    # Nov 30, to midnight.
    extended = row(no, "handling_total")
    assert extended.due_at == at("2026-11-30T23:59:59+08:00")
    [body] = to_petitioner(no, "extended")
    assert "2026-11-30 23:59" in body and "需调取劳动监察材料" in body
    again = act(p["head"], no, "extend_handling", reason="再延")
    assert again.status_code == 409 and "已经延长" in again.json()["detail"]
    # The old due time passes with nothing late; the new one breaches.
    worker("2026-11-03T00:00:01+08:00")
    assert told(no, "handling_total", "breach") == set()
    worker("2026-12-01T00:00:01+08:00")
    assert told(no, "handling_total", "breach") >= {"supervisor", "leader", "head"}


def test_hearing_time_is_not_counted_in_the_re_review_period(p, clock):
    clock("2026-09-01T09:00:00+08:00")
    no = register(p["clerk"])
    to_handling(p, no)
    step(p["handler"], no, "propose_opinion", "approval", opinion="支持：责令限期支付")
    step(p["head"], no, "approve", "answer")
    step(p["handler"], no, "issue_opinion", "evaluation", reply="已责令公司十日内支付。")
    step(p["clerk"], no, "request_review", "review", reason="不服")
    step(p["reviewer"], no, "review_reply", "re_review_window", reply="维持")
    clock("2026-09-10T09:00:00+08:00")
    step(p["reviewer"], no, "request_re_review", "re_review", reason="仍不服")
    # 30 days from Thu Sep 10: Sat Oct 10 (a make-up working day), to midnight.
    assert row(no, "re_review_decision").due_at == at("2026-10-10T23:59:59+08:00")
    clock("2026-09-15T09:00:00+08:00")
    step(p["reviewer"], no, "hearing", "re_review", reason="信访人申请听证")
    worker("2026-10-11T00:00:01+08:00")  # paused: never late while the hearing runs
    assert told(no, "re_review_decision", "breach") == set()
    clock("2026-10-20T09:00:00+08:00")
    step(p["reviewer"], no, "hearing_held", "re_review", note="听证会已举行")
    # The 35 days of the hearing are added: Sat Nov 14, a rest day, so Mon Nov 16.
    assert row(no, "re_review_decision").due_at == at("2026-11-16T23:59:59+08:00")
    worker("2026-11-16T23:59:00+08:00")
    assert told(no, "re_review_decision", "breach") == set()
    worker("2026-11-17T00:00:01+08:00")
    assert told(no, "re_review_decision", "breach") == {"supervisor", "reviewer"}


def test_a_concluded_matter_is_not_accepted_again(p, clock):
    clock("2026-09-01T09:00:00+08:00")
    no = register(p["clerk"])
    to_handling(p, no)
    step(p["handler"], no, "propose_opinion", "approval", opinion="不予支持")
    step(p["head"], no, "approve", "answer")
    step(p["handler"], no, "issue_opinion", "evaluation", reply="不予支持。")
    step(p["clerk"], no, "request_review", "review", reason="不服")
    step(p["reviewer"], no, "review_reply", "re_review_window", reply="维持")
    step(p["reviewer"], no, "request_re_review", "re_review", reason="仍不服")
    step(p["reviewer"], no, "re_review_reply", "closed", reply="复核维持，信访事项终结")
    # The same petitioner about the same matter a year and a half later.
    clock("2028-03-01T09:00:00+08:00")
    clerk = api(User.objects.get(username="clerk"))  # a token of that day
    again = register(clerk)
    refused = act(clerk, again, "accept")
    assert refused.status_code == 409
    assert no in refused.json()["detail"] and "不再受理" in refused.json()["detail"]
    assert open_kinds(again) == {"acceptance_notice"}  # nothing was half-written
    step(clerk, again, "refuse", "closed", reason=f"已于{no}复核终结，不再受理")
    [body] = to_petitioner(again, "refused")
    assert no in body
    # Another matter of the same person is accepted as usual.
    other = register(clerk, category="suggestion")
    step(clerk, other, "accept", "routing")
    assert not Deadline.objects.filter(complaint__tracking_no=other, breached_at__isnull=False)
