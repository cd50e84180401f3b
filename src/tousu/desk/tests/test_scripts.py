"""The reply scripts (话术) every shipped plan gives the desk, and which a call shows."""

from __future__ import annotations

import pytest
import yaml

from tousu.desk.selectors import category_label, scripts_for
from tousu.plans.schema import Plan
from tousu.plans.services import TEMPLATE_KEYS, template_source


def _plan(key: str) -> Plan:
    return Plan.model_validate(yaml.safe_load(template_source(key)))


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_every_template_has_a_few_short_scripts_for_every_call(key):
    plan = _plan(key)
    lines = [line for group in plan.scripts.values() for line in group]
    assert 3 <= len(lines) <= 8
    assert plan.scripts.get("*"), "the opening lines every call needs"
    assert all(len(line) <= 80 for line in lines)


def test_a_category_shows_its_own_its_parents_and_the_general_scripts():
    school = _plan("school")
    groups = scripts_for(school, "campus_safety")
    assert [g.key for g in groups] == ["*", "campus_service", "campus_safety"]
    assert groups[1].label == "服务投诉"
    assert [g.key for g in scripts_for(school, "lesson_quality")] == ["*", "teaching"]
    assert [g.key for g in scripts_for(school, "")] == ["*"]
    assert [g.key for g in scripts_for(school, "no_such_category")] == ["*"]
    assert scripts_for(None, "campus_safety") == []
    assert category_label(school, "campus_safety").startswith("校区安全保障")
