"""Complaints received by email: IMAP fetch and an SMTP listener."""
