import os
import subprocess
import sys

import pytest


def _tousu(*args, env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUSU_")}
    env.update({"TOUSU_VAR_DIR": str(tmp_path), **env_extra})
    return subprocess.run(
        [sys.executable, "-m", "tousu", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_for_a_production_configuration(tmp_path):
    result = _tousu(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "TOUSU_HTTPS": "true",
            "TOUSU_SECRET_KEY": "p" * 20 + "-x9Qz_long-enough-and-random-looking-key-7Hk2LmN4",
            "TOUSU_ALLOWED_HOSTS": "tousu.example.cn",
        },
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_embedded_defaults_fail_the_deploy_check(tmp_path):
    # Debug is off by default, but plain HTTP is not production.
    result = _tousu("check", "--deploy", "--fail-level", "WARNING", env_extra={}, tmp_path=tmp_path)
    assert result.returncode != 0


def test_secrets_are_generated_once_into_the_data_directory(tmp_path):
    for _ in range(2):
        assert _tousu("check", env_extra={}, tmp_path=tmp_path).returncode == 0
    secret = (tmp_path / "secret_key").read_text()
    key = (tmp_path / "encryption_key").read_text()
    assert len(secret) > 40 and len(key) == 44
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    _tousu("check", env_extra={}, tmp_path=tmp_path)
    assert (tmp_path / "secret_key").read_text() == secret


def test_a_bad_boolean_is_a_clear_error(tmp_path):
    result = _tousu("check", env_extra={"TOUSU_DEBUG": "maybe"}, tmp_path=tmp_path)
    assert result.returncode != 0 and "TOUSU_DEBUG" in result.stderr


@pytest.mark.django_db
def test_migrations_are_complete():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
