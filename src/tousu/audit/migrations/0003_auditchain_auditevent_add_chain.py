"""Per-subject hash chains: the chain heads, and each event's chain, place and key id."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_auditevent_add_incident_subject")]

    operations = [
        migrations.CreateModel(
            name="AuditChain",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=64, unique=True, verbose_name="chain")),
                ("last_seq", models.BigIntegerField(default=0, verbose_name="last sequence")),
                (
                    "last_hash",
                    models.CharField(
                        default="0000000000000000000000000000000000000000000000000000000000000000",
                        max_length=64,
                        verbose_name="last hash",
                    ),
                ),
                ("sealed", models.BooleanField(default=False, verbose_name="sealed")),
            ],
            options={
                "verbose_name": "audit chain",
                "verbose_name_plural": "audit chains",
                "indexes": [
                    models.Index(
                        condition=models.Q(("sealed", False)), fields=["id"], name="audit_unsealed"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="audit.auditchain",
                verbose_name="chain",
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain_seq",
            field=models.BigIntegerField(null=True, verbose_name="sequence in chain"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="key id"),
            preserve_default=False,
        ),
    ]
