"""`Server-Timing` on every signed-in page: the application's time and the database's time and
query count, readable in the browser's developer tools (Network → Timing) and by monitoring.

    Server-Timing: app;dur=23.4;desc="Application", db;dur=6.1;desc="12 queries"

The queries are timed through a database execute wrapper (`connection.execute_wrapper`), which
keeps no SQL text, so the cost is two clock reads per query. Anonymous responses (sign-in,
password reset, the public calendar feed, the portal's link pages) carry no header: timings there
would help someone probing which accounts or tokens exist. Header format: W3C Server Timing
(https://www.w3.org/TR/server-timing/)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse


class _QueryClock:
    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.count += 1


def header_value(app_ms: float, db_ms: float, queries: int) -> str:
    return f'app;dur={app_ms:.1f};desc="Application", db;dur={db_ms:.1f};desc="{queries} queries"'


class ServerTimingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        clock = _QueryClock()
        start = time.perf_counter()
        with connection.execute_wrapper(clock):
            response = self.get_response(request)
        elapsed = (time.perf_counter() - start) * 1000
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Server-Timing" not in response:
            response["Server-Timing"] = header_value(elapsed, clock.seconds * 1000, clock.count)
        return response
