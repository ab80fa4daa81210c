from django.urls import include, path, re_path

from mesocare.api.errors import api_not_found
from mesocare.api.root import api

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", api_not_found),
    path("p/", include("mesocare.portal.urls")),
    path("", include("mesocare.web.urls")),
]
