"""The complaint list at scale: a count capped above COUNT_CAP, keyset cursors in the API."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from tousu.accounts.services import token_create
from tousu.complaints import cursors, selectors
from tousu.complaints import found as search_found
from tousu.complaints.tests.factories import complaint_make
from tousu.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed(payload) -> str:
    return signing.dumps(payload, salt=cursors.CURSOR_SALT)


def api(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_create(user=user)}"})


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def walk(client, **params):
    """Every page of the API list by its cursors: the titles in order, and the pages."""
    titles, pages = [], []
    response = client.get("/api/v1/complaints", params)
    while True:
        assert response.status_code == 200, response.content
        page = response.json()
        pages.append(page)
        titles += [r["title"] for r in page["results"]]
        if page["next_cursor"] is None:
            assert page["next"] is None
            return titles, pages
        response = client.get(page["next"])


@pytest.fixture
def tied(org):
    """Seven complaints in two departments, received at three moments (ties)."""
    moment = timezone.now() - timedelta(hours=1)
    made = []
    for index in range(7):
        made.append(
            complaint_make(
                org.clerk,
                title=f"投诉{index}",
                received_at=moment - timedelta(minutes=index // 3),
                department="quality" if index % 2 else "",
                channel="walk_in" if index % 3 else "phone",
            )
        )
    return made


def test_a_count_above_the_cap_is_shown_as_the_cap_and_a_plus(org, monkeypatch):
    for index in range(5):
        complaint_make(org.clerk, title=f"投诉{index}")
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    html = login(org.leader).get("/complaints/").content.decode()
    counted = re.search(r'id="result-count" data-count="(\d+)" data-exact="(\w+)">([^<]*)<', html)
    assert counted is not None
    assert counted.group(1, 2) == ("3", "false")
    assert "3+" in counted.group(3)
    listed = api(org.leader).get("/api/v1/complaints").json()
    assert (listed["count"], listed["count_exact"]) == (3, False)
    assert len(listed["results"]) == 5  # the page itself is whole


def test_a_search_is_counted_only_to_the_smaller_search_cap(org, monkeypatch):
    for index in range(5):
        complaint_make(org.clerk, title=f"奶粉结块{index}")
    complaint_make(org.clerk, title="价格欺诈")
    monkeypatch.setattr(selectors, "COUNT_CAP", 4)
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 2)
    html = login(org.leader).get("/complaints/", {"q": "结块"}).content.decode()
    assert 'data-count="2" data-exact="false"' in html
    listed = api(org.leader).get("/api/v1/complaints", {"q": "结块"}).json()
    assert (listed["count"], listed["count_exact"], len(listed["results"])) == (2, False, 5)
    # Without a search the list counts to the list's own cap.
    assert api(org.leader).get("/api/v1/complaints").json()["count"] == 4


def test_a_common_term_tested_row_by_row_is_counted_to_the_scan_cap(org, monkeypatch):
    for index in range(5):
        complaint_make(org.clerk, title=f"奶粉结块{index}")
    complaint_make(org.clerk, title="结块价格欺诈")
    # More than RARE_HITS hold it: the list tests each row, and counts to the scan cap.
    monkeypatch.setattr(search_found, "RARE_HITS", 2)
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 5)
    monkeypatch.setattr(selectors, "SCAN_COUNT_CAP", 3)
    html = login(org.leader).get("/complaints/", {"q": "结块"}).content.decode()
    assert 'data-count="3" data-exact="false"' in html and "3+" in html
    listed = api(org.leader).get("/api/v1/complaints", {"q": "结块"}).json()
    assert (listed["count"], listed["count_exact"], len(listed["results"])) == (3, False, 6)
    # A rarer term, whose few matches are read through the index, counts to its own cap.
    listed = api(org.leader).get("/api/v1/complaints", {"q": "欺诈"}).json()
    assert (listed["count"], listed["count_exact"]) == (1, True)


def test_a_count_at_the_cap_is_exact(org, monkeypatch):
    for index in range(3):
        complaint_make(org.clerk, title=f"投诉{index}")
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    html = login(org.leader).get("/complaints/").content.decode()
    assert 'data-count="3" data-exact="true"' in html and "3+" not in html
    listed = api(org.leader).get("/api/v1/complaints").json()
    assert (listed["count"], listed["count_exact"]) == (3, True)


def test_the_list_pages_past_the_cap_without_page_numbers(org, monkeypatch):
    for index in range(30):
        complaint_make(org.clerk, title=f"投诉{index:02d}")
    monkeypatch.setattr(selectors, "COUNT_CAP", 10)
    client = login(org.leader)
    first = client.get("/complaints/").content.decode()
    assert "page=2" in first
    # "Page 1", with no total of pages, which is not known.
    shown = re.search(r'<span class="page-link">([^<]*)</span>', first)
    assert shown is not None and re.findall(r"\d+", shown.group(1)) == ["1"]
    second = client.get("/complaints/", {"page": 2}).content.decode()
    # The last page: no next link, five rows.
    assert second.count('class="tracking-no"') == 5 and "page=3" not in second
    assert "page=1" in second


def test_an_exact_count_keeps_the_page_numbers_and_the_last_page(org):
    for index in range(30):
        complaint_make(org.clerk, title=f"投诉{index:02d}")
    client = login(org.leader)
    html = client.get("/complaints/", {"page": 99}).content.decode()
    assert "第 2 页，共 2 页" in html
    assert html.count('class="tracking-no"') == 5
    assert client.get("/complaints/", {"page": "x"}).status_code == 200


def test_the_cursor_walks_every_row_once_across_ties(org, tied):
    client = api(org.leader)
    for sort in ("-received", "received", "severity", "status", "due", "tracking_no"):
        everything = client.get("/api/v1/complaints", {"sort": sort}).json()["results"]
        titles, pages = walk(client, sort=sort, page_size=2)
        assert titles == [r["title"] for r in everything], sort
        assert len(titles) == 7 and len(set(titles)) == 7
        assert [len(p["results"]) for p in pages] == [2, 2, 2, 1]
        assert all(p["count"] == 7 and p["count_exact"] for p in pages)
        assert [p["page"] for p in pages] == [1, None, None, None]


def test_the_cursor_keeps_the_filters_and_a_new_complaint_is_not_repeated(org, tied):
    client = api(org.leader)
    first = client.get("/api/v1/complaints", {"channel": "walk_in", "page_size": 2}).json()
    complaint_make(org.clerk, title="新投诉", channel="walk_in")
    rest, _pages = walk(client, channel="walk_in", page_size=2, cursor=first["next_cursor"])
    titles = [r["title"] for r in first["results"]] + rest
    assert sorted(titles) == sorted(f"投诉{i}" for i in range(7) if i % 3)


def test_a_handlers_cursor_never_reaches_another_departments_complaint(org, tied):
    titles, _pages = walk(api(org.handler), page_size=1)
    assert titles == ["投诉1", "投诉5", "投诉3"]  # newest first, ties by arrival
    # A cursor the leader got is a position, not a permission: after 投诉2 and 投诉1
    # the leader reads the office's 投诉0 next; the handler never does.
    leaders = api(org.leader).get("/api/v1/complaints", {"page_size": 2}).json()
    assert [r["title"] for r in leaders["results"]] == ["投诉2", "投诉1"]
    rest = api(org.leader).get(leaders["next"]).json()["results"]
    assert rest[0]["title"] == "投诉0"
    page = api(org.handler).get("/api/v1/complaints", {"cursor": leaders["next_cursor"]})
    assert [r["title"] for r in page.json()["results"]] == ["投诉5", "投诉3"]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        signing.dumps({"s": "-received", "v": [str(timezone.now()), 1]}, salt="other"),
        signed({"s": "-received", "v": ["yesterday", 1]}),
        signed({"s": "-received", "v": ["2026-01-01T00:00:00", 1]}),
        signed({"s": "-received", "v": [1]}),
        signed({"s": "-received", "v": "x"}),
        signed(["-received"]),
        signed({"s": "-received", "v": [None, "1"]}),
    ],
)
def test_a_bad_cursor_is_a_400_naming_the_cursor(org, tied, cursor):
    response = api(org.leader).get("/api/v1/complaints", {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["cursor"]
    assert "投诉0" not in response.content.decode()


def test_a_cursor_of_another_sort_is_a_400(org, tied):
    client = api(org.leader)
    cursor = client.get("/api/v1/complaints", {"page_size": 2}).json()["next_cursor"]
    response = client.get("/api/v1/complaints", {"cursor": cursor, "sort": "tracking_no"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cursor"


def test_list_requests_take_a_fixed_number_of_queries(
    org, django_assert_max_num_queries, monkeypatch
):
    for _ in range(30):
        complaint_make(org.clerk)
    monkeypatch.setattr(selectors, "COUNT_CAP", 10)
    client = api(org.leader)
    first = client.get("/api/v1/complaints").json()  # warm the token's last-used stamp
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/complaints", {"cursor": first["next_cursor"]})
    assert len(response.json()["results"]) == 5
    # A keyword adds at most two: its hits, read once through the indexes for the page
    # and its count, and on PostgreSQL first the planner's estimate of the word.
    with django_assert_max_num_queries(7):
        response = client.get("/api/v1/complaints", {"q": "漏水", "page_size": 25})
    assert len(response.json()["results"]) == 25
    page = login(org.leader)
    page.get("/complaints/")
    # The page's fixed 14 (test_views), and the keyword's estimate and hits, read once.
    with django_assert_max_num_queries(16):
        html = page.get("/complaints/", {"q": "漏水", "page": 2}).content.decode()
    assert html.count('class="tracking-no"') == 5


@pytest.mark.parametrize(
    ("rare_hits", "common_estimate"), [(0, 20_000), (2_000, 20_000), (2_000, -1)]
)
def test_common_and_rare_keywords_find_the_same_complaints(
    org, monkeypatch, rare_hits, common_estimate
):
    """A keyword held by more than RARE_HITS complaints is tested row by row; one held by
    fewer is read through the index; one that PostgreSQL's statistics put above
    COMMON_ESTIMATE is tested row by row without reading its hits first (-1: every one,
    on either database): all find exactly the same."""
    complaint_make(org.clerk, title="热水壶漏水", description="电热水壶底座漏水，商家拒绝调换。")
    complaint_make(org.clerk, title="大米缺斤短两", description="购买大米十斤，只有八斤六两。")
    complaint_make(org.clerk, title="手机屏幕失灵", description="iPhone 屏幕失灵，维修拖延。")
    complaint_make(org.clerk, title="水管坏了", description="水 漏", department="quality")
    monkeypatch.setattr(search_found, "RARE_HITS", rare_hits)
    monkeypatch.setattr(search_found, "COMMON_ESTIMATE", common_estimate)

    def found(user, q):
        filters = selectors.ComplaintFilter(q=q)
        listed = {c.title for c in selectors.complaints_list(user=user, filters=filters)}
        counted = selectors.complaints_list(user=user, filters=filters, for_counting=True)
        assert counted.count() == len(listed), q
        return listed

    assert found(org.leader, "漏水") == {"热水壶漏水"}
    assert found(org.leader, "缺斤短两") == {"大米缺斤短两"}
    assert found(org.leader, "斤短两 大米") == {"大米缺斤短两"}
    assert found(org.leader, "水漏") == set()  # both characters appear, never adjacent
    assert found(org.leader, "IPHONE") == {"手机屏幕失灵"}
    assert found(org.leader, "米") == {"大米缺斤短两"}
    assert found(org.leader, "漏") == {"热水壶漏水", "水管坏了"}
    assert found(org.handler, "漏") == {"水管坏了"}
    assert found(org.handler, "漏水") == set()
