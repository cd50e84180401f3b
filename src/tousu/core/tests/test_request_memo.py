"""A value read once per request that changes nothing: kept while its scope is open,
never outside one."""

from django.http import HttpResponse
from django.test import RequestFactory

from tousu.core.middleware import ConfigOnceMiddleware
from tousu.core.request_memo import request_memo, request_memo_scope


def test_a_scope_reads_once_and_the_next_scope_reads_again():
    calls = []

    def build():
        calls.append(1)
        return len(calls)

    assert [request_memo("k", build), request_memo("k", build)] == [1, 2]  # no scope
    with request_memo_scope():
        assert [request_memo("k", build), request_memo("k", build)] == [3, 3]
        with request_memo_scope():  # nested: the same memo
            assert request_memo("k", build) == 3
        assert request_memo("other", build) == 4
    assert request_memo("k", build) == 5
    with request_memo_scope():
        assert request_memo("k", build) == 6


def test_a_get_request_holds_the_scope_and_leaves_none_behind(db):
    seen = []

    def view(request):
        seen.extend(request_memo("probe", object) for _ in range(2))
        return HttpResponse("ok")

    handler = ConfigOnceMiddleware(view)
    handler(RequestFactory().get("/"))
    assert seen[0] is seen[1]
    handler(RequestFactory().post("/"))  # a request that writes keeps nothing
    assert seen[2] is not seen[3]
    assert request_memo("probe", object) is not request_memo("probe", object)
