"""The staff a plan role names are kept per process (``people.staff_with_role``): a
change to who holds the role reaches the next action's hand-off at once."""

import pytest

from tousu.accounts.models import Department, User
from tousu.accounts.services import user_create
from tousu.notifications.models import Notification
from tousu.plans.people import staff_with_role
from tousu.plans.tests.scenario import act, clients
from tousu.plans.tests.test_scenario_market import register

pytestmark = pytest.mark.django_db


def told_of_handoff(no: str) -> set[str]:
    """Who was told that the complaint ``no`` is now theirs to act on."""
    return set(
        Notification.objects.filter(
            complaint__tracking_no=no, key__contains=":handoff:", channel="in_app"
        ).values_list("recipient__username", flat=True)
    )


def test_a_new_and_a_departed_investigator_are_seen_by_the_next_hand_off():
    people = clients("market")
    first, second, third = (register(people["clerk"]) for _ in range(3))

    assert act(people["clerk"], first, "accept").status_code == 200
    assert "investigator" in told_of_handoff(first)
    # Kept: asked again without a change, the same people answer.
    kept = staff_with_role("investigator")
    assert kept and all(a is b for a, b in zip(kept, staff_with_role("investigator"), strict=True))

    user_create(
        username="investigator2",
        password=None,
        full_name="王调查",
        department=Department.objects.get(code="office"),
        roles=["investigator"],
    )
    assert act(people["clerk"], second, "accept").status_code == 200
    assert {"investigator", "investigator2"} <= told_of_handoff(second)

    User.objects.filter(username="investigator").update(is_active=False)
    assert act(people["clerk"], third, "accept").status_code == 200
    told = told_of_handoff(third)
    assert "investigator2" in told and "investigator" not in told
