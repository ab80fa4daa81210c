"""`mesocare fhir client`: register, list and deactivate SMART Backend Services clients."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Membership
from mesocare.errors import DomainError
from mesocare.fhir.bulk.models import SmartClient
from mesocare.fhir.smart import deactivate_client, register_client, token_url


def _membership(org: str, email: str) -> Membership:
    membership = (
        Membership.objects.filter(organization__slug=org, user__email__iexact=email, is_active=True)
        .select_related("organization", "user")
        .first()
    )
    if membership is None:
        raise CommandError(f"{email} is not an active member of {org!r}.")
    return membership


class Command(BaseCommand):
    help = "SMART Backend Services clients of an organization (bulk FHIR access)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        register = sub.add_parser("register", help="register a client and print its client id")
        register.add_argument("--org", required=True)
        register.add_argument("--user", required=True, help="email of the admin registering it")
        register.add_argument("--name", required=True)
        register.add_argument("--jwks", required=True, help="file with the client's public JWKS")
        register.add_argument(
            "--reads-as", help="email of the member whose permissions it reads with (an auditor)"
        )
        listing = sub.add_parser("list", help="the organization's clients")
        listing.add_argument("--org", required=True)
        deactivate = sub.add_parser("deactivate", help="refuse the client from now on")
        deactivate.add_argument("client_id")
        deactivate.add_argument("--org", required=True)
        deactivate.add_argument("--user", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for client in SmartClient.objects.filter(
                organization__slug=options["org"]
            ).select_related("membership__user"):
                state = "active" if client.is_active else "deactivated"
                self.stdout.write(
                    f"{client.client_id}  {client.name}  reads as "
                    f"{client.membership.user.email}  {state}"
                )
            return
        actor = Actor(membership=_membership(options["org"], options["user"]))
        try:
            if action == "register":
                path = Path(options["jwks"])
                if not path.is_file():
                    raise CommandError(f"No file {path}.")
                reads_as = (
                    _membership(options["org"], options["reads_as"])
                    if options.get("reads_as")
                    else None
                )
                client = register_client(
                    actor,
                    name=options["name"],
                    jwks=path.read_text(encoding="utf-8"),
                    reads_as=reads_as,
                )
                self.stdout.write(f"client_id: {client.client_id}")
                self.stdout.write(f"token URL: {token_url()}")
                return
            found = (
                SmartClient.objects.for_org(actor.org_id)
                .filter(client_id=options["client_id"])
                .first()
            )
            if found is None:
                raise CommandError(f"No client {options['client_id']} in {options['org']!r}.")
            deactivate_client(actor, found)
            self.stdout.write(f"Deactivated {found.name}.")
        except DomainError as exc:
            details = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)
            raise CommandError(details or exc.message) from None
