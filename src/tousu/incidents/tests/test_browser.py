"""The war room in a real browser (headless Chromium driven by Playwright), in Chinese, on
a desktop and on a phone: the level banner, the groups' tasks, the refresh that keeps
what is being typed, and a complaint page's emergency box."""

import os
import tempfile
from pathlib import Path

import pytest

from tousu.accounts.models import User
from tousu.complaints.models import Complaint
from tousu.demo.loader import DEMO_PASSWORD
from tousu.incidents import response
from tousu.incidents.models import Incident
from tousu.plans.tests.scenario import clients, registrar

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots for a person to look at, outside the repository (TOUSU_SHOTS to move them).
SHOTS = Path(os.environ.get("TOUSU_SHOTS") or Path(tempfile.gettempdir()) / "shots")

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


@pytest.fixture
def browser(chromium):
    return chromium


def _page(browser, width: int, height: int, **options):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": width, "height": height}, **options
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def _login(page, base: str, username: str, then: str) -> None:
    page.goto(f"{base}/accounts/login/?next={then}")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{then}")


def test_the_war_room_on_a_desktop_and_a_phone(live_server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    people = clients("enterprise")
    register(people["clerk"])
    incident = Incident.objects.get()
    room = f"/incidents/{incident.number}/"

    page = _page(browser, 1280, 800)
    _login(page, live_server.url, "leader", "/incidents/")
    assert page.locator("nav a[href='/incidents/']").count() == 1
    assert incident.number in page.locator("table").inner_text()
    page.screenshot(path=str(SHOTS / "incidents-list-desktop.png"), full_page=True)
    page.click(f"text={incident.number}")
    page.wait_for_url(f"**{room}")
    banner = page.locator("#banner")
    assert "III 较大" in banner.inner_text() and "level-yellow" in banner.get_attribute("class")
    tasks = page.locator("#tasks").inner_text()
    for label in ("应急指挥小组", "投诉处理小组", "投诉处理办公室"):
        assert label in tasks
    page.screenshot(path=str(SHOTS / "war-room-desktop.png"), full_page=True)

    # Someone types a situation report while the office marks a task done elsewhere;
    # the refresh shows the task done and keeps what is being typed.
    page.click("#situation-card summary")
    page.fill("#id_situation-text", "现场已断电，正在排查接地线")
    task = incident.tasks.get(key="record")
    response.task_done(task=task, actor=User.objects.get(username="supervisor"))
    done_before = page.locator("#tasks .task-done").count()
    page.evaluate(
        "url => htmx.ajax('GET', url, {source: '#live-poll', swap: 'none'})", f"{room}live/"
    )
    page.wait_for_function(
        f"() => document.querySelectorAll('#tasks .task-done').length === {done_before + 1}"
    )
    assert page.input_value("#id_situation-text") == "现场已断电，正在排查接地线"
    page.click("#situation-card button[type=submit]")
    page.wait_for_url(f"**{room}")
    assert "现场已断电" in page.locator("#situations").inner_text()

    # The complaint's page loads its emergency box.
    complaint = Complaint.objects.get()
    page.goto(f"{live_server.url}/complaints/{complaint.tracking_no}/")
    page.wait_for_selector("#emergency-box .card")
    assert incident.number in page.locator("#emergency-box").inner_text()
    page.screenshot(path=str(SHOTS / "complaint-emergency-box-desktop.png"), full_page=True)

    phone = _page(browser, 390, 844, is_mobile=True, has_touch=True, device_scale_factor=2)
    _login(phone, live_server.url, "leader", room)
    phone.screenshot(path=str(SHOTS / "war-room-phone.png"), full_page=True)
    phone.screenshot(path=str(SHOTS / "war-room-phone-top.png"))
    # Nothing is wider than the phone's screen.
    overflow = phone.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 390, f"the page is {overflow}px wide on a 390px phone"


def test_statements_closure_and_review_in_the_browser(live_server, browser):
    """A response with its statements and reports, closed and reviewed through the page;
    the review shows the figures against the plan's targets."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    people = clients("enterprise")
    register(people["clerk"])
    incident = Incident.objects.get()
    leader = User.objects.get(username="leader")
    head = User.objects.get(username="head")
    response.situation_file(incident=incident, actor=head, text="已派安装师傅上门，现场已断电。")
    response.media_log(
        incident=incident,
        actor=leader,
        outlet="都市晨报",
        person="王记者",
        summary="询问是否有人受伤",
    )
    draft = response.statement_draft(
        incident=incident,
        actor=head,
        text="关于顾客反映电热水器漏电一事，我司已第一时间派员上门排查。",
    )
    response.statement_draft(incident=incident, actor=leader, text="致歉声明（草稿）")
    response.statement_approve(statement=draft, actor=leader)
    room = f"/incidents/{incident.number}/"

    page = _page(browser, 1280, 800)
    _login(page, live_server.url, "leader", room)
    statements = page.locator("#statements").inner_text()
    assert "都市晨报" in page.locator("#media-card").inner_text()
    assert "致歉声明" in statements
    page.screenshot(path=str(SHOTS / "war-room-statements-desktop.png"), full_page=True)
    # Lowering the level without a reason: the error beside the reason.
    page.click("#command-actions summary >> nth=0")
    page.select_option("#id_level-level", "IV")
    page.click("#command-actions form[action$='/level/'] button[type=submit]")
    page.wait_for_selector("[data-field=reason]")
    page.screenshot(path=str(SHOTS / "war-room-level-error-desktop.png"))
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#command-actions form[action$='/contain/'] button")
    page.wait_for_url(f"**{room}")
    page.click("text=" + page.locator("#command-actions summary").last.inner_text())
    page.fill("#id_close-outcome", "已上门更换热水器并赔偿，用户满意。")
    page.click("#command-actions form[action$='/close/'] button[type=submit]")
    page.wait_for_selector("#review-form")
    page.fill("#id_review-causes", "热水器接地线安装不规范。")
    page.fill("#id_review-lessons", "安装完成后必须测试接地并拍照留存。")
    page.fill("#id_improvement-0-title", "全员培训电热水器安装规范")
    page.select_option("#id_improvement-0-owner", "after_sales_head")
    page.fill("#id_improvement-0-due_on", "2027-01-15")
    page.select_option("#id_accountability-0-person", "handler")
    page.fill("#id_accountability-0-reason", "安装未按规范接地")
    page.fill("#id_accountability-0-amount", "200")
    page.screenshot(path=str(SHOTS / "war-room-review-form-desktop.png"), full_page=True)
    page.click("#review-form button[type=submit]")
    page.wait_for_selector("#figures")
    assert "全员培训电热水器安装规范" in page.locator("#review").inner_text()
    page.screenshot(path=str(SHOTS / "war-room-reviewed-desktop.png"), full_page=True)

    phone = _page(browser, 390, 844, is_mobile=True, has_touch=True, device_scale_factor=2)
    _login(phone, live_server.url, "leader", room)
    phone.screenshot(path=str(SHOTS / "war-room-reviewed-phone.png"), full_page=True)
    overflow = phone.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 390, f"the page is {overflow}px wide on a 390px phone"
