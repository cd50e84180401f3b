"""The configuration generation row; its triggers are installed after every migrate
(``tousu.core.config.config_triggers_install``), since a later migration that rebuilds
a configuration table on SQLite drops the triggers on it."""

import secrets

from django.db import migrations, models


def first_row(apps, schema_editor):
    apps.get_model("core", "ConfigGeneration").objects.create(id=1, token=secrets.token_hex(16))


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations = [
        migrations.CreateModel(
            name="ConfigGeneration",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("token", models.CharField(max_length=64, verbose_name="token")),
            ],
            options={
                "verbose_name": "configuration generation",
                "verbose_name_plural": "configuration generations",
            },
        ),
        migrations.RunPython(first_row, migrations.RunPython.noop),
    ]
