"""The same mail delivered twice at once (an SMTP retry racing the first delivery, two
fetchers on one mailbox) makes one complaint: the mail's key is unique in the database."""

import threading

import pytest
from django.db import connection

from tousu.complaints.models import Complaint
from tousu.mailin.models import ReceivedMail
from tousu.mailin.services import mail_receive
from tousu.mailin.tests.mails import gbk_mail
from tousu.notifications.models import Notification

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_mail_delivered_twice_at_once_makes_one_complaint(market):
    raw = gbk_mail()
    start = threading.Barrier(2)
    outcomes, errors = [], []

    def deliver():
        try:
            start.wait()
            outcomes.append(mail_receive(raw))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Complaint.objects.count() == 1 and ReceivedMail.objects.count() == 1
    assert {o.tracking_no for o in outcomes} == {Complaint.objects.get().tracking_no}
    assert sorted(o.duplicate for o in outcomes) == [False, True]
    assert Notification.objects.filter(complaint__isnull=False).count() >= 1
    assert Notification.objects.filter(channel="email").count() == 1
