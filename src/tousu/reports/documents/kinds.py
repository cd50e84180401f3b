"""Which documents there are, and which apply to a complaint (the menu on its page)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tousu.complaints.models import Complaint
from tousu.complaints.receipts import complaint_refused
from tousu.reports.documents import content

# key → title: plain English in the code, the Chinese catalogue gives the printed title
# (受理回执, 不予受理告知书, 投诉接收单, 督办单, 领导批示, 案卷).
KINDS = {
    "receipt": _("Receipt of acceptance"),
    "refusal": _("Notice of non-acceptance"),
    "transfer": _("Transfer slip"),
    "supervision": _("Supervision notice"),
    "instruction": _("Leader's instruction"),
    "case-file": _("Case file"),
}
# A refused complaint's receipt proves only that it was received (收件回执).
RECEIPT_OF_DELIVERY = _("Receipt of delivery")


def document_title(kind: str, complaint: Complaint) -> str:
    """The title of document ``kind`` for ``complaint``: a refused complaint's receipt is
    a receipt of delivery, never of acceptance."""
    if kind == "receipt" and complaint_refused(complaint):
        return str(RECEIPT_OF_DELIVERY)
    return str(KINDS[kind])


@dataclass(frozen=True)
class Available:
    """One document the complaint has: ``event`` picks one of several (a second
    transfer, a later approval); ``note`` tells them apart."""

    kind: str
    title: str
    event: int | None = None
    note: str = ""


def documents_available(complaint: Complaint) -> list[Available]:
    """The documents that apply to ``complaint`` (read through the gate by the caller)."""
    found = [Available("receipt", document_title("receipt", complaint))]
    for event in content.refusals(complaint):
        found.append(Available("refusal", str(KINDS["refusal"]), event.seq, _at(event)))
    for event in content.transfers(complaint):
        _before, after = event.data["department"]
        found.append(
            Available("transfer", str(KINDS["transfer"]), event.seq, f"{_at(event)} → {after}")
        )
    notices = content.supervisions(complaint)
    for event in notices:
        found.append(Available("supervision", str(KINDS["supervision"]), event.seq, _at(event)))
    if not notices and content.overdue_deadlines(complaint):
        found.append(Available("supervision", str(KINDS["supervision"])))
    for event in content.approvals(complaint):
        found.append(Available("instruction", str(KINDS["instruction"]), event.seq, _at(event)))
    found.append(Available("case-file", str(KINDS["case-file"])))
    return found


def _at(event) -> str:
    return timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M")
