"""Tousu's SQLite backend: Django's, with writers queued on a lock file (see ``base``)."""

ENGINE = "tousu.core.sqlite"  # settings.DATABASES' ENGINE of every SQLite database
