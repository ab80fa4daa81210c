"""Appointment slots of a synthetic location, handed out so nothing overlaps (no Django).

A location has `lanes` practitioner/room pairs (lane i is practitioner i in room i) and a
weekly grid of slot start times. Every (day, lane, slot) is given out at most once, so no
practitioner and no room is ever double-booked; a patient's visits fall on distinct days, so a
patient never is either. Within a day the slots are given in a fixed shuffled order, so a
busy day is spread over the hours and the lanes instead of filling the mornings first.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class SlotBook:
    lanes: int
    # Slot start times (minutes after local midnight) for each weekday, Monday = 0.
    week: Sequence[Sequence[int]]
    # Weekday of day index 0.
    first_weekday: int
    days: int
    seed: int = 0
    _fill: list[int] = field(init=False)
    _order: dict[int, list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self._fill = [0] * self.days
        rng = random.Random(self.seed)
        self._order = {}
        for wd in range(7):
            cap = self.lanes * len(self.week[wd])
            if cap not in self._order:
                order = list(range(cap))
                rng.shuffle(order)
                self._order[cap] = order

    def capacity(self, day: int) -> int:
        return self.lanes * len(self.week[(self.first_weekday + day) % 7])

    def take(self, day: int) -> tuple[int, int, int] | None:
        """The first free (day, lane, minute) on `day` or after; None past the last day."""
        fill = self._fill
        while day < self.days:
            wd = (self.first_weekday + day) % 7
            slots = self.week[wd]
            cap = self.lanes * len(slots)
            k = fill[day]
            if k < cap:
                fill[day] = k + 1
                lane, slot = divmod(self._order[cap][k], len(slots))
                return day, lane, slots[slot]
            day += 1
        return None

    def used(self, day: int) -> int:
        return self._fill[day]


def lanes_for(visits: int, week: Sequence[Sequence[int]], days: int, load: float = 0.7) -> int:
    """Practitioner/room pairs a location needs so `visits` fill about `load` of its slots."""
    per_week = sum(len(s) for s in week)
    slots_per_lane = per_week * days / 7
    return max(2, -(-int(visits) // max(1, int(slots_per_lane * load))))
