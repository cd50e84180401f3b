"""The complainant's own door: file, track, rate, appeal, withdraw (no login)."""
