"""The office's documents (文书) of a complaint walked through the market plan: each one
renders for a complaint that has what it needs, as a print page, a PDF whose text is
Chinese in the project's own font, and a DOCX; 404 for a complaint the reader may not
see; a document that does not apply says why."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext
from docx import Document

import tousu
from tousu.audit.models import AuditEvent
from tousu.complaints.attachments import AttachmentUpload
from tousu.complaints.choices import COMPLAINANT_VIEWED
from tousu.complaints.models import Complaint
from tousu.complaints.receipts import receipt_for
from tousu.complaints.services import ComplainantData, complaint_register
from tousu.complaints.workflow import complaint_act
from tousu.core.documents.fonts import FONT_NAME
from tousu.core.tests.pdfs import pdf_fonts, pdf_text
from tousu.deadlines.models import Deadline
from tousu.demo.loader import demo_organisation_create
from tousu.plans.tests.scenario import clock
from tousu.reports.documents.render import document_render
from tousu.supervision.reminders import supervision_remind

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PHONE = "13912345678"


def _register(clerk, title: str, *, attachments=()) -> Complaint:
    return complaint_register(
        actor=clerk,
        channel="walk_in",
        title=title,
        description="在A区12号鑫达电器行购买电热水壶，使用一周后底座漏水，商家拒绝调换。",
        category="quality",
        merchant="鑫达电器行",
        complainant=ComplainantData(
            name="张伟",
            phone=PHONE,
            id_number="11010519491231002X",
            address="北京市东城区和平里1号",
        ),
        attachments=attachments,
    )


def _act(complaint: Complaint, actor, action: str, **data) -> Complaint:
    complaint.refresh_from_db()
    return complaint_act(
        complaint=complaint, actor=actor, action=action, version=complaint.version, data=data
    )


@pytest.fixture
def market():
    """The market's people and three complaints: one refused, one worked to its end
    (approved with the leader's comment, transferred with a slip, answered, rated), one
    left overdue in intake with a supervision notice."""
    people = demo_organisation_create("market")
    clerk, leader = people["clerk"], people["leader"]
    refused = _register(clerk, "商场停车收费过高")
    _act(refused, clerk, "refuse", reason="停车收费属物业管理事项，不属本办公室受理范围")

    photo = AttachmentUpload.from_file("现场照片.png", io.BytesIO(PNG))
    done = _register(clerk, "电热水壶使用一周漏水", attachments=[photo])
    _act(done, clerk, "accept")
    _act(done, people["investigator"], "findings", findings="底座密封圈老化，属质量问题")
    _act(done, people["investigator"], "propose", opinion="商家退货退款299元")
    _act(done, leader, "approve", note="同意。请质量管理部三日内督促商家退款。")
    _act(
        done,
        clerk,
        "transfer",
        department="quality",
        slip="投诉接收单：调查结论及处理意见，附现场照片",
        assignee="handler",
    )
    _act(done, people["handler"], "execute", measure="refund", amount="299", result="已退款299元")
    _act(done, clerk, "reply", reply="商家已为您退货退款299元。")
    _act(done, clerk, "satisfaction", satisfaction="satisfied")

    with clock("2026-03-02T09:00:00+08:00"):
        late = _register(clerk, "促销价与结账价不符")
    acceptance = Deadline.objects.get(complaint=late, kind="acceptance")
    with clock("2026-03-20T10:00:00+08:00"):
        supervision_remind(
            actor=people["supervisor"], deadline=acceptance, kind="supervision", note="请立即受理"
        )
    return {"people": people, "refused": refused, "done": done, "late": late}


def _zh(text: str) -> str:
    """``text`` as the Chinese catalogue gives it (the English until it is translated),
    so these tests hold before and after the catalogue is filled."""
    with translation.override("zh-hans"):
        return gettext(text)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _section(page: str, element_id: str) -> str:
    """The text of the element ``element_id`` (a table) of a flattened page."""
    found = re.search(rf'id="{element_id}">(.*?)</table>', page)
    assert found, f"no #{element_id}"
    return found.group(1)


def _text(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_receipt_reprint_says_what_the_desk_receipt_says_but_never_the_code(market):
    clerk = market["people"]["clerk"]
    no = market["done"].tracking_no
    page = _text(_client(clerk).get(f"/reports/documents/{no}/receipt/"))
    assert no in page and "东湖商贸市场" in page  # the organisation
    assert "受理时限" in page  # the plan's limit for the first step, its own label
    assert f"/portal/track/{no}/" in page
    assert "张*" in page and "张伟" not in page  # masked
    assert not re.search(r"id=\"receipt-code\"", page)
    # The receipt carries no access code: the code's digest matches nothing printed.
    digest = Complaint.objects.get(pk=market["done"].pk).access_digest
    assert digest and digest not in page
    # The navigation and the tools are marked as not printing.
    assert 'class="document-tools no-print' in page


def test_the_notice_of_non_acceptance_gives_the_reason_and_the_other_routes(market):
    leader = market["people"]["leader"]
    no = market["refused"].tracking_no
    page = _text(_client(leader).get(f"/reports/documents/{no}/refusal/"))
    assert "停车收费属物业管理事项，不属本办公室受理范围" in page
    assert "不予受理" in page  # the plan's label of the action
    assert "王晓梅" in page  # who decided
    for route in ("12315", "12345", "仲裁", "人民法院", "调解"):
        assert route in page
    # The leader may see personal data: the notice names the complainant, and that is logged.
    assert "张伟" in page
    assert AuditEvent.objects.filter(
        action=COMPLAINANT_VIEWED, complaint=market["refused"], actor=leader
    ).exists()


def test_no_notice_of_non_acceptance_for_a_complaint_that_was_accepted(market):
    leader = market["people"]["leader"]
    no = market["done"].tracking_no
    client = _client(leader)
    for url in (
        f"/reports/documents/{no}/refusal/",
        f"/reports/documents/{no}/refusal.pdf",
        f"/reports/documents/{no}/refusal.docx",
    ):
        response = client.get(url)
        assert response.status_code == 409
        body = response.content.decode()
        # The reason, naming the complaint, where the document would be (in either language).
        assert re.search(rf'id="document-unavailable">[^<]*{no}', body)
        assert 'id="document-unavailable"' in response.content.decode()
    # Nor is it offered in the complaint's menu; the refused one offers it.
    menu = _text(client.get(f"/reports/documents/{no}/"))
    assert "/refusal/" not in menu and "/instruction/" in menu and "/transfer/" in menu
    refused = _text(client.get(f"/reports/documents/{market['refused'].tracking_no}/"))
    assert "/refusal/" in refused and "/transfer/" not in refused


def test_the_transfer_slip_names_both_departments_and_the_time_limit_it_started(market):
    clerk = market["people"]["clerk"]
    no = market["done"].tracking_no
    page = _text(_client(clerk).get(f"/reports/documents/{no}/transfer/"))
    assert "市场投诉处理办公室" in page  # from
    assert "商品质量管理部" in page  # to
    assert "投诉接收单：调查结论及处理意见，附现场照片" in page
    assert "刘洋" in page  # the assignee in the receiving department
    # The market's transfer starts no limit of its own: the department's execution limit
    # was started by the approval and runs on; it is listed as running, not as started.
    started = _section(page, "transfer-limits")
    assert _zh("The plan starts no time limit with this transfer.") in started
    assert "部门执行时限" in _section(page, "transfer-running")
    # The limits opened at registration (受理时限, 办结时限) were closed or are not the
    # transfer's: 受理时限 closed on acceptance and appears nowhere.
    assert "受理时限" not in page
    assert "execution" not in page  # no internal key


def test_the_leaders_instruction_shows_opinion_approver_and_comment(market):
    clerk = market["people"]["clerk"]
    no = market["done"].tracking_no
    page = _text(_client(clerk).get(f"/reports/documents/{no}/instruction/"))
    assert "商家退货退款299元" in page  # the opinion
    assert "周国平" in page  # who approved
    assert "李建国" in page  # who proposed
    assert "同意。请质量管理部三日内督促商家退款。" in page
    assert "批准处理意见" in page  # the plan's label


def test_the_supervision_notice_states_the_overdue_limit_who_answers_and_the_reply_deadline(
    market,
):
    supervisor = market["people"]["supervisor"]
    no = market["late"].tracking_no
    page = _text(_client(supervisor).get(f"/reports/documents/{no}/supervision/"))
    assert "受理时限" in page  # the overdue limit, by its plan label
    assert "2026-03-11" in page  # due 7 working days after 2026-03-02
    assert "吴敏" in page  # who issued it
    assert "王晓梅" in page  # who must answer: the clerk holds it
    assert "请立即受理" in page
    # The reply is due within the limit's own period (7 working days) from the notice.
    assert "2026-03-31" in page
    assert "acceptance" not in page


def test_a_supervision_notice_is_drawn_up_for_an_overdue_complaint_without_one(market):
    clerk = market["people"]["clerk"]
    with clock("2026-04-01T09:00:00+08:00"):
        late = _register(clerk, "电子秤短斤少两")
    supervisor = market["people"]["supervisor"]
    page = _text(_client(supervisor).get(f"/reports/documents/{late.tracking_no}/supervision/"))
    assert "受理时限" in page and "2026-04-13" in page  # 清明 (04-04…06) is not counted
    # A fresh complaint has nothing overdue: the notice is refused with the reason.
    fresh = _register(clerk, "电器保修不认")
    response = _client(supervisor).get(f"/reports/documents/{fresh.tracking_no}/supervision/")
    assert response.status_code == 409
    menu = _text(_client(supervisor).get(f"/reports/documents/{fresh.tracking_no}/"))
    assert f"{fresh.tracking_no}/supervision/" not in menu


def test_the_case_file_holds_everything_and_masks_for_a_role_without_personal_data(market):
    supervisor = market["people"]["supervisor"]  # sees every complaint, not personal data
    complaint = market["done"]
    page = _text(_client(supervisor).get(f"/reports/documents/{complaint.tracking_no}/case-file/"))
    assert "张*" in page and "张伟" not in page and PHONE not in page and "139****5678" in page
    assert not AuditEvent.objects.filter(action=COMPLAINANT_VIEWED, actor=supervisor).exists()
    # Evidence: name, size, SHA-256, when and by whom.
    assert "现场照片.png" in page and hashlib.sha256(PNG).hexdigest() in page
    # Timeline and decisions with the plan's labels, never keys.
    for label in (
        "受理并转交调查员",
        "提出处理意见",
        "批准处理意见",
        "执行处理意见",
        "告知消费者处理结果",
    ):
        assert label in page
    assert "商家退货退款299元" in page and "已退款299元" in page
    assert "satisfied" not in page and "refund" not in page and "investigation" not in page
    # Signatures block: the three who sign, with blank lines.
    for who in ("Handled by", "Reviewed by", "Person in charge"):
        assert _zh(who) in page
    assert "____年__月__日" in page


def test_the_case_file_in_full_for_a_role_that_may_see_personal_data_is_logged(market):
    clerk = market["people"]["clerk"]
    complaint = market["done"]
    before = AuditEvent.objects.filter(action=COMPLAINANT_VIEWED, actor=clerk).count()
    page = _text(_client(clerk).get(f"/reports/documents/{complaint.tracking_no}/case-file/"))
    assert "张伟" in page and PHONE in page and "北京市东城区和平里1号" in page
    after = AuditEvent.objects.filter(action=COMPLAINANT_VIEWED, actor=clerk).count()
    assert after == before + 1


def test_every_document_is_a_404_for_a_complaint_the_user_may_not_see(market):
    # The after-sales handler's department has nothing to do with these complaints.
    outsider = _client(market["people"]["after_sales_handler"])
    for key in ("refused", "done", "late"):
        no = market[key].tracking_no
        assert outsider.get(f"/reports/documents/{no}/").status_code == 404
        for kind in ("receipt", "refusal", "transfer", "supervision", "instruction", "case-file"):
            for suffix in ("/", ".pdf", ".docx"):
                response = outsider.get(f"/reports/documents/{no}/{kind}{suffix}")
                assert response.status_code == 404, (no, kind, suffix)
    assert not AuditEvent.objects.filter(
        action=COMPLAINANT_VIEWED, actor=market["people"]["after_sales_handler"]
    ).exists()
    # Not logged in: to the login page.
    response = Client().get(f"/reports/documents/{market['done'].tracking_no}/case-file/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # An unknown document is a 404 too.
    clerk = _client(market["people"]["clerk"])
    assert clerk.get(f"/reports/documents/{market['done'].tracking_no}/minutes/").status_code == 404
    assert clerk.get("/reports/documents/TS-NOPE/receipt/").status_code == 404


def test_the_pdfs_are_chinese_in_the_projects_font(market):
    clerk = _client(market["people"]["leader"])
    expected = {
        # Embedding the font's subset takes a while: three documents stand for all six
        # (the same renderer; each document's words are checked on its page above).
        ("done", "case-file"): "商家退货退款299元",
        ("refused", "refusal"): "停车收费属物业管理事项",
        ("late", "supervision"): "受理时限",
    }
    for (key, kind), words in expected.items():
        response = clerk.get(f"/reports/documents/{market[key].tracking_no}/{kind}.pdf")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert f"{market[key].tracking_no}-{kind}" in response["Content-Disposition"]
        text, fonts = pdf_text(response.content), pdf_fonts(response.content)
        assert words in re.sub(r"\s+", "", text), (kind, text[:300])
        assert market[key].tracking_no in text
        assert fonts and all(FONT_NAME in name for name in fonts), fonts


def test_the_docx_opens_and_says_the_same(market):
    client = _client(market["people"]["leader"])
    no = market["done"].tracking_no
    response = client.get(f"/reports/documents/{no}/case-file.docx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert no in text + cells
    assert "商家退货退款299元" in cells
    assert hashlib.sha256(PNG).hexdigest() in cells
    refusal = client.get(f"/reports/documents/{market['refused'].tracking_no}/refusal.docx")
    document = Document(io.BytesIO(refusal.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "12315" in text and "停车收费属物业管理事项" in "\n".join(
        c.text for t in document.tables for r in t.rows for c in r.cells
    )
    for kind in ("receipt", "transfer", "instruction"):
        response = client.get(f"/reports/documents/{no}/{kind}.docx")
        assert no in "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)


def test_a_second_transfer_or_notice_is_picked_by_its_event(market):
    clerk = market["people"]["clerk"]
    client = _client(clerk)
    no = market["done"].tracking_no
    event = AuditEvent.objects.filter(complaint=market["done"], data__type="transfer").get()
    page = _text(client.get(f"/reports/documents/{no}/transfer/", {"event": event.seq}))
    assert "商品质量管理部" in page
    # An event of another kind (or none at all) is not a transfer slip.
    approval = AuditEvent.objects.filter(complaint=market["done"], data__type="approve").get()
    assert (
        client.get(f"/reports/documents/{no}/transfer/", {"event": approval.seq}).status_code == 409
    )
    assert client.get(f"/reports/documents/{no}/transfer/", {"event": "x"}).status_code == 200


def test_the_complaint_page_offers_its_documents(market):
    client = _client(market["people"]["clerk"])
    no = market["done"].tracking_no
    detail = _text(client.get(f"/complaints/{no}/"))
    assert f'hx-get="/reports/documents/{no}/"' in detail
    box = _text(client.get(f"/reports/documents/{no}/", headers={"HX-Request": "true"}))
    assert "<nav" not in box  # the box alone
    for kind in ("receipt", "transfer", "instruction", "case-file"):
        assert f"/reports/documents/{no}/{kind}/" in box
        assert f"/reports/documents/{no}/{kind}.pdf" in box
        assert f"/reports/documents/{no}/{kind}.docx" in box


def test_the_desk_receipt_and_the_office_receipt_say_the_same(market):
    clerk = market["people"]["clerk"]
    no = market["done"].tracking_no
    client = _client(clerk)
    desk = _text(client.get(f"/desk/receipt/{no}/"))
    office = _text(client.get(f"/reports/documents/{no}/receipt/"))
    for limit in receipt_for(market["done"]).limits:
        due = timezone.localtime(limit.due_at).strftime("%Y-%m-%d %H:%M")
        assert limit.label in desk and limit.label in office
        assert due in desk and due in office
    assert f"/portal/track/{no}/" in desk and f"/portal/track/{no}/" in office


# ---------------------------------------------------------------- reviewer's findings


@pytest.fixture
def school():
    """The school's transfer: registration opens the slip's and the investigation's
    limits; the findings close the investigation's; the transfer closes the slip's and
    opens the three coordination limits (1, 3 and 7 days) — all within a second."""
    people = demo_organisation_create("school")
    complaint = complaint_register(
        actor=people["reception"],
        channel="walk_in",
        title="数学老师本月第二次迟到二十分钟",
        description="初二数学提高班任课老师迟到约二十分钟，耽误的课时没有补上。",
        category="teacher_attendance",
        nature="problem",
        complainant=ComplainantData(name="李女士", phone="13807150000"),
    )
    _act(complaint, people["investigator"], "slip_findings", findings="考勤记录：本月两次迟到")
    _act(
        complaint,
        people["reception"],
        "transfer",
        department="teaching",
        slip="迟到两次，附考勤截图",
        assignee="teaching_handler",
    )
    return {"people": people, "complaint": complaint}


def test_the_transfer_slip_lists_only_the_limits_the_transfer_opened(school):
    complaint = school["complaint"]
    opened_at_registration = {"transfer_slip", "slip_investigation"}
    assert opened_at_registration <= set(
        Deadline.objects.filter(complaint=complaint).values_list("kind", flat=True)
    )
    page = _text(
        _client(school["people"]["reception"]).get(
            f"/reports/documents/{complaint.tracking_no}/transfer/"
        )
    )
    started = _section(page, "transfer-limits")
    found = re.findall(r"<td[^>]*>([^<]+)</td><td[^>]*>", started)
    assert found == ["协调处理（1日）", "协调处理督办（3日）", "协调处理期限（7日）"]
    # Opened at registration (seconds before) and closed by then: not on the slip at all.
    assert "投诉接收单传递时限" not in page and "投诉调查（本日内）" not in page
    assert 'id="transfer-running"' not in page  # nothing else was running
    for row in Deadline.objects.filter(complaint=complaint, stage="coordination"):
        assert timezone.localtime(row.due_at).strftime("%Y-%m-%d %H:%M") in started


def test_a_refused_complaint_gets_a_receipt_of_delivery_not_of_acceptance(market):
    clerk = market["people"]["clerk"]
    client = _client(clerk)
    refused = market["refused"].tracking_no
    menu = _text(client.get(f"/reports/documents/{refused}/", headers={"HX-Request": "true"}))
    with translation.override("zh-hans"):
        menu_zh = _text(
            client.get(f"/reports/documents/{refused}/", headers={"HX-Request": "true"})
        )
    assert "/receipt/" in menu  # proof of delivery is still offered …
    assert _zh("Receipt of delivery") in menu_zh  # … as a receipt of delivery
    assert _zh("Receipt of acceptance") not in menu_zh
    page = _text(client.get(f"/reports/documents/{refused}/receipt/"))
    body = page.split('id="document"', 1)[1]
    assert 'data-receipt="delivery"' in body and 'data-receipt="acceptance"' not in body
    assert f'<h1 align="center">{_zh("Receipt of delivery")}</h1>' in body
    assert refused in body and "商场停车收费过高" in body
    # No acceptance wording and no time limits (受理时限, 办结时限 …) on it.
    assert "受理" not in strip_tags(body)
    assert _zh("Received at") not in body and _zh("Received by") not in body
    assert "时限" not in body
    # The PDF says the same: a receipt of delivery.
    text = re.sub(
        r"\s+", "", pdf_text(client.get(f"/reports/documents/{refused}/receipt.pdf").content)
    )
    assert re.sub(r"\s+", "", _zh("Receipt of delivery")) in text and "受理时限" not in text
    # An accepted complaint keeps its receipt of acceptance with its limits.
    done = _text(client.get(f"/reports/documents/{market['done'].tracking_no}/receipt/"))
    assert 'data-receipt="acceptance"' in done and "受理时限" in done
    assert f'<h1 align="center">{_zh("Receipt of acceptance")}</h1>' in done
    # The shared receipt (the desk prints it too) carries no limit for a refused complaint.
    assert receipt_for(market["refused"]).refused and not receipt_for(market["refused"]).limits


def test_a_stored_supervision_notice_reprints_whom_it_was_sent_to(market):
    people = market["people"]
    late = market["late"]
    # The notice went to the clerk who holds the case (王晓梅). Then the case moves on:
    # accepted, handled and transferred to 商品质量管理部 (刘洋, head 孙志强).
    _act(late, people["clerk"], "accept")
    _act(late, people["investigator"], "propose", opinion="责令商家按标价结算并退还差价")
    _act(late, people["leader"], "approve", note="同意")
    _act(late, people["clerk"], "transfer", department="quality", slip="附小票", assignee="handler")
    late.refresh_from_db()
    assert late.assignee == people["handler"]
    page = _text(
        _client(people["supervisor"]).get(f"/reports/documents/{late.tracking_no}/supervision/")
    )
    answer_by = re.search(r'id="supervision-answer-by">(.*?)</tr>', page)
    assert answer_by is not None
    assert "王晓梅" in answer_by.group(1)
    assert "刘洋" not in answer_by.group(1) and "孙志强" not in answer_by.group(1)
    assert "请立即受理" in page  # still the stored notice


def test_a_drills_documents_carry_the_drill_marker(market, settings):
    no = market["done"].tracking_no
    client = _client(market["people"]["clerk"])
    page = _text(client.get(f"/reports/documents/{no}/receipt/"))
    assert 'id="document-drill"' not in page and 'id="drill-banner"' not in page
    settings.TOUSU_DRILL = True
    page = _text(client.get(f"/reports/documents/{no}/receipt/"))
    assert 'id="drill-banner"' in page  # base.html's banner …
    assert 'id="document-drill"' in page.split('id="document"', 1)[1]  # … and the document's
    marker = _zh("DRILL — a rehearsal document on simulated complaints, not a real case")
    # The PDF and the Word file are made from the body: they carry it too.
    docx = Document(io.BytesIO(client.get(f"/reports/documents/{no}/case-file.docx").content))
    assert marker in "\n".join(p.text for p in docx.paragraphs)
    assert (
        document_render(
            "receipt", user=market["people"]["clerk"], complaint=market["done"]
        ).body.count('id="document-drill"')
        == 1
    )


def test_the_print_stylesheet_keeps_the_drill_marker(settings):
    """The print block hides alerts, but not the drill banner nor the document's marker
    (the browser test shows the rest of the block at work)."""
    css = (Path(tousu.__file__).parent / "static" / "tousu" / "tousu.css").read_text(
        encoding="utf-8"
    )
    block = css[css.index("@media print") :]
    rules = dict(
        (selectors.strip(), body) for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", block)
    )
    hidden = next(sel for sel, body in rules.items() if "display: none" in body)
    assert "#drill-banner" not in hidden and ".alert" in hidden
    shown = next(sel for sel in rules if "#drill-banner" in sel)
    assert ".document-drill" in shown
    assert "display: block !important" in rules[shown]


def _catalogue_leftovers(body: str, data: list[str]) -> list[str]:
    """Runs of 3+ ASCII letters left in a document body once its tags and the data put
    into it (tracking numbers, addresses, file names, digests) are taken out."""
    text = strip_tags(body).replace("&nbsp;", " ")
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    text = re.sub(r"TS-[\w-]+|https?://[!-~]+|(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])", " ", text)
    text = text.replace("SHA-256", " ")
    return re.findall(r"[A-Za-z]{3,}", text)


def test_every_document_prints_in_chinese(market):
    leader = market["people"]["leader"]
    supervisor = market["people"]["supervisor"]
    cases = [
        ("done", "receipt", leader),
        ("refused", "receipt", leader),
        ("refused", "refusal", leader),
        ("done", "transfer", leader),
        ("late", "supervision", supervisor),
        ("done", "instruction", leader),
        ("done", "case-file", leader),
    ]
    data = [a.original_name for a in market["done"].attachments.all()]
    data += [a.sha256 for a in market["done"].attachments.all()]
    left = {}
    for key, kind, user in cases:
        rendered = document_render(kind, user=user, complaint=market[key])
        words = _catalogue_leftovers(rendered.body, data)
        if words:
            left[(key, kind)] = words
    assert left == {}
