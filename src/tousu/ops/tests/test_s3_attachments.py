"""Attachments on S3-compatible storage: moto's S3 server on loopback stands in for the
bucket. A complaint registered with evidence leaves the file in the bucket and nothing
on the local disk; the gated evidence view reads it back for a person who may see the
complaint and answers 404 to one who may not."""

from __future__ import annotations

import io
from pathlib import Path

import boto3
import pytest
from django.test import Client
from moto.server import ThreadedMotoServer

from tousu.complaints.attachments import AttachmentUpload
from tousu.complaints.tests.factories import complaint_make
from tousu.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
BUCKET = "tousu-evidence"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch):
    # The keys the storage signs with; moto accepts any. Given the way an operator would,
    # through the environment-derived settings (docs/configuration.md, "Storage").
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "test-key",
                "secret_key": "test-secret",
                "location": "media",
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    yield client
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in listed:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_evidence_goes_to_the_bucket_and_comes_back_through_the_gate(org, bucket, settings):
    upload = AttachmentUpload.from_file("现场照片.png", io.BytesIO(PNG))
    complaint = complaint_make(org.clerk, attachments=[upload])
    attachment = complaint.attachments.get()

    keys = [item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [f"media/{attachment.file.name}"]
    stored = bucket.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read()
    assert stored == PNG
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))

    url = f"/complaints/{complaint.tracking_no}/attachments/{attachment.pk}/"
    response = _login(org.clerk).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert "attachment" in response["Content-Disposition"]

    # Another department's handler: the gate does not show the complaint, nor its file.
    assert _login(org.after_sales_handler).get(url).status_code == 404
    # Nobody signed in: the login page, never the file.
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and PNG not in anonymous.content


def test_the_environment_chooses_the_bucket(tmp_path):
    """TOUSU_S3_* make the default storage S3 (private, never overwriting); without
    TOUSU_S3_BUCKET it stays the local disk."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['default']))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUSU_S3")}
    env.update(
        TOUSU_VAR_DIR=str(tmp_path / "var"),
        TOUSU_DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    )

    def storage(**extra: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "tousu", "shell", "--no-imports", "-c", code],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    assert storage() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    s3 = storage(
        TOUSU_S3_BUCKET="evidence",
        TOUSU_S3_ENDPOINT_URL="http://127.0.0.1:9000",
        TOUSU_S3_ACCESS_KEY_ID="id",
        TOUSU_S3_SECRET_ACCESS_KEY="secret",
    )
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    options = s3["OPTIONS"]
    assert options["bucket_name"] == "evidence"
    assert options["endpoint_url"] == "http://127.0.0.1:9000"
    assert (options["access_key"], options["secret_key"]) == ("id", "secret")
    assert options["default_acl"] == "private" and options["file_overwrite"] is False
    assert "region_name" not in options  # not given: boto3's own default
