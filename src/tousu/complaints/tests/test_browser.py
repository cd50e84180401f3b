"""The intake clerk's path in a real browser (headless Chromium driven by Playwright)."""

import pytest

from tousu.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    return context.new_page()


def test_clerk_registers_finds_and_follows_a_complaint(org, live_server, page, settings):
    page.goto(f"{live_server.url}/complaints/")
    assert "登录" in page.title() or "登录" in page.content()
    page.fill("#id_username", "clerk")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/complaints/")

    page.click("nav a[href='/complaints/new/']")
    page.select_option("#id_channel", "phone")
    page.fill("#id_title", "羊毛大衣干洗后缩水起球")
    page.fill(
        "#id_description", "在B区8号华美服饰购买羊毛大衣，按说明干洗后严重缩水起球，要求退款。"
    )
    page.select_option("#id_category", "quality")
    page.fill("#id_merchant", "华美服饰")
    page.fill("#id_complainant_name", "欧阳娜")
    page.fill("#id_complainant_phone", "13612345678")
    page.click("main button[type=submit]")
    page.wait_for_url("**/complaints/TS-*/")
    tracking_no = page.locator("h1 .tracking-no").inner_text()
    assert tracking_no.startswith("TS-")
    assert "登记" in page.locator("#timeline").inner_text()
    assert "136****5678" in page.content()

    page.click("nav a[href='/complaints/']")
    page.fill("#id_q", "缩水")  # two characters, typed: htmx refreshes the results
    page.wait_for_function(
        "() => document.querySelectorAll('#results tbody tr').length === 1"
        " && document.querySelector('#results').innerText.includes('羊毛大衣')"
    )
    page.screenshot(path=str(settings.MEDIA_ROOT.parent / "list.png"))
    page.click(f"text={tracking_no}")
    page.wait_for_url(f"**/complaints/{tracking_no}/")
    timeline = page.locator("#timeline").inner_text()
    assert "登记" in timeline and "王晓梅" in timeline
