"""Checks on evidence files before anything is stored.

A file is accepted only when its extension is on the list and its first bytes look
like that kind of file, so a renamed executable is refused whatever its name says.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0",)
SIGNATURES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ZIP,
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    ".doc": ("application/msword", _OLE),
    ".xls": ("application/vnd.ms-excel", _OLE),
    ".mp3": ("audio/mpeg", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    ".wav": ("audio/wav", (b"RIFF",)),
    ".amr": ("audio/amr", (b"#!AMR",)),
    ".m4a": ("audio/mp4", ()),  # checked by its ftyp box below
    ".mp4": ("video/mp4", ()),
    ".txt": ("text/plain", ()),  # checked by decoding below
}
MAX_NAME = 200


@dataclass
class AttachmentUpload:
    """A file offered as evidence, with what the checks need to know about it."""

    name: str
    file: File
    size: int
    head: bytes
    sha256: str

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix.lower()

    @property
    def content_type(self) -> str:
        return SIGNATURES.get(self.suffix, ("application/octet-stream", ()))[0]

    @classmethod
    def from_file(cls, name: str, file) -> AttachmentUpload:
        digest, size = hashlib.sha256(), 0
        file.seek(0)
        head = file.read(64)
        file.seek(0)
        for chunk in iter(lambda: file.read(1 << 16), b""):
            digest.update(chunk)
            size += len(chunk)
        file.seek(0)
        return cls(
            name=name, file=File(file, name=name), size=size, head=head, sha256=digest.hexdigest()
        )


def _is_text(upload: AttachmentUpload) -> bool:
    """The whole file is text in UTF-8 (a BOM allowed) or GB18030 — checked whole, so a
    Chinese character cut at any byte boundary is no reason to refuse it."""
    upload.file.seek(0)
    data = upload.file.read()
    upload.file.seek(0)
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _looks_like(upload: AttachmentUpload) -> bool:
    suffix, head = upload.suffix, upload.head
    if suffix in (".m4a", ".mp4"):
        return head[4:8] == b"ftyp"
    if suffix == ".txt":
        return _is_text(upload)
    if suffix == ".webp":
        return head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    if suffix == ".wav":
        return head.startswith(b"RIFF") and head[8:12] == b"WAVE"
    return head.startswith(SIGNATURES[suffix][1])


def attachment_validate(upload: AttachmentUpload) -> list[str]:
    """Messages saying why ``upload`` cannot be stored; empty when it can."""
    name = upload.name or ""
    if (
        not name.strip()
        or PurePosixPath(name).name != name
        or PureWindowsPath(name).name != name
        or name.startswith(".")
        or ".." in name
        or "\x00" in name
    ):
        return [_("The file name “%(name)s” is not allowed.") % {"name": name[:MAX_NAME]}]
    if len(name) > MAX_NAME:
        return [_("The file name is longer than %(limit)d characters.") % {"limit": MAX_NAME}]
    if upload.suffix not in SIGNATURES:
        allowed = " ".join(sorted(SIGNATURES))
        message = _("Files of this type are not accepted; allowed: %(allowed)s.")
        return [message % {"allowed": allowed}]
    if upload.size == 0:
        return [_("The file is empty.")]
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        return [_("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}]
    if not _looks_like(upload):
        message = _("The file's content does not match its type %(suffix)s.")
        return [message % {"suffix": upload.suffix}]
    return []
