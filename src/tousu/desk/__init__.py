"""The staff intake screen for phone and walk-in complaints, and printed receipts."""
