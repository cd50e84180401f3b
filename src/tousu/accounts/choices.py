from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The people of DESIGN §1. Each is a Django group with the same name."""

    INTAKE_CLERK = "intake_clerk", _("Intake clerk")
    INVESTIGATOR = "investigator", _("Investigator")
    MEDIATOR = "mediator", _("Mediator")
    RECORDER = "recorder", _("Recorder")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    LEADERSHIP = "leadership", _("Leadership")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMINISTRATOR = "administrator", _("Administrator")


# Roles that see every department's complaints (confidential ones: leadership only).
ROLES_SEEING_ALL = frozenset({Role.LEADERSHIP, Role.SUPERVISOR, Role.ADMINISTRATOR})
# Roles that chase deadlines on the supervision board (督办).
ROLES_SUPERVISING = frozenset(
    {Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMINISTRATOR, Role.DEPARTMENT_HEAD}
)
# Roles that see confidential complaints (state or commercial secrets).
ROLES_SEEING_CONFIDENTIAL = frozenset({Role.LEADERSHIP})

# Permissions of each role, as "app_label.codename".
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.INTAKE_CLERK: [
        "complaints.add_complaint",
        "complaints.assign_complaint",
        "complaints.change_complaint",
        "complaints.view_complainant",
    ],
    Role.INVESTIGATOR: ["complaints.change_complaint", "complaints.view_complainant"],
    Role.MEDIATOR: ["complaints.change_complaint", "complaints.view_complainant"],
    Role.RECORDER: ["complaints.change_complaint"],
    Role.DEPARTMENT_HANDLER: ["complaints.change_complaint", "complaints.view_complainant"],
    Role.DEPARTMENT_HEAD: [
        "complaints.assign_complaint",
        "complaints.change_complaint",
        "complaints.view_complainant",
    ],
    Role.LEADERSHIP: [
        "plans.view_plan",
        "complaints.add_complaint",
        "complaints.assign_complaint",
        "complaints.change_complaint",
        "complaints.view_complainant",
    ],
    Role.SUPERVISOR: ["complaints.assign_complaint", "plans.view_plan"],
    Role.ADMINISTRATOR: [
        "complaints.add_complaint",
        "complaints.assign_complaint",
        "complaints.change_complaint",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_user",
        "accounts.add_department",
        "accounts.change_department",
        "accounts.view_department",
        "audit.view_auditevent",
        "plans.add_plan",
        "plans.change_plan",
        "plans.view_plan",
        "deadlines.manage_calendar",
    ],
}
