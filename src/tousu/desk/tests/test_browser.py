"""A call taken on the desk with the keyboard alone, in headless Chromium: the caller's
number brings up their earlier complaints and the repeat flag, the category its
scripts; Ctrl+Enter registers; the receipt prints the code (for a few minutes after
registration, switching the paper too); the complaint page
shows what the complainant was sent. Screenshots go to ``TOUSU_SHOTS`` when set."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tousu.complaints.access import access_code_matches
from tousu.complaints.models import Complaint
from tousu.complaints.services import ComplainantData, complaint_register
from tousu.complaints.workflow import complaint_act
from tousu.demo.loader import DEMO_PASSWORD, demo_organisation_create
from tousu.notifications.services import outbox_deliver
from tousu.notifications.tests.loopback import MailServer, WebServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CALLER = "13812345678"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("TOUSU_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def outbox(settings):
    """Mail to a real SMTP server on loopback; text messages to a gateway that refuses."""
    with MailServer() as mail, WebServer() as web:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", mail.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.OUTBOUND_ALLOW_LOOPBACK = True
        settings.SMS_WEBHOOK_URL = web.url("/status/404")
        yield mail


def _page(chromium, live_server, viewport):
    context = chromium.new_context(locale="zh-CN", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next=/desk/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/desk/")
    return page


def _focused(page) -> str:
    return page.evaluate("document.activeElement.id")


def test_a_call_is_registered_on_the_desk_with_the_keyboard_alone(
    chromium, live_server, outbox, shots
):
    users = demo_organisation_create("market")
    clerk = users["clerk"]
    person = ComplainantData(name="张伟", phone=CALLER, email="zhang.wei@example.cn")
    earlier = complaint_register(
        actor=clerk,
        channel="walk_in",
        title="电饭煲内胆涂层脱落",
        description="购买两个月的电饭煲内胆涂层大片脱落。",
        category="quality",
        complainant=person,
    )
    complaint_act(
        complaint=earlier,
        actor=clerk,
        action="refuse",
        version=earlier.version,
        data={"reason": "已超过商户承诺的退换期限，建议向厂家售后反映"},
    )
    complaint_register(
        actor=clerk,
        channel="phone",
        title="洗衣机保修期内维修一个月未修好",
        description="保修期内维修一个月未修好。",
        category="after_sales",
        complainant=person,
    )

    page = _page(chromium, live_server, DESKTOP)
    assert _focused(page) == "id_complainant_phone"
    page.keyboard.type(CALLER)
    page.keyboard.press("Enter")
    page.wait_for_selector("#caller-history")
    assert _focused(page) == "id_category"
    assert earlier.tracking_no in page.locator("#caller").inner_text()
    # The categories in key order: after_sales, false_advertising, other, price_fraud, quality.
    for _ in range(5):
        page.keyboard.press("ArrowDown")
    assert page.input_value("#id_category") == "quality"
    page.wait_for_selector("#repeat-flag")
    page.wait_for_function(
        "() => document.querySelector('#scripts').innerText.includes('购物小票')"
    )
    assert earlier.tracking_no in page.locator("#repeat-flag").inner_text()
    page.keyboard.press("Tab")
    assert _focused(page) == "id_complainant_name"
    page.keyboard.type("张伟")
    page.keyboard.press("Tab")
    page.keyboard.type("zhang.wei@example.cn")
    page.keyboard.press("Tab")
    assert _focused(page) == "id_description"
    page.keyboard.type("新买的电饭煲又出现内胆涂层脱落，要求退货。")
    page.screenshot(path=str(shots / "desk-desktop.png"), full_page=True)
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/desk/done/TS-*/")

    tracking_no = page.locator("#tracking-no").inner_text().strip()
    code = page.locator("#access-code").inner_text().strip()
    complaint = Complaint.objects.get(tracking_no=tracking_no)
    assert access_code_matches(complaint, code)
    assert complaint.channel == "phone" and complaint.category.key == "quality"
    assert complaint.title == "新买的电饭煲又出现内胆涂层脱落，要求退货。"
    assert _focused(page) == "next-caller"
    page.screenshot(path=str(shots / "done-desktop.png"), full_page=True)

    page.click("#print-receipt")
    page.wait_for_url(f"**/desk/receipt/{tracking_no}/")
    assert page.locator("#receipt-code").inner_text().strip() == code
    assert tracking_no in page.locator("#receipt-no").inner_text()
    page.screenshot(path=str(shots / "receipt-desktop.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator(".receipt-tools").is_visible()  # nothing but the receipt
    page.screenshot(path=str(shots / "receipt-print.png"), full_page=True)
    page.pdf(path=str(shots / "receipt.pdf"), prefer_css_page_size=True)
    page.emulate_media(media="screen")

    # The receipt was emailed; the SMS gateway refuses; the acceptance is greylisted.
    outbox_deliver()
    complaint.refresh_from_db()
    complaint_act(complaint=complaint, actor=clerk, action="accept", version=complaint.version)
    outbox.tempfail_rcpt = 1
    outbox_deliver()
    page.goto(f"{live_server.url}/complaints/{tracking_no}/")
    section = page.locator("#deliveries")
    states = section.locator("[data-state]").evaluate_all(
        "nodes => nodes.map(n => n.dataset.state)"
    )
    assert sorted(states) == ["delivered", "failed", "failed", "retrying"]
    assert "zhang.wei@example.cn" not in section.inner_text()
    section.screenshot(path=str(shots / "deliveries-desktop.png"))

    phone = _page(chromium, live_server, PHONE)
    phone.goto(f"{live_server.url}/desk/?phone={CALLER}&category=quality")
    assert re.search(tracking_no, phone.locator("#caller").inner_text())
    phone.screenshot(path=str(shots / "desk-phone.png"), full_page=True)
    phone.goto(f"{live_server.url}/desk/receipt/{tracking_no}/")
    assert phone.locator("#receipt-code-given").is_visible()  # another browser: no code
    phone.screenshot(path=str(shots / "receipt-phone.png"), full_page=True)
    phone.goto(f"{live_server.url}/complaints/{tracking_no}/")
    phone.locator("#deliveries").screenshot(path=str(shots / "deliveries-phone.png"))
    phone.context.close()
    page.context.close()


def test_the_desk_works_without_javascript(chromium, live_server):
    users = demo_organisation_create("market")
    earlier = complaint_register(
        actor=users["clerk"],
        channel="phone",
        title="洗衣机保修期内维修一个月未修好",
        description="保修期内维修一个月未修好。",
        category="after_sales",
        complainant=ComplainantData(name="张伟", phone=CALLER),
    )
    context = chromium.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next=/desk/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/desk/")

    page.fill("#id_complainant_phone", CALLER)
    page.press("#id_complainant_phone", "Enter")  # the form's first button: the look-up
    page.wait_for_selector("#caller-history")
    assert earlier.tracking_no in page.locator("#caller").inner_text()
    assert page.input_value("#id_complainant_phone") == CALLER
    page.select_option("#id_category", "after_sales")
    page.fill("#id_complainant_name", "张伟")
    page.fill("#id_description", "洗衣机又坏了，维修点说配件还没到。")
    page.click("#register")
    page.wait_for_url("**/desk/done/TS-*/")
    assert Complaint.objects.count() == 2
    code = page.locator("#access-code").inner_text().strip()

    # The receipt, then A4 instead of A5: without the script the page reloads, and the
    # code is still on it.
    page.click("#print-receipt")
    page.wait_for_url("**/desk/receipt/TS-*/")
    assert page.locator("#receipt-code").inner_text().strip() == code
    page.click("a[data-paper=a4]")
    page.wait_for_url("**/desk/receipt/TS-*/?paper=a4")
    assert page.locator("#receipt.paper-a4").is_visible()
    assert page.locator("#receipt-code").inner_text().strip() == code
    context.close()
