"""Charting services: `sessions` (open, read, edit, sign, amend, to-do), `injections`
(chart and delete injections with stock and safety, side effects), `totals` (running
session totals, protocol ranges, the patient's previous sessions as safety facts)."""
