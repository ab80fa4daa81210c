"""The patient's documents and messages pages in the portal."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from mesocare.clinics.middleware import client_ip
from mesocare.errors import NotFound
from mesocare.portal import inbox
from mesocare.portal.account_views import portal_page
from mesocare.portal.session import PortalSession, portal_view


@portal_view
def messages(request: HttpRequest, session: PortalSession) -> HttpResponse:
    context = {
        "session": session,
        "clinic": session.organization.name,
        "messages": inbox.sent_messages(session),
    }
    return portal_page(request, "portal/account/messages.html", context)


@portal_view
def message(request: HttpRequest, session: PortalSession, message_id: int) -> HttpResponse:
    try:
        rendered = inbox.open_message(session, message_id, client_ip(request))
    except NotFound:
        return portal_page(request, "portal/account/not_found.html", {}, status=404)
    context = {"session": session, "clinic": session.organization.name, "rendered": rendered}
    return portal_page(request, "portal/account/message.html", context)


@portal_view
def document(request: HttpRequest, session: PortalSession, document_id: int) -> HttpResponse:
    try:
        shared = inbox.document_pdf(session, document_id, client_ip(request))
    except NotFound:
        return portal_page(request, "portal/account/not_found.html", {}, status=404)
    response = HttpResponse(bytes(shared.content), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="document-{shared.pk}.pdf"'
    return response
