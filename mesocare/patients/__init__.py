"""Patients and the medical facts that safety checks need."""
