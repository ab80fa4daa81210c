"""The calendar's grid, written in Python: the day's rows of five-minute cells and the week's
cells of appointments, time off and free times.

A busy location's day is about 150 rows by 10 columns and its week several hundred
appointments; as template loops (a dozen tags a cell, three URLs an appointment) writing them
cost several times what reading them did. Here each URL is reversed once a page and each cell is
one string format; the markup is the one the template wrote, escaped the same way (names, room
names and reasons escaped; our own translations as they are).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# A stand-in id, reversed once and replaced by each appointment's id.
_MARK = 2_147_000_123


def _url_of(name: str, **kwargs: Any) -> Callable[[int], str]:
    """The URL of ``name`` for any appointment id, reversed once (the URLs hold plain ids)."""
    head, tail = reverse(name, kwargs={"appointment_id": _MARK, **kwargs}).split(str(_MARK))
    return lambda pk: f"{head}{pk}{tail}"


def _clock(moment: dt.datetime, tz: Any) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def day_body(
    rows: Sequence[Any], *, by: str, tz: Any, can_edit: bool, csrf_token: str
) -> SafeString:
    """The rows of the day grid (`scheduling._grid`): each row's time and its cells."""
    panel = _url_of("web:appointment-panel")
    move = _url_of("web:appointment-move")
    check_in = _url_of("web:appointment-action", action="check-in")
    check_in_label = _("Check in")
    unavailable = _("Unavailable")
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    out: list[str] = []
    add = out.append
    for row in rows:
        label = row.label
        add(f'<tr class="{"quarter" if row.quarter else ""}">\n    <th scope="row">')
        add(label if row.quarter else f'<span class="skip">{label}</span>')
        add("</th>\n    ")
        for column, cell in enumerate(row.cells):
            a = cell.appointment
            if a is not None:
                pk = a.pk
                editable = can_edit and a.status == "booked"
                add(f'<td rowspan="{cell.rowspan}" class="appt status-{a.status}"')
                if editable:
                    add(
                        f' draggable="true" data-move-url="{move(pk)}" '
                        f'data-practitioner="{a.practitioner_id}" data-room="{a.room_id}"'
                    )
                where = str(escape(a.practitioner_name if by == "room" else a.room_name))
                if a.course_index:
                    where += " · " + _("session %(n)s") % {"n": a.course_index}
                link = panel(pk)
                add(
                    f'>\n      <a href="{link}" hx-get="{link}" hx-target="#appointment-panel" '
                    f'hx-swap="innerHTML" data-appointment="{pk}">\n'
                    f"        <strong>{_clock(a.start, tz)}</strong> {escape(a.patient_name)}\n"
                    f'        <span class="muted">{where}</span>\n'
                    f'        <span class="badge">{escape(a.status_label)}</span>\n'
                    "      </a>\n      "
                )
                if editable:
                    action = check_in(pk)
                    add(
                        f'<form method="post" action="{action}" hx-post="{action}" '
                        f'hx-target="#appointment-panel" class="inline">{csrf}'
                        f'<button type="submit" class="secondary small">{check_in_label}</button>'
                        "</form>"
                    )
                add("\n    </td>")
            elif cell.block is not None:
                reason = cell.block.reason
                text = (
                    _("Unavailable: %(reason)s") % {"reason": escape(reason)}
                    if reason
                    else unavailable
                )
                add(f'<td rowspan="{cell.rowspan}" class="unavailable">{text}</td>')
            elif not cell.covered:
                if can_edit:
                    add(f'<td class="free" data-slot="{label}" data-col="{column}"></td>')
                else:
                    add("<td></td>")
        add("\n  </tr>")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped or ours


def week_cells(
    day: dt.date,
    cells: Iterable[dict[str, Any]],
    *,
    location_id: int,
    by: str,
    tz: Any,
) -> SafeString:
    """One day's cells of the week grid (`scheduling._week`, with the free times of
    `calendar_booking.attach_free_slots` when the member may book)."""
    panel = _url_of("web:appointment-panel")
    new = reverse("web:appointment-new")
    query = f"{new}?location={location_id}&amp;date={day.isoformat()}"
    shown_day = escape(date_format(day, "D j M"))
    out: list[str] = []
    add = out.append
    for cell in cells:
        add('<td><ul class="plain">')
        for off in cell["time_off"]:
            if off["all_day"]:
                when = _("All day")
            else:
                when = f"{_clock(off['start'], tz)}–{_clock(off['end'], tz)}"
            reason = off["block"].reason
            text = (
                _("Unavailable: %(reason)s") % {"reason": escape(reason)}
                if reason
                else _("Unavailable")
            )
            add(f'<li class="unavailable">{when} {text}</li>')
        for a in cell["appointments"]:
            link = panel(a.pk)
            add(
                f'<li class="appt status-{a.status}"><a href="{link}" hx-get="{link}" '
                f'hx-target="#appointment-panel" data-appointment="{a.pk}">'
                f"{_clock(a.start, tz)} {escape(a.patient_name)}</a></li>"
            )
        add("</ul>\n      ")
        free = cell.get("free")
        if free:
            add('<p class="free-slots">')
            who = escape(cell["label"])
            for moment in free:
                time = _clock(moment, tz)
                url = f"{query}&amp;time={time}&amp;{by}={cell['key']}"
                label = _("Book %(time)s on %(day)s, %(who)s") % {
                    "time": time,
                    "day": shown_day,
                    "who": who,
                }
                add(
                    f'<a class="button secondary small free-slot" href="{url}" hx-get="{url}" '
                    f'hx-target="#appointment-panel" aria-label="{label}">{time}</a>'
                )
            add("</p>")
        elif cell.get("full"):
            add(f'<p class="muted">{_("Fully booked")}</p>')
        add("</td>")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped or ours
