"""One way to paginate every list page."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, items: Any, per_page: int = 25) -> Page[Any]:
    """The requested page (`?page=`); out-of-range or junk page numbers give the nearest page."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


MAX_PAGE = 1_000_000  # a page number past any real history; keeps LIMIT within 64 bits


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator for tables of millions of rows: it counts at most ``ahead`` pages past the
    requested one (`SELECT COUNT(*) FROM (… LIMIT n)`), because an exact count of an
    organization's whole history costs more than the page itself. `more` says whether rows
    remain past the count; the next pages stay reachable, the count grows as one pages on."""

    def __init__(self, items: Any, per_page: int, wanted: Any, ahead: int = 20) -> None:
        super().__init__(items, per_page)
        try:
            number = min(max(1, int(wanted)), MAX_PAGE)
        except (TypeError, ValueError):
            number = 1
        self.cap = (number + ahead) * per_page

    @cached_property
    def _counted(self) -> int:
        return int(self.object_list[: self.cap + 1].count())  # type: ignore[attr-defined]

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        return min(self._counted, self.cap)

    @property
    def more(self) -> bool:
        return self._counted > self.cap


def paginate_capped(request: HttpRequest, items: Any, per_page: int = 25) -> Page[Any]:
    """As `paginate`, counting only as far as a few pages past the requested one."""
    wanted = request.GET.get("page")
    return CappedPaginator(items, per_page, wanted).get_page(wanted)


def query_without_page(request: HttpRequest) -> str:
    """The current query string minus `page`, for building page links that keep the filters."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
