"""The plan page's flow chart in a real browser (headless Chromium): visible on a phone
from its first stage, and alone on paper (no navigation) when printed."""

import pytest

from tousu.conftest import PASSWORD
from tousu.plans.services import plan_load, template_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plan_page_shows_the_chart_and_prints_it_without_the_nav(live_server, chromium, org):
    revision = plan_load(source=template_source("school"))
    first = revision.plan_model.stages[revision.plan_model.initial_stage].label
    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next=/plans/school/")
    page.fill("#id_username", org.leader.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/plans/school/")

    svg = page.locator(".flowchart-scroll svg")
    assert svg.is_visible()
    assert first in (svg.locator(".fc-initial").text_content() or "")
    # On a phone the chart scrolls sideways and opens on its first stage, not on blank.
    box = page.locator(".flowchart-scroll").bounding_box()
    start = svg.locator(".fc-initial rect").first.bounding_box()
    assert box and start and box["x"] <= start["x"] < box["x"] + box["width"]

    page.emulate_media(media="print")
    assert not page.locator("nav").first.is_visible()
    assert svg.is_visible()
    assert first in (svg.locator(".fc-initial").text_content() or "")
    context.close()
