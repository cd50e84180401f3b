"""``PenaltyEntry.booked_at``: the moment of the event an entry is booked to. Entries made
before it existed get the due time of their deadline when that falls in their period,
else the first moment of their period (Beijing time)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import migrations, models

SHANGHAI = ZoneInfo("Asia/Shanghai")


def fill_booked_at(apps, schema_editor):
    PenaltyEntry = apps.get_model("assessment", "PenaltyEntry")
    for entry in PenaltyEntry.objects.select_related("deadline").iterator(chunk_size=2000):
        year, month = (int(part) for part in entry.period.split("-"))
        moment = datetime(year, month, 1, tzinfo=SHANGHAI)
        due = entry.deadline.due_at if entry.deadline_id else None
        if due is not None and f"{due.astimezone(SHANGHAI):%Y-%m}" == entry.period:
            moment = due
        PenaltyEntry.objects.filter(pk=entry.pk).update(booked_at=moment)


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0003_penaltyentry_performance_choices"),
    ]

    operations = [
        migrations.AddField(
            model_name="penaltyentry",
            name="booked_at",
            field=models.DateTimeField(
                blank=True,
                db_index=True,
                default=datetime(2000, 1, 1, tzinfo=SHANGHAI),
                verbose_name="booked at",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_booked_at, migrations.RunPython.noop),
    ]
