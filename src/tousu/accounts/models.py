from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from tousu.accounts.choices import Role


class Organisation(models.Model):
    """The one organisation of this installation (a market, a company, an office)."""

    name = models.CharField(_("name"), max_length=200)
    plan = models.ForeignKey(
        "plans.Plan",
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The plan new complaints are handled under."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A node of the department tree; ``code`` is stable and unique."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff member. Roles are Django groups named after ``Role`` values."""

    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )

    # Per-request caches of the complaint gate (``complaints.selectors``), set on first use.
    _department_subtree: set[int]
    _plan_stages: dict[int, set[str]]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return User.name_shown(self.last_name, self.first_name, self.username)

    @staticmethod
    def name_shown(last_name: str, first_name: str, username: str) -> str:
        """A person's name as lists show it (family name first), from its columns read
        without the user (an export's plain values): the username when no name is set."""
        return last_name + first_name or username

    def role_codes(self) -> frozenset[str]:
        """The names of the user's groups (roles); inside a ``config_scope`` (a
        registration, a worker's chunk) kept in this process until the configuration
        changes (group memberships are watched)."""
        from tousu.core.config import config_cached, config_scoped

        cached = getattr(self, "_role_codes", None)
        if cached is None:
            if "groups" in getattr(self, "_prefetched_objects_cache", {}):
                cached = frozenset(group.name for group in self.groups.all())
            elif config_scoped() and self.pk is not None:
                cached = config_cached(f"accounts.roles:{self.pk}", self._role_codes_read)
            else:
                cached = self._role_codes_read()
            self._role_codes = cached
        return cached

    def _role_codes_read(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, *roles: Role | str) -> bool:
        codes = self.role_codes()  # a Role is a str: it is found as its value
        return any(role in codes for role in roles)

    @property
    def sees_personal_data(self) -> bool:
        """May read complainants' personal data in full: only through a role that grants
        it (``complaints.view_complainant``), never by being a superuser — an operator
        who administers the system does not read citizens' phone numbers by the way."""
        from tousu.accounts.choices import ROLE_PERMISSIONS

        return self.is_active and any(
            "complaints.view_complainant" in ROLE_PERMISSIONS.get(role, [])
            for role in self.role_codes()
        )

    @property
    def supervises(self) -> bool:
        """May use the supervision board (督办)."""
        from tousu.accounts.choices import ROLES_SUPERVISING

        return self.has_role(*ROLES_SUPERVISING)

    @property
    def runs_drills(self) -> bool:
        """Leads drills (演练) by role: the leadership and administrators."""
        from tousu.accounts.choices import Role

        return self.has_role(Role.LEADERSHIP, Role.ADMINISTRATOR)


class ApiToken(models.Model):
    """A staff API token. Only a SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}…"
