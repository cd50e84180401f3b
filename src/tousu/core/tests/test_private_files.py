"""The database, the keys and the attachments are readable by the service's own user
only (0600, folders 0700), and a superuser reads personal data only through a role."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from django.conf import settings

from tousu.accounts.choices import Role
from tousu.accounts.services import user_create
from tousu.complaints.attachments import AttachmentUpload
from tousu.complaints.tests.factories import complaint_make
from tousu.config import private_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_database_file_is_created_and_kept_owner_only(tmp_path):
    fresh = tmp_path / "var" / "tousu.sqlite3"
    private_file(fresh)
    assert mode(fresh) == 0o600 and mode(fresh.parent) == 0o700
    old = tmp_path / "old.sqlite3"
    old.write_bytes(b"")
    old.chmod(0o644)  # as SQLite leaves it under the usual umask
    private_file(old)
    assert mode(old) == 0o600


def test_the_keys_beside_it_are_owner_only():
    keys = [settings.VAR_DIR / n for n in ("secret_key", "encryption_key", "index_key")]
    present = [k for k in keys if k.exists()]  # a key given in the environment has no file
    assert all(mode(k) == 0o600 for k in present), [(k.name, oct(mode(k))) for k in present]


@pytest.mark.django_db
def test_an_attachment_is_stored_owner_only(org):
    png = AttachmentUpload.from_file("现场照片.png", io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64))
    complaint = complaint_make(org.clerk, attachments=[png])
    stored = Path(complaint.attachments.get().file.path)
    assert mode(stored) == 0o600 and mode(stored.parent) == 0o700


@pytest.mark.django_db
def test_a_superuser_reads_personal_data_only_through_a_role(org):
    root = user_create(username="root", password=None, is_superuser=True)
    assert root.has_perm("complaints.view_complainant")  # Django's view of a superuser
    assert not root.sees_personal_data
    assert org.clerk.sees_personal_data
    officer = user_create(username="officer", password=None, roles=[Role.INVESTIGATOR])
    assert officer.sees_personal_data
