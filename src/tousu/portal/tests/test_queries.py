"""The number of queries of the portal's pages and API reads, pinned: they do not grow
with the length of the complaint's timeline."""

import pytest

from tousu.portal.tests.helpers import api_json, file_one, staff_reply

pytestmark = pytest.mark.django_db


def test_queries_of_the_form_the_tracking_page_and_the_case(
    market, client, django_assert_num_queries
):
    number, code = file_one(client)
    staff_reply(market, number)
    # session, the organisation with its plan (and again for the header), the picture's row
    with django_assert_num_queries(4):
        assert client.get("/portal/").status_code == 200
    # session, complaint, its events, its staff's roles, organisation
    with django_assert_num_queries(5):
        assert client.get(f"/portal/track/{number}/").status_code == 200
    token = api_json(client, "/api/v1/portal/track", {"tracking_no": number, "code": code})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    # session, complaint, its events, its staff's roles
    with django_assert_num_queries(4):
        assert client.get("/api/v1/portal/case", headers=headers).status_code == 200
