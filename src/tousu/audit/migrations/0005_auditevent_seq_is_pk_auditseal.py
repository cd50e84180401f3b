"""The primary key is the global order (``seq``); chains are required; seals; no single head.

The old ``seq`` (one number per event, handed out under the single head's lock) is
dropped: the legacy chain keeps those numbers as ``chain_seq``, and the primary key
``id``, assigned in the same order, is renamed ``seq`` so that timelines keep ordering
by it.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_auditevent_legacy_chain")]

    operations = [
        migrations.RemoveIndex(model_name="auditevent", name="audit_complaint_seq"),
        migrations.RemoveIndex(model_name="auditevent", name="audit_incident_seq"),
        migrations.RemoveField(model_name="auditevent", name="seq"),
        migrations.RenameField(model_name="auditevent", old_name="id", new_name="seq"),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigAutoField(primary_key=True, serialize=False, verbose_name="sequence"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="chain",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="audit.auditchain",
                verbose_name="chain",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="chain_seq",
            field=models.BigIntegerField(verbose_name="sequence in chain"),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("chain", "chain_seq"), name="audit_chain_seq"
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["complaint", "seq"], name="audit_complaint_seq"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["incident", "seq"], name="audit_incident_seq"),
        ),
        migrations.DeleteModel(name="AuditHead"),
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(unique=True, verbose_name="seal number")),
                ("at", models.DateTimeField(verbose_name="at")),
                ("heads", models.JSONField(default=list, verbose_name="chain heads")),
                ("prev_hash", models.CharField(max_length=64, verbose_name="previous hash")),
                ("hash", models.CharField(max_length=64, verbose_name="hash")),
                ("key_id", models.CharField(max_length=32, verbose_name="key id")),
                (
                    "signing_key_id",
                    models.CharField(max_length=32, verbose_name="signing key id"),
                ),
                ("signature", models.CharField(max_length=128, verbose_name="signature")),
            ],
            options={
                "verbose_name": "audit seal",
                "verbose_name_plural": "audit seals",
                "ordering": ["seq"],
            },
        ),
    ]
