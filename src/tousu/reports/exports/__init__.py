"""Exports of complaints, the penalty ledger and incidents to XLSX and CSV."""
