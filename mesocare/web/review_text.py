"""A plan review's reason in the reader's language.

The planning engine (`mesocare.core.planning.review`, pure) writes the reason in English and
the plan keeps it as written. The plan page reads it back in the member's language: each of the
engine's sentences is recognised and written again with its numbers; a reason typed by a person
is shown as typed, and a fixed system reason ("Course booked.") through its translation.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mesocare.web.labels import band_name

_CHANGE = (
    r"(?:improved by (?P<up>[\d.]+) points|worse by (?P<down>[\d.]+) points|unchanged)"
    r"(?:, (?P<pct>-?[\d.]+)%)?"
)
TARGET = re.compile(rf"^target band '(?P<band>[^']+)' reached \({_CHANGE}\): propose completion$")
ALL_DONE = re.compile(
    rf"^all (?P<planned>\d+) planned sessions done \({_CHANGE}\)"
    r"(?P<none>; no response: consider another protocol rather than more sessions)?$"
)
TOO_EARLY = re.compile(
    r"^(?P<done>\d+) of (?P<planned>\d+) sessions done; "
    r"response is judged from session (?P<check>\d+)$"
)
RESPONDING = re.compile(rf"^{_CHANGE}: continue the course$")
NOT_RESPONDING = re.compile(
    rf"^(?P<state>worse|not improved enough) after (?P<done>\d+) sessions \({_CHANGE}\): "
    r"consider stopping the course or switching protocol$"
)


def _number(text: str) -> str:
    try:
        return number_format(Decimal(text).normalize())
    except InvalidOperation:
        return text


def _points(text: str) -> tuple[str, int]:
    shown = _number(text)
    return shown, 1 if Decimal(text) == 1 else 2


def _change(match: re.Match[str]) -> str:
    if match["up"]:
        shown, count = _points(match["up"])
        text = ngettext("improved by %(points)s point", "improved by %(points)s points", count) % {
            "points": shown
        }
    elif match["down"]:
        shown, count = _points(match["down"])
        text = ngettext("worse by %(points)s point", "worse by %(points)s points", count) % {
            "points": shown
        }
    else:
        text = _("unchanged")
    if match["pct"]:
        text += f", {_number(match['pct'])}%"
    return text


def review_reason(reason: str, scale_id: str = "") -> str:
    """`reason` as the plan page shows it, in the active language."""
    if not reason:
        return reason
    if m := TARGET.match(reason):
        return _("target band %(band)s reached (%(change)s): propose completion") % {
            "band": band_name(scale_id, m["band"]) if scale_id else m["band"],
            "change": _change(m),
        }
    if m := ALL_DONE.match(reason):
        text = _("all %(planned)s planned sessions done (%(change)s)") % {
            "planned": m["planned"],
            "change": _change(m),
        }
        if m["none"]:
            text += _("; no response: consider another protocol rather than more sessions")
        return text
    if m := TOO_EARLY.match(reason):
        return _(
            "%(done)s of %(planned)s sessions done; response is judged from session %(check)s"
        ) % {"done": m["done"], "planned": m["planned"], "check": m["check"]}
    if m := RESPONDING.match(reason):
        return _("%(change)s: continue the course") % {"change": _change(m)}
    if m := NOT_RESPONDING.match(reason):
        state = _("worse") if m["state"] == "worse" else _("not improved enough")
        return _(
            "%(state)s after %(done)s sessions (%(change)s): consider stopping the course or "
            "switching protocol"
        ) % {"state": state, "done": m["done"], "change": _change(m)}
    return _(reason)  # a fixed system reason has its translation; a typed one is itself
