"""The site icon at `/favicon.ico`, where browsers ask for it on every page.

The file is the vendored static icon (`static/mesocare/icons/favicon.ico`); pages also link it
from their `<head>`, but browsers and bookmarks still request the root path.
"""

from __future__ import annotations

from pathlib import Path

from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_safe

ICON = Path(__file__).resolve().parent.parent / "static" / "mesocare" / "icons" / "favicon.ico"


@require_safe
def favicon(request: HttpRequest) -> FileResponse:
    response = FileResponse(ICON.open("rb"), content_type="image/vnd.microsoft.icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
