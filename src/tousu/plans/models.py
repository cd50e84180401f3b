from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tousu.plans import schema
from tousu.plans.definition import plan_of


class ImmutableError(RuntimeError):
    """Raised on an attempt to change a stored plan revision."""


class Plan(models.Model):
    """A complaint emergency plan; its content lives in immutable revisions.

    Invariant: ``active_revision`` (when set) belongs to this plan; new complaints start
    under it, and running complaints keep the revision they started under.
    """

    key = models.SlugField(_("key"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    active_revision = models.ForeignKey(
        "PlanRevision",
        verbose_name=_("active revision"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class PlanRevision(models.Model):
    """One dated, immutable version of a plan (预案版本): the file as written and the
    validated definition the engine reads."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="revisions"
    )
    number = models.PositiveIntegerField(_("revision"))
    source = models.TextField(_("source"))
    definition = models.JSONField(_("definition"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    effective_date = models.DateField(_("effective date"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan revision")
        verbose_name_plural = _("plan revisions")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.plan.key} r{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("plan revisions are immutable; load a new revision")
        super().save(*args, **kwargs)

    @cached_property
    def plan_model(self) -> schema.Plan:
        """The typed plan of this revision (validated once per process and file; kept on
        the instance too, as the engine asks for it at every step)."""
        return plan_of(self)


class Category(models.Model):
    """A node of the plan's category tree (产品质量, 售后服务 …); ``key`` is stable. The tree
    follows the organisation's plan (``plans.categories.categories_sync``)."""

    key = models.SlugField(_("key"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        # Kept where it was created (the model moved from the complaints app).
        db_table = "complaints_category"
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name
