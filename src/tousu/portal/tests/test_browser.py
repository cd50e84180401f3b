"""The complainant's path in a real browser (headless Chromium driven by Playwright):
file with a photo, the proof of work solved by the ALTCHA widget, the tracking number
and code read off the page, the status, the staff's reply, a dissatisfied rating — and
the clerk finds the case on 我的待办. Once more with scripts off (the picture check)."""

import os
from pathlib import Path

import pytest
from captcha.models import CaptchaStore
from django.test import Client

from tousu.complaints.models import Complaint
from tousu.portal.tests.helpers import JPEG, REPLY, staff_reply

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots for a person to look at: into $PORTAL_SHOTS when set, else thrown away.
SHOTS = os.environ.get("PORTAL_SHOTS", "")


@pytest.fixture
def browser(chromium):
    return chromium


DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _page(browser, *, viewport=PHONE, scripts=True):
    context = browser.new_context(
        locale="zh-CN", viewport=viewport, java_script_enabled=scripts, is_mobile=viewport == PHONE
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    # A missing file is named by its response (the browser's own favicon.ico aside).
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page, problems


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def _fill(page, photo: Path | None) -> None:
    page.select_option("#id_category", "quality")
    page.fill("#id_title", "电热水壶使用一周漏水")
    page.fill(
        "#id_description", "在A区12号鑫达电器行购买电热水壶，使用一周后底座漏水，商家拒绝调换。"
    )
    page.fill("#id_demand", "退货退款")
    page.fill("#id_merchant", "鑫达电器行")
    page.fill("#id_amount_involved", "299")
    if photo is not None:
        page.set_input_files("#id_attachments", str(photo))
    page.fill("#id_name", "张伟")
    page.fill("#id_phone", "13912345678")
    page.check("#id_privacy")


def test_complainant_files_tracks_and_rates_in_a_browser(market, live_server, browser, tmp_path):
    photo = tmp_path / "水壶.jpg"
    photo.write_bytes(JPEG)
    page, problems = _page(browser)
    page.goto(f"{live_server.url}/portal/")
    assert "东湖商贸市场" in page.title()
    page.wait_for_function("() => document.documentElement.classList.contains('portal-altcha')")
    assert page.is_hidden("#captcha-fallback")  # the proof of work runs instead
    _shot(page, "form-phone.png")
    _fill(page, photo)
    page.click("#complaint-form button[type=submit]")  # the widget solves, then sends
    page.wait_for_url("**/portal/done/")
    number = page.inner_text("#tracking-no").strip()
    code = page.inner_text("#access-code").strip()
    assert number.startswith("TS-") and len(code) == 8
    _shot(page, "result-phone.png")
    complaint = Complaint.objects.get(tracking_no=number)
    assert complaint.attachments.get().original_name == "水壶.jpg"

    page.click("#track-link")
    page.wait_for_url(f"**/portal/track/{number}/")
    assert page.inner_text("#case-stage") == "投诉受理"

    staff_reply(market, number)
    page.reload()
    assert page.inner_text("#case-stage") == "满意度确认"
    assert REPLY in page.inner_text("#reply")
    form = "#action-satisfaction"
    page.check(f"{form} input[value=dissatisfied]")
    page.fill(f"{form} textarea", "退款金额不对，只退了一半")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("#case-stage")
    assert page.inner_text("#case-stage") == "消费者不满意"
    assert "不满意" in page.inner_text("#timeline")
    _shot(page, "track-phone.png")

    # The clerk acts in the plan's dissatisfied stage: it is on their 我的待办.
    assert number in _my_work(market["clerk"])

    # The complainant appeals (申诉) to the leadership group, who find it on theirs.
    page.click("#actions summary:has-text('登记申诉')")
    page.fill("#action-appeal textarea", "退款金额与购买凭证不符，请领导小组复核")
    page.click("#action-appeal button[type=submit]")
    page.wait_for_selector("#case-stage")
    assert page.inner_text("#case-stage") == "领导小组申诉复核"
    assert "请领导小组复核" in page.inner_text("#timeline")
    assert number in _my_work(market["leader"])
    assert not problems, problems


def _my_work(user) -> str:
    staff = Client()
    staff.force_login(user)
    return staff.get("/work/").content.decode()


def test_a_complaint_is_filed_with_scripts_off(market, live_server, browser):
    page, _problems = _page(browser, scripts=False)
    page.goto(f"{live_server.url}/portal/")
    _fill(page, None)
    assert page.is_visible("#captcha-fallback")
    key = page.get_attribute("input[name=captcha_0]", "value")
    answer = CaptchaStore.objects.get(hashkey=key).response
    _shot(page, "form-noscript-phone.png")
    page.fill("#id_captcha_1", answer)
    page.click("#complaint-form button[type=submit]")
    page.wait_for_url("**/portal/done/")
    number = page.inner_text("#tracking-no").strip()
    assert Complaint.objects.filter(tracking_no=number, channel="web").exists()


def test_screenshots_on_a_desktop(market, live_server, browser):
    page, problems = _page(browser, viewport=DESKTOP)
    page.goto(f"{live_server.url}/portal/")
    page.wait_for_function("() => document.documentElement.classList.contains('portal-altcha')")
    _shot(page, "form-desktop.png")
    _fill(page, None)
    page.click("#complaint-form button[type=submit]")
    page.wait_for_url("**/portal/done/")
    _shot(page, "result-desktop.png")
    number = page.inner_text("#tracking-no").strip()
    page.click("#track-link")
    page.wait_for_url(f"**/portal/track/{number}/")
    _shot(page, "track-desktop.png")
    page.goto(f"{live_server.url}/portal/track/")
    _shot(page, "track-form-desktop.png")
    assert not problems, problems
