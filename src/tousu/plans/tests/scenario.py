"""What the scenario tests (``test_scenario_*.py``) share: the demo people as API clients, a
complaint registered and worked through ``/api/v1/complaints``, and what the tests read back
(the actions offered, the timeline, the deadlines).

Time: a test either wraps what its people do in ``with clock(text):`` (below), or takes the
``clock`` fixture of this folder's conftest (:func:`fake_clock`) and sets the instant as it
goes. Times are written as ISO text, "+08:00" for Beijing.
"""

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from unittest import mock

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tousu.accounts.services import token_create
from tousu.deadlines.models import Deadline
from tousu.demo.loader import demo_organisation_create
from tousu.notifications.models import Notification


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@contextmanager
def clock(text: str) -> Iterator[None]:
    """Everything done inside happens at ``text`` (the engine stamps and counts from now)."""
    with mock.patch("django.utils.timezone.now", return_value=at(text).astimezone(UTC)):
        yield


def fake_clock(monkeypatch, *, utc: bool = True) -> Callable[[str], None]:
    """Stand the server's "now" still; returns the setter that moves it to an ISO text.

    Until set, "now" is the real instant the fake was installed. With ``utc`` the instant is
    handed out in UTC (as Django's own ``now``); without, with the offset the text is written in.
    """
    now = {"at": timezone.now()}
    monkeypatch.setattr(timezone, "now", lambda: now["at"])

    def set_to(text: str) -> None:
        now["at"] = at(text).astimezone(UTC) if utc else at(text)

    return set_to


def api(user) -> Client:
    """A client that calls the API as ``user`` (a Bearer token)."""
    return Client(headers={"Authorization": f"Bearer {token_create(user=user)}"})


def clients(template: str) -> dict[str, Client]:
    """The demo organisation of ``template``: its users by username, each as an API client."""
    return {name: api(user) for name, user in demo_organisation_create(template).items()}


def registrar(complaint: dict) -> Callable[..., str]:
    """A ``register(client, **fields)`` for one scenario's complaint.

    It posts ``complaint`` with ``fields`` over it (a field given as None is left out, so the
    server fills it in) and returns the tracking number.
    """

    def register(client, **fields) -> str:
        body = {k: v for k, v in {**complaint, **fields}.items() if v is not None}
        response = client.post(
            "/api/v1/complaints", json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 201, response.content
        return response.json()["tracking_no"]

    return register


def act(client, no, action, **data):
    """Perform ``action`` with the complaint's current version; returns the response."""
    read = client.get(f"/api/v1/complaints/{no}")
    assert read.status_code == 200, f"{no} cannot be read: {read.status_code}"
    return client.post(
        f"/api/v1/complaints/{no}/actions/{action}",
        json.dumps({"version": read.json()["version"], **data}),
        content_type="application/json",
    )


def step(client, no, action, stage, **data) -> dict:
    """An action that must succeed and leave the complaint in ``stage``; returns the detail."""
    response = act(client, no, action, **data)
    assert response.status_code == 200, response.content
    assert response.json()["stage"] == stage
    return response.json()


def hand_over(client, no, department, assignee, note) -> None:
    """Plain assignment (POST …/assignment): the case moves to ``department``."""
    version = client.get(f"/api/v1/complaints/{no}").json()["version"]
    body = {"version": version, "department": department, "assignee": assignee, "note": note}
    response = client.post(
        f"/api/v1/complaints/{no}/assignment", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content


def keys(client, no, *, unseen_ok: bool = False) -> list[str]:
    """The keys of the actions GET …/actions offers the client.

    The client must see the complaint, unless ``unseen_ok``: then not seeing it offers nothing.
    """
    response = client.get(f"/api/v1/complaints/{no}/actions")
    if unseen_ok and response.status_code != 200:
        return []
    assert response.status_code == 200, response.content
    return [a["key"] for a in response.json()["actions"]]


def seen_by(users, no, action) -> set[str]:
    """Who finds ``action`` in their GET …/actions (not seeing the complaint counts as no)."""
    return {name for name, user in users.items() if action in keys(api(user), no, unseen_ok=True)}


def fields(response) -> list[str]:
    """The fields a refused (422) request names."""
    assert response.status_code == 422, response.content
    return [e["field"] for e in response.json()["errors"]]


def events(client, no) -> list[dict]:
    """The data of the plan actions on the timeline, in order."""
    timeline = client.get(f"/api/v1/complaints/{no}/timeline").json()
    return [e["data"] for e in timeline if e["action"] == "complaint.action"]


def labels(client, no) -> list[str]:
    """The labels of the plan actions on the timeline, in order."""
    return [e["label"] for e in events(client, no)]


def label_line(client, no) -> str:
    """The plan actions on the timeline, in order, as one line."""
    return " ".join(labels(client, no))


def open_deadlines(client, no) -> dict[str, datetime]:
    """The open deadlines the complaint's detail shows: key → due."""
    return {
        d["key"]: at(d["due_at"])
        for d in client.get(f"/api/v1/complaints/{no}").json()["deadlines"]
    }


def deadline(no, kind) -> Deadline:
    """The deadline row of ``kind`` (there must be exactly one)."""
    return Deadline.objects.get(complaint__tracking_no=no, kind=kind)


def due(no, kind) -> datetime:
    return deadline(no, kind).due_at


def row(no, kind) -> Deadline:
    """The latest deadline row of ``kind``."""
    return Deadline.objects.filter(complaint__tracking_no=no, kind=kind).latest("pk")


def open_kinds(no) -> set[str]:
    rows = Deadline.objects.filter(complaint__tracking_no=no, closed_at=None)
    return set(rows.values_list("kind", flat=True))


def worker(moment: str) -> None:
    """One pass of ``tousu worker`` as of ``moment`` (an ISO text): sweep and deliver."""
    call_command("worker", "--once", "--now", moment, stdout=io.StringIO())


def co_owners(no: str) -> set[str]:
    """The usernames of the complaint's co-owners (督办人, group leads)."""
    from tousu.complaints.models import Participant

    rows = Participant.objects.filter(complaint__tracking_no=no, part="co_owner")
    return set(rows.values_list("user__username", flat=True))


def held_by(no: str) -> tuple[str, str, str]:
    """Who holds the complaint: its department's code, its assignee and its severity."""
    from tousu.complaints.models import Complaint

    complaint = Complaint.objects.get(tracking_no=no)
    return complaint.department.code, complaint.assignee.username, complaint.severity


def told(deadline, moment: str) -> set[str]:
    """Who got an in-app message about ``deadline`` at ``moment`` (warning, breach,
    follow_up)."""
    rows = Notification.objects.filter(
        key__startswith=f"deadline:{deadline.pk}:{moment}:", channel="in_app"
    )
    return set(rows.values_list("recipient__username", flat=True))


def escalation(client, no, label: str) -> dict:
    """The one breach escalation on the timeline of the deadline labelled ``label``."""
    timeline = client.get(f"/api/v1/complaints/{no}/timeline").json()
    found = [
        e["data"]
        for e in timeline
        if e["action"] == "complaint.escalated"
        and e["data"]["deadline"] == label
        and e["data"]["at"] == "breach"
    ]
    assert len(found) == 1, found
    return found[0]
