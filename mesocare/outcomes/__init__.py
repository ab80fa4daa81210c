"""Measurements, photos, progress and outcome reports."""
