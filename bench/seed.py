"""Bulk-load complaints for the benchmark: ``python bench/seed.py --complaints 100000``.

Runs against the database of ``TOUSU_DATABASE_URL`` after ``tousu migrate`` and
``tousu demo --complaints 0``. Rows go in with ``bulk_create`` in batches (personal data
is encrypted by the field on save, search documents feed the SQLite FTS5 index through
its triggers); under a plan, complaints start at its first stage as the services start
them. No audit events or deadlines are written. Prints one JSON line: the seeding time,
API tokens for the demo users and the keys the services accept (for the HTTP client).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import timedelta

import data

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")

ACTIVE_PATH = ["investigating", "awaiting_approval", "executing", "replied", "closed", "archived"]


def _status(rng: random.Random, age_days: float) -> str:
    """Where a complaint of this age stands: old ones are mostly closed or archived."""
    if age_days < 4 and rng.random() < 0.6:
        return "registered"
    if age_days > 60:
        reach = rng.choice([4, 5, 5, 6, 6, 6])
    elif age_days > 14:
        reach = rng.randint(2, 5)
    else:
        reach = rng.randint(0, 3)
    return ACTIVE_PATH[reach - 1] if reach else "assigned"


def _plan_revision():
    """The running plan's active revision, or None (no plan, or a tree without plans)."""
    try:
        from tousu.complaints.services import plan_revision_current
    except ImportError:
        return None
    return plan_revision_current()


def vocabulary(revision) -> data.Vocabulary:
    """The channel, severity, nature and category keys the services accept now."""
    from tousu.complaints.choices import Channel, Nature, Severity
    from tousu.complaints.models import Category

    found = {
        "channel": list(Channel.values),
        "severity": list(Severity.values),
        "nature": list(Nature.values),
        "category": list(
            Category.objects.filter(is_active=True).order_by("key").values_list("key", flat=True)
        ),
    }
    if revision is not None:
        plan = revision.plan_model
        found["channel"] = list(plan.channels)
        found["severity"] = plan.keys_of("severities")
        found["nature"] = plan.keys_of("natures")
    if not all(found.values()):
        raise SystemExit(f"seed: the database offers no keys for some fields: {found}")
    return found


def _plan_fields(revision, complaint) -> dict:
    """Plan revision, stage, status and workflow of a complaint just started under the
    plan (as the services set them); nothing without a plan."""
    if revision is None:
        return {}
    from tousu.plans.engine import workflow_start

    return workflow_start(complaint=complaint, revision=revision, at=complaint.registered_at)


def seed(total: int, batch: int, rng: random.Random, revision, words: data.Vocabulary) -> int:
    from django.db import transaction
    from django.utils import timezone

    from tousu.accounts.models import Department, User
    from tousu.audit.bulk import objects_insert
    from tousu.complaints.models import (
        Category,
        Complainant,
        Complaint,
        ComplaintSearchDocument,
        DailySequence,
    )
    from tousu.complaints.search import document_for
    from tousu.complaints.services import TEXT_FIELDS
    from tousu.core.crypto import blind_index

    users = {u.username: u for u in User.objects.all()}
    clerk = users.get("clerk") or next(iter(users.values()))
    categories = {c.key: c for c in Category.objects.all()}
    departments = {d.code: d for d in Department.objects.all()}
    if not categories or not departments:
        raise SystemExit("seed: no categories or departments; run `tousu demo --complaints 0`")
    by_department: dict[int, list] = {}
    for user in users.values():
        if user.department_id:
            by_department.setdefault(user.department_id, []).append(user)

    # Arrival times over the last year, denser towards now; tracking numbers count per
    # local day in arrival order, as the services issue them.
    now = timezone.now()
    ages = sorted((365 * rng.random() ** 1.25 for _ in range(total)), reverse=True)
    counters: dict = {}
    done = 0
    for start in range(0, total, batch):
        people, complaints = [], []
        for age in ages[start : start + batch]:
            received_at = now - timedelta(days=age, seconds=1)
            day = timezone.localdate(received_at)
            counters[day] = counters.get(day, 0) + 1
            when = timezone.localtime(received_at - timedelta(days=rng.randint(1, 20)))
            fields = data.complaint(rng, when=f"{when:%m月%d日}", vocabulary=words)
            category = categories[fields.pop("category")]
            status = _status(rng, age)
            department = clerk.department or rng.choice(list(departments.values()))
            assignee = None
            if status != "registered":
                code = data.CATEGORY_DEPARTMENT.get(category.key, "")
                department = departments.get(code, department)
                staff = by_department.get(department.pk, [])
                if staff and rng.random() < 0.5:
                    assignee = rng.choice(staff)
            person = data.complainant(rng)
            people.append(
                Complainant(**person, phone_digest=blind_index(person["phone"]), created_at=now)
            )
            complaint = Complaint(
                tracking_no=f"TS-{day:%Y%m%d}-{counters[day]:06d}",
                category=category,
                department=department,
                received_by=clerk,
                assignee=assignee,
                status=status,
                occurred_at=when,
                received_at=received_at,
                registered_at=received_at,
                version=1 if status == "registered" else 2,
                **fields,
            )
            for name, value in _plan_fields(revision, complaint).items():
                setattr(complaint, name, value)
            complaints.append(complaint)
        # objects_insert: what bulk_create writes (each field prepares its value, primary
        # keys read back) at a fraction of its cost per row.
        with transaction.atomic():
            objects_insert(people)
            for complaint, person in zip(complaints, people, strict=True):
                complaint.complainant = person
            objects_insert(complaints)
            # Keyed by its complaint (no key of its own): bulk_create writes the key.
            ComplaintSearchDocument.objects.bulk_create(
                [
                    ComplaintSearchDocument(
                        complaint=c, document=document_for(*(getattr(c, f) for f in TEXT_FIELDS))
                    )
                    for c in complaints
                ],
                batch_size=batch,
            )
        done += len(complaints)
    # API registrations continue each day's counter.
    DailySequence.objects.bulk_create(
        [DailySequence(day=day, last=last) for day, last in counters.items()],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["last"],
    )
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from tousu.accounts.models import User
    from tousu.accounts.services import token_create

    revision = _plan_revision()
    words = vocabulary(revision)
    started = time.perf_counter()
    seeded = seed(args.complaints, args.batch, random.Random(args.seed), revision, words)
    seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        # What autovacuum would have done by the time such a table is in use.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    tokens = {
        name: token_create(user=User.objects.get(username=name), name="bench", days=1)
        for name in ("clerk", "leader")
    }
    json.dump(
        {
            "seeded": seeded,
            "seconds": round(seconds, 2),
            "plan": str(revision.plan.key) if revision is not None else None,
            "tokens": tokens,
            "vocabulary": words,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
