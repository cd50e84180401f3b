"""In Chromium: the complaint page offers its documents; the 受理回执 and the 案卷 print
with nothing but the document (no navigation, forms, buttons or footer), on a desktop and a
phone. Screenshots go to $TOUSU_SHOTS (doc-*.png) when it is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tousu.complaints.models import Complaint
from tousu.complaints.services import ComplainantData, complaint_register
from tousu.complaints.workflow import complaint_act
from tousu.demo.loader import DEMO_PASSWORD, demo_organisation_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("TOUSU_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _act(complaint: Complaint, actor, action: str, **data) -> None:
    complaint.refresh_from_db()
    complaint_act(
        complaint=complaint, actor=actor, action=action, version=complaint.version, data=data
    )


def _login(chromium, live_server, viewport):
    context = chromium.new_context(locale="zh-CN", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next=/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return page


def _only_the_document_prints(page) -> None:
    assert page.locator("nav.navbar").first.is_visible()
    assert page.locator("#document-tools").is_visible()
    page.emulate_media(media="print")
    assert page.locator("#document").is_visible()
    assert not page.locator("nav.navbar").first.is_visible()
    assert not page.locator("#document-tools").is_visible()
    assert not page.locator("footer").first.is_visible()
    for form in page.locator("form").all():  # language switch, log out
        assert not form.is_visible()
    page.emulate_media(media="screen")


def test_the_receipt_and_the_case_file_print_without_navigation_and_forms(
    chromium, live_server, shots, settings
):
    people = demo_organisation_create("market")
    clerk = people["clerk"]
    complaint = complaint_register(
        actor=clerk,
        channel="walk_in",
        title="电热水壶使用一周漏水",
        description="在A区12号鑫达电器行购买电热水壶，使用一周后底座漏水，商家拒绝调换。",
        category="quality",
        complainant=ComplainantData(name="张伟", phone="13912345678"),
    )
    _act(complaint, clerk, "accept")
    _act(complaint, people["investigator"], "propose", opinion="商家退货退款299元")
    _act(complaint, people["leader"], "approve", note="同意")
    no = complaint.tracking_no

    page = _login(chromium, live_server, DESKTOP)
    page.goto(f"{live_server.url}/complaints/{no}/")
    menu = page.locator("#documents [data-document=receipt] a").first
    menu.wait_for()  # the box the complaint page loads from the reports app
    assert page.locator("#documents [data-document=instruction]").count() == 1
    assert page.locator("#documents [data-document=refusal]").count() == 0
    menu.click()
    page.wait_for_url(f"**/reports/documents/{no}/receipt/")
    assert no in page.locator("#document").inner_text()
    page.screenshot(path=str(shots / "doc-receipt-desktop.png"), full_page=True)
    _only_the_document_prints(page)
    page.emulate_media(media="print")
    page.screenshot(path=str(shots / "doc-receipt-print.png"), full_page=True)
    page.pdf(path=str(shots / "doc-receipt.pdf"), format="A4")
    page.emulate_media(media="screen")

    page.goto(f"{live_server.url}/reports/documents/{no}/case-file/")
    text = page.locator("#document").inner_text()
    assert "商家退货退款299元" in text and "张伟" in text  # the clerk may see it (logged)
    page.screenshot(path=str(shots / "doc-case-file-desktop.png"), full_page=True)
    _only_the_document_prints(page)
    page.emulate_media(media="print")
    page.screenshot(path=str(shots / "doc-case-file-print.png"), full_page=True)

    # A drill's document prints with the drill marker: base.html's banner and the
    # document's own, both kept by the print stylesheet (which hides other alerts).
    settings.TOUSU_DRILL = True
    page.goto(f"{live_server.url}/reports/documents/{no}/receipt/")
    page.emulate_media(media="print")
    assert page.locator("#drill-banner").is_visible()
    assert page.locator("#document #document-drill").is_visible()
    assert not page.locator("nav.navbar").first.is_visible()
    page.screenshot(path=str(shots / "doc-receipt-drill-print.png"), full_page=True)
    page.emulate_media(media="screen")
    settings.TOUSU_DRILL = False

    phone = _login(chromium, live_server, PHONE)
    for kind in ("receipt", "case-file"):
        phone.goto(f"{live_server.url}/reports/documents/{no}/{kind}/")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, (kind, width)  # nothing runs off the screen
        phone.screenshot(path=str(shots / f"doc-{kind}-phone.png"), full_page=True)
        _only_the_document_prints(phone)
