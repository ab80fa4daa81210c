"""``{{ appointment|booked_online }}``: whether the appointment was booked online (by the
organization's "Online booking" member), without a query per appointment."""

from __future__ import annotations

from typing import Any

from django import template

from mesocare.booking.services.setup import online_user_ids

register = template.Library()


@register.filter
def booked_online(appointment: Any) -> bool:
    return getattr(appointment, "created_by_id", None) in online_user_ids()
