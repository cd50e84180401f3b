"""The readable comparison of two plan revisions (plans:diff)."""

from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from tousu.conftest import PASSWORD
from tousu.plans.compare import plan_compare
from tousu.plans.services import plan_load
from tousu.plans.validation import plan_parse

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).with_name("example.yaml")
SOURCE = EXAMPLE.read_text(encoding="utf-8")


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def changes(a: str, b: str):
    with translation.override("zh-hans"):
        sections = plan_compare(plan_parse(a).plan, plan_parse(b).plan)
    return [(s.title, c.kind, c.subject, c.before, c.after) for s in sections for c in s.changes]


@pytest.fixture
def revisions(org):
    plan_load(source=EXAMPLE.read_bytes())
    plan_load(source=SOURCE.replace("amount: 3,", "amount: 2,"), author=org.admin, note="缩短")
    plan_load(source=SOURCE.replace("amount: 3,", "amount: 2,") + "\n# 只改注释\n")
    return org


def test_diff_page_shows_the_changed_deadline_in_colour_with_the_raw_diff_folded(revisions):
    page = login(revisions.leader).get("/plans/shop/diff/1/2/").content.decode()
    assert 'class="diff-changed' in page
    assert "处理时限" in page
    assert '<span class="diff-from">3 工作日</span> → <span class="diff-to">2 工作日</span>' in page
    # The raw file diff stays, folded, for experts.
    assert "<details" in page and "amount: 3," in page and "amount: 2," in page
    assert 'class="del"' in page and 'class="add"' in page
    # Keys never reach the reader in the readable part.
    readable = page.split("<details", 1)[0]
    assert "working_days" not in readable and "handling" not in readable


def test_same_revision_twice_says_no_differences(revisions):
    response = login(revisions.leader).get("/plans/shop/diff/2/2/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "r2" in page and 'class="alert alert-info"' in page
    assert "diff-changed" not in page and "<details" not in page


def test_a_comment_only_change_has_no_differences_in_content(revisions):
    page = login(revisions.leader).get("/plans/shop/diff/2/3/").content.decode()
    assert 'class="alert alert-info"' in page and "diff-changed" not in page
    assert "只改注释" in page  # visible in the folded file diff


def test_unknown_revision_or_plan_is_404_and_the_permission_holds(revisions):
    leader = login(revisions.leader)
    assert leader.get("/plans/shop/diff/1/9/").status_code == 404
    assert leader.get("/plans/shop/diff/9/1/").status_code == 404
    assert leader.get("/plans/nope/diff/1/2/").status_code == 404
    assert login(revisions.clerk).get("/plans/shop/diff/1/2/").status_code == 403


def test_the_pick_form_redirects_or_says_what_is_wrong(revisions):
    leader = login(revisions.leader)
    response = leader.get("/plans/shop/diff/?a=1&b=2")
    assert response.status_code == 302 and response["Location"] == "/plans/shop/diff/1/2/"
    response = leader.get("/plans/shop/diff/?a=x&b=2", follow=True)
    assert response.redirect_chain[-1][0] == "/plans/shop/"
    assert 'class="alert alert-danger"' in response.content.decode()


def test_stages_actions_and_transitions_added_removed_changed():
    new = SOURCE.replace(
        "{key: send_back, type: send_back, label: 退回, by: [manager], to: handling}",
        "{key: send_back, type: send_back, label: 退回, by: [manager], to: intake}",
    ).replace(
        "      - {key: refuse, type: refuse, label: 不予受理, by: [clerk], to: closed, "
        "requires: [reason]}\n",
        "",
    )
    found = changes(SOURCE, new)
    kinds = {(kind, subject) for _t, kind, subject, _b, _a in found}
    assert any(k == "removed" and "不予受理" in s for k, s in kinds)
    changed = [f for f in found if f[1] == "changed" and "退回" in f[2]]
    assert changed and "处理" in changed[0][3] and "受理" in changed[0][4]


def test_categories_severities_penalties_levels_and_messages():
    new = (
        SOURCE.replace("{key: service, label: 服务态度}", "{key: service, label: 服务态度与礼仪}")
        .replace("  - {key: urgent, label: 紧急}\n", "")
        .replace("      amount: 200\n", "      amount: 300\n")
        .replace("{key: IV, label: 一般, colour: blue}", "{key: IV, label: 一般, colour: red}")
        .replace("received: 您的投诉已受理，编号{tracking_no}。", "received: 已受理：{tracking_no}")
        .replace("when: {severity: [urgent]}", "when: {severity: [major]}")
    )
    found = changes(SOURCE, new)
    flat = [" ".join(str(x) for x in f) for f in found]
    assert any("changed" in f and "服务态度" in f and "服务态度与礼仪" in f for f in flat)
    assert any(
        f.startswith(("级别", "Severities")) and "removed" in f and "紧急" in f for f in flat
    ) or any("removed" in f and "紧急" in f for f in flat)
    assert any("处理后重复投诉" in f and "200" in f and "300" in f for f in flat)
    assert any("一般" in f and "changed" in f for f in flat)
    assert any("已受理：{tracking_no}" in f for f in flat)
    for f in found:
        assert "urgent" not in " ".join(f[2:]) and "major" not in " ".join(f[2:])


def test_identical_plans_have_no_sections():
    assert changes(SOURCE, SOURCE + "\n# 注释\n") == []


def test_group_membership_and_role_changes_are_shown_not_only_labels():
    new = SOURCE.replace(
        "{label: 投诉处理领导小组, lead: manager, members: [manager]}",
        "{label: 投诉处理领导小组, lead: manager, members: [clerk, handler]}",
    ).replace("{label: 客服, system_role: intake_clerk}", "{label: 客服, system_role: supervisor}")
    found = changes(SOURCE, new)
    rows = [(kind, subject, before, after) for _t, kind, subject, before, after in found]
    assert ("removed", "投诉处理领导小组：成员", "店长", "") in rows or any(
        k == "removed" and "投诉处理领导小组" in s and b == "店长" for k, s, b, _a in rows
    )
    added = sorted(a for k, s, _b, a in rows if k == "added" and "投诉处理领导小组" in s)
    assert added == ["客服", "承办人员"]
    role = [r for r in rows if r[0] == "changed" and "客服" in r[1]]
    assert role and "受理员" in role[0][2] and "督办" in role[0][3]
    for f in found:
        text = " ".join(f[2:])
        assert "supervisor" not in text and "intake_clerk" not in text and "manager" not in text


PEAK_AND_REPORT = (
    "  peak:\n"
    '    - {key: march, label: 3·15高峰期, start: "03-01", end: "03-31",'
    " first_contact: {amount: 1, unit: hours}}\n"
    "  report_to:\n"
    "    - {key: samr, label: 市场监督管理部门, levels: [III], within: {amount: 4, unit: hours}}\n"
)


def test_peak_periods_and_reports_upward_have_their_own_lines():
    new = SOURCE.replace("\nemergency:\n", "\nemergency:\n" + PEAK_AND_REPORT, 1)
    assert new != SOURCE
    flat = [" ".join(str(x) for x in f) for f in changes(SOURCE, new)]
    assert any("added" in f and "3·15高峰期" in f and "03-01" in f and "1 小时" in f for f in flat)
    assert any(
        "added" in f and "市场监督管理部门" in f and "4 小时" in f and "较大" in f for f in flat
    )
    assert not any("其他应急设置" in f or "Other emergency" in f for f in flat)
    sooner = new.replace("within: {amount: 4, unit: hours}}", "within: {amount: 2, unit: hours}}")
    found = changes(new, sooner)
    assert len(found) == 1
    _title, kind, subject, before, after = found[0]
    assert kind == "changed" and "市场监督管理部门" in subject
    assert "4 小时" in before and "2 小时" in after
