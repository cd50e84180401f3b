"""Print one JSON line of fresh one-day API tokens for the bench's clerk and leader."""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")


def main() -> None:
    import django

    django.setup()
    from tousu.accounts.models import User
    from tousu.accounts.services import token_create

    tokens = {
        name: token_create(user=User.objects.get(username=name), name="bench", days=1)
        for name in ("clerk", "leader")
    }
    json.dump(tokens, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
