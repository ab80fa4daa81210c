from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mesocare.accounts import two_factor
from mesocare.errors import DomainError


class Command(BaseCommand):
    help = (
        "Remove a user's two-factor authenticator (lost phone, sole administrator); audited in "
        "each of the user's organizations. The user then signs in with the password and sets up "
        "a new one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the user's email")

    def handle(self, *args: Any, user: str, **options: Any) -> None:
        try:
            removed = two_factor.reset_by_operator(user)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if not removed:
            raise CommandError(f"{user} has no authenticator.")
        self.stdout.write(f"Two-factor sign-in reset for {user}.")
