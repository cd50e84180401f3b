"""The flow chart drawn from a plan revision: every shipped template, loops as loops,
a pure function of the revision, and the pages that show it."""

from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import translation

from tousu.conftest import PASSWORD
from tousu.plans.flowchart import flowchart, wrap
from tousu.plans.services import TEMPLATE_KEYS, plan_load, template_source
from tousu.plans.validation import plan_parse

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).with_name("example.yaml")
SVG = "{http://www.w3.org/2000/svg}"


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _has_cycle(plan) -> bool:
    """An independent look for a loop among the plan's transitions."""
    edges = {key: set() for key in plan.stages}
    for key, stage in plan.stages.items():
        for action in stage.actions:
            for target in (action.to, action.on_satisfied, action.on_dissatisfied):
                if target in plan.stages and target != key and action.type != "withdraw":
                    edges[key].add(target)
    if plan.follow_up and plan.follow_up.reopen_to:
        for key, stage in plan.stages.items():
            if stage.terminal:
                edges[key].add(plan.follow_up.reopen_to)

    def reaches(start, goal, seen):
        for nxt in edges[start]:
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                if reaches(nxt, goal, seen):
                    return True
        return False

    return any(reaches(key, key, set()) for key in plan.stages)


def _parse(svg: str) -> ElementTree.Element:
    """Our own chart (not untrusted input): well-formed XML, or this raises."""
    return ElementTree.fromstring(svg)  # noqa: S314


def _texts(svg: str) -> list[str]:
    root = _parse(svg)
    return [el.text or "" for el in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_every_template_draws_every_stage_once_and_its_loops(key):
    revision = plan_load(source=template_source(key))
    plan = revision.plan_model
    with translation.override("zh-hans"):
        chart = flowchart(plan)
    texts = "\n".join(_texts(chart.svg))
    root = _parse(chart.svg)
    boxes = [g for g in root.iter(f"{SVG}g") if "fc-stage" in (g.get("class") or "")]
    # One box per stage: a loop goes back to the box, it does not copy it.
    assert sorted(g.get("data-stage") for g in boxes) == sorted(
        s.label for s in plan.stages.values()
    )
    for stage in plan.stages.values():
        # The label may wrap over lines inside its box; its text is all there.
        assert stage.label.replace(" ", "")[:8] in texts.replace("\n", "").replace(" ", "")
    in_boxes = [t.text for g in boxes for t in g.iter(f"{SVG}text")]
    for stage_key in plan.stages:
        assert stage_key not in in_boxes, f"internal key {stage_key} shown"
    assert _has_cycle(plan)
    assert chart.back_edges, f"{key}: the plan loops but no edge goes back"
    assert chart.svg.count('class="fc-edge fc-') >= len(chart.edges)
    if plan.emergency:
        for level in plan.emergency.levels:
            assert level.label in texts


def test_the_chart_is_a_pure_function_of_the_plan():
    plan = plan_parse(EXAMPLE.read_bytes()).plan
    with translation.override("zh-hans"):
        assert flowchart(plan).svg == flowchart(plan).svg


def test_loops_are_back_edges_and_the_emergency_lane_has_its_colours():
    plan = plan_parse(EXAMPLE.read_bytes()).plan
    with translation.override("zh-hans"):
        chart = flowchart(plan)
    # 退回 (approval → handling), dissatisfied (feedback → handling), follow-up reopening.
    assert set(chart.back_edges) == {
        ("approval", "handling"),
        ("feedback", "handling"),
        ("closed", "handling"),
    }
    texts = _texts(chart.svg)
    assert any("处理时限" in t and "3 工作日" in t for t in texts)
    assert any("[级别：紧急]" in t or "紧急" in t for t in texts)
    assert "投诉处理领导小组" in " ".join(texts)
    # Level chips in the plan's colours: yellow III, blue IV.
    assert "#fcc419" in chart.svg and "#1c7ed6" in chart.svg
    assert "较大" in texts and "一般" in texts


def test_two_revisions_differing_in_a_deadline_or_a_transition_draw_differently():
    source = EXAMPLE.read_text(encoding="utf-8")
    base = plan_parse(source).plan
    shorter = plan_parse(
        source.replace("amount: 3, unit: working_days", "amount: 5, unit: days")
    ).plan
    moved = plan_parse(
        source.replace(
            "{key: send_back, type: send_back, label: 退回, by: [manager], to: handling}",
            "{key: send_back, type: send_back, label: 退回重审, by: [manager], to: intake}",
        )
    ).plan
    with translation.override("zh-hans"):
        a, b, c = flowchart(base), flowchart(shorter), flowchart(moved)
    assert a.svg != b.svg and a.svg != c.svg
    assert any("5 自然日" in t for t in _texts(b.svg))
    assert not any("5 自然日" in t for t in _texts(a.svg))
    assert any("退回重审 → 受理" in t for t in _texts(c.svg))
    assert ("approval", "intake") in c.back_edges


def test_long_labels_wrap_inside_the_box_and_end_in_an_ellipsis():
    lines = wrap("报送处理结果和应对方案（恶意投诉）" * 3, 100, 12, max_lines=2)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert wrap("短", 100, 12) == ["短"]


@pytest.fixture
def two_revisions(org):
    plan_load(source=EXAMPLE.read_bytes())
    plan_load(
        source=EXAMPLE.read_text(encoding="utf-8").replace("amount: 3,", "amount: 2,"),
        author=org.admin,
        note="处理时限缩短为2个工作日",
    )
    return org


def test_plan_page_shows_the_chart_of_the_selected_revision(two_revisions):
    client = login(two_revisions.leader)
    page = client.get("/plans/shop/").content.decode()
    assert 'class="flowchart-svg"' in page and "plans/flowchart.css" in page
    assert "处理时限" in page and "3 工作日" in page  # r1 is active
    page = client.get("/plans/shop/?r=2").content.decode()
    assert "2 工作日" in page and "3 工作日" not in page
    assert "/plans/shop/r2/flow.svg" in page
    # The stage table names stages by their labels, not their keys.
    assert ">handling<" not in page
    assert client.get("/plans/shop/?r=9").status_code == 404
    assert client.get("/plans/shop/?r=x").status_code == 404
    assert client.get("/plans/nope/").status_code == 404


def test_svg_url_serves_the_chart_through_the_plan_permission(two_revisions):
    client = login(two_revisions.leader)
    response = client.get("/plans/shop/r2/flow.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    body = response.content.decode()
    assert "处理时限" in body and "2 工作日" in body
    _parse(body.split("?>", 1)[1])
    assert client.get("/plans/shop/r7/flow.svg").status_code == 404
    assert login(two_revisions.clerk).get("/plans/shop/r2/flow.svg").status_code == 403
    assert Client().get("/plans/shop/r2/flow.svg").status_code == 302
