"""The product's URLs plus `/bench/hello`: the smallest Django view, behind the same middleware
and served by the same gunicorn, as the reference of `load_mixed.py`. Never in the product."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from mesocare.urls import urlpatterns as product


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, world", content_type="text/plain")


urlpatterns = [path("bench/hello", hello), *product]
