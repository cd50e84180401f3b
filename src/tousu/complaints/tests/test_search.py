import pytest

from tousu.complaints.changes import complaint_update
from tousu.complaints.selectors import ComplaintFilter, complaints_list
from tousu.complaints.tests.factories import complaint_make

pytestmark = pytest.mark.django_db


def _found(user, q):
    return {c.title for c in complaints_list(user=user, filters=ComplaintFilter(q=q))}


@pytest.fixture
def corpus(org):
    complaint_make(org.clerk, title="热水壶漏水", description="电热水壶底座漏水，商家拒绝调换。")
    complaint_make(
        org.clerk,
        title="大米缺斤短两",
        description="购买大米十斤，复称只有八斤六两。",
        merchant="李记粮油",
    )
    complaint_make(
        org.clerk, title="手机屏幕失灵", description="iPhone 屏幕失灵，保修期内维修拖延。"
    )
    return org


def test_two_character_chinese_keywords_are_found(corpus):
    assert _found(corpus.leader, "漏水") == {"热水壶漏水"}
    assert _found(corpus.leader, "大米") == {"大米缺斤短两"}
    assert _found(corpus.leader, "维修") == {"手机屏幕失灵"}


def test_longer_keywords_match_only_adjacent_text(corpus):
    assert _found(corpus.leader, "缺斤短两") == {"大米缺斤短两"}
    assert _found(corpus.leader, "水漏") == set()  # both characters appear, never adjacent
    assert _found(corpus.leader, "壶漏水") == {"热水壶漏水"}


def test_several_keywords_must_all_match_and_fields_beyond_the_text_count(corpus):
    assert _found(corpus.leader, "大米 李记") == {"大米缺斤短两"}
    assert _found(corpus.leader, "大米 漏水") == set()


def test_latin_words_and_single_characters(corpus):
    assert _found(corpus.leader, "iphone") == {"手机屏幕失灵"}
    assert _found(corpus.leader, "米") == {"大米缺斤短两"}


def test_search_follows_edits_and_visibility(corpus):
    complaint = complaint_make(corpus.clerk, title="其他问题", description="无关内容")
    assert _found(corpus.leader, "投诉电梯") == set()
    complaint_update(actor=corpus.clerk, complaint=complaint, version=1, description="投诉电梯停运")
    assert _found(corpus.leader, "电梯") == {"其他问题"}
    assert _found(corpus.after_sales_handler, "电梯") == set()


def test_search_syntax_in_the_query_is_harmless(corpus):
    for q in ['"', "AND OR NOT", '漏水"*', "a'b", "NEAR(漏水)", "-- ;"]:
        complaints_list(user=corpus.leader, filters=ComplaintFilter(q=q)).count()
