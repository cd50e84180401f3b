"""docs/operations.md's backup and restore commands, run as written (the shell blocks are
read out of the document): a dump and the keys restore a database whose audit log
verifies against the anchor taken at backup and whose complainants' names decrypt; the
same dump without the keys gives neither."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tousu.complaints.tests.factories import complaint_make
from tousu.supervision.tests.processes import database_url

DOC = Path(settings.BASE_DIR) / "docs" / "operations.md"
BLOCK = re.compile(r"<!-- ops-test: (\w+) -->\n```sh\n(.*?)```", re.DOTALL)
READ_NAME = (
    "from tousu.complaints.models import Complaint\n"
    "try:\n"
    "    print(Complaint.objects.get().complainant.name)\n"
    "except ValueError:\n"
    "    print('UNREADABLE')\n"
)


def doc_blocks() -> dict[str, str]:
    return dict(BLOCK.findall(DOC.read_text(encoding="utf-8")))


def _key_items(keys: list[tuple[str, bytes]]) -> str:
    return ",".join(f"{key_id}:{base64.b64encode(secret).decode()}" for key_id, secret in keys)


def _installation_var_dir(path: Path) -> Path:
    """A var dir holding this test run's keys as the embedded run keeps them: files."""
    path.mkdir(mode=0o700)
    files = {
        "secret_key": settings.SECRET_KEY,
        "encryption_key": settings.ENCRYPTION_KEYS[0],
        "index_key": settings.INDEX_KEY,
        "audit_keys": _key_items(settings.AUDIT_KEYS),
        "audit_signing_key": _key_items(settings.AUDIT_SIGNING_KEYS),
    }
    for name, value in files.items():
        (path / name).write_text(value, encoding="ascii")
        (path / name).chmod(0o600)
    return path


def _env(var_dir: Path, database: str, **extra: str) -> dict[str, str]:
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOUSU_", "PG"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        TOUSU_VAR_DIR=str(var_dir),
        TOUSU_DATABASE_URL=database,
        PGHOST=db.get("HOST") or "127.0.0.1",
        PGPORT=str(db.get("PORT") or 5432),
        PGUSER=db.get("USER") or "postgres",
        **extra,
    )
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_the_doc_has_both_blocks():
    assert set(doc_blocks()) == {"backup", "restore"}


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_documented_backup_and_restore_keep_the_data_readable_and_verifiable(org, tmp_path):
    complaint_make(org.clerk)
    blocks = doc_blocks()
    backup = tmp_path / "backup"
    source_var = _installation_var_dir(tmp_path / "var-source")
    source_db = connection.settings_dict["NAME"]
    restored_db = f"h_ops_restore_{uuid.uuid4().hex[:8]}"
    keyless_db = f"{restored_db}_nokeys"
    base = connection.settings_dict
    url = database_url().rsplit("/", 1)[0]
    try:
        done = _run(
            ["bash", "-c", blocks["backup"]],
            _env(source_var, database_url(), DB=source_db, BACKUP=str(backup)),
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert (backup / "tousu.dump").stat().st_size > 0
        assert {"encryption_key", "audit_keys", "audit-anchor.json"} <= {
            p.name for p in backup.iterdir()
        }

        # Restore on a "new machine": an empty var dir, the restored keys.
        new_var = tmp_path / "var-restored"
        env = _env(new_var, f"{url}/{restored_db}", RESTORE_DB=restored_db, BACKUP=str(backup))
        done = _run(["bash", "-c", blocks["restore"]], env)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        assert "审计日志完整" in done.stdout  # "audit log intact"
        name = _run(["tousu", "shell", "--no-imports", "-c", READ_NAME], env)
        assert name.stdout.strip() == "张伟", name.stderr[-2000:]

        # The same dump with no keys (a fresh var dir makes new ones): nothing verifies,
        # nothing decrypts.
        bare_var = tmp_path / "var-bare"
        bare = _env(bare_var, f"{url}/{keyless_db}")
        assert _run(["createdb", keyless_db], bare).returncode == 0
        restore = ["pg_restore", "--no-owner", f"--dbname={keyless_db}", str(backup / "tousu.dump")]
        assert _run(restore, bare).returncode == 0
        verify = _run(
            ["tousu", "audit", "verify", "--anchor", str(backup / "audit-anchor.json")], bare
        )
        assert verify.returncode != 0 and "审计日志完整" not in verify.stdout
        name = _run(["tousu", "shell", "--no-imports", "-c", READ_NAME], bare)
        assert name.stdout.strip() == "UNREADABLE", name.stderr[-2000:]
    finally:
        for db in (restored_db, keyless_db):
            _run(["dropdb", "--if-exists", db], _env(tmp_path, "", PGDATABASE=base["NAME"]))
