"""Per-request server time and query count, for performance checks and browser tests.

Enabled with `MESOCARE_REQUEST_STATS=1` (adds the middleware); each request appends
(method, path, milliseconds, queries) to `RECENT` and logs it at INFO.

Measured requests run one at a time: the browser tests' live server on SQLite's in-memory
database gives all its threads one connection, so the queries of two requests in flight at once
(two htmx previews while typing) would be counted twice."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test.utils import CaptureQueriesContext

log = logging.getLogger("mesocare.requests")
RECENT: deque[tuple[str, str, float, int]] = deque(maxlen=500)
_ONE_AT_A_TIME = threading.Lock()


class RequestStatsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with _ONE_AT_A_TIME, CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = self.get_response(request)
            elapsed = (time.perf_counter() - start) * 1000
        RECENT.append((request.method or "", request.path, elapsed, len(queries)))
        log.info("%s %s %.1f ms %d queries", request.method, request.path, elapsed, len(queries))
        response["Server-Timing"] = f'app;dur={elapsed:.1f}, db;desc="{len(queries)} queries"'
        return response
