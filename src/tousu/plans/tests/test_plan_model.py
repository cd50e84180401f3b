"""Readers take a revision's plan as the typed model: validated once per process and
file (by its SHA-256, never by the row), and read back exactly as it was stored."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from tousu.plans import definition
from tousu.plans.definition import PLAN_CACHE_SIZE, plan_from, plan_of
from tousu.plans.models import PlanRevision
from tousu.plans.services import TEMPLATE_KEYS, plan_load, template_source
from tousu.plans.validation import plan_parse

EXAMPLE = Path(__file__).with_name("example.yaml")


@pytest.mark.django_db
def test_every_template_reads_back_exactly_as_stored():
    for key in TEMPLATE_KEYS:
        revision = plan_load(source=template_source(key))
        stored = revision.plan_model.model_dump(mode="json", by_alias=True)
        assert stored == revision.definition, key


@pytest.mark.django_db
def test_a_cached_plan_does_not_even_read_the_definition(django_assert_num_queries):
    revision = plan_load(source=EXAMPLE.read_bytes())
    first = revision.plan_model
    again = PlanRevision.objects.defer("definition").get(pk=revision.pk)
    with django_assert_num_queries(0):
        assert again.plan_model is first


@pytest.mark.django_db
def test_the_cache_goes_by_the_file_not_the_row_and_is_bounded():
    revision = plan_load(source=EXAMPLE.read_bytes())
    assert revision.plan_model.initial_stage == "intake"
    # Another file under the same primary key (a test database reuses them).
    other = PlanRevision(
        pk=revision.pk,
        sha256="0" * 64,
        definition={**revision.definition, "initial_stage": "handling"},
    )
    assert plan_of(other).initial_stage == "handling"
    assert PlanRevision.objects.get(pk=revision.pk).plan_model.initial_stage == "intake"
    for n in range(PLAN_CACHE_SIZE + 1):
        plan_from(f"{n + 1:064x}", revision.definition)
    assert len(definition._plans) == PLAN_CACHE_SIZE


def test_the_model_answers_what_readers_ask():
    plan = plan_parse(EXAMPLE.read_bytes()).plan
    assert plan is not None
    assert plan.stage("intake").action("accept").to == "handling"
    assert plan.action("intake", "approve") is None
    assert plan.action_anywhere("approve").label == "批准"
    assert plan.action_anywhere("nothing") is None
    assert plan.deadline_rules()["handling"][0] == "handling"
    assert plan.deadline_rule("acceptance").start == "received"
    assert plan.deadline_rule("follow_up") is None
    assert plan.label_of("severities", "major") == "重大"
    assert plan.label_of("natures", "major") is None
    assert plan.keys_of("severities") == ["ordinary", "major", "urgent"]
    assert not plan.concludes()
    with pytest.raises(KeyError):
        plan.stage("nowhere")
    with pytest.raises(ValidationError):
        plan.initial_stage = "handling"
