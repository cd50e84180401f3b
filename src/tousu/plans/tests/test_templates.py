"""Every shipped template validates, loads, and its demo organisation can run it."""

import io

import pytest
from django.core.management import call_command

from tousu.demo.loader import demo_data, demo_organisation_create
from tousu.plans.services import TEMPLATE_KEYS, template_source
from tousu.plans.validation import plan_parse


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_template_validates_with_the_cli(key, tmp_path):
    path = tmp_path / f"{key}.yaml"
    path.write_bytes(template_source(key))
    out = io.StringIO()
    call_command("plans", "validate", str(path), stdout=out)
    assert f"ok — {key}" in out.getvalue()


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
@pytest.mark.django_db
def test_demo_organisation_plays_every_role_of_its_plan(key):
    users = demo_organisation_create(key)
    assert {
        "clerk",
        "investigator",
        "mediator",
        "recorder",
        "handler",
        "head",
        "leader",
        "supervisor",
        "admin",
    } <= set(users)
    plan = plan_parse(template_source(key)).plan
    for name, role in plan.roles.items():
        players = [
            u
            for u in users.values()
            if u.has_role(role.system_role)
            and (role.department is None or _in(u.department, role.department))
        ]
        assert players, f"{key}: nobody plays role {name}"
    categories = {c.key for c in _walk(plan.categories)}
    for story in demo_data(key)["stories"]:
        assert story["category"] in categories


def _in(department, code):
    while department is not None:
        if department.code == code:
            return True
        department = department.parent
    return False


def _walk(categories):
    for category in categories:
        yield category
        yield from _walk(category.children)


def test_plans_list_shows_the_nine_templates_on_an_empty_database(db):
    out = io.StringIO()
    call_command("plans", "list", stdout=out)
    for key in TEMPLATE_KEYS:
        assert key in out.getvalue()
