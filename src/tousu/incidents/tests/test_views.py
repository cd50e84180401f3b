"""The emergency pages as their users see them: the war room of an urgent complaint of the
enterprise demo (惠达家电), the statement's second approver, the level form, the gate,
the event report, a complaint's emergency box, closure and review."""

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from tousu.accounts.choices import Role
from tousu.accounts.models import User
from tousu.accounts.services import user_create
from tousu.complaints.models import Complaint
from tousu.incidents.choices import IncidentStatus, StatementStatus
from tousu.incidents.models import ImprovementAction, Incident, Statement
from tousu.plans.tests.scenario import clients, clock, registrar

pytestmark = pytest.mark.django_db

register = registrar(
    {
        "channel": "phone",
        "title": "电热水器漏电家人被电麻",
        "description": "洗澡时被电热水器出水电麻，已立即断电，要求派人排查安全隐患。",
        "category": "product",
        "severity": "urgent",
        "complainant": {"name": "李娜", "phone": "13912345678"},
    }
)


def zh(message: str) -> str:
    """``message`` as the Chinese page shows it (the catalog's translation, once there)."""
    with translation.override("zh-hans"):
        return gettext(message)


def page(user: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=user))
    return client


def text(response, part: str = "") -> str:
    """What the page says (in the element with id ``part``, if given): its text without
    tags, spaces collapsed."""
    page = response.content.decode()
    if part:
        start = page.index(f'id="{part}"')
        page = page[start : page.index("</section>", start)]
    page = re.sub(r"<script.*?</script>|<style.*?</style>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def errors_of(response, field: str) -> list[str]:
    """The messages shown beside ``field`` (the form's own error lines)."""
    html = response.content.decode()
    return re.findall(rf'data-field="{field}">([^<]*)<', html)


@pytest.fixture
def people():
    """The company's users as API clients, and a 副总经理 (deputy commander): the command
    group's lead is the leadership, the first found commands, the next is a deputy."""
    users = clients("enterprise")
    user_create(
        username="leader2",
        password="x-unused-x",
        full_name="贺文涛",
        roles=[Role.LEADERSHIP],
        department=User.objects.get(username="leader").department,
    )
    return users


@pytest.fixture
def incident(people) -> Incident:
    """An urgent complaint registered on the phone: the plan's urgent trigger activates
    the response at level III (较大)."""
    with clock("2026-03-02T09:00:00+08:00"):
        register(people["clerk"])
    return Incident.objects.get()


def url(incident: Incident, tail: str = "") -> str:
    return f"/incidents/{incident.number}/{tail}"


def test_the_war_room_shows_the_tasks_of_each_working_group(incident):
    response = page("leader").get(url(incident))
    assert response.status_code == 200
    shown = text(response)
    plan = incident.plan
    # The level as a coloured banner, in the plan's words (no key like "III" alone).
    assert 'class="incident-banner level-yellow' in response.content.decode()
    assert "III 较大" in shown and zh("Activated") in shown
    assert "紧急投诉" in shown  # the trigger's label
    tasks = list(incident.tasks.select_related("owner").order_by("pk"))
    # The enterprise template's tasks at level III: every one under its group's heading.
    assert tasks, "the enterprise plan gives tasks at level III"
    groups = {t.group for t in tasks}
    assert groups == {"command_group", "handling_group", "office"}
    section = text(response, "tasks")
    headings = {key: section.index(plan.groups[key].label) for key in groups}
    order = sorted(headings, key=headings.get)
    for task in tasks:
        at = section.index(task.label)
        mine = order.index(task.group)
        assert headings[task.group] < at
        if mine + 1 < len(order):
            assert at < headings[order[mine + 1]]
        assert task.owner.display_name in section
    assert "command_group" not in shown and "handling_group" not in shown
    # The command structure, commander first, with the plan's group labels.
    structure = text(response, "structure")
    assert structure.index("应急指挥小组") < structure.index("彭建军") < structure.index("贺文涛")
    assert zh("Deputy commander") in structure
    # The linked complaint, which the commander may see.
    assert Complaint.objects.get().tracking_no in shown


def test_a_task_is_marked_done_from_its_group(incident):
    task = incident.tasks.get(key="record")  # 投诉处理办公室's task
    outsider = page("quality_head")  # in the command group as a member, not the office
    refused = outsider.post(url(incident, f"tasks/{task.pk}/done/"))
    assert refused.status_code == 403
    assert zh("Only the task's group or the commander marks it done.") in text(refused)
    done = page("supervisor").post(url(incident, f"tasks/{task.pk}/done/"), follow=True)
    assert done.status_code == 200
    task.refresh_from_db()
    assert task.done_by.username == "supervisor"
    assert zh("Task done") in text(done)  # on the incident's timeline


def test_the_live_fragment_swaps_the_volatile_parts_and_leaves_the_forms(incident):
    response = page("leader").get(url(incident, "live/"))
    html = response.content.decode()
    assert response.status_code == 200
    for part in ("banner", "tasks", "situations", "statements", "upward"):
        assert re.search(rf'id="{part}"[^>]*hx-swap-oob="true"', html), part
    assert 'name="situation-text"' not in html and 'name="statement-text"' not in html
    room = page("leader").get(url(incident)).content.decode()
    assert 'hx-trigger="every 15s"' in room and 'hx-swap="none"' in room


def test_a_statement_is_published_only_after_a_second_person_approves_it(incident):
    leader, deputy = page("leader"), page("leader2")
    drafted = leader.post(
        url(incident, "statements/"),
        {"statement-text": "我司已派员上门排查，用户家中无人员受伤。"},
        follow=True,
    )
    assert drafted.status_code == 200
    statement = Statement.objects.get()
    assert statement.status == StatementStatus.DRAFT
    # Published before anyone approved it: refused, said in the page.
    early = leader.post(url(incident, f"statements/{statement.pk}/publish/"))
    assert early.status_code == 409
    assert zh("A statement is published only after a second person approves it.") in text(early)
    # Its author (the commander) cannot approve it; no approve button is offered to him.
    own = leader.post(url(incident, f"statements/{statement.pk}/approve/"))
    assert own.status_code == 403
    assert zh("A statement is approved by someone other than its author.") in text(own)
    assert f"statements/{statement.pk}/approve/" not in leader.get(url(incident)).content.decode()
    # The deputy approves what the commander wrote; then it may be published.
    offered = deputy.get(url(incident)).content.decode()
    assert f"statements/{statement.pk}/approve/" in offered
    assert deputy.post(url(incident, f"statements/{statement.pk}/approve/")).status_code == 302
    published = leader.post(url(incident, f"statements/{statement.pk}/publish/"), follow=True)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.PUBLISHED
    assert statement.approved_by.username == "leader2"
    shown = text(published)
    assert "我司已派员上门排查" in shown and "贺文涛" in shown and zh("Published") in shown


def test_lowering_the_level_without_a_reason_says_so_beside_the_reason(incident):
    leader = page("leader")
    raised = leader.post(
        url(incident, "level/"),
        {"level-level": "II", "level-version": incident.version, "level-reason": ""},
        follow=True,
    )
    assert raised.status_code == 200 and "II 重大" in text(raised)
    incident.refresh_from_db()
    lowered = leader.post(
        url(incident, "level/"),
        {"level-level": "IV", "level-version": incident.version, "level-reason": "  "},
    )
    assert lowered.status_code == 422
    assert errors_of(lowered, "reason") == [zh("Say why the level is lowered.")]
    incident.refresh_from_db()
    assert incident.level == "II"
    # An unknown level is named beside the level field.
    unknown = leader.post(
        url(incident, "level/"), {"level-level": "V", "level-version": incident.version}
    )
    assert unknown.status_code == 422 and errors_of(unknown, "level")
    # A stale form is refused, not applied over someone else's change.
    stale = leader.post(
        url(incident, "level/"),
        {"level-level": "I", "level-version": incident.version - 1, "level-reason": ""},
    )
    assert stale.status_code == 409
    assert zh("Someone changed this incident after you opened it. Reload it.") in text(stale)


def test_someone_outside_the_structure_gets_404(incident):
    for name in ("mediator", "recorder"):
        response = page(name).get(url(incident))
        assert response.status_code == 404
        assert incident.title not in response.content.decode()
        assert page(name).get(url(incident, "live/")).status_code == 404
        assert incident.number not in page(name).get("/incidents/").content.decode()


def test_linked_complaints_a_responder_may_not_see_are_counted_not_listed(incident):
    complaint = Complaint.objects.get()
    handler = User.objects.get(username="logistics_handler")  # 投诉处理小组, 物流配送部
    assert incident.responders.filter(user=handler).exists()
    assert not Complaint.objects.visible_to(handler).filter(pk=complaint.pk).exists()
    shown = text(page("logistics_handler").get(url(incident)))
    assert complaint.tracking_no not in shown
    with translation.override("zh-hans"):
        hidden = translation.ngettext(
            "%(counter)s more linked complaint you may not see.",
            "%(counter)s more linked complaints you may not see.",
            1,
        ) % {"counter": 1}
    assert hidden in shown
    assert complaint.tracking_no in text(page("leader").get(url(incident)))


def test_the_war_room_reads_a_fixed_number_of_queries(incident, django_assert_max_num_queries):
    leader, handler = page("leader"), page("logistics_handler")
    for n in range(3):
        leader.post(url(incident, "situations/"), {"situation-text": f"第{n + 1}次报送"})
        leader.post(url(incident, "statements/"), {"statement-text": f"声明草稿{n + 1}"})
        leader.post(url(incident, "media/"), {"media-outlet": "都市报", "media-summary": "询问"})
    # Pinned (whatever the number of rows): session, user and roles; the incident, its
    # responders, tasks, situation reports and the next one due, reports upward,
    # statements, media log, the linked complaints (the gate and the count) and the
    # timeline; the organisation and unread notices; two permission reads of the nav.
    with django_assert_max_num_queries(18):
        assert leader.get(url(incident)).status_code == 200
    # The 15-second refresh reads only what it swaps.
    with django_assert_max_num_queries(12):
        assert leader.get(url(incident, "live/")).status_code == 200
    # A member who does not command, 7 more: whether they may change the level (the
    # first complaint, the plan role's people with their channels and roles: 4) and their
    # complaint gate (the plan's revision, the department tree: 3).
    with django_assert_max_num_queries(25):
        assert handler.get(url(incident)).status_code == 200


def test_an_event_report_awaits_the_command_group_then_is_activated(people):
    # The plan names no reporters: anyone of the staff reports, here someone who is not
    # in the command structure (a mediator).
    clerk = page("mediator")
    listed = text(clerk.get("/incidents/"))
    assert zh("Report an emergency event") in listed
    empty = clerk.post("/incidents/report/", {"severity": "major", "category": "service"})
    assert empty.status_code == 422
    assert errors_of(empty, "title") == [zh("Give a title.")]
    reported = clerk.post(
        "/incidents/report/",
        {
            "title": "门店收银系统中断",
            "description": "全部门店收银系统无法登录，顾客排队。",
            "category": "service",
            "severity": "major",
            "amount_involved": "",
            "people_injured": "0",
        },
        follow=True,
    )
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.REPORTED
    # The reporter is not in the command structure: back to the list, with the number.
    assert incident.number in text(reported)
    assert page("mediator").get(url(incident)).status_code == 404
    room = page("leader").get(url(incident))
    shown = text(room)
    assert zh("Reported, awaiting activation") in shown
    assert url(incident, "activate/") in room.content.decode()
    assert page("handler").post(url(incident, "activate/")).status_code in (403, 404)
    activated = page("leader").post(
        url(incident, "activate/"), {"activate-level": "III"}, follow=True
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACTIVATED and incident.level == "III"
    assert zh("Emergency plan activated") in text(activated)


def test_a_complaints_emergency_box_links_its_incident_and_activates_the_plan(incident, people):
    complaint = Complaint.objects.get()
    detail = page("leader").get(f"/complaints/{complaint.tracking_no}/").content.decode()
    assert f"/incidents/complaint/{complaint.tracking_no}/" in detail  # loaded by htmx
    box = page("leader").get(f"/incidents/complaint/{complaint.tracking_no}/")
    assert incident.number in text(box) and "level-yellow" in box.content.decode()
    # An ordinary complaint: the commander may activate the plan from it.
    with clock("2026-03-02T10:00:00+08:00"):
        ordinary = register(people["clerk"], severity="ordinary", title="冰箱门封条脱落")
    box = page("leader").get(f"/incidents/complaint/{ordinary}/")
    assert zh("Activate the emergency plan") in text(box)
    assert (
        page("clerk").get(f"/incidents/complaint/{ordinary}/").content.decode().count("<form") == 0
    )
    escalate = f"/incidents/complaint/{ordinary}/escalate/"
    refused = page("clerk").post(escalate, {"emergency-level": "IV", "emergency-reason": "x"})
    assert refused.status_code == 403
    no_reason = page("leader").post(escalate, {"emergency-level": "IV", "emergency-reason": ""})
    assert no_reason.status_code == 422
    assert errors_of(no_reason, "reason") == [zh("Say why the plan is activated.")]
    done = page("leader").post(
        escalate, {"emergency-level": "IV", "emergency-reason": "客户称将联系媒体"}
    )
    assert done.status_code == 302
    opened = Incident.objects.exclude(pk=incident.pk).get()
    assert done["Location"] == url(opened)
    assert opened.complaints.get().tracking_no == ordinary
    via_htmx = page("leader").post(
        escalate,
        {"emergency-level": "II", "emergency-reason": "已有媒体来电"},
        headers={"HX-Request": "true"},
    )
    assert via_htmx.status_code == 204 and via_htmx["HX-Redirect"] == url(opened)
    opened.refresh_from_db()
    assert opened.level == "II"


def test_the_list_shows_level_status_and_linked_complaints(incident):
    response = page("leader").get("/incidents/")
    html, shown = response.content.decode(), text(response)
    assert incident.number in shown and "III 较大" in shown and "level-yellow" in html
    assert zh("Report an emergency event") in shown
    assert incident.number not in text(page("leader").get("/incidents/?state=closed"))


def test_contain_close_review_and_improvements(incident):
    leader = page("leader")
    assert leader.post(url(incident, "contain/")).status_code == 302
    empty = leader.post(url(incident, "close/"), {"close-outcome": ""})
    assert empty.status_code == 422 and errors_of(empty, "outcome")
    leader.post(url(incident, "close/"), {"close-outcome": "已上门更换热水器，用户满意。"})
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    room = leader.get(url(incident)).content.decode()
    due = timezone.localdate() + timedelta(days=30)
    assert 'name="review-revision_source"' in room and "metadata:" in room  # prefilled
    form = {
        "review-causes": "热水器接地线安装不规范",
        "review-lessons": "安装后必须测试接地",
        "review-revision_source": incident.plan_revision.source,
        "improvement-TOTAL_FORMS": "3",
        "improvement-INITIAL_FORMS": "0",
        "improvement-0-title": "全员培训安装规范",
        "improvement-0-owner": "after_sales_head",
        "improvement-0-due_on": f"{due:%Y-%m-%d}",
        "improvement-1-title": "缺少负责人的一条",
        "accountability-TOTAL_FORMS": "2",
        "accountability-INITIAL_FORMS": "0",
    }
    missing = leader.post(url(incident, "review/"), form)
    assert missing.status_code == 422 and errors_of(missing, "owner")
    assert "全员培训安装规范" in missing.content.decode()  # what was typed is kept
    form.pop("improvement-1-title")
    filed = leader.post(url(incident, "review/"), form, follow=True)
    assert filed.redirect_chain, text(filed)[-3000:]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.REVIEWED
    shown = text(filed)
    assert zh("Response against the plan's targets") in shown
    assert "全员培训安装规范" in shown and f"{due:%Y-%m-%d}" in shown
    action = ImprovementAction.objects.get()
    done = page("after_sales_head").post(
        url(incident, f"improvements/{action.pk}/done/"),
        {f"improvement-{action.pk}-note": "已完成培训"},
    )
    assert done.status_code == 302
    action.refresh_from_db()
    assert action.done_at is not None
