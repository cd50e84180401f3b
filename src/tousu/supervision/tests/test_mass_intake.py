"""A 3·15 peak: many registrations about one matter at once, over two web servers.

From the fifth complaint of one department and category in 24 hours the plan's mass
trigger opens an emergency response and every later one is linked to it, each in its
registration's transaction, while the other server does the same and two workers (their
clock 30 days ahead) breach the complaints' deadlines and chase the response's own:
every request must still be answered 201, and the matter must have one incident holding
every complaint.

It guards a deadlock found here: a registration that locked the running incident ``FOR
UPDATE`` (``incidents.triggers._running``) and then appended to its audit chain
deadlocked with a worker's transaction that had appended to that chain first (chasing the
incident's deadlines) and, at COMMIT, checked its foreign keys to the incident (``FOR KEY
SHARE``); PostgreSQL killed one and the registration answered 500. The incident is now
taken ``FOR NO KEY UPDATE`` (``select_for_update(no_key=True)``), which does not block KEY
SHARE.
"""

from __future__ import annotations

import pytest

from tousu.accounts.services import token_create
from tousu.complaints.models import Complaint
from tousu.demo.loader import demo_organisation_create
from tousu.incidents.models import Incident, IncidentComplaint
from tousu.supervision.tests.intake_load import Load, registration
from tousu.supervision.tests.processes import Children, WebProcess

REGISTRATIONS = 60
LOAD_LIMIT = 60  # seconds
SHIFT = 30 * 24 * 3600  # the workers' clock: 30 days ahead


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_peak_of_one_matter_over_two_servers_opens_one_response(tmp_path):
    users = demo_organisation_create("school")
    token = token_create(user=users["reception"], name="load")
    servers = [WebProcess(tmp_path, f"web-{name}") for name in "ab"]
    children = Children(tmp_path)
    try:
        for server in servers:
            server.start()
        for name in "ab":
            children.worker_loop(shift=SHIFT, interval=0.2, name=f"worker-{name}")
        bodies = [registration(n, category="teacher_attendance") for n in range(REGISTRATIONS)]
        load = Load([s.url for s in servers], token, bodies, threads=4, seconds=LOAD_LIMIT)
        load.start().join(timeout=LOAD_LIMIT + 30)
    finally:
        children.stop_all()
        for server in servers:
            server.stop()
    statuses = [s.status for s in load.sent]
    assert statuses == [201] * REGISTRATIONS, [s for s in load.sent if s.status != 201][:5]
    assert Complaint.objects.count() == REGISTRATIONS
    mass = Incident.objects.filter(group_key__isnull=False).exclude(group_key="")
    assert mass.count() == 1, list(mass.values_list("group_key", flat=True))
    linked = IncidentComplaint.objects.filter(incident=mass.get())
    assert linked.count() == REGISTRATIONS
