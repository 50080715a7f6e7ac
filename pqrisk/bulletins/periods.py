"""Periods of the weekly and monthly issues. No Django here: the command line parses its
options with these before Django is set up."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

WEEKLY = "weekly"


def month_period(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def week_period(day: date) -> tuple[date, date]:
    """Monday to Sunday of the week of ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def previous_period(kind: str, today: date) -> tuple[date, date]:
    """The last complete week or month before ``today``."""
    if kind == WEEKLY:
        return week_period(today - timedelta(days=7))
    first = today.replace(day=1) - timedelta(days=1)
    return month_period(first.year, first.month)
