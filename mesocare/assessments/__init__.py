"""Scored severity assessments of patients (uses core.scales)."""
