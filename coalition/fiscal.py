"""Fiscal years, labelled FY16, FY17, …: with COALITION_FY_START_MONTH = 1, FY16 is the
calendar year 2016; with 7, FY16 runs from July 2015 to June 2016 (named by the year it
ends in)."""

from __future__ import annotations

import re
from datetime import date

_LABEL = re.compile(r"\s*(?:FY)?\s*(\d{2}|\d{4})\s*", re.IGNORECASE)


def fiscal_year_of(day: date, start_month: int = 1) -> int:
    """The (four-digit) year a date's fiscal year is named by."""
    if start_month == 1:
        return day.year
    return day.year + 1 if day.month >= start_month else day.year


def label(year: int) -> str:
    return f"FY{year % 100:02d}"


def label_of(day: date, start_month: int = 1) -> str:
    return label(fiscal_year_of(day, start_month))


def parse(text: str) -> str | None:
    """'FY16', 'fy 16', '2016' or '16' as 'FY16'; None if it is none of these."""
    match = _LABEL.fullmatch(text or "")
    if not match:
        return None
    return label(int(match.group(1)))


def bounds(year: int, start_month: int = 1) -> tuple[date, date]:
    """First and last day of the fiscal year named by `year`."""
    if start_month == 1:
        return date(year, 1, 1), date(year, 12, 31)
    start = date(year - 1, start_month, 1)
    end = date(year, start_month, 1).toordinal() - 1
    return start, date.fromordinal(end)
