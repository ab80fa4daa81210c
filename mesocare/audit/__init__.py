"""Append-only audit trail: every change, and every read of a patient's record."""
