"""The hotline desk: the caller's earlier complaints by number, the repeat flag, the
plan's scripts, registering a call, and the printed receipt."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tousu.audit.models import AuditEvent
from tousu.complaints.access import access_code_matches
from tousu.complaints.choices import EventAction
from tousu.complaints.models import Complaint
from tousu.desk.receipts import CODE_SHOWN
from tousu.desk.tests.conftest import CALLER, act, login, register

pytestmark = pytest.mark.django_db


def _numbers(html: str) -> set[str]:
    return set(re.findall(r"TS-\d{8}-\d{6}", html))


def _summary(html: str) -> str:
    """The line beside the phone field (the look-up sends it out of band)."""
    return html[html.index('id="caller-summary"') :].split("</div>")[0]


def _summary_count(html: str) -> int | None:
    """How many earlier complaints the line beside the phone field counts (None: it
    counts none)."""
    counted = re.search(r'id="caller-count" data-count="(\d+)"', _summary(html))
    return int(counted.group(1)) if counted else None


def _flag(html: str) -> str:
    return html[html.index('id="repeat-flag"') :].split("</div>")[0]


def test_the_desk_shows_a_callers_earlier_complaints_by_phone_number(desk):
    first = register(desk.hotline)
    second = register(desk.hotline, category="after_sales", title="洗衣机保修期内维修一个月未修好")
    # The clerk takes a third one on from intake: the hotline operator may not open it.
    unseen = register(desk.clerk)
    act(unseen, desk.clerk, "accept")
    other = register(desk.hotline, phone="13987654321")
    client = login(desk.hotline)

    found = client.get("/desk/lookup/", {"phone": CALLER})
    html = found.content.decode()
    assert found.status_code == 200
    assert _numbers(html) == {first.tracking_no, second.tracking_no}
    assert "投诉受理" in html  # the plan's stage label
    assert _summary_count(html) == 2  # the one not shown is not counted either

    # However the caller's number is written.
    spaced = client.get("/desk/lookup/", {"phone": "+86 138-1234-5678"}).content.decode()
    assert _numbers(spaced) == {first.tracking_no, second.tracking_no}

    alone = client.get("/desk/lookup/", {"phone": "13987654321"}).content.decode()
    assert _numbers(alone) == {other.tracking_no}
    nobody = client.get("/desk/lookup/", {"phone": "13700000000"}).content.decode()
    assert _numbers(nobody) == set() and 'id="caller-none"' in nobody

    # The whole desk opened on a caller (a softphone's link) lists them too.
    page = client.get("/desk/", {"phone": CALLER}).content.decode()
    assert {first.tracking_no, second.tracking_no} <= _numbers(page)
    assert unseen.tracking_no not in page


def test_a_call_about_a_handled_matter_is_flagged_as_a_repeat_with_a_link(desk):
    earlier = register(desk.hotline)
    act(earlier, desk.clerk, "refuse", reason="不属于本市场受理范围")
    client = login(desk.hotline)

    html = client.get("/desk/lookup/", {"phone": CALLER, "category": "quality"}).content.decode()
    assert f'href="/complaints/{earlier.tracking_no}/"' in _flag(html)
    # Another category is no repeat.
    other = client.get("/desk/lookup/", {"phone": CALLER, "category": "after_sales"})
    assert 'id="repeat-flag"' not in other.content.decode()

    # Registered anyway, the new one carries the mark on the list.
    register(desk.hotline)
    listed = client.get("/desk/lookup/", {"phone": CALLER}).content.decode()
    assert f"← {earlier.tracking_no}" in listed


def test_a_complaint_the_desk_may_not_open_leaves_no_trace_on_it(desk):
    """Handled complaints of this caller: one the clerk took on from intake (not the
    hotline's department), then a confidential one. A complaint the staff member may not
    open is not listed, not counted, and not the reason for a repeat flag."""
    elsewhere = register(desk.clerk)
    act(elsewhere, desk.clerk, "refuse", reason="不属于本市场受理范围")
    confidential = register(desk.clerk, confidential=True)
    act(confidential, desk.clerk, "refuse", reason="不属于本市场受理范围")
    secret = register(desk.clerk, category="after_sales", confidential=True)
    act(secret, desk.clerk, "refuse", reason="不属于本市场受理范围")
    hidden = {elsewhere.tracking_no, confidential.tracking_no, secret.tracking_no}

    # The hotline operator may open none of them: the desk knows of no earlier complaint.
    hotline = login(desk.hotline)
    for category in ("", "quality", "after_sales"):
        params = {"phone": CALLER, "category": category}
        html = hotline.get("/desk/lookup/", params).content.decode()
        assert _numbers(html) == set() and 'id="caller-none"' in html
        assert 'id="repeat-flag"' not in html and _summary_count(html) is None
        page = hotline.get("/desk/", params).content.decode()
        assert not _numbers(page) & hidden and 'id="repeat-flag"' not in page

    # An administrator sees every department but not confidential complaints: the
    # repeat flag points at the one they may open, though a newer confidential one exists.
    admin = login(desk.admin)
    html = admin.get("/desk/lookup/", {"phone": CALLER, "category": "quality"}).content.decode()
    assert _numbers(html) == {elsewhere.tracking_no}
    assert f'href="/complaints/{elsewhere.tracking_no}/"' in _flag(html)
    assert _numbers(_summary(html)) == {elsewhere.tracking_no}
    # Of the confidential one alone in its category: no flag.
    html = admin.get("/desk/lookup/", {"phone": CALLER, "category": "after_sales"})
    assert 'id="repeat-flag"' not in html.content.decode()
    assert _summary_count(html.content.decode()) == 1

    # Registered anyway: the rule still marks the repeat on the new complaint's
    # timeline (of the newest, confidential one), but the desk does not point at it.
    new = register(desk.hotline)
    marks = AuditEvent.objects.filter(complaint=new, action=EventAction.REPEAT)
    assert [e.data["earlier"] for e in marks] == [confidential.tracking_no]
    html = hotline.get("/desk/lookup/", {"phone": CALLER}).content.decode()
    assert _numbers(html) == {new.tracking_no} and _summary_count(html) == 1
    assert "←" not in html and "text-bg-warning" not in html
    html = admin.get("/desk/lookup/", {"phone": CALLER}).content.decode()
    assert _numbers(html) == {new.tracking_no, elsewhere.tracking_no}
    assert "←" not in html and _summary_count(html) == 2

    # The clerk, who may open them all, is told of the newest.
    clerk = login(desk.clerk)
    html = clerk.get("/desk/lookup/", {"phone": CALLER, "category": "quality"}).content.decode()
    assert f'href="/complaints/{confidential.tracking_no}/"' in _flag(html)
    assert _numbers(_summary(html)) == {confidential.tracking_no}


def test_the_plans_scripts_for_the_category_are_shown(desk):
    client = login(desk.hotline)
    quality = client.get("/desk/scripts/", {"category": "quality"}).content.decode()
    assert "请保留好购物小票" in quality  # the category's own
    assert "投诉受理员" in quality  # and those for every call
    assert "价签" not in quality  # not another category's
    price = client.get("/desk/scripts/", {"category": "price_fraud"}).content.decode()
    assert "价签" in price and "购物小票" not in price
    # The desk page shows them beside the form for the category typed so far.
    page = client.get("/desk/", {"category": "price_fraud"}).content.decode()
    assert "价签" in page


def _form(**overrides) -> dict[str, str]:
    data = {
        "complainant_phone": CALLER,
        "category": "quality",
        "complainant_name": "张伟",
        "description": "电热水壶使用一周后底座漏水，商家拒绝调换。\n要求退货。",
        "channel": "phone",
        "severity": "ordinary",
        "nature": "problem",
    }
    data.update(overrides)
    return data


def test_a_call_is_registered_from_the_desk_and_its_code_shown_for_a_while(desk):
    client = login(desk.hotline)
    response = client.post("/desk/", _form())
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/done/{complaint.tracking_no}/"
    # The title defaults to the start of what happened.
    assert complaint.title == "电热水壶使用一周后底座漏水，商家拒绝调换。"
    assert complaint.channel == "phone" and complaint.received_by == desk.hotline

    done = client.get(response["Location"]).content.decode()
    code = re.search(r'id="access-code">(\w+)<', done).group(1)
    assert complaint.tracking_no in done and access_code_matches(complaint, code)

    receipt = client.get(f"/desk/receipt/{complaint.tracking_no}/").content.decode()
    assert complaint.tracking_no in receipt and f'id="receipt-code">{code}<' in receipt
    assert "受理时限" in receipt  # the plan's limit for its first step
    assert f"/portal/track/{complaint.tracking_no}/" in receipt
    # Switching the paper without JavaScript reloads the receipt: the code is still there.
    for paper in ("a4", "a5"):
        again = client.get(f"/desk/receipt/{complaint.tracking_no}/", {"paper": paper})
        assert f'id="receipt-code">{code}<' in again.content.decode()
    assert code in client.get(response["Location"]).content.decode()

    # Ten minutes after registering it is gone: the receipt says it was given then.
    with time_machine.travel(timezone.now() + CODE_SHOWN + timedelta(seconds=1), tick=False):
        later = client.get(f"/desk/receipt/{complaint.tracking_no}/", {"paper": "a4"})
        html = later.content.decode()
        assert code not in html and 'id="receipt-code-given"' in html
        assert complaint.tracking_no in html
        done = client.get(response["Location"]).content.decode()
        assert code not in done and 'id="access-code-given"' in done
    # Another browser never had it.
    other = login(desk.hotline).get(f"/desk/receipt/{complaint.tracking_no}/").content.decode()
    assert code not in other and 'id="receipt-code-given"' in other


def test_the_receipt_does_not_claim_the_code_is_only_printed(desk):
    client = login(desk.hotline)
    client.post("/desk/", _form())
    complaint = Complaint.objects.get()
    html = client.get(f"/desk/receipt/{complaint.tracking_no}/").content.decode()
    assert "请妥善保管查询码" in html or "Keep the code private" in html
    assert "only on this receipt" not in html and "只在本回执上打印" not in html


def test_a_bad_phone_number_is_refused_beside_its_field_and_nothing_is_stored(desk):
    client = login(desk.hotline)
    response = client.post("/desk/", _form(complainant_phone="12345"))
    html = response.content.decode()
    assert response.status_code == 422 and Complaint.objects.count() == 0
    assert 'data-field="complainant_phone">不是有效的中国大陆电话号码' in html
    assert 'value="12345"' in html  # what was typed stays

    # Without what happened the title has nothing to start from: one error, there.
    html = client.post("/desk/", _form(description="")).content.decode()
    assert 'data-field="description"' in html and 'data-field="title"' not in html
    assert Complaint.objects.count() == 0


def test_looking_up_without_javascript_keeps_what_was_typed(desk):
    earlier = register(desk.hotline)
    client = login(desk.hotline)
    response = client.post("/desk/", {**_form(description="还没说完"), "lookup": "1"})
    html = response.content.decode()
    assert response.status_code == 200 and Complaint.objects.count() == 1
    assert earlier.tracking_no in html and "还没说完" in html


def test_the_receipt_is_printed_only_for_staff_who_may_see_the_complaint(desk):
    unseen = register(desk.clerk)
    act(unseen, desk.clerk, "accept")
    assert login(desk.clerk).get(f"/desk/receipt/{unseen.tracking_no}/").status_code == 200
    assert login(desk.hotline).get(f"/desk/receipt/{unseen.tracking_no}/").status_code == 404
    # Nor does the page after registering show a complaint this desk did not just register.
    assert login(desk.hotline).get(f"/desk/done/{unseen.tracking_no}/").status_code == 404
    anonymous = Client().get(f"/desk/receipt/{unseen.tracking_no}/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_only_staff_who_may_register_use_the_desk(desk):
    handler = login(desk.users["handler"])
    assert handler.get("/desk/").status_code == 302
    assert handler.get("/desk/lookup/", {"phone": CALLER}).status_code == 403
    assert handler.post("/desk/", _form()).status_code == 302
    assert Complaint.objects.count() == 0
    nav = login(desk.hotline).get("/complaints/").content.decode()
    assert 'href="/desk/"' in nav
    assert 'href="/desk/"' not in handler.get("/complaints/").content.decode()


def test_the_lookup_reads_a_fixed_number_of_queries(desk, django_assert_num_queries):
    earlier = register(desk.hotline)
    act(earlier, desk.clerk, "refuse", reason="不属于本市场受理范围")
    client = login(desk.hotline)
    client.get("/desk/lookup/", {"phone": CALLER, "category": "quality"})
    for _ in range(4):
        register(desk.hotline, category="after_sales")
    with django_assert_num_queries(PINNED):
        html = client.get("/desk/lookup/", {"phone": CALLER, "category": "quality"})
    assert len(_numbers(html.content.decode())) == 5


# Session, user, the configuration token (permissions and roles then come from the
# process's cache: a GET changes nothing), the active plan, the plan's revisions (2),
# departments, the caller's visible complaints, the repeat marks — not one more per
# complaint.
PINNED = 9
