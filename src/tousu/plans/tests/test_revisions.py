import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tousu.complaints.tests.factories import complaint_make
from tousu.core.problems import InvalidInput
from tousu.plans.models import ImmutableError, Plan, PlanRevision
from tousu.plans.services import organisation_plan_adopt, plan_load

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).with_name("example.yaml")


def load(text: str | None = None, **kwargs):
    return plan_load(source=text or EXAMPLE.read_text(encoding="utf-8"), **kwargs)


def test_first_revision_is_active_and_later_ones_wait_for_activation(org):
    first = load()
    assert first.number == 1 and first.plan.active_revision == first
    second = load(EXAMPLE.read_text(encoding="utf-8").replace("amount: 3,", "amount: 2,"))
    second.plan.refresh_from_db()
    assert second.number == 2 and second.plan.active_revision == first


def test_identical_file_is_refused(org):
    load()
    with pytest.raises(InvalidInput):
        load()
    assert PlanRevision.objects.filter(plan__key="shop").count() == 1


def test_revisions_are_immutable(org):
    revision = load()
    revision.note = "changed"
    with pytest.raises(ImmutableError):
        revision.save()


def test_a_broken_file_stores_nothing(org):
    with pytest.raises(InvalidInput) as caught:
        load(EXAMPLE.read_text(encoding="utf-8").replace("to: handling}", "to: nowhere}", 1))
    assert "stages.intake.actions.0.to" in caught.value.field_errors
    assert not Plan.objects.filter(key="shop").exists()


def test_a_new_revision_leaves_running_complaints_on_theirs(org):
    load()
    organisation_plan_adopt(key="shop")
    running = complaint_make(org.clerk, category="quality", channel="phone")
    assert running.plan_revision.number == 1 and running.stage == "intake"
    second = load(
        EXAMPLE.read_text(encoding="utf-8").replace("amount: 3,", "amount: 2,"), activate=True
    )
    newer = complaint_make(org.clerk, category="quality", channel="phone")
    running.refresh_from_db()
    assert running.plan_revision.number == 1
    assert newer.plan_revision == second


def test_cli_validate_list_show_diff(org, tmp_path):
    out = io.StringIO()
    call_command("plans", "validate", str(EXAMPLE), stdout=out)
    assert "ok — shop" in out.getvalue()
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("unit: working_days\n", "unit: weeks\n", 1),
        encoding="utf-8",
    )
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError):
        call_command("plans", "validate", str(broken), stdout=out, stderr=err)
    assert "stages.intake.deadlines.0.unit: must be one of" in err.getvalue()
    call_command("plans", "load", str(EXAMPLE), stdout=out)
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("amount: 3,", "amount: 2,"), encoding="utf-8"
    )
    call_command("plans", "load", str(changed), stdout=out)
    listing = io.StringIO()
    call_command("plans", "list", stdout=listing)
    assert "shop" in listing.getvalue()
    diff = io.StringIO()
    call_command("plans", "diff", "shop", "1", "2", stdout=diff)
    assert "-      - {key: handling, label: 处理时限, amount: 3," in diff.getvalue()
    assert "+      - {key: handling, label: 处理时限, amount: 2," in diff.getvalue()
    shown = io.StringIO()
    call_command("plans", "show", "shop", "--revision", "2", stdout=shown)
    assert "shop revision 2" in shown.getvalue()
    with pytest.raises(CommandError, match="no revision 9"):
        call_command("plans", "show", "shop", "--revision", "9")
