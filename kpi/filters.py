"""Read-side layer: the filter set every query takes, and the parameterised WHERE clause built from it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class Filters:
    """A period of the city's local calendar dates (inclusive) plus optional kecamatan, service and channel selections.

    Hashable, so cached read functions can key on it. Empty tuples mean "all".
    """

    date_from: date
    date_to: date
    kecamatan: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise ValueError(f"date_to {self.date_to} is before date_from {self.date_from}")

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Filters:
        """The period of equal length that ends the day before this one starts."""
        return replace(self, date_from=self.date_from - timedelta(days=self.days),
                       date_to=self.date_from - timedelta(days=1))

    def params(self) -> dict[str, Any]:
        """Named parameters for `where()`; bind these, never format them into SQL."""
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "kecamatan": list(self.kecamatan),
            "services": list(self.services),
            "channels": list(self.channels),
        }


PRESETS = ("last30", "month", "quarter", "ytd", "lastyear", "all", "custom")


def preset_range(preset: str, first: date, latest: date) -> tuple[date, date]:
    """Date range of a period preset, anchored to the latest data date (not the wall clock: data may lag)."""
    if preset == "month":
        return latest.replace(day=1), latest
    if preset == "quarter":
        return date(latest.year, 3 * ((latest.month - 1) // 3) + 1, 1), latest
    if preset == "ytd":
        return date(latest.year, 1, 1), latest
    if preset == "lastyear":
        return date(latest.year - 1, 1, 1), date(latest.year - 1, 12, 31)
    if preset == "all":
        return first, latest
    return latest - timedelta(days=29), latest


def where(date_column: str | None = None) -> str:
    """WHERE clause on the dimension columns (and optionally a DATE column) using Filters.params().

    `date_column` is a column name chosen by the caller from code, never from input.
    """
    clauses = [
        "(len($kecamatan) = 0 OR list_contains($kecamatan, kecamatan_code))",
        "(len($services) = 0 OR list_contains($services, service_code))",
        "(len($channels) = 0 OR list_contains($channels, channel))",
    ]
    if date_column:
        clauses.insert(0, f"{date_column} BETWEEN $date_from AND $date_to")
    return " AND ".join(clauses)
