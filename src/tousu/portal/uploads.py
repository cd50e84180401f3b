"""What the public may attach: photos and PDF only, checked by their bytes (the
complaints app's signatures), at most ``PORTAL_FILE_MAX_MB`` each, ``PORTAL_FILES_MAX_MB``
together and ``PORTAL_FILES_MAX`` files. An SVG (it can carry script), an office file
or an executable renamed ``.jpg`` is refused, whatever its name says."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from tousu.complaints.attachments import AttachmentUpload, attachment_validate

PORTAL_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".pdf")
# The file input's hint to the browser (the server checks the bytes regardless).
ACCEPT = "image/jpeg,image/png,image/gif,image/webp,application/pdf"


def file_max() -> int:
    return int(getattr(settings, "PORTAL_FILE_MAX_MB", 10)) * 1024 * 1024


def total_max() -> int:
    return int(getattr(settings, "PORTAL_FILES_MAX_MB", 30)) * 1024 * 1024


def count_max() -> int:
    return int(getattr(settings, "PORTAL_FILES_MAX", 10))


def body_max() -> int:
    """The largest request body the form may send: the files and the form's text."""
    return total_max() + 2 * 1024 * 1024


def api_total_max() -> int:
    """The attachments of one JSON request together: base64 makes them a third larger
    and the whole body is capped at ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (the API's body
    guard), so at most 70 % of that (3.5 MB of 5 MB), and never more than a form's."""
    body = int(getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", 0) or 0)
    return min(total_max(), body * 7 // 10) if body else total_max()


def too_large_message() -> str:
    return _("The attachments are too large: at most %(each)s per file and %(total)s together.") % {
        "each": filesizeformat(file_max()),
        "total": filesizeformat(total_max()),
    }


@dataclass
class Checked:
    """The files that passed, and a message per refused file (in the order given)."""

    uploads: list[AttachmentUpload] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def uploads_check(files: Iterable[tuple[str, IO[bytes]]]) -> Checked:
    """Check each ``(name, file)``: type by name and bytes, size, and the totals."""
    checked = Checked()
    items = list(files)
    if len(items) > count_max():
        checked.errors.append(_("Attach at most %(count)d files.") % {"count": count_max()})
        return checked
    total = 0
    for name, handle in items:
        upload = AttachmentUpload.from_file(name, handle)
        total += upload.size
        if upload.suffix not in PORTAL_SUFFIXES:
            checked.errors.append(
                _("“%(name)s”: only photos (JPEG, PNG, GIF, WebP) and PDF files are accepted.")
                % {"name": name[:100]}
            )
            continue
        if upload.size > file_max():
            checked.errors.append(
                _("“%(name)s” is larger than %(limit)s.")
                % {"name": name[:100], "limit": filesizeformat(file_max())}
            )
            continue
        problems = attachment_validate(upload)
        if problems:
            checked.errors += [f"“{name[:100]}”: {problem}" for problem in problems]
            continue
        checked.uploads.append(upload)
    if total > total_max():
        checked.errors.append(too_large_message())
    return checked
