"""Bad plan files: each gets a message naming the problem and its path; nothing is stored."""

from pathlib import Path

import yaml

from tousu.plans.validation import plan_parse

EXAMPLE = Path(__file__).with_name("example.yaml")


def example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def errors_of(data) -> dict[str, str]:
    raw = data if isinstance(data, bytes) else yaml.safe_dump(data, allow_unicode=True).encode()
    result = plan_parse(raw)
    assert not result.ok
    return {error.path: error.message for error in result.errors}


def test_the_example_is_valid():
    result = plan_parse(EXAMPLE.read_bytes())
    assert result.ok, result.errors
    assert result.plan.stages["handling"].deadlines[0].amount == 3


def test_a_typo_in_a_stage_reference_is_named():
    data = example()
    data["stages"]["intake"]["actions"][0]["to"] = "handlng"
    assert errors_of(data)["stages.intake.actions.0.to"] == "no stage “handlng”"


def test_a_cycle_with_no_way_to_close():
    data = example()
    # feedback can only go back to handling, and handling only to feedback
    data["stages"]["feedback"]["actions"][0]["on_satisfied"] = "handling"
    data["stages"]["intake"]["actions"][1]["to"] = "handling"
    found = errors_of(data)
    assert "cycle with no way to close" in found["stages.handling"]
    assert "cycle with no way to close" in found["stages.feedback"]


def test_negative_missing_and_zero_deadlines():
    data = example()
    deadline = data["stages"]["handling"]["deadlines"][0]
    deadline["amount"] = -3
    del data["stages"]["handling"]["deadlines"][1]["amount"]
    found = errors_of(data)
    assert found["stages.handling.deadlines.0.amount"] == "must be a positive number"
    assert found["stages.handling.deadlines.1.amount"] == "is required"


def test_an_unknown_unit():
    data = example()
    data["stages"]["handling"]["deadlines"][0]["unit"] = "fortnights"
    assert "must be one of" in errors_of(data)["stages.handling.deadlines.0.unit"]


def test_a_role_used_but_never_defined():
    data = example()
    data["stages"]["intake"]["actions"][0]["by"] = ["receptionist"]
    data["escalations"][0]["notify"] = ["boss"]
    found = errors_of(data)
    assert "never defined" in found["stages.intake.actions.0.by.0"]
    assert "“boss”" in found["escalations.0.notify.0"]


def test_a_misspelt_field_is_unknown():
    data = example()
    data["stages"]["intake"]["deadlines"][0]["amout"] = 7
    found = errors_of(data)
    assert found["stages.intake.deadlines.0.amout"] == "unknown field (check its spelling)"


def test_a_deadline_above_its_statutory_ceiling():
    data = example()
    data["stages"]["intake"]["deadlines"][0]["amount"] = 9
    assert "statutory ceiling" in errors_of(data)["stages.intake.deadlines.0.amount"]


def test_unknown_message_placeholder():
    data = example()
    data["messages"]["received"] = "编号{tracking_no}，电话{phone}"
    assert errors_of(data)["messages.received"] == "unknown placeholder {phone}"


def test_non_utf8_bytes():
    raw = EXAMPLE.read_bytes().replace("小店".encode(), "小店".encode("gbk"))
    assert "not UTF-8" in errors_of(raw)[""]


def test_a_ten_megabyte_file_is_refused_before_parsing():
    raw = b"# " + b"x" * (10 * 1024 * 1024)
    assert "at most 1024 KB" in errors_of(raw)[""]


def test_yaml_aliases_and_broken_yaml():
    assert "aliases" in errors_of(b"a: &x [1]\nb: *x\n")[""]
    assert "not valid YAML" in errors_of(b"key: [unclosed\n")[""]
    assert "mapping" in errors_of(b"- just\n- a list\n")[""]


def test_every_error_is_reported_at_once():
    data = example()
    data["stages"]["intake"]["actions"][0]["to"] = "nowhere"
    data["stages"]["intake"]["actions"][1]["by"] = ["ghost"]
    data["penalties"]["rules"][0]["trigger"]["breach"] = "missing_deadline"
    assert len(errors_of(data)) >= 3
