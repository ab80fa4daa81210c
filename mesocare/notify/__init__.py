"""Outbox, message templates, reminders, check-ins, background jobs."""
