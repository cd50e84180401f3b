"""The plan's KPI standard (``kpi:``): the shipped ones, and a bad one refused with the
field named."""

from pathlib import Path

import pytest
import yaml

from tousu.plans.validation import plan_parse

TEMPLATES = Path(__file__).resolve().parents[1] / "templates_yaml"


def _source(template: str) -> dict:
    return yaml.safe_load((TEMPLATES / f"{template}.yaml").read_text(encoding="utf-8"))


def _errors(data: dict) -> list[str]:
    result = plan_parse(yaml.safe_dump(data, allow_unicode=True))
    assert not result.ok
    return [str(e) for e in result.errors]


def test_the_assurance_template_ships_our_standard_and_says_so():
    result = plan_parse((TEMPLATES / "assurance.yaml").read_bytes())
    assert result.ok, result.errors
    kpi = result.plan.kpi
    assert sum(i.weight for i in kpi.indicators) == 100
    # Ours, not the seed's 附件3: said in the standard and in every indicator.
    assert "附件3" in kpi.description and "本系统制定" in kpi.description
    assert all("本系统制定" in i.description for i in kpi.indicators)
    text = (TEMPLATES / "assurance.yaml").read_text(encoding="utf-8")
    assert "附件3 KPI standard is NOT included" in text
    # The zero-yuan ledger rules stay as records.
    assert {r.key for r in result.plan.penalties.rules} >= {"kpi_response", "kpi_repeat"}


def test_the_government_template_is_shaped_like_the_12345_evaluation():
    result = plan_parse((TEMPLATES / "government.yaml").read_bytes())
    assert result.ok, result.errors
    kpi = result.plan.kpi
    groups: dict[str, int] = {}
    for indicator in kpi.indicators:
        groups[indicator.group] = groups.get(indicator.group, 0) + int(indicator.weight)
    assert groups == {"服务响应": 30, "服务规范": 20, "问题解决": 50}
    labels = " ".join(i.label for i in kpi.indicators)
    for word in ("响应率", "及时率", "办理规范", "服务态度", "解决率", "满意率"):
        assert word in labels


def test_weights_that_do_not_add_up_to_100_are_refused_naming_the_field():
    data = _source("assurance")
    data["kpi"]["indicators"][0]["weight"] = 10  # 20 → 10: the total is 90
    assert _errors(data) == ["kpi.indicators: the weights add up to 90; they must add up to 100"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            {"deduct": 2},
            "kpi.indicators.0: give either deduct or full_at and zero_at, not both",
        ),
        ({"full_at": None}, "kpi.indicators.0: give full_at and zero_at (or deduct, for a count)"),
        ({"zero_at": 98}, "kpi.indicators.0.zero_at: must differ from full_at"),
        ({"full_at": 120}, "kpi.indicators.0.full_at: a rate is a percentage: at most 100"),
        ({"deadlines": ["nowhere"]}, "kpi.indicators.0.deadlines.0: no deadline “nowhere”"),
        ({"measure": "speed"}, "kpi.indicators.0.measure: must be one of"),
        ({"weight": 0}, "kpi.indicators.0.weight: must be a positive number"),
    ],
)
def test_a_bad_indicator_is_refused_naming_the_field(change, error):
    data = _source("assurance")
    indicator = data["kpi"]["indicators"][0]
    for name, value in change.items():
        if value is None:
            indicator.pop(name)
        else:
            indicator[name] = value
    errors = _errors(data)
    assert any(e.startswith(error) for e in errors), errors


def test_a_deduction_needs_a_count_and_keys_are_unique():
    data = _source("government")
    conduct = next(i for i in data["kpi"]["indicators"] if i["key"] == "conduct")
    conduct["measure"] = "satisfaction_rate"
    data["kpi"]["indicators"][1]["key"] = "response"
    errors = _errors(data)
    assert "kpi.indicators.1.key: indicator “response” is listed twice" in errors
    assert any(
        e.startswith("kpi.indicators.3.deduct: a deduction per item needs a count") for e in errors
    )


def test_a_plan_without_a_standard_is_still_valid():
    data = _source("assurance")
    del data["kpi"]
    assert plan_parse(yaml.safe_dump(data, allow_unicode=True)).ok
