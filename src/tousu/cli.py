"""The ``tousu`` console script: Django's management commands plus Tousu's own."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tousu", *sys.argv[1:]])


if __name__ == "__main__":
    main()
