from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mesocare.accounts.models import ApiToken
from mesocare.clinics.models import Membership


class Command(BaseCommand):
    help = "Create an API token for a user (acting in one organization) and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True)
        parser.add_argument("--org", default=None, help="organization slug")
        parser.add_argument("--name", default="cli")

    def handle(self, *args: Any, user: str, org: str | None, name: str, **options: Any) -> None:
        memberships = Membership.objects.filter(
            user__email=user.strip().lower(), is_active=True, user__is_active=True
        ).select_related("organization")
        if org:
            memberships = memberships.filter(organization__slug=org)
        membership = memberships.order_by("organization_id").first()
        if membership is None:
            raise CommandError(f"No active membership for {user}" + (f" in {org}" if org else ""))
        _token, raw = ApiToken.issue(membership, name=name)
        self.stdout.write(raw)
