"""A serving process (``tousu.wsgi``) starts with its views and API loaded and frozen
out of the garbage collector's walks (``core.serving``)."""

import json
import os
import subprocess
import sys

PROBE = """
import gc, json, sys
from tousu.wsgi import application
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "api_loaded": "tousu.complaints.api" in sys.modules,
    "views_loaded": "tousu.complaints.views" in sys.modules,
}))
"""


def test_a_web_process_starts_with_its_code_loaded_and_frozen(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUSU_")}
    env.update({"TOUSU_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "tousu.settings"})
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # Everything imported at start (tens of thousands of objects) is out of the walks.
    assert found["frozen"] > 50_000
    assert found["api_loaded"] and found["views_loaded"]
