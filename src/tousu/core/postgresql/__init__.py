"""Tousu's PostgreSQL backend: Django's, with long statements' placeholders parsed once
per process (see ``base``)."""

ENGINE = "tousu.core.postgresql"  # settings.DATABASES' ENGINE of every PostgreSQL database
