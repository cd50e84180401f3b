"""Evidence on a complaint: files staff attach, and the material the complainant adds
(补充材料) through the plan's ``add_material`` action — text and files in one
transaction, files removed again when it fails."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.audit.services import audit_record
from tousu.complaints.attachments import AttachmentUpload, attachment_validate
from tousu.complaints.checks import FieldErrors
from tousu.complaints.choices import EventAction
from tousu.complaints.models import Attachment, Complaint
from tousu.complaints.versions import stale
from tousu.complaints.workflow import category_active, decision_apply
from tousu.core.actors import Actor
from tousu.core.problems import InvalidInput, NotAllowed
from tousu.plans import engine


def attachment_store(*, actor: Actor, complaint: Complaint, upload: AttachmentUpload) -> str:
    attachment = Attachment(
        complaint=complaint,
        original_name=upload.name,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        uploaded_by=actor if isinstance(actor, User) else None,
    )
    attachment.file.save(upload.name, upload.file, save=False)
    try:
        attachment.save()
        audit_record(
            actor=actor,
            action=EventAction.ATTACHMENT_ADDED,
            object_type="attachment",
            object_id=str(attachment.pk),
            complaint=complaint,
            data={"name": upload.name, "size": upload.size, "sha256": upload.sha256},
        )
    except BaseException:
        default_storage.delete(attachment.file.name or "")
        raise
    return attachment.file.name or ""


def attachment_add(*, actor: User, complaint: Complaint, upload: AttachmentUpload) -> Attachment:
    """Attach evidence to a complaint the actor may change."""
    if not actor.has_perm("complaints.change_complaint"):
        raise NotAllowed(_("You may not change this complaint."))
    messages = attachment_validate(upload)
    if messages:
        raise InvalidInput(_("The file cannot be attached."), field_errors={"file": messages})
    with transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(version=F("version") + 1)
        name = attachment_store(actor=actor, complaint=complaint, upload=upload)
    return complaint.attachments.get(file=name)


def material_add(
    *,
    complaint: Complaint,
    actor: Actor,
    material: str,
    uploads: Sequence[AttachmentUpload] = (),
    version: int | None = None,
) -> Complaint:
    """The complainant adds material (补充材料): the plan's ``add_material`` action with
    its text, and its files, in one transaction. The engine decides whether the actor may
    (the complainant of this complaint, in a stage that is not terminal); ``version``
    (when given) is the version they saw. Bad files raise ``InvalidInput`` naming each
    ``attachments.N`` before anything is written."""
    if version is not None and complaint.version != version:
        raise stale(complaint, version)
    errors = FieldErrors()
    for index, upload in enumerate(uploads):
        for message in attachment_validate(upload):
            errors.add(f"attachments.{index}", message)
    errors.raise_if_any()
    now = timezone.now()
    decision = engine.decide(
        complaint=complaint,
        actor=actor,
        action="add_material",
        data={"material": material},
        category_of=category_active,
        now=now,
    )
    decision.event["files"] = [upload.name for upload in uploads]
    stored: list[str] = []
    try:
        with transaction.atomic():
            decision_apply(
                complaint=complaint,
                actor=actor,
                decision=decision,
                version=complaint.version,
                now=now,
            )
            for upload in uploads:
                stored.append(attachment_store(actor=actor, complaint=complaint, upload=upload))
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return complaint
