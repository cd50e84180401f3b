"""The events written before keyed chains become the ``legacy`` chain, untouched.

Nothing is re-hashed: each keeps its SHA-256 hash and link, its old sequence number
becomes ``chain_seq`` and ``tousu audit verify`` checks them the old way. The old
single head becomes the legacy chain's head; the first seal after the upgrade records
it, and from then on the legacy chain may not grow or change without verify saying so.
Re-hashing them with the new key instead would launder whatever was done to them
before the upgrade, and break any hash of them kept outside.
"""

from django.db import migrations
from django.db.models import F

GENESIS = "0" * 64


def forwards(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChain = apps.get_model("audit", "AuditChain")
    AuditHead = apps.get_model("audit", "AuditHead")
    if not AuditEvent.objects.exists():
        return
    head = AuditHead.objects.filter(pk=1).first()
    last = AuditEvent.objects.order_by("-seq").first()
    legacy = AuditChain.objects.create(
        key="legacy",
        last_seq=head.last_seq if head else last.seq,
        last_hash=head.last_hash if head else last.hash,
        sealed=False,
    )
    AuditEvent.objects.update(chain=legacy, chain_seq=F("seq"), key_id="")


def backwards(apps, schema_editor):
    # The single chain had one global sequence; keyed chains cannot be folded back into
    # it, and the old ``seq`` column returns empty. Only an empty log goes back.
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChain = apps.get_model("audit", "AuditChain")
    if AuditEvent.objects.exists():
        raise RuntimeError("audit events exist: keyed chains cannot be undone with data")
    AuditChain.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_auditchain_auditevent_add_chain")]
    operations = [migrations.RunPython(forwards, backwards)]
