"""A deadline's third subject: an improvement action (整改措施). Every action's due date
becomes one deadline row whose subject is the action, so the worker's one sweep chases
them all. An incident's action had its row on the incident; it moves to the action."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import django.db.models.deletion
from django.db import migrations, models

SHANGHAI = ZoneInfo("Asia/Shanghai")


def checks_now(schema_editor):
    """Run the foreign-key checks pending from the rows just written. PostgreSQL defers
    them to the commit, and refuses any ALTER TABLE or CREATE INDEX on a table with
    checks pending, which the migration's deferred statements (the new column's index)
    and the operations after it are."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def rows_to_actions(apps, schema_editor):
    """Re-point each action's row at the action; give an open action without one (added
    while a second mechanism chased them) a row due at the end of its due day."""
    action_model = apps.get_model("incidents", "ImprovementAction")
    deadline_model = apps.get_model("deadlines", "Deadline")
    for action in action_model.objects.exclude(deadline=None).iterator():
        deadline_model.objects.filter(pk=action.deadline_id).update(
            improvement_id=action.pk,
            incident_id=None,
            complaint_id=None,
            stage="improvement",
            kind="improvement",
        )
    for action in action_model.objects.filter(deadline=None, status="open").iterator():
        end = datetime.combine(action.due_on + timedelta(days=1), time(0, 0), SHANGHAI)
        anchor = min(action.created_at, end)
        hours = Decimal((end - anchor).total_seconds()) / 3600
        lead = timedelta(days=1) if end - anchor > timedelta(days=2) else None
        row = deadline_model.objects.create(
            improvement_id=action.pk,
            stage="improvement",
            kind="improvement",
            anchor_at=anchor,
            amount=max(hours.quantize(Decimal("0.0001")), Decimal("0.0001")),
            unit="hours",
            warn_lead=lead,
            due_at=end,
            warn_at=end - lead if lead else None,
        )
        action_model.objects.filter(pk=action.pk).update(deadline_id=row.pk)
    checks_now(schema_editor)


def rows_to_incidents(apps, schema_editor):
    """Back: an incident's action's row returns to the incident as the review's
    ``improvement.<id>`` deadline it was; any other action's row goes (the old rule knows
    no such subject), the action keeping no row. Before the old constraint returns."""
    action_model = apps.get_model("incidents", "ImprovementAction")
    deadline_model = apps.get_model("deadlines", "Deadline")
    for action in action_model.objects.exclude(incident=None).iterator():
        deadline_model.objects.filter(improvement_id=action.pk).update(
            improvement_id=None,
            incident_id=action.incident_id,
            complaint_id=None,
            stage="review",
            kind=f"improvement.{action.pk}"[:64],
        )
    others = action_model.objects.filter(incident=None)
    others.update(deadline_id=None)
    deadline_model.objects.filter(improvement_id__isnull=False).delete()
    checks_now(schema_editor)  # before the constraint swap that follows


class Migration(migrations.Migration):
    dependencies = [
        ("deadlines", "0003_emergency"),
        ("incidents", "0003_improvementaction_sources"),
    ]

    operations = [
        migrations.AddField(
            model_name="deadline",
            name="improvement",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="deadlines",
                to="incidents.improvementaction",
                verbose_name="improvement action",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="deadline",
            name="deadline_one_subject",
        ),
        # Every existing row (a complaint's or an incident's) meets the new rule, and the
        # move below keeps exactly one subject per row.
        migrations.AddConstraint(
            model_name="deadline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("complaint__isnull", False),
                        ("improvement__isnull", True),
                        ("incident__isnull", True),
                    ),
                    models.Q(
                        ("complaint__isnull", True),
                        ("improvement__isnull", True),
                        ("incident__isnull", False),
                    ),
                    models.Q(
                        ("complaint__isnull", True),
                        ("improvement__isnull", False),
                        ("incident__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="deadline_one_subject",
            ),
        ),
        # Last: on PostgreSQL, foreign keys set before an ALTER TABLE in the same
        # transaction leave deferred checks pending, and the ALTER is refused.
        migrations.RunPython(rows_to_actions, rows_to_incidents),
    ]
