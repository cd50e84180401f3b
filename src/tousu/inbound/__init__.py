"""Signed, idempotent complaint hand-offs from other systems, with callbacks."""
