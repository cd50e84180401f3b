import pytest
from django.contrib.auth.models import Group

from tousu.accounts.choices import Role

pytestmark = pytest.mark.django_db


def test_every_role_is_a_group_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def test_role_permissions(org):
    assert org.clerk.has_perm("complaints.add_complaint")
    assert org.clerk.has_perm("complaints.view_complainant")
    assert not org.supervisor.has_perm("complaints.view_complainant")
    assert not org.recorder.has_perm("complaints.assign_complaint")
    assert org.head.has_perm("complaints.assign_complaint")
