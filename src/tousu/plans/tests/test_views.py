from pathlib import Path

import pytest
from django.test import Client

from tousu.conftest import PASSWORD
from tousu.plans.models import Plan
from tousu.plans.services import plan_load

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).with_name("example.yaml")


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def two_revisions(org):
    plan_load(source=EXAMPLE.read_bytes())
    plan_load(
        source=EXAMPLE.read_text(encoding="utf-8").replace("amount: 3,", "amount: 2,"),
        author=org.admin,
        note="处理时限缩短为2个工作日",
    )
    return org


def test_plan_pages_show_revisions_history_and_diff(two_revisions):
    client = login(two_revisions.leader)
    assert "小店投诉处理预案" in client.get("/plans/").content.decode()
    page = client.get("/plans/shop/").content.decode()
    assert "r1" in page and "r2" in page and "处理时限缩短为2个工作日" in page
    assert "plan.revision_loaded" in page or "plan.revision_activated" in page
    diff = client.get("/plans/shop/diff/1/2/").content.decode()
    assert "amount: 3," in diff and "amount: 2," in diff
    assert "key: shop" in client.get("/plans/shop/r2/").content.decode()


def test_only_administrators_activate(two_revisions):
    leader = login(two_revisions.leader)
    leader.post("/plans/shop/r2/activate/")
    assert Plan.objects.get(key="shop").active_revision.number == 1
    admin = login(two_revisions.admin)
    page = admin.get("/plans/shop/").content.decode()
    assert "/plans/shop/r2/activate/" in page
    admin.post("/plans/shop/r2/activate/")
    assert Plan.objects.get(key="shop").active_revision.number == 2


def test_staff_without_the_permission_cannot_see_plans(two_revisions):
    assert login(two_revisions.clerk).get("/plans/").status_code == 403
