"""The audit keys: generated owner-only for the embedded run, or given, and checked."""

import base64
import os
import stat
import subprocess
import sys

from django.conf import settings

KEY = base64.b64encode(b"k" * 32).decode()
OLD = base64.b64encode(b"o" * 32).decode()


def _settings(tmp_path, **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUSU_")}
    env.update({"TOUSU_VAR_DIR": str(tmp_path), **env_extra})
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'tousu.settings';"
        "from django.conf import settings;"
        "print([k for k, _s in settings.AUDIT_KEYS], [k for k, _s in settings.AUDIT_SIGNING_KEYS])"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_generated_key_files_are_owner_only():
    for name in ("audit_keys", "audit_signing_key"):
        path = settings.VAR_DIR / name
        if path.exists():  # a key given in the environment has no file
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def test_the_embedded_run_generates_keys_once(tmp_path):
    first = _settings(tmp_path)
    assert first.returncode == 0, first.stderr
    assert _settings(tmp_path).stdout == first.stdout
    assert stat.S_IMODE((tmp_path / "audit_keys").stat().st_mode) == 0o600


def test_given_keys_are_read_newest_first(tmp_path):
    result = _settings(
        tmp_path,
        TOUSU_AUDIT_KEYS=f"2027a:{KEY}, 2026b:{OLD}",
        TOUSU_AUDIT_SIGNING_KEY=f"s1:{KEY}",
    )
    assert result.stdout.strip() == "['2027a', '2026b'] ['s1']", result.stderr
    assert not (tmp_path / "audit_keys").exists()


def test_a_malformed_key_stops_the_start_naming_the_variable(tmp_path):
    for name, value in [
        ("TOUSU_AUDIT_KEYS", "no-colon-here"),
        ("TOUSU_AUDIT_KEYS", f"a:{base64.b64encode(b'short').decode()}"),
        ("TOUSU_AUDIT_KEYS", f"a:{KEY},a:{OLD}"),  # an id twice
        ("TOUSU_AUDIT_SIGNING_KEY", f"s:{base64.b64encode(b'x' * 48).decode()}"),
    ]:
        result = _settings(tmp_path, **{name: value})
        assert result.returncode != 0 and name in result.stderr, (name, value)
        assert KEY not in result.stderr and OLD not in result.stderr  # no secret in the error
