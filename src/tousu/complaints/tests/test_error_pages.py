"""404 and 403 pages are Chinese, like every other page."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=False)
def test_a_missing_or_hidden_complaint_is_a_chinese_404(org):
    client = Client()
    client.force_login(org.handler)
    response = client.get("/complaints/TS-20990101-000001/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "未找到" in page and "Not Found" not in page and "返回我的待办" in page


@override_settings(DEBUG=False)
def test_a_403_is_chinese(org, rf):
    from django.views.defaults import permission_denied

    request = rf.get("/")
    request.user = org.clerk
    from django.core.exceptions import PermissionDenied

    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert "无权" in response.content.decode()
