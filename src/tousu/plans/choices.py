from django.db import models
from django.utils.translation import gettext_lazy as _


class ActionType(models.TextChoices):
    """What an action does. A plan names its actions and picks one type for each; the
    engine implements the types, the plan decides who, when and where to next."""

    ACCEPT = "accept", _("Accept")
    REFUSE = "refuse", _("Refuse")
    CLASSIFY = "classify", _("Classify")
    ASSIGN = "assign", _("Assign")
    TRANSFER = "transfer", _("Transfer with slip")
    INVESTIGATE = "investigate", _("Record findings")
    REPORT = "report", _("Submit a report")
    PROPOSE = "propose", _("Propose an opinion")
    APPROVE = "approve", _("Approve")
    SEND_BACK = "send_back", _("Send back")
    CONVENE_MEETING = "convene_meeting", _("Convene a meeting")
    EXECUTE = "execute", _("Execute")
    REPLY = "reply", _("Reply to the complainant")
    RECORD_SATISFACTION = "record_satisfaction", _("Record satisfaction")
    APPEAL = "appeal", _("Appeal")
    REOPEN = "reopen", _("Reopen")
    CLOSE = "close", _("Close")
    ARCHIVE = "archive", _("Archive")
    SCHEDULE_FOLLOW_UP = "schedule_follow_up", _("Schedule a follow-up visit")
    RECORD_FOLLOW_UP = "record_follow_up", _("Record a follow-up visit")
    MARK_EMERGENCY = "mark_emergency", _("Mark for emergency activation")
    WAIT = "wait_for_complainant", _("Wait for the complainant (clock paused)")
    RESUME = "resume", _("Resume (clock runs again)")
    EXTEND = "extend", _("Extend a time limit")
    # The complainant's own actions (the public portal, email, a partner system).
    ADD_MATERIAL = "add_material", _("Add material")
    WITHDRAW = "withdraw", _("Withdraw the complaint")


class Measure(models.TextChoices):
    REPAIR = "repair", _("Repair")
    REPLACE = "replace", _("Replace")
    REFUND = "refund", _("Refund")
    COMPENSATE = "compensate", _("Compensate")
    APOLOGISE = "apologise", _("Apologise")
    RECTIFY = "rectify", _("Rectify")
    EXPLAIN = "explain", _("Explain")


# Measures that move money: an amount is required.
MONEY_MEASURES = frozenset({Measure.REFUND, Measure.COMPENSATE})


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class DeadlineUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    DAYS = "days", _("calendar days")
    WORKING_DAYS = "working_days", _("working days")
    WORKING_HOURS = "working_hours", _("working hours")


# Placeholders a message template may use.
MESSAGE_PLACEHOLDERS = frozenset(
    {
        "tracking_no",
        "title",
        "category",
        "severity",
        "stage",
        "department",
        "assignee",
        "due_at",
        "deadline",
        "overdue",
        "organisation",
        "complainant",
        "reply",
        "reason",
        "level",
        "url",
        # An incident's messages: its number and the task they are about.
        "number",
        "task",
    }
)
