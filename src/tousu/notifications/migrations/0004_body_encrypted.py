"""Outbox bodies are encrypted at rest, like addresses: a complainant's message may carry
their access code or a one-time code. Rows written before are encrypted in place."""

from django.db import migrations

import tousu.core.crypto

BATCH = 1000


def encrypt_bodies(apps, schema_editor):
    from tousu.core.crypto import encrypt

    table = apps.get_model("notifications", "Notification")._meta.db_table
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, body FROM {table} ORDER BY id")  # noqa: S608
        rows = cursor.fetchall()
    quoted = connection.ops.quote_name(table)
    for start in range(0, len(rows), BATCH):
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {quoted} SET body = %s WHERE id = %s",  # noqa: S608
                [(encrypt(body), pk) for pk, body in rows[start : start + BATCH] if body],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_channel_callback"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="body",
            field=tousu.core.crypto.EncryptedTextField(verbose_name="message"),
        ),
        migrations.RunPython(encrypt_bodies, migrations.RunPython.noop),
    ]
