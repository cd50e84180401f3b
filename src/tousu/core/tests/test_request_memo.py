"""A value read once per request: kept from the request's start to its end, never
outside one."""

from django.core.signals import request_finished, request_started

from tousu.core.request_memo import request_memo


def test_a_request_reads_once_and_the_next_request_reads_again():
    calls = []

    def build():
        calls.append(1)
        return len(calls)

    assert [request_memo("k", build), request_memo("k", build)] == [1, 2]  # no request
    request_started.send(sender=None)
    try:
        assert [request_memo("k", build), request_memo("k", build)] == [3, 3]
        assert request_memo("other", build) == 4
    finally:
        request_finished.send(sender=None)
    assert request_memo("k", build) == 5
    request_started.send(sender=None)
    try:
        assert request_memo("k", build) == 6
    finally:
        request_finished.send(sender=None)
