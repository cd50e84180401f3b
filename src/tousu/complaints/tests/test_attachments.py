import io
from pathlib import Path

import pytest

from tousu.audit.models import AuditEvent
from tousu.complaints.attachments import AttachmentUpload
from tousu.complaints.evidence import attachment_add
from tousu.complaints.models import Attachment, Complaint
from tousu.complaints.tests.factories import complaint_make
from tousu.core.problems import InvalidInput

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.7\n" + b"x" * 100


def upload(name: str, content: bytes) -> AttachmentUpload:
    return AttachmentUpload.from_file(name, io.BytesIO(content))


def _files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_evidence_is_stored_with_our_name_and_its_digest(org, settings):
    complaint = complaint_make(
        org.clerk, attachments=[upload("现场照片.png", PNG), upload("发票.pdf", PDF)]
    )
    names = sorted(a.original_name for a in complaint.attachments.all())
    assert names == ["发票.pdf", "现场照片.png"]
    stored = _files(settings)
    assert len(stored) == 2 and all("现场" not in p.name for p in stored)
    png = complaint.attachments.get(original_name="现场照片.png")
    assert png.content_type == "image/png" and png.size == len(PNG)
    assert AuditEvent.objects.filter(action="complaint.attachment_added").count() == 2


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("../../etc/passwd.png", PNG, "不允许使用文件名"),
        ("..\\..\\boot.png", PNG, "不允许使用文件名"),
        ("/abs/path.png", PNG, "不允许使用文件名"),
        ("virus.exe", b"MZ" + b"\x00" * 10, "不接受此类型的文件"),
        ("fake.png", b"MZ" + b"\x00" * 10, "不符"),
        ("empty.pdf", b"", "文件为空"),
    ],
)
def test_bad_evidence_refuses_the_whole_complaint(org, settings, name, content, fragment):
    with pytest.raises(InvalidInput) as caught:
        complaint_make(org.clerk, attachments=[upload("ok.png", PNG), upload(name, content)])
    assert fragment in caught.value.field_errors["attachments.1"][0]
    assert Complaint.objects.count() == 0 and Attachment.objects.count() == 0
    assert _files(settings) == []


def test_too_large_evidence_is_refused(org, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(InvalidInput) as caught:
        complaint_make(org.clerk, attachments=[upload("big.pdf", PDF + b"x" * 2000)])
    assert "文件大小超过 1.0" in caught.value.field_errors["attachments.0"][0]
    assert Complaint.objects.count() == 0 and _files(settings) == []


def test_adding_evidence_later_bumps_the_version(org):
    complaint = complaint_make(org.clerk)
    attachment_add(actor=org.clerk, complaint=complaint, upload=upload("补充.pdf", PDF))
    complaint.refresh_from_db()
    assert complaint.version == 2 and complaint.attachments.count() == 1


def test_a_failure_after_files_were_written_removes_them(org, settings, monkeypatch):
    from tousu.complaints import services

    def boom(**kwargs):
        raise RuntimeError("disk full")

    real = services.attachment_store
    calls = []

    def store_then_fail(**kwargs):
        if calls:
            boom()
        calls.append(1)
        return real(**kwargs)

    monkeypatch.setattr(services, "attachment_store", store_then_fail)
    with pytest.raises(RuntimeError):
        complaint_make(org.clerk, attachments=[upload("a.png", PNG), upload("b.png", PNG)])
    assert Complaint.objects.count() == 0 and _files(settings) == []


@pytest.mark.parametrize(
    "content",
    [
        ("投诉补充说明：" * 20).encode("utf-8"),  # byte 64 falls inside a character
        ("投诉补充说明：" * 20).encode("gb18030"),
        "\ufeff现场情况说明".encode(),
    ],
)
def test_a_chinese_text_file_is_accepted_whole(org, content):
    complaint = complaint_make(org.clerk, attachments=[upload("说明.txt", content)])
    assert complaint.attachments.get().size == len(content)


def test_a_text_file_that_is_not_text_is_refused(org):
    binary = ("说明" * 40).encode("utf-8") + b"\xff\xfe\x00\x01"
    with pytest.raises(InvalidInput):
        complaint_make(org.clerk, attachments=[upload("说明.txt", binary)])
