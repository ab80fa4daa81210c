from django.urls import include, path, re_path

from mesocare.api.errors import api_not_found
from mesocare.api.root import api
from mesocare.portal.api import portal_api
from mesocare.web.views.icons import favicon

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", api_not_found),
    path("p/", include("mesocare.portal.urls")),
    path("sms/", include("mesocare.notify.sms_urls")),
    path("portal/api/", portal_api.urls),
    path("book/", include("mesocare.booking.web.urls")),
    path("fhir/R4/", include("mesocare.fhir.bulk.urls")),
    path("fhir/R4/", include("mesocare.fhir.urls")),
    path("", include("mesocare.web.urls")),
]
