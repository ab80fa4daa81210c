"""Calendar months: parsing "YYYY-MM", stepping by months, the months a span covers, and the
retention rule. The audit log is partitioned and archived by these months (in UTC)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_TEXT = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise ValueError(f"{self.year:04d}-{self.month:02d} is not a month")

    @classmethod
    def parse(cls, text: str) -> Month:
        """Read "2026-12" as Month(2026, 12); refuse anything else (also "2026-13", "2026-1")."""
        match = _TEXT.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"{text!r} is not a month (write YYYY-MM, e.g. 2020-01)")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: dt.date) -> Month:
        """The month a date (or a datetime, in its own time zone) falls in."""
        return cls(day.year, day.month)

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    @property
    def index(self) -> int:
        """Months since year 0: consecutive months have consecutive indexes."""
        return self.year * 12 + self.month - 1

    def plus(self, months: int) -> Month:
        return Month.from_index(self.index + months)

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def start_utc(self) -> dt.datetime:
        """The first instant of the month in UTC (a partition's lower bound, inclusive)."""
        return dt.datetime(self.year, self.month, 1, tzinfo=dt.UTC)

    def until(self, end: Month) -> list[Month]:
        """This month and every month after it, up to `end` excluded."""
        return [Month.from_index(i) for i in range(self.index, end.index)]

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_covering(start: dt.datetime, end: dt.datetime) -> list[Month]:
    """Every UTC month that holds an instant of [start, end] (both included)."""
    first = Month.of(start.astimezone(dt.UTC))
    last = Month.of(end.astimezone(dt.UTC))
    return first.until(last.plus(1))


def newest_archivable(today: dt.date, retention_months: int) -> Month:
    """The latest `--before` month the retention allows: everything before it is at least
    `retention_months` whole months old. With 72 months on 2026-12-07 that is 2020-12 (events
    up to 2020-11-30 may go; December 2020 is still inside the six years)."""
    if retention_months < 0:
        raise ValueError("a retention cannot be negative")
    return Month.of(today).plus(-retention_months)
