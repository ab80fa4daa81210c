"""`Idempotency-Key` on every POST: a retry after a dropped connection gets the first answer.

Two API-wide decorators share the work. `in_one_transaction` (around the whole operation) runs
a keyed request in one transaction and keeps its final response; `replay_or_reserve` (after
authentication and validation, when the actor is known) answers a replay from the store or
claims the key. A failed request (not 2xx) gives its key back, so fixing the body and retrying
with the same key works; the key, the created rows and the stored answer commit together.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException

from mesocare.api.auth import actor_of
from mesocare.idempotency import services

REPLAYED_HEADER = "Idempotent-Replayed"


def _key(request: HttpRequest) -> str | None:
    if request.method != "POST":
        return None
    return request.headers.get(services.HEADER)


def _content(request: HttpRequest) -> bytes:
    """The request's body; for an upload (already parsed as a stream) its fields and files."""
    try:
        return request.body
    except RawPostDataException:
        digest = hashlib.sha256()
        for name, value in sorted(request.POST.lists()):
            digest.update(repr((name, value)).encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(repr((name, upload.name, upload.size)).encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
        return digest.digest()


def in_one_transaction(run: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(run)
    def keyed(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if _key(request) is None:
            return run(request, *args, **kwargs)
        with transaction.atomic():
            response = run(request, *args, **kwargs)
            reserved = getattr(request, "_idempotency_key", None)
            if reserved is not None:
                if 200 <= response.status_code < 300:
                    content_type = response.get("Content-Type", "application/json")
                    services.remember(
                        reserved, response.status_code, response.content, content_type
                    )
                else:
                    services.release(reserved)
        return response

    return keyed


def replay_or_reserve(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def keyed(request: HttpRequest, *args: Any, **values: Any) -> Any:
        key = _key(request)
        if key is None:
            return view(request, *args, **values)
        actor = actor_of(request)
        fingerprint = services.fingerprint("POST", request.get_full_path(), _content(request))
        stored = services.find_replay(actor, key, fingerprint)
        if stored is not None:
            response = HttpResponse(
                stored.body, status=stored.status, content_type=stored.content_type
            )
            response[REPLAYED_HEADER] = "true"
            return response
        request._idempotency_key = services.reserve(actor, key, fingerprint)  # type: ignore[attr-defined]
        return view(request, *args, **values)

    return keyed
