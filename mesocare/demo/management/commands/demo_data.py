from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from mesocare.demo.data import DOMAIN, STAFF, load_demo


class Command(BaseCommand):
    help = "Load the demo clinic (idempotent) and print the URL and the logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, port: int, **options: Any) -> None:
        result = load_demo()
        self.stdout.write(f"Demo organization: {result.organization.name}")
        self.stdout.write(f"New demo patients: {result.created_patients}")
        day = result.clinic_day
        self.stdout.write(
            f"New courses of treatment: {day.courses_created}, lots: {day.lots_created}, "
            f"consultations today: {day.consultations_created}, "
            f"messages delivered to {settings.NOTIFY_JOURNAL_PATH}: {day.messages_delivered}"
        )
        self.stdout.write(f"\n  Open http://127.0.0.1:{port}\n")
        for local, role, _name, _title in STAFF:
            self.stdout.write(f"  {role:<13} {local}@{DOMAIN}")
        origin = (
            "generated, kept in var/demo_password"
            if result.password_generated
            else "from MESOCARE_DEMO_PASSWORD"
        )
        self.stdout.write(f"  password      {result.password}   ({origin})\n")
