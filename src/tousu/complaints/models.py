from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tousu.complaints.choices import Channel, Nature, ParticipantPart, Severity, Status
from tousu.core.crypto import EncryptedTextField
from tousu.plans import schema
from tousu.plans.models import Category  # the plan's category tree


class Complainant(models.Model):
    """The complainant's personal data, encrypted at rest.

    Only the services of this app read the clear values; lists show masked forms and a
    full view is recorded in the audit chain. ``phone_digest`` is a keyed digest for
    finding a caller's earlier complaints without decrypting every row, ``name_digest``
    the same for the normalised name; ``keys`` hold the digests of the phone number's
    suffixes (complaints.lookup).
    """

    name = EncryptedTextField(_("name"))
    phone = EncryptedTextField(_("phone"), blank=True)
    id_number = EncryptedTextField(_("ID number"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    email = EncryptedTextField(_("email"), blank=True)
    # Digests are only ever compared whole: a plain index each (``db_index`` would add a
    # second, pattern-matching copy on PostgreSQL that no query uses).
    phone_digest = models.CharField(max_length=64, blank=True)
    name_digest = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("complainant")
        verbose_name_plural = _("complainants")
        indexes = [
            models.Index(fields=["phone_digest"], name="complainant_phone_digest"),
            models.Index(fields=["name_digest"], name="complainant_name_digest"),
        ]

    def __str__(self) -> str:
        return f"complainant {self.pk}"


class ComplainantKey(models.Model):
    """A keyed digest of one suffix (4+ digits) of a complainant's phone number, so a
    caller who gives the last digits is found without decrypting any row."""

    complainant = models.ForeignKey(
        Complainant, on_delete=models.CASCADE, related_name="keys", verbose_name=_("complainant")
    )
    digest = models.CharField(max_length=64)  # compared whole: one plain index, below

    class Meta:
        verbose_name = _("complainant look-up key")
        verbose_name_plural = _("complainant look-up keys")
        indexes = [models.Index(fields=["digest"], name="complainantkey_digest")]

    def __str__(self) -> str:
        return f"key of complainant {self.complainant_id}"


class ComplaintQuerySet(models.QuerySet["Complaint"]):
    def visible_to(self, user) -> models.QuerySet[Complaint]:
        """The one gate for reading complaints; deny by default."""
        from tousu.complaints.selectors import complaint_visibility_filter

        return complaint_visibility_filter(self, user)


class Complaint(models.Model):
    """One complaint case.

    Invariants: ``tracking_no`` never changes; ``version`` grows by one on every change,
    so an update based on an older version is refused (optimistic concurrency).
    """

    # Unique by the constraint below: ``unique=True`` would add a second, ``LIKE`` index
    # on PostgreSQL that no query uses (numbers are compared whole).
    tracking_no = models.CharField(_("tracking number"), max_length=32)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("what happened"))
    occurred_at = models.DateTimeField(_("when it happened"), null=True, blank=True)
    occurred_place = models.CharField(_("where it happened"), max_length=200, blank=True)
    persons_involved = models.CharField(_("persons involved"), max_length=500, blank=True)
    merchant = models.CharField(_("merchant"), max_length=200, blank=True)
    product = models.CharField(_("product or service"), max_length=200, blank=True)
    # What emergency triggers weigh (amount and injury thresholds, media involvement).
    amount_involved = models.DecimalField(
        _("amount involved (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    people_injured = models.PositiveIntegerField(_("people injured"), default=0)
    media_involved = models.BooleanField(_("media involved"), default=False)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.ORDINARY
    )
    nature = models.CharField(
        _("nature"), max_length=16, choices=Nature.choices, default=Nature.PROBLEM
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.REGISTERED
    )
    confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_("Touches state or commercial secrets: visible to leadership only."),
    )
    complainant = models.ForeignKey(
        Complainant,
        verbose_name=_("complainant"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    # Empty when the complaint came in through a door (portal, email, api, import).
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.PROTECT,
        related_name="complaints_received",
        null=True,
        blank=True,
    )
    # The keyed digest of the complainant's private access code (complaints.access).
    access_digest = models.CharField(
        _("access code digest"), max_length=64, blank=True, editable=False
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_assigned",
    )
    plan_revision = models.ForeignKey(
        "plans.PlanRevision",
        verbose_name=_("plan revision"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    stage = models.CharField(_("stage"), max_length=64, blank=True)  # indexed below
    satisfaction = models.CharField(_("satisfaction"), max_length=32, blank=True)
    emergency_marked = models.BooleanField(_("marked for emergency activation"), default=False)
    # Engine bookkeeping: anchors (event → time), the pending opinion, appeal rounds,
    # the convened meeting. Only the workflow engine writes it.
    workflow = models.JSONField(_("workflow state"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at", "-pk"]
        permissions = [("assign_complaint", _("Can assign and transfer complaints"))]
        constraints = [
            models.UniqueConstraint(fields=["tracking_no"], name="complaint_tracking_no"),
        ]
        indexes = [
            # A plain index (``db_index`` would add a ``LIKE`` copy on PostgreSQL).
            models.Index(fields=["stage"], name="complaint_stage"),
            models.Index(fields=["-received_at", "-id"], name="complaint_received"),
            models.Index(fields=["department", "-received_at"], name="complaint_dept_received"),
            models.Index(fields=["status", "-received_at"], name="complaint_status_received"),
            # The dashboard's figures of a period: a range of received_at whose filters
            # (department, plan revision, confidential) and groupings (status, stage,
            # category, channel, rating, caller, merchant, product, place) read the index
            # alone. Open work "now" reads complaint_open: the open statuses only, with
            # the department and plan filters and the stage in the index.
            models.Index(
                fields=[
                    "received_at",
                    "department",
                    "plan_revision",
                    "confidential",
                    "status",
                    "stage",
                    "category",
                    "channel",
                    "satisfaction",
                    "complainant",
                    "merchant",
                    "product",
                    "occurred_place",
                ],
                name="complaint_dashboard",
            ),
            models.Index(
                fields=["status", "department", "plan_revision", "stage", "confidential"],
                name="complaint_open",
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_no

    @property
    def plan(self) -> schema.Plan:
        """The typed plan of the revision the complaint runs under (callers check
        ``plan_revision_id`` first; a complaint without a plan has none)."""
        revision = self.plan_revision
        if revision is None:
            raise ValueError(f"complaint {self.tracking_no} runs under no plan")
        return revision.plan_model


class Participant(models.Model):
    """A person with a part in a case besides its department: who acted on it (they keep
    seeing it, read-only once their step is done) and who an escalation added as a
    co-owner (督办人, a group lead). Invariant: one row per complaint, person and part;
    rows are added, never moved, so escalation never takes a case away from anyone."""

    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="participants",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="participations",
    )
    part = models.CharField(_("part"), max_length=16, choices=ParticipantPart.choices)
    since = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "user", "part"], name="participant_once")
        ]
        indexes = [models.Index(fields=["user", "complaint"], name="participant_user")]

    def __str__(self) -> str:
        return f"{self.complaint_id}/{self.user_id}/{self.part}"


class ComplaintSearchDocument(models.Model):
    """The complaint's searchable text as space-separated Chinese bigrams and words.

    On SQLite an FTS5 index over this table is kept by triggers; on PostgreSQL a GIN
    index over ``to_tsvector('simple', document)`` serves the same queries.
    """

    complaint = models.OneToOneField(
        Complaint, primary_key=True, on_delete=models.CASCADE, related_name="search_document"
    )
    document = models.TextField()

    class Meta:
        verbose_name = _("search document")

    def __str__(self) -> str:
        return f"search document {self.complaint_id}"


class DailySequence(models.Model):
    """The last tracking number issued on a day (Asia/Shanghai date)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is ours: the complainant's file name is kept only as data.
    suffix = PurePosixPath(filename).suffix.lower()
    now = timezone.localtime()
    return f"attachments/{now:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """Evidence attached to a complaint; served only through the visibility gate."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # Empty when the complainant or a door (email, api) sent the file.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class ComplaintMatter(models.Model):
    """One matter (同一事项) of a plan: the complaints that say the same thing about the
    same merchant, product, place, category or department, grouped for the plan's mass
    triggers (群体性投诉). ``complaints.similar`` is its only writer.

    Invariants: ``key`` is the tracking number of the complaint that started the matter
    and never changes; a complaint belongs to at most one matter (its
    ``ComplaintSignature``); matters are neither merged nor split.
    """

    key = models.CharField(_("key"), max_length=32, unique=True)
    plan_key = models.CharField(_("plan"), max_length=64)
    started_at = models.DateTimeField(_("started at"))

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")

    def __str__(self) -> str:
        return self.key


class ComplaintSignature(models.Model):
    """A complaint's place in its matter: the MinHash signature of its text (little-endian
    32-bit minima; empty when the text has nothing to compare) and ``score``, the
    estimated Jaccard similarity with which it joined the matter (1 for the complaint that
    started it). Invariant: written once, at registration; ``received_at`` copies the
    complaint's, so the members of a matter in a window are one index range."""

    complaint = models.OneToOneField(
        Complaint,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="signature",
        verbose_name=_("complaint"),
    )
    matter = models.ForeignKey(
        ComplaintMatter,
        on_delete=models.CASCADE,
        related_name="members",
        db_index=False,  # the index below starts with it
        verbose_name=_("matter"),
    )
    received_at = models.DateTimeField(_("received at"))
    signature = models.BinaryField(_("signature"))
    score = models.FloatField(_("similarity"))

    class Meta:
        verbose_name = _("complaint signature")
        verbose_name_plural = _("complaint signatures")
        indexes = [models.Index(fields=["matter", "received_at"], name="signature_matter_received")]

    def __str__(self) -> str:
        return f"signature of {self.complaint_id}"


class SimilarityBand(models.Model):
    """One row of the locality-sensitive index of complaint texts: the complaint's
    ``bucket`` in ``band`` (a hash of the plan, the fields the plan's mass triggers
    compare, and a slice of the signature). Complaints that share a row are candidates of
    the same matter; the index serves "newest rows of this bucket since a time" alone.
    Invariant: written once, at registration, with the complaint's ``received_at``."""

    # Complaints are not deleted in normal operation; an index on this column alone would
    # nearly double the size of the table's indexes for the rare cascade.
    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("complaint"),
    )
    band = models.PositiveSmallIntegerField(_("band"))
    bucket = models.BigIntegerField(_("bucket"))
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("similarity band")
        verbose_name_plural = _("similarity bands")
        indexes = [
            # The complaint last: the candidate look-up reads the index alone.
            models.Index(
                fields=["band", "bucket", "received_at", "complaint"], name="similarity_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.band}/{self.bucket}"
