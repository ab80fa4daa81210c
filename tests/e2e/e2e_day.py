"""The state of one clinic day shared by the browser steps, and the set-up of each step's
preconditions through the services (so that every step test also runs on its own)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

PASSWORD = "correct horse battery staple"


@dataclass
class Day:
    clinic: Any
    today: dt.date = field(default_factory=timezone.localdate)
    patient: Any = None
